# syntax=docker/dockerfile:1
# Node 24, the current LTS (Node 20 reached its end of life on 2026-04-30).
ARG NODE_IMAGE=node:24-bookworm-slim

# Build: compile TypeScript with the dev dependencies. The lockfile covers the
# npm workspaces (packages/*, examples/*): npm ci needs each one's
# package.json, though only the service is built here.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/verifier/package.json ./packages/verifier/
COPY packages/browser/package.json ./packages/browser/
COPY examples/microservice/package.json ./examples/microservice/
COPY examples/spa/package.json ./examples/spa/
COPY examples/typed-client/package.json ./examples/typed-client/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json openapi.yaml ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build:service

# Production dependencies of the service only (argon2 and bcrypt load their
# prebuilt binaries: no compiler needed); the workspaces are not installed.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/verifier/package.json ./packages/verifier/
COPY packages/browser/package.json ./packages/browser/
COPY examples/microservice/package.json ./examples/microservice/
COPY examples/spa/package.json ./examples/spa/
COPY examples/typed-client/package.json ./examples/typed-client/
RUN npm ci --omit=dev --workspaces=false --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
COPY assets ./assets
# `keyturn <command>` on the PATH, as in the README (the compiled CLI keeps its #!/usr/bin/env node).
RUN chmod +x /app/dist/src/cli/index.js && ln -s /app/dist/src/cli/index.js /usr/local/bin/keyturn
# The embedded database lives in /app/data when DATABASE_URL is unset: mount a
# volume there. A bind-mounted host directory must be writable by the image's
# user, node (uid 1000): chown 1000:1000 it first.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
VOLUME ["/app/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: it drains requests and closes the pool.
CMD ["node", "dist/src/server.js"]
