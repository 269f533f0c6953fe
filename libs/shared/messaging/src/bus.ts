import { type Admin, type Consumer, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { CodedError, ErrorCodes, type TopicDefinition, type WireMessage } from '@meridian/contracts';
import { backoff, type Log, sleep } from '@meridian/shared/util';
import { SendQueue } from './send-queue';

export interface BusConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly log: Log;
}

/**
 * The one place that knows the Kafka client. Services and features see WireMessages and
 * Envelopes only, so kafkajs (in maintenance mode) can be replaced here without touching them.
 */
export class MessageBus {
  readonly kafka: Kafka;
  private producerPromise: Promise<Producer> | null = null;
  private adminPromise: Promise<Admin> | null = null;
  private readonly consumers = new Set<Consumer>();
  private readonly joined = new Map<Consumer, boolean>();
  private readonly queue = new SendQueue(() => this.producer());

  constructor(readonly config: BusConfig) {
    const log = config.log;
    this.kafka = new Kafka({
      clientId: config.clientId,
      brokers: [...config.brokers],
      retry: { initialRetryTime: 200, retries: 10 },
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
    });
  }

  /** Idempotent producer with acks=all: a broker retry never duplicates or reorders a partition. */
  producer(): Promise<Producer> {
    this.producerPromise ??= (async () => {
      const p = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await p.connect();
      return p;
    })().catch((err: unknown) => {
      this.producerPromise = null; // the next send connects again
      throw err;
    });
    return this.producerPromise;
  }

  /** Resolves when the broker acknowledged every message (acks=all). */
  send(topic: string, messages: readonly WireMessage[]): Promise<void> {
    return this.queue.send(topic, messages);
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
        replicationFactor: 1,
        configEntries: [
          { name: 'cleanup.policy', value: d.cleanupPolicy },
          { name: 'retention.ms', value: String(d.retentionMs) },
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
    // Right after a topic is created KRaft may briefly answer NOT_LEADER: retriable, so retry.
    for (let attempt = 0; ; attempt++) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
      } catch (err) {
        if (!(err as { retriable?: boolean }).retriable || attempt >= 10) throw err;
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
      maxWaitTimeInMs: 100,
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
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    this.joined.clear();
    const producer = this.producerPromise;
    const admin = this.adminPromise;
    this.producerPromise = null;
    this.adminPromise = null;
    await Promise.allSettled([producer?.then((p) => p.disconnect()), admin?.then((a) => a.disconnect())]);
  }
}

/** A message that can never succeed (not a CloudEvent, fails its schema): goes to the DLQ. */
export const isPoison = (err: unknown): boolean =>
  err instanceof CodedError && (err.code === ErrorCodes.contractViolation || err.code === ErrorCodes.requestInvalid);
