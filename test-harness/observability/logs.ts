// Reads the JSON log lines the stack's children wrote (startStack's `write` sink prefixes each
// line with `[child] `) so tests can check ORCH-3027's fields.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface LogLine {
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

/** The spec whose ORCH-3027 names the fields every log line about a task carries. */
export const SPEC_PATH = fileURLToPath(
  new URL('../../.specs/orchestrator-spec.md', import.meta.url),
);

/**
 * ORCH-3027's task-line fields, read from the spec's own sentence ("Lines about a task MUST carry
 * `a`, `b` … wherever …"), so this list cannot fall behind the spec. Throws when the section or
 * the sentence is gone: a reworded spec must be looked at, not silently test nothing.
 */
export function taskLogFieldsFromSpec(markdown: string): string[] {
  const section = markdown.split(/^### /m).find((s) => s.startsWith('ORCH-3027 '));
  if (section === undefined) throw new Error('the spec has no "### ORCH-3027" section');
  const sentence = /Lines about a task MUST carry ([\s\S]*?)\bwherever\b/.exec(section)?.[1];
  if (sentence === undefined) {
    throw new Error('ORCH-3027 no longer says "Lines about a task MUST carry … wherever"');
  }
  const fields = [...sentence.matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string);
  if (fields.length === 0) throw new Error('ORCH-3027 names no `field` in its task-line sentence');
  return fields;
}

/** The required log fields (ORCH-3027), as the gateway's per-task line must carry them. */
export const TASK_LOG_FIELDS: readonly string[] = taskLogFieldsFromSpec(
  readFileSync(SPEC_PATH, 'utf8'),
);
