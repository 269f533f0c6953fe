import { describe, expect, it } from '@jest/globals';
import { parseExposition, valueOf } from './exposition';
import { serveMetrics } from './metrics-server';
import { metricsFor, ServiceMetrics } from './service-metrics';

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
