/**
 * The test helpers for waiting, one of each. They wait for an event, not for a time: a slow
 * machine makes a test slower, never red; the test's own timeout (vitest's) ends a hang.
 * After `patienceMs` they say once, on stderr, what they still wait for (with `context()`,
 * e.g. a process's output), so a test that then times out names its cause.
 */
export function noteSlowWait(what: string, started: number, patienceMs: number, context?: () => string): () => void {
  let noted = false;
  return () => {
    if (noted || Date.now() - started <= patienceMs) return;
    noted = true;
    process.stderr.write(`still waiting for ${what} after ${patienceMs} ms (a slow machine?)${context ? `; output so far:\n${context()}` : ''}\n`);
  };
}

/** Polls `probe` every 10 ms until it returns something truthy, and returns that. */
export async function waitUntil<T>(what: string, probe: () => T | Promise<T>, patienceMs = 1500, context?: () => string): Promise<NonNullable<T>> {
  const note = noteSlowWait(what, Date.now(), patienceMs, context);
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    note();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
