/**
 * Dead letters: `npm run dlq -- list <topic>` shows what a topic's consumers parked in
 * `<topic>.dlq`; `npm run dlq -- replay <topic>` sends them back to the topic once the cause is fixed.
 * Both remember (per consumer group) what they have handled, so a letter is listed or replayed once.
 */
import { MessageBus, drainDeadLetters } from '@meridian/shared/messaging';
import { toolBusConfig } from './tool-bus';

/** `npm run dlq -- ARGS` / the image's `dlq ARGS` role. */
export async function dlq(args: readonly string[]): Promise<void> {
  const [command, topic] = args;
  if ((command !== 'list' && command !== 'replay') || !topic) {
    console.error('usage: npm run dlq -- list|replay <topic>   e.g. npm run dlq -- list meridian.telemetry.positions');
    process.exit(2);
  }
  const bus = new MessageBus(toolBusConfig('meridian-dlq'));
  try {
    const replay = command === 'replay';
    const letters = await drainDeadLetters(bus, topic, { groupId: `meridian.dlq.${command}.${topic}`, replay });
    for (const l of letters)
      process.stdout.write(`${l.offset}\t${l.code}\t${l.wire.headers.ce_type ?? '-'}\t${l.error}\n`);
    console.error(`[dlq] ${letters.length} dead letter(s) ${replay ? 'replayed to' : 'listed for'} ${topic}`);
  } finally {
    await bus.close();
  }
}

if (require.main === module) {
  dlq(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`[dlq] failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
