// An admitted task's spec as core stores it. Issue 19 (placement memory with 100,000 queued tasks):
// most of a spec's fields are the same for every task of one tenant, pool and request kind, so
// those live once in a shared SpecShape and the spec reads them through getters; a queued task
// keeps only what is its own. Callers see the plain TaskSpec interface (toJSON gives every field).
// A caller that keeps the prompt and correlation id itself (placement's admission journal has them
// on disk) admits with `heldText`: core then keeps neither and reads them back when asked.
import type {
  Determinism,
  Engine,
  HeldText,
  Priority,
  TaskText,
  PromptFormat,
  TaskSpec,
  Workload,
} from '../types.js';

/** The fields many tasks share, interned by SpecShapes. */
interface SpecShape {
  readonly tenant: string;
  readonly workload: Workload;
  readonly model_ref: string;
  readonly engine: Engine;
  readonly priority: Priority;
  readonly determinism: Determinism;
  readonly sampler_profile_version: string;
  readonly prompt_format: PromptFormat;
  /** Where the prompt and correlation id are read from; undefined: the spec holds them. */
  readonly heldText: HeldText | undefined;
}

/** Distinct shapes kept; past this (a misuse: every task its own sampler name) none are shared. */
const MAX_SHAPES = 4096;

/** One SpecShape per distinct combination of its fields. */
export class SpecShapes {
  private readonly byKey = new Map<string, SpecShape>();
  /** Each text source's number in the key (one per scheduler in practice). */
  private readonly sources = new Map<HeldText, number>();

  intern(shape: SpecShape): SpecShape {
    const key = [
      shape.tenant,
      shape.workload,
      shape.model_ref,
      shape.engine,
      shape.priority,
      shape.determinism,
      shape.sampler_profile_version,
      shape.prompt_format,
      shape.heldText ? this.sourceId(shape.heldText) : '',
    ].join('\u0000');
    const known = this.byKey.get(key);
    if (known) return known;
    if (this.byKey.size < MAX_SHAPES) this.byKey.set(key, shape);
    return shape;
  }

  private sourceId(source: HeldText): number {
    let id = this.sources.get(source);
    if (id === undefined) {
      id = this.sources.size;
      if (id < MAX_SHAPES) this.sources.set(source, id);
    }
    return id;
  }
}

/** The task's own fields; see SpecShape for the rest. */
interface OwnSpecFields {
  readonly task_id: string;
  readonly session_id: string;
  readonly ctx: number;
  readonly max_tokens: number;
  readonly deadline_ms: number;
  readonly seed: number;
  readonly prompt: string;
  readonly correlation_id: string;
}

/** Builds the spec for an admitted task: its text held by the caller when the shape says so. */
export function admittedSpec(own: OwnSpecFields, shape: SpecShape): AdmittedSpec {
  return shape.heldText ? new HeldTextSpec(own, shape) : new OwnTextSpec(own, shape);
}

export abstract class AdmittedSpec implements TaskSpec {
  readonly task_id: string;
  readonly session_id: string;
  readonly ctx: number;
  readonly max_tokens: number;
  readonly deadline_ms: number;
  /** The uint32 seed as an int32: a small integer in the object, where most seeds would be boxed. */
  private readonly seedBits: number;
  protected readonly shape: SpecShape;

  constructor(own: OwnSpecFields, shape: SpecShape) {
    this.task_id = own.task_id;
    this.session_id = own.session_id;
    this.ctx = own.ctx;
    this.max_tokens = own.max_tokens;
    this.deadline_ms = own.deadline_ms;
    this.seedBits = own.seed | 0;
    this.shape = shape;
  }

  abstract readonly prompt: string;
  abstract readonly correlation_id: string;

  get seed(): number {
    return this.seedBits >>> 0;
  }

  get tenant(): string {
    return this.shape.tenant;
  }

  get workload(): Workload {
    return this.shape.workload;
  }

  get model_ref(): string {
    return this.shape.model_ref;
  }

  get engine(): Engine {
    return this.shape.engine;
  }

  get priority(): Priority {
    return this.shape.priority;
  }

  get determinism(): Determinism {
    return this.shape.determinism;
  }

  get sampler_profile_version(): string {
    return this.shape.sampler_profile_version;
  }

  get prompt_format(): PromptFormat {
    return this.shape.prompt_format;
  }

  /**
   * The same spec without its prompt (a finished task's kept record). A held text is not read
   * again: the record then keeps no correlation id either (nothing reads a finished task's).
   */
  abstract withoutPrompt(shapes: SpecShapes): AdmittedSpec;

  /**
   * The spec with its text in it: a held text is read once (a dispatch hands this copy out, so
   * the Assign and the lease's log lines do not read it again; running tasks are few).
   */
  abstract withText(shapes: SpecShapes): AdmittedSpec;

  /** Every field, as a plain object (logs, JSON, spreading); a held text is read back. */
  toJSON(): TaskSpec {
    const { heldText: _source, ...shared } = this.shape;
    return { ...shared, ...this.ownFields(this.prompt, this.correlation_id) };
  }

  protected ownFields(prompt: string, correlationId: string): OwnSpecFields {
    return {
      task_id: this.task_id,
      session_id: this.session_id,
      ctx: this.ctx,
      max_tokens: this.max_tokens,
      deadline_ms: this.deadline_ms,
      seed: this.seed,
      prompt,
      correlation_id: correlationId,
    };
  }
}

/** A spec that holds its own prompt and correlation id. */
class OwnTextSpec extends AdmittedSpec {
  readonly prompt: string;
  readonly correlation_id: string;

  constructor(own: OwnSpecFields, shape: SpecShape) {
    super(own, shape);
    this.prompt = own.prompt;
    this.correlation_id = own.correlation_id;
  }

  withoutPrompt(): AdmittedSpec {
    return new OwnTextSpec(this.ownFields('', this.correlation_id), this.shape);
  }

  withText(): AdmittedSpec {
    return this;
  }
}

/** A spec whose prompt and correlation id its shape's `heldText` reads back from the caller. */
class HeldTextSpec extends AdmittedSpec {
  get prompt(): string {
    return this.text().prompt;
  }

  get correlation_id(): string {
    return this.text().correlation_id;
  }

  withoutPrompt(shapes: SpecShapes): AdmittedSpec {
    return new OwnTextSpec(this.ownFields('', ''), this.ownShape(shapes));
  }

  withText(shapes: SpecShapes): AdmittedSpec {
    const text = this.text();
    return new OwnTextSpec(this.ownFields(text.prompt, text.correlation_id), this.ownShape(shapes));
  }

  /** The same shared fields for a spec that holds its text itself. */
  private ownShape(shapes: SpecShapes): SpecShape {
    return shapes.intern({ ...this.shape, heldText: undefined });
  }

  private text(): TaskText {
    return (this.shape.heldText as HeldText)(this.task_id);
  }
}
