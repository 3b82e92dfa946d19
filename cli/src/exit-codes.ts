// orchctl exit codes: stable, documented in cli/README.md. Scripts branch on these.
export const EXIT = {
  OK: 0,
  /** Unexpected failure (a bug, or a response that breaks the contract). */
  FAILURE: 1,
  /** Bad flags or arguments. */
  USAGE: 2,
  /** Config file unreadable or invalid. */
  CONFIG: 3,
  /** The server rejected the request as invalid (400, 401, 403). */
  REJECTED: 4,
  /** The task, session or pool does not exist (404). */
  NOT_FOUND: 5,
  /** Backpressure (429): retry after the suggested time. */
  BACKPRESSURE: 6,
  /** No capacity right now (503): pool unready or unavailable. */
  UNAVAILABLE: 7,
  /** Server-side failure (500) or the stream ended with an error event. */
  SERVER: 8,
  /** Could not reach the server (connection refused, DNS, timeout). */
  UNREACHABLE: 9,
  /** The task was canceled (by another client or the server) while we watched it. */
  CANCELED: 10,
  /** Interrupted by Ctrl-C (SIGINT); `run` cancels the task on the server first. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Exit code for an HTTP error status from the server. */
export function exitForStatus(status: number): ExitCode {
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 429) return EXIT.BACKPRESSURE;
  if (status === 503) return EXIT.UNAVAILABLE;
  if (status >= 400 && status < 500) return EXIT.REJECTED;
  return EXIT.SERVER;
}
