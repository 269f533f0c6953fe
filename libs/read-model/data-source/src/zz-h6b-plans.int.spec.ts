import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { it, expect } from '@jest/globals';
import { requirePrincipal } from '@meridian/contracts/identity';
import { AssetQueries, readScope } from '@meridian/read-model/assets';
import { PositionQueries, PositionsWriter, type PositionRow } from '@meridian/read-model/positions';
import { TileQueries } from '@meridian/read-model/tiles';
import { ZoneQueries } from '@meridian/read-model/zones';
import { describePlanNode, explainPlan, testDatabaseUrl, seededRandom } from '@meridian/shared/testing';
import { testPrincipal } from '../../../shared/testing/src/principal';
import { createReadModelDataSource, migrateReadModel, poolOf } from './data-source';

it('prints plans', async () => {
  const ds = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
  await migrateReadModel(ds);
  const pool: Pool = poolOf(ds);
  const T = 'h6bplan-a';
  const tables = ['positions', 'position_cells', 'asset_latest', 'zones', 'zone_visits'];
  for (const t of tables) await pool.query(`DELETE FROM read.${t} WHERE tenant_id LIKE 'h6bplan-%'`);
  const r = seededRandom(5);
  const assets = Array.from({ length: 20000 }, (_, i) => ({
    id: randomUUID(), t: `h6bplan-${i % 8 === 0 ? 'a' : 'n' + (i % 8)}`, s: Math.floor(r() * 5), team: ['red', 'blue', null][i % 3],
  }));
  await pool.query(
    `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, sensitivity, team)
     SELECT a, t, 'x', 'drone', 'available', 1, s, team FROM unnest($1::uuid[], $2::text[], $3::smallint[], $4::text[]) AS f(a, t, s, team)`,
    [assets.map((a) => a.id), assets.map((a) => a.t), assets.map((a) => a.s), assets.map((a) => a.team)],
  );
  const START = Date.UTC(2024, 6, 1);
  const w = new PositionsWriter(pool, [5, 7]);
  const fixes: PositionRow[] = [];
  for (let k = 0; k < 12; k++) for (const a of assets) fixes.push({ tenantId: a.t, assetId: a.id, ts: new Date(START + k * 600_000 + Math.floor(r() * 1000)).toISOString(), lon: 5 + r() * 10, lat: 45 + r() * 10 });
  fixes.sort((x, y) => Date.parse(x.ts) - Date.parse(y.ts));
  for (let i = 0; i < fixes.length; i += 5000) await w.write(fixes.slice(i, i + 5000));
  const zones = Array.from({ length: 4000 }, (_, i) => ({ id: randomUUID(), t: `h6bplan-${i % 4 === 0 ? 'a' : 'n' + (i % 4)}`, x: 5 + r() * 10, y: 45 + r() * 10 }));
  await pool.query(
    `INSERT INTO read.zones (zone_id, tenant_id, name, kind, geom, sensitivity, team, version, created_at, updated_at)
     SELECT z, t, 'z', 'geofence', ST_MakeEnvelope(x, y, x + 0.1, y + 0.1, 4326), 1, 'red', 1, now(), now()
     FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::float8[]) AS f(z, t, x, y)`,
    [zones.map((z) => z.id), zones.map((z) => z.t), zones.map((z) => z.x), zones.map((z) => z.y)],
  );
  const mine = assets.filter((a) => a.t === T);
  const zmine = zones.filter((z) => z.t === T);
  const visits = zmine.flatMap((z, i) => Array.from({ length: 5 }, (_, k) => ({ z: z.id, a: mine[(i * 5 + k) % mine.length].id, at: new Date(START + k * 60_000).toISOString() })));
  await pool.query(
    `INSERT INTO read.zone_visits (tenant_id, zone_id, asset_id, entered_at) SELECT $1, z, a, e
     FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[]) AS f(z, a, e) ON CONFLICT DO NOTHING`,
    [T, visits.map((v) => v.z), visits.map((v) => v.a), visits.map((v) => v.at)],
  );
  for (const t of tables) await pool.query(`VACUUM ANALYZE read.${t}`);

  const region = { type: 'Polygon' as const, coordinates: [[[5, 45], [15, 45], [5, 55], [5, 45]] as [number, number][]] };
  const who = { unrestricted: {}, region: { roles: ['viewer' as const], region }, 'clearance+teams': { roles: ['viewer' as const], clearance: 1, teams: ['red'] } };
  const limits = { maxTrackVertices: 50000, maxHeatmapCells: 10000, maxHeatmapFixes: 100000, codes: { trackTooManyVertices: 'a', heatmapTooManyCells: 'b', heatmapTooManyFixes: 'c' } };
  const sent: [string, unknown[]][] = [];
  const original = pool.query.bind(pool);
  const spy = { mockClear: () => void sent.splice(0), mock: { calls: sent }, mockRestore: () => undefined };
  (pool as unknown as { query: unknown }).query = (text: string, values?: unknown[]) => {
    sent.push([text, values ?? []]);
    return original(text, values);
  };
  const out: string[] = [];
  const aq = new AssetQueries(pool); const pq = new PositionQueries(pool, limits, [5, 7]); const zq = new ZoneQueries(pool);
  const tq = new TileQueries(pool);
  const win = { from: new Date(START).toISOString(), to: new Date(START + 3_600_000).toISOString() };
  const calls: [string, (s: ReturnType<typeof readScope>) => Promise<unknown>][] = [
    ['assets.inBbox', (s) => aq.inBbox(s, [8, 47, 12, 51], 100)],
    ['assets.all', (s) => aq.all(s, 100)],
    ['assets.nearest', (s) => aq.nearest(s, { lon: 10, lat: 50 }, 10)],
    ['positions.at 600 bbox', (s) => pq.at(s, new Date(START + 1_800_000).toISOString(), 600, [8, 47, 12, 51], 100)],
    ['positions.at 86400', (s) => pq.at(s, new Date(START + 1_800_000).toISOString(), 86400, undefined, 100)],
    ['positions.track', (s) => pq.track(s, mine[3].id, win, 0, 300)],
    ['positions.heatmap r7', (s) => pq.heatmap(s, [8, 47, 9, 48], win, 7)],
    ['zones.list bbox', (s) => zq.list(s, 100, [8, 47, 12, 51])],
    ['zones.get', (s) => zq.get(s, zmine[5].id)],
    ['zones.visitsOfZone', (s) => zq.visitsOfZone(s, zmine[5].id, {}, 100)],
    ['zones.visitsOfAsset', (s) => zq.visitsOfAsset(s, mine[5].id, {}, 100)],
    ['zones.inside', (s) => zq.inside(s, zmine[5].id, 100)],
  ];
  for (const [name, call] of calls) {
    for (const [w2, o] of Object.entries(who)) {
      spy.mockClear();
      await call(readScope(requirePrincipal({ tenantId: T, principal: testPrincipal(T, o) })));
      const plans = [];
      for (const c of spy.mock.calls) {
        const [text, values] = c as unknown as [string, unknown[]];
        try {
          plans.push((await explainPlan(pool, { text, values: values ?? [] })).map(describePlanNode).join(' → '));
        } catch (e) {
          plans.push(`ERR ${(e as Error).message} :: ${text}`);
        }
      }
      out.push(`${name} [${w2}]: ${plans.join(' || ')}`);
      process.stderr.write(`${out[out.length - 1]}\n`);
    }
  }
  (pool as unknown as { query: unknown }).query = original;
  for (const layer of ['assets', 'positions', 'zones'] as const) for (const [w2, o] of Object.entries(who)) {
    const st = tq.statement(layer, readScope(requirePrincipal({ tenantId: T, principal: testPrincipal(T, o) })), { z: 7, x: 67, y: 44 }, 10000, win);
    out.push(`tile z7 ${layer} [${w2}]: ${(await explainPlan(pool, st)).map(describePlanNode).join(' → ')}`);
  }
  require('fs').writeFileSync('/tmp/h6b/plans.txt', out.join('\n'));
  for (const t of tables) await pool.query(`DELETE FROM read.${t} WHERE tenant_id LIKE 'h6bplan-%'`);
  await ds.destroy();
  expect(out.length).toBeGreaterThan(0);
}, 300_000);
