/** Creates every declared Kafka topic (and its DLQ) that does not exist yet. Idempotent. */
import { dlqDefinitions, topicDefinitions } from '@meridian/contracts/core';
import { MessageBus } from '@meridian/shared/messaging';
import { toolBusConfig } from './tool-bus';

/** `npm run topics` / the image's `topics` role; the replication factor is KAFKA_TOPIC_REPLICATION_FACTOR. */
export async function createTopics(): Promise<void> {
  const bus = new MessageBus(toolBusConfig('meridian-topics'));
  try {
    const created = await bus.ensureTopics([...topicDefinitions, ...dlqDefinitions]);
    console.error(
      `[topics] ${created.length ? `created ${created.length}: ${created.join(', ')}` : 'all topics exist'}`,
    );
  } finally {
    await bus.close();
  }
}

if (require.main === module) {
  createTopics().catch((err: unknown) => {
    console.error('[topics] failed:', err);
    process.exit(1);
  });
}
