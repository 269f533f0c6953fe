import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegisterAssetV2 } from '@meridian/contracts/assets';
import { Topics, topicDefinitions } from '@meridian/contracts/core';
import { type MessageBus, partitionForKey, RequestReplyClient } from '@meridian/shared/messaging';
import { parseExposition, type Sample, valueOf } from '@meridian/shared/metrics';
import { createTestBus, eventually, testPrincipal } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { testDatabaseUrl, testKafkaBrokers, testRedisUrl } from './test-env';

const root = resolve(__dirname, '..');
const HTTP_PORT = 27085;
const METRICS_PORT = 27086;
const GROUP = 'workflow.commands';
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
  let client: RequestReplyClient;

  beforeAll(async () => {
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
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitReady(child, () => output);
    bus = createTestBus('metrics-test');
    client = new RequestReplyClient(bus, 'metrics-test', `metrics-${process.pid}`, silentLog);
    await client.start();
  }, 180_000);

  afterAll(async () => {
    await client?.stop();
    await bus?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('shows HTTP latency by route, consumer lag per partition, dead letters, appends and relay lag', async () => {
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

    expect(valueOf(samples, 'meridian_event_store_append_duration_seconds_count')).toBeGreaterThan(0);
    expect(valueOf(samples, 'meridian_outbox_relay_lag_seconds', { service: 'workflow' })).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'meridian_outbox_relay_unpublished_events')).toBeGreaterThanOrEqual(0);
    await eventually(async () =>
      expect(valueOf((await scrape()).samples, 'meridian_outbox_events_relayed_total')).toBeGreaterThan(0),
    );
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
