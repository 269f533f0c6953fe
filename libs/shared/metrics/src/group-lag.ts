import { Gauge, type Registry } from 'prom-client';
import { topicLabel } from './consumer-metrics';

/** The two admin calls the committed lag needs (kafkajs's Admin has them; tests may pass their own). */
export interface OffsetsAdmin {
  fetchOffsets(options: {
    groupId: string;
    topics: string[];
  }): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
  fetchTopicOffsets(topic: string): Promise<{ partition: number; high: string; low: string }[]>;
}

interface Watched {
  readonly topics: readonly string[];
  readonly admin: () => Promise<OffsetsAdmin>;
}

/** A scrape must not hang on a broker that is away: past this the gauge keeps its last values. */
const READ_TIMEOUT_MS = 2000;
/** One broker read serves the scrapes of this long (a 15 s scrape interval, several scrapers). */
const CACHE_MS = 10_000;

/**
 * The committed lag of the service's own consumer groups, read from the brokers at scrape time:
 * the end offset of each partition minus the group's committed offset. Unlike
 * `meridian_kafka_consumer_lag_messages` (as of the last finished batch) it keeps growing while a
 * handler hangs, a consumer stopped or the group has no member at all. Every replica reads every
 * partition of its groups, so aggregate with `max`, not `sum`. Reply groups are not watched: the
 * per-process ones never commit (their committed lag would be everything) and all are per pod.
 */
export class GroupLag {
  private readonly gauge: Gauge<'group' | 'topic' | 'partition'>;
  private readonly watched = new Map<string, Watched>();
  private reading: Promise<void> | null = null;
  private readAt = 0;

  constructor(registers: Registry[]) {
    this.gauge = new Gauge({
      name: 'meridian_kafka_consumer_group_committed_lag_messages',
      help:
        "Messages of a partition after the consumer group's committed offset (end offset minus committed), " +
        'read from the brokers at scrape time (cached 10 s). Every replica reports every partition: use max.',
      labelNames: ['group', 'topic', 'partition'] as const,
      registers,
      collect: () => this.read(),
    });
  }

  /** Reads `group`'s lag on `topics` at each scrape from now on; the latest call for a group wins. */
  watch(group: string, topics: readonly string[], admin: () => Promise<OffsetsAdmin>): void {
    // Reply groups (even instance-scoped ones, which commit) are named per pod: unbounded labels.
    if (topicLabel(group) !== group) return;
    this.watched.set(group, { topics, admin });
    this.readAt = 0;
  }

  /** The group stopped here: its series go (another replica, if any, still reports them). */
  unwatch(group: string): void {
    this.watched.delete(group);
    this.removeGroup(group);
  }

  private read(): Promise<void> {
    if (Date.now() - this.readAt < CACHE_MS) return Promise.resolve();
    return (this.reading ??= this.readAll().finally(() => (this.reading = null)));
  }

  private async readAll(): Promise<void> {
    await Promise.all(
      [...this.watched].map(async ([group, watched]) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), READ_TIMEOUT_MS)));
        try {
          const lags = await Promise.race([committedLag(group, watched), timeout]);
          if (!lags || this.watched.get(group) !== watched) return;
          this.removeGroup(group);
          for (const { topic, partition, lag } of lags) this.gauge.labels(group, topic, String(partition)).set(lag);
          this.series.set(
            group,
            lags.map(({ topic, partition }) => [topic, String(partition)]),
          );
        } catch {
          // The broker is away: readiness says so; the gauge keeps its last values.
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    this.readAt = Date.now();
  }

  /** Partitions a group had at its last read: removed before the next read sets its values. */
  private readonly series = new Map<string, (readonly [string, string])[]>();

  private removeGroup(group: string): void {
    for (const [topic, partition] of this.series.get(group) ?? []) this.gauge.remove(group, topic, partition);
    this.series.delete(group);
  }
}

async function committedLag(
  group: string,
  watched: Watched,
): Promise<{ topic: string; partition: number; lag: number }[]> {
  const admin = await watched.admin();
  const committed = await admin.fetchOffsets({ groupId: group, topics: [...watched.topics] });
  const lags: { topic: string; partition: number; lag: number }[] = [];
  for (const { topic, partitions } of committed) {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o]));
    for (const { partition, offset } of partitions) {
      const end = ends.get(partition);
      if (!end) continue;
      // Nothing committed yet (-1): the group starts from the beginning, so all retained messages wait.
      const from = BigInt(offset) < 0n ? BigInt(end.low) : BigInt(offset);
      const lag = BigInt(end.high) - from;
      lags.push({ topic, partition, lag: Number(lag > 0n ? lag : 0n) });
    }
  }
  return lags;
}
