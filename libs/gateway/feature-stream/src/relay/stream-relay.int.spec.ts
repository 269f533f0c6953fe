import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Redis from 'ioredis';
import { type Envelope, toWire } from '@meridian/contracts/core';
import { PositionBatchReportedV1, PositionReportedV1 } from '@meridian/contracts/telemetry';
import { MissionCreatedV1, MissionTransitionedV1 } from '@meridian/contracts/missions';
import { GeofenceEnteredV1 } from '@meridian/contracts/zones';
import type { MessageBus } from '@meridian/shared/messaging';
import { createTestBus, createTopics, deleteTopics, uniqueTopic } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { StreamLog, streamKey } from '../stream-log';
import { StreamRelay } from './stream-relay';

const redisUrl = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const positionsTopic = uniqueTopic('stream-positions');
const eventsTopic = uniqueTopic('stream-events');
const tenant = `t-${randomBytes(5).toString('hex')}`;

let bus: MessageBus;
let redis: Redis;
let relay: StreamRelay;

const envelope = (type: string, data: unknown, tenantId = tenant): Envelope => ({
  id: randomUUID(),
  type,
  source: 'test',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId,
});
const fix = (assetId: string, secondsAgo: number, lon = 1, lat = 2) => ({
  assetId,
  ts: new Date(Date.now() - secondsAgo * 1000).toISOString(),
  lon,
  lat,
  speed: 3,
});
const entries = async (t = tenant): Promise<{ e: string; d: Record<string, unknown> }[]> =>
  ((await redis.xrange(streamKey(t), '-', '+')) as [string, string[]][]).map(([, f]) => ({
    e: f[1],
    d: JSON.parse(f[3]) as Record<string, unknown>,
  }));
const until = async <T>(probe: () => Promise<T>, accept: (v: T) => boolean): Promise<T> => {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await probe();
    if (accept(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** A relay of its own on topics of its own (one partition each), so a test may stop and restart it. */
const ownRelay = (
  topics: { positions: string; events: string },
  groupId: string,
  positionIntervalMs: number,
  watching?: { has(tenantId: string): boolean },
) =>
  new StreamRelay(bus, new StreamLog(redis, { retentionMs: 60_000, maxEvents: 10_000 }), {
    groupId,
    positionsTopic: topics.positions,
    eventsTopic: topics.events,
    positionIntervalMs,
    retentionMs: 60_000,
    log: silentLog,
    ...(watching ? { watching } : {}),
  });
/** Starts a relay and waits until it joined; a group of its own starts at offset 0 (not at "latest", resolved late). */
const startJoined = async (r: StreamRelay, fresh?: { groupId: string; topics: readonly string[] }): Promise<void> => {
  if (fresh) {
    const admin = await bus.admin();
    for (const topic of fresh.topics) {
      await admin.setOffsets({ groupId: fresh.groupId, topic, partitions: [{ partition: 0, offset: '0' }] });
    }
  }
  await r.start();
  while (!bus.consumersJoined()) await new Promise((res) => setTimeout(res, 100));
};
const ownTopics = async () => {
  const topics = { positions: uniqueTopic('stream-positions'), events: uniqueTopic('stream-events') };
  await createTopics(bus, [topics.positions, topics.events], 1);
  created.push(topics.positions, topics.events);
  return topics;
};
const created: string[] = [];

const AREA = {
  type: 'Polygon',
  coordinates: [
    [
      [8.5, 47.35],
      [8.56, 47.35],
      [8.56, 47.4],
      [8.5, 47.4],
      [8.5, 47.35],
    ],
  ],
};
const summary = (tenantId: string, missionId: string, version: number, state: string) => ({
  missionId,
  tenantId,
  version,
  state,
  done: false,
  assetIds: [],
  transitions: [],
  actor: 'dispatcher-7',
  at: new Date().toISOString(),
});
const missionCreated = (tenantId: string, missionId: string) => ({
  ...summary(tenantId, missionId, 1, 'draft'),
  title: 'Inspect the bridges',
  definition: { key: 'default', version: 1 },
  area: AREA,
  window: { start: '2026-12-01T08:00:00Z', end: '2026-12-01T12:00:00Z' },
  priority: 3,
  deadline: '2026-12-01T08:15:00Z',
  createdBy: 'dispatcher-7',
});
const missionTransitioned = (tenantId: string, missionId: string, version: number) => ({
  ...summary(tenantId, missionId, version, 'submitted'),
  from: 'draft',
  event: 'submit',
  cause: 'user',
  reason: null,
});

beforeAll(async () => {
  bus = createTestBus('stream-relay');
  await createTopics(bus, [positionsTopic, eventsTopic], 2);
  redis = new Redis(redisUrl);
  relay = new StreamRelay(bus, new StreamLog(redis, { retentionMs: 60_000, maxEvents: 10_000 }), {
    groupId: `test.stream-relay.${randomUUID()}`,
    positionsTopic,
    eventsTopic,
    positionIntervalMs: 60_000,
    retentionMs: 60_000,
    log: silentLog,
  });
  await relay.start();
  while (!bus.consumersJoined()) await new Promise((r) => setTimeout(r, 100));
});

afterAll(async () => {
  await relay.stop();
  await redis.del(streamKey(tenant));
  redis.disconnect();
  await deleteTopics(bus, [positionsTopic, eventsTopic, ...created]);
  await bus.close();
});

describe('StreamRelay (Kafka → per-tenant Redis streams)', () => {
  it('skips a poison record, counts it, and relays the next one on the same partition', async () => {
    const asset = randomUUID();
    await bus.send(positionsTopic, [
      { key: asset, value: Buffer.from('not a cloud event'), headers: {} },
      toWire(envelope(PositionBatchReportedV1.type, { fixes: [{ assetId: asset, lon: 500 }] }), asset),
      toWire(envelope(PositionReportedV1.type, fix(asset, 0), 'NOT A TENANT'), asset),
      toWire(envelope(PositionReportedV1.type, fix(asset, 0)), asset),
    ]);
    const got = await until(entries, (e) => e.length >= 1);
    expect(got).toEqual([{ e: 'position', d: { ...fix(asset, 0), ts: got[0]?.d['ts'] } }]);
    // The bad batch and the bad tenant; the non-CloudEvent is skipped (and logged) by the subscription.
    expect(relay.skipped).toBe(2);
  });

  it('throttles positions per asset (the newest of a burst, each asset apart); geofence events pass', async () => {
    await redis.del(streamKey(tenant));
    const [a, b] = [randomUUID(), randomUUID()];
    const burst = [fix(a, 3, 10), fix(a, 1, 11), fix(a, 2, 12), fix(b, 5, 20)];
    await bus.send(positionsTopic, [toWire(envelope(PositionBatchReportedV1.type, { fixes: burst }), a)]);
    await until(entries, (e) => e.length >= 2);
    // Within the interval: held, not sent (the trailing send comes when the interval ends).
    await bus.send(positionsTopic, [toWire(envelope(PositionReportedV1.type, fix(a, 0, 13)), a)]);
    const geofence = {
      tenantId: tenant,
      assetId: a,
      zoneId: randomUUID(),
      ts: new Date().toISOString(),
      lon: 13,
      lat: 2,
      cause: 'fix',
    };
    await bus.send(eventsTopic, [toWire(envelope(GeofenceEnteredV1.type, geofence), a)]);
    const got = await until(entries, (e) => e.length >= 3);
    expect(got.map((e) => [e.e, e.d['lon']])).toEqual([
      ['position', 11],
      ['position', 20],
      ['geofence.entered', 13],
    ]);
    expect(got[2]?.d).toEqual(geofence);
  });

  it('appends the positions it holds when it stops: the last position of an asset is not lost', async () => {
    const t = `t-${randomBytes(5).toString('hex')}`;
    const topics = await ownTopics();
    const groupId = `test.stream-relay.${randomUUID()}`;
    const own = ownRelay(topics, groupId, 60_000);
    await startJoined(own, { groupId, topics: [topics.positions, topics.events] });
    const a = randomUUID();
    await bus.send(topics.positions, [toWire(envelope(PositionReportedV1.type, fix(a, 2, 10), t), a)]);
    await until(
      () => entries(t),
      (e) => e.length >= 1,
    );
    // Within the interval: held for the trailing send, its offset committed.
    await bus.send(topics.positions, [toWire(envelope(PositionReportedV1.type, fix(a, 1, 11), t), a)]);
    await until(
      async () => own.held,
      (held) => held === 1,
    );
    await own.stop();
    expect((await entries(t)).map((e) => e.d['lon'])).toEqual([10, 11]);
    await redis.del(streamKey(t));
  });

  it('a batch delivered again after its offsets were lost is not appended twice', async () => {
    const t = `t-${randomBytes(5).toString('hex')}`;
    const topics = await ownTopics();
    const groupId = `test.stream-relay.${randomUUID()}`;
    const first = ownRelay(topics, groupId, 0);
    await startJoined(first, { groupId, topics: [topics.positions, topics.events] });
    const assets = [randomUUID(), randomUUID(), randomUUID()];
    await bus.send(
      topics.positions,
      assets.map((a, i) => toWire(envelope(PositionReportedV1.type, fix(a, 5, 20 + i), t), a)),
    );
    await until(
      () => entries(t),
      (e) => e.length >= 3,
    );
    await first.stop();
    // The crash between the MULTI and the Kafka commit: the group reads the partition again.
    const admin = await bus.admin();
    await admin.setOffsets({ groupId, topic: topics.positions, partitions: [{ partition: 0, offset: '0' }] });
    expect(await admin.fetchOffsets({ groupId, topics: [topics.positions] })).toMatchObject([
      { partitions: [{ partition: 0, offset: '0' }] },
    ]);
    const second = ownRelay(topics, groupId, 0);
    await startJoined(second);
    const late = randomUUID();
    await bus.send(topics.positions, [toWire(envelope(PositionReportedV1.type, fix(late, 0, 30), t), late)]);
    // One partition: once the new record is in, the redelivered ones before it were handled.
    const got = await until(
      () => entries(t),
      (e) => e.some((x) => x.d['lon'] === 30),
    );
    expect(got.map((e) => e.d['lon'])).toEqual([20, 21, 22, 30]);
    expect(second.duplicates).toBe(3);
    await second.stop();
    await redis.del(streamKey(t));
  });

  it('relays mission events with the area learned from their creation, even one made while unwatched', async () => {
    const [t, later] = [`t-${randomBytes(5).toString('hex')}`, `t-${randomBytes(5).toString('hex')}`];
    const watched = new Set([t]);
    const topics = await ownTopics();
    const missions = uniqueTopic('stream-missions');
    await createTopics(bus, [missions], 1);
    created.push(missions);
    const groupId = `test.stream-relay.${randomUUID()}`;
    const own = new StreamRelay(bus, new StreamLog(redis, { retentionMs: 60_000, maxEvents: 10_000 }), {
      groupId,
      positionsTopic: topics.positions,
      eventsTopic: topics.events,
      missionsTopic: missions,
      positionIntervalMs: 0,
      retentionMs: 60_000,
      log: silentLog,
      watching: { has: (tenantId) => watched.has(tenantId) },
    });
    await startJoined(own, { groupId, topics: [topics.positions, topics.events, missions] });
    const [m1, m2, m3] = [randomUUID(), randomUUID(), randomUUID()];
    await bus.send(missions, [
      toWire(envelope(MissionCreatedV1.type, missionCreated(t, m1), t), m1),
      toWire(envelope(MissionTransitionedV1.type, missionTransitioned(t, m1, 2), t), m1),
      // Made while nobody watches its tenant: not relayed, but its area is learned.
      toWire(envelope(MissionCreatedV1.type, missionCreated(later, m2), later), m2),
      toWire(envelope(MissionTransitionedV1.type, missionTransitioned(later, m2, 2), later), m2),
      // A mission whose creation the relay never saw, and a broken one.
      toWire(envelope(MissionTransitionedV1.type, missionTransitioned(t, m3, 5), t), m3),
      toWire(envelope(MissionCreatedV1.type, { missionId: m3, area: AREA }, t), m3),
      // Other workflow events on the same topic give nothing.
      toWire(envelope('meridian.workflow.zone.created.v2', { zoneId: randomUUID() }, t), m3),
    ]);
    const got = await until(
      () => entries(t),
      (e) => e.length >= 3,
    );
    expect(got.map((e) => [e.e, e.d['missionId'], e.d['area']])).toEqual([
      ['mission.created', m1, AREA],
      ['mission.transitioned', m1, AREA],
      ['mission.transitioned', m3, null],
    ]);
    expect(got[1]?.d).toMatchObject({ version: 2, from: 'draft', state: 'submitted', event: 'submit' });
    expect(own.skipped).toBe(1);
    expect(await entries(later)).toEqual([]);
    watched.add(later);
    await bus.send(missions, [
      toWire(envelope(MissionTransitionedV1.type, missionTransitioned(later, m2, 3), later), m2),
    ]);
    const late = await until(
      () => entries(later),
      (e) => e.length >= 1,
    );
    expect(late.map((e) => [e.e, e.d['missionId'], e.d['version'], e.d['area']])).toEqual([
      ['mission.transitioned', m2, 3, AREA],
    ]);
    await own.stop();
    await redis.del(streamKey(t), streamKey(later));
  });

  it('passes over the records of tenants nobody watches, undecoded, and relays the watched ones', async () => {
    const [watched, unwatched] = [`t-${randomBytes(5).toString('hex')}`, `t-${randomBytes(5).toString('hex')}`];
    const topics = await ownTopics();
    const groupId = `test.stream-relay.${randomUUID()}`;
    const own = ownRelay(topics, groupId, 0, { has: (t) => t === watched });
    await startJoined(own, { groupId, topics: [topics.positions, topics.events] });
    const a = randomUUID();
    await bus.send(topics.positions, [
      toWire(envelope(PositionReportedV1.type, fix(a, 1, 40), unwatched), a),
      // Broken data of an unwatched tenant: never decoded, so never counted as skipped.
      toWire(envelope(PositionBatchReportedV1.type, { fixes: [{ assetId: a, lon: 500 }] }, unwatched), a),
      toWire(envelope(PositionReportedV1.type, fix(a, 2, 41), watched), a),
    ]);
    const got = await until(
      () => entries(watched),
      (e) => e.length >= 1,
    );
    expect(got.map((e) => e.d['lon'])).toEqual([41]);
    expect(await entries(unwatched)).toEqual([]);
    expect(own.skipped).toBe(0);
    await own.stop();
    await redis.del(streamKey(watched));
  });
});
