# syntax=docker/dockerfile:1
# The exporter image. Not built in CI here (no Docker engine); build it with
#   docker build --build-arg REVISION=$(git rev-parse HEAD) -t <registry>/ibkr-pnl-exporter:0.1.0 .
# The build stage compiles the TypeScript (npm run build) and keeps production dependencies only;
# the runtime stage runs the compiled JavaScript with plain node.

# Node 22 LTS: Node 20, the line CI tests, stopped getting security fixes in April 2026. The
# tests run on Node 20 here; see "Node versions" in the README.
ARG NODE_IMAGE=node:22.21.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 is native: compile it here, against this image's Node and glibc, rather than
# trusting a downloaded prebuilt binary.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm_config_build_from_source=true npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
COPY exporter/src ./exporter/src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="ibkr-pnl-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Interactive Brokers positions, executions and PnL" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/ibkr-pnl-exporter/ibkr-pnl-exporter" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    IBKR_REVISION=${REVISION} \
    IBKR_DB_PATH=/data/ibkr.db \
    IBKR_HTTP_PORT=8000
WORKDIR /app
# Everything owned by root and read-only to the process; only /data (the ledger) is written, and
# Kubernetes mounts a volume there. Nothing writes /tmp.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json ./
RUN install -d -o 1000 -g 1000 -m 0750 /data
# The node image's "node" user, by number so that runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.IBKR_HTTP_PORT || 8000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1 (no npm in between), so SIGTERM reaches main.ts's shutdown handler.
CMD ["node", "--enable-source-maps", "dist/main.js"]
