// The pod-facing contract of injection (ORCH-3111): which label selects a GPU worker, which
// annotations steer the sidecar, and the marker that makes injection idempotent.
import { ENGINES, isEngine, type Engine } from '@llama-orch/contracts/engines';

export const ENGINE_LABEL = 'llama-orch.io/engine';
export const POOL_ANNOTATION = 'llama-orch.io/pool';
export const REPLICA_SET_ANNOTATION = 'llama-orch.io/replica-set';
export const MODEL_REF_ANNOTATION = 'llama-orch.io/model-ref';
/** The GGUF's sha256 (`sha256:<hex>`), part of the replica-set identity (ORCH-3046). */
export const MODEL_DIGEST_ANNOTATION = 'llama-orch.io/model-digest';
export const ENGINE_PORT_ANNOTATION = 'llama-orch.io/engine-port';
export const ENGINE_CONTAINER_ANNOTATION = 'llama-orch.io/engine-container';
/** Set by the webhook on the pods it changed; a pod carrying it is never injected again. */
export const INJECTED_ANNOTATION = 'llama-orch.io/sidecar-injected';
export const SIDECAR_CONTAINER = 'llama-orch-sidecar';

/** The engine label takes exactly the engines of the contracts' catalogue (ORCH-2008). */
export { ENGINES, isEngine, type Engine };

/** Where each engine listens by default inside its container (its own documented default). */
export const DEFAULT_ENGINE_PORT: Readonly<Record<Engine, number>> = {
  llamacpp: 8080,
  vllm: 8000,
  tgi: 80,
  triton: 8000,
};
