import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ExportFilter } from '@meridian/contracts/exports';
import { type Principal, requirePrincipal } from '@meridian/contracts/identity';
import { readScope } from '@meridian/read-model/assets';
import {
  ExportJobs,
  exportStatement,
  Exports1764460800010,
  inlineParams,
  sqlLiteral,
  toExportJob,
} from '@meridian/read-model/exports';
import { PositionPartitions, dayOf } from '@meridian/read-model/positions';
import { describePlanNode, explainPlan, sentQuery, testDatabaseUrl, testPrincipal } from '@meridian/shared/testing';
import { createReadModelDataSource, migrateReadModel, poolOf } from './data-source';

/*
 * exports.jobs and its statements (lease claims, limits, the keyset list, what reconciliation
 * re-adds), and the export statements: inlined for COPY, they return what their parameterized form
 * returns. Lives in data-source, which migrates the read schema (see asset-latest.queries.int.spec).
 */

const run = randomBytes(3).toString('hex');
const tenant = `exj${run}`;
const filter: ExportFilter = {
  kind: 'positions',
  format: 'csv',
  from: '2024-08-01T00:00:00Z',
  to: '2024-08-02T00:00:00Z',
};
const principalOf = (subject: string) => ({ tenantId: tenant, subject, roles: ['viewer'], clearance: 4 });
const file = { key: `${tenant}/x.csv.gz`, name: 'x.csv', contentType: 'text/csv; charset=utf-8', bytes: 42 };

describe('exports.jobs (real PostgreSQL)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let jobs: ExportJobs;

  const newJob = async (subject: string, max = 5) =>
    jobs.start({ id: randomUUID(), tenantId: tenant, subject, principal: principalOf(subject), filter }, max);

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    jobs = new ExportJobs(pool);
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM exports.jobs WHERE tenant_id = $1`, [tenant]);
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id = $1`, [tenant]);
    await dataSource?.destroy();
  });

  it('has its migration applied, and applying it again changes nothing', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await new Exports1764460800010().up(runner);
    } finally {
      await runner.release();
    }
    const { rows } = await pool.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'exports' AND tablename = 'jobs' ORDER BY indexname`,
    );
    expect(rows.map((r) => r.indexname)).toEqual(['jobs_expiry', 'jobs_pkey', 'jobs_principal', 'jobs_unfinished']);
  });

  it('records a job once per id, and refuses past the unfinished jobs a principal may have', async () => {
    const first = await newJob('limited', 2);
    expect(first.outcome).toBe('created');
    if (first.outcome === 'limit') throw new Error('unexpected');
    const again = await jobs.start(
      { id: first.row.id, tenantId: tenant, subject: 'limited', principal: principalOf('limited'), filter },
      2,
    );
    expect(again).toMatchObject({ outcome: 'existing', row: { id: first.row.id } });
    expect((await newJob('limited', 2)).outcome).toBe('created');
    expect(await newJob('limited', 2)).toEqual({ outcome: 'limit', active: 2 });
    // Concurrent starts take turns: never more than the limit.
    const racing = await Promise.all(Array.from({ length: 6 }, () => newJob('racer', 3)));
    expect(racing.filter((r) => r.outcome === 'created')).toHaveLength(3);
  });

  it('lets one worker hold a job on its lease, and another take it once the lease ran out', async () => {
    const started = await newJob('leases');
    if (started.outcome === 'limit') throw new Error('unexpected');
    const id = started.row.id;
    expect(await jobs.dispatchable(10_000)).toContain(id);
    const a = await jobs.claim(id, 'worker-a', 60_000, 3);
    expect(a).toMatchObject({ outcome: 'claimed', row: { state: 'running', attempts: 1, lease_owner: 'worker-a' } });
    expect(await jobs.claim(id, 'worker-b', 60_000, 3)).toMatchObject({ outcome: 'busy' });
    expect(await jobs.dispatchable(10_000)).not.toContain(id);
    expect(await jobs.progress(id, 'worker-b', 10, 60_000)).toBe(false);
    expect(await jobs.expect(id, 'worker-a', 100)).toBe(true);
    expect(await jobs.progress(id, 'worker-a', 50, 60_000)).toBe(true);
    const running = await jobs.get(id);
    expect(running && toExportJob(running)).toMatchObject({ state: 'running', rowsWritten: 50, percent: 50 });

    await pool.query(`UPDATE exports.jobs SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
    expect(await jobs.dispatchable(10_000)).toContain(id);
    const b = await jobs.claim(id, 'worker-b', 60_000, 3);
    // From scratch: progress reset, one more attempt.
    expect(b).toMatchObject({ outcome: 'claimed', row: { attempts: 2, rows_written: 0, rows_expected: null } });
    expect(await jobs.succeed(id, 'worker-a', 100, file, 24)).toBe(false);
    expect(await jobs.succeed(id, 'worker-b', 100, file, 24)).toBe(true);
    const done = await jobs.get(id);
    expect(done && toExportJob(done)).toMatchObject({ state: 'succeeded', rowsWritten: 100, percent: 100, file });
    expect(await jobs.claim(id, 'worker-c', 60_000, 3)).toEqual({ outcome: 'gone' });
    expect(await jobs.dispatchable(10_000)).not.toContain(id);
  });

  it('records a failure as queued again (to retry) or failed, with a code and detail', async () => {
    const started = await newJob('failures');
    if (started.outcome === 'limit') throw new Error('unexpected');
    const id = started.row.id;
    await jobs.claim(id, 'w', 60_000, 3);
    expect(await jobs.giveUp(id, 'w', 'queued', { code: 'EXPORT.QUERY_FAILED', detail: 'boom' })).toBe(true);
    expect(await jobs.dispatchable(10_000)).toContain(id);
    await jobs.claim(id, 'w', 60_000, 3);
    expect(await jobs.giveUp(id, 'w', 'failed', { code: 'EXPORT.QUERY_FAILED', detail: 'boom again' })).toBe(true);
    const failed = await jobs.get(id);
    expect(failed && toExportJob(failed)).toMatchObject({
      state: 'failed',
      error: { code: 'EXPORT.QUERY_FAILED', detail: 'boom again' },
      file: null,
    });
    expect(failed?.finished_at).not.toBeNull();
  });

  it('records failed, without running it, a job taken over after its last attempt (a crash each time)', async () => {
    const started = await newJob('crashing');
    if (started.outcome === 'limit') throw new Error('unexpected');
    const id = started.row.id;
    const leaseRunsOut = () =>
      pool.query(`UPDATE exports.jobs SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await jobs.claim(id, `worker-${attempt}`, 60_000, 3)).toMatchObject({
        outcome: 'claimed',
        row: { attempts: attempt },
      });
      await leaseRunsOut();
    }

    expect(await jobs.claim(id, 'worker-4', 60_000, 3)).toEqual({ outcome: 'exhausted', code: 'EXPORT.FAILED' });

    const failed = await jobs.get(id);
    expect(failed && toExportJob(failed)).toMatchObject({
      state: 'failed',
      error: { code: 'EXPORT.FAILED', detail: 'gave up after 3 attempts' },
      file: null,
    });
    expect(failed).toMatchObject({ attempts: 3, lease_owner: null, lease_until: null });
    expect(failed?.finished_at).not.toBeNull();
    expect(await jobs.dispatchable(10_000)).not.toContain(id);
    expect(await jobs.claim(id, 'worker-5', 60_000, 3)).toEqual({ outcome: 'gone' });
  });

  it('spends no attempt on a job handed back on shutdown', async () => {
    const started = await newJob('handback');
    if (started.outcome === 'limit') throw new Error('unexpected');
    const id = started.row.id;
    for (let i = 0; i < 5; i++) {
      expect(await jobs.claim(id, 'leaving', 60_000, 3)).toMatchObject({ outcome: 'claimed', row: { attempts: 1 } });
      expect(await jobs.handBack(id, 'other')).toBe(false);
      expect(await jobs.handBack(id, 'leaving')).toBe(true);
      expect(await jobs.get(id)).toMatchObject({ state: 'queued', attempts: 0, lease_owner: null });
    }
    expect(await jobs.claim(id, 'staying', 60_000, 1)).toMatchObject({ outcome: 'claimed', row: { attempts: 1 } });
  });

  it('pages the jobs due to expire by expiry, past those left due', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const started = await newJob('expiring');
      if (started.outcome === 'limit') throw new Error('unexpected');
      ids.push(started.row.id);
      await jobs.claim(started.row.id, 'w', 60_000, 3);
      await jobs.succeed(started.row.id, 'w', 1, { ...file, key: `${tenant}/${i}.csv.gz` }, 24);
    }
    // Microseconds apart: a keyset that rounded to milliseconds would give a page twice.
    await pool.query(
      `UPDATE exports.jobs SET expires_at = now() - interval '1 hour' + make_interval(secs => 0.000001 * idx)
       FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, idx) WHERE jobs.id = u.id`,
      [ids],
    );
    const seen: string[] = [];
    let page = await jobs.due(2);
    while (page.length > 0) {
      seen.push(...page.map((d) => d.id).filter((id) => ids.includes(id)));
      page = await jobs.due(2, page[page.length - 1]);
    }
    expect(seen).toEqual(ids);
  });

  it("lists a principal's jobs newest first through its index", async () => {
    for (let i = 0; i < 300; i++) await newJob(`crowd-${i % 50}`, 1000);
    await pool.query('ANALYZE exports.jobs');
    const spy = jest.spyOn(pool, 'query');
    try {
      await jobs.list(tenant, 'crowd-7', 10);
      const plan = await explainPlan(pool, sentQuery(spy.mock.calls[0] as unknown[]));
      expect(plan.map(describePlanNode).join(' / ')).toContain('jobs_principal');
    } finally {
      spy.mockRestore();
    }
  });

  it('inlines parameters for COPY with the meaning they have as parameters', async () => {
    const awkward = ['a"b', "o'k", 'back\\slash', 'comma,brace}'];
    const { rows } = await pool.query<{ v: string[] }>(`SELECT ${sqlLiteral(awkward)}::text[] AS v`);
    expect(rows[0].v).toEqual(awkward);
    const day = dayOf(filter.from);
    await new PositionPartitions(pool).ensure([day]);
    await pool.query(
      `INSERT INTO read.positions (tenant_id, asset_id, ts, geom)
       SELECT $1, gen_random_uuid(), $2::timestamptz + make_interval(mins => g),
              ST_SetSRID(ST_MakePoint(7 + (g % 40) * 0.05, 46 + (g % 17) * 0.1), 4326)
       FROM generate_series(0, 199) g`,
      [tenant, filter.from],
    );
    const region: NonNullable<Principal['region']> = {
      type: 'Polygon',
      coordinates: [
        [
          [7, 46],
          [8, 46],
          [8, 47],
          [7, 47],
          [7, 46],
        ],
      ],
    };
    const principal = requirePrincipal({
      tenantId: tenant,
      principal: testPrincipal(tenant, { roles: ['viewer'], region, clearance: 2, teams: ['red', 'blue'] }),
    });
    const statement = exportStatement(readScope(principal), { ...filter, bbox: [7, 46, 9, 48] });
    const parameterized = await pool.query(statement.select, [...statement.params]);
    const inlined = await pool.query(inlineParams(statement.select, statement.params));
    expect(parameterized.rows.length).toBeGreaterThan(0);
    expect(parameterized.rows.length).toBeLessThan(200);
    expect(inlined.rows).toEqual(parameterized.rows);
    const { rows: counted } = await pool.query<{ n: number }>(statement.count, [...statement.params]);
    expect(counted[0].n).toBe(parameterized.rows.length);
  });
});
