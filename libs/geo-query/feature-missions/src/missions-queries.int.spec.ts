import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type Bbox, type Envelope, QueryReplyV1 } from '@meridian/contracts/core';
import { AuthErrors, type Principal, requirePrincipal } from '@meridian/contracts/identity';
import {
  Mission,
  type MissionArea,
  MissionErrors,
  MissionHistoryPage,
  MissionPage,
  type MissionTransition,
} from '@meridian/contracts/missions';
import { readScope } from '@meridian/read-model/assets';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { type MissionCreated, MissionQueries, MissionRows } from '@meridian/read-model/missions';
import type { ReplyBody } from '@meridian/shared/messaging';
import { decide } from '@meridian/shared/policy';
import {
  createTestPool,
  describePlanNode,
  explainPlan,
  sentQuery,
  testDatabaseUrl,
  testPrincipal,
} from '@meridian/shared/testing';
import { GetMissionHandler } from './get-mission/get-mission.handler';
import { ListMissionsHandler } from './list-missions/list-missions.handler';
import { MissionHistoryHandler } from './mission-history/mission-history.handler';

/*
 * The mission queries on real handlers against read.missions as the projector writes it
 * (MissionRows): filters, half-open window overlap, keyset paging, tenant isolation, the row filter
 * of a region-restricted principal (compared with `decide`), allowedEvents, history, and the plans.
 */

const run = randomBytes(3).toString('hex');
const tenants = { a: `gqm${run}-a`, b: `gqm${run}-b` };
const HOUR = 3_600_000;
const BASE = Date.UTC(2026, 11, 1);
const iso = (ms: number): string => new Date(ms).toISOString();
const STATES = ['draft', 'submitted', 'approved', 'assigned'] as const;
const SIZE = 0.1;

const submitted: MissionTransition[] = [
  { event: 'approve', permission: 'missions:approve', guards: ['notCreator'] },
  { event: 'reject', permission: 'missions:approve', guards: ['notCreator'] },
  { event: 'cancel', permission: 'missions:write', guards: [] },
];

interface Seed {
  readonly id: string;
  readonly tenantId: string;
  /** South-west corner of the square area. */
  readonly lon: number;
  readonly lat: number;
  readonly state: string;
  readonly start: number;
  readonly end: number;
  readonly createdBy: string;
}

const squareOf = (s: { lon: number; lat: number }): MissionArea => ({
  type: 'Polygon',
  coordinates: [
    [
      [s.lon, s.lat],
      [s.lon + SIZE, s.lat],
      [s.lon + SIZE, s.lat + SIZE],
      [s.lon, s.lat + SIZE],
      [s.lon, s.lat],
    ],
  ],
});

const createdOf = (s: Seed): MissionCreated => ({
  missionId: s.id,
  tenantId: s.tenantId,
  version: 1,
  state: s.state,
  done: false,
  assetIds: [],
  transitions: submitted,
  actor: s.createdBy,
  at: iso(BASE - HOUR),
  title: `mission ${s.id.slice(0, 8)}`,
  definition: { key: 'default', version: 1 },
  area: squareOf(s),
  window: { start: iso(s.start), end: iso(s.end) },
  priority: 3,
  deadline: iso(s.start + 15 * 60_000),
  createdBy: s.createdBy,
});

/** The western half of the seeded grid of tenant a, as a triangle: a region-restricted principal's area. */
const triangle: NonNullable<Principal['region']> = {
  type: 'Polygon',
  coordinates: [
    [
      [8, 47],
      [11, 47],
      [8, 49],
      [8, 47],
    ],
  ],
};

function principal(tenantId: string, overrides: Partial<Principal> = {}): { header: string; principal: Principal } {
  const header = testPrincipal(tenantId, overrides);
  return { header, principal: requirePrincipal({ tenantId, principal: header }) };
}

const request = <T>(tenantId: string, data: T, header: string | null): Envelope<T> => ({
  id: randomUUID(),
  type: 'meridian.geo-query.test',
  source: '/meridian/gateway',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId,
  ...(header === null ? {} : { principal: header }),
});

function resultOf(body: ReplyBody): unknown {
  const reply = QueryReplyV1.schema.parse(body.data);
  if (reply.outcome !== 'ok') throw new Error(`not ok: ${reply.code}`);
  return reply.result;
}

describe('mission queries (get, list, history) on read.missions (real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  /** The pool the queries use; a spy records the SQL they send (for the plans). */
  let queriesPool: Pool;
  let queries: MissionQueries;
  let get: GetMissionHandler;
  let list: ListMissionsHandler;
  let history: MissionHistoryHandler;
  const seeds: Seed[] = [];
  const admin = principal(tenants.a);

  const ofA = (): Seed[] => seeds.filter((s) => s.tenantId === tenants.a);
  const ids = (xs: readonly { id: string }[]): string[] => xs.map((x) => x.id).sort();

  /** Every page of a list, `limit` at a time, checked against the contract. */
  async function listAll(
    header: string,
    filter: { state?: string; bbox?: Bbox; from?: string; to?: string },
    limit = 50,
    tenantId = tenants.a,
  ): Promise<Mission[]> {
    const items: Mission[] = [];
    let after: string | undefined;
    for (let n = 0; n < 500; n++) {
      const page = MissionPage.parse(resultOf(await list.list(request(tenantId, { ...filter, limit, after }, header))));
      items.push(...page.items);
      if (page.after === null) return items;
      after = page.after;
    }
    throw new Error('paging does not end');
  }

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    queriesPool = createTestPool(2);
    queries = new MissionQueries(queriesPool);
    get = new GetMissionHandler(queries);
    list = new ListMissionsHandler(queries);
    history = new MissionHistoryHandler(queries);

    // Tenant a: a 15 × 10 grid of 0.1° squares from (8, 47), 0.2° apart, windows of 1–3 hours over a day.
    for (let i = 0; i < 150; i++) {
      const start = BASE + (i % 24) * HOUR;
      seeds.push({
        id: randomUUID(),
        tenantId: tenants.a,
        lon: 8 + (i % 15) * 0.2,
        lat: 47 + Math.floor(i / 15) * 0.2,
        state: STATES[i % STATES.length],
        start,
        end: start + (1 + (i % 3)) * HOUR,
        createdBy: i % 2 === 0 ? 'alice' : 'bob',
      });
    }
    // Tenant b: missions on the same squares.
    for (let i = 0; i < 20; i++) {
      seeds.push({ ...seeds[i], id: randomUUID(), tenantId: tenants.b });
    }
    const rows = new MissionRows(pool);
    for (const s of seeds) expect(await rows.created(createdOf(s))).toBe(true);

    // Other tenants' missions around the world, so that the plans are those of a table in use.
    await pool.query(
      `INSERT INTO read.missions (id, tenant_id, title, state, done, version, definition_key, definition_version,
         priority, area, "window", deadline, asset_ids, transitions, created_by, created_at, updated_at)
       SELECT gen_random_uuid(), $1::text || (g % 20)::text, 'background',
         (ARRAY['draft', 'approved', 'assigned'])[1 + g % 3],
         false, 1, 'default', 1, 3,
         ST_MakeEnvelope(-170 + (g % 340), -80 + (g / 340) % 160, -170 + (g % 340) + 0.1,
                         -80 + (g / 340) % 160 + 0.1, 4326),
         tstzrange($2::timestamptz + (g % 2000) * interval '1 hour',
                   $2::timestamptz + (g % 2000 + 2) * interval '1 hour', '[)'),
         $2::timestamptz, '{}', '[]'::jsonb, 'x', now(), now()
       FROM generate_series(1, 20000) g`,
      [`gqm${run}-bg`, iso(BASE - 1000 * HOUR)],
    );
    await pool.query('ANALYZE read.missions');
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.mission_history WHERE tenant_id LIKE $1`, [`gqm${run}-%`]);
    await pool?.query(`DELETE FROM read.missions WHERE tenant_id LIKE $1`, [`gqm${run}-%`]);
    await queriesPool?.end();
    await dataSource?.destroy();
  });

  describe('list', () => {
    it('pages through all of the tenant’s missions in id order, without repeats or gaps', async () => {
      const got = await listAll(admin.header, {}, 7);
      expect(got.map((m) => m.id)).toEqual(ids(ofA()));
      expect(new Set(got.map((m) => m.id)).size).toBe(ofA().length);
    });

    it('filters by state', async () => {
      for (const state of ['approved', 'draft', 'completed']) {
        const got = await listAll(admin.header, { state }, 11);
        expect(ids(got)).toEqual(ids(ofA().filter((s) => s.state === state)));
      }
    });

    it('filters by bbox: the missions whose area intersects it', async () => {
      const bbox: Bbox = [8.45, 47.25, 9.05, 47.85];
      const touches = (s: Seed): boolean =>
        s.lon <= bbox[2] && s.lon + SIZE >= bbox[0] && s.lat <= bbox[3] && s.lat + SIZE >= bbox[1];
      const expected = ofA().filter(touches);
      expect(expected.length).toBeGreaterThan(5);
      expect(ids(await listAll(admin.header, { bbox }, 4))).toEqual(ids(expected));
      const approved = await listAll(admin.header, { bbox, state: 'approved' });
      expect(ids(approved)).toEqual(ids(expected.filter((s) => s.state === 'approved')));
    });

    it('filters by window: overlap of half-open ranges, either end open', async () => {
      const overlaps = (s: Seed, from?: number, to?: number): boolean =>
        (to === undefined || s.start < to) && (from === undefined || from < s.end);
      const h = (n: number): number => BASE + n * HOUR;
      const cases: { from?: number; to?: number }[] = [
        { from: h(5), to: h(6) },
        // A window [5h, …) starts at `to`, one ending at 5h ends at `from`: neither overlaps.
        { from: h(5), to: h(5) + 1 },
        { from: h(5) - 1, to: h(5) },
        { from: h(10) },
        { to: h(3) },
        { from: h(24) + 1 },
        { from: h(30) },
        { to: h(0) },
      ];
      for (const c of cases) {
        const filter = {
          ...(c.from === undefined ? {} : { from: iso(c.from) }),
          ...(c.to === undefined ? {} : { to: iso(c.to) }),
        };
        const got = await listAll(admin.header, filter);
        expect([filter, ids(got)]).toEqual([filter, ids(ofA().filter((s) => overlaps(s, c.from, c.to)))]);
      }
      // The edge cases are not vacuous: missions start exactly at 5h and end exactly at 5h.
      expect(ofA().some((s) => s.start === h(5))).toBe(true);
      expect(ofA().some((s) => s.end === h(5))).toBe(true);
      // An empty or backwards window overlaps nothing.
      expect(await listAll(admin.header, { from: iso(h(6)), to: iso(h(6)) })).toEqual([]);
      expect(await listAll(admin.header, { from: iso(h(7)), to: iso(h(6)) })).toEqual([]);
    });

    it("shows another tenant's principal only its own missions", async () => {
      const theirs = principal(tenants.b);
      const got = await listAll(theirs.header, {}, 50, tenants.b);
      expect(ids(got)).toEqual(ids(seeds.filter((s) => s.tenantId === tenants.b)));
    });

    it('shows a region-restricted principal exactly the missions whose area intersects its region', async () => {
      const regional = principal(tenants.a, { roles: ['viewer'], subject: 'regional', region: triangle });
      const now = new Date();
      const expected = ofA().filter(
        (s) => decide(regional.principal, 'missions:read', { tenantId: s.tenantId, location: squareOf(s) }, now).allow,
      );
      expect(expected.length).toBeGreaterThan(10);
      expect(expected.length).toBeLessThan(ofA().length - 10);
      expect(ids(await listAll(regional.header, {}, 9))).toEqual(ids(expected));
      const bbox: Bbox = [8, 47, 9.5, 48];
      const inBox = await listAll(regional.header, { bbox });
      expect(inBox.length).toBeGreaterThan(0);
      expect(inBox.every((m) => expected.some((s) => s.id === m.id))).toBe(true);
    });

    it('shows a principal without missions:read nothing, and refuses one without a principal', async () => {
      const noRole = principal(tenants.a, { roles: [] });
      expect(await listAll(noRole.header, {})).toEqual([]);
      await expect(list.list(request(tenants.a, { limit: 10 }, null))).rejects.toMatchObject({
        code: AuthErrors.principalUnknown,
      });
    });
  });

  describe('get', () => {
    it('answers the Mission, as created, with its window, area and definition', async () => {
      const s = ofA()[3];
      const got = Mission.parse(resultOf(await get.get(request(tenants.a, { missionId: s.id }, admin.header))));
      expect(got).toEqual({
        id: s.id,
        title: `mission ${s.id.slice(0, 8)}`,
        state: s.state,
        done: false,
        version: 1,
        definition: { key: 'default', version: 1 },
        priority: 3,
        area: squareOf(s),
        window: { start: iso(s.start), end: iso(s.end) },
        deadline: iso(s.start + 15 * 60_000),
        assetIds: [],
        assignment: null,
        createdBy: s.createdBy,
        createdAt: iso(BASE - HOUR),
        updatedAt: iso(BASE - HOUR),
        // The tenant's administrator did not create it: it may approve as well.
        allowedEvents: ['approve', 'reject', 'cancel'],
      });
    });

    it('is MISSION.NOT_FOUND for an unknown id, another tenant’s mission and one outside the region', async () => {
      const notFound = { code: MissionErrors.missionNotFound };
      await expect(get.get(request(tenants.a, { missionId: randomUUID() }, admin.header))).rejects.toMatchObject(
        notFound,
      );
      const theirs = principal(tenants.b);
      const mine = ofA()[0];
      await expect(get.get(request(tenants.b, { missionId: mine.id }, theirs.header))).rejects.toMatchObject(notFound);
      const regional = principal(tenants.a, { roles: ['viewer'], region: triangle });
      const now = new Date();
      for (const s of ofA().slice(0, 40)) {
        const asked = get.get(request(tenants.a, { missionId: s.id }, regional.header));
        if (decide(regional.principal, 'missions:read', { tenantId: s.tenantId, location: squareOf(s) }, now).allow) {
          await expect(asked.then(resultOf)).resolves.toMatchObject({ id: s.id });
        } else {
          await expect(asked).rejects.toMatchObject(notFound);
        }
      }
    });

    it('allowedEvents: approve, reject for an approver not the creator; none for the creator, a viewer', async () => {
      const s = ofA().find((x) => x.createdBy === 'alice');
      if (!s) throw new Error('no mission of alice');
      const allowed = async (overrides: Partial<Principal>) => {
        const p = principal(tenants.a, overrides);
        return (resultOf(await get.get(request(tenants.a, { missionId: s.id }, p.header))) as Mission).allowedEvents;
      };
      expect(await allowed({ roles: ['approver'], subject: 'bob' })).toEqual(['approve', 'reject']);
      expect(await allowed({ roles: ['approver'], subject: 'alice' })).toEqual([]);
      expect(await allowed({ roles: ['viewer'], subject: 'vic' })).toEqual([]);
      expect(await allowed({ roles: ['dispatcher'], subject: 'alice' })).toEqual(['cancel']);
      // Lists answer the same for each item.
      const p = principal(tenants.a, { roles: ['approver'], subject: 'bob' });
      const listed = await listAll(p.header, {});
      expect(listed.find((m) => m.id === s.id)?.allowedEvents).toEqual(['approve', 'reject']);
      expect(listed.find((m) => m.createdBy === 'bob')?.allowedEvents).toEqual([]);
    });
  });

  describe('history', () => {
    const missionId = randomUUID();

    beforeAll(async () => {
      const s: Seed = { ...ofA()[0], id: missionId, state: 'draft' };
      const rows = new MissionRows(pool);
      await rows.created(createdOf(s));
      const path = ['submitted', 'approved', 'assigned', 'en_route', 'on_site', 'completed'];
      for (const [i, state] of path.entries()) {
        // Versions with gaps, as workflow's internal events (timers, saga steps) take some.
        await rows.transitioned({
          missionId,
          tenantId: tenants.a,
          version: 2 + 2 * i,
          state,
          done: state === 'completed',
          assetIds: [],
          transitions: [],
          actor: i === 1 ? 'bob' : 'alice',
          at: iso(BASE + i * HOUR),
          from: i === 0 ? 'draft' : path[i - 1],
          event: `e${i}`,
          cause: 'user',
          reason: null,
        });
      }
    });

    it('pages the history by version after `after`', async () => {
      const page = (after?: number) =>
        history.history(request(tenants.a, { missionId, limit: 3, after }, admin.header)).then(resultOf);
      const first = MissionHistoryPage.parse(await page());
      expect(first.items.map((e) => [e.version, e.kind, e.from, e.to])).toEqual([
        [1, 'created', null, 'draft'],
        [2, 'transitioned', 'draft', 'submitted'],
        [4, 'transitioned', 'submitted', 'approved'],
      ]);
      expect(first.items[2]).toMatchObject({ actor: 'bob', event: 'e1', cause: 'user', at: iso(BASE + HOUR) });
      expect(first.after).toBe('4');
      const second = MissionHistoryPage.parse(await page(4));
      expect(second.items.map((e) => e.version)).toEqual([6, 8, 10]);
      expect(second.after).toBe('10');
      const last = MissionHistoryPage.parse(await page(10));
      expect(last).toEqual({ items: [expect.objectContaining({ version: 12, to: 'completed' })], after: null });
      expect(MissionHistoryPage.parse(await page(12))).toEqual({ items: [], after: null });
    });

    it('is MISSION.NOT_FOUND for another tenant, outside the region, or an unknown mission', async () => {
      const notFound = { code: MissionErrors.missionNotFound };
      const theirs = principal(tenants.b);
      await expect(history.history(request(tenants.b, { missionId, limit: 10 }, theirs.header))).rejects.toMatchObject(
        notFound,
      );
      const far = principal(tenants.a, {
        roles: ['viewer'],
        region: {
          type: 'Polygon',
          coordinates: [
            [
              [20, 50],
              [21, 50],
              [21, 51],
              [20, 51],
              [20, 50],
            ],
          ],
        },
      });
      await expect(history.history(request(tenants.a, { missionId, limit: 10 }, far.header))).rejects.toMatchObject(
        notFound,
      );
      await expect(
        history.history(request(tenants.a, { missionId: randomUUID(), limit: 10 }, admin.header)),
      ).rejects.toMatchObject(notFound);
    });
  });

  // DESIGN §5: every query's plan uses an index; none scans read.missions whole.
  describe('plans', () => {
    const regional = readScope(principal(tenants.a, { roles: ['viewer'], region: triangle }).principal);
    const scope = readScope(admin.principal);
    const cases: { name: string; call: (q: MissionQueries) => Promise<unknown> }[] = [
      { name: 'get', call: (q) => q.get(scope, ofA()[5].id) },
      { name: 'get, region-restricted', call: (q) => q.get(regional, ofA()[5].id) },
      { name: 'list, first page', call: (q) => q.list(scope, {}, 50) },
      { name: 'list, a later page', call: (q) => q.list(scope, {}, 50, ids(ofA())[60]) },
      { name: 'list by state', call: (q) => q.list(scope, { state: 'approved' }, 50) },
      { name: 'list in a bbox', call: (q) => q.list(scope, { bbox: [8.45, 47.25, 9.05, 47.85] }, 50) },
      {
        name: 'list in a window',
        call: (q) => q.list(scope, { from: iso(BASE + 5 * HOUR), to: iso(BASE + 6 * HOUR) }, 50),
      },
      { name: 'list, region-restricted', call: (q) => q.list(regional, {}, 50) },
      { name: 'history', call: (q) => q.history(scope, ofA()[5].id, 50) },
    ];

    it.each(cases)('$name uses an index on read.missions, never a sequential scan', async ({ call }) => {
      const sent = jest.spyOn(queriesPool, 'query') as unknown as jest.Spied<
        (text: string, values?: unknown[]) => Promise<unknown>
      >;
      try {
        await call(queries);
        expect(sent).toHaveBeenCalledTimes(1);
        const nodes = await explainPlan(pool, sentQuery(sent.mock.calls[0]));
        const plan = nodes.map(describePlanNode).join(' → ');
        const indexed = nodes.filter(
          (n) =>
            ['Index Scan', 'Index Only Scan', 'Bitmap Index Scan'].includes(n['Node Type']) &&
            /^missions_/.test(n['Index Name'] ?? ''),
        );
        const seq = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'missions');
        expect({ plan, usesIndex: indexed.length > 0, seqScans: seq.length }).toEqual({
          plan,
          usesIndex: true,
          seqScans: 0,
        });
      } finally {
        sent.mockRestore();
      }
    });
  });
});
