// Reads the JSON log lines the stack's children wrote (startStack's `write` sink prefixes each
// line with `[child] `) so tests can check ORCH-3027's fields.

export interface LogLine {
  child: string;
  fields: Record<string, unknown>;
}

export function parseLogs(chunks: readonly string[]): { json: LogLine[]; other: string[] } {
  const json: LogLine[] = [];
  const other: string[] = [];
  for (const chunk of chunks) {
    for (const line of chunk.split('\n')) {
      const m = /^\[([^\]]+)\] (.*)$/.exec(line);
      if (!m) continue;
      const [, child = '', rest = ''] = m;
      if (!rest.startsWith('{')) {
        other.push(line);
        continue;
      }
      try {
        json.push({ child, fields: JSON.parse(rest) as Record<string, unknown> });
      } catch {
        other.push(line);
      }
    }
  }
  return { json, other };
}

/** The seed's required log fields (ORCH-3027), as the gateway's per-task line carries them. */
export const TASK_LOG_FIELDS = [
  'task_id',
  'session_id',
  'engine',
  'engine_version',
  'pool_id',
  'replica_id',
  'model_id',
  'sampler_profile_version',
  'seed',
  'queue_time_ms',
  'decode_time_ms',
  'tokens_in',
  'tokens_out',
  'kv_warmth',
  'correlation_id',
] as const;
