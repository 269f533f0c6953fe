# syntax=docker/dockerfile:1
# Meridian: one image for the five services and the one-shot jobs; the role is the first argument
# or MERIDIAN_SERVICE (gateway | identity | workflow | projection | geo-query | migrate | topics |
# dlq | projections | healthcheck; tools/meridian.ts). The build steps live in
# infra/scripts/image-build.sh, which test/deploy/image.int.spec.ts runs without Docker.
#
#   docker build -t meridian:local .
#   docker run --rm -e MERIDIAN_SERVICE=workflow -e SECRETS_KEY=… -e KAFKA_BROKERS=… meridian:local
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first: this layer is reused until the lock file changes.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN bash infra/scripts/image-build.sh /out

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# Owned by root and read-only to the service user: the process cannot rewrite its own code.
COPY --from=build /out/ /app/
# Exports are written here (EXPORTS_DIR) unless storage is S3; mount a volume shared with the gateway.
RUN mkdir -p /var/lib/meridian/exports && chown node:node /var/lib/meridian/exports
ENV EXPORTS_DIR=/var/lib/meridian/exports
# The official image's unprivileged user (uid 1000).
USER node
# gateway, identity (management, OpenID Connect), workflow, projection, geo-query, metrics.
EXPOSE 8080 8081 8090 8082 8083 8084 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "dist/server/tools/meridian.js", "healthcheck"]
ENTRYPOINT ["node", "dist/server/tools/meridian.js"]
