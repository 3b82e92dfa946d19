// The one line-buffered Server-Sent Events reader, shared by every HTTP engine adapter.
// Engine chunks may split an event, a line or a UTF-8 sequence anywhere; only complete lines are
// consumed. `:` comment lines (keep-alive pings) and unknown fields are skipped (ORCH-4014).
// Both `data: x` and `data:x` are accepted, as the SSE spec allows. Two opt-in dialect knobs
// cover engines that bend the format (an adapter names them; nothing here names an engine).

export interface SseEvent {
  /** `message` unless the engine named the event. */
  event: string;
  data: string;
}

export interface SseReaderOptions {
  /**
   * Fields that form a complete event on their own line, named after the field (an engine that
   * sends `error: {...}` instead of `event: error` + `data:`).
   */
  fieldEvents?: readonly string[];
  /** A bare JSON object line (no `data:`) is a complete event (JSON-lines streams). */
  jsonLines?: boolean;
}

export class SseReader {
  constructor(private readonly opts: SseReaderOptions = {}) {}

  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private dataLines: string[] = [];
  private eventName = 'message';

  /** Feeds one chunk; returns the events it completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: SseEvent[] = [];
    let nl = this.buffer.search(/\r\n|\n|\r/);
    while (nl >= 0) {
      const sepLen = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      // A lone trailing \r may be the first half of \r\n: wait for more input.
      if (this.buffer[nl] === '\r' && sepLen === 1 && nl === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + sepLen);
      this.consumeLine(line, out);
      nl = this.buffer.search(/\r\n|\n|\r/);
    }
    return out;
  }

  /** End of input: an unterminated last event still counts. */
  flush(): SseEvent[] {
    const out: SseEvent[] = [];
    this.buffer += this.decoder.decode();
    if (this.buffer.length > 0) this.consumeLine(this.buffer, out);
    this.buffer = '';
    this.dispatch(out);
    return out;
  }

  private consumeLine(line: string, out: SseEvent[]): void {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.startsWith(':')) return;
    if (this.opts.jsonLines && line.startsWith('{')) {
      this.dispatch(out);
      out.push({ event: 'message', data: line });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
    else if (this.opts.fieldEvents?.includes(field)) {
      this.dispatch(out);
      out.push({ event: field, data: value });
    }
    // id, retry and unknown fields carry nothing we use.
  }

  private dispatch(out: SseEvent[]): void {
    if (this.dataLines.length > 0)
      out.push({ event: this.eventName, data: this.dataLines.join('\n') });
    this.dataLines = [];
    this.eventName = 'message';
  }
}
