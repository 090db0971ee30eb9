# One image for every mgrpc process; docker-compose.yml picks the command of each service.
# Without a command it runs the whole system (`mgrpc up`) on the tutorial's ports.
FROM node:22-bookworm-slim

# sqlite3 is a native module: these build it when no prebuilt binary fits the platform.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# All sources first: `npm ci` runs the prepare script, which generates the stubs and compiles to dist/.
# The build tools (tsx, typescript) are devDependencies, so they stay installed.
COPY . .
RUN npm ci && npm cache clean --force

# The SQLite files live on volumes mounted here; created as the runtime user so a fresh
# named volume gets that owner. migrate mounts each service's volume under /data/<service>.
# dist/bundle/ is the runtime user's too: the servers keep V8's code cache there
# (cli/serve/bundle.ts), so every start after a container's first compiles from it.
RUN mkdir -p /data/dashboard /data/product && chown -R node:node /data /app/dist/bundle

ENV NODE_ENV=production \
    MGRPC_DATA_DIR=/data
USER node
EXPOSE 10006 10007 10008 10009
CMD ["node", "dist/bin/mgrpc.js", "up", "--host", "0.0.0.0"]
