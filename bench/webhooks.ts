/**
 * Webhook deliveries (issue 13): deliveries per second from integration events on Kafka to a
 * local HTTP receiver that answers 200 at once, through the whole path — the fan-out consumer
 * (match, one INSERT per batch), PostgreSQL, the BullMQ dispatcher (load, lease, sign, POST,
 * record) — with 1 and 10 subscriptions, and the process memory meanwhile.
 *
 *   node -r @swc-node/register bench/webhooks.ts [--events=5000] [--subscriptions=1,10] [--scale=1]
 *
 * Each run: a fresh topic, fresh subscriptions of a tenant of its own, `events` events published
 * (one ordering key each), timed from the first publish to the last delivery answered; every
 * delivery must reach `succeeded` once (duplicates are counted). Baseline, same run: the same
 * number of signed POSTs sent straight to the receiver at the dispatcher's concurrency — what the
 * HTTP part alone costs. Defaults are the service's (32 attempts in flight, 4 per endpoint).
 *
 * Environment: BENCH_PG_URL, BENCH_POOL_SIZE, REDIS_URL (`redis://host:port/db`; the run's keys
 * are deleted at the end), BENCH_SCALE. `webhooksBenchmark` is the entry point for bench/run.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Pool } from 'pg';
import Redis from 'ioredis';
import { toWire } from '@meridian/contracts/core';
import { DeliveryDispatcher, FanOutConsumer, postOnce, signatureHeader } from '@meridian/projection/feature-webhooks';
import { WebhookSubscriptions, webhooksDdl } from '@meridian/read-model/webhooks';
import type { MessageBus } from '@meridian/shared/messaging';
import { DEV_SECRETS_KEY } from '@meridian/shared/service-kit';
import { sealSecret } from '@meridian/shared/util';
import { type BenchResult, fmt, now, result, round, runWorkers, say, scaled, withTicker } from './harness';
import { benchLog, deleteTopics, ensureDatabase, infraConfig, newBus, newPool, warmPool } from './infra';

export interface WebhooksParams {
  readonly events: number;
  readonly subscriptionCounts: readonly number[];
  readonly concurrency: number;
  readonly endpointConcurrency: number;
  readonly redisUrl: string;
  /** Gives up when nothing was delivered for this long. */
  readonly stallMs: number;
}

interface WebhooksRun {
  readonly subscriptions: number;
  readonly deliveries: number;
  readonly succeeded: number;
  readonly duplicates: number;
  readonly seconds: number;
  readonly deliveriesPerSecond: number;
  readonly publishSeconds: number;
  readonly attempts: number;
  readonly postponed: number;
  readonly peakRssMiB: number;
  readonly peakHeapMiB: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const MiB = 1024 * 1024;

/** A receiver that answers 200 at once and counts requests per webhook-id. */
async function startReceiver(): Promise<{ server: Server; url: string; seen: Map<string, number> }> {
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      seen.set(id, (seen.get(id) ?? 0) + 1);
      res.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}/hook`, seen };
}

/** Peak memory of the process while `work` runs, sampled every 200 ms. */
async function withMemory<T>(work: Promise<T>): Promise<{ value: T; rssMiB: number; heapMiB: number }> {
  let rss = process.memoryUsage().rss;
  let heap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  }, 200);
  try {
    const value = await work;
    return { value, rssMiB: round(rss / MiB), heapMiB: round(heap / MiB) };
  } finally {
    clearInterval(timer);
  }
}

async function dispatchRun(
  pool: Pool,
  bus: MessageBus,
  runId: string,
  subscriptionCount: number,
  p: WebhooksParams,
  url: string,
  seen: Map<string, number>,
): Promise<WebhooksRun> {
  const secretsKey = Buffer.from(DEV_SECRETS_KEY, 'base64');
  const tenant = `bench-wh-${runId}-${subscriptionCount}`;
  const topic = `bench.webhooks.${runId}.${subscriptionCount}`;
  const prefix = `bench-wh-${runId}`;
  await bus.ensureTopics([
    { name: topic, partitions: 6, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
    { name: `${topic}.dlq`, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
  ]);
  const subscriptions = new WebhookSubscriptions(pool);
  const webhookIds: string[] = [];
  for (let i = 0; i < subscriptionCount; i++) {
    const id = randomUUID();
    webhookIds.push(id);
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    await subscriptions.create(
      {
        id,
        tenantId: tenant,
        url,
        events: ['*'],
        description: 'bench',
        sealedSecret: sealSecret(secretsKey, secret),
        createdBy: 'bench',
      },
      1000,
    );
  }
  const dispatcher = new DeliveryDispatcher({
    pool,
    redisUrl: p.redisUrl,
    prefix,
    queueName: `webhooks-${subscriptionCount}`,
    concurrency: p.concurrency,
    endpointConcurrency: p.endpointConcurrency,
    timeoutMs: 10_000,
    schedule: { delaysMs: [1000, 5000], jitter: 0.2 },
    reconcileMs: 30_000,
    secretsKey,
    policy: { allowLoopback: true },
    log: benchLog,
  });
  const fanOut = new FanOutConsumer(
    bus,
    pool,
    { groupId: `${topic}.fan-out`, topics: [topic], concurrency: 6, fromBeginning: true, log: benchLog },
    (ids) => dispatcher.enqueue(ids),
  );
  await dispatcher.start();
  await fanOut.start();
  const expected = p.events * subscriptionCount;
  try {
    const started = now();
    const run = (async () => {
      const chunk = 500;
      for (let from = 0; from < p.events; from += chunk) {
        const messages = Array.from({ length: Math.min(chunk, p.events - from) }, (_, j) => {
          const assetId = randomUUID();
          return toWire(
            {
              id: randomUUID(),
              type: 'meridian.projection.geofence.entered.v1',
              source: '/meridian/projection',
              time: new Date().toISOString(),
              data: { assetId, zoneId: 'z-1', n: from + j },
              correlationId: randomUUID(),
              tenantId: tenant,
            },
            assetId,
          );
        });
        await bus.send(topic, messages);
      }
      const publishSeconds = (now() - started) / 1000;
      let lastCount = 0;
      let lastProgress = now();
      while (dispatcher.counters.succeeded < expected) {
        await sleep(50);
        const count = dispatcher.counters.succeeded;
        if (count !== lastCount) [lastCount, lastProgress] = [count, now()];
        else if (now() - lastProgress > p.stallMs) throw new Error(`stalled at ${count} of ${expected} delivered`);
      }
      return { publishSeconds, seconds: (now() - started) / 1000 };
    })();
    const measured = await withMemory(
      withTicker(
        run,
        () =>
          `${subscriptionCount} subscription(s): ${fmt(dispatcher.counters.succeeded)} / ${fmt(expected)} delivered, ` +
          `${fmt(fanOut.recorded)} recorded, ${fmt(dispatcher.counters.attempts)} attempts ` +
          `(${fmt(dispatcher.counters.failed)} failed, ${fmt(dispatcher.counters.postponed)} put off), ` +
          `rss ${fmt(process.memoryUsage().rss / MiB)} MiB`,
      ),
    );
    await sleep(1000); // late duplicates would show up now
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhooks.deliveries WHERE tenant_id = $1 AND state = 'succeeded'`,
      [tenant],
    );
    const { rows: ids } = await pool.query<{ id: string }>(`SELECT id FROM webhooks.deliveries WHERE tenant_id = $1`, [
      tenant,
    ]);
    const duplicates = ids.reduce((n, r) => n + Math.max(0, (seen.get(r.id) ?? 0) - 1), 0);
    return {
      subscriptions: subscriptionCount,
      deliveries: expected,
      succeeded: rows[0]?.n ?? 0,
      duplicates,
      seconds: round(measured.value.seconds),
      deliveriesPerSecond: round(expected / measured.value.seconds),
      publishSeconds: round(measured.value.publishSeconds),
      attempts: dispatcher.counters.attempts,
      postponed: dispatcher.counters.postponed,
      peakRssMiB: measured.rssMiB,
      peakHeapMiB: measured.heapMiB,
    };
  } finally {
    await fanOut.stop();
    await dispatcher.stop();
    await deleteTopics(bus, [topic, `${topic}.dlq`]);
    await pool.query(`DELETE FROM webhooks.deliveries WHERE tenant_id = $1`, [tenant]);
    await pool.query(`DELETE FROM webhooks.subscriptions WHERE tenant_id = $1`, [tenant]);
  }
}

/** Signed POSTs straight to the receiver, same concurrency: what the HTTP part alone costs. */
async function directRun(p: WebhooksParams, url: string): Promise<number> {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const target = new URL(url);
  const body = JSON.stringify({ type: 'geofence.entered', timestamp: new Date().toISOString(), data: { n: 0 } });
  let done = 0;
  const started = now();
  await withTicker(
    runWorkers(p.concurrency, p.events, async (i) => {
      const id = `msg_${String(i).padStart(32, '0')}`;
      const ts = Math.floor(Date.now() / 1000);
      const outcome = await postOnce({
        url: target,
        vetted: { address: '127.0.0.1', family: 4 },
        body,
        timeoutMs: 10_000,
        maxResponseBytes: 65536,
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(ts),
          'webhook-signature': signatureHeader([secret], id, ts, body),
        },
      });
      if (outcome.error) throw new Error(outcome.error);
      done++;
    }),
    () => `direct: ${fmt(done)} / ${fmt(p.events)} posted`,
  );
  return p.events / ((now() - started) / 1000);
}

/** Deletes the run's Redis keys (SCAN + UNLINK, this prefix only). */
async function dropRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function table(runs: readonly WebhooksRun[], direct: number): string {
  const head =
    '| subscriptions | deliveries | succeeded | duplicates | s | deliveries/s | vs direct | attempts | postponed | ' +
    'peak rss MiB | peak heap MiB |';
  const rule = '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = runs.map(
    (r) =>
      `| ${r.subscriptions} | ${fmt(r.deliveries)} | ${fmt(r.succeeded)} | ${r.duplicates} | ${fmt(r.seconds)} | ` +
      `${fmt(r.deliveriesPerSecond)} | ${fmt(r.deliveriesPerSecond / direct)} | ${fmt(r.attempts)} | ` +
      `${fmt(r.postponed)} | ${fmt(r.peakRssMiB)} | ${fmt(r.peakHeapMiB)} |`,
  );
  return [head, rule, ...rows, `| direct POST (baseline) | | | | | ${fmt(direct)} | 1 | | | | |`].join('\n');
}

export async function webhooksBenchmark(
  pool: Pool,
  bus: MessageBus,
  runId: string,
  p: WebhooksParams,
): Promise<BenchResult[]> {
  for (const statement of webhooksDdl) await pool.query(statement);
  const receiver = await startReceiver();
  try {
    say(`webhooks baseline: ${fmt(p.events)} signed POSTs straight to the receiver, ${p.concurrency} at a time`);
    const direct = await directRun(p, receiver.url);
    say(`  direct: ${fmt(direct)} POSTs/s`);
    const runs: WebhooksRun[] = [];
    for (const count of p.subscriptionCounts) {
      say(`webhooks: ${fmt(p.events)} events × ${count} subscription(s), through Kafka, PostgreSQL and BullMQ`);
      const run = await dispatchRun(pool, bus, runId, count, p, receiver.url, receiver.seen);
      runs.push(run);
      say(
        `  ${count} subscription(s): ${fmt(run.deliveriesPerSecond)} deliveries/s (${fmt(run.succeeded)} in ` +
          `${fmt(run.seconds)} s, ${run.duplicates} duplicates), peak rss ${fmt(run.peakRssMiB)} MiB`,
      );
    }
    process.stdout.write(`\n${table(runs, direct)}\n\n`);
    return runs.map((r) =>
      result({
        name: `webhooks-${r.subscriptions}`,
        title: `Webhook deliveries/s, ${fmt(p.events)} events × ${r.subscriptions} subscription(s)`,
        value: r.deliveriesPerSecond,
        unit: 'deliveries/s',
        baseline: direct,
        baselineName: 'signed POST straight to the receiver',
        valueName: 'Kafka → PostgreSQL → BullMQ → HTTP',
        better: 'higher',
        parameters: { ...p, redisUrl: undefined },
        details: { ...r },
      }),
    );
  } finally {
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
    receiver.server.closeAllConnections();
    await dropRedisKeys(p.redisUrl, `bench-wh-${runId}`).catch((err: Error) =>
      say(`could not delete Redis keys: ${err.message}`),
    );
  }
}

export function webhooksParams(argv: readonly string[], scale: number): WebhooksParams {
  const arg = (name: string): string | undefined =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const counts = arg('subscriptions');
  return {
    events: arg('events') ? Number(arg('events')) : scaled(5000, scale, 100),
    subscriptionCounts: counts ? counts.split(',').map(Number) : [1, 10],
    concurrency: arg('concurrency') ? Number(arg('concurrency')) : 32,
    endpointConcurrency: arg('endpoint-concurrency') ? Number(arg('endpoint-concurrency')) : 4,
    redisUrl: process.env.REDIS_URL || `redis://127.0.0.1:${process.env.MERIDIAN_REDIS_PORT || '6379'}`,
    stallMs: 30_000,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const scaleArg = argv.find((a) => a.startsWith('--scale='));
  const scale = scaleArg ? Number(scaleArg.slice('--scale='.length)) : Number(process.env.BENCH_SCALE ?? 1);
  const config = infraConfig();
  await ensureDatabase(config.pgUrl);
  const pool = newPool(config);
  const runId = Date.now().toString(36);
  const bus = newBus(config, `meridian-bench-webhooks-${runId}`);
  try {
    await warmPool(pool, config.poolSize);
    const results = await webhooksBenchmark(pool, bus, runId, webhooksParams(argv, scale));
    results.forEach((r) => say(`${r.title}: ${fmt(r.value)} ${r.unit}, ratio to direct ${fmt(r.ratio)}`));
  } finally {
    await bus.close();
    await pool.end();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    say(`webhooks benchmark failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
}
