// ORCH-4020: a simulated engine says so. Its engine_version starts with `mock-` or `sim-` and its
// Register features include `simulated`, whichever adapter drives it (the engine simulator speaks
// llama.cpp's API, so the llama.cpp adapter sees only its `sim-…` build_info).
import type { EngineIdentity } from './types.js';

function isSimulatedVersion(engineVersion: string): boolean {
  return /^(mock|sim)-/.test(engineVersion);
}

/** Extra Register features implied by the engine identity. */
export function identityFeatures(identity: EngineIdentity): string[] {
  const features = [...(identity.features ?? [])];
  if (isSimulatedVersion(identity.engineVersion) && !features.includes('simulated')) {
    features.push('simulated');
  }
  return features;
}
