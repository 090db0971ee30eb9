/**
 * `mgrpc shell`: a Node REPL with a service's models and its Sequelize connection (`db`) in
 * scope, on the database the service uses; top-level `await` works, `.exit` closes the
 * connection. Piped input (stdin not a terminal) is evaluated line by line, each line
 * finished (awaits included) before the next is read, with no prompts or banner: results
 * go to stdout, and the exit code is 1 if any line threw.
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import repl, { type REPLServer } from 'node:repl';
import { PassThrough, Writable } from 'node:stream';

import { Op, type Sequelize } from 'sequelize';

import { databaseOptionsFromEnv, openDatabase } from '../../services/framework/db/connect.js';
import { pendingMigrations } from '../../services/framework/db/migrations.js';
import { dialectOf, redactUrl, sqliteStorage } from '../../services/framework/db/url.js';
import { serviceMigrations } from '../../services/framework/runtime.js';
import { databaseUrlFor, type ServiceModule } from '../../services/framework/service-module.js';
import { MigrationError } from '../migrations/migration-error.js';

export interface ShellOptions {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

async function openFor(module: ServiceModule<any>, env: NodeJS.ProcessEnv): Promise<{ sequelize: Sequelize; url: string }> {
  const url = databaseUrlFor(module.name, env);
  if (dialectOf(url) === 'sqlite' && sqliteStorage(url) !== ':memory:' && !existsSync(sqliteStorage(url))) {
    throw new MigrationError(`service ${module.name} has no database yet (${redactUrl(url)}): run \`mgrpc migrate --service ${module.name}\` first`);
  }
  return { sequelize: await openDatabase(url, { ...databaseOptionsFromEnv(env), access: 'write' }), url: redactUrl(url) };
}

function scope(module: ServiceModule<any>, sequelize: Sequelize): Record<string, unknown> {
  if (!module.models) throw new MigrationError(`service ${module.name} does not say what its models are: add \`models: defineModels\` to its defineServiceModule({ … })`);
  return { ...(module.models(sequelize) as Record<string, unknown>), db: sequelize, Op };
}

/** Feeds piped lines to the REPL one at a time, each after the previous one finished. */
async function runPiped(server: REPLServer, feed: PassThrough, lines: NodeJS.ReadableStream, closed: Promise<unknown>): Promise<void> {
  let ready: (() => void) | undefined;
  const display = server.displayPrompt.bind(server);
  server.displayPrompt = (preserveCursor?: boolean) => {
    display(preserveCursor);
    ready?.();
  };
  for await (const line of createInterface({ input: lines, crlfDelay: Infinity })) {
    const done = new Promise<void>((resolve) => (ready = resolve));
    feed.write(`${line}\n`);
    if ((await Promise.race([done.then(() => 'done'), closed.then(() => 'closed')])) === 'closed') return;
  }
  feed.end();
}

/** Runs the shell until `.exit` or the end of input; resolves with the exit code. */
export async function startShell(module: ServiceModule<any>, options: ShellOptions): Promise<number> {
  const env = options.env ?? process.env;
  const { sequelize, url } = await openFor(module, env);
  let context: Record<string, unknown>;
  try {
    context = scope(module, sequelize);
  } catch (err) {
    await sequelize.close();
    throw err;
  }
  const interactive = options.input.isTTY === true;
  let failed = false;
  if (interactive) {
    const pending = await pendingMigrations(sequelize, serviceMigrations(module));
    options.output.write(
      [
        `${module.name} shell on ${url} (Node ${process.version}; top-level await works; .exit to leave)`,
        `in scope: ${Object.keys(context).join(', ')}`,
        ...(pending.length > 0 ? [`note: ${pending.length} migration(s) not applied: ${pending.join(', ')} (mgrpc migrate --service ${module.name})`] : []),
        `e.g. await ${Object.keys(context)[0]}.count()`,
        '',
      ].join('\n'),
    );
  }
  const feed = new PassThrough();
  // Piped: no prompts, no "... " continuation marks between results.
  const quiet = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString();
      if (text === '' || text === '... ') return callback();
      options.output.write(text, () => callback());
    },
  });
  const server = repl.start({
    prompt: interactive ? `${module.name}> ` : '',
    input: interactive ? options.input : feed,
    output: interactive ? options.output : quiet,
    terminal: interactive ? undefined : false,
    useGlobal: false,
  });
  Object.assign(server.context, context);
  // A line that throws is reported by the REPL through its domain; piped, it makes the exit code 1.
  (server as unknown as { _domain?: { on(event: 'error', listener: () => void): void } })._domain?.on('error', () => (failed = true));
  const closed = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  if (!interactive) await runPiped(server, feed, options.input, closed);
  await closed;
  await sequelize.close();
  return failed ? 1 : 0;
}
