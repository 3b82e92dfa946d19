// What the chaos clients saw of every task, and the invariants judged over it (pure: no I/O, so
// chaos-invariants.test.ts can feed it broken histories and watch each check fail).
//
// A task is accepted when submit answered 202. The client (client.ts) decides which terminal
// event is final: `end`; an `error` once the task has `started`; a non-retriable `error`. A
// retriable `error` before `started` (the task was still queued: e.g. its held stream died with
// placement) is provisional: the client reconnects, and it turns final only if the task is then
// unknown. A connection that ends without a terminal, or a 5xx, makes the client reconnect with
// Last-Event-ID.

interface TerminalSeen {
  event: 'end' | 'error';
  code?: string;
  retriable?: boolean;
  /** ms on the run's clock (performance.now()). */
  at: number;
  /** Ends the task (see above); false for a provisional error the client reconnected after. */
  final: boolean;
  /** `end` only: its reason and `tokens_out`. */
  reason?: string;
  tokensOut?: number;
}

export interface TaskLedger {
  taskId: string;
  pool: string;
  acceptedAt: number;
  /** Stream connections made (1 = never reconnected). */
  connections: number;
  /** token index → times received (over every connection). */
  tokens: Map<number, number>;
  /** Every terminal event received, retriable or not, in order. */
  terminals: TerminalSeen[];
  /** Set when the client gave up: why it never saw a final terminal. */
  lostReason?: string;
  /** First token seen (ms, run clock), for TTFT. */
  firstTokenAt?: number;
  /** A `started` event was seen (the task left the queue). */
  started: boolean;
  /** When the first `started` arrived (ms, run clock). */
  startedAt?: number;
  /** Non-202/200 HTTP statuses seen on stream (re)connects, e.g. 404 after a restart. */
  streamStatuses: number[];
  /** The first body of such an answer (who answered, and why). */
  firstRefusal?: string;
  /** Connections that failed or broke before a terminal, and the last such error. */
  broken: number;
  lastBreak?: string;
}

export function newLedger(taskId: string, pool: string, acceptedAt: number): TaskLedger {
  return {
    taskId,
    pool,
    acceptedAt,
    connections: 0,
    tokens: new Map(),
    terminals: [],
    started: false,
    streamStatuses: [],
    broken: 0,
  };
}

export function finalTerminals(l: TaskLedger): TerminalSeen[] {
  return l.terminals.filter((t) => t.final);
}

function finalAt(l: TaskLedger): number | undefined {
  return finalTerminals(l)[0]?.at;
}

/** What the client saw before it gave up, for a lost task's message. */
function history(l: TaskLedger): string {
  if (l.connections === 0) return '';
  const parts = [
    `${l.started ? 'started' : 'never started'}, ${l.tokens.size} tokens, ${l.connections} connections`,
    ...(l.broken > 0 ? [`${l.broken} broken (last: ${l.lastBreak ?? '?'})`] : []),
    ...(l.streamStatuses.length > 0
      ? [`statuses ${l.streamStatuses.join(',')} (first: ${l.firstRefusal ?? ''})`]
      : []),
  ];
  return `; ${parts.join('; ')}`;
}

/** One task's invariant breaches (empty when it behaved). */
export function taskViolations(l: TaskLedger): string[] {
  const out: string[] = [];
  const finals = finalTerminals(l);
  if (finals.length === 0)
    out.push(`no final terminal (${l.lostReason ?? 'still open'})${history(l)}`);
  if (finals.length > 1) out.push(`${finals.length} final terminals`);
  const dup = [...l.tokens].filter(([, n]) => n > 1).map(([i]) => i);
  if (dup.length > 0) out.push(`token index ${dup.join(',')} received more than once`);
  const end = finals.find((t) => t.event === 'end');
  if (end) {
    // A stream that ended normally must have delivered every index below its count exactly once.
    const max = l.tokens.size === 0 ? -1 : Math.max(...l.tokens.keys());
    const missing: number[] = [];
    for (let i = 0; i <= max; i++) if (!l.tokens.has(i)) missing.push(i);
    if (missing.length > 0) out.push(`token index ${missing.join(',')} lost`);
    // The sidecar's own count must match what reached the client (a truncated engine stream
    // passed off as a normal end would show here). The contract (data.yaml SseEnd.tokens_out,
    // ORCH-4015) lets a `stop` count one more: the end-of-generation token has no token event.
    const extra = end.reason === 'stop' ? 1 : 0;
    const received = l.tokens.size;
    if (
      end.tokensOut !== undefined &&
      (end.tokensOut < received || end.tokensOut > received + extra)
    ) {
      out.push(
        `end (${end.reason ?? '?'}) says tokens_out ${end.tokensOut}, ${received} received` +
          (extra ? ` (at most one more allowed: the end-of-generation token)` : ''),
      );
    }
  }
  return out;
}

export interface FaultRow {
  fault: string;
  /** Accepted tasks without a final terminal when the fault struck. */
  inFlight: number;
  /** Of every task accepted up to the end of the fault's phase: none or several final terminals
   * aside, those that never reached one. */
  lost: number;
  /** Tasks with a token index seen twice or more than one final terminal. */
  duplicated: number;
  /** Over the in-flight tasks: fault → final terminal, max ms. */
  maxToTerminalMs: number;
  /** Fault → every replica Ready again and a fresh task served, ms. */
  recoveryMs: number;
  /** Every breach, `task: what`, for the assertion message. */
  violations: string[];
}

/**
 * The row of one fault: `phase` is every task accepted in the phase (before and during the fault
 * up to recovery), judged after all of them settled; `inFlightAtFault` the ids open at the fault.
 */
export function faultRow(
  fault: string,
  phase: readonly TaskLedger[],
  inFlightAtFault: ReadonlySet<string>,
  faultAt: number,
  recoveryMs: number,
): FaultRow {
  let lost = 0;
  let duplicated = 0;
  let maxTo = 0;
  const violations: string[] = [];
  for (const l of phase) {
    const v = taskViolations(l);
    const finals = finalTerminals(l).length;
    if (finals === 0) lost += 1;
    if (finals > 1 || [...l.tokens.values()].some((n) => n > 1)) duplicated += 1;
    for (const x of v) violations.push(`${l.pool}/${l.taskId}: ${x}`);
    if (inFlightAtFault.has(l.taskId)) {
      const at = finalAt(l);
      if (at !== undefined) maxTo = Math.max(maxTo, at - faultAt);
    }
  }
  return {
    fault,
    inFlight: inFlightAtFault.size,
    lost,
    duplicated,
    maxToTerminalMs: Math.round(maxTo),
    recoveryMs: Math.round(recoveryMs),
    violations,
  };
}

export function renderTable(rows: readonly FaultRow[]): string {
  const head = [
    'fault',
    'tasks in flight',
    'lost',
    'duplicated',
    'max time to terminal (ms)',
    'recovery time (ms)',
  ];
  const body = rows.map((r) => [
    r.fault,
    String(r.inFlight),
    String(r.lost),
    String(r.duplicated),
    String(r.maxToTerminalMs),
    String(r.recoveryMs),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => (b[c] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((x, c) => x.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  return [
    line(head),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...body.map(line),
  ].join('\n');
}
