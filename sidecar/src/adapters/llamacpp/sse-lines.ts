// Line-buffered SSE / JSON-lines parser for llama-server streams. Engine chunks may split an
// event, a line or a UTF-8 sequence anywhere; only complete lines are consumed.
// llama-server quirks handled here: `: ping` comment lines (--sse-ping-interval) are skipped,
// and errors arrive under a non-standard `error:` field instead of `data:`.

export interface RawEvent {
  /** `message` for ordinary data, `error` for llama-server's `error:` lines. */
  event: string;
  data: string;
}

export class SseLineParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private dataLines: string[] = [];
  private eventName = 'message';

  /** Feeds one chunk; returns the events it completed. */
  push(chunk: Uint8Array | string): RawEvent[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: RawEvent[] = [];
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

  /** Ends the input: a final unterminated line or event still counts. */
  flush(): RawEvent[] {
    const out: RawEvent[] = [];
    this.buffer += this.decoder.decode();
    if (this.buffer.length > 0) {
      this.consumeLine(this.buffer, out);
      this.buffer = '';
    }
    this.dispatch(out);
    return out;
  }

  private consumeLine(line: string, out: RawEvent[]): void {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.startsWith(':')) return;
    // JSON-lines mode: a bare JSON object is a complete event by itself.
    if (line.startsWith('{')) {
      this.dispatch(out);
      out.push({ event: 'message', data: line });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataLines.push(value);
        break;
      case 'event':
        this.eventName = value;
        break;
      case 'error':
        this.dispatch(out);
        out.push({ event: 'error', data: value });
        break;
      default:
        // id, retry and unknown fields carry nothing we use.
        break;
    }
  }

  private dispatch(out: RawEvent[]): void {
    if (this.dataLines.length > 0) {
      out.push({ event: this.eventName, data: this.dataLines.join('\n') });
    }
    this.dataLines = [];
    this.eventName = 'message';
  }
}
