# syntax=docker/dockerfile:1.7
# Image of placement (gateway/) and the edge bootstrap renderer (envoy/). Build from the repository root:
#   docker build -f deploy/docker/placement.Dockerfile -t llama-orch/placement:0.1.0 .
# NOT BUILT HERE: no image registry is reachable from this project's machines, so this file has
# never been built or run; see deploy/README.md.
# Built once in the build stage (tools/build-runtime.mjs: one ESM bundle per entry point, the
# repo's TypeScript compiled in, node_modules external) and run by plain node, as npm run up does.

FROM node:20.19.5-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY proto/package.json proto/
COPY contracts/package.json contracts/
COPY core/package.json core/
COPY gateway/package.json gateway/
COPY sidecar/package.json sidecar/
COPY envoy/package.json envoy/
COPY test-harness/package.json test-harness/
COPY cli/package.json cli/
COPY tools/package.json tools/
COPY deploy/package.json deploy/
# Lifecycle scripts stay off (as allowScripts says for the repo); esbuild's JS API finds its
# platform binary package without them.
RUN npm ci --ignore-scripts --no-audit --no-fund
# ORCH-4030: the admission journal's SQLite binding is the one native module; built from its
# bundled source (no prebuilt download), then the compilers are not in the runtime stage.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && npm rebuild better-sqlite3 && rm -rf /var/lib/apt/lists/*

FROM deps AS build
COPY tsconfig.base.json ./
COPY proto ./proto
COPY contracts ./contracts
COPY core ./core
COPY gateway ./gateway
COPY envoy ./envoy
COPY tools ./tools
RUN node tools/build-runtime.mjs placement envoy-bootstrap

FROM node:20.19.5-bookworm-slim
ENV NODE_ENV=production
# Issue 19: one malloc arena, not one per thread (~8 MiB less resident; PLACEMENT_ENV in
# test-harness/src/stack/services.ts says why).
ENV MALLOC_ARENA_MAX=1
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# contracts pins ajv 8 beside the root's ajv 6; the bundle imports that copy by its path.
COPY --from=deps /app/contracts/node_modules ./contracts/node_modules
COPY package.json ./
# Read at run time from beside the sources they belong to (the OpenAPI documents).
COPY contracts/openapi ./contracts/openapi
COPY --from=build /app/gateway/dist ./gateway/dist
COPY --from=build /app/envoy/dist ./envoy/dist
# The same non-root uid the manifests' securityContext names; the root filesystem is read-only there.
USER 65532:65532
# Issue 19: a 4 MiB young generation and V8's optimize-for-size keep ~50 MiB less resident with
# many queued tasks; the flags the local stack passes too (test-harness/src/stack/services.ts
# PLACEMENT_NODE_FLAGS, which says why). --optimize-for-size is refused in NODE_OPTIONS.
ENTRYPOINT ["node", "--max-semi-space-size=4", "--optimize-for-size", "gateway/dist/main.mjs"]
