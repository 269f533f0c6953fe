import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { replyTopic } from '@meridian/contracts/core';
import { type Log, silentLog } from '@meridian/shared/util';
import type { MessageBus } from './bus';

/** The consumer group that reads a reply topic: the janitor reads liveness from it. */
export const replyGroupId = (topic: string): string => `${topic}.group`;

/**
 * A reply topic of this process: `meridian.<service>.replies.<instance>.<tag>`, where the tag is
 * the start time (base 36) and a random part. Several processes on one host, or a pod restarted
 * under the same name, never share a topic, and the janitor can tell the age of a topic that never
 * received a reply from its name.
 */
export function processReplyTopic(service: string, instance: string, now = Date.now()): string {
  return replyTopic(service, `${instance}.${now.toString(36)}-${randomBytes(3).toString('hex')}`);
}

/** The creation time in a process reply topic's name, or null for other names. */
export function replyTopicCreatedAt(topic: string): number | null {
  const match = /\.([0-9a-z]{6,11})-[0-9a-f]{6}$/.exec(topic);
  if (!match) return null;
  const at = parseInt(match[1], 36);
  return Number.isSafeInteger(at) ? at : null;
}

export interface PruneOptions {
  /** A topic is stale when nothing newer than this was written to it (and nobody reads it). */
  readonly olderThanMs: number;
  readonly log?: Log;
}

/**
 * Deletes the reply topics of `service` left behind by processes that are gone: topics whose
 * consumer group has no members and whose newest message is older than `olderThanMs` (a topic that
 * never received a message counts from the creation time in its name; one without such a name is
 * kept). A live requester runs it at start and every few minutes (`RequestReplyClient`'s
 * `pruneStale` option); `olderThanMs` should exceed the longest request timeout. Returns the
 * deleted topics.
 *
 * Safe for repliers: a reply to a deleted topic fails once, the replier's producer is replaced
 * (`MessageBus`) and `sendReply` drops replies whose requester is gone.
 */
export async function pruneStaleReplyTopics(
  bus: MessageBus,
  service: string,
  options: PruneOptions,
): Promise<string[]> {
  const log = options.log ?? silentLog;
  const prefix = replyTopic(service, '');
  const cutoff = Date.now() - options.olderThanMs;
  // An admin of its own: kafkajs keeps every topic it inspected in its metadata requests, and a
  // long-lived admin would fail them all once another process deleted one of those topics.
  const admin = bus.kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix) && !t.endsWith('.dlq'));
    if (topics.length === 0) return [];
    const { groups } = await admin.describeGroups(topics.map(replyGroupId));
    const members = new Map(groups.map((g) => [g.groupId, g.members.length]));
    const stale: string[] = [];
    for (const topic of topics) {
      if ((members.get(replyGroupId(topic)) ?? 0) > 0) continue;
      if (await quietSince(admin, topic, cutoff)) stale.push(topic);
    }
    if (stale.length > 0) {
      await admin.deleteTopics({ topics: stale, timeout: 10_000 });
      log.info({ service, topics: stale }, 'stale reply topics deleted');
    }
    return stale;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** True when no message in `topic` is newer than `cutoff` (epoch ms). */
async function quietSince(admin: Admin, topic: string, cutoff: number): Promise<boolean> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const high = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  if (offsets.every((o) => BigInt(o.high) <= BigInt(o.low))) {
    // Empty: either every message expired (older than the retention) or none was ever written.
    if (offsets.some((o) => BigInt(o.high) > 0n)) return true;
    const created = replyTopicCreatedAt(topic);
    return created !== null && created < cutoff;
  }
  // The first offset at or after the cutoff is the high watermark when nothing is that new.
  const newer = await admin.fetchTopicOffsetsByTimestamp(topic, cutoff);
  return newer.every((n) => BigInt(n.offset) >= (high.get(n.partition) ?? 0n));
}
