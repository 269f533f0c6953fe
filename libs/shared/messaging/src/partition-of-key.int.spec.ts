import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MessageBus } from './bus';
import { createTestBus, createTopics, deleteTopics, uniqueTopic } from './testing/spec-support';

describe('MessageBus.partitionOfKey (real broker)', () => {
  let bus: MessageBus;
  const topic = uniqueTopic('partition-of-key');

  beforeAll(async () => {
    bus = createTestBus('partition-of-key-spec');
    await createTopics(bus, [topic], 7);
  });

  afterAll(async () => {
    await deleteTopics(bus, [topic]);
    await bus.close();
  });

  it('names the partition the producer puts a keyed record in, for the topic as the cluster has it', async () => {
    const used = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const key = randomUUID();
      const before = await bus.endOffsets(topic);
      await bus.send(topic, [{ key, value: Buffer.from('{}'), headers: {} }]);
      const after = await bus.endOffsets(topic);
      const grown = [...after].filter(([p, end]) => end > (before.get(p) ?? 0n)).map(([p]) => p);
      const predicted = await bus.partitionOfKey(topic, key);
      expect(grown).toEqual([predicted]);
      used.add(predicted);
    }
    expect(used.size).toBeGreaterThan(1);
  });
});
