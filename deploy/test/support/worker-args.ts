// The engine command line of a llama.cpp GPU worker the webhook admits under strict determinism:
// one slot, no continuous batching, and every numerics-relevant size pinned (the rules live in
// @llama-orch/sidecar/llamacpp-args). The webhook, process and API-server tests share it.

/** `--parallel 1 --no-cont-batching`: the two flags a deny message names first. */
export const ONE_SLOT = ['--parallel', '1', '--no-cont-batching'] as const;

/** The pinned sizes: context, batch, micro-batch, threads. */
export const PINNED_SIZES = ['-c', '4096', '-b', '512', '-ub', '512', '-t', '8'] as const;

/** Every flag strict determinism needs, in one list. */
export const DETERMINISTIC_ARGS: readonly string[] = [...ONE_SLOT, ...PINNED_SIZES];
