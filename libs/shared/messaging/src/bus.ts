import {
  type Admin,
  type Consumer,
  Kafka,
  type KafkaConfig,
  logLevel,
  type PartitionMetadata,
  Partitioners,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import type { TopicDefinition, WireMessage } from '@meridian/contracts/core';
import type { ServiceMetrics } from '@meridian/shared/metrics';
import { backoff, type Log, settleWithin, sleep } from '@meridian/shared/util';
import { fixKafkajsIdleTimers } from './kafkajs-idle-fix';
import { isUnknownTopic, SendQueue } from './send-queue';

// Before any client exists: every connection's request queue gets the fixed timer (see the module).
fixKafkajsIdleTimers();

/** The producer's partitioner, for `partitionForKey`; only the key and the partition count matter to it. */
const keyPartitioner = Partitioners.DefaultPartitioner();
const partitionLists = new Map<number, PartitionMetadata[]>();
const partitionsOf = (count: number): PartitionMetadata[] => {
  let list = partitionLists.get(count);
  if (!list) {
    list = Array.from({ length: count }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      offlineReplicas: [],
    }));
    partitionLists.set(count, list);
  }
  return list;
};

const partitionMemo = new Map<string, number>();
const PARTITION_MEMO_MAX = 100_000;

/**
 * The partition the producer's default partitioner gives `key` on a topic of `count` partitions.
 * Memoised (bounded): kafkajs's murmur2 costs microseconds, and the same asset ids come back.
 */
export function partitionForKey(key: string, count: number): number {
  const memo = `${count}|${key}`;
  let partition = partitionMemo.get(memo);
  if (partition === undefined) {
    partition = keyPartitioner({ topic: '', partitionMetadata: partitionsOf(count), message: { key, value: null } });
    if (partitionMemo.size >= PARTITION_MEMO_MAX) partitionMemo.clear();
    partitionMemo.set(memo, partition);
  }
  return partition;
}

/** TLS and SASL for a managed Kafka (issue 11); both off for the local broker. */
export interface KafkaSecurity {
  /** TLS to the brokers: `true` trusts the system's CAs; `{ ca }` trusts the given PEM certificates. */
  readonly ssl?: boolean | { readonly ca: readonly string[] };
  readonly sasl?: SASLOptions;
}

export interface BusConfig extends KafkaSecurity {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Replication factor of the topics `ensureTopics` creates (default 1: the single local broker). */
  readonly replicationFactor?: number;
  readonly log: Log;
  /** Bound of the send queue in bytes (default 32 MiB): a send past it is refused with UPSTREAM.UNAVAILABLE. */
  readonly maxQueuedBytes?: number;
  /** Deadline of each send (default 10 s), after which it rejects with UPSTREAM.UNAVAILABLE. */
  readonly sendTimeoutMs?: number;
  /** Where the consumers of this bus count lag, messages and dead letters; none when absent. */
  readonly metrics?: ServiceMetrics;
}

/**
 * Producer retries are few and short: a send is retried by the send queue on a fresh producer
 * until its deadline, so kafkajs's own retries only need to ride out a leader change. Unbounded,
 * they nest (every retry reconnects with retries of its own) and a send hangs for minutes.
 */
const PRODUCER_RETRY = { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 } as const;
/** How often an unhealthy producer is tried again when nothing is being sent. */
const PRODUCER_RECOVERY_MS = 5000;

/**
 * The one place that knows the Kafka client. Services and features see WireMessages and
 * Envelopes only, so kafkajs (in maintenance mode) can be replaced here without touching them.
 */
export class MessageBus {
  readonly kafka: Kafka;
  /** A client of its own for producers, with the bounded retries above. */
  private readonly producerKafka: Kafka;
  private producerPromise: Promise<Producer> | null = null;
  private adminPromise: Promise<Admin> | null = null;
  private readonly consumers = new Set<Consumer>();
  private readonly joined = new Map<Consumer, boolean>();
  private readonly retiring = new Set<Promise<unknown>>();
  private healthy = true;
  private recovery: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly queue: SendQueue;

  constructor(readonly config: BusConfig) {
    const log = config.log;
    const common: KafkaConfig = {
      clientId: config.clientId,
      brokers: [...config.brokers],
      ...(config.ssl === undefined
        ? {}
        : { ssl: config.ssl === true || config.ssl === false ? config.ssl : { ca: [...config.ssl.ca] } }),
      ...(config.sasl ? { sasl: config.sasl } : {}),
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log: entry }) => {
          const { message, ...rest } = entry;
          // Bounded producer retries are deliberate: a request fails (503) instead of hanging, and
          // every consumer deduplicates by event id, so the EoS warning is noise here.
          if (String(message).startsWith('Limiting retries for the idempotent producer')) return;
          if (level <= logLevel.ERROR) log.error({ kafka: rest }, String(message));
          else log.warn({ kafka: rest }, String(message));
        },
    };
    this.kafka = new Kafka({ ...common, retry: { initialRetryTime: 200, retries: 10 } });
    this.producerKafka = new Kafka({ ...common, retry: PRODUCER_RETRY });
    this.queue = new SendQueue(
      {
        acquire: () => this.producer(),
        failed: (err) => this.producerFailed(err),
        succeeded: () => (this.healthy = true),
      },
      { maxQueuedBytes: config.maxQueuedBytes, sendTimeoutMs: config.sendTimeoutMs },
    );
  }

  /**
   * Idempotent producer with acks=all: a broker retry never duplicates or reorders a partition.
   * After a failed request it is replaced (see `producerFailed`).
   */
  producer(): Promise<Producer> {
    if (this.producerPromise) return this.producerPromise;
    const connecting: Promise<Producer> = (async () => {
      const p = this.producerKafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: PRODUCER_RETRY,
      });
      try {
        await p.connect();
      } catch (err) {
        void settleWithin(5000, p.disconnect());
        throw err;
      }
      return p;
    })().catch((err: unknown) => {
      if (this.producerPromise === connecting) this.producerPromise = null; // the next send connects again
      throw err;
    });
    this.producerPromise = connecting;
    return connecting;
  }

  /**
   * For readiness: false after a produce failed because of the broker or the connection, until a
   * produce succeeds again or, when nothing is being sent, a fresh producer connects (tried every
   * few seconds in the background; without it an instance taken out of service for being unready
   * would never send again, and so never become ready). A topic the broker says does not exist is
   * that send's problem, not the producer's, and leaves the flag as it was.
   */
  producerHealthy(): boolean {
    return this.healthy;
  }

  /**
   * After any failed request the producer is disconnected (bounded, in the background) and
   * dropped; the next request connects a fresh one. kafkajs's idempotent producer can otherwise
   * drop a batch or wedge a partition after errors (stale sequence numbers), and keeps every topic
   * it ever produced to in its metadata requests, so one deleted topic would fail all its sends.
   */
  private producerFailed(err: unknown): void {
    if (!isUnknownTopic(err)) {
      this.healthy = false;
      this.scheduleRecovery();
    }
    const failed = this.producerPromise;
    this.producerPromise = null;
    if (!failed) return;
    const retiring = failed
      .then((p) => settleWithin(5000, p.disconnect()))
      .catch(() => undefined)
      .finally(() => this.retiring.delete(retiring));
    this.retiring.add(retiring);
  }

  private scheduleRecovery(): void {
    if (this.recovery || this.closed) return;
    this.recovery = setTimeout(() => {
      void (async () => {
        if (this.healthy || this.closed) return;
        const connected = await settleWithin(PRODUCER_RECOVERY_MS, this.producer());
        if (connected !== 'timeout' && connected.status === 'fulfilled' && !this.closed) this.healthy = true;
      })().finally(() => {
        this.recovery = null;
        if (!this.healthy) this.scheduleRecovery();
      });
    }, PRODUCER_RECOVERY_MS);
    this.recovery.unref();
  }

  /** Bytes accepted by `send` and not yet acknowledged or given up (bounded by `maxQueuedBytes`). */
  queuedBytes(): number {
    return this.queue.bytesQueued;
  }

  /**
   * Resolves when the broker acknowledged every message (acks=all). Rejects with
   * UPSTREAM.UNAVAILABLE at once when the send queue is full, and at the send's deadline.
   */
  send(topic: string, messages: readonly WireMessage[]): Promise<void> {
    return this.queue.send(topic, messages);
  }

  /**
   * The partition the producer's default partitioner gives `key` on `topic` (Java-compatible
   * murmur2, as every Kafka client computes it), so a caller can group records by partition and
   * key each group with one of its keys. The partition count is read from the cluster and cached
   * for a minute.
   */
  async partitionOfKey(topic: string, key: string): Promise<number> {
    return partitionForKey(key, await this.partitionCount(topic));
  }

  /** `partitionOfKey` for many keys: the partition count is read once. */
  async partitionerFor(topic: string): Promise<(key: string) => number> {
    const count = await this.partitionCount(topic);
    return (key) => partitionForKey(key, count);
  }

  private readonly partitionCounts = new Map<string, { count: number; until: number }>();

  private async partitionCount(topic: string): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (cached && cached.until > Date.now()) return cached.count;
    const admin = await this.admin();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics[0]?.partitions.length ?? 0;
    if (count === 0) throw new Error(`topic ${topic} has no partitions`);
    this.partitionCounts.set(topic, { count, until: Date.now() + 60_000 });
    return count;
  }

  admin(): Promise<Admin> {
    this.adminPromise ??= (async () => {
      const a = this.kafka.admin();
      await a.connect();
      return a;
    })().catch((err: unknown) => {
      this.adminPromise = null;
      throw err;
    });
    return this.adminPromise;
  }

  /** Creates missing topics from their declarations; existing ones are left as they are. */
  async ensureTopics(definitions: readonly TopicDefinition[]): Promise<string[]> {
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const missing = definitions.filter((d) => !existing.has(d.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((d) => ({
        topic: d.name,
        numPartitions: d.partitions,
        replicationFactor: this.config.replicationFactor ?? 1,
        configEntries: [
          { name: 'cleanup.policy', value: d.cleanupPolicy },
          { name: 'retention.ms', value: String(d.retentionMs) },
          ...(d.maxMessageBytes ? [{ name: 'max.message.bytes', value: String(d.maxMessageBytes) }] : []),
        ],
      })),
    });
    await this.waitForLeaders(missing.map((d) => d.name));
    return missing.map((d) => d.name);
  }

  /** kafkajs's own wait gives up on UNKNOWN_TOPIC_OR_PARTITION, which KRaft answers for a moment after creation. */
  private async waitForLeaders(topics: string[], timeoutMs = 30_000): Promise<void> {
    const admin = await this.admin();
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) throw new Error(`topics without leaders after ${timeoutMs} ms: ${topics.join(', ')}`);
      await sleep(backoff(attempt, 50, 1000));
    }
  }

  /** The next offset to be written, per partition (the high watermark). */
  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    const admin = await this.admin();
    // Right after a topic is created KRaft may briefly answer NOT_LEADER (retriable), and kafkajs
    // may then fail inside fetchTopicOffsets with a TypeError on the partial metadata (seen once at
    // a gateway start): both pass within a moment, so both are retried, boundedly.
    for (let attempt = 0; ; attempt++) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
      } catch (err) {
        const passing = (err as { retriable?: boolean }).retriable === true || err instanceof TypeError;
        if (!passing || attempt >= 10) throw err;
        await sleep(backoff(attempt, 50, 1000));
      }
    }
  }

  /** The Kafka cluster id: a new id means a new (empty) cluster, whatever the addresses say. */
  async clusterId(): Promise<string> {
    const admin = await this.admin();
    return (await admin.describeCluster()).clusterId;
  }

  /** True when the broker answers a metadata request. */
  async ping(): Promise<boolean> {
    try {
      const admin = await this.admin();
      await admin.describeCluster();
      return true;
    } catch {
      return false;
    }
  }

  /** True when every consumer of this bus has joined its group (has partitions to read). */
  consumersJoined(): boolean {
    return [...this.joined.values()].every(Boolean);
  }

  newConsumer(groupId: string): Consumer {
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
      // How long the broker holds a fetch that finds nothing: it answers as soon as a message is
      // there (minBytes 1), so this only sets how often an idle consumer asks (2/s; was 10/s) and
      // how long a stop may wait for the fetch in flight.
      maxWaitTimeInMs: 500,
      retry: { retries: 10 },
    });
    this.consumers.add(consumer);
    this.joined.set(consumer, false);
    consumer.on(consumer.events.GROUP_JOIN, () => this.joined.set(consumer, true));
    consumer.on(consumer.events.STOP, () => this.joined.set(consumer, false));
    consumer.on(consumer.events.CRASH, () => this.joined.set(consumer, false));
    return consumer;
  }

  forget(consumer: Consumer): void {
    this.consumers.delete(consumer);
    this.joined.delete(consumer);
  }

  /** Stops consumers first (they commit what they finished), then the producer and admin. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.recovery) clearTimeout(this.recovery);
    this.recovery = null;
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    this.joined.clear();
    await this.queue.close();
    await Promise.allSettled([...this.retiring]);
    const producer = this.producerPromise;
    const admin = this.adminPromise;
    this.producerPromise = null;
    this.adminPromise = null;
    await Promise.allSettled([producer?.then((p) => p.disconnect()), admin?.then((a) => a.disconnect())]);
  }
}
