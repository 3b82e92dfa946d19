// REQUIRE_REAL_LLAMA=1 (seed §4 anti-cheat): the gate refuses to judge output from anything but
// a real llama.cpp replica serving the verified model. Pure: callers pass what they read
// through Envoy (pool health, capabilities) and the digest of the GGUF they verified on disk.

export interface ReplicaView {
  replica_id: string;
  engine: string;
  engine_version: string;
  model_digest: string;
  ready: boolean;
}

interface RealEngineEvidence {
  replicas: readonly ReplicaView[];
  /** features from GET /v1/capabilities (a simulated engine advertises "simulated"). */
  capabilityFeatures: readonly string[];
  /** "sha256:<hex>" of the GGUF the toolchain verified. */
  expectedModelDigest: string;
}

/** llama.cpp's build_info is "b<build>-<commit>" (engines.md §1). */
const LLAMA_BUILD_INFO = /^b\d+-[0-9a-f]{7,40}$/;

function bareHex(digest: string): string {
  return digest.replace(/^sha256:/, '').toLowerCase();
}

/** Reasons the evidence does not prove a real engine; empty when it does. */
export function realEngineProblems(evidence: RealEngineEvidence): string[] {
  const problems: string[] = [];
  if (evidence.replicas.length === 0) problems.push('no replica is registered');
  if (evidence.capabilityFeatures.includes('simulated')) {
    problems.push('capabilities advertise a simulated engine');
  }
  for (const r of evidence.replicas) {
    if (r.engine !== 'llamacpp') problems.push(`${r.replica_id}: engine is ${r.engine}`);
    if (!LLAMA_BUILD_INFO.test(r.engine_version)) {
      problems.push(
        `${r.replica_id}: engine_version "${r.engine_version}" is not a llama.cpp build`,
      );
    }
    if (bareHex(r.model_digest) !== bareHex(evidence.expectedModelDigest)) {
      problems.push(
        `${r.replica_id}: model_digest ${r.model_digest} ≠ verified ${evidence.expectedModelDigest}`,
      );
    }
  }
  return problems;
}
