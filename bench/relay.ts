/**
 * Benchmark 4: the outbox relay (event store `$all` in commit-safe order → outboxPublisher →
 * Kafka, checkpoint after the ack) against a raw kafkajs producer sending the same number of
 * pre-built messages (same keys, values and headers) in batches of the same size with acks=all
 * and the producer settings MessageBus uses (idempotent, one request in flight).
 *
 * The work is cut into chunks: each chunk is pre-appended (not timed), then the relay drains it
 * (running as in production: start(), stopped once the chunk is delivered) and the raw producer
 * sends the chunk's pre-built messages; which of the two goes first alternates.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Message, Partitioners } from 'kafkajs';
import type { Pool } from 'pg';
import { toWire, type TopicDefinition, type WireMessage } from '@meridian/contracts/core';
import type { NewEvent, RecordedEvent } from '@meridian/shared/decider';
import { type AllPosition, OutboxRelay, type PgEventStore, START } from '@meridian/shared/event-store';
import { type IntegrationMapper, type MessageBus, outboxPublisher } from '@meridian/shared/messaging';
import { assetEvents } from './fixtures';
import { benchLog } from './infra';
import { type BenchResult, fmt, median, now, result, round, runWorkers, say, timed, withTicker } from './harness';

export interface RelayParams {
  readonly events: number;
  readonly batchSize: number;
  readonly appendBatch: number;
  readonly appendWriters: number;
  readonly partitions: number;
  readonly brokers: readonly string[];
  /** Gives up if `$all` stops delivering for this long (e.g. a long transaction elsewhere holds xmin back). */
  readonly stallTimeoutMs: number;
  /** Pre-append/relay/baseline chunks; relay and baseline alternate going first. */
  readonly chunks: number;
}

const SERVICE = 'bench';
const topicDefinition = (name: string, partitions: number): TopicDefinition => ({
  name,
  partitions,
  retentionMs: 60 * 60 * 1000,
  cleanupPolicy: 'delete',
});

/** The integration form of a stored asset event, as the workflow service would map it. */
const mapAssetEvent: IntegrationMapper = (e) => ({
  key: e.streamId,
  type: `meridian.workflow.${e.type}`,
  dataschema: `https://schemas.meridian.dev/meridian/workflow/${e.type.replace(/\./g, '/')}.json`,
  subject: e.streamId,
  data: e.data,
});

/** The wire message the relay produces for an event, built ahead of time for the baseline. */
function prebuilt(streamId: string, e: NewEvent, time: string): WireMessage {
  const m = mapAssetEvent({
    globalPosition: '0',
    transactionId: '0',
    streamId,
    streamVersion: 0,
    id: e.id,
    type: e.type,
    schemaVersion: 1,
    data: e.data,
    metadata: e.metadata ?? {},
    recordedAt: new Date(time),
  });
  if (!m) throw new Error('mapper dropped an event');
  return toWire(
    {
      id: e.id,
      type: m.type,
      source: `/meridian/${SERVICE}`,
      time,
      dataschema: m.dataschema,
      subject: m.subject,
      data: m.data,
      correlationId: e.metadata?.correlationId ?? e.id,
      causationId: e.metadata?.causationId ?? e.id,
      tenantId: e.metadata?.tenantId,
      traceparent: e.metadata?.traceparent,
    },
    m.key,
  );
}

const medianOf = async (runs: number, work: () => Promise<unknown>): Promise<number> => {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await timed(work));
  return median(xs);
};

/** `stalled` resolves true once `progress()` has not changed for `timeoutMs`; `cancel()` ends the watch. */
function watchdog(progress: () => number, timeoutMs: number): { stalled: Promise<boolean>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<boolean>((resolve) => {
    let last = progress();
    let since = now();
    timer = setInterval(() => {
      const p = progress();
      if (p !== last) {
        last = p;
        since = now();
      } else if (now() - since > timeoutMs) {
        clearInterval(timer);
        resolve(true);
      }
    }, 100);
  });
  return { stalled, cancel: () => clearInterval(timer) };
}

export interface RelayTopics {
  readonly relay: string;
  readonly baseline: string;
}

export function relayTopics(runId: string): RelayTopics {
  return { relay: `meridian.bench.${runId}.relay`, baseline: `meridian.bench.${runId}.baseline` };
}

export async function relayBenchmark(
  pool: Pool,
  schema: string,
  store: PgEventStore,
  bus: MessageBus,
  topics: RelayTopics,
  params: RelayParams,
): Promise<BenchResult> {
  const created = await bus.ensureTopics([
    topicDefinition(topics.relay, params.partitions),
    topicDefinition(topics.baseline, params.partitions),
  ]);
  say(`  topics ready: ${created.join(', ')} (${params.partitions} partitions each)`);

  // Start the relay's checkpoint at the current head of $all so it publishes only this phase's events.
  const relayName = `bench-relay-${randomUUID().slice(0, 8)}`;
  const { rows } = await pool.query<{ t: string; g: string }>(
    `SELECT transaction_id::text AS t, global_position::text AS g FROM ${schema}.events e ` +
      `ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1`,
  );
  const startPosition: AllPosition = rows[0] ? { transactionId: rows[0].t, globalPosition: rows[0].g } : START;
  await store.saveCheckpoint(relayName, startPosition);

  // Baseline producer: plain kafkajs with MessageBus's producer settings.
  const kafka = new Kafka({ clientId: 'meridian-bench-raw', brokers: [...params.brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();

  // The relay, timing its publish step (mapping + send + ack) apart from its database work, and
  // counting distinct event ids: every event must arrive exactly once.
  const publishInner = outboxPublisher(bus, { service: SERVICE, topic: topics.relay, map: mapAssetEvent });
  let publishMs = 0;
  const delivered = new Set<string>();
  let target = 0;
  let reached: (() => void) | null = null;
  const publish = async (events: readonly RecordedEvent[]): Promise<void> => {
    const t = now();
    await publishInner(events);
    publishMs += now() - t;
    for (const e of events) delivered.add(e.id);
    if (delivered.size >= target) reached?.();
  };
  const relay = new OutboxRelay(pool, store, publish, { name: relayName, batchSize: params.batchSize, log: benchLog });

  try {
    // Warm-up: both producers connect and fetch their topic's metadata before anything is timed.
    const warm = prebuilt('asset-warmup', assetEvents(randomUUID(), 1, 1)[0], new Date().toISOString());
    await producer.send({
      topic: topics.baseline,
      acks: -1,
      messages: [{ key: warm.key, value: warm.value, headers: { ...warm.headers } }],
    });
    await bus.send(topics.relay, [warm]);

    // Chunks: pre-append (not timed), then the relay drains the chunk and the raw producer sends the
    // chunk's identical pre-built messages, the first of the two alternating from chunk to chunk.
    const chunkSize = Math.ceil(params.events / params.chunks);
    let relayMs = 0;
    let baselineMs = 0;
    let baselineSent = 0;
    let stalled = false;
    const pairRatios: number[] = [];
    for (let c = 0, first = 0; first < params.events; c++, first += chunkSize) {
      const size = Math.min(chunkSize, params.events - first);
      const wire: WireMessage[] = [];
      const calls = Math.ceil(size / params.appendBatch);
      const time = new Date().toISOString();
      await runWorkers(params.appendWriters, calls, async (i) => {
        const assetId = randomUUID();
        const events = assetEvents(assetId, 1, Math.min(params.appendBatch, size - i * params.appendBatch));
        await store.append(`asset-${assetId}`, 0, events);
        for (const e of events) wire.push(prebuilt(`asset-${assetId}`, e, time));
      });
      const messages: Message[] = wire.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } }));

      const runRelay = async (): Promise<number> => {
        target = first + size;
        const start = now();
        const done = new Promise<void>((resolve) => {
          reached = resolve;
        });
        const watch = watchdog(() => delivered.size, params.stallTimeoutMs);
        relay.start();
        const gaveUp = await withTicker(
          Promise.race([done.then(() => false), watch.stalled]),
          () => `relay chunk ${c + 1}: ${fmt(delivered.size - first)}/${fmt(size)} events`,
        );
        watch.cancel();
        const ms = now() - start - (gaveUp ? params.stallTimeoutMs : 0);
        reached = null;
        await relay.stop();
        stalled ||= gaveUp;
        relayMs += ms;
        return Math.min(size, delivered.size - first) / (ms / 1000);
      };
      const runBaseline = async (): Promise<number> => {
        const ms = await timed(async () => {
          for (let i = 0; i < messages.length; i += params.batchSize) {
            await producer.send({
              topic: topics.baseline,
              acks: -1,
              messages: messages.slice(i, i + params.batchSize),
            });
          }
        });
        baselineMs += ms;
        baselineSent += messages.length;
        return messages.length / (ms / 1000);
      };
      const relayFirst = c % 2 === 0;
      const a = relayFirst ? await runRelay() : await runBaseline();
      const b = relayFirst ? await runBaseline() : await runRelay();
      const [relayRate, rawRate] = relayFirst ? [a, b] : [b, a];
      pairRatios.push(relayRate / rawRate);
      say(
        `  chunk ${c + 1}/${params.chunks}: ${fmt(size)} events; relay ${fmt(relayRate)} events/s, raw producer ` +
          `${fmt(rawRate)} messages/s, ratio ${fmt(relayRate / rawRate)}`,
      );
      if (stalled) break;
    }

    const relayRate = relay.published / (relayMs / 1000);
    const baselineRate = baselineSent / (baselineMs / 1000);
    const missing = params.events - delivered.size;
    const duplicates = relay.published - delivered.size;
    say(
      `  relay: ${fmt(relayRate)} events/s (${fmt(relayMs)} ms, ${fmt(publishMs)} ms of it in publish); raw producer ` +
        `${fmt(baselineRate)} messages/s`,
    );
    if (missing > 0 || duplicates > 0 || stalled) {
      say(
        `  WARNING: relay delivered ${fmt(delivered.size)}/${fmt(params.events)} distinct events (${fmt(missing)} ` +
          `missing, ${fmt(duplicates)} duplicates${stalled ? ', stalled' : ''})`,
      );
    }

    // Cost of the relay's per-event mapping to CloudEvents wire messages alone, without Kafka.
    const sample = await store.readAll(startPosition, params.batchSize);
    const nullBus = { send: async () => undefined } as unknown as MessageBus;
    const mapOnly = outboxPublisher(nullBus, { service: SERVICE, topic: topics.relay, map: mapAssetEvent });
    const mapReps = 5;
    const mapMs = await timed(async () => {
      for (let i = 0; i < mapReps; i++) await mapOnly(sample);
    });
    const mapUsPerEvent = (mapMs * 1000) / (mapReps * sample.length);

    // The relay's read query as shipped vs the same query with a table-qualified ORDER BY (see README).
    const readAllMs = await medianOf(5, () => store.readAll(startPosition, params.batchSize));
    const qualifiedMs = await medianOf(5, () =>
      pool.query(
        `SELECT e.global_position, e.transaction_id::text, e.stream_id, e.stream_version, e.event_id, e.type,
                e.schema_version, e.data, e.metadata, e.recorded_at
         FROM ${schema}.events e
         WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
           AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY e.transaction_id, e.global_position
         LIMIT $3`,
        [startPosition.transactionId, startPosition.globalPosition, params.batchSize],
      ),
    );
    const { rows: counted } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.events`);
    say(
      `  readAll(${params.batchSize}) over ${fmt(Number(counted[0].n))} stored events: ${fmt(readAllMs)} ms as ` +
        `shipped, ${fmt(qualifiedMs)} ms with ORDER BY e.transaction_id, e.global_position`,
    );

    return result({
      name: 'relay-store-to-kafka',
      title: `OutboxRelay store → Kafka, ${fmt(params.events)} events`,
      value: relayRate,
      unit: 'events/s',
      baseline: baselineRate,
      baselineName: 'raw kafkajs producer',
      better: 'higher',
      parameters: {
        events: params.events,
        batchSize: params.batchSize,
        partitions: params.partitions,
        acks: 'all',
        idempotentProducer: true,
        maxInFlightRequests: 1,
        preAppendBatch: params.appendBatch,
        chunks: params.chunks,
      },
      details: {
        delivered: delivered.size,
        missing,
        duplicates,
        stalled,
        relayMs: round(relayMs),
        relayPublishMs: round(publishMs),
        relayDatabaseMs: round(relayMs - publishMs),
        baselineMs: round(baselineMs),
        medianChunkRatio: round(median(pairRatios)),
        storedEventsInSchema: Number(counted[0].n),
        readAllBatchMsAsShipped: round(readAllMs),
        readAllBatchMsQualifiedOrderBy: round(qualifiedMs),
        mappingUsPerEvent: round(mapUsPerEvent),
        mappingMsPerBatch: round((mapUsPerEvent * params.batchSize) / 1000),
      },
    });
  } finally {
    await relay.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
}
