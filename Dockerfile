# Scrawl self-hosting image. Multi-stage: build the web app with all dependencies, then ship only production
# dependencies, the server's source (run directly by Node's type stripping) and the built web app.
# The base comes from a build argument so the same file builds from Docker Hub or from a local base image.
ARG BASE=node:24-bookworm-slim

FROM ${BASE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY server/package.json server/
COPY web/package.json web/
COPY e2e/package.json e2e/
COPY bench/package.json bench/
# Only what building the web app needs (no browsers, no bench anchors, not the Node binary the root brings for old hosts).
RUN PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --workspace web --include-workspace-root=false --no-audit --no-fund
COPY tsconfig.base.json ./
COPY web web
RUN npm run build --workspace web

FROM ${BASE} AS runtime
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=1234 DATA_DIR=/data
COPY package.json package-lock.json ./
COPY server/package.json server/
COPY web/package.json web/
COPY e2e/package.json e2e/
COPY bench/package.json bench/
RUN npm ci --omit=dev --workspace server --include-workspace-root=false --no-audit --no-fund \
  && npm cache clean --force \
  && rm -rf /tmp/node-compile-cache \
  && mkdir -p /data && chown 10001:10001 /data
COPY server/src server/src
COPY server/templates server/templates
COPY --from=build /app/web/dist web/dist
USER 10001:10001
VOLUME /data
EXPOSE 1234
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:1234/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The same Node flags as `npm start` (package.json): see docs/architecture.md, "Memory". (npm's compile cache from the
# build is removed above: the server does not use it, and owned by root it would keep a later NODE_COMPILE_CACHE run
# from writing there.)
CMD ["node", "--max-semi-space-size=8", "server/src/main.ts"]
