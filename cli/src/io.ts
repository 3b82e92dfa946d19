// Everything the CLI touches outside itself, injectable so tests run it in-process with a fake
// terminal, a fixed clock and a scripted Ctrl-C.
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Home directory for ~/.config/llama-orch/orchctl.yaml. */
  readonly home: string;
  /** Monotonic milliseconds. */
  now(): number;
  /** Subscribe to Ctrl-C; returns an unsubscribe function. */
  onInterrupt(handler: () => void): () => void;
  readFile(path: string): Promise<string>;
  /** Fresh task and session ids (UUIDv4). */
  uuid(): string;
  /** Spinner frame interval; 0 disables the timer (tests draw frames on events only). */
  readonly spinnerIntervalMs: number;
}
