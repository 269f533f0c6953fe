/**
 * Malformed and edge-case fixes through the whole system: each is rejected by index with a stable
 * code, or accepted and then stored exactly (never dead-lettered), and the partition they travelled
 * on keeps flowing for a normal fix right after them.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dlqTopic, Topics } from '@meridian/contracts/core';
import { MessageBus } from '@meridian/shared/messaging';
import { consumeAll, eventually } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { brokers, e2eDatabaseUrl, type E2eSystem, http, registerAssets, startSystem } from './e2e-stack';

interface Stored {
  readonly asset: string;
  /** The instant as PostgreSQL prints it in UTC, at microseconds. */
  readonly at: string;
  /** Column values the stored row must carry (checked on the first fix sent for the instant). */
  readonly values?: Partial<Record<Column, number>>;
}
type Column = 'lon' | 'lat' | 'alt' | 'speed' | 'heading' | 'battery' | 'accuracy';
/** A code (rejected), a row (accepted and stored), or either (a choice the API may still make). */
type Expected = string | Stored | { readonly code: string; readonly or: Stored };
interface EdgeCase {
  readonly name: string;
  readonly expect: Expected;
}
interface JsonCase extends EdgeCase {
  readonly fix: unknown;
}
interface LineCase extends EdgeCase {
  readonly line: string;
}
interface TelemetryResult {
  accepted: number;
  rejected: { index: number; code: string; detail: string }[];
}
interface Feature {
  id: string;
  geometry: { type: 'Point'; coordinates: [number, number] } | null;
  properties: { lastSeen: string | null };
}
interface PositionRow {
  asset: string;
  at: string;
  tenant_id: string;
  lon: number;
  lat: number;
  alt: number | null;
  speed: number | null;
  heading: number | null;
  battery: number | null;
  accuracy: number | null;
}

const FIX_INVALID = 'TELEMETRY.FIX_INVALID';
const OUT_OF_RANGE = 'TELEMETRY.COORDINATES_OUT_OF_RANGE';
const BAD_TIMESTAMP = 'TELEMETRY.BAD_TIMESTAMP';
const UNKNOWN = 'ASSET.UNKNOWN';
const MALFORMED = 'REQUEST.MALFORMED_JSON';
const DAY_MS = 86_400_000;
const ASSETS = 48; // 4 per partition on average: some partition holds at least 4 of them

const tenant = `e2e-edge-${randomUUID().slice(0, 6)}`;
const otherTenant = `e2e-edge-o-${randomUUID().slice(0, 6)}`;

let system: E2eSystem;
let db: Client;
let bus: MessageBus;

beforeAll(async () => {
  system = await startSystem([tenant, otherTenant]);
  db = new Client({ connectionString: e2eDatabaseUrl });
  await db.connect();
  bus = new MessageBus({ brokers, clientId: 'e2e-telemetry-edge', log: silentLog });
}, 300_000);

afterAll(async () => {
  await bus?.close();
  await db?.end();
  await system?.stop();
}, 120_000);

const register = (count: number, inTenant: string): Promise<string[]> => registerAssets(count, inTenant, 'edge');

/** The partition the producer gives each key (see MessageBus.partitionOfKey). */
async function partitionsOf(keys: readonly string[]): Promise<Map<string, number>> {
  const partitionOf = await bus.partitionerFor(Topics.telemetryPositions);
  return new Map(keys.map((key) => [key, partitionOf(key)]));
}

const storedOf = (e: Expected): Stored | null => {
  if (typeof e === 'string') return null;
  return 'or' in e ? e.or : e;
};
const codesOf = (e: Expected): string[] => {
  if (typeof e === 'string') return [e];
  return 'or' in e ? [e.code] : [];
};

/**
 * Checks one response against its cases: every rejection is expected, by index, with its code;
 * every fix not rejected was expected to be storable. Returns the rows the accepted ones promise.
 */
function judge(cases: readonly EdgeCase[], res: { status: number; body: TelemetryResult }): Stored[] {
  expect(res.status).toBe(202);
  const rejected = new Map(res.body.rejected.map((r) => [r.index, r.code]));
  expect(rejected.size).toBe(res.body.rejected.length);
  const outcomes = cases.map((c, index) => {
    const code = rejected.get(index);
    return { name: c.name, outcome: code ?? 'accepted', allowed: storedOf(c.expect) ? 'accepted' : null, c };
  });
  const wrong = outcomes
    .filter((o) => !(o.outcome === o.allowed || codesOf(o.c.expect).includes(o.outcome)))
    .map((o) => ({ name: o.name, got: o.outcome, expected: o.c.expect }));
  expect(wrong).toEqual([]);
  const accepted = outcomes.filter((o) => o.outcome === 'accepted');
  expect(res.body.accepted).toBe(accepted.length);
  return accepted.map((o) => storedOf(o.c.expect) as Stored);
}

describe('edge-case and malformed telemetry', () => {
  it('rejects each bad fix by index with a stable code, stores every accepted one, and never stalls', async () => {
    const ids = await register(ASSETS, tenant);
    const [foreign] = await register(1, otherTenant);
    const partitions = await partitionsOf(ids);
    const byPartition = new Map<number | undefined, string[]>();
    for (const id of ids) byPartition.set(partitions.get(id), [...(byPartition.get(partitions.get(id)) ?? []), id]);
    const [partition, group] = [...byPartition].sort((x, y) => y[1].length - x[1].length)[0];
    expect(group.length).toBeGreaterThanOrEqual(4);
    const [A, B, C, normal] = group;

    const t0 = Date.now();
    const today = Math.floor(t0 / DAY_MS);
    const day = (k: number): string => new Date((today - k) * DAY_MS).toISOString().slice(0, 10);
    const year = new Date(t0).getUTCFullYear();
    const micro = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');
    const fix = (assetId: unknown, ts: unknown, lon = 8, lat = 47): Record<string, unknown> => ({
      assetId,
      ts,
      lon,
      lat,
    });
    const stored = (asset: string, at: string, values?: Stored['values']): Stored => ({ asset, at, values });

    // Days whose partitions the projection has not made ahead (it keeps yesterday to a week ahead).
    const lateDays = [3, 11, 19, 29].map((k) => `positions_${day(k).replace(/-/g, '')}`);
    const partitionsExisting = async (): Promise<string[]> =>
      (
        await db.query<{ name: string }>(
          `SELECT relname AS name FROM pg_class WHERE relnamespace = 'read'::regnamespace AND relname = ANY($1)`,
          [lateDays],
        )
      ).rows.map((r) => r.name);
    expect(await partitionsExisting()).toEqual([]);

    const oldest = t0 - 30 * DAY_MS + 3_600_000;
    const future = t0 + 60_000;
    const json: JsonCase[] = [
      // Day boundaries, spelled many ways; the instants with several spellings are stored once, first wins.
      {
        name: 'midnight, start of a day',
        fix: fix(A, `${day(2)}T00:00:00Z`, 1),
        expect: stored(A, `${day(2)}T00:00:00.000000Z`, { lon: 1 }),
      },
      {
        name: 'last instant of a day, 7 digits',
        fix: fix(A, `${day(3)}T23:59:59.9999999Z`, 2.1),
        expect: stored(A, `${day(3)}T23:59:59.999999Z`, { lon: 2.1 }),
      },
      {
        name: 'same instant, +01:00 on the next day',
        fix: fix(A, `${day(2)}T00:59:59.999999+01:00`, 2.2),
        expect: stored(A, `${day(3)}T23:59:59.999999Z`),
      },
      {
        name: 'same instant, -05:30, nanoseconds',
        fix: fix(A, `${day(3)}T18:29:59.999999999-05:30`, 2.3),
        expect: stored(A, `${day(3)}T23:59:59.999999Z`),
      },
      {
        name: 'same instant, upper-case asset id',
        fix: fix(A.toUpperCase(), `${day(3)}T23:59:59.999999Z`, 2.4),
        expect: stored(A, `${day(3)}T23:59:59.999999Z`),
      },
      {
        name: 'midnight again, +05:30',
        fix: fix(A, `${day(2)}T05:30:00+05:30`, 1.1),
        expect: stored(A, `${day(2)}T00:00:00.000000Z`),
      },
      {
        name: 'midnight again, .000000Z',
        fix: fix(A, `${day(2)}T00:00:00.000000Z`, 1.2),
        expect: stored(A, `${day(2)}T00:00:00.000000Z`),
      },
      {
        name: 'midnight again, 0.4 µs after',
        fix: fix(A, `${day(2)}T00:00:00.0000004Z`, 1.3),
        expect: stored(A, `${day(2)}T00:00:00.000000Z`),
      },
      {
        name: 'one microsecond after midnight',
        fix: fix(A, `${day(2)}T00:00:00.000001Z`, 1.4),
        expect: stored(A, `${day(2)}T00:00:00.000001Z`, { lon: 1.4 }),
      },
      {
        name: '+14:00, previous UTC day',
        fix: fix(A, `${day(10)}T12:00:00+14:00`, 3),
        expect: stored(A, `${day(11)}T22:00:00.000000Z`, { lon: 3 }),
      },
      {
        name: '-12:00, next UTC day',
        fix: fix(A, `${day(20)}T12:00:00-12:00`, 4),
        expect: stored(A, `${day(19)}T00:00:00.000000Z`, { lon: 4 }),
      },
      {
        name: 'almost as old as allowed',
        fix: fix(A, new Date(oldest).toISOString(), 5),
        expect: stored(A, micro(oldest), { lon: 5 }),
      },
      {
        name: 'a minute ahead (within the skew)',
        fix: fix(A, new Date(future).toISOString(), 6),
        expect: stored(A, micro(future), { lon: 6 }),
      },
      { name: '29 days old', fix: fix(C, `${day(29)}T12:00:00Z`), expect: stored(C, `${day(29)}T12:00:00.000000Z`) },
      { name: '+23:59', fix: fix(C, `${day(5)}T23:59:00+23:59`), expect: stored(C, `${day(5)}T00:00:00.000000Z`) },
      { name: '-00:01', fix: fix(C, `${day(1)}T00:00:00-00:01`), expect: stored(C, `${day(1)}T00:01:00.000000Z`) },
      { name: '-00:00', fix: fix(B, `${day(4)}T08:00:03-00:00`), expect: stored(B, `${day(4)}T08:00:03.000000Z`) },
      // Fractional precision.
      { name: 'tenths', fix: fix(B, `${day(4)}T08:00:00.1Z`), expect: stored(B, `${day(4)}T08:00:00.100000Z`) },
      {
        name: 'nanoseconds',
        fix: fix(B, `${day(4)}T08:00:01.123456789Z`),
        expect: stored(B, `${day(4)}T08:00:01.123456Z`),
      },
      {
        name: '25 digits',
        fix: fix(B, `${day(4)}T08:00:02.9876543210987654321098765Z`),
        expect: stored(B, `${day(4)}T08:00:02.987654Z`),
      },
      {
        name: 'under a microsecond',
        fix: fix(B, `${day(4)}T08:00:04.0000009Z`),
        expect: stored(B, `${day(4)}T08:00:04.000000Z`),
      },
      { name: 'four digits', fix: fix(B, `${day(4)}T08:00:05.1234Z`), expect: stored(B, `${day(4)}T08:00:05.123400Z`) },
      // Extreme but legal values, and readings float4 cannot hold.
      {
        name: 'maximal values',
        fix: {
          ...fix(B, `${day(4)}T09:00:00Z`, 180, 90),
          alt: 100000,
          speed: 1000,
          heading: 359.999,
          battery: 100,
          accuracy: 100000,
        },
        expect: stored(B, `${day(4)}T09:00:00.000000Z`, {
          lon: 180,
          lat: 90,
          alt: 100000,
          speed: 1000,
          heading: 359.999,
          battery: 100,
          accuracy: 100000,
        }),
      },
      {
        name: 'minimal values',
        fix: { ...fix(B, `${day(4)}T09:00:01Z`, -180, -90), alt: -1000, speed: 0, heading: 0, battery: 0, accuracy: 0 },
        expect: stored(B, `${day(4)}T09:00:01.000000Z`, {
          lon: -180,
          lat: -90,
          alt: -1000,
          speed: 0,
          heading: 0,
          battery: 0,
          accuracy: 0,
        }),
      },
      {
        name: 'float4-unsafe tiny readings',
        fix: {
          ...fix(B, `${day(4)}T09:00:02Z`),
          alt: 1e-320,
          speed: 1e-320,
          heading: 5e-324,
          battery: 1e-40,
          accuracy: 1e-31,
        },
        expect: stored(B, `${day(4)}T09:00:02.000000Z`, { alt: 0, speed: 0, heading: 0, battery: 0, accuracy: 0 }),
      },
      {
        name: 'tiny coordinates',
        fix: fix(B, `${day(4)}T09:00:03Z`, 5e-324, -1e-320),
        expect: stored(B, `${day(4)}T09:00:03.000000Z`, { lon: 5e-324, lat: -1e-320 }),
      },
      {
        name: 'heading just under 360',
        fix: { ...fix(C, `${day(5)}T01:00:00Z`), heading: 359.99999999 },
        expect: stored(C, `${day(5)}T01:00:00.000000Z`),
      },
      {
        name: 'near the antimeridian and pole',
        fix: fix(C, `${day(5)}T01:00:01Z`, -179.9999999999, 89.9999999999),
        expect: stored(C, `${day(5)}T01:00:01.000000Z`, { lon: -179.9999999999, lat: 89.9999999999 }),
      },
      {
        name: 'upper-case asset id',
        fix: fix(C.toUpperCase(), `${day(5)}T03:00:00+01:00`),
        expect: stored(C, `${day(5)}T02:00:00.000000Z`),
      },
      // RFC 3339 allows lower-case t and z: stored if accepted, else refused as a bad timestamp.
      {
        name: 'lower-case t and z',
        fix: fix(C, `${day(1)}t12:00:00z`),
        expect: { code: BAD_TIMESTAMP, or: stored(C, `${day(1)}T12:00:00.000000Z`) },
      },
      // Unknown assets.
      { name: 'unknown asset', fix: fix(randomUUID(), `${day(1)}T12:00:00Z`), expect: UNKNOWN },
      {
        name: 'unknown asset, upper case',
        fix: fix(randomUUID().toUpperCase(), `${day(1)}T12:00:00Z`),
        expect: UNKNOWN,
      },
      { name: "another tenant's asset", fix: fix(foreign, `${day(1)}T12:00:00Z`), expect: UNKNOWN },
      {
        name: 'the nil uuid',
        fix: fix('00000000-0000-0000-0000-000000000000', `${day(1)}T12:00:00Z`),
        expect: UNKNOWN,
      },
      // Wrong types, unknown fields, junk.
      { name: 'asset id not a uuid', fix: fix('asset-1', `${day(1)}T12:00:00Z`), expect: FIX_INVALID },
      { name: 'asset id in braces', fix: fix(`{${A}}`, `${day(1)}T12:00:00Z`), expect: FIX_INVALID },
      { name: 'asset id a number', fix: fix(42, `${day(1)}T12:00:00Z`), expect: FIX_INVALID },
      { name: 'lon a string', fix: { ...fix(A, `${day(1)}T12:00:00Z`), lon: '8' }, expect: FIX_INVALID },
      { name: 'lat null', fix: { ...fix(A, `${day(1)}T12:00:00Z`), lat: null }, expect: FIX_INVALID },
      { name: 'speed "NaN"', fix: { ...fix(A, `${day(1)}T12:00:00Z`), speed: 'NaN' }, expect: FIX_INVALID },
      { name: 'alt "Infinity"', fix: { ...fix(A, `${day(1)}T12:00:00Z`), alt: 'Infinity' }, expect: FIX_INVALID },
      {
        name: 'battery an object',
        fix: { ...fix(A, `${day(1)}T12:00:00Z`), battery: { value: 50 } },
        expect: FIX_INVALID,
      },
      { name: 'unknown field', fix: { ...fix(A, `${day(1)}T12:00:00Z`), extra: 1 }, expect: FIX_INVALID },
      {
        name: 'nested junk',
        fix: { ...fix(A, `${day(1)}T12:00:00Z`), meta: { a: [{ b: { c: [null, [1, { d: 'x' }]] } }] } },
        expect: FIX_INVALID,
      },
      { name: 'a string', fix: 'fix', expect: FIX_INVALID },
      { name: 'null', fix: null, expect: FIX_INVALID },
      { name: 'an array', fix: [fix(A, `${day(1)}T12:00:00Z`)], expect: FIX_INVALID },
      { name: 'a number', fix: 7, expect: FIX_INVALID },
      { name: 'an empty object', fix: {}, expect: FIX_INVALID },
      // Out of range.
      { name: 'lon 180.000001', fix: fix(A, `${day(1)}T12:00:00Z`, 180.000001), expect: OUT_OF_RANGE },
      { name: 'lat -90.5', fix: fix(A, `${day(1)}T12:00:00Z`, 8, -90.5), expect: OUT_OF_RANGE },
      { name: 'lon 1e308', fix: fix(A, `${day(1)}T12:00:00Z`, 1e308), expect: OUT_OF_RANGE },
      { name: 'alt 100000.5', fix: { ...fix(A, `${day(1)}T12:00:00Z`), alt: 100000.5 }, expect: FIX_INVALID },
      { name: 'heading 360', fix: { ...fix(A, `${day(1)}T12:00:00Z`), heading: 360 }, expect: FIX_INVALID },
      { name: 'battery 100.1', fix: { ...fix(A, `${day(1)}T12:00:00Z`), battery: 100.1 }, expect: FIX_INVALID },
      { name: 'speed -0.1', fix: { ...fix(A, `${day(1)}T12:00:00Z`), speed: -0.1 }, expect: FIX_INVALID },
      { name: 'accuracy 1e300', fix: { ...fix(A, `${day(1)}T12:00:00Z`), accuracy: 1e300 }, expect: FIX_INVALID },
      // Timestamps that are not instants, or outside the window.
      { name: 'February 30', fix: fix(A, `${year}-02-30T12:00:00Z`), expect: BAD_TIMESTAMP },
      { name: '24:00', fix: fix(A, `${day(1)}T24:00:00Z`), expect: BAD_TIMESTAMP },
      { name: 'a leap second', fix: fix(A, `${day(1)}T23:59:60Z`), expect: BAD_TIMESTAMP },
      { name: 'month 13', fix: fix(A, `${year}-13-01T00:00:00Z`), expect: BAD_TIMESTAMP },
      { name: 'offset +24:00', fix: fix(A, `${day(1)}T12:00:00+24:00`), expect: BAD_TIMESTAMP },
      { name: 'offset +0000', fix: fix(A, `${day(1)}T12:00:00+0000`), expect: BAD_TIMESTAMP },
      { name: 'no offset', fix: fix(A, `${day(1)}T12:00:00`), expect: BAD_TIMESTAMP },
      { name: 'a space for T', fix: fix(A, `${day(1)} 12:00:00Z`), expect: BAD_TIMESTAMP },
      { name: 'epoch milliseconds', fix: fix(A, t0), expect: BAD_TIMESTAMP },
      { name: 'no ts', fix: { assetId: A, lon: 8, lat: 47 }, expect: BAD_TIMESTAMP },
      { name: '31 days old', fix: fix(A, new Date(t0 - 31 * DAY_MS).toISOString()), expect: BAD_TIMESTAMP },
      { name: 'an hour ahead', fix: fix(A, new Date(t0 + 3_600_000).toISOString()), expect: BAD_TIMESTAMP },
    ];
    const first = await http<TelemetryResult>('POST', '/v1/telemetry', {
      body: { fixes: json.map((c) => c.fix) },
      tenant,
    });
    const promised = judge(json, first);

    // NDJSON: raw lines (bare NaN, duplicate keys, __proto__, -0, escapes); blank lines are not fixes.
    const line = (o: Record<string, unknown>): string => JSON.stringify(o);
    const c6 = (s: number): string => `${day(6)}T06:00:0${s}Z`;
    const lines: (LineCase | null)[] = [
      {
        name: 'CRLF line end',
        line: `${line(fix(C, c6(0), 6, 6))}\r`,
        expect: stored(C, `${day(6)}T06:00:00.000000Z`, { lon: 6, lat: 6 }),
      },
      null,
      { name: 'not JSON', line: '{not json', expect: MALFORMED },
      { name: 'bare NaN', line: `{"assetId":"${C}","ts":"${c6(9)}","lon":NaN,"lat":1}`, expect: MALFORMED },
      { name: 'trailing comma', line: `{"assetId":"${C}","ts":"${c6(9)}","lon":1,"lat":1,}`, expect: MALFORMED },
      { name: 'null', line: 'null', expect: FIX_INVALID },
      { name: 'true', line: 'true', expect: FIX_INVALID },
      { name: 'an empty array', line: '[]', expect: FIX_INVALID },
      { name: 'a string', line: '"fix"', expect: FIX_INVALID },
      { name: 'a number', line: '42', expect: FIX_INVALID },
      { name: 'an empty object', line: '{}', expect: FIX_INVALID },
      {
        name: 'duplicate key, last wins',
        line: `{"assetId":"${C}","ts":"${c6(9)}","lon":8,"lon":200,"lat":1}`,
        expect: OUT_OF_RANGE,
      },
      {
        name: '__proto__',
        line: `{"__proto__":{"lon":1},"assetId":"${C}","ts":"${c6(9)}","lon":1,"lat":1}`,
        expect: FIX_INVALID,
      },
      {
        name: 'constructor.prototype',
        line: `{"constructor":{"prototype":{"x":1}},"assetId":"${C}","ts":"${c6(9)}","lon":1,"lat":1}`,
        expect: FIX_INVALID,
      },
      {
        name: 'lon 1e400 (Infinity)',
        line: `{"assetId":"${C}","ts":"${c6(9)}","lon":1e400,"lat":1}`,
        expect: FIX_INVALID,
      },
      {
        name: 'alt with 30 digits',
        line: `{"assetId":"${C}","ts":"${c6(9)}","lon":1,"lat":1,"alt":123456789012345678901234567890}`,
        expect: FIX_INVALID,
      },
      { name: 'speed as a numeric string', line: line({ ...fix(C, c6(9)), speed: '12' }), expect: FIX_INVALID },
      { name: 'unknown field null', line: line({ ...fix(C, c6(9)), extra: null }), expect: FIX_INVALID },
      { name: '200 nested arrays', line: `${'['.repeat(200)}${']'.repeat(200)}`, expect: FIX_INVALID },
      {
        name: 'lat 1e-400 (0)',
        line: `{"assetId":"${C}","ts":"${c6(1)}","lon":1,"lat":1e-400}`,
        expect: stored(C, `${day(6)}T06:00:01.000000Z`, { lat: 0 }),
      },
      {
        name: 'T and Z as escapes',
        line: `{"assetId":"${C}","ts":"${day(6)}\\u005406:00:02\\u005a","lon":1,"lat":1}`,
        expect: stored(C, `${day(6)}T06:00:02.000000Z`),
      },
      {
        name: 'negative zeros',
        line: `{"assetId":"${C}","ts":"${c6(3)}","lon":-0,"lat":-0.0,"alt":-0}`,
        expect: stored(C, `${day(6)}T06:00:03.000000Z`),
      },
      {
        name: 'spaces around',
        line: `   ${line(fix(C, c6(4), 4, 4))}\t`,
        expect: stored(C, `${day(6)}T06:00:04.000000Z`, { lon: 4 }),
      },
      null,
      {
        name: 'an instant already stored, +02:00',
        line: line(fix(A, `${day(2)}T01:59:59.999999999+02:00`, 99)),
        expect: stored(A, `${day(3)}T23:59:59.999999Z`),
      },
      { name: 'last line without newline', line: line(fix(C, c6(5))), expect: stored(C, `${day(6)}T06:00:05.000000Z`) },
    ];
    const ndjsonCases = lines.filter((l): l is LineCase => l !== null);
    const body = lines.map((l) => (l === null ? '  ' : l.line)).join('\n');
    const second = await http<TelemetryResult>('POST', '/v1/telemetry', {
      raw: body,
      headers: { 'content-type': 'application/x-ndjson' },
      tenant,
    });
    promised.push(...judge(ndjsonCases, second));
    expect(json.length + ndjsonCases.length).toBeGreaterThanOrEqual(50);

    // A normal fix for an asset on the same Kafka partition is stored within seconds.
    expect(partitions.get(normal)).toBe(partition);
    const ts = new Date().toISOString();
    const ok = await http<TelemetryResult>('POST', '/v1/telemetry', {
      body: { fixes: [fix(normal, ts, 7.5, 46.5)] },
      tenant,
    });
    expect(ok.body).toEqual({ accepted: 1, rejected: [] });
    const feature = await eventually(
      async () => {
        const r = await http<Feature>('GET', `/v1/assets/${normal}`, { tenant });
        expect(r.body.properties?.lastSeen).toBe(ts);
        return r.body;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(feature.geometry?.coordinates).toEqual([7.5, 46.5]);

    // Every accepted fix is stored: one row per asset and instant, nothing else, first fix sent wins.
    const expectedKeys = [...new Set(promised.map((s) => `${s.asset} ${s.at}`))].sort();
    const rows = await eventually(
      async () => {
        const { rows: found } = await db.query<PositionRow>(
          `SELECT asset_id::text AS asset, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
             tenant_id, ST_X(geom) AS lon, ST_Y(geom) AS lat, alt, speed, heading, battery, accuracy
           FROM read.positions WHERE asset_id = ANY($1::uuid[])`,
          [[A, B, C]],
        );
        expect(found.map((r) => `${r.asset} ${r.at}`).sort()).toEqual(expectedKeys);
        return found;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set([tenant]));
    const rowOf = new Map(rows.map((r) => [`${r.asset} ${r.at}`, r]));
    const mismatched = promised
      .filter((s) => s.values)
      .map((s) => ({ at: s.at, expected: s.values, row: rowOf.get(`${s.asset} ${s.at}`) }))
      .filter(({ expected, row }) => Object.entries(expected ?? {}).some(([k, v]) => row?.[k as Column] !== v));
    expect(mismatched).toEqual([]);
    expect(await partitionsExisting()).toEqual(expect.arrayContaining(lateDays));

    // The newest of A's fixes is its latest position, whatever order and spelling they came in.
    const latest = await http<Feature>('GET', `/v1/assets/${A}`, { tenant });
    expect(latest.body.properties.lastSeen).toBe(new Date(future).toISOString());

    // Nothing accepted was dead-lettered: the DLQ has no record keyed by these assets.
    const admin = await bus.admin();
    const dlq = dlqTopic(Topics.telemetryPositions);
    const offsets = await admin.fetchTopicOffsets(dlq);
    const letters = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    const parked = letters === 0 ? [] : await consumeAll(bus, dlq, letters, 30_000);
    const ours = new Set([A, B, C, normal]);
    expect(parked.filter((m) => ours.has(String(m.wire.key)))).toEqual([]);
  }, 240_000);
});
