// The only code that writes SSE framing on the data path (wire-protocol.md, ORCH-2002).
// JSON.stringify escapes newlines, so `data:` is always exactly one line.

export type SseEventName = 'started' | 'token' | 'metrics' | 'end' | 'error';

export function formatSseEvent(name: SseEventName, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
