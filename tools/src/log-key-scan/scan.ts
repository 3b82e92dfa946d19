// ORCH-3141: searches every log a test run wrote (`<run dir>/logs/`, filled by the stacks through
// LLAMA_ORCH_RUN_LOGS) for every API key the run's tests recorded (`<run dir>/keys/`). A scan
// with nothing to search is a failure, never a pass: no log file, only empty files, or no key.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RUN_LOG_TRUNCATED } from '../procs/run-logs.js';

/** Shorter keys would match ordinary words in logs; tests must use longer ones. */
const MIN_KEY_LENGTH = 8;

interface KeyHit {
  /** Relative to the run directory. */
  readonly file: string;
  readonly line: number;
  /** The first characters of the key, never the whole key. */
  readonly keyPrefix: string;
  readonly keyLength: number;
  /** How the key appeared: raw, URL-encoded, JSON-escaped. */
  readonly form: string;
}

interface ScanReport {
  readonly files: number;
  readonly bytes: number;
  readonly keys: number;
  readonly hits: readonly KeyHit[];
  /** Files that reached the run-log size limit (their tail was not written, so not searched). */
  readonly truncated: readonly string[];
  /** Why the scan could not vouch for anything; empty when it could. */
  readonly problems: readonly string[];
}

/** What may be shown of a key: a third of it at most, six characters at most. */
export function keyPrefix(key: string): string {
  return key.slice(0, Math.min(6, Math.floor(key.length / 3)));
}

function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function recordedKeys(runDir: string): string[] {
  const keys = new Set<string>();
  for (const file of filesUnder(join(runDir, 'keys'))) {
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line !== '') keys.add(line);
  }
  return [...keys];
}

/** The forms a key takes in a log line: as sent, URL-encoded, inside a JSON string. */
function formsOf(key: string): [string, string][] {
  const forms: [string, string][] = [['raw', key]];
  const url = encodeURIComponent(key);
  if (url !== key) forms.push(['url-encoded', url]);
  const json = JSON.stringify(key).slice(1, -1);
  if (json !== key) forms.push(['json-escaped', json]);
  return forms;
}

export function scanRunDir(runDir: string): ScanReport {
  const problems: string[] = [];
  const logs = filesUnder(join(runDir, 'logs'));
  const keys = recordedKeys(runDir);
  let bytes = 0;
  const hits: KeyHit[] = [];
  const truncated: string[] = [];
  for (const key of keys) {
    if (key.length < MIN_KEY_LENGTH) {
      problems.push(
        `a recorded key of ${key.length} characters ("${keyPrefix(key)}…") is shorter than ` +
          `${MIN_KEY_LENGTH}: it would match ordinary log text; give the test a longer key`,
      );
    }
  }
  for (const file of logs) {
    const text = readFileSync(file, 'latin1');
    bytes += text.length;
    const rel = relative(runDir, file);
    if (text.includes(RUN_LOG_TRUNCATED)) truncated.push(rel);
    for (const key of keys) {
      for (const [form, needle] of formsOf(key)) {
        let at = text.indexOf(needle);
        while (at !== -1) {
          const line = text.slice(0, at).split('\n').length;
          hits.push({ file: rel, line, keyPrefix: keyPrefix(key), keyLength: key.length, form });
          at = text.indexOf(needle, at + needle.length);
        }
      }
    }
  }
  if (logs.length === 0) {
    problems.push(
      `no log file under ${join(runDir, 'logs')}: nothing was searched (did the tests run with ` +
        `LLAMA_ORCH_RUN_LOGS set, and did any stack start?)`,
    );
  } else if (bytes === 0) {
    problems.push(`all ${logs.length} log files under ${join(runDir, 'logs')} are empty`);
  }
  if (keys.length === 0) {
    problems.push(
      `no API key recorded under ${join(runDir, 'keys')}: no test with authentication ran, ` +
        `so the logs were searched for nothing`,
    );
  }
  return { files: logs.length, bytes, keys: keys.length, hits, truncated, problems };
}

/** The report as lines for a person; ok is true only with no hit and no problem. */
export function describeScan(runDir: string, r: ScanReport): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  for (const h of r.hits) {
    lines.push(
      `${h.file}:${h.line}: API key "${h.keyPrefix}…" (${h.keyLength} chars, ${h.form}) is in this log`,
    );
  }
  for (const p of r.problems) lines.push(`key-free logs: ${p}`);
  for (const t of r.truncated) {
    lines.push(`key-free logs: note: ${t} reached the size limit; its tail was not written`);
  }
  const ok = r.hits.length === 0 && r.problems.length === 0;
  const mib = (r.bytes / 1024 / 1024).toFixed(1);
  lines.push(
    `key-free logs (ORCH-3141): ${r.files} log files (${mib} MiB) under ${runDir}, ${r.keys} keys: ` +
      (ok
        ? 'no key found'
        : `FAILED (${r.hits.length} key occurrences, ${r.problems.length} problems)`),
  );
  return { ok, lines };
}
