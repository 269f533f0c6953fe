import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dlqTopic, MeridianHeaders, toWire } from '@meridian/contracts/core';
import { drainDeadLetters, type MessageBus, Subscription } from '@meridian/shared/messaging';
import {
  consumeAll,
  createTestBus,
  createTopics,
  deleteTopics,
  eventually,
  uniqueTopic,
} from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';

describe('dead letters: list and replay', () => {
  let bus: MessageBus;
  const topic = uniqueTopic('dlq-replay');

  beforeAll(async () => {
    bus = createTestBus('dlq-replay');
    await createTopics(bus, [topic, dlqTopic(topic)]);
  });

  afterAll(async () => {
    await deleteTopics(bus, [topic, dlqTopic(topic)]);
    await bus.close();
  });

  it('replays a parked message to its topic without the error headers, once', async () => {
    // A consumer whose handler fails permanently parks the message in the DLQ.
    const good = toWire(
      {
        id: randomUUID(),
        type: 'test.thing.v1',
        source: '/test',
        time: new Date().toISOString(),
        data: { n: 1 },
        correlationId: 'c-1',
      },
      'k1',
    );
    const failing = new Subscription(bus, {
      groupId: `failing-${randomUUID()}`,
      topics: [topic],
      maxAttempts: 1,
      log: silentLog,
    });
    let attempts = 0;
    await failing.run(async () => {
      attempts++;
      throw new Error('downstream rejected it');
    });
    await bus.send(topic, [good]);
    await eventually(() => expect(attempts).toBe(1), { timeoutMs: 30_000 });
    await failing.stop();

    const listed = await eventually(
      async () => {
        const letters = await drainDeadLetters(bus, topic, { groupId: `list-${randomUUID()}`, replay: false });
        expect(letters).toHaveLength(1);
        return letters;
      },
      { timeoutMs: 30_000 },
    );
    expect(listed[0].error).toBe('downstream rejected it');

    const groupId = `replay-${randomUUID()}`;
    const replayed = await drainDeadLetters(bus, topic, { groupId, replay: true });
    expect(replayed).toHaveLength(1);
    const onTopic = await consumeAll(bus, topic, 2);
    const copy = onTopic[1].wire;
    expect(copy.headers.ce_id).toBe(good.headers.ce_id);
    expect(copy.value.toString()).toBe(good.value.toString());
    expect(copy.headers[MeridianHeaders.error]).toBeUndefined();
    expect(copy.headers[MeridianHeaders.originalOffset]).toBeUndefined();

    // The replay group remembers what it handled: nothing is replayed twice.
    expect(await drainDeadLetters(bus, topic, { groupId, replay: true, idleMs: 1000 })).toEqual([]);
  }, 120_000);
});
