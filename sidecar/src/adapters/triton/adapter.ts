// Triton + TensorRT-LLM adapter: POST /v2/models/{m}/generate_stream (generate extension), readiness
// /v2/health/ready + /v2/models/{m}/ready, version from GET /v2, load from nv_trt_llm_* and
// nv_inference_* on the metrics port (default :8002) (ORCH-3054).
import { randomUUID } from 'node:crypto';
import {
  driveStream,
  getJson,
  getText,
  isRecord,
  parsePromSamples,
  promSum,
  str,
} from '../openai-compatible/index.js';
import { rendersChat } from '../types.js';
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
import {
  TRITON_SAMPLER_PROFILES,
  buildTritonBody,
  dialectFromMetadata,
  tritonProfile,
  type TritonDialect,
} from './dialect.js';
import { TritonStreamMapper } from './stream-mapper.js';

/** The TensorRT-LLM backend's conventional entry model when none is configured. */
const DEFAULT_MODEL = 'ensemble';
const DEFAULT_METRICS_PORT = '8002';

export class TritonAdapter implements EngineAdapter {
  readonly engine = 'triton' as const;
  readonly samplerProfiles = Object.keys(TRITON_SAMPLER_PROFILES);
  private readonly model: string;
  private dialect: TritonDialect | undefined;

  constructor(private readonly opts: AdapterFactoryOptions) {
    this.model = opts.model ?? DEFAULT_MODEL;
  }

  private url(path: string): URL {
    return new URL(path, this.opts.baseUrl);
  }

  private modelPath(suffix = ''): URL {
    return this.url(`/v2/models/${encodeURIComponent(this.model)}${suffix}`);
  }

  private async getDialect(signal?: AbortSignal): Promise<TritonDialect> {
    this.dialect ??= dialectFromMetadata(await getJson(this.modelPath(), signal));
    return this.dialect;
  }

  async *generate(req: GenerationRequest): AsyncGenerator<GenerationEvent> {
    const p = tritonProfile(req.samplerProfile);
    let dialect: TritonDialect;
    try {
      dialect = await this.getDialect(req.signal);
    } catch (err) {
      const m = new TritonStreamMapper({ kind: 'classic', seedField: 'seed' }, req.maxTokens);
      yield* req.signal.aborted
        ? m.tracker.canceled()
        : m.tracker.fail({
            code: 'WORKER_RESET',
            message: `Triton model metadata unavailable: ${err instanceof Error ? err.message : String(err)}`,
            retriable: true,
          });
      return;
    }
    const mapper = new TritonStreamMapper(dialect, req.maxTokens);
    if (!p) {
      yield* mapper.tracker.fail({
        code: 'INVALID_PARAMS',
        message: `unknown sampler profile ${req.samplerProfile}`,
        retriable: false,
      });
      return;
    }
    if (rendersChat(req)) {
      // ORCH-3102/3105: Triton has no chat-template endpoint, so no conversation can be rendered.
      yield* mapper.tracker.fail({
        code: 'INVALID_PARAMS',
        message: 'chat template: triton serves raw prompts only (use /v1/completions)',
        retriable: false,
      });
      return;
    }
    const id = randomUUID();
    const onAbort = (): void => void this.stop(id, dialect);
    req.signal.addEventListener('abort', onAbort, { once: true });
    try {
      yield* driveStream(
        {
          url: this.modelPath('/generate_stream'),
          body: buildTritonBody(req, dialect, p, id),
          headers: { 'triton-request-id': id },
          signal: req.signal,
        },
        mapper,
      );
    } finally {
      req.signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Closing the stream is the cancel for classic ensembles; the LLM-API model also takes an
   * explicit stop for the same request id. Best effort, bounded; the slot check confirms it.
   */
  private async stop(id: string, d: TritonDialect): Promise<void> {
    if (d.kind !== 'llmapi') return;
    await fetch(this.modelPath('/generate'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'triton-request-id': id },
      body: JSON.stringify({ id, text_input: '', stop: true }),
      signal: AbortSignal.timeout(1000),
    })
      .then((r) => r.body?.cancel())
      .catch(() => undefined);
  }

  async health(signal?: AbortSignal): Promise<EngineHealth> {
    try {
      const server = await getText(this.url('/v2/health/ready'), signal);
      if (server.status !== 200)
        return { ready: false, reason: `Triton /v2/health/ready ${server.status}` };
      const model = await getText(this.modelPath('/ready'), signal);
      if (model.status !== 200) {
        return { ready: false, reason: `Triton model ${this.model} not ready (${model.status})` };
      }
      return { ready: true };
    } catch (err) {
      return {
        ready: false,
        reason: `Triton unreachable: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  async identify(signal?: AbortSignal): Promise<EngineIdentity> {
    const server = await getJson(this.url('/v2'), signal);
    const meta = await getJson(this.modelPath(), signal);
    this.dialect = dialectFromMetadata(meta);
    const versions = isRecord(meta) && Array.isArray(meta.versions) ? meta.versions : [];
    return {
      engine: this.engine,
      engineVersion: isRecord(server) ? (str(server.version) ?? 'unknown') : 'unknown',
      modelPath: `${this.model}${versions.length > 0 ? `/${String(versions.at(-1))}` : ''}`,
      // The generate extension does not expose the engine's max sequence length.
      ctxMax: 0,
      slots: 1,
    };
  }

  async load(signal?: AbortSignal): Promise<LoadSignals> {
    const { status, body } = await getText(this.metricsUrl(), signal);
    if (status !== 200) throw new Error(`GET metrics → HTTP ${status}`);
    const s = parsePromSamples(body);
    const req = (type: string): number | undefined =>
      promSum(s, 'nv_trt_llm_request_metrics', { request_type: type });
    const running = req('scheduled') ?? req('active') ?? 0;
    const max = req('max') ?? 1;
    return {
      running,
      waiting: req('waiting') ?? promSum(s, 'nv_inference_pending_request_count') ?? 0,
      slotsTotal: max,
      slotsBusy: Math.min(running, max),
      kvUsageRatio:
        promSum(s, 'nv_trt_llm_kv_cache_block_metrics', { kv_cache_block_type: 'fraction' }) ?? 0,
    };
  }

  private metricsUrl(): URL {
    if (this.opts.metricsUrl !== undefined) return new URL(this.opts.metricsUrl);
    const u = this.url('/metrics');
    u.port = DEFAULT_METRICS_PORT;
    return u;
  }

  /** In-flight batching is always on in TensorRT-LLM: replay is best effort. */
  checkDeterminism(): Promise<DeterminismReport> {
    return Promise.resolve({
      compliant: false,
      reasons: ['TensorRT-LLM batches in flight; byte-exact replay is not guaranteed under load'],
    });
  }
}
