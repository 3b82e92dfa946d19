// Names and values the consumer pacts and the provider verification share. Provider states carry
// their parameters, so the provider side needs nothing from here but the file location.
import { fileURLToPath } from 'node:url';

export const CONSUMER = 'orchctl';
export const PROVIDER = 'llama-orch-gateway';
export const PACT_DIR = fileURLToPath(new URL('../../contracts/pacts/', import.meta.url));
export const PACT_FILE = `${PACT_DIR}${CONSUMER}-${PROVIDER}.json`;

/** The model of the test stack's pool (startStack's default `fast` model, SmolLM2-135M). */
export const MODEL = 'SmolLM2-135M-Instruct-Q4_1';
/** A model of a configured pool that no replica serves (the provider adds that pool). */
export const STANDBY_MODEL = 'standby-model';
export const ENGINE = 'llamacpp';

export const IDS = {
  submitted: '6f1c2b9e-1d2a-4c1e-9a51-3e0f5b7c9d10',
  rejected: '6f1c2b9e-1d2a-4c1e-9a51-3e0f5b7c9d11',
  queueFull: '6f1c2b9e-1d2a-4c1e-9a51-3e0f5b7c9d12',
  unavailable: '6f1c2b9e-1d2a-4c1e-9a51-3e0f5b7c9d13',
  streamed: '6f1c2b9e-1d2a-4c1e-9a51-3e0f5b7c9d14',
  canceled: '6f1c2b9e-1d2a-4c1e-9a51-3e0f5b7c9d15',
  unknownTask: '6f1c2b9e-1d2a-4c1e-9a51-3e0f5b7c9dff',
  session: '0b6c9a52-7d4f-4e8a-8f1e-2c3d4e5f6a01',
  sessionToDelete: '0b6c9a52-7d4f-4e8a-8f1e-2c3d4e5f6a02',
  unknownSession: '0b6c9a52-7d4f-4e8a-8f1e-2c3d4e5f6aff',
} as const;

export const STATES = {
  ready: 'a Ready pool serves the model',
  queueFull: 'the interactive queue for the model is full',
  noReplica: 'no replica serves the standby model',
  taskQueued: 'a task is queued',
  sessionTurn: 'a session has one finished turn',
  standbyPool: 'the standby pool exists',
  standbyDraining: 'the standby pool is draining',
  standbyServing: 'the standby pool is not draining',
} as const;

/** A model ref no pool has and the configuration's models[] does not list. */
export const UNCONFIGURED_MODEL = 'not-a-configured-model';

/** The configured pool with no replica: drain/reload on it cannot disturb other interactions. */
export const STANDBY_POOL = 'standby';

/** A real transcript shape (continuation prompt, fixed seed) used as the example SSE body. */
export const SSE_EXAMPLE =
  'id: 0\nevent: started\ndata: {"queue_position":0,"predicted_start_ms":0}\n\n' +
  'id: 1\nevent: token\ndata: {"t":" Paris","i":0}\n\n' +
  'id: 2\nevent: token\ndata: {"t":".","i":1}\n\n' +
  'id: 3\nevent: end\ndata: {"tokens_out":2,"decode_time_ms":41,"reason":"stop"}\n\n';

/**
 * Any contract-shaped transcript: started, tokens/metrics, one terminal event (ORCH-2027/2029),
 * each with its id (ORCH-4032).
 */
export const SSE_REGEX =
  '^id: 0\\nevent: started\\ndata: \\{[^\\n]*\\}\\n\\n' +
  '(id: [0-9]+\\nevent: (token|metrics)\\ndata: \\{[^\\n]*\\}\\n\\n)*' +
  'id: [0-9]+\\nevent: (end|error)\\ndata: \\{[^\\n]*\\}\\n\\n$';
