import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLinks } from './check-links.js';

const USAGE = `usage: link-check [--root DIR] [--list-external]
  Checks every relative link and #anchor in the repository's markdown. External http(s) links
  are counted (and listed with --list-external) but never fetched.`;

/** Returns the exit code; main() is the only place that touches process state. */
export function run(argv: readonly string[], log: (line: string) => void): number {
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  let listExternal = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--list-external') listExternal = true;
    else if (arg === '--root' && argv[i + 1] !== undefined) root = resolve(argv[(i += 1)] ?? '');
    else {
      log(`unknown argument: ${arg ?? ''}\n${USAGE}`);
      return 2;
    }
  }
  const report = checkLinks(root);
  if (listExternal)
    for (const link of report.external) log(`external: ${link.file}:${link.line}: ${link.url}`);
  for (const b of report.broken)
    log(`${b.file}:${b.line}:${b.column}: broken link "${b.url}": ${b.reason}`);
  log(
    `link-check: ${report.files} markdown files, ${report.checked} local links checked, ` +
      `${report.broken.length} broken, ${report.external.length} external (not fetched)`,
  );
  return report.broken.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = run(process.argv.slice(2), (line) => console.log(line));
}
