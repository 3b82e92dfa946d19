// A one-line status spinner on a TTY (stderr). Draws on a timer when an interval is given, and on
// every text change, so tests with the timer off still see each state once.
import type { OutStream } from './io.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR = '\r\x1b[2K';

export class Spinner {
  private frame = 0;
  private text = '';
  private timer: ReturnType<typeof setInterval> | undefined;
  private shown = false;

  constructor(
    private readonly out: OutStream,
    private readonly intervalMs: number,
  ) {}

  update(text: string): void {
    this.text = text;
    if (!this.timer && this.intervalMs > 0) {
      this.timer = setInterval(() => this.draw(), this.intervalMs);
      this.timer.unref?.();
    }
    this.draw();
  }

  /** Erase the line and stop; safe to call more than once. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.shown) this.out.write(CLEAR);
    this.shown = false;
  }

  private draw(): void {
    const f = FRAMES[this.frame % FRAMES.length] ?? '*';
    this.frame += 1;
    this.out.write(`${CLEAR}${f} ${this.text}`);
    this.shown = true;
  }
}
