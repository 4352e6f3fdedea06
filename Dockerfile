# syntax=docker/dockerfile:1
# AST as a container: `docker build -t ast .` then `docker run -p 8080:8080 ast` (README "Run with Docker").
# No build step: Node 24 runs the TypeScript sources directly (type stripping).

# Production dependencies only, from the lockfile. Install scripts are skipped: the two native addons
# that have one (@parcel/watcher, msgpackr-extract) ship prebuilt linux binaries as optional packages.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    AST_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
# Without DATABASE_URL the embedded database and its key live in AST_DATA_DIR: mount a volume on /data to keep them.
RUN mkdir -p /data && chown node:node /data
# The image's unprivileged user (uid 1000).
USER node
EXPOSE 8080
# slim has no curl: the check is Node's own fetch. /health answers while the process serves.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 8080}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself (not npm) receives SIGTERM: running executions finish or are handed back, then it exits 0.
CMD ["node", "src/main.ts"]
