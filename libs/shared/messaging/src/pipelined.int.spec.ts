import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { WireMessage } from '@meridian/contracts/core';
import { silentLog, sleep } from '@meridian/shared/util';
import type { MessageBus } from './bus';
import { Subscription } from './consumer';
import {
  createTestBus,
  createTopics,
  deleteTopics,
  eventually,
  suffix,
  testWire,
  uniqueTopic,
} from './testing/spec-support';

const note = (name: string, key = name): WireMessage => testWire('test.note.v1', { name }, key);
const nameOf = (data: unknown): string => (data as { name: string }).name;

/** A promise with its resolve function, to hold a handler until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('Subscription.runPipelined (request topics)', () => {
  let bus: MessageBus;
  const topics: string[] = [];

  beforeAll(() => {
    bus = createTestBus('pipelined');
  });

  afterAll(async () => {
    await deleteTopics(bus, topics).catch(() => undefined);
    await bus.close();
  });

  async function topic(): Promise<string> {
    const name = uniqueTopic('pipelined');
    topics.push(name);
    await createTopics(bus, [name], 1);
    return name;
  }

  const committed = async (groupId: string, name: string): Promise<string> => {
    const admin = await bus.admin();
    const [entry] = await admin.fetchOffsets({ groupId, topics: [name] });
    return entry.partitions[0].offset;
  };

  it('handles a message fetched after a slow one (another key) while the slow one still runs', async () => {
    const name = await topic();
    const groupId = `pipelined-${suffix()}`;
    const slow = gate();
    const started: string[] = [];
    const done: string[] = [];
    const sub = new Subscription(bus, { groupId, topics: [name], log: silentLog });
    await sub.runPipelined(async (envelope) => {
      started.push(nameOf(envelope.data));
      if (nameOf(envelope.data) === 'slow') await slow.promise;
      done.push(nameOf(envelope.data));
    });
    try {
      await bus.send(name, [note('slow')]);
      await eventually(() => expect(started).toContain('slow'));
      // Sent only now, so it comes in a later fetch: stop-and-wait would hold it behind 'slow'.
      await bus.send(name, [note('fast')]);
      await eventually(() => expect(done).toEqual(['fast']), { timeoutMs: 15_000 });
      // The low watermark is the unfinished 'slow' (offset 0): nothing past it is committed yet.
      await eventually(async () => expect(await committed(groupId, name)).toBe('0'));
      slow.open();
      await eventually(() => expect(done).toEqual(['fast', 'slow']));
      await eventually(async () => expect(await committed(groupId, name)).toBe('2'));
    } finally {
      slow.open();
      await sub.stop();
    }
  });

  it('redelivers a message unfinished at a stop to the next consumer of the group, never skips it', async () => {
    const name = await topic();
    const groupId = `pipelined-${suffix()}`;
    const never = gate();
    const first = new Subscription(bus, { groupId, topics: [name], log: silentLog });
    const firstDone: string[] = [];
    await first.runPipelined(async (envelope) => {
      if (nameOf(envelope.data) === 'stuck') await never.promise;
      firstDone.push(nameOf(envelope.data));
    });
    await bus.send(name, [note('stuck')]);
    await bus.send(name, [note('after')]);
    await eventually(() => expect(firstDone).toEqual(['after']));
    await first.stop(); // 'stuck' never finished: its offset stays the watermark

    const second = new Subscription(bus, { groupId, topics: [name], log: silentLog });
    const secondSeen: string[] = [];
    await second.runPipelined(async (envelope) => void secondSeen.push(nameOf(envelope.data)));
    try {
      await eventually(() => expect(secondSeen).toContain('stuck'));
    } finally {
      never.open();
      await second.stop();
    }
  });

  it('keeps order per key and holds at most maxInFlight messages per partition', async () => {
    const name = await topic();
    const hold = gate();
    const started = new Set<string>();
    const done: string[] = [];
    const sub = new Subscription(bus, { groupId: `pipelined-${suffix()}`, topics: [name], log: silentLog });
    await sub.runPipelined(async (envelope) => {
      const n = nameOf(envelope.data);
      started.add(n);
      if (n.startsWith('held')) await hold.promise;
      else await sleep(Math.random() * 5);
      done.push(n);
    }, 4);
    try {
      await bus.send(
        name,
        Array.from({ length: 10 }, (_, i) => note(`held-${i}`)),
      );
      await eventually(() => expect(started.size).toBe(4));
      await sleep(500);
      expect(started.size).toBe(4); // the bound: six more wait in Kafka, not in memory
      hold.open();
      await eventually(() => expect(done.filter((n) => n.startsWith('held'))).toHaveLength(10));

      const ordered = Array.from({ length: 30 }, (_, i) => note(`k-${String(i).padStart(2, '0')}`, 'one-key'));
      await bus.send(name, ordered);
      await eventually(() => expect(done.filter((n) => n.startsWith('k-'))).toHaveLength(30));
      const seen = done.filter((n) => n.startsWith('k-'));
      expect(seen).toEqual([...seen].sort());
    } finally {
      hold.open();
      await sub.stop();
    }
  });

  it('spaces its offset commits under a steady stream, and commits the last offset at a stop', async () => {
    const name = await topic();
    const groupId = `pipelined-${suffix()}`;
    const sub = new Subscription(bus, { groupId, topics: [name], log: silentLog });
    const done: string[] = [];
    await sub.runPipelined(async (envelope) => void done.push(nameOf(envelope.data)));
    const commits: number[] = [];
    const admin = await bus.admin();
    // One message every ~5 ms for a second: one commit each would be ~200 commits.
    const sampling = (async () => {
      for (let i = 0; i < 200; i++) {
        await bus.send(name, [note(`m-${i}`)]);
        if (i % 20 === 19) {
          const [entry] = await admin.fetchOffsets({ groupId, topics: [name] });
          commits.push(Number(entry.partitions[0].offset));
        }
        await sleep(5);
      }
    })();
    try {
      await sampling;
      await eventually(() => expect(done).toHaveLength(200));
      // Commits trail the handled messages (by at most an interval) but do advance, ~10 a second.
      expect(commits.some((c) => c > 0)).toBe(true);
      expect(sub.commitsSent).toBeGreaterThan(0);
      expect(sub.commitsSent).toBeLessThan(60);
    } finally {
      await sub.stop();
    }
    // Whatever the interval held back went out with the stop: nothing handled is redelivered.
    expect(await committed(groupId, name)).toBe('200');
  });
});
