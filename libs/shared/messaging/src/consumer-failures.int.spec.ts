import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CodedError,
  dlqTopic,
  ErrorCodes,
  queryRejection,
  queryReply,
  toWire,
  type WireMessage,
} from '@meridian/contracts/core';
import { silentLog, sleep } from '@meridian/shared/util';
import { MessageBus } from './bus';
import { Subscription, toWireMessage } from './consumer';
import { classifyFailure } from './failures';
import { RequestReplyClient } from './request-reply';
import { serveRequests } from './serve';

// Local twins of @meridian/shared/testing helpers (that lib depends on messaging: a lint-failing cycle).
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');
const suffix = () => randomBytes(4).toString('hex');

async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
    await sleep(100);
  }
}

const note = (name: string): WireMessage =>
  toWire(
    {
      id: randomUUID(),
      type: 'test.note.v1',
      source: '/test',
      time: new Date().toISOString(),
      data: { name },
      correlationId: name,
    },
    name,
  );

const refusedRow = (): Error =>
  Object.assign(new Error('duplicate key value violates unique constraint "x_pkey"'), { code: '23505' });
const connectionReset = (): Error => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe('classifyFailure', () => {
  it('tells poison, data, infrastructure and bugs apart', () => {
    expect(classifyFailure(new CodedError(ErrorCodes.contractViolation, 'not a CloudEvent'))).toBe('poison');
    expect(classifyFailure(new CodedError('ASSET.RETIRED', 'retired'))).toBe('data');
    expect(classifyFailure(refusedRow())).toBe('data');
    expect(classifyFailure(Object.assign(new Error('value too long'), { code: '22001' }))).toBe('data');
    expect(classifyFailure(new CodedError(ErrorCodes.upstreamUnavailable, 'queue full'))).toBe('transient');
    expect(classifyFailure(connectionReset())).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('the database system is shutting down'), { code: '57P03' }))).toBe(
      'transient',
    );
    expect(classifyFailure(Object.assign(new Error('terminating connection'), { code: '08006' }))).toBe('transient');
    expect(classifyFailure(new Error('Connection terminated unexpectedly'))).toBe('transient');
    expect(
      classifyFailure(
        Object.assign(new Error('There is no leader'), { name: 'KafkaJSProtocolError', retriable: true }),
      ),
    ).toBe('transient');
    expect(classifyFailure(new AggregateError([connectionReset()], 'connect failed'))).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('relation "x" does not exist'), { code: '42P01' }))).toBe('bug');
    expect(classifyFailure(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe('bug');
    expect(classifyFailure('a string')).toBe('bug');
  });
});

describe('consumer failure paths on the real broker', () => {
  let bus: MessageBus;
  const topics: string[] = [];
  const stoppable: { stop(): Promise<void> }[] = [];

  const topic = async (): Promise<string> => {
    const name = `test.consumer-failures.${suffix()}`;
    await bus.ensureTopics(
      [name, dlqTopic(name)].map((n) => ({
        name: n,
        partitions: 1,
        retentionMs: 3_600_000,
        cleanupPolicy: 'delete' as const,
      })),
    );
    topics.push(name, dlqTopic(name));
    return name;
  };
  const dlqCount = async (t: string): Promise<bigint> => (await bus.endOffsets(dlqTopic(t))).get(0) ?? 0n;

  beforeAll(() => {
    bus = new MessageBus({ brokers, clientId: `consumer-failures-${suffix()}`, log: silentLog });
  });

  afterAll(async () => {
    for (const s of stoppable.reverse()) await s.stop().catch(() => undefined);
    const admin = await bus.admin();
    const existing = new Set(await admin.listTopics());
    await admin.deleteTopics({ topics: topics.filter((t) => existing.has(t)) }).catch(() => undefined);
    await bus.close();
  });

  it('retries infrastructure failures past maxAttempts and dead-letters a coded refusal at once', async () => {
    const t = await topic();
    await bus.send(t, [note('outage'), note('refused'), note('next')]);
    const calls: string[] = [];
    const subscription = new Subscription(bus, {
      groupId: `test-${suffix()}`,
      topics: [t],
      maxAttempts: 2,
      log: silentLog,
    });
    stoppable.push(subscription);
    await subscription.run(async (envelope) => {
      const { name } = envelope.data as { name: string };
      calls.push(name);
      if (name === 'outage' && calls.length <= 3)
        throw new CodedError(ErrorCodes.upstreamUnavailable, 'Kafka did not acknowledge');
      if (name === 'refused') throw new CodedError('TEST.REFUSED', 'not in this state');
    });

    await eventually(() => expect(calls).toEqual(['outage', 'outage', 'outage', 'outage', 'refused', 'next']));
    expect(await dlqCount(t)).toBe(1n);
    const reader = bus.newConsumer(`test-reader-${suffix()}`);
    const dead: WireMessage[] = [];
    await reader.connect();
    await reader.subscribe({ topics: [dlqTopic(t)], fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void dead.push(toWireMessage(message)) });
    await eventually(() => expect(dead).toHaveLength(1));
    await reader.disconnect();
    bus.forget(reader);
    expect(dead[0].headers).toMatchObject({
      'meridian-error-code': 'TEST.REFUSED',
      'meridian-error': 'not in this state',
      'meridian-original-offset': '1',
    });
  });

  it('serves requests through infrastructure failures and answers refused data with a rejection', async () => {
    const t = await topic();
    let attempts = 0;
    const server = await serveRequests(bus, {
      service: 'test-failures',
      topic: t,
      groupId: `test-serve-${suffix()}`,
      log: silentLog,
      rejection: queryRejection,
      routes: {
        'test.flaky.v1': async () => {
          if (++attempts <= 3) throw connectionReset();
          return queryReply({ outcome: 'ok', result: { attempts } });
        },
        'test.refused.v1': async () => {
          throw refusedRow();
        },
      },
    });
    stoppable.push(server);
    const client = new RequestReplyClient(bus, 'test-failures-gw', `i${suffix()}`, silentLog);
    await client.start();
    stoppable.push(client);

    const flaky = await client.request({ topic: t, key: 'a', type: 'test.flaky.v1', data: {} }, 30_000);
    expect(flaky.status === 'replied' && flaky.reply.data).toEqual({ outcome: 'ok', result: { attempts: 4 } });
    const refused = await client.request({ topic: t, key: 'b', type: 'test.refused.v1', data: {} }, 30_000);
    expect(refused.status === 'replied' && refused.reply.data).toEqual({
      outcome: 'error',
      code: ErrorCodes.requestInvalid,
      detail: 'the data was refused by the store (23505)',
    });
    expect(await dlqCount(t)).toBe(0n);
  });
});
