/** Runs a batch: one outcome per input, in order. A throw fails every input of that batch. */
export type RunBatch<I, O> = (inputs: readonly I[]) => Promise<readonly O[]>;

export interface BatcherOptions {
  /** Inputs per run (at least 1). */
  readonly maxBatch: number;
  /** Runs at the same time (default 1): more lets a new batch start while a slow one is out. */
  readonly maxInFlight?: number;
}

interface Waiting<I, O> {
  readonly input: I;
  readonly resolve: (outcome: O) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Natural batching ("group commit"): an input that finds a free slot runs at once, alone — no
 * timer, no added latency at low load; inputs that arrive while every slot is busy wait and then
 * go together in the next run. Under load the batch size follows the arrival rate times the
 * run's duration, so round trips per input fall as load rises.
 */
export class Batcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  /** Runs and inputs so far, and the largest batch: for benchmarks and tests. */
  readonly sizes = { runs: 0, inputs: 0, largest: 0 };

  constructor(
    private readonly run: RunBatch<I, O>,
    private readonly options: BatcherOptions,
  ) {
    if (options.maxBatch < 1) throw new Error('maxBatch must be at least 1');
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  }

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.inFlight < this.maxInFlight) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.inFlight++;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        this.sizes.runs++;
        this.sizes.inputs += batch.length;
        this.sizes.largest = Math.max(this.sizes.largest, batch.length);
        try {
          const outcomes = await this.run(batch.map((w) => w.input));
          if (outcomes.length !== batch.length) {
            throw new Error(`a batch of ${batch.length} came back with ${outcomes.length} outcomes`);
          }
          batch.forEach((w, i) => w.resolve(outcomes[i]));
        } catch (err) {
          batch.forEach((w) => w.reject(err));
        }
      }
    } finally {
      this.inFlight--;
    }
  }
}
