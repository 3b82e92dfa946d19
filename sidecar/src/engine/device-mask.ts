// A supervised engine's device mask (ORCH-3001/3011/3012): the replica sees only the devices in its
// mask (CUDA_VISIBLE_DEVICES), and spans more than one GPU only with one explicit split ratio per
// device. The mask is fixed at launch; a crash restart relaunches on the same mask.

interface DevicePlacement {
  /** `cuda:<index>` entries, or exactly `['cpu']` (the CI carve-out). */
  readonly devices: readonly string[];
  /** One ratio per device; required when devices has more than one GPU. */
  readonly tensorSplit?: readonly number[];
}

export class DeviceMaskError extends Error {
  override readonly name = 'DeviceMaskError';
}

const CUDA = /^cuda:(\d{1,2})$/;

/** `cuda:0,cuda:1` → `['cuda:0', 'cuda:1']` (blank entries dropped). */
export function parseList(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** Throws DeviceMaskError for a mask the engine must not be launched with. */
export function checkPlacement(p: DevicePlacement): void {
  const { devices, tensorSplit } = p;
  if (devices.length === 0) throw new DeviceMaskError('device mask is empty');
  if (new Set(devices).size !== devices.length)
    throw new DeviceMaskError(`device mask repeats a device: ${devices.join(',')}`);
  const cpu = devices.includes('cpu');
  if (cpu && devices.length > 1) throw new DeviceMaskError('cpu cannot be mixed with GPU devices');
  for (const d of devices) {
    if (d !== 'cpu' && !CUDA.test(d)) throw new DeviceMaskError(`unknown device ${d}`);
  }
  if (tensorSplit === undefined) {
    if (devices.length > 1)
      throw new DeviceMaskError(
        `a replica on ${devices.length} GPUs needs tensor_split with one ratio per device (ORCH-3012)`,
      );
    return;
  }
  if (cpu || devices.length < 2)
    throw new DeviceMaskError('tensor_split needs a mask of two or more GPUs');
  if (tensorSplit.length !== devices.length)
    throw new DeviceMaskError(
      `tensor_split has ${tensorSplit.length} ratios for ${devices.length} devices`,
    );
  if (!tensorSplit.every((r) => Number.isFinite(r) && r > 0))
    throw new DeviceMaskError('tensor_split ratios must be positive numbers');
}

/** The engine's environment: only the mask's GPUs are visible; a cpu mask hides every GPU. */
export function maskEnv(p: DevicePlacement, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  checkPlacement(p);
  const visible = p.devices.flatMap((d) => CUDA.exec(d)?.[1] ?? []).join(',');
  return { ...base, CUDA_VISIBLE_DEVICES: visible };
}
