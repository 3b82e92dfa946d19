// Shared base for HTTP engines: SSE reading, the stream driver, OpenAI-style completions and
// errors, Prometheus parsing, the chat-template render call (ORCH-3102). Engine folders import
// from here; nothing here names an engine.
export { renderChat, userTurn } from './chat-render.js';
export type { ChatRenderRequest, ChatRendered } from './chat-render.js';
export { OpenAiCompletionsMapper } from './completions-mapper.js';
export { codeForStatus, openAiErrorParts, openAiHttpError } from './errors.js';
export * from './http.js';
export { OutcomeTracker, internal } from './outcome.js';
export { SseReader } from './sse-reader.js';
export type { SseEvent, SseReaderOptions } from './sse-reader.js';
export { driveStream } from './stream-driver.js';
export type { StreamMapper, StreamRequest } from './stream-driver.js';
