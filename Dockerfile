# syntax=docker/dockerfile:1
# Built and started without Docker by tools/image-check.mjs (run by .ci/run), which replays
# these steps: keep to FROM, WORKDIR, ENV KEY=value, COPY, RUN, USER, EXPOSE, HEALTHCHECK, CMD.

# Build stage: install with the dev toolchain, compile to dist/, then drop the dev dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY tools/build.mjs ./tools/
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: the compiled code and the production dependencies only, as a non-root user.
# Needs REDIS_URL (the image has no redis-server to start) and ADMIN_TOKEN.
FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# `npm start` without npm in between, so SIGTERM reaches the relay. A 64 MB young generation:
# a third less GC time under load (see README, "Scaling out").
CMD ["node", "--max-semi-space-size=64", "dist/main.js"]
