/**
 * The test helpers for waiting, one of each: polls `probe` every 10 ms until it returns
 * something truthy; fails naming `what` (and `context()`, e.g. a process's output) after
 * `timeoutMs`.
 */
export async function waitUntil<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 1500, context?: () => string): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${context ? `; output:\n${context()}` : ''}`);
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
