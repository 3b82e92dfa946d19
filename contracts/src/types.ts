// Named aliases over the types generated from the OpenAPI documents, so callers never index
// into `components['schemas']` themselves. Generated files: ./generated (npm run regen).
import type {
  components as DataComponents,
  operations as DataOperations,
} from './generated/data.js';
import type { components as ControlComponents } from './generated/control.js';

type D = DataComponents['schemas'];
type C = ControlComponents['schemas'];

export type { DataOperations };
export type Engine = D['Engine'];
export type Workload = D['Workload'];
export type Priority = D['Priority'];
export type Determinism = D['Determinism'];
export type KvHint = D['KvHint'];
export type PlacementHint = D['PlacementHint'];
export type TaskRequest = D['TaskRequest'];
export type AdmissionResponse = D['AdmissionResponse'];
export type SessionInfo = D['SessionInfo'];
export type ErrorCode = D['ErrorCode'];
export type ErrorEnvelope = D['ErrorEnvelope'];
export type BackpressureErrorEnvelope = D['BackpressureErrorEnvelope'];
export type SseStarted = D['SseStarted'];
export type SseToken = D['SseToken'];
export type SseMetrics = D['SseMetrics'];
export type SseEnd = D['SseEnd'];
export type SseError = D['SseError'];
export type SseEvent = D['SseEvent'];
export type SseEventName = SseEvent['event'];
export type ChatMessage = D['ChatMessage'];
export type ChatCompletionRequest = D['ChatCompletionRequest'];
export type CompletionRequest = D['CompletionRequest'];
export type ChatCompletion = D['ChatCompletion'];
export type Completion = D['Completion'];
export type OpenAiUsage = D['Usage'];
export type OpenAiModel = D['Model'];
export type OpenAiModelList = D['ModelList'];
export type OpenAiErrorResponse = D['OpenAiErrorResponse'];

export type DrainRequest = C['DrainRequest'];
export type ReloadRequest = C['ReloadRequest'];
export type PoolActionAccepted = C['PoolActionAccepted'];
export type ReplicaStatus = C['ReplicaStatus'];
export type PoolHealth = C['PoolHealth'];
export type PoolMetrics = C['PoolMetrics'];
export type ReplicaSet = C['ReplicaSet'];
export type ReplicaSetList = C['ReplicaSetList'];
export type EngineCapability = C['EngineCapability'];
export type Capabilities = C['Capabilities'];
