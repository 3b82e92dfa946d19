// `npm run regen` regenerates every generated artifact; `npm run regen:check` is the CI gate
// that fails when regeneration is nondeterministic or leaves a diff (ORCH-5005).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, regenerate } from './run.js';

const USAGE = 'usage: regen [--check] [--root DIR]';

function main(argv: readonly string[], log: (line: string) => void): number {
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  let checkMode = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') checkMode = true;
    else if (a === '--root' && argv[i + 1] !== undefined) root = resolve(argv[++i] ?? '');
    else {
      log(`unknown argument: ${a ?? ''}\n${USAGE}`);
      return 2;
    }
  }
  try {
    if (checkMode) return check(root, log);
    regenerate(root, log);
    return 0;
  } catch (e) {
    log(String((e as Error).message));
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2), (l) => process.stderr.write(`${l}\n`));
}
