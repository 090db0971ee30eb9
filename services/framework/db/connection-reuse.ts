/**
 * Sequelize's SQLite dialect opens a new database connection for every transaction and
 * closes it at the end: a file open, the per-connection PRAGMAs and a WAL re-attach on every
 * write, which costs more than the write itself. Here a finished transaction's connection
 * is kept (a few, idle) and handed to the next transaction instead. Connections are only
 * reused after COMMIT or ROLLBACK, so each transaction still has a connection to itself.
 */
import type { Sequelize } from 'sequelize';

interface SqliteConnection {
  uuid?: string;
  close(callback?: (err: Error | null) => void): void;
}

interface SqliteConnectionManager {
  connections: Record<string, SqliteConnection>;
  getConnection(options?: { uuid?: string }): Promise<SqliteConnection>;
  releaseConnection(connection: SqliteConnection, force?: boolean): void;
  close(): Promise<void>;
}

const MAX_IDLE = 4;

export function reuseTransactionConnections(sequelize: Sequelize): void {
  const manager = (sequelize as unknown as { connectionManager: SqliteConnectionManager }).connectionManager;
  const idle: SqliteConnection[] = [];
  const get = manager.getConnection.bind(manager);
  const release = manager.releaseConnection.bind(manager);
  const close = manager.close.bind(manager);

  manager.getConnection = async (options = {}) => {
    const transactional = options.uuid !== undefined && options.uuid !== 'default';
    const reused = transactional ? idle.pop() : undefined;
    if (!reused) return get(options);
    manager.connections[options.uuid!] = reused;
    return reused;
  };
  manager.releaseConnection = (connection, force) => {
    if (force || !connection.uuid || connection.uuid === 'default' || idle.length >= MAX_IDLE) return release(connection, force);
    delete manager.connections[connection.uuid];
    idle.push(connection);
  };
  manager.close = async () => {
    await Promise.all(idle.splice(0).map((connection) => new Promise<void>((resolve) => connection.close(() => resolve()))));
    await close();
  };
}
