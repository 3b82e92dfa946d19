// `tsx tools/src/toolchain/cli.ts ensure|show|verify`
//   ensure: fetch/build what is missing (idempotent); show: print the resolved toolchain as JSON;
//   verify: load it and re-hash the model (what every start does).
import { ensureToolchain } from './ensure.js';
import { isToolchainError } from './errors.js';
import { loadToolchain } from './load.js';

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case 'ensure':
    case undefined:
      await ensureToolchain();
      return 0;
    case 'show':
      process.stdout.write(JSON.stringify(await loadToolchain(), null, 2) + '\n');
      return 0;
    case 'verify': {
      const tc = await loadToolchain({ verifyModel: true });
      process.stdout.write(
        `toolchain ok: model ${tc.model.digest}, engine ${tc.llamaServer.buildInfo}\n`,
      );
      return 0;
    }
    default:
      process.stderr.write(`usage: toolchain ensure|show|verify (got ${cmd})\n`);
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isToolchainError(e)) {
      process.stderr.write(`\nbootstrap failed [${e.code}]: ${e.message}\n`);
    } else {
      process.stderr.write(
        `\nbootstrap failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
    }
    process.exit(1);
  },
);
