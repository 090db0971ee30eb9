/**
 * Sequelize's SQLite dialect executes any SQL that starts with `INSERT INTO` with
 * node-sqlite3's `run`, which returns no rows, so `INSERT … RETURNING` run as a SELECT
 * query fails to read its result. A leading comment makes it execute with `all`, which
 * returns the rows (and resets the statement, so the write is committed with its
 * transaction). PostgreSQL ignores the comment.
 */
export function insertReturning(sql: string): string {
  return `/* returning */ ${sql.trimStart()}`;
}
