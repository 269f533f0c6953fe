import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { toWire } from '@meridian/contracts';
import type { MessageBus } from '@meridian/shared/messaging';
import { createTestBus, createTopics, deleteTopics } from '@meridian/shared/testing';

describe('MessageBus.send (coalescing send queue)', () => {
  let bus: MessageBus;
  const topic = `test.send-queue.${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    bus = createTestBus('send-queue');
    await createTopics(bus, [topic], 3);
  });

  afterAll(async () => {
    await deleteTopics(bus, [topic]);
    await bus.close();
  });

  const message = (key: string, bytes: number) =>
    toWire({ id: randomUUID(), type: 'test.blob.v1', source: '/test', time: new Date().toISOString(), data: { pad: 'x'.repeat(bytes) }, correlationId: 'c' }, key);

  it('splits a send larger than the broker batch limit and still coalesces concurrent sends', async () => {
    const before = await bus.endOffsets(topic);
    // ~3 MB for one key (one partition): more than one record batch may carry.
    const big = Array.from({ length: 3000 }, () => message('hot-asset', 1000));
    const small = Array.from({ length: 50 }, (_, i) => [message(`k${i}`, 10)]);
    await Promise.all([bus.send(topic, big), ...small.map((m) => bus.send(topic, m))]);
    const after = await bus.endOffsets(topic);
    const written = [...after].reduce((n, [p, high]) => n + Number(high - (before.get(p) ?? 0n)), 0);
    expect(written).toBe(3000 + 50);
  }, 60_000);
});
