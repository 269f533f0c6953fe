import { replyTopicTemplate } from '@meridian/contracts/core';
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
 * A reply topic (`meridian.<service>.replies.<instance>[.<start>-<random>]`) and its group
 * (`<topic>.group`) are per process: as label values they would start new series at every pod
 * start. The same template the tracing code names spans by (`trace-context.ts`) keeps them to one
 * per service; the pod is told apart by Prometheus' own `instance`/`pod` target labels.
 */
/** The label value of a topic or consumer group: reply topics and their groups by their template. */
export const topicLabel = (topicOrGroup: string): string => replyTopicTemplate(topicOrGroup);

type GroupTopic = 'group' | 'topic';

/**
 * The instruments of one consumer group. Called once per fetched batch and once per failed
 * message, never per handled message; the labelled children are looked up once and kept. Topics
 * and the group are labelled by `topicLabel`.
 */
export class ConsumerMetrics {
  readonly group: string;
  private readonly lag = new Map<string, Gauge.Internal<GroupTopic | 'partition'>>();
  private readonly lastBatch = new Map<string, Gauge.Internal<GroupTopic>>();
  private readonly consumed = new Map<string, Counter.Internal>();
  private readonly failed = new Map<string, Counter.Internal>();
  private readonly deadLetters = new Map<string, Counter.Internal>();

  constructor(
    group: string,
    private readonly lagGauge: Gauge<GroupTopic | 'partition'>,
    private readonly consumedCounter: Counter<GroupTopic>,
    private readonly failedCounter: Counter<GroupTopic>,
    private readonly deadLetterCounter: Counter<'topic'>,
    private readonly lastBatchGauge: Gauge<GroupTopic>,
  ) {
    this.group = topicLabel(group);
  }

  /** A batch was handled (or, for pipelined consumers, taken into its lanes). */
  batchDone(report: BatchReport): void {
    const topic = topicLabel(report.topic);
    const key = `${topic}|${report.partition}`;
    let lag = this.lag.get(key);
    if (!lag) {
      lag = this.lagGauge.labels(this.group, topic, String(report.partition));
      this.lag.set(key, lag);
    }
    lag.set(Math.max(0, Number(report.offsetLag)));
    // The lag above is only as fresh as the last batch: a hung handler or a stopped consumer
    // freezes it. This timestamp lets an alert see the staleness (time() - it).
    child(this.lastBatch, topic, () => this.lastBatchGauge.labels(this.group, topic)).set(Date.now() / 1000);
    if (report.batchSize > 0)
      child(this.consumed, topic, () => this.consumedCounter.labels(this.group, topic)).inc(report.batchSize);
  }

  /** A message could not be handled: dead-lettered, or skipped where there is no DLQ. */
  messageFailed(topic: string): void {
    const label = topicLabel(topic);
    child(this.failed, label, () => this.failedCounter.labels(this.group, label)).inc();
  }

  /** A message was written to `<topic>.dlq`. */
  deadLettered(topic: string): void {
    const label = topicLabel(topic);
    child(this.deadLetters, label, () => this.deadLetterCounter.labels(label)).inc();
  }

  /**
   * After a rebalance: the partitions this member no longer owns stop reporting here (their new
   * owner reports them), so their last value must not linger as a stale lag.
   */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    const owned = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topicLabel(topic)}|${p}`)),
    );
    for (const key of [...this.lag.keys()]) {
      if (owned.has(key)) continue;
      const cut = key.lastIndexOf('|');
      this.lagGauge.remove(this.group, key.slice(0, cut), key.slice(cut + 1));
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
