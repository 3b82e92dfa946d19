// Entry point of the placement service (see serve.ts for its flags and env).
//   tsx gateway/src/main.ts --config contracts/examples/config/local-cpu.yaml [--rest-port N]
import { servePlacement } from './serve.js';

await servePlacement(process.argv.slice(2), process.env);
