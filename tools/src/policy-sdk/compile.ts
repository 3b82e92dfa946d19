// ORCH-3133: compiles the policy SDK's AssemblyScript policies (tools/policy-sdk/assembly) to wasm
// with the pinned AssemblyScript compiler from npm. Policies are built with the stub runtime (no
// GC), no abort handler (an assertion becomes `unreachable`, not an import), and no other import,
// so the host's purity check accepts them. Output: tools/policy-sdk/build/<name>.wasm, rebuilt
// when a source is newer than it.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const POLICY_SDK_DIR = fileURLToPath(new URL('../../policy-sdk/', import.meta.url));
const ASSEMBLY = join(POLICY_SDK_DIR, 'assembly');
export const POLICY_BUILD_DIR = join(POLICY_SDK_DIR, 'build');

/** Policies the SDK ships: the sample and the misbehaving ones the host's tests use. */
export const POLICIES = [
  'sample',
  'misbehaving/spin',
  'misbehaving/trap',
  'misbehaving/garbage',
  'misbehaving/stateful',
] as const;
export type PolicyName = (typeof POLICIES)[number] | 'misbehaving/clock';

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export function policyWasmPath(name: PolicyName): string {
  return join(POLICY_BUILD_DIR, `${name.replace('/', '-')}.wasm`);
}

/** Compile one policy (if stale) and return its wasm bytes. Throws with asc's diagnostics. */
export async function compilePolicy(name: PolicyName): Promise<Uint8Array> {
  const out = policyWasmPath(name);
  if (!existsSync(out) || statSync(out).mtimeMs < newestSource(ASSEMBLY)) {
    mkdirSync(dirname(out), { recursive: true });
    // Loaded on demand: the compiler (binaryen) is large, and importing @llama-orch/tools must
    // not pay for it.
    const { default: asc } = await import('assemblyscript/asc');
    const stderr: string[] = [];
    const { error } = await asc.main(
      [
        relative(process.cwd(), join(ASSEMBLY, `${name}.ts`)),
        '--outFile',
        relative(process.cwd(), out),
        '--runtime',
        'stub',
        '--use',
        'abort=',
        '--optimizeLevel',
        '3',
        '--shrinkLevel',
        '0',
        '--noAssert',
      ],
      {
        stderr: {
          write: (s: string | Uint8Array) => {
            stderr.push(typeof s === 'string' ? s : new TextDecoder().decode(s));
            return true;
          },
        } as never,
      },
    );
    if (error) throw new Error(`asc ${name}: ${error.message}\n${stderr.join('')}`);
  }
  return new Uint8Array(await readFile(out));
}

/** `npm run build:policies`: build every shipped policy. */
export async function buildPolicies(): Promise<string[]> {
  const built: string[] = [];
  for (const name of POLICIES) {
    await compilePolicy(name);
    built.push(policyWasmPath(name));
  }
  return built;
}
