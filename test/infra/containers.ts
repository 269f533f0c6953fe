/**
 * The test infrastructure as containers (issue 11, item 7): Kafka (KRaft, apache/kafka), PostgreSQL
 * with PostGIS and Redis through Testcontainers, for machines with a Docker daemon. The images are
 * the ones docker-compose.yml runs (test/infra/test-infra.spec.ts checks it). Testcontainers' Ryuk
 * container removes them once the process that started them is gone, however it ended.
 */
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { RedisContainer } from '@testcontainers/redis';
import {
  BoundPorts,
  GenericContainer,
  getContainerRuntimeClient,
  type InspectResult,
  type StartedTestContainer,
  Wait,
  waitForContainer,
} from 'testcontainers';

export const KAFKA_IMAGE = 'apache/kafka:4.1.0';
export const POSTGIS_IMAGE = 'postgis/postgis:15-3.4';
export const REDIS_IMAGE = 'redis:7-alpine';

/** The database test.sh provisions locally; global setup creates it if missing. */
const TEST_DATABASE = 'meridian_test';
const PG_USER = 'postgres';

/** Clients (the host, through the mapped port), the broker's own listener, the controller. */
const CLIENT_PORT = 9092;
const BROKER_PORT = 9093;
const CONTROLLER_PORT = 9094;
const STARTER = '/tmp/meridian-kafka-start.sh';
const WAITING = 'meridian: waiting for the start script';

/**
 * The broker settings of infra/scripts/kafka.sh, as the image's environment (KAFKA_<KEY>): one
 * node, internal topics with replication factor 1, topics created only on purpose, no rebalance
 * delay for fast tests.
 */
const KRAFT_ENVIRONMENT: Readonly<Record<string, string>> = {
  CLUSTER_ID: 'bWVyaWRpYW4tdGVzdC1rYQ',
  KAFKA_NODE_ID: '1',
  KAFKA_PROCESS_ROLES: 'broker,controller',
  KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${CLIENT_PORT},BROKER://0.0.0.0:${BROKER_PORT},CONTROLLER://0.0.0.0:${CONTROLLER_PORT}`,
  KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
  KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
  KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
  KAFKA_CONTROLLER_QUORUM_VOTERS: `1@localhost:${CONTROLLER_PORT}`,
  KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
  KAFKA_NUM_PARTITIONS: '3',
  KAFKA_DEFAULT_REPLICATION_FACTOR: '1',
  KAFKA_MIN_INSYNC_REPLICAS: '1',
  KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
  KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '10',
  KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
  KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
  KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '10',
  KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
  KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
  KAFKA_SHARE_COORDINATOR_STATE_TOPIC_NUM_PARTITIONS: '10',
  KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
  KAFKA_HEAP_OPTS: '-Xms256m -Xmx512m',
};

/**
 * apache/kafka in KRaft mode. The advertised client address must name the host port Docker maps,
 * known only once the container runs: it starts on a shell that waits for a start script, which
 * is written with that address and then runs the image's own start (as @testcontainers/kafka does
 * for Confluent's images; its KafkaContainer drives /etc/confluent/docker/run, which apache/kafka
 * does not have).
 */
export class KafkaKraftContainer extends GenericContainer {
  constructor(image: string = KAFKA_IMAGE) {
    super(image);
    this.withEnvironment(KRAFT_ENVIRONMENT)
      .withExposedPorts(CLIENT_PORT)
      .withEntrypoint(['sh', '-c'])
      .withCommand([`echo '${WAITING}'; while [ ! -f ${STARTER} ]; do sleep 0.1; done; exec sh ${STARTER}`])
      .withWaitStrategy(Wait.forLogMessage(WAITING))
      .withStartupTimeout(180_000);
  }

  protected override async containerStarted(
    container: StartedTestContainer,
    inspectResult: InspectResult,
  ): Promise<void> {
    const advertised = [
      `PLAINTEXT://${container.getHost()}:${container.getMappedPort(CLIENT_PORT)}`,
      `BROKER://localhost:${BROKER_PORT}`,
    ].join(',');
    const script = `export KAFKA_ADVERTISED_LISTENERS='${advertised}'\nexec /etc/kafka/docker/run\n`;
    await container.copyContentToContainer([{ content: script, target: STARTER, mode: 0o755 }]);
    // Ready once the broker says so (the quorum formed, listeners open), not when the port opens.
    const client = await getContainerRuntimeClient();
    const ports = BoundPorts.fromInspectResult(client.info.containerRuntime.hostIps, inspectResult).filter([
      CLIENT_PORT,
    ]);
    await waitForContainer(
      client,
      client.container.getById(container.getId()),
      Wait.forLogMessage(/Kafka Server started/).withStartupTimeout(180_000),
      ports,
    );
  }
}

/** What the tests read (test/test-env.ts, test/global-setup.ts, infra/scripts/test.sh). */
export interface TestInfraEnv {
  readonly KAFKA_BROKERS: string;
  readonly TEST_DATABASE_URL: string;
  readonly TEST_REDIS_URL: string;
  /** Services a test starts read REDIS_URL: the test Redis (as test.sh exports it). */
  readonly REDIS_URL: string;
  /** For whatever derives the server from MERIDIAN_PG_* (trust auth, as on the local server). */
  readonly MERIDIAN_PG_HOST: string;
  readonly MERIDIAN_PG_PORT: string;
  readonly MERIDIAN_PG_USER: string;
}

export interface StartedTestInfra {
  readonly env: TestInfraEnv;
  stop(): Promise<void>;
}

/** Starts the three containers side by side and returns the addresses the tests read. */
export async function startTestContainers(): Promise<StartedTestInfra> {
  const started = await Promise.allSettled([
    new KafkaKraftContainer().start(),
    new PostgreSqlContainer(POSTGIS_IMAGE)
      .withDatabase(TEST_DATABASE)
      .withUsername(PG_USER)
      .withPassword(PG_USER)
      // Tests build URLs without a password from MERIDIAN_PG_* (the local server trusts loopback).
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .start(),
    new RedisContainer(REDIS_IMAGE).start(),
  ]);
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.allSettled(running.map((c) => c.stop()));
  };
  const [kafka, pg, redis] = started;
  if (kafka.status === 'rejected' || pg.status === 'rejected' || redis.status === 'rejected') {
    await stop();
    const reasons = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
    throw new Error(`test containers did not start: ${reasons.join('; ')}`);
  }
  const redisUrl = redis.value.getConnectionUrl();
  return {
    env: {
      KAFKA_BROKERS: `${kafka.value.getHost()}:${kafka.value.getMappedPort(CLIENT_PORT)}`,
      TEST_DATABASE_URL: pg.value.getConnectionUri(),
      TEST_REDIS_URL: redisUrl,
      REDIS_URL: redisUrl,
      MERIDIAN_PG_HOST: pg.value.getHost(),
      MERIDIAN_PG_PORT: String(pg.value.getPort()),
      MERIDIAN_PG_USER: pg.value.getUsername(),
    },
    stop,
  };
}

/** `export NAME='value'` lines that bash can `source` (single quotes: nothing in a value expands). */
export function toEnvFile(env: Readonly<Record<string, string>>): string {
  const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;
  return Object.entries(env)
    .map(([name, value]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`not a variable name: ${name}`);
      return `export ${name}=${quote(value)}\n`;
    })
    .join('');
}
