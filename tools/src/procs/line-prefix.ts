// Line-buffered prefixing: child output is split on newlines and each complete line is written
// with a `[name]` prefix, so interleaved logs from several children stay readable.

export type LineSink = (line: string) => void;

export class LineSplitter {
  private pending = '';

  constructor(private readonly sink: LineSink) {}

  push(chunk: Buffer | string): void {
    const parts = (this.pending + chunk.toString()).split(/\r?\n/);
    this.pending = parts.pop() ?? '';
    for (const p of parts) this.sink(p);
  }

  /** Emits a trailing partial line, if any (call when the stream ends). */
  flush(): void {
    if (this.pending !== '') this.sink(this.pending);
    this.pending = '';
  }
}

export function prefixedWriter(
  name: string,
  out: (s: string) => void = (s) => process.stderr.write(s),
): LineSink {
  return (line) => out(`[${name}] ${line}\n`);
}
