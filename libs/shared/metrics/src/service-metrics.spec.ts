import { describe, expect, it } from '@jest/globals';
import { parseExposition, valueOf } from './exposition';
import { serveMetrics } from './metrics-server';
import { metricsFor, ServiceMetrics } from './service-metrics';
import { topicLabel } from './consumer-metrics';

/** The value of one series of a scrape, or undefined when there is no such series. */
const sample = (text: string, name: string, labels: Record<string, string> = {}): number | undefined =>
  valueOf(parseExposition(text), name, labels);

const unique = (name: string): string => `${name}-${Math.random().toString(36).slice(2, 8)}`;

describe('ServiceMetrics', () => {
  it('is created once per service and keeps services apart in one process', async () => {
    const gateway = unique('gateway');
    const projection = unique('projection');
    expect(metricsFor(gateway)).toBe(metricsFor(gateway));
    expect(metricsFor(projection)).not.toBe(metricsFor(gateway));
    // A second definition of every metric on its own registry does not throw (a service booted again).
    expect(() => new ServiceMetrics(gateway)).not.toThrow();

    metricsFor(gateway).telemetry.accepted.inc(5);
    metricsFor(projection).telemetry.written.inc(3);
    const g = (await metricsFor(gateway).scrape()).body;
    const p = (await metricsFor(projection).scrape()).body;
    expect(sample(g, 'meridian_telemetry_fixes_accepted_total', { service: gateway })).toBe(5);
    expect(sample(p, 'meridian_telemetry_fixes_accepted_total', { service: projection })).toBe(0);
    expect(sample(p, 'meridian_telemetry_fixes_written_total', { service: projection })).toBe(3);
    expect(g).not.toContain(`service="${projection}"`);
  });

  it('exposes the process metrics (CPU, heap, event-loop lag) with the service label', async () => {
    const service = unique('workflow');
    const { contentType, body } = await metricsFor(service).scrape();
    expect(contentType).toContain('text/plain');
    for (const name of [
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(sample(body, name, { service })).toBeGreaterThanOrEqual(0);
    }
  });

  it('labels HTTP durations by route pattern, folds unmatched routes and unknown methods', async () => {
    const metrics = metricsFor(unique('http'));
    metrics.http.observe('GET', '/v1/assets/:id', 200, 0.004);
    metrics.http.observe('GET', '/v1/assets/:id', 200, 0.3);
    metrics.http.observe('BREW', undefined, 404, 0.001);
    const text = (await metrics.scrape()).body;
    const name = 'meridian_http_request_duration_seconds';
    const asset = { method: 'GET', route: '/v1/assets/:id', status: '200', service: metrics.service };
    expect(sample(text, `${name}_count`, asset)).toBe(2);
    expect(sample(text, `${name}_bucket`, { ...asset, le: '0.005' })).toBe(1);
    expect(sample(text, `${name}_sum`, asset)).toBeCloseTo(0.304);
    expect(sample(text, `${name}_count`, { method: 'OTHER', route: 'unmatched', status: '404' })).toBe(1);
  });

  it('counts a consumer group per batch: lag per partition, messages, failures and dead letters', async () => {
    const metrics = metricsFor(unique('consumer'));
    const group = metrics.consumer('projection.positions');
    expect(metrics.consumer('projection.positions')).toBe(group);
    group.batchDone({ topic: 'meridian.telemetry', partition: 0, batchSize: 500, offsetLag: '1200' });
    group.batchDone({ topic: 'meridian.telemetry', partition: 0, batchSize: 300, offsetLag: '900' });
    group.batchDone({ topic: 'meridian.telemetry', partition: 1, batchSize: 10, offsetLag: '0' });
    group.messageFailed('meridian.telemetry');
    group.deadLettered('meridian.telemetry');
    const labels = { group: 'projection.positions', topic: 'meridian.telemetry', service: metrics.service };
    let text = (await metrics.scrape()).body;
    const lag = (partition: number, t: string): number | undefined =>
      sample(t, 'meridian_kafka_consumer_lag_messages', { ...labels, partition: String(partition) });
    expect(lag(0, text)).toBe(900);
    expect(lag(1, text)).toBe(0);
    expect(sample(text, 'meridian_kafka_messages_consumed_total', labels)).toBe(810);
    expect(sample(text, 'meridian_kafka_messages_failed_total', labels)).toBe(1);
    const dlq = { topic: 'meridian.telemetry', service: metrics.service };
    expect(sample(text, 'meridian_kafka_dead_letters_total', dlq)).toBe(1);

    // A rebalance took partition 1 away: its last lag must not linger.
    group.assigned({ 'meridian.telemetry': [0] });
    text = (await metrics.scrape()).body;
    expect(lag(0, text)).toBe(900);
    expect(lag(1, text)).toBeUndefined();
  });

  it('labels reply topics and their groups by template: a pod start mints no new series', async () => {
    // Both reply-topic scopes (process and instance) and the group that reads them.
    expect(topicLabel('meridian.gateway.replies.gw-7f9c.lq2x8a1b-0a1b2c')).toBe('meridian.gateway.replies');
    expect(topicLabel('meridian.gateway.replies.gw-7f9c.lq2x8a1b-0a1b2c.group')).toBe('meridian.gateway.replies');
    expect(topicLabel('meridian.gateway.replies.gw-7f9c')).toBe('meridian.gateway.replies');
    // Other topics and groups keep their name.
    expect(topicLabel('meridian.telemetry')).toBe('meridian.telemetry');
    expect(topicLabel('meridian.workflow.commands.dlq')).toBe('meridian.workflow.commands.dlq');
    expect(topicLabel('projection.positions')).toBe('projection.positions');

    const metrics = metricsFor(unique('replies'));
    // Two pods' worth of reply subscriptions (a restart): one set of series.
    for (const instance of ['gw-a.lq2x8a1b-0a1b2c', 'gw-b.lq2x9zzz-ffeedd']) {
      const topic = `meridian.gateway.replies.${instance}`;
      const group = metrics.consumer(`${topic}.group`);
      group.batchDone({ topic, partition: 0, batchSize: 2, offsetLag: '1' });
      group.messageFailed(topic);
      group.assigned({ [topic]: [0] });
    }
    const samples = parseExposition((await metrics.scrape()).body);
    const labelled = samples.filter((s) => s.name.startsWith('meridian_kafka_'));
    expect(labelled.length).toBeGreaterThan(0);
    for (const s of labelled) {
      expect(s.labels['group']).toBe('meridian.gateway.replies');
      expect(s.labels['topic']).toBe('meridian.gateway.replies');
    }
    const labels = { group: 'meridian.gateway.replies', topic: 'meridian.gateway.replies' };
    expect(valueOf(samples, 'meridian_kafka_messages_consumed_total', labels)).toBe(4);
    expect(valueOf(samples, 'meridian_kafka_messages_failed_total', labels)).toBe(2);
    expect(labelled.filter((s) => s.name === 'meridian_kafka_consumer_lag_messages')).toHaveLength(1);
  });

  it('stamps the time of each finished batch, so a frozen lag shows as stale', async () => {
    const metrics = metricsFor(unique('stale'));
    const group = metrics.consumer('workflow.commands');
    const labels = { group: 'workflow.commands', topic: 'meridian.workflow.commands', service: metrics.service };
    const stamp = async (): Promise<number | undefined> =>
      sample((await metrics.scrape()).body, 'meridian_kafka_consumer_last_batch_timestamp_seconds', labels);
    expect(await stamp()).toBeUndefined();
    const before = Date.now() / 1000;
    group.batchDone({ topic: 'meridian.workflow.commands', partition: 3, batchSize: 1, offsetLag: '0' });
    const first = (await stamp()) ?? 0;
    expect(first).toBeGreaterThanOrEqual(before);
    expect(first).toBeLessThanOrEqual(Date.now() / 1000);
    // No batch: the stamp stays, and time() minus it grows.
    await new Promise((r) => setTimeout(r, 20));
    expect(await stamp()).toBe(first);
    group.batchDone({ topic: 'meridian.workflow.commands', partition: 1, batchSize: 0, offsetLag: '0' });
    expect(await stamp()).toBeGreaterThan(first);
  });

  it('reads committed lag at scrape time: bounded when the broker hangs, cached, never for reply groups', async () => {
    const metrics = metricsFor(unique('group-lag'));
    const name = 'meridian_kafka_consumer_group_committed_lag_messages';
    let reads = 0;
    let hang = false;
    const admin = async () => ({
      fetchOffsets: async () => {
        reads++;
        if (hang) await new Promise(() => undefined);
        return [{ topic: 'meridian.telemetry', partitions: [{ partition: 0, offset: '40' }] }];
      },
      fetchTopicOffsets: async () => [{ partition: 0, high: '100', low: '0' }],
    });
    metrics.watchGroup('projection.positions', ['meridian.telemetry'], admin);
    metrics.watchGroup('meridian.gateway.replies.gw-a.group', ['meridian.gateway.replies.gw-a'], admin);
    const labels = { group: 'projection.positions', topic: 'meridian.telemetry', partition: '0' };
    let text = (await metrics.scrape()).body;
    expect(sample(text, name, labels)).toBe(60);
    expect(parseExposition(text).filter((s) => s.name === name)).toHaveLength(1); // no reply group
    await metrics.scrape();
    expect(reads).toBe(1); // cached for the scrape interval

    // A new watch reads at the next scrape; a broker that hangs costs the scrape 2 s, not forever.
    hang = true;
    metrics.watchGroup('projection.positions', ['meridian.telemetry'], admin);
    const started = Date.now();
    text = (await metrics.scrape()).body;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(sample(text, name, labels)).toBe(60);

    metrics.unwatchGroup('projection.positions');
    expect(sample((await metrics.scrape()).body, name, labels)).toBeUndefined();
  });

  it('reads the relay lag at scrape time, keeps the last value when the probe fails or hangs', async () => {
    const metrics = metricsFor(unique('relay'));
    const lagOf = async (): Promise<[number | undefined, number | undefined]> => {
      const text = (await metrics.scrape()).body;
      return [
        sample(text, 'meridian_outbox_relay_lag_seconds', { service: metrics.service }),
        sample(text, 'meridian_outbox_relay_unpublished_events', { service: metrics.service }),
      ];
    };
    let probes = 0;
    metrics.observeRelayLag(async () => {
      probes++;
      return { unpublished: 7, oldestUnpublishedAgeMs: 2500 };
    });
    expect(await lagOf()).toEqual([2.5, 7]);
    expect(probes).toBe(1); // one backlog query serves both gauges
    metrics.observeRelayLag(async () => {
      throw new Error('database away');
    });
    expect(await lagOf()).toEqual([2.5, 7]);
    metrics.observeRelayLag(() => new Promise(() => undefined));
    const started = Date.now();
    expect(await lagOf()).toEqual([2.5, 7]);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('serveMetrics (METRICS_PORT)', () => {
  it('serves GET /metrics on a listener of its own and nothing else', async () => {
    const metrics = metricsFor(unique('listener'));
    metrics.geofence.entered.inc(2);
    const server = await serveMetrics(metrics, 0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(sample(text, 'meridian_geofence_transitions_total', { service: metrics.service, type: 'entered' })).toBe(
        2,
      );
      expect((await fetch(`http://127.0.0.1:${server.port}/health/live`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      await server.close();
    }
    await expect(fetch(`http://127.0.0.1:${server.port}/metrics`)).rejects.toThrow();
  });
});
