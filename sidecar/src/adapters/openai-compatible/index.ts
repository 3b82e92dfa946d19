// Shared base for HTTP engines: SSE reading, the stream driver, OpenAI-style completions and
// errors, Prometheus parsing, the chat-template render call (ORCH-3102). Engine folders import
// from here; nothing here names an engine.
export { renderChat } from './chat-render.js';
export { OpenAiCompletionsMapper } from './completions-mapper.js';
export { codeForStatus, openAiHttpError } from './errors.js';
export {
  getJson,
  getText,
  isRecord,
  num,
  parsePromSamples,
  postStream,
  promSum,
  str,
} from './http.js';
export type { StreamResponse } from './http.js';
export { OutcomeTracker, internal } from './outcome.js';
export { SseReader } from './sse-reader.js';
export type { SseEvent } from './sse-reader.js';
export { driveStream } from './stream-driver.js';
export type { StreamMapper } from './stream-driver.js';
