import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { RegisterAssetV2 } from '@meridian/contracts/assets';
import { Topics, topicDefinitions, toWire } from '@meridian/contracts/core';
import { MessageBus, partitionForKey, RequestReplyClient, Subscription } from '@meridian/shared/messaging';
import { metricsFor, parseExposition, type Sample, valueOf } from '@meridian/shared/metrics';
import { createTestBus, createTopics, eventually, testPrincipal, uniqueTopic } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { testDatabaseUrl, testKafkaBrokers, testRedisUrl } from './test-env';

const root = resolve(__dirname, '..');
const HTTP_PORT = 27085;
const METRICS_PORT = 27086;
const GROUP = 'workflow.commands';
/** The requester's own metrics: its reply subscription is consumed through a bus that counts. */
const CLIENT_SERVICE = `metrics-client-${process.pid}`;
const INSTANCE = `metrics-${process.pid}`;
const partitions = topicDefinitions.find((t) => t.name === Topics.workflowCommands)?.partitions ?? 0;

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: parseExposition(text) };
}

async function waitReady(child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`workflow exited ${child.exitCode}:\n${output()}`);
    const ok = await fetch(`http://127.0.0.1:${HTTP_PORT}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`workflow not ready:\n${output()}`);
}

/** One key per partition of the topic: a record on every partition makes every lag series exist. */
function keyPerPartition(count: number): string[] {
  const keys = new Map<number, string>();
  for (let i = 0; keys.size < count; i++) {
    const key = `poison-${i}`;
    const partition = partitionForKey(key, count);
    if (!keys.has(partition)) keys.set(partition, key);
  }
  return [...keys.values()];
}

/**
 * The workflow service as a real process (its own event store, outbox relay and command consumer
 * over the real Kafka, PostgreSQL and Redis), with METRICS_PORT set as the chart sets it: real
 * traffic in, then the scrape must show each kind of metric the dashboard draws.
 */
describe('/metrics of a running service', () => {
  let child: ChildProcess;
  let output = '';
  let bus: MessageBus;
  let clientBus: MessageBus;
  let client: RequestReplyClient;
  /** Holds the workflow relay's advisory lock: its relay stands by, as a replica that lost the election does. */
  let relayLock: Client | null = null;

  const releaseRelay = async (): Promise<void> => {
    const lock = relayLock;
    relayLock = null;
    await lock?.end();
  };

  beforeAll(async () => {
    bus = createTestBus('metrics-test');
    // The relay's lock name (EventSourcingModule): `<schema>.outbox@<Kafka cluster id>`.
    relayLock = new Client({ connectionString: testDatabaseUrl() });
    await relayLock.connect();
    await relayLock.query('SELECT pg_advisory_lock(hashtext($1))', [`workflow.outbox@${await bus.clusterId()}`]);
    child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/workflow/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        WORKFLOW_HTTP_PORT: String(HTTP_PORT),
        METRICS_PORT: String(METRICS_PORT),
        DATABASE_URL: testDatabaseUrl(),
        REDIS_URL: testRedisUrl(),
        KAFKA_BROKERS: testKafkaBrokers().join(','),
        INSTANCE_ID: `metrics-${process.pid}`,
        // The relay is held back on purpose (above): readiness must not wait for it.
        RELAY_MAX_LAG_MS: String(3_600_000),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitReady(child, () => output);
    clientBus = new MessageBus({
      brokers: testKafkaBrokers(),
      clientId: `metrics-client-${process.pid}`,
      log: silentLog,
      metrics: metricsFor(CLIENT_SERVICE),
    });
    client = new RequestReplyClient(clientBus, 'metrics-test', INSTANCE, silentLog);
    await client.start();
  }, 180_000);

  afterAll(async () => {
    await releaseRelay();
    await client?.stop();
    await clientBus?.close();
    await bus?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('shows HTTP latency by route, consumer lag per partition, dead letters, appends and relay lag', async () => {
    const startedAt = Date.now();
    // HTTP: the service's own port serves no metrics when METRICS_PORT is set.
    for (let i = 0; i < 3; i++) expect((await fetch(`http://127.0.0.1:${HTTP_PORT}/health/live`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${HTTP_PORT}/metrics`)).status).toBe(404);

    // A real command: an append to the event store, relayed to Kafka by the outbox.
    const assetId = randomUUID();
    const outcome = await client.request(
      {
        topic: Topics.workflowCommands,
        key: assetId,
        type: RegisterAssetV2.type,
        data: { assetId, name: 'Metrics drone', kind: 'drone', sensitivity: 0, team: null },
        tenantId: 'metrics',
        principal: testPrincipal('metrics'),
      },
      60_000,
    );
    expect(outcome.status === 'replied' && outcome.reply.data).toMatchObject({ outcome: 'accepted' });

    // The relay stands by (its lock is held here): the stored events wait, and the scrape says so.
    const relayGauges = (s: readonly Sample[]): [number | undefined, number | undefined] => [
      valueOf(s, 'meridian_outbox_relay_unpublished_events', { service: 'workflow' }),
      valueOf(s, 'meridian_outbox_relay_lag_seconds', { service: 'workflow' }),
    ];
    // (Eventually: a scrape whose backlog query outlasts its 2 s bound keeps the last value, 0 at first.)
    await eventually(
      async () => {
        const [waiting, waitingFor] = relayGauges((await scrape()).samples);
        expect(waiting).toBeGreaterThan(0);
        expect(waitingFor).toBeGreaterThan(0);
      },
      { timeoutMs: 30_000 },
    );

    // The reply came through the requester's per-process reply subscription: its series are
    // labelled by the template, never by the instance's topic (a new one at every start).
    const replies = 'meridian.metrics-test.replies';
    expect(client.replyTo.startsWith(`${replies}.${INSTANCE}.`)).toBe(true);
    const clientSamples = parseExposition((await metricsFor(CLIENT_SERVICE).scrape()).body);
    const replyConsumed = clientSamples.filter((s) => s.name === 'meridian_kafka_messages_consumed_total');
    expect(replyConsumed).toEqual([
      expect.objectContaining({ labels: { service: CLIENT_SERVICE, group: replies, topic: replies } }),
    ]);
    expect(replyConsumed[0].value).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(clientSamples, 'meridian_kafka_consumer_lag_messages', {
        group: replies,
        topic: replies,
        partition: '0',
      }),
    ).toBe(0);
    const instanceLabelled = clientSamples.filter((s) =>
      Object.values(s.labels).some((v) => v.includes(INSTANCE) || v === client.replyTo),
    );
    expect(instanceLabelled).toEqual([]);

    // The relay takes its lock back: everything is published and the gauges return to 0.
    await releaseRelay();
    await eventually(
      async () => {
        const s = (await scrape()).samples;
        expect(relayGauges(s)).toEqual([0, 0]);
        expect(valueOf(s, 'meridian_outbox_events_relayed_total')).toBeGreaterThan(0);
      },
      { timeoutMs: 60_000 },
    );

    // Poison records (not CloudEvents), one on every partition: each is dead-lettered.
    const before = valueOf((await scrape()).samples, 'meridian_kafka_dead_letters_total', {
      topic: Topics.workflowCommands,
    });
    const poison = keyPerPartition(partitions).map((key) => ({
      key,
      value: Buffer.from('this is not a CloudEvent'),
      headers: {},
    }));
    await bus.send(Topics.workflowCommands, poison);

    const { text, samples } = await eventually(
      async () => {
        const s = await scrape();
        expect(
          valueOf(s.samples, 'meridian_kafka_dead_letters_total', {
            service: 'workflow',
            topic: Topics.workflowCommands,
          }),
        ).toBe((before ?? 0) + partitions);
        return s;
      },
      { timeoutMs: 60_000 },
    );

    const live = { service: 'workflow', method: 'GET', route: '/health/live', status: '200' };
    expect(valueOf(samples, 'meridian_http_request_duration_seconds_count', live)).toBeGreaterThanOrEqual(3);

    const lag = samples.filter(
      (s) =>
        s.name === 'meridian_kafka_consumer_lag_messages' &&
        s.labels['group'] === GROUP &&
        s.labels['topic'] === Topics.workflowCommands,
    );
    expect(lag.map((s) => Number(s.labels['partition'])).sort((a, b) => a - b)).toEqual(
      Array.from({ length: partitions }, (_, p) => p),
    );
    expect(lag.every((s) => s.value >= 0)).toBe(true);
    const consumed = { group: GROUP, topic: Topics.workflowCommands };
    expect(valueOf(samples, 'meridian_kafka_messages_consumed_total', consumed)).toBeGreaterThanOrEqual(partitions + 1);
    expect(valueOf(samples, 'meridian_kafka_messages_failed_total', consumed)).toBeGreaterThanOrEqual(partitions);

    // The committed lag, read from the brokers at scrape time: every partition of the group, all handled.
    await eventually(
      async () => {
        const committed = (await scrape()).samples.filter(
          (s) => s.name === 'meridian_kafka_consumer_group_committed_lag_messages' && s.labels['group'] === GROUP,
        );
        expect(committed.map((s) => Number(s.labels['partition'])).sort((a, b) => a - b)).toEqual(
          Array.from({ length: partitions }, (_, p) => p),
        );
        expect(committed.map((s) => s.value)).toEqual(committed.map(() => 0));
      },
      { timeoutMs: 30_000 },
    );

    // Each finished batch stamps its time: the lag's staleness is time() minus it.
    const stamp = valueOf(samples, 'meridian_kafka_consumer_last_batch_timestamp_seconds', consumed);
    expect(stamp).toBeGreaterThan(startedAt / 1000);
    expect(stamp).toBeLessThanOrEqual(Date.now() / 1000);

    expect(valueOf(samples, 'meridian_event_store_append_duration_seconds_count')).toBeGreaterThan(0);
    expect(valueOf(samples, 'nodejs_eventloop_lag_p99_seconds', { service: 'workflow' })).toBeGreaterThan(0);

    // For the closing note: a short excerpt of the real scrape (no histogram buckets).
    const excerpt = text
      .split('\n')
      .filter(
        (l) =>
          /^meridian_\w+(_count|_sum)?\{/.test(l) &&
          !l.includes('_bucket') &&
          (l.includes(GROUP) || l.includes('/health/live') || /^meridian_(event_store|outbox|kafka_dead)/.test(l)),
      )
      .slice(0, 24);
    process.stdout.write(
      `\n--- /metrics excerpt (workflow, METRICS_PORT=${METRICS_PORT}) ---\n${excerpt.join('\n')}\n`,
    );
  }, 180_000);
});

/**
 * The committed lag, read from the brokers at scrape time: a consumer whose handler hangs finishes
 * no batch, so the per-batch lag says nothing, while this one shows the waiting messages.
 */
describe('meridian_kafka_consumer_group_committed_lag_messages', () => {
  it('shows the messages a hung handler holds up, and 0 once they are handled', async () => {
    const service = `group-lag-${process.pid}`;
    const metrics = metricsFor(service);
    const bus = new MessageBus({ brokers: testKafkaBrokers(), clientId: service, log: silentLog, metrics });
    const topic = uniqueTopic('group-lag');
    const group = `${topic}.consumer`;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const subscription = new Subscription(bus, { groupId: group, topics: [topic], log: silentLog });
    try {
      await createTopics(bus, [topic]);
      const messages = Array.from({ length: 5 }, (_, i) =>
        toWire(
          {
            id: randomUUID(),
            type: 'test.v1',
            source: '/test',
            time: new Date().toISOString(),
            data: { i },
            correlationId: randomUUID(),
          },
          'one-key',
        ),
      );
      await bus.send(topic, messages);
      let started = 0;
      await subscription.run(async () => {
        started++;
        await released;
      });
      const read = async (): Promise<Sample[]> => parseExposition((await metrics.scrape()).body);
      const labels = { service, group, topic, partition: '0' };
      // The first message is in the handler (hung there); the lag may read 5 before it gets there.
      await eventually(async () => expect(started).toBe(1), { timeoutMs: 30_000 });
      const held = await eventually(
        async () => {
          const s = await read();
          expect(valueOf(s, 'meridian_kafka_consumer_group_committed_lag_messages', labels)).toBe(5);
          return s;
        },
        { timeoutMs: 30_000 },
      );
      expect(started).toBe(1);
      // No batch finished: the per-batch lag and its timestamp have nothing to say yet.
      expect(valueOf(held, 'meridian_kafka_consumer_lag_messages', labels)).toBeUndefined();
      expect(valueOf(held, 'meridian_kafka_consumer_last_batch_timestamp_seconds', { group })).toBeUndefined();

      release();
      await eventually(
        async () =>
          expect(valueOf(await read(), 'meridian_kafka_consumer_group_committed_lag_messages', labels)).toBe(0),
        { timeoutMs: 30_000 },
      );
    } finally {
      release();
      await subscription.stop();
      await bus.close();
    }
    // Stopped here: the group's series go with it.
    const after = parseExposition((await metrics.scrape()).body);
    expect(after.filter((s) => s.name === 'meridian_kafka_consumer_group_committed_lag_messages')).toEqual([]);
  }, 90_000);
});
