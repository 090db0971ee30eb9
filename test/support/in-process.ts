/**
 * A service of this repository served in-process on both sides, as its own test beside it
 * uses it (services/<name>/<name>.test.ts): a migrated SQLite file in a temp dir, the gRPC
 * server and REST app on loopback ports, and a JSON helper for the REST side.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { serve, type RunningService, type ServiceModule } from '../../services/framework/index.js';

export interface ServedService {
  grpc: RunningService;
  /** Its MGRPC_DATA_DIR (the SQLite file is `<service>.sqlite3` there), removed by close(). */
  dataDir: string;
  rest(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Serves `module` with `env` on top of a fresh data dir and quiet logs. */
export async function serveInProcess(module: ServiceModule<any>, env: NodeJS.ProcessEnv): Promise<ServedService> {
  const dir = mkdtempSync(path.join(tmpdir(), `mgrpc-${module.name}-`));
  const options = { address: { host: '127.0.0.1', port: 0 }, env: { MGRPC_DATA_DIR: dir, LOG_LEVEL: 'error', MGRPC_METRICS_PORT: 'off', ...env }, migrate: true, drainMs: 1000 };
  const grpc = await serve(module, 'grpc', options);
  const restServer = await serve(module, 'rest', options);
  return {
    grpc,
    dataDir: dir,
    async rest(method, urlPath, body) {
      const res = await fetch(`${restServer.url}/api${urlPath}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
    },
    async close() {
      await restServer.close();
      await grpc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
