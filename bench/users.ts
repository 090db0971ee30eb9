/**
 * The users the REST like load likes as. The dashboard refuses a like by a user it does not
 * know, so the bench creates its users first, straight in the dashboard's database (as many
 * rows as a phase can use at the fastest rate seen here, with room to spare), and each load
 * takes the next unused ones: one product is liked by each user at most once, across the
 * slices of its phase too (a second like would be a 409).
 */

/** Users created for a run; a phase that likes more than this would repeat users (409s, reported as errors). */
export const BENCH_USERS = 50_000;

/** The i-th bench user's id: a valid v4-shaped UUID, the same in every process. */
export function benchUserId(i: number): string {
  return `00000000-0000-4000-8000-${(i % BENCH_USERS).toString(16).padStart(12, '0')}`;
}

interface Db {
  all(sql: string, params?: unknown[]): Promise<unknown[]>;
}

/** Inserts the BENCH_USERS users into the dashboard's `users` table, 500 rows a statement. */
export async function createBenchUsers(db: Db, timestamp: string): Promise<void> {
  const perStatement = 500;
  for (let first = 0; first < BENCH_USERS; first += perStatement) {
    const ids = Array.from({ length: Math.min(perStatement, BENCH_USERS - first) }, (_, k) => benchUserId(first + k));
    await db.all(`INSERT INTO users (id, created_at, updated_at) VALUES ${ids.map(() => '(?, ?, ?)').join(', ')}`, ids.flatMap((id) => [id, timestamp, timestamp]));
  }
}
