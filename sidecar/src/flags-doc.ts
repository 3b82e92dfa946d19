// Rewrites the flag table in sidecar/README.md from flags.ts (ORCH-3115): `npx tsx sidecar/src/flags-doc.ts`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderFlagsMarkdown } from './flags.js';

const path = fileURLToPath(new URL('../README.md', import.meta.url));
const text = readFileSync(path, 'utf8');
const next = text.replace(
  /<!-- flags:begin -->[\s\S]*?<!-- flags:end -->/,
  `<!-- flags:begin -->\n\n${renderFlagsMarkdown()}\n\n<!-- flags:end -->`,
);
if (next === text && !text.includes('<!-- flags:begin -->'))
  throw new Error('no flags markers in sidecar/README.md');
writeFileSync(path, next);
