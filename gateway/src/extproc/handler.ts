// The small interface the ext_proc loop calls; the layer that calls it defines it (CONTRIBUTING.md,
// "Envoy types stay in extproc/"). Plain TypeScript only: the codec turns Envoy messages into
// these and back.

/** A stream request as placement sees it, stripped of every Envoy type. */
export interface PlacementRequest {
  readonly method: string;
  readonly path: string;
  /** Task id parsed from `/v1/tasks/{id}/stream`; undefined when the path has another shape. */
  readonly taskId: string | undefined;
  readonly correlationId: string | undefined;
  /** ORCH-3144: the client's X-Correlation-Id broke the contract; the request is refused with it. */
  readonly correlationRefusal?: Error;
  /** Lower-case header names; multi-valued headers are comma-joined. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The buffered request body (UTF-8), only on the OpenAI routes where Envoy sends it
   * (ORCH-3104); undefined on every other route, which never buffers.
   */
  readonly body?: string;
  /** The caller's tenant, once the auth guard has resolved it (ORCH-3035). */
  readonly tenant?: string;
}

/** Forward the request upstream with these headers set (overwriting any existing copy). */
interface RouteDecision {
  readonly kind: 'route';
  readonly setHeaders: Readonly<Record<string, string>>;
  /** Lower-case names of headers that must not travel upstream (e.g. the client's API key). */
  readonly removeHeaders?: readonly string[];
  /**
   * Dynamic metadata for the filters after ext_proc, by namespace then key (string values). The
   * endpoint-picker protocol (ORCH-4018) puts the picked endpoint under `envoy.lb`, where an
   * ORIGINAL_DST cluster with a `metadata_key` reads it.
   */
  readonly dynamicMetadata?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** Answer the client directly; the request never reaches an upstream. */
export interface RespondDecision {
  readonly kind: 'respond';
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Goes to Envoy's %RESPONSE_CODE_DETAILS% (access logs). */
  readonly details: string;
}

export type PlacementDecision = RouteDecision | RespondDecision;

export interface Placer {
  /**
   * Decide where the stream goes. May hold for as long as the task waits in the queue; `signal`
   * aborts when Envoy (or the client behind it) goes away.
   */
  decide(request: PlacementRequest, signal: AbortSignal): Promise<PlacementDecision>;
}
