import type { Counter, Gauge } from 'prom-client';

/** What kafkajs reports after each fetched batch (its END_BATCH_PROCESS event's payload). */
export interface BatchReport {
  readonly topic: string;
  readonly partition: number;
  readonly batchSize: number;
  /** High watermark − 1 − the batch's last offset, as a decimal string. */
  readonly offsetLag: string;
}

/**
 * The instruments of one consumer group. Called once per fetched batch and once per failed
 * message, never per handled message; the labelled children are looked up once and kept.
 */
export class ConsumerMetrics {
  private readonly lag = new Map<string, Gauge.Internal<'group' | 'topic' | 'partition'>>();
  private readonly consumed = new Map<string, Counter.Internal>();
  private readonly failed = new Map<string, Counter.Internal>();
  private readonly deadLetters = new Map<string, Counter.Internal>();

  constructor(
    readonly group: string,
    private readonly lagGauge: Gauge<'group' | 'topic' | 'partition'>,
    private readonly consumedCounter: Counter<'group' | 'topic'>,
    private readonly failedCounter: Counter<'group' | 'topic'>,
    private readonly deadLetterCounter: Counter<'topic'>,
  ) {}

  /** A batch was handled (or, for pipelined consumers, taken into its lanes). */
  batchDone(report: BatchReport): void {
    const key = `${report.topic}|${report.partition}`;
    let lag = this.lag.get(key);
    if (!lag) {
      lag = this.lagGauge.labels(this.group, report.topic, String(report.partition));
      this.lag.set(key, lag);
    }
    lag.set(Math.max(0, Number(report.offsetLag)));
    if (report.batchSize > 0)
      child(this.consumed, report.topic, () => this.consumedCounter.labels(this.group, report.topic)).inc(
        report.batchSize,
      );
  }

  /** A message could not be handled: dead-lettered, or skipped where there is no DLQ. */
  messageFailed(topic: string): void {
    child(this.failed, topic, () => this.failedCounter.labels(this.group, topic)).inc();
  }

  /** A message was written to `<topic>.dlq`. */
  deadLettered(topic: string): void {
    child(this.deadLetters, topic, () => this.deadLetterCounter.labels(topic)).inc();
  }

  /**
   * After a rebalance: the partitions this member no longer owns stop reporting here (their new
   * owner reports them), so their last value must not linger as a stale lag.
   */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    for (const key of [...this.lag.keys()]) {
      const cut = key.lastIndexOf('|');
      const topic = key.slice(0, cut);
      const partition = Number(key.slice(cut + 1));
      if (assignment[topic]?.includes(partition)) continue;
      this.lagGauge.remove(this.group, topic, String(partition));
      this.lag.delete(key);
    }
  }
}

function child<C>(cache: Map<string, C>, key: string, make: () => C): C {
  let c = cache.get(key);
  if (c === undefined) {
    c = make();
    cache.set(key, c);
  }
  return c;
}
