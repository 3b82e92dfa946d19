// Determinism lint of an engine container's command line (ORCH-3112). The rules are the sidecar's
// own (@llama-orch/sidecar/llamacpp-args), so the webhook denies at admission exactly what a strict
// sidecar would refuse at startup, and the denial names the flag so the fix is obvious.
import type { Container } from './pod-types.js';

export { llamaCppDeterminismFindings } from '@llama-orch/sidecar/llamacpp-args';
export type { ArgFinding } from '@llama-orch/sidecar/llamacpp-args';

/** The container's whole command line: command then args, as the kubelet runs it. */
export const commandLine = (c: Container): string[] => [...(c.command ?? []), ...(c.args ?? [])];
