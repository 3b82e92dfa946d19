// llama.cpp adapter: drives llama-server's native streaming POST /completion (ORCH-3054).
import { chatTurns, rendersChat } from '../types.js';
import type {
  DeterminismReport,
  EngineAdapter,
  EngineHealth,
  EngineIdentity,
  EngineTelemetry,
  GenerationEvent,
  GenerationRequest,
  LaunchFacts,
  LoadSignals,
  PreparedPrompt,
} from '../types.js';
import { CompletionStreamMapper } from './completion-stream.js';
import { renderChatPrompt } from './chat-template.js';
import { checkLlamaDeterminism } from './determinism.js';
import { describe, mapHttpError, mapTransportError } from './errors.js';
import { getJson, getStatus, parsePromText, parseSlots } from './probe.js';
import { buildCompletionBody } from './request.js';
import { LLAMACPP_SAMPLER_PROFILES, samplerProfile } from './sampler-profiles.js';

/** How long an early chat-template render may take before it is given up (then rendered again). */
const PREPARE_TIMEOUT_MS = 10_000;
import { SseReader, postStream } from '../openai-compatible/index.js';
import type { StreamResponse } from '../openai-compatible/index.js';

export class LlamaCppAdapter implements EngineAdapter {
  readonly engine = 'llamacpp' as const;
  readonly samplerProfiles = Object.keys(LLAMACPP_SAMPLER_PROFILES);

  /** The engine's slots as last identified: more than one lets a request take any free slot. */
  private slots = 1;

  constructor(private readonly baseUrl: string) {}

  /**
   * Issue 19: a chat task's template is rendered as soon as its lease is accepted, so this engine
   * round trip overlaps the client's stream request instead of delaying the first token. Bounded:
   * a render nobody waits for any more ends on its own.
   */
  prepare(req: Pick<GenerationRequest, 'prompt' | 'promptFormat'>): PreparedPrompt | undefined {
    if (!rendersChat(req)) return undefined;
    return renderChatPrompt(this.baseUrl, chatTurns(req), AbortSignal.timeout(PREPARE_TIMEOUT_MS));
  }

  async *generate(req: GenerationRequest): AsyncGenerator<GenerationEvent> {
    const mapper = new CompletionStreamMapper();
    const params = samplerProfile(req.samplerProfile);
    if (!params) {
      yield* mapper.fail({
        code: 'INVALID_PARAMS',
        message: `unknown sampler profile ${req.samplerProfile}`,
        retriable: false,
      });
      return;
    }
    let prompt = req.prompt;
    if (rendersChat(req)) {
      let rendered = req.preparedPrompt ? await req.preparedPrompt : undefined;
      // Not prepared, or the early render failed (e.g. the engine restarted since): render now,
      // so a failure the task sees is one that happened on its own stream.
      if (!rendered?.ok)
        rendered = await renderChatPrompt(this.baseUrl, chatTurns(req), req.signal);
      if (!rendered.ok) {
        yield* req.signal.aborted ? mapper.close(true) : mapper.fail(rendered.error);
        return;
      }
      prompt = rendered.prompt;
    }
    let res: StreamResponse;
    try {
      res = await postStream(
        new URL('/completion', this.baseUrl),
        JSON.stringify(buildCompletionBody({ ...req, prompt }, params, this.slots)),
        req.signal,
        { accept: 'text/event-stream' },
      );
    } catch (err) {
      yield* req.signal.aborted ? mapper.close(true) : mapper.fail(mapTransportError(err));
      return;
    }
    if (res.status < 200 || res.status >= 300) {
      const text = await res.text().catch(() => '');
      yield* mapper.fail(mapHttpError(res.status, text));
      return;
    }
    // llama-server's dialect: errors arrive as `error:` lines, and some builds send bare JSON lines.
    const parser = new SseReader({ fieldEvents: ['error'], jsonLines: true });
    try {
      for await (const chunk of res.body) {
        for (const raw of parser.push(chunk)) {
          for (const ev of mapper.map(raw)) yield ev;
        }
        if (mapper.finished) return;
      }
      for (const raw of parser.flush()) {
        for (const ev of mapper.map(raw)) yield ev;
      }
      yield* mapper.close(req.signal.aborted, 'connection closed without a final event');
    } catch (err) {
      yield* req.signal.aborted ? mapper.close(true) : mapper.close(false, describe(err));
    } finally {
      // A body not read to its end is closed with its socket: llama-server is told to stop the
      // task (#4911). A finished one leaves its connection warm for the next stream.
      res.close(mapper.finished !== undefined);
    }
  }

  async health(signal?: AbortSignal): Promise<EngineHealth> {
    try {
      const { status, body } = await getStatus(this.baseUrl, '/health', signal);
      if (status === 200) return { ready: true };
      return { ready: false, reason: `engine /health ${status}: ${body.slice(0, 120)}` };
    } catch (err) {
      return { ready: false, reason: `engine /health unreachable: ${describe(err)}` };
    }
  }

  async identify(signal?: AbortSignal): Promise<EngineIdentity> {
    const props = (await getJson(this.baseUrl, '/props', signal)) as Record<string, unknown>;
    const gen = (props.default_generation_settings ?? {}) as Record<string, unknown>;
    const slots = parseSlots(await getJson(this.baseUrl, '/slots', signal));
    const ctxFromGen = typeof gen.n_ctx === 'number' ? gen.n_ctx : 0;
    this.slots = typeof props.total_slots === 'number' ? props.total_slots : slots.length;
    return {
      engine: this.engine,
      engineVersion: typeof props.build_info === 'string' ? props.build_info : 'unknown',
      modelPath: typeof props.model_path === 'string' ? props.model_path : '',
      ctxMax: slots[0]?.nCtx ?? ctxFromGen,
      slots: this.slots,
    };
  }

  async load(signal?: AbortSignal): Promise<LoadSignals> {
    const [metricsRes, slotsJson] = await Promise.all([
      getStatus(this.baseUrl, '/metrics', signal),
      getJson(this.baseUrl, '/slots', signal),
    ]);
    const m =
      metricsRes.status === 200 ? parsePromText(metricsRes.body) : new Map<string, number>();
    const slots = parseSlots(slotsJson);
    const busy = slots.filter((s) => s.isProcessing).length;
    return {
      running: m.get('llamacpp:requests_processing') ?? busy,
      waiting: m.get('llamacpp:requests_deferred') ?? 0,
      slotsTotal: slots.length,
      slotsBusy: busy,
      kvUsageRatio: m.get('llamacpp:kv_cache_usage_ratio') ?? 0,
    };
  }

  async telemetry(signal?: AbortSignal): Promise<EngineTelemetry> {
    const { status, body } = await getStatus(this.baseUrl, '/metrics', signal);
    if (status !== 200) throw new Error(`engine /metrics answered HTTP ${status}`);
    const progress = parsePromText(body).get('llamacpp:tokens_predicted_total');
    if (progress === undefined)
      throw new Error('engine /metrics has no llamacpp:tokens_predicted_total');
    return { progress };
  }

  checkDeterminism(
    launch: LaunchFacts | undefined,
    signal?: AbortSignal,
  ): Promise<DeterminismReport> {
    return checkLlamaDeterminism(this.baseUrl, launch, signal);
  }
}
