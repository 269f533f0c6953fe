import type { BusConfig } from '@meridian/shared/messaging';
import { baseConfigSchema, kafkaSecurityOf, loadConfig } from '@meridian/shared/service-kit';
import { silentLog } from '@meridian/shared/util';
import { devBrokers } from './env';

/**
 * The Kafka client settings of an operator tool (topics, dlq): the dev brokers, plus the TLS, SASL
 * and replication settings the services read, so the same tool works against a managed cluster.
 */
export function toolBusConfig(clientId: string): BusConfig {
  const config = loadConfig(baseConfigSchema, { ...process.env, KAFKA_BROKERS: devBrokers().join(',') });
  return {
    brokers: config.KAFKA_BROKERS,
    clientId,
    log: silentLog,
    replicationFactor: config.KAFKA_TOPIC_REPLICATION_FACTOR,
    ...kafkaSecurityOf(config),
  };
}
