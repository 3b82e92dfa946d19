# syntax=docker/dockerfile:1.7
# Image of the sidecar-injection webhook (deploy/webhook/). Build from the repository root:
#   docker build -f deploy/docker/webhook.Dockerfile -t llama-orch/webhook:0.1.0 .
# NOT BUILT HERE: no image registry is reachable from this project's machines, so this file has
# never been built or run; see deploy/README.md.
# Built once in the build stage (tools/build-runtime.mjs: one ESM bundle, the repo's TypeScript
# compiled in, node_modules external) and run by plain node, as npm run up does.

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

FROM deps AS build
COPY tsconfig.base.json ./
COPY proto ./proto
COPY contracts ./contracts
COPY core ./core
COPY tools ./tools
COPY deploy ./deploy
# The webhook applies the sidecar's own determinism rules (@llama-orch/sidecar/llamacpp-args).
COPY sidecar ./sidecar
RUN node tools/build-runtime.mjs webhook

FROM node:20.19.5-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/deploy/dist ./deploy/dist
# The same non-root uid the manifests' securityContext names; the root filesystem is read-only there.
USER 65532:65532
ENTRYPOINT ["node", "deploy/dist/webhook.mjs"]
