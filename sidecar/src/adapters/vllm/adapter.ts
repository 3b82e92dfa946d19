// vLLM adapter: OpenAI-compatible POST /v1/completions stream, /health, /version, /v1/models and
// the vllm:* gauges on /metrics (ORCH-3054); prompt_format chat renders through POST /tokenize
// (ORCH-3102, chat-template.ts). Docs: docs.vllm.ai (serving/openai_compatible_server,
// usage/metrics, features/batch_invariance).
import {
  OpenAiCompletionsMapper,
  driveStream,
  getJson,
  getText,
  isRecord,
  num,
  openAiHttpError,
  parsePromSamples,
  promSum,
  renderChat,
  str,
} from '../openai-compatible/index.js';
import { chatTurns, rendersChat } from '../types.js';
import type {
  AdapterFactoryOptions,
  DeterminismReport,
  EngineAdapter,
  EngineHealth,
  EngineIdentity,
  GenerationEvent,
  GenerationRequest,
  LoadSignals,
} from '../types.js';
import { tokenIds, tokenizeChatBody } from './chat-template.js';
import { VLLM_SAMPLER_PROFILES, buildVllmBody, vllmProfile } from './request.js';

export class VllmAdapter implements EngineAdapter {
  readonly engine = 'vllm' as const;
  readonly samplerProfiles = Object.keys(VLLM_SAMPLER_PROFILES);
  private model: string | undefined;

  constructor(private readonly opts: AdapterFactoryOptions) {
    this.model = opts.model;
  }

  private url(path: string): URL {
    return new URL(path, this.opts.baseUrl);
  }

  async *generate(req: GenerationRequest): AsyncGenerator<GenerationEvent> {
    const mapper = new OpenAiCompletionsMapper();
    const p = vllmProfile(req.samplerProfile);
    if (!p) {
      yield* mapper.tracker.fail({
        code: 'INVALID_PARAMS',
        message: `unknown sampler profile ${req.samplerProfile}`,
        retriable: false,
      });
      return;
    }
    let model: string;
    try {
      model = await this.servedModel(req.signal);
    } catch (err) {
      yield* req.signal.aborted
        ? mapper.tracker.canceled()
        : mapper.tracker.fail({
            code: 'WORKER_RESET',
            message: `vLLM model list unavailable: ${err instanceof Error ? err.message : String(err)}`,
            retriable: true,
          });
      return;
    }
    let prompt: string | number[] = req.prompt;
    if (rendersChat(req)) {
      const rendered = await renderChat(mapper.tracker, {
        url: this.url('/tokenize'),
        body: tokenizeChatBody(model, chatTurns(req)),
        signal: req.signal,
        httpError: openAiHttpError,
        parse: tokenIds,
      });
      if (!rendered.ok) {
        yield* rendered.events;
        return;
      }
      prompt = rendered.value;
    }
    yield* driveStream(
      {
        url: this.url('/v1/completions'),
        body: buildVllmBody(req, model, p, prompt),
        signal: req.signal,
      },
      mapper,
    );
  }

  /** The configured model, else the first one /v1/models lists (vLLM serves one per process). */
  private async servedModel(signal?: AbortSignal): Promise<string> {
    if (this.model !== undefined) return this.model;
    const first = await this.firstModel(signal);
    this.model = first.id;
    return first.id;
  }

  private async firstModel(signal?: AbortSignal): Promise<{ id: string; maxLen: number }> {
    const list = await getJson(this.url('/v1/models'), signal);
    const data = isRecord(list) && Array.isArray(list.data) ? list.data : [];
    const wanted = data.find(
      (m) => isRecord(m) && (this.model === undefined || m.id === this.model),
    );
    if (!isRecord(wanted) || str(wanted.id) === undefined)
      throw new Error('/v1/models lists no model');
    return { id: String(wanted.id), maxLen: num(wanted.max_model_len) ?? 0 };
  }

  async health(signal?: AbortSignal): Promise<EngineHealth> {
    try {
      const { status, body } = await getText(this.url('/health'), signal);
      if (status === 200) return { ready: true };
      return { ready: false, reason: `engine /health ${status}: ${body.slice(0, 120)}` };
    } catch (err) {
      // While weights load the port is not listening yet.
      return {
        ready: false,
        reason: `engine /health unreachable: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  async identify(signal?: AbortSignal): Promise<EngineIdentity> {
    const v = await getJson(this.url('/version'), signal);
    const m = await this.firstModel(signal);
    this.model ??= m.id;
    return {
      engine: this.engine,
      engineVersion: isRecord(v) ? (str(v.version) ?? 'unknown') : 'unknown',
      modelPath: m.id,
      ctxMax: m.maxLen,
      slots: 1,
    };
  }

  async load(signal?: AbortSignal): Promise<LoadSignals> {
    const { status, body } = await getText(this.metricsUrl(), signal);
    if (status !== 200) throw new Error(`GET /metrics → HTTP ${status}`);
    const s = parsePromSamples(body);
    const running = promSum(s, 'vllm:num_requests_running') ?? 0;
    return {
      running,
      waiting: promSum(s, 'vllm:num_requests_waiting') ?? 0,
      slotsTotal: 1,
      slotsBusy: running > 0 ? 1 : 0,
      // kv_cache_usage_perc is 0..1 despite its name; gpu_cache_usage_perc is the deprecated name.
      kvUsageRatio:
        promSum(s, 'vllm:kv_cache_usage_perc') ?? promSum(s, 'vllm:gpu_cache_usage_perc') ?? 0,
    };
  }

  private metricsUrl(): URL {
    return this.opts.metricsUrl !== undefined
      ? new URL(this.opts.metricsUrl)
      : this.url('/metrics');
  }

  /** Reproducible only with VLLM_BATCH_INVARIANT=1, which the API cannot show: operators declare it. */
  checkDeterminism(): Promise<DeterminismReport> {
    if (this.opts.declared?.includes('batch_invariant')) {
      return Promise.resolve({ compliant: true, reasons: [] });
    }
    return Promise.resolve({
      compliant: false,
      reasons: [
        'vLLM is not batch-invariant by default (temperature 0 differs under load); declare batch_invariant only when the engine runs with VLLM_BATCH_INVARIANT=1',
      ],
    });
  }
}
