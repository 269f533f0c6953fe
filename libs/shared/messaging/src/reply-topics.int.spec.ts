import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Envelope, replyTopic } from '@meridian/contracts/core';
import { silentLog, sleep } from '@meridian/shared/util';
import type { MessageBus } from './bus';
import { processReplyTopic, pruneStaleReplyTopics, replyGroupId } from './reply-topics';
import { RequestReplyClient, sendReply } from './request-reply';
import {
  createTestBus,
  createTopics,
  deleteTopics,
  eventually,
  messagesIn,
  suffix,
  testEvent,
  testWire,
} from './testing/spec-support';

const HOUR = 60 * 60 * 1000;

const request = (replyTo: string): Envelope => testEvent('test.ping.v1', {}, { replyTo, replyKey: randomUUID() });
const pong = { type: 'test.pong.v1', data: { ok: true } };

describe('reply topics', () => {
  let requester: MessageBus;
  let replier: MessageBus;
  const created: string[] = [];

  const createTopic = async (name: string): Promise<string> => {
    await createTopics(requester, [name]);
    created.push(name);
    return name;
  };
  const existing = async (): Promise<Set<string>> => new Set(await (await requester.admin()).listTopics());

  /** Writes a message whose broker timestamp is `at` (CreateTime), as if it were written then. */
  const writeAt = async (topic: string, at: number): Promise<void> => {
    const producer = requester.kafka.producer();
    await producer.connect();
    try {
      const wire = testWire('test.old.v1', {}, null, { time: new Date(at).toISOString() });
      await producer.send({ topic, messages: [{ value: wire.value, headers: wire.headers, timestamp: String(at) }] });
    } finally {
      await producer.disconnect();
    }
  };

  beforeAll(() => {
    requester = createTestBus('reply-requester');
    replier = createTestBus('reply-replier');
  });

  afterAll(async () => {
    await deleteTopics(requester, created);
    await replier.close();
    await requester.close();
  });

  it('gives each process its own reply topic for the same instance id', () => {
    const a = new RequestReplyClient(requester, 'gateway', 'host-1', silentLog);
    const b = new RequestReplyClient(requester, 'gateway', 'host-1', silentLog);
    expect(a.replyTo).toMatch(/^meridian\.gateway\.replies\.host-1\.[0-9a-z]+-[0-9a-f]{6}$/);
    expect(b.replyTo).not.toBe(a.replyTo);
    const fixed = new RequestReplyClient(requester, 'gateway', 'host-1', silentLog, { replyTopicScope: 'instance' });
    expect(fixed.replyTo).toBe(replyTopic('gateway', 'host-1'));
  });

  it('keeps replying after a reply topic it used was deleted, and drops replies to the deleted topic', async () => {
    const gone = await createTopic(processReplyTopic(`test-rr-${suffix()}`, 'a'));
    const other = await createTopic(processReplyTopic(`test-rr-${suffix()}`, 'b'));
    await sendReply(replier, 'svc', request(gone), pong);
    const before = await replier.producer();
    await (await requester.admin()).deleteTopics({ topics: [gone], timeout: 10_000 });
    await sleep(500); // let the deletion reach the broker's metadata

    // kafkajs keeps `gone` in the producer's metadata requests: the old producer cannot send at all.
    await sendReply(replier, 'svc', request(other), pong);
    expect(await messagesIn(replier, other)).toBe(1n);
    expect(await replier.producer()).not.toBe(before);

    // A late reply to the deleted topic: its requester is gone, the reply is dropped, not retried.
    await expect(sendReply(replier, 'svc', request(gone), pong)).resolves.toBeUndefined();
    await sendReply(replier, 'svc', request(other), pong);
    expect(await messagesIn(replier, other)).toBe(2n);
    expect(replier.producerHealthy()).toBe(true);
  });

  it('prunes reply topics nobody reads and nobody wrote to lately, and keeps the others', async () => {
    const service = `test-janitor-${suffix()}`;
    const now = Date.now();
    const live = new RequestReplyClient(requester, service, 'live', silentLog);
    created.push(live.replyTo);
    await live.start();
    // Even an old message does not make a topic with a reader stale.
    await writeAt(live.replyTo, now - 2 * HOUR);
    const neverUsed = await createTopic(processReplyTopic(service, 'crashed', now - 2 * HOUR));
    const oldInstance = await createTopic(replyTopic(service, 'old-instance'));
    await writeAt(oldInstance, now - 2 * HOUR);
    const recent = await createTopic(replyTopic(service, 'recent'));
    await writeAt(recent, now - 60_000);
    const justCreated = await createTopic(processReplyTopic(service, 'starting'));
    const unrelated = await createTopic(processReplyTopic(`${service}-other`, 'crashed', now - 2 * HOUR));

    const admin = await requester.admin();
    const { groups } = await admin.describeGroups([replyGroupId(live.replyTo)]);
    expect(groups[0].members.length).toBeGreaterThan(0);

    const pruned = await pruneStaleReplyTopics(requester, service, { olderThanMs: HOUR });
    expect(pruned.sort()).toEqual([neverUsed, oldInstance].sort());
    const after = await existing();
    expect(after.has(neverUsed) || after.has(oldInstance)).toBe(false);
    for (const kept of [live.replyTo, recent, justCreated, unrelated]) expect(after.has(kept)).toBe(true);

    // A process that stops cleanly removes its own topic.
    await live.stop();
    expect((await existing()).has(live.replyTo)).toBe(false);
  });

  it('lets a requester prune the stale reply topics of its service when it starts', async () => {
    const service = `test-janitor-${suffix()}`;
    const crashed = await createTopic(processReplyTopic(service, 'crashed', Date.now() - 2 * HOUR));
    const client = new RequestReplyClient(requester, service, 'live', silentLog, { pruneStale: { olderThanMs: HOUR } });
    created.push(client.replyTo);
    await client.start();
    try {
      await eventually(async () => expect((await existing()).has(crashed)).toBe(false));
      expect((await existing()).has(client.replyTo)).toBe(true);
    } finally {
      await client.stop();
    }
  });
});
