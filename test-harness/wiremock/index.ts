// Shared WireMock test helpers: a real WireMock JVM per test file, stubs built from documented
// engine formats. Import as `@llama-orch/test-harness/wiremock`.
export { startWireMock, wiremockJar } from './server.js';
export type { WireMockServer } from './server.js';
export { resetStubs, sseBody, stub } from './sse.js';
export type { StubResponse } from './sse.js';
