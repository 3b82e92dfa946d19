// The adapter seam (ORCH-3054, ORCH-4014): the only surface shared code sees of an engine.
// Each engine lives in its own folder under adapters/ and implements these interfaces; nothing
// engine-specific (URLs, field names, flags) leaks outside that folder.
import type { Engine, ErrorCode, PromptFormat } from '@llama-orch/contracts';

/** Public error codes an adapter may raise; a subset of the contract's ErrorEnvelope codes. */
export type AdapterErrorCode = Extract<
  ErrorCode,
  'WORKER_RESET' | 'DECODE_TIMEOUT' | 'INVALID_PARAMS' | 'INTERNAL' | 'REPLICA_EXHAUSTED'
>;

export interface AdapterError {
  code: AdapterErrorCode;
  message: string;
  retriable: boolean;
}

/** What shared code asks an engine to do: already normalised (seed filled, profile chosen). */
export interface GenerationRequest {
  prompt: string;
  /**
   * ORCH-3102: `chat` asks the adapter to render `prompt` as one user turn with the model's own
   * chat template (through the engine, so the template is the one the model ships) before
   * decoding; `raw` sends it unchanged. Absent means raw.
   */
  promptFormat?: PromptFormat;
  /**
   * ORCH-3105: a whole conversation (OpenAI `messages`) to render with the model's own chat
   * template instead of `prompt` as one user turn. Set, it implies chat rendering.
   */
  messages?: readonly ChatTurn[];
  /** ORCH-3105: per-request sampling (OpenAI parameters) over the profile; absent = the profile. */
  sampling?: SamplingOverrides;
  /**
   * The chat prompt EngineAdapter.prepare began rendering when the lease was accepted (issue 19:
   * the engine round trip overlaps the client's stream request). Only for the same turns.
   */
  preparedPrompt?: PreparedPrompt;
  maxTokens: number;
  seed: number;
  /** Sampler profile name, e.g. `v1` or `greedy` (ORCH-3058). */
  samplerProfile: string;
  signal: AbortSignal;
}

/** A chat prompt rendered by the engine's template, or why it could not be. */
export type PreparedPrompt = Promise<
  { ok: true; prompt: string } | { ok: false; error: AdapterError }
>;

export interface ChatTurn {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string;
}

export interface SamplingOverrides {
  temperature?: number;
  topP?: number;
  /** Stop strings: decoding ends before the first match (reason `stop`). */
  stop?: readonly string[];
}

/** Whether the request is rendered through the chat template (a profile prompt or messages). */
export function rendersChat(req: Pick<GenerationRequest, 'promptFormat' | 'messages'>): boolean {
  return req.messages !== undefined || req.promptFormat === 'chat';
}

/** The turns the engine renders: the OpenAI conversation, else the prompt as one user turn. */
export function chatTurns(req: Pick<GenerationRequest, 'prompt' | 'messages'>): ChatTurn[] {
  return req.messages ? [...req.messages] : [{ role: 'user', content: req.prompt }];
}

export type FinishReason = 'stop' | 'length' | 'canceled' | 'error';

export interface GenerationOutcome {
  reason: FinishReason;
  tokensIn: number;
  tokensOut: number;
  /** Engine-reported prompt (prefill) time, when known. */
  promptMs?: number;
  /** Engine-reported decode time, when known. */
  decodeMs?: number;
  error?: AdapterError;
}

/**
 * Normalised stream: zero or more `token` events, then exactly one `outcome`.
 * A generate() iterable never throws; every failure becomes an outcome with reason `error`.
 */
export type GenerationEvent =
  | { type: 'token'; text: string; tokenIds: readonly number[] }
  | { type: 'outcome'; outcome: GenerationOutcome };

export interface EngineHealth {
  ready: boolean;
  reason?: string;
}

export interface EngineIdentity {
  engine: Engine;
  /** Build identity, e.g. llama.cpp `b6497-abcdef0` (ORCH-3032). */
  engineVersion: string;
  modelPath: string;
  ctxMax: number;
  slots: number;
  /** Extra Register features the engine implies, e.g. `simulated` (ORCH-4020). */
  features?: readonly string[];
}

export interface LoadSignals {
  running: number;
  waiting: number;
  slotsTotal: number;
  slotsBusy: number;
  /** 0..1 when the engine reports it, else 0. */
  kvUsageRatio: number;
}

export interface EngineTelemetry {
  /** A counter of work done (e.g. tokens predicted) that must grow after a decode. */
  progress: number;
}

export interface DeterminismReport {
  compliant: boolean;
  /** Human-readable reasons for non-compliance (empty when compliant). */
  reasons: string[];
}

/** What the engine was launched with, if the sidecar launched it (supervised mode). */
export interface LaunchFacts {
  args: readonly string[];
  ctx: number;
}

export interface EngineAdapter {
  readonly engine: Engine;
  readonly samplerProfiles: readonly string[];
  generate(req: GenerationRequest): AsyncIterable<GenerationEvent>;
  /**
   * Optional: start what a request needs before decoding (rendering the chat template) as soon as
   * its lease is accepted; generate() then receives it as `preparedPrompt`. Undefined: nothing to
   * prepare for this request.
   */
  prepare?(req: Pick<GenerationRequest, 'prompt' | 'promptFormat'>): PreparedPrompt | undefined;
  health(signal?: AbortSignal): Promise<EngineHealth>;
  identify(signal?: AbortSignal): Promise<EngineIdentity>;
  load(signal?: AbortSignal): Promise<LoadSignals>;
  /**
   * The engine's own telemetry (ORCH-3049 self-test): throws when it is unreadable. Optional:
   * without it the self-test only requires `load()` to answer.
   */
  telemetry?(signal?: AbortSignal): Promise<EngineTelemetry>;
  /** Checks the live engine (and its launch flags when known) against the determinism recipe. */
  checkDeterminism(
    launch: LaunchFacts | undefined,
    signal?: AbortSignal,
  ): Promise<DeterminismReport>;
}

export interface LaunchOptions {
  binary: string;
  modelPath: string;
  host: string;
  port: number;
  ctx: number;
  threads: number;
  batch: number;
  ubatch: number;
  /** The binary's `--help` text, so optional flags are only passed when supported. */
  helpText: string;
  /** The replica's device mask (ORCH-3011); the engine sees it as CUDA_VISIBLE_DEVICES. */
  devices?: readonly string[];
  /** One split ratio per mask device; only set for a multi-GPU mask (ORCH-3012). */
  tensorSplit?: readonly number[];
}

/** Builds the command line for a supervised engine (ORCH-4016). */
export interface EngineLauncher {
  launchArgs(opts: LaunchOptions): string[];
}

export interface AdapterFactoryOptions {
  baseUrl: string;
  /** Served model name, for engines that route by model (vLLM, Triton); else discovered. */
  model?: string;
  /** Metrics endpoint when not on baseUrl (Triton serves it on its own port). */
  metricsUrl?: string;
  /** Operator-declared engine properties the API cannot show, e.g. `batch_invariant` (vLLM). */
  declared?: readonly string[];
}

export interface AdapterModule {
  engine: Engine;
  /** Registry key when it differs from `engine` (the in-process `mock`). */
  name?: string;
  create(opts: AdapterFactoryOptions): EngineAdapter;
  launcher?: EngineLauncher;
  /**
   * Launch facts from a command line someone else launched and declared (the injection webhook
   * passes the engine container's, which it verified at admission), so a strict sidecar can check
   * an engine it did not start. Absent: declared command lines mean nothing to this engine.
   */
  declaredLaunch?(argv: readonly string[]): LaunchFacts;
}
