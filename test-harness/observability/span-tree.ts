// Renders the spans of one trace as an indented tree (service/name, span id), children under
// their parent in start order; spans whose parent was not received are shown as roots, marked.
import type { ReceivedSpan } from './otlp-receiver.js';

export function spanTree(spans: readonly ReceivedSpan[]): string {
  const byStart = [...spans].sort((a, b) => compareNanos(a.startTimeUnixNano, b.startTimeUnixNano));
  const ids = new Set(byStart.map((s) => s.spanId));
  const lines: string[] = [];
  const walk = (span: ReceivedSpan, depth: number): void => {
    const links = span.links.map((l) => ` (link -> ${l.traceId.slice(0, 8)}…/${l.spanId})`);
    lines.push(
      `${'  '.repeat(depth)}${span.service}: ${span.name} [${span.spanId}]${links.join('')}`,
    );
    for (const child of byStart.filter((s) => s.parentSpanId === span.spanId))
      walk(child, depth + 1);
  };
  for (const root of byStart.filter((s) => !ids.has(s.parentSpanId))) {
    if (root.parentSpanId !== '') lines.push(`(parent ${root.parentSpanId} not received)`);
    walk(root, root.parentSpanId === '' ? 0 : 1);
  }
  return `trace ${spans[0]?.traceId ?? '(none)'}\n${lines.join('\n')}`;
}

function compareNanos(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
