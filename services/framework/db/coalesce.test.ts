import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { coalesce } from './coalesce.js';

/** A coalesced doubling whose batches are recorded, each taking `ms` to run. */
function doubler(ms: number) {
  const batches: number[][] = [];
  const double = coalesce(async (items: number[]) => {
    batches.push(items);
    await new Promise((r) => setTimeout(r, ms));
    return items.map((i) => i * 2);
  });
  return { batches, double };
}

describe('coalesce', () => {
  it('runs a lone call at once and the calls that arrive meanwhile together, each getting its own result', async () => {
    const { batches, double } = doubler(5);
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => double(i)));
    expect(results).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('rejects the calls of a failed batch only, and keeps serving', async () => {
    const run = coalesce(async (items: string[]) => {
      if (items.includes('bad')) throw new Error('bad batch');
      return items.map((s) => s.toUpperCase());
    });
    const first = run('ok');
    const [bad, alsoInBadBatch] = [run('bad'), run('x')];
    await expect(first).resolves.toBe('OK');
    await expect(bad).rejects.toThrow('bad batch');
    await expect(alsoInBadBatch).rejects.toThrow('bad batch');
    await expect(run('again')).resolves.toBe('AGAIN');
  });

  it('rejects the batch of a run that throws before returning a promise, or answers the wrong number, and keeps serving', async () => {
    const run = coalesce((items: string[]): Promise<string[]> => {
      if (items.includes('sync')) throw new Error('thrown at once');
      if (items.includes('short')) return Promise.resolve([]);
      if (items.includes('none')) return Promise.resolve(undefined as unknown as string[]);
      return Promise.resolve(items.map((s) => s.toUpperCase()));
    });
    await expect(run('sync')).rejects.toThrow('thrown at once');
    await expect(run('short')).rejects.toThrow('coalesce: run returned 0 results for 1 items');
    await expect(run('none')).rejects.toThrow('coalesce: run returned no array of results for 1 items');
    await expect(run.many(['a', 'b'])).resolves.toEqual(['A', 'B']);
  });

  it('keeps the items of many() in one batch, each getting its own result in order', async () => {
    const { batches, double } = doubler(5);
    const lone = double(1);
    // Arrives while the lone call runs: queued behind it, with the later single call.
    const [several, late] = [double.many([2, 3, 4]), double(5)];
    expect(await lone).toBe(2);
    expect(await several).toEqual([4, 6, 8]);
    expect(await late).toBe(10);
    expect(await double.many([6, 7])).toEqual([12, 14]);
    expect(await double.many([])).toEqual([]);
    expect(batches).toEqual([[1], [2, 3, 4, 5], [6, 7]]);
  });

  it('caps the callers of a batch at maxCallers, counting a many() as one caller and still splitting at maxBatch', async () => {
    const batches: number[][] = [];
    const run = coalesce(
      async (items: number[]) => {
        batches.push(items);
        await new Promise((r) => setTimeout(r, 1));
        return items.map((i) => -i);
      },
      { maxCallers: 2, maxBatch: 5 },
    );
    const lone = run(0);
    // Queued while the lone call runs: callers 1, 2, then a many() of four, then 7 and 8.
    const results = await Promise.all([run(1), run(2), run.many([3, 4, 5, 6]), run(7), run(8), lone]);
    expect(results).toEqual([-1, -2, [-3, -4, -5, -6], -7, -8, -0]);
    // Two callers a batch; the many() is one caller with its four items, cut only at maxBatch (five).
    expect(batches).toEqual([[0], [1, 2], [3, 4, 5, 6, 7], [8]]);
  });

  it('splits at maxBatch', async () => {
    const sizes: number[] = [];
    const run = coalesce(
      async (items: number[]) => {
        sizes.push(items.length);
        await new Promise((r) => setTimeout(r, 1));
        return items;
      },
      { maxBatch: 3 },
    );
    await Promise.all(Array.from({ length: 8 }, (_, i) => run(i)));
    expect(sizes).toEqual([1, 3, 3, 1]);
  });

  it('under load starts an idle batch at the end of the turn, with that turn\'s calls; a lone caller at once', async () => {
    const { batches, double } = doubler(1);
    // Quiet: a lone call starts before double() returns.
    const lone = double(1);
    expect(batches).toEqual([[1]]);
    await lone;
    // Calls arriving together (the last batch held two)...
    await double.many([2, 3]);
    // ...so the next call waits for the rest of the turn, and a call made later in it (a
    // microtask here; another socket's frames in a server) goes in the same batch.
    const first = double(4);
    expect(batches).toHaveLength(2);
    const second = Promise.resolve().then(() => double(5));
    expect([await first, await second]).toEqual([8, 10]);
    expect(batches.at(-1)).toEqual([4, 5]);
    // That batch held two: the next one waits for the turn too, holds one call, and so the
    // caller after it is lone again and starts at once.
    await double(6);
    expect(batches.at(-1)).toEqual([6]);
    const quiet = double(7);
    expect(batches.at(-1)).toEqual([7]);
    expect(await quiet).toBe(14);
  });

  it('answers enqueued calls through their callbacks, batched with promised ones, and gives them their batch error', async () => {
    const { batches, double } = doubler(1);
    const got: string[] = [];
    const first = double(1);
    double.enqueue(2, (value) => got.push(`ok ${value}`), (err) => got.push(`failed ${String(err)}`));
    const third = double(3);
    expect(await Promise.all([first, third])).toEqual([2, 6]);
    expect(batches).toEqual([[1], [2, 3]]);
    expect(got).toEqual(['ok 4']);

    const run = coalesce(async (items: string[]): Promise<string[]> => {
      throw new Error(`batch of ${items.length} refused`);
    });
    const refused = await new Promise((resolve) => run.enqueue('a', () => resolve('answered'), resolve));
    expect(String(refused)).toBe('Error: batch of 1 refused');
  });

  it('a callback that throws leaves the rest of its batch answered and the queue running, and is thrown on its own', async () => {
    // In a process of its own: the error is thrown where nothing catches it (the test sees it uncaught).
    const script = `
      const { coalesce } = await import(${JSON.stringify(fileURLToPath(new URL('./coalesce.ts', import.meta.url)))});
      const lines = [];
      process.on('uncaughtException', (err) => { lines.push('uncaught ' + err.message); });
      const run = coalesce(async (items) => { await new Promise((r) => setTimeout(r, 1)); return items.map((i) => i * 10); });
      const first = run(1);
      run.enqueue(2, () => { throw new Error('callback bug'); }, () => lines.push('rejected 2'));
      run.enqueue(3, (v) => lines.push('ok ' + v), () => lines.push('rejected 3'));
      await first;
      lines.push('next ' + (await run(4)));
      await new Promise((r) => setImmediate(r));
      console.log(JSON.stringify(lines));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual(['ok 30', 'uncaught callback bug', 'next 40']);
  });
});
