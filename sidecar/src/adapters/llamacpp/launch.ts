// llama-server command line for supervised mode, with the determinism recipe (ORCH-4016; the
// rules it must satisfy are launch-args.ts). Optional flags are passed only when the build's --help
// lists them, so older and newer builds both start.
import type { EngineLauncher, LaunchOptions } from '../types.js';

export function helpHas(helpText: string, flag: string): boolean {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[\\s,])${escaped}(?=[\\s,=]|$)`, 'm').test(helpText);
}

export const llamacppLauncher: EngineLauncher = {
  launchArgs(o: LaunchOptions): string[] {
    const has = (f: string): boolean => helpHas(o.helpText, f);
    const args = ['-m', o.modelPath, '--host', o.host, '--port', String(o.port)];
    args.push('-np', '1', '--no-cont-batching', '--metrics');
    args.push('-c', String(o.ctx), '-b', String(o.batch), '-ub', String(o.ubatch));
    args.push('-t', String(o.threads));
    if (has('--threads-batch')) args.push('-tb', String(o.threads));
    if (has('--no-webui')) args.push('--no-webui');
    if (has('--slots')) args.push('--slots');
    // Prompt caches: in-slot reuse, host-RAM cache, idle-slot save (each only if the build has it).
    if (has('--no-cache-prompt')) args.push('--no-cache-prompt');
    if (has('--cache-ram')) args.push('--cache-ram', '0');
    if (has('--cache-reuse')) args.push('--cache-reuse', '0');
    if (has('--no-cache-idle-slots')) args.push('--no-cache-idle-slots');
    // --fit adjusts unset arguments to device memory: values would differ per machine.
    if (has('--fit')) args.push('--fit', 'off');
    if (has('--no-context-shift')) args.push('--no-context-shift');
    // ORCH-3012: split across the mask's GPUs only with the configured ratios (device i of the
    // mask is CUDA device i inside the engine); a one-GPU mask never splits.
    // On a GPU mask every layer is offloaded, pinned rather than left to the build's default
    // (which differs across llama.cpp versions, and with it speed and numerics).
    const gpuMask = o.devices !== undefined && o.devices.some((d) => d !== 'cpu');
    if (gpuMask && has('--n-gpu-layers')) args.push('-ngl', '999');
    if (o.tensorSplit && o.tensorSplit.length > 1) {
      args.push('--split-mode', 'layer', '--tensor-split', o.tensorSplit.join(','));
    } else if (o.devices?.length === 1 && o.devices[0] !== 'cpu' && has('--split-mode')) {
      args.push('--split-mode', 'none');
    }
    if (
      /--flash-attn\s*\[?on\|off\|auto/i.test(o.helpText) ||
      /-fa,?\s+--flash-attn\s+\[?on/i.test(o.helpText)
    ) {
      args.push('-fa', 'off');
    }
    return args;
  },
};
