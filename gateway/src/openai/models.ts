// GET /v1/models (ORCH-3103): one entry per model a Ready replica serves, with the identity of
// the replica that reports it (engine, engine_version, model_digest) as extra fields.
import type { OpenAiModelList } from '@llama-orch/contracts';
import type { ReplicaRecord } from '../replicas/registry.js';
import { normalizeDigest } from '../replicas/registry.js';

export function modelList(
  replicas: readonly ReplicaRecord[],
  ready: (r: ReplicaRecord) => boolean,
  createdSec: number,
): OpenAiModelList {
  const byRef = new Map<string, OpenAiModelList['data'][number]>();
  for (const r of replicas) {
    const reg = r.register;
    if (!ready(r) || byRef.has(reg.modelRef)) continue;
    byRef.set(reg.modelRef, {
      id: reg.modelRef,
      object: 'model',
      created: createdSec,
      owned_by: 'llama-orch',
      engine: r.engine,
      engine_version: reg.engineVersion || 'unknown',
      model_digest: normalizeDigest(reg.modelDigest),
    });
  }
  return { object: 'list', data: [...byRef.values()].sort((a, b) => a.id.localeCompare(b.id)) };
}
