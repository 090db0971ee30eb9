// The part of node-postgres (`pg`, which ships no types) the framework touches directly:
// Sequelize drives it otherwise.
declare module 'pg' {
  export interface ClientConfig {
    connectionString?: string;
    connectionTimeoutMillis?: number;
  }
  export class Client {
    constructor(config?: ClientConfig);
    connect(): Promise<void>;
    query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
    end(): Promise<void>;
  }
  export interface PoolConfig extends ClientConfig {
    max?: number;
  }
  /** A named (prepared once per connection) statement. */
  export interface QueryConfig {
    name?: string;
    text: string;
    values?: unknown[];
  }
  /** Used by bench/bare (the baselines), not by the framework. */
  export class Pool {
    constructor(config?: PoolConfig);
    query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
    query(config: QueryConfig): Promise<{ rows: Record<string, unknown>[] }>;
    /** A client of its own (a transaction's); give it back with `release`. */
    connect(): Promise<PoolClient>;
    end(): Promise<void>;
  }
  export interface PoolClient {
    query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
    query(config: QueryConfig): Promise<{ rows: Record<string, unknown>[] }>;
    release(): void;
  }
  export const types: {
    getTypeParser(oid: number, format?: string): unknown;
  };
  const pg: { Client: typeof Client; Pool: typeof Pool; types: typeof types };
  export default pg;
}
