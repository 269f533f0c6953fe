import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Polygon } from 'geojson';
import Redis from 'ioredis';
import { ProblemException } from '@meridian/gateway/util-http';
import type { PolicyPrincipal } from '@meridian/shared/policy';
import { FaultProxy, readSse, SseParser } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { type MissionEventName, missionEventNames, type PointEvent, type TenantEvent } from '../stream-event';
import { StreamLog } from '../stream-log';
import { LiveStreams } from './live-streams';
import type { SseClient } from './sse-client';
import { parseLastEventId, parseStreamQuery } from './stream-filter';
import { type HubOptions, StreamHub } from './stream-hub';
import { streamVisibility } from './stream-visibility';

const redisUrl = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const RETENTION_MS = 60_000;
const tenant = () => `t-${randomBytes(5).toString('hex')}`;

/** The harness's subscriber: a viewer of the tenant, limited to the box 0..10 × 0..10 with `?as=west`. */
const WEST: Polygon = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
      [0, 0],
    ],
  ],
};
const subscriber = (tenantId: string, as: string | undefined): PolicyPrincipal => ({
  tenantId,
  subject: 'viewer',
  roles: ['viewer'],
  clearance: 4,
  region: as === 'west' ? WEST : null,
});

interface Gateway {
  readonly url: string;
  readonly hub: StreamHub;
  readonly clients: SseClient[];
  close(): Promise<void>;
}

const opened: Gateway[] = [];
const connections: Redis[] = [];

interface GatewayOptions {
  readonly bufferBytes?: number;
  readonly redis?: Redis;
  /** Replaces the instance's StreamLog (e.g. to hold a call while a client leaves). */
  readonly streams?: (connection: Redis) => StreamLog;
  readonly hub?: HubOptions;
}

/** A "gateway instance": its own Redis connection, hub and HTTP server, using LiveStreams as the controller does. */
async function gateway(bufferBytes = 1024 * 1024, redis?: Redis, options: GatewayOptions = {}): Promise<Gateway> {
  const connection = redis ?? new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  connections.push(connection);
  const streams =
    options.streams?.(connection) ?? new StreamLog(connection, { retentionMs: RETENTION_MS, maxEvents: 100_000 });
  const hub = new StreamHub(connection, streams, silentLog, options.hub);
  const live = new LiveStreams(
    hub,
    streams,
    { bufferBytes, keepAliveMs: 60_000, retryMs: 500, retentionMs: RETENTION_MS },
    silentLog,
  );
  const clients: SseClient[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    void (async () => {
      try {
        const { tenant: tenantId = '', as, ...query } = Object.fromEntries(url.searchParams);
        const principal = subscriber(tenantId, as);
        const filter = { ...parseStreamQuery(query), visible: streamVisibility(tenantId, () => principal) };
        const lastEventId = parseLastEventId(req.headers['last-event-id']);
        // As the controller does: a client leaving while the stream is prepared aborts it.
        const gone = new AbortController();
        res.once('close', () => gone.abort());
        const start = await live.prepare({ tenantId, filter, lastEventId }, gone.signal);
        clients.push(start(res, {}));
      } catch (err) {
        res.writeHead(err instanceof ProblemException ? err.status : 500).end(String(err));
      }
    })();
  });
  // The tenant (and the subscriber's region) travel in the query only because this harness has no
  // authentication; the controller takes both from the token's principal.
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const g: Gateway = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hub,
    clients,
    close: async () => {
      hub.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  opened.push(g);
  return g;
}

let writer: Redis;
let log: StreamLog;

beforeAll(async () => {
  writer = new Redis(redisUrl);
  await writer.ping();
  log = new StreamLog(writer, { retentionMs: RETENTION_MS, maxEvents: 100_000 });
});

afterAll(async () => {
  for (const g of opened) await g.close();
  connections.forEach((c) => c.disconnect());
  writer.disconnect();
});

/** A StreamLog whose first `state` call waits until `release()`: a stream held in its preparation. */
class HeldStreamLog extends StreamLog {
  private releaseIt: () => void = () => undefined;
  private readonly released = new Promise<void>((r) => (this.releaseIt = r));
  private enteredIt: () => void = () => undefined;
  /** Resolves once `state` was called (the request is being prepared). */
  readonly entered = new Promise<void>((r) => (this.enteredIt = r));
  private held = false;

  override async state(tenantId: string): ReturnType<StreamLog['state']> {
    if (!this.held) {
      this.held = true;
      this.enteredIt();
      await this.released;
    }
    return super.state(tenantId);
  }

  release(): void {
    this.releaseIt();
  }
}

const heldLog = (): { streams: (c: Redis) => StreamLog; log: () => HeldStreamLog } => {
  let made: HeldStreamLog | null = null;
  return {
    streams: (c) => (made = new HeldStreamLog(c, { retentionMs: RETENTION_MS, maxEvents: 100_000 })),
    log: () => {
      if (!made) throw new Error('no gateway made yet');
      return made;
    },
  };
};

/** Waits until `probe()` holds (a state the code reaches by itself); fails after 20 s. */
const until = async (probe: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 20_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * A TCP proxy to Redis that can go half-open: `stall()` stops passing anything on the connections
 * open now, in both directions, without closing them (no error, no reply); new connections pass.
 */
class StallingProxy {
  private readonly server = createNetServer((client) => {
    const upstream = connect(this.targetPort, this.targetHost);
    const pair = { stalled: false };
    this.pairs.push(pair);
    client.on('data', (d: Buffer) => {
      if (!pair.stalled) upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (!pair.stalled) client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
    this.sockets.push(client, upstream);
  });
  private readonly pairs: { stalled: boolean }[] = [];
  private readonly sockets: Socket[] = [];

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  stall(): void {
    this.pairs.forEach((p) => (p.stalled = true));
  }

  async stop(): Promise<void> {
    this.sockets.forEach((s) => s.destroy());
    await new Promise((r) => this.server.close(r));
  }
}

const position = (tenantId: string, n: number, lon: number, lat: number): PointEvent & { tenantId: string } => ({
  tenantId,
  event: 'position',
  data: { assetId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, ts: new Date().toISOString(), lon, lat },
});
const entered = (tenantId: string, lon: number, lat: number): TenantEvent => ({
  tenantId,
  event: 'geofence.entered',
  data: {
    tenantId,
    assetId: '00000000-0000-4000-8000-000000000001',
    zoneId: '00000000-0000-4000-8000-0000000000aa',
    ts: new Date().toISOString(),
    lon,
    lat,
    cause: 'fix',
  },
});
const square = (minLon: number, minLat: number, maxLon: number, maxLat: number): Polygon => ({
  type: 'Polygon',
  coordinates: [
    [
      [minLon, minLat],
      [maxLon, minLat],
      [maxLon, maxLat],
      [minLon, maxLat],
      [minLon, minLat],
    ],
  ],
});
const missionEvent = (tenantId: string, n: number, event: MissionEventName, area: Polygon | null): TenantEvent => ({
  tenantId,
  event,
  data: { missionId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, tenantId, version: 2, area },
});
const dataOf = (e: { data: string }) => JSON.parse(e.data) as { assetId: string; lon: number };
/** The numbers (last digits of the mission id) of the mission events received, in order. */
const missionsOf = (events: readonly { event?: string; data: string }[]): number[] =>
  events
    .filter((e) => (missionEventNames as readonly string[]).includes(e.event ?? ''))
    .map((e) => Number((JSON.parse(e.data) as { missionId: string }).missionId.slice(-2)));
const ofType = <E extends { event?: string }>(events: readonly E[], ...types: string[]): E[] =>
  events.filter((e) => types.includes(e.event ?? ''));

describe('live streams over Redis (two gateway instances)', () => {
  it('each instance delivers every event to its clients, each client exactly the events in its bbox', async () => {
    const t = tenant();
    const [a, b] = [await gateway(), await gateway()];
    const west = `bbox=0,0,10,10&tenant=${t}`;
    const east = `bbox=20,0,30,10&tenant=${t}`;
    const clients = [
      await readSse(`${a.url}/?${west}`),
      await readSse(`${a.url}/?${east}`),
      await readSse(`${b.url}/?${west}`),
      await readSse(`${b.url}/?${east}&types=geofence`),
    ];
    expect(clients.map((c) => c.status)).toEqual([200, 200, 200, 200]);
    expect(clients[0].contentType).toMatch(/^text\/event-stream/);
    await log.append([
      position(t, 1, 5, 5),
      position(t, 2, 25, 5),
      entered(t, 26, 6),
      position(t, 3, 15, 5), // in neither
      position(tenant(), 4, 5, 5), // another tenant: never seen here
      position(t, 5, 10, 10), // the west box's corner
    ]);
    await Promise.all([
      clients[0].until((e) => ofType(e, 'position').length >= 2),
      clients[1].until((e) => ofType(e, 'position', 'geofence.entered').length >= 2),
      clients[2].until((e) => ofType(e, 'position').length >= 2),
      clients[3].until((e) => ofType(e, 'geofence.entered').length >= 1),
    ]);
    // A marker after the batch: whatever was to come has come.
    await log.append([position(t, 9, 0, 0), position(t, 9, 20, 0)]);
    await Promise.all(
      clients.map((c) =>
        c.until((e) => e.some((x) => x.event === 'position' && dataOf(x).assetId.endsWith('9')) || c === clients[3]),
      ),
    );
    // Everything each client received, marker included (`until` answers a snapshot of its moment).
    const [westA, eastA, westB, eastB] = clients.map((c) => c.events);
    const assets = (events: readonly { event?: string; data: string }[]) =>
      ofType(events, 'position').map((e) => Number(dataOf(e as { data: string }).assetId.slice(-2)));
    expect(assets(westA)).toEqual([1, 5, 9]);
    expect(assets(westB)).toEqual([1, 5, 9]);
    expect(assets(eastA)).toEqual([2, 9]);
    expect(ofType(eastA, 'geofence.entered')).toHaveLength(1);
    expect(ofType(eastB, 'position')).toHaveLength(0);
    // The same ids on both instances: a client may resume on either.
    expect(ofType(westA, 'position').map((e) => e.id)).toEqual(ofType(westB, 'position').map((e) => e.id));
    clients.forEach((c) => c.close());
  });

  it('a region-restricted subscriber gets only the events inside its region, whatever its bbox', async () => {
    const t = tenant();
    const g = await gateway();
    const [restricted, everywhere] = [
      await readSse(`${g.url}/?tenant=${t}&as=west`),
      await readSse(`${g.url}/?tenant=${t}`),
    ];
    await log.append([
      position(t, 1, 5, 5),
      position(t, 2, 25, 5),
      entered(t, 26, 6),
      entered(t, 9, 9),
      position(t, 3, 10, 10), // on the region's corner: touching counts
      position(t, 4, 10.001, 5),
    ]);
    const all = await everywhere.until((e) => ofType(e, 'position', 'geofence.entered').length >= 6);
    // A marker inside the region, after the batch: whatever was to come has come.
    await log.append([position(t, 9, 1, 1)]);
    const seen = await restricted.until((e) => ofType(e, 'position').some((x) => dataOf(x).assetId.endsWith('9')));
    const numbers = (events: readonly { event?: string; data: string }[]) =>
      ofType(events, 'position').map((e) => Number(dataOf(e).assetId.slice(-2)));
    expect(numbers(seen)).toEqual([1, 3, 9]);
    expect(ofType(seen, 'geofence.entered').map((e) => dataOf(e).lon)).toEqual([9]);
    expect(numbers(all)).toEqual([1, 2, 3, 4]);
    // The same entry ids: a restricted client resumes on the ids it was sent.
    expect(ofType(seen, 'position')[0].id).toBe(ofType(all, 'position')[0].id);
    restricted.close();
    everywhere.close();
  });

  it('mission events: a restricted subscriber gets those meeting its region, none of unknown area', async () => {
    const t = tenant();
    const g = await gateway();
    const [restricted, everywhere, inBox] = [
      await readSse(`${g.url}/?tenant=${t}&as=west&types=mission`),
      await readSse(`${g.url}/?tenant=${t}&types=mission`),
      await readSse(`${g.url}/?tenant=${t}&types=mission&bbox=20,0,30,10`),
    ];
    await log.append([
      missionEvent(t, 1, 'mission.created', square(2, 2, 4, 4)), // inside the region
      missionEvent(t, 2, 'mission.created', square(25, 5, 26, 6)), // east of it
      missionEvent(t, 3, 'mission.transitioned', square(9, 9, 25, 25)), // across its corner
      missionEvent(t, 4, 'mission.assignment-changed', null), // an area the relay did not know
      missionEvent(t, 5, 'mission.transitioned', square(10, 2, 12, 3)), // touching its east edge
      position(t, 6, 5, 5), // not asked for
    ]);
    const all = await everywhere.until((e) => ofType(e, ...missionEventNames).length >= 5);
    // A marker inside the region, after the batch: whatever was to come has come.
    await log.append([missionEvent(t, 9, 'mission.transitioned', square(1, 1, 2, 2))]);
    const seen = await restricted.until((e) => missionsOf(e).includes(9));
    const boxed = await inBox.until((e) => missionsOf(e).length >= 3);
    expect(missionsOf(all)).toEqual([1, 2, 3, 4, 5]);
    expect(ofType(all, 'position')).toEqual([]);
    expect(missionsOf(seen)).toEqual([1, 3, 5, 9]);
    expect(ofType(seen, ...missionEventNames).map((e) => e.event)).toEqual([
      'mission.created',
      'mission.transitioned',
      'mission.transitioned',
      'mission.transitioned',
    ]);
    // The bbox: areas meeting it, and the one that cannot be placed.
    expect(missionsOf(boxed)).toEqual([2, 3, 4]);
    [restricted, everywhere, inBox].forEach((c) => c.close());
  });

  it('resumes after Last-Event-ID on another instance and misses nothing', async () => {
    const t = tenant();
    const [a, b] = [await gateway(), await gateway()];
    const first = await readSse(`${a.url}/?tenant=${t}`);
    await log.append([1, 2, 3].map((n) => position(t, n, 1, 1)));
    const seen = await first.until((e) => ofType(e, 'position').length === 3);
    const lastId = ofType(seen, 'position')[2].id ?? '';
    first.close();
    await log.append([4, 5, 6].map((n) => position(t, n, 1, 1))); // while away
    const again = await readSse(`${b.url}/?tenant=${t}`, { 'last-event-id': lastId });
    await log.append([7].map((n) => position(t, n, 1, 1))); // live after the resume
    const resumed = await again.until((e) => ofType(e, 'position').length >= 4);
    expect(ofType(resumed, 'position').map((e) => Number(dataOf(e).assetId.slice(-1)))).toEqual([4, 5, 6, 7]);
    expect(ofType(resumed, 'gap')).toHaveLength(0);
    again.close();
  });

  it('says `gap` when events after Last-Event-ID were trimmed, then sends what is left', async () => {
    const t = tenant();
    const g = await gateway();
    const first = await readSse(`${g.url}/?tenant=${t}`);
    await log.append([position(t, 1, 1, 1)]);
    const lastId = ofType(await first.until((e) => ofType(e, 'position').length === 1), 'position')[0].id ?? '';
    first.close();
    await log.append([position(t, 2, 1, 1)]);
    // The retention passes: an append trims what is older than it (in whole nodes of entries,
    // `MINID ~`; here everything), and then one more event arrives.
    await log.append([position(t, 3, 1, 1)], Date.now() + 10 * RETENTION_MS);
    await log.append([position(t, 4, 1, 1)]);
    const again = await readSse(`${g.url}/?tenant=${t}`, { 'last-event-id': lastId });
    const events = await again.until((e) => ofType(e, 'position').length >= 1);
    expect(events.filter((e) => e.event !== undefined).map((e) => e.event)).toEqual(['gap', 'position']);
    expect(JSON.parse(events[0].data)).toEqual({ lastEventId: lastId, retentionMs: RETENTION_MS });
    expect(dataOf(ofType(events, 'position')[0]).assetId.endsWith('4')).toBe(true);
    again.close();
  });

  it('refuses a malformed Last-Event-ID before the stream starts', async () => {
    const g = await gateway();
    const res = await fetch(`${g.url}/?tenant=${tenant()}`, { headers: { 'last-event-id': 'yesterday' } });
    expect(res.status).toBe(400);
  });

  it('drops a client that does not read with a final `dropped`; the gateway holds at most the bound', async () => {
    const t = tenant();
    const bound = 64 * 1024;
    const g = await gateway(bound);
    const socket = connect(Number(new URL(g.url).port), '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`GET /?tenant=${t} HTTP/1.1\r\nHost: x\r\n\r\n`);
    socket.pause(); // never reads
    while (g.clients.length === 0) await new Promise((r) => setTimeout(r, 20));
    const client = g.clients[g.clients.length - 1];
    const pad = 'x'.repeat(4000);
    let maxBuffered = 0;
    for (let batch = 0; batch < 200 && !client.dropped; batch++) {
      await log.append(
        Array.from({ length: 100 }, (_, i) => ({ ...position(t, i, 1, 1), data: { lon: 1, lat: 1, pad } })),
      );
      maxBuffered = Math.max(maxBuffered, client.bufferedBytes);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(client.dropped).toBe(true);
    expect(maxBuffered).toBeLessThanOrEqual(bound + 4200 + 200);
    expect(g.hub.clients).toBe(0); // the reader forgot it (and stopped: no clients left)
    expect(g.hub.tenantsRead).toBe(0);
    // Reading now, the client finds the final event at the end of what it was sent.
    const parser = new SseParser();
    const events: { event?: string; data: string }[] = [];
    socket.on('data', (chunk: Buffer) => events.push(...parser.push(chunk.toString('utf8'))));
    socket.resume();
    await new Promise<void>((r) => socket.once('close', () => r()));
    expect(events[events.length - 1]).toMatchObject({ event: 'dropped' });
    expect(JSON.parse(events[events.length - 1].data)).toMatchObject({ reason: 'slow-client' });
  });

  it('Redis away: clients get `unavailable` and the stream ends; new ones get a 503 before it starts', async () => {
    const t = tenant();
    const port = Number(new URL(redisUrl).port || 6379);
    const proxy = new FaultProxy({ targetHost: new URL(redisUrl).hostname, targetPort: port });
    await proxy.start();
    const viaProxy = new Redis({
      host: '127.0.0.1',
      port: proxy.port,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    viaProxy.on('error', () => undefined);
    await new Promise((r) => viaProxy.once('ready', r));
    const g = await gateway(1024 * 1024, viaProxy);
    const client = await readSse(`${g.url}/?tenant=${t}`);
    await log.append([position(t, 1, 1, 1)]);
    await client.until((e) => ofType(e, 'position').length === 1);
    await proxy.cut();
    const events = await client.until((e) => ofType(e, 'unavailable').length === 1);
    expect(JSON.parse(ofType(events, 'unavailable')[0].data)).toMatchObject({ code: 'UPSTREAM.UNAVAILABLE' });
    await client.until(() => client.ended);
    const refused = await fetch(`${g.url}/?tenant=${t}`);
    expect(refused.status).toBe(503);
    await proxy.stop();
  });

  it('a client that leaves while its stream is prepared is detached: no client left, the reader stops', async () => {
    const t = tenant();
    const held = heldLog();
    const g = await gateway(1024 * 1024, undefined, { streams: held.streams });
    const socket = connect(Number(new URL(g.url).port), '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`GET /?tenant=${t} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await held.log().entered; // the reader is reading the stream's state: prepare is waiting
    expect(g.hub.clients).toBe(1);
    socket.destroy();
    await until(() => g.hub.clients === 0, 'the client is detached');
    held.log().release();
    await until(() => g.hub.tenantsRead === 0, 'the reader stops');
    // Nothing was started for it: a later client of the tenant gets a reader of its own.
    const next = await readSse(`${g.url}/?tenant=${t}`);
    await log.append([position(t, 1, 1, 1)]);
    await next.until((e) => ofType(e, 'position').length === 1);
    expect(g.hub.clients).toBe(1);
    next.close();
  });

  it('shutting down: a stream being prepared and every later request get a 503 problem, not a stream', async () => {
    const t = tenant();
    const held = heldLog();
    const g = await gateway(1024 * 1024, undefined, { streams: held.streams });
    const pending = fetch(`${g.url}/?tenant=${t}`);
    await held.log().entered;
    g.hub.close();
    held.log().release();
    const res = await pending;
    expect(res.status).toBe(503);
    expect(g.hub.tenantsRead).toBe(0);
    expect((await fetch(`${g.url}/?tenant=${t}`)).status).toBe(503);
    expect(g.hub.clients).toBe(0);
  });

  it('refuses clients past the instance cap with a 503, and takes them again once one left', async () => {
    const t = tenant();
    const g = await gateway(1024 * 1024, undefined, { hub: { maxClients: 2 } });
    const [one, two] = [await readSse(`${g.url}/?tenant=${t}`), await readSse(`${g.url}/?tenant=${tenant()}`)];
    expect([one.status, two.status]).toEqual([200, 200]);
    const refused = await fetch(`${g.url}/?tenant=${t}`);
    expect(refused.status).toBe(503);
    one.close();
    await until(() => g.hub.clients === 1, 'the first client left');
    const three = await readSse(`${g.url}/?tenant=${t}`);
    expect(three.status).toBe(200);
    two.close();
    three.close();
  });

  it('a Last-Event-ID newer than anything, on a stream that does not exist, says `gap` and goes live', async () => {
    const t = tenant(); // no stream key at all
    const g = await gateway();
    const future = `${Date.now() + 3_600_000}-0`;
    const client = await readSse(`${g.url}/?tenant=${t}`, { 'last-event-id': future });
    await log.append([position(t, 1, 1, 1)]);
    const events = await client.until((e) => ofType(e, 'position').length === 1);
    expect(events.map((e) => e.event)).toEqual(['gap', 'position']);
    client.close();
  });

  it('a half-open Redis connection (no reply, no error) is replaced: the clients miss nothing', async () => {
    const t = tenant();
    const target = new URL(redisUrl);
    const proxy = new StallingProxy(target.hostname, Number(target.port || 6379));
    const port = await proxy.start();
    const viaProxy = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    viaProxy.on('error', () => undefined);
    const g = await gateway(1024 * 1024, viaProxy, { hub: { blockMs: 200 } });
    const client = await readSse(`${g.url}/?tenant=${t}`);
    await log.append([position(t, 1, 1, 1)]);
    await client.until((e) => ofType(e, 'position').length === 1);
    proxy.stall(); // the reader's XREAD now never returns
    await log.append([position(t, 2, 1, 1)]);
    const events = await client.until((e) => ofType(e, 'position').length === 2);
    expect(g.hub.readerReconnects).toBe(1);
    expect(ofType(events, 'unavailable')).toHaveLength(0);
    expect(ofType(events, 'position').map((e) => Number(dataOf(e).assetId.slice(-1)))).toEqual([1, 2]);
    client.close();
    viaProxy.disconnect();
    await proxy.stop();
  });
});
