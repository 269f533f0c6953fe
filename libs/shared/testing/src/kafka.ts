import { randomBytes } from 'node:crypto';
import { type Envelope, fromWire, type WireMessage } from '@meridian/contracts/core';
import { MessageBus, toWireMessage } from '@meridian/shared/messaging';
import { type Log, silentLog } from '@meridian/shared/util';

export const testBrokers = (): string[] =>
  (process.env['KAFKA_BROKERS'] || `127.0.0.1:${process.env['MERIDIAN_TEST_KAFKA_PORT'] || '29092'}`)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);

/** A bus on the test broker; quiet unless a log is passed (kafkajs warns on every rebalance). */
export const createTestBus = (clientId: string, log: Log = silentLog): MessageBus =>
  new MessageBus({ brokers: testBrokers(), clientId: `${clientId}-${randomBytes(3).toString('hex')}`, log });

/** Topic names are unique per run so files and reruns never read each other's messages. */
export const uniqueTopic = (prefix: string): string => `test.${prefix}.${randomBytes(4).toString('hex')}`;

/** Creates topics (the test broker does not auto-create) with a short retention. */
export async function createTopics(bus: MessageBus, names: readonly string[], partitions = 1): Promise<void> {
  await bus.ensureTopics(
    names.map((name) => ({ name, partitions, retentionMs: 60 * 60 * 1000, cleanupPolicy: 'delete' as const })),
  );
}

/** Best-effort removal of a test's topics; a leftover topic only costs disk. */
export async function deleteTopics(bus: MessageBus, names: readonly string[]): Promise<void> {
  const admin = await bus.admin();
  const existing = new Set(await admin.listTopics());
  const topics = names.filter((n) => existing.has(n));
  if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => undefined);
}

export interface ConsumedMessage {
  readonly partition: number;
  readonly offset: string;
  readonly wire: WireMessage;
  /** Null when the message is not a valid CloudEvent (e.g. a poison message read from a DLQ). */
  readonly envelope: Envelope | null;
}

const decode = (wire: WireMessage): Envelope | null => {
  try {
    return fromWire(wire);
  } catch {
    return null;
  }
};

/**
 * Reads a topic from the beginning with a fresh consumer group until `expectedCount` messages
 * arrived; rejects with the number seen if they do not arrive within `timeoutMs`. Reads past
 * `expectedCount` are kept when they arrive in the same batch, so duplicates stay visible.
 */
export async function consumeAll(
  bus: MessageBus,
  topic: string,
  expectedCount: number,
  timeoutMs = 20_000,
): Promise<ConsumedMessage[]> {
  const consumer = bus.newConsumer(`test-reader-${randomBytes(6).toString('hex')}`);
  const seen: ConsumedMessage[] = [];
  let done: () => void = () => undefined;
  const complete = new Promise<void>((resolve) => (done = resolve));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const wire = toWireMessage(m);
          seen.push({ partition: batch.partition, offset: m.offset, wire, envelope: decode(wire) });
        }
        if (seen.length >= expectedCount) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`consumeAll(${topic}): ${seen.length} of ${expectedCount} messages after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([complete, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return seen;
  } finally {
    await consumer.disconnect();
    bus.forget(consumer);
  }
}
