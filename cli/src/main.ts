// orchctl entry point (`npm run orchctl -- <command>` or the `orchctl` bin). Wiring only.
import { runCli } from './cli.js';
import { nodeIo } from './node-io.js';

const code = await runCli(process.argv.slice(2), nodeIo());
process.exitCode = code;
