import { dlqTopic, MeridianHeaders, type WireMessage } from '@meridian/contracts/core';
import type { MessageBus } from './bus';
import { toWireMessage } from './consumer';

export interface DeadLetter {
  readonly offset: string;
  readonly wire: WireMessage;
  readonly error: string;
  readonly code: string;
}

const errorHeaders = new Set<string>([
  MeridianHeaders.error,
  MeridianHeaders.errorCode,
  MeridianHeaders.originalTopic,
  MeridianHeaders.originalPartition,
  MeridianHeaders.originalOffset,
]);

/**
 * Reads the dead letters of `topic` not yet handled by `groupId`, waiting at most `idleMs` for
 * more. With `replay`, each is sent back to its original topic (error headers removed) before
 * its offset is committed, so a crash replays a letter twice at worst, never loses it.
 */
export async function drainDeadLetters(
  bus: MessageBus,
  topic: string,
  options: { groupId: string; replay: boolean; idleMs?: number },
): Promise<DeadLetter[]> {
  const dlq = dlqTopic(topic);
  const end = await bus.endOffsets(dlq);
  const letters: DeadLetter[] = [];
  const consumer = bus.newConsumer(options.groupId);
  await consumer.connect();
  await consumer.subscribe({ topics: [dlq], fromBeginning: true });
  let lastSeen = Date.now();
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
    lastSeen = Date.now();
  });
  const remaining = new Map([...end].filter(([, high]) => high > 0n));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      lastSeen = Date.now();
      const wire = toWireMessage(message);
      const headers = Object.fromEntries(Object.entries(wire.headers).filter(([k]) => !errorHeaders.has(k)));
      letters.push({
        offset: message.offset,
        wire,
        error: wire.headers[MeridianHeaders.error] ?? '',
        code: wire.headers[MeridianHeaders.errorCode] ?? '',
      });
      if (options.replay) await bus.send(wire.headers[MeridianHeaders.originalTopic] ?? topic, [{ ...wire, headers }]);
      await consumer.commitOffsets([{ topic: dlq, partition, offset: String(BigInt(message.offset) + 1n) }]);
      if (BigInt(message.offset) + 1n >= (remaining.get(partition) ?? 0n)) remaining.delete(partition);
    },
  });
  const idleMs = options.idleMs ?? 3000;
  const joinDeadline = Date.now() + 60_000;
  while (remaining.size > 0 && (joined ? Date.now() - lastSeen < idleMs : Date.now() < joinDeadline)) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await consumer.disconnect();
  bus.forget(consumer);
  return letters;
}
