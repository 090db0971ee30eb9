/**
 * `mgrpc up`: the whole system on one machine. Applies every service's migrations, starts
 * each service's REST and gRPC process (named as in the tutorial's compose file), tells where
 * they listen once all accept connections, restarts any that exits, and stops them all on
 * Ctrl-C/SIGTERM.
 *
 * @example
 *   await runUp({ host: '127.0.0.1', replicas: 1 }); // resolves once everything has stopped
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { DEFAULT_DRAIN_MS, createLogger, envInt, formatAddress, loadDotenv, migrateService, redactUrl, securitySummary, type Logger } from '../../services/framework/index.js';
import { serverNodeFlags } from '../../services/framework/server-process.js';
import { localTime, removeUpState, statePath, writeUpState } from '../context/state-file.js';
import { UsageError } from '../handle-error.js';
import { ensureServiceDatabase } from './databases.js';
import { envName, planUp, type UpOptions, type UpPlan } from './plan.js';
import { listenProblem, waitUntilAccepting } from './port-check.js';
import { useColor } from './supervisor/line-prefix.js';
import { exitCause, Supervisor } from './supervisor/supervisor.js';
import { exportLines, upState } from './up-state.js';

export type { UpOptions } from './plan.js';

const READY_TIMEOUT_MS = 30_000;

export async function runUp(options: UpOptions): Promise<void> {
  loadDotenv();
  const log = createLogger('up');
  const plan = await planUp(options);
  if (plan.heapProblem) log.warn(plan.heapProblem);
  await checkPorts(plan);
  // Also validates the security settings (token, key, TLS files) before anything starts.
  process.stdout.write(`${securitySummary(plan.env, options.host)}\n`);
  await prepareDatabases(plan, log);
  await supervise(plan, log);
  log.info('all processes stopped');
}

/** Checked before anything starts, so a taken port is one clear line and nothing to clean up. */
async function checkPorts({ processes, options: { host } }: UpPlan): Promise<void> {
  for (const p of processes) {
    const problem = await listenProblem(host, p.port);
    const what = `${p.service} ${p.side === 'rest' ? 'REST' : 'gRPC'}`;
    if (problem === 'EADDRINUSE') throw new Error(`port ${p.port} is in use (${what}); choose another --base-port`);
    if (problem === 'EACCES') throw new Error(`no permission to listen on port ${p.port} (${what}); choose another --base-port`);
    if (problem === 'EADDRNOTAVAIL' || problem === 'ENOTFOUND' || problem === 'EAI_AGAIN') {
      throw new UsageError(`cannot listen on ${host}: no such address on this machine (check --host)`);
    }
    if (problem) throw new Error(`cannot listen on ${formatAddress({ host, port: p.port })} (${what}): ${problem}`);
  }
}

/** The data directory, each service's PostgreSQL database (with --database), and migrations. */
async function prepareDatabases({ options, modules, env, dataDir }: UpPlan, log: Logger): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const server = options.database;
  if (server !== undefined) {
    for (const m of modules) {
      const created = await ensureServiceDatabase(server, m.name).catch((err: Error) => {
        throw new Error(`cannot prepare ${m.name}'s database on ${redactUrl(server)}: ${err.message}`);
      });
      if (created) log.info(`${m.name}: created database`, { database: redactUrl(env[`${envName(m.name)}_DATABASE_URL`]!) });
    }
  }
  if (options.replicas > 1 && server === undefined) {
    log.info(`${options.replicas} replicas share each service's SQLite file (fine for trying things out; use --database postgres://… for real)`);
  }
  // Once, before any replica starts: replicas never race to migrate.
  for (const m of modules) {
    const { url, applied } = await migrateService(m, env);
    log.info(applied.length > 0 ? `${m.name}: applied ${applied.join(', ')}` : `${m.name}: no migrations to apply`, { database: redactUrl(url) });
  }
}

/** Runs every process until a signal; says where they listen once all accept connections. */
async function supervise(plan: UpPlan, log: Logger): Promise<void> {
  const { options, processes, env, reachable, dataDir } = plan;
  const { host } = options;
  const startedAt = new Date();
  const stateFile = statePath();
  const script = process.argv[1]!;
  const guard = new URL(`../orphan-guard${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url).href;
  // tsx's loader flags must reach the children; a debugger port must not (it would clash).
  const nodeFlags = process.execArgv.filter((flag) => !/^--(inspect|debug)/.test(flag));
  const supervisor = new Supervisor(
    processes.map((p) => ({
      name: p.name,
      command: process.execPath,
      args: [...nodeFlags, ...serverNodeFlags(env, p.side), '--import', guard, script, p.side === 'rest' ? 'runserver' : 'grpcrunserver', formatAddress({ host, port: p.port }), '--service', p.service],
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
  // Whether every process accepted connections: the system was up before it stopped.
  let ready = false;
  const stopWatchingExits = supervisor.onExit((info) => {
    // Crashing before serving is a configuration problem: say so instead of restarting forever.
    startup.abort(new Error(`${info.name} exited with ${exitCause(info)} before it accepted connections (its output is above); stopped everything`));
    void supervisor.stop();
  });
  void stopping.then(() => startup.abort(new Error('stopped')));
  try {
    supervisor.start();
    ready = await Promise.all(processes.map((p) => waitUntilAccepting(reachable, p.port, { timeoutMs: READY_TIMEOUT_MS, signal: startup.signal }))).then(
      () => true,
      (err: Error) => {
        if (signalled) return false;
        throw err.message.startsWith('nothing accepted') ? new Error(`${err.message}; stopped everything`) : err;
      },
    );
    stopWatchingExits();
    if (ready) {
      const width = Math.max(...processes.map((p) => p.name.length));
      const rows = processes.map((p) => {
        const address = formatAddress({ host: reachable, port: p.port });
        return `  ${p.name.padEnd(width)}  ${p.side === 'rest' ? 'REST' : 'gRPC'}  ${p.side === 'rest' ? `http://${address}` : address}\n`;
      });
      const where = options.database !== undefined ? `databases on ${redactUrl(options.database)}` : `data in ${dataDir}`;
      // Other commands run from this project find the system through the state file; other shells through the exports.
      const state = upState(plan, startedAt);
      writeUpState(state, stateFile);
      process.stdout.write(
        `${rows.join('')}commands run in ${path.dirname(path.dirname(stateFile))} find it through ${stateFile}; elsewhere, set:\n${exportLines(state)}` +
          `mgrpc is up since ${localTime(startedAt.toISOString())} (${where}); press Ctrl-C to stop\n`,
      );
      await stopping;
    }
  } finally {
    removeUpState(process.pid, stateFile);
    stopWatchingExits();
    startup.abort(new Error('stopped'));
    // A process that crashed or had to be killed while stopping fails the run. Named here only
    // once the system was up: a start that failed has said why, and its other processes may
    // fail the same way as they are stopped. A SIGKILL of the supervisor's was said when sent.
    const unclean = await supervisor.stop();
    if (ready) for (const exit of unclean.filter((e) => !e.killed)) log.warn(`${exit.name} exited with ${exitCause(exit)} while stopping (its output is above)`);
    if (unclean.length > 0) process.exitCode ||= 1;
    for (const signal of signals) process.off(signal, onSignal);
  }
}
