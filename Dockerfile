# mtls-proxy as a container, for instance a sidecar next to an app (examples/compose/).
#
#   docker build -t mtls-proxy .
#   docker run -v ./config.yaml:/etc/mtls-proxy/config.yaml:ro -v mtls-proxy-ca:/ca -p 8080:8080 mtls-proxy
#
# The config must listen on 0.0.0.0 with listen.allow (the clients' subnet, plus
# 127.0.0.1/32 for the HEALTHCHECK) or listen.auth, and keep its CA in /ca (ca.dir: /ca).

# Build stage: every dependency, TypeScript compiled to dist/.
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the prepare script builds, and the sources are not here yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# Final stage: Node 24, production dependencies only, the built CLI.
FROM node:24-slim
ENV NODE_ENV=production \
    MTLS_PROXY_CONFIG=/etc/mtls-proxy/config.yaml
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY config.example.yaml config.schema.json ./
# /ca belongs to the user the proxy runs as: it writes its CA there on first start.
RUN mkdir -p /ca /etc/mtls-proxy && chown node:node /ca && chmod 0700 /ca
USER node
VOLUME ["/ca"]
EXPOSE 8080
# No curl in the image: Node asks /healthz itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('node:http').get('http://127.0.0.1:8080/healthz', { agent: false }, (res) => process.exit(res.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
# The CLI, starting the proxy by default; `docker run IMAGE check` (or ca, match, demo) runs another command.
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["start"]
