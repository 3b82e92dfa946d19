// `tsx tools/src/toolchain/cli.ts ensure|show|verify`
//   ensure: fetch/build what is missing (idempotent); show: print the resolved toolchain as JSON,
//   with every catalog model (installed or not); verify: load it and re-hash both default models
//   (what every start does).
import { ensureToolchain } from './ensure.js';
import { isToolchainError } from './errors.js';
import type { Toolchain } from './load.js';
import { loadToolchain } from './load.js';
import { EXTRA_MODELS_ENV, MODEL_CATALOG, modelRef, modelSourceLabel } from './pins.js';

/** The toolchain plus one line per catalog model: what it is, where from, whether installed. */
function show(tc: Toolchain): object {
  const catalog = MODEL_CATALOG.map((m) => ({
    id: m.id,
    model_ref: modelRef(m),
    license: m.license,
    bytes: m.bytes,
    model_digest: `sha256:${m.sha256}`,
    source: modelSourceLabel(m),
    parts: m.source.kind === 'split' ? m.source.parts.length : 1,
    fetched: m.default ? 'by default' : `opt-in (${EXTRA_MODELS_ENV}=${m.id})`,
    installed: tc.models[m.id]?.path ?? null,
  }));
  return { ...tc, catalog };
}

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case 'ensure':
    case undefined:
      await ensureToolchain();
      return 0;
    case 'show':
      process.stdout.write(JSON.stringify(show(await loadToolchain()), null, 2) + '\n');
      return 0;
    case 'verify': {
      const tc = await loadToolchain({ verifyModel: true });
      process.stdout.write(
        `toolchain ok: model ${tc.model.name} ${tc.model.digest}, instruct model ` +
          `${tc.instructModel.name} ${tc.instructModel.digest}, engine ${tc.llamaServer.buildInfo}\n`,
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
