import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CodedError,
  dlqTopic,
  ErrorCodes,
  queryRejection,
  queryReply,
  type WireMessage,
} from '@meridian/contracts/core';
import { silentLog } from '@meridian/shared/util';
import type { MessageBus } from './bus';
import { Subscription } from './consumer';
import { classifyFailure } from './failures';
import { RequestReplyClient } from './request-reply';
import { serveRequests } from './serve';
import {
  createTestBus,
  createTopics,
  deleteTopics,
  eventually,
  messagesIn,
  readTopic,
  suffix,
  testWire,
  uniqueTopic,
} from './testing/spec-support';

const note = (name: string): WireMessage => testWire('test.note.v1', { name }, name);

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
    const name = uniqueTopic('consumer-failures');
    await createTopics(bus, [name, dlqTopic(name)]);
    topics.push(name, dlqTopic(name));
    return name;
  };
  const dlqCount = (t: string): Promise<bigint> => messagesIn(bus, dlqTopic(t));

  beforeAll(() => {
    bus = createTestBus('consumer-failures');
  });

  afterAll(async () => {
    for (const s of stoppable.reverse()) await s.stop().catch(() => undefined);
    await deleteTopics(bus, topics);
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
    const dead = await readTopic(bus, dlqTopic(t), 1);
    expect(dead).toHaveLength(1);
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
