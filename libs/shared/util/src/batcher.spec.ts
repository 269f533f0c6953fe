import { describe, expect, it } from '@jest/globals';
import { Batcher } from './batcher';

/** A run that the test releases by hand, recording the batches it was given. */
function gatedRun() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const run = async (inputs: readonly number[]): Promise<number[]> => {
    batches.push([...inputs]);
    await new Promise<void>((open) => gates.push(open));
    if (inputs.includes(-1)) throw new Error('poisoned batch');
    return inputs.map((n) => n * 10);
  };
  const release = async (): Promise<void> => {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { batches, run, release };
}

describe('Batcher', () => {
  it('runs a lone input at once and batches the inputs that arrive while it runs', async () => {
    const { batches, run, release } = gatedRun();
    const batcher = new Batcher(run, { maxBatch: 10 });
    const first = batcher.submit(1);
    expect(batches).toEqual([[1]]);
    const rest = [2, 3, 4].map((n) => batcher.submit(n));
    expect(batches).toHaveLength(1);
    await release();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    await release();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(batcher.sizes).toEqual({ runs: 2, inputs: 4, largest: 3 });
  });

  it('caps a batch at maxBatch and keeps the order of arrival', async () => {
    const { batches, run, release } = gatedRun();
    const batcher = new Batcher(run, { maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((n) => batcher.submit(n));
    for (let i = 0; i < 3; i++) await release();
    expect(batches).toEqual([[1], [2, 3], [4, 5]]);
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
  });

  it('fails only the inputs of a failing batch; the next batch runs', async () => {
    const { run, release } = gatedRun();
    const batcher = new Batcher(run, { maxBatch: 10 });
    const ok = batcher.submit(1);
    const poisoned = Promise.allSettled([batcher.submit(2), batcher.submit(-1)]);
    await release();
    const later = batcher.submit(3);
    await release();
    await release();
    expect(await ok).toBe(10);
    expect((await poisoned).map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value))).toEqual([
      'poisoned batch',
      'poisoned batch',
    ]);
    expect(await later).toBe(30);
  });

  it('starts up to maxInFlight runs at once', async () => {
    const { batches, run, release } = gatedRun();
    const batcher = new Batcher(run, { maxBatch: 10, maxInFlight: 2 });
    const all = [1, 2, 3, 4].map((n) => batcher.submit(n));
    expect(batches).toEqual([[1], [2]]);
    for (let i = 0; i < 3; i++) await release();
    expect(batches).toEqual([[1], [2], [3, 4]]);
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40]);
  });

  it('rejects every input when a run answers with the wrong number of outcomes', async () => {
    const batcher = new Batcher(async () => [1], { maxBatch: 10 });
    const first = batcher.submit('a');
    const both = Promise.allSettled([batcher.submit('b'), batcher.submit('c')]);
    expect(await first).toBe(1);
    for (const r of await both)
      expect(r).toMatchObject({
        status: 'rejected',
        reason: { message: expect.stringContaining('came back with 1 outcomes') },
      });
  });
});
