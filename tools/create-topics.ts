/** Creates every declared Kafka topic (and its DLQ) that does not exist yet. Idempotent. */
import { dlqDefinitions, topicDefinitions } from '@meridian/contracts/core';
import { MessageBus } from '@meridian/shared/messaging';
import { devBrokers } from './env';

const log = {
  info: (o: object, m: string) => console.error(m, JSON.stringify(o)),
  warn: (o: object, m: string) => console.error(m, JSON.stringify(o)),
  error: (o: object, m: string) => console.error(m, JSON.stringify(o)),
};

async function run(): Promise<void> {
  const brokers = devBrokers();
  const bus = new MessageBus({ brokers, clientId: 'meridian-topics', log });
  try {
    const created = await bus.ensureTopics([...topicDefinitions, ...dlqDefinitions]);
    console.error(
      `[topics] ${created.length ? `created ${created.length}: ${created.join(', ')}` : 'all topics exist'}`,
    );
  } finally {
    await bus.close();
  }
}

run().catch((err: unknown) => {
  console.error('[topics] failed:', err);
  process.exit(1);
});
