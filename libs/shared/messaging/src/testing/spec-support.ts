import { randomBytes, randomUUID } from 'node:crypto';
import { type Envelope, toWire, type WireMessage } from '@meridian/contracts/core';
import { eventually as retryUntil, type EventuallyOptions, silentLog } from '@meridian/shared/util';
import { type BusConfig, MessageBus } from '../bus';
import { toWireMessage } from '../consumer';

/*
 * Twins of @meridian/shared/testing helpers for this lib's own specs. That lib depends on
 * messaging, and Nx counts spec imports as project dependencies, so importing it from here would be
 * a cycle lint refuses. Not exported from the lib's index: only specs import this file.
 */

export const suffix = (): string => randomBytes(4).toString('hex');

/** Topic names are unique per run so files and reruns never read each other's messages. */
export const uniqueTopic = (prefix: string): string => `test.${prefix}.${suffix()}`;

const testBrokers = (): string[] => (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');

/** A quiet bus on the test broker (or, through `config`, on a broker of the test's own). */
export const createTestBus = (clientId: string, config: Partial<BusConfig> = {}): MessageBus =>
  new MessageBus({ brokers: testBrokers(), clientId: `${clientId}-${suffix()}`, log: silentLog, ...config });

/** `eventually` of shared/util with the longer defaults broker round trips need. */
export const eventually = <T>(fn: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<T> =>
  retryUntil(fn, { timeoutMs: 30_000, intervalMs: 100, ...options });

/** Creates topics (the test broker does not auto-create) with a short retention. */
export async function createTopics(bus: MessageBus, names: readonly string[], partitions = 1): Promise<void> {
  await bus.ensureTopics(
    names.map((name) => ({ name, partitions, retentionMs: 3_600_000, cleanupPolicy: 'delete' as const })),
  );
}

/** Best-effort removal of a test's topics; a leftover topic only costs disk. */
export async function deleteTopics(bus: MessageBus, names: readonly string[]): Promise<void> {
  const admin = await bus.admin();
  const existing = new Set(await admin.listTopics());
  const topics = names.filter((n) => existing.has(n));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
}

/** How many messages were ever written to a topic, over all its partitions. */
export const messagesIn = async (bus: MessageBus, topic: string): Promise<bigint> =>
  [...(await bus.endOffsets(topic)).values()].reduce((a, b) => a + b, 0n);

/**
 * Reads a topic from the beginning with a fresh group until `count` messages arrived; rejects
 * with the number seen (`… 1 of 2 messages …`) if they do not arrive within `timeoutMs`.
 */
export async function readTopic(
  bus: MessageBus,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<WireMessage[]> {
  const consumer = bus.newConsumer(`test-reader-${randomUUID()}`);
  const seen: WireMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(toWireMessage(message)) });
    await eventually(
      () => {
        if (seen.length < count) {
          throw new Error(`readTopic(${topic}): ${seen.length} of ${count} messages after ${timeoutMs} ms`);
        }
      },
      { timeoutMs, intervalMs: 50 },
    );
    return seen;
  } finally {
    await consumer.disconnect();
    bus.forget(consumer);
  }
}

/** A CloudEvent of a test type, with a fresh id and correlation id. */
export const testEvent = <T>(type: string, data: T, extra: Partial<Omit<Envelope, 'data'>> = {}): Envelope<T> => ({
  id: randomUUID(),
  type,
  source: '/meridian/test',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  ...extra,
});

/** The same event as a binary-mode CloudEvent on the wire. */
export const testWire = (
  type: string,
  data: unknown,
  key: string | null,
  extra: Partial<Omit<Envelope, 'data'>> = {},
): WireMessage => toWire(testEvent(type, data, extra), key);
