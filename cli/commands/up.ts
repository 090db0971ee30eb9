/**
 * `mgrpc up`: the whole system on one machine. Applies every service's migrations, starts
 * each service's REST and gRPC process (named as in the tutorial's compose file), tells where
 * they listen once all accept connections, restarts any that exits, and stops them all on
 * Ctrl-C/SIGTERM. Everything heavy is imported inside the action.
 */
import { Command, InvalidArgumentError } from 'commander';

import { UsageError } from '../handle-error.js';
import { serverNodeOptions } from '../server-node-options.js';

import { MAX_REPLICAS, REPLICA_PORT_STRIDE, parseReplicas } from '../up/replicas.js';

interface UpOptions {
  basePort?: number;
  dataDir?: string;
  host: string;
  replicas: number;
  database?: string;
}

const READY_TIMEOUT_MS = 30_000;

function parseBasePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new InvalidArgumentError('expected a port number, 1-65535 (for example 20000)');
  return port;
}

export function upCommand(): Command {
  return new Command('up')
    .description('run the whole system: migrate, then start every service’s REST and gRPC process, restarting any that exits')
    .option('--base-port <n>', 'ports are N+6 (product gRPC), N+7 (product REST), N+8 (dashboard REST), N+9 (dashboard gRPC) (default: 10000)', parseBasePort)
    .option('--data-dir <dir>', 'where the SQLite files live (default: $MGRPC_DATA_DIR or ./data)')
    .option('--host <host>', 'address every process listens on', '127.0.0.1')
    .option(
      '--replicas <n>',
      `run N replicas of every process (1-${MAX_REPLICAS}); replica r listens on its port + ${REPLICA_PORT_STRIDE}·r, and gRPC clients round-robin over all peers`,
      parseReplicas,
      1,
    )
    .option('--database <url>', 'a PostgreSQL server (postgres://USER:PASSWORD@HOST:PORT/): each service gets its own database there, mgrpc_<service>, created if missing')
    .action(async (opts: UpOptions) => {
      const { mkdirSync } = await import('node:fs');
      const path = await import('node:path');
      const { DEFAULT_BASE_PORT, DEFAULT_DRAIN_MS, METRICS_PORT_ENV, createLogger, metricsPortFor, envInt, formatAddress, loadDotenv, migrateService, redactUrl, databaseUrlFor, securitySummary } = await import(
        '../../services/framework/index.js'
      );
      const { SERVICE_NAMES, loadService } = await (await import('../project-registry.js')).loadRegistry();
      const { Supervisor } = await import('../supervisor/supervisor.js');
      const { useColor } = await import('../supervisor/line-prefix.js');
      const { connectHost, listenProblem, waitUntilAccepting } = await import('../supervisor/port-check.js');
      const { peerTarget, planReplicas } = await import('../up/replicas.js');
      const { ensureServiceDatabase, serviceDatabaseUrl } = await import('../up/databases.js');

      loadDotenv();
      const log = createLogger('up');
      const basePort = opts.basePort ?? DEFAULT_BASE_PORT;
      const host = opts.host;
      const reachable = connectHost(host);
      const dataDir = path.resolve(opts.dataDir ?? (process.env.MGRPC_DATA_DIR || 'data'));

      const modules = await Promise.all(SERVICE_NAMES.map((name) => loadService(name)));
      const plan = planReplicas(modules, basePort, opts.replicas);
      const highest = plan.reduce((a, b) => (b.port > a.port ? b : a));
      if (highest.port > 65535) {
        throw new UsageError(`--base-port ${basePort} puts ${highest.name} on port ${highest.port}; the highest base port is ${65535 - (highest.port - basePort)}`);
      }
      const grpcPortsOf = (service: string) => plan.filter((p) => p.service === service && p.side === 'grpc').map((p) => p.port);
      const envName = (service: string) => service.toUpperCase().replace(/-/g, '_');
      let peers: [string, string][];
      try {
        peers = modules.map((m) => [`${envName(m.name)}_GRPC_SERVER`, peerTarget(reachable, grpcPortsOf(m.name))]);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }

      // Every service can reach every other's gRPC server at <NAME>_GRPC_SERVER (DASHBOARD_GRPC_SERVER, …),
      // with several replicas an ipv4: list of all of them, which the clients round-robin over.
      const env: NodeJS.ProcessEnv = { ...process.env, MGRPC_DATA_DIR: dataDir, ...Object.fromEntries(peers) };
      // A fixed metrics port would be taken by the first replica; the default (gRPC port + 1000) differs per replica.
      if (opts.replicas > 1) {
        for (const m of modules) {
          const fixed = metricsPortFor(m.name, 1, env);
          if (fixed?.explicit) {
            throw new UsageError(`${m.name}'s metrics port is fixed (${METRICS_PORT_ENV} or ${envName(m.name)}_METRICS_PORT), so its replicas would all bind it: unset it (each gRPC replica then serves metrics on its port + 1000) or set it to off`);
          }
        }
      }
      if (opts.database !== undefined) {
        for (const m of modules) env[`${envName(m.name)}_DATABASE_URL`] = serviceDatabaseUrl(opts.database, m.name);
      }
      env.NODE_OPTIONS = serverNodeOptions(env);
      // The children write to our pipes, so they would choose json; at a terminal, people read them.
      if (!env.LOG_FORMAT && process.stdout.isTTY) env.LOG_FORMAT = 'pretty';
      // DATABASE_URL is for a process environment of one service (compose); here both services would share it.
      for (const m of modules) {
        if (databaseUrlFor(m.name, env) === env.DATABASE_URL) {
          throw new UsageError(
            `DATABASE_URL is set, and \`mgrpc up\` would give it to every service; services must not share a database: ` +
              `set ${m.name.toUpperCase()}_DATABASE_URL (and the others) instead, or unset DATABASE_URL`,
          );
        }
      }

      // Checked before anything starts, so a taken port is one clear line and nothing to clean up.
      for (const p of plan) {
        const problem = await listenProblem(host, p.port);
        const what = `${p.service} ${p.side === 'rest' ? 'REST' : 'gRPC'}`;
        if (problem === 'EADDRINUSE') throw new Error(`port ${p.port} is in use (${what}); choose another --base-port`);
        if (problem === 'EACCES') throw new Error(`no permission to listen on port ${p.port} (${what}); choose another --base-port`);
        if (problem === 'EADDRNOTAVAIL' || problem === 'ENOTFOUND' || problem === 'EAI_AGAIN') {
          throw new UsageError(`cannot listen on ${host}: no such address on this machine (check --host)`);
        }
        if (problem) throw new Error(`cannot listen on ${formatAddress({ host, port: p.port })} (${what}): ${problem}`);
      }

      // Also validates the security settings (token, key, TLS files) before anything starts.
      process.stdout.write(`${securitySummary(env, host)}\n`);

      mkdirSync(dataDir, { recursive: true });
      if (opts.database !== undefined) {
        for (const m of modules) {
          const created = await ensureServiceDatabase(opts.database, m.name).catch((err: Error) => {
            throw new Error(`cannot prepare ${m.name}'s database on ${redactUrl(opts.database!)}: ${err.message}`);
          });
          if (created) log.info(`${m.name}: created database`, { database: redactUrl(env[`${envName(m.name)}_DATABASE_URL`]!) });
        }
      }
      if (opts.replicas > 1 && opts.database === undefined) {
        log.info(`${opts.replicas} replicas share each service's SQLite file (fine for trying things out; use --database postgres://… for real)`);
      }
      // Once, before any replica starts: replicas never race to migrate.
      for (const m of modules) {
        const { url, applied } = await migrateService(m, env);
        log.info(applied.length > 0 ? `${m.name}: applied ${applied.join(', ')}` : `${m.name}: no migrations to apply`, { database: redactUrl(url) });
      }

      const script = process.argv[1]!;
      const guard = new URL(`../supervisor/orphan-guard${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url).href;
      // tsx's loader flags must reach the children; a debugger port must not (it would clash).
      const nodeFlags = process.execArgv.filter((flag) => !/^--(inspect|debug)/.test(flag));
      const supervisor = new Supervisor(
        plan.map((p) => ({
          name: p.name,
          command: process.execPath,
          args: [...nodeFlags, '--import', guard, script, p.side === 'rest' ? 'runserver' : 'grpcrunserver', formatAddress({ host, port: p.port }), '--service', p.service],
          env,
        })),
        {
          write: (text) => void process.stdout.write(text),
          log: (line) => log.info(line),
          color: useColor(process.stdout),
          // A child drains in-flight requests, then its outbox deliveries, before it exits:
          // give it that long before SIGKILL.
          stopTimeoutMs: envInt('MGRPC_DRAIN_MS', DEFAULT_DRAIN_MS, env) + envInt('MGRPC_OUTBOX_STOP_MS', 5000, env) + 5000,
        },
      );

      // First signal: stop in order; second SIGINT: kill now.
      let stopRequested!: () => void;
      const stopping = new Promise<void>((resolve) => (stopRequested = resolve));
      let signalled = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (!signalled) {
          signalled = true;
          log.info(`${signal}: stopping all processes (Ctrl-C again to kill them now)`);
          stopRequested();
        } else if (signal === 'SIGINT') {
          log.warn('killing all processes');
          process.exitCode = 130;
          supervisor.kill();
        }
      };
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
      for (const signal of signals) process.on(signal, onSignal);

      const startup = new AbortController();
      const stopWatchingExits = supervisor.onExit((info) => {
        const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
        // Crashing before serving is a configuration problem: say so instead of restarting forever.
        startup.abort(new Error(`${info.name} exited with ${how} before it accepted connections (its output is above); stopped everything`));
        void supervisor.stop();
      });
      void stopping.then(() => startup.abort(new Error('stopped')));
      try {
        supervisor.start();
        const ready = await Promise.all(plan.map((p) => waitUntilAccepting(reachable, p.port, { timeoutMs: READY_TIMEOUT_MS, signal: startup.signal }))).then(
          () => true,
          (err: Error) => {
            if (signalled) return false;
            throw err.message.startsWith('nothing accepted') ? new Error(`${err.message}; stopped everything`) : err;
          },
        );
        stopWatchingExits();
        if (ready) {
          const width = Math.max(...plan.map((p) => p.name.length));
          const rows = plan.map((p) => {
            const address = formatAddress({ host: reachable, port: p.port });
            return `  ${p.name.padEnd(width)}  ${p.side === 'rest' ? 'REST' : 'gRPC'}  ${p.side === 'rest' ? `http://${address}` : address}\n`;
          });
          const where = opts.database !== undefined ? `databases on ${redactUrl(opts.database)}` : `data in ${dataDir}`;
          process.stdout.write(`${rows.join('')}mgrpc is up (${where}); press Ctrl-C to stop\n`);
          await stopping;
        }
      } finally {
        stopWatchingExits();
        startup.abort(new Error('stopped'));
        await supervisor.stop();
        for (const signal of signals) process.off(signal, onSignal);
      }
      log.info('all processes stopped');
    });
}
