// TGI adapter: POST /generate_stream, /health, /info and the tgi_* gauges on /metrics (ORCH-3054);
// prompt_format chat renders through POST /chat_tokenize (ORCH-3102, chat-template.ts).
// Docs: huggingface.github.io/text-generation-inference (OpenAPI), huggingface.co/docs/
// text-generation-inference (streaming, metrics). TGI has been in maintenance mode since Dec 2025.
import {
  driveStream,
  getJson,
  getText,
  isRecord,
  num,
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
import { chatTokenizeBody, templatedText } from './chat-template.js';
import { TGI_SAMPLER_PROFILES, buildTgiBody, tgiProfile } from './request.js';
import { TgiStreamMapper } from './stream-mapper.js';

export class TgiAdapter implements EngineAdapter {
  readonly engine = 'tgi' as const;
  readonly samplerProfiles = Object.keys(TGI_SAMPLER_PROFILES);
  private maxConcurrent = 1;

  constructor(private readonly opts: AdapterFactoryOptions) {}

  private url(path: string): URL {
    return new URL(path, this.opts.baseUrl);
  }

  async *generate(req: GenerationRequest): AsyncGenerator<GenerationEvent> {
    const mapper = new TgiStreamMapper();
    const p = tgiProfile(req.samplerProfile);
    if (!p) {
      yield* mapper.tracker.fail({
        code: 'INVALID_PARAMS',
        message: `unknown sampler profile ${req.samplerProfile}`,
        retriable: false,
      });
      return;
    }
    let prompt = req.prompt;
    if (rendersChat(req)) {
      const rendered = await renderChat(mapper.tracker, {
        url: this.url('/chat_tokenize'),
        body: chatTokenizeBody(chatTurns(req)),
        signal: req.signal,
        httpError: (status, body) => mapper.httpError(status, body),
        parse: templatedText,
      });
      if (!rendered.ok) {
        yield* rendered.events;
        return;
      }
      prompt = rendered.value;
    }
    yield* driveStream(
      {
        url: this.url('/generate_stream'),
        body: buildTgiBody({ ...req, prompt }, p),
        signal: req.signal,
      },
      mapper,
    );
  }

  async health(signal?: AbortSignal): Promise<EngineHealth> {
    try {
      const { status, body } = await getText(this.url('/health'), signal);
      if (status === 200) return { ready: true };
      return { ready: false, reason: `engine /health ${status}: ${body.slice(0, 120)}` };
    } catch (err) {
      // The port stays closed until every shard is ready.
      return {
        ready: false,
        reason: `engine /health unreachable: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  async identify(signal?: AbortSignal): Promise<EngineIdentity> {
    const info = await getJson(this.url('/info'), signal);
    if (!isRecord(info)) throw new Error('/info is not an object');
    const version = str(info.version) ?? 'unknown';
    const sha = str(info.sha);
    this.maxConcurrent = num(info.max_concurrent_requests) ?? 1;
    return {
      engine: this.engine,
      engineVersion: sha ? `${version}-${sha.slice(0, 7)}` : version,
      modelPath: `${str(info.model_id) ?? ''}${info.model_sha ? `@${String(info.model_sha)}` : ''}`,
      ctxMax: num(info.max_total_tokens) ?? 0,
      slots: 1,
    };
  }

  async load(signal?: AbortSignal): Promise<LoadSignals> {
    const { status, body } = await getText(this.url('/metrics'), signal);
    if (status !== 200) throw new Error(`GET /metrics → HTTP ${status}`);
    const s = parsePromSamples(body);
    const running = promSum(s, 'tgi_batch_current_size') ?? 0;
    return {
      running,
      waiting: promSum(s, 'tgi_queue_size') ?? 0,
      slotsTotal: this.maxConcurrent,
      slotsBusy: Math.min(running, this.maxConcurrent),
      // TGI exports no KV-usage gauge.
      kvUsageRatio: 0,
    };
  }

  /** Continuous batching cannot be turned off in TGI: byte-exact replay is best effort only. */
  checkDeterminism(): Promise<DeterminismReport> {
    return Promise.resolve({
      compliant: false,
      reasons: [
        'TGI batches continuously; seeded sampling is reproducible only without concurrent load',
      ],
    });
  }
}
