import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AssetRegistration, AssetLatestWriter } from '@meridian/read-model/assets';
import { testDatabaseUrl } from '@meridian/shared/testing';
import { createReadModelDataSource, migrateReadModel, poolOf } from './data-source';

/*
 * AssetLatestWriter's batching against the read schema as migrateReadModel makes it (in data-source
 * for the same reason as positions.writes.int.spec.ts: read-model/assets may not import it).
 */

const run = randomBytes(3).toString('hex');
const tenant = `aw${run}`;

const registration = (assetId: string, name: string, version = 1): AssetRegistration => ({
  assetId,
  tenantId: tenant,
  name,
  kind: 'drone',
  status: 'registered',
  version,
});

describe('AssetLatestWriter batches concurrent writes (real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let writer: AssetLatestWriter;

  const rows = async (ids: readonly string[]) =>
    (
      await pool.query<{ asset_id: string; name: string; status: string; version: number }>(
        'SELECT asset_id, name, status, version FROM read.asset_latest WHERE asset_id = ANY($1::uuid[]) ORDER BY name',
        [ids],
      )
    ).rows;

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({
      url: testDatabaseUrl(),
      poolSize: 4,
      applicationName: `asset-writes-spec-${run}`,
    }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    writer = new AssetLatestWriter(pool);
  });

  afterAll(async () => {
    await pool?.query('DELETE FROM read.asset_latest WHERE tenant_id = $1', [tenant]);
    await dataSource?.destroy();
  });

  it('applies 60 concurrent registrations and then status changes, each answered on its own', async () => {
    const ids: string[] = Array.from({ length: 60 }, () => randomUUID());
    const applied = await Promise.all(ids.map((id, i) => writer.applyRegistration(registration(id, `a${i}`))));
    expect(applied).toEqual(ids.map(() => true));
    // Half the changes are stale (version 1 is stored already): those are answered false.
    const changed = await Promise.all(
      ids.map((id, i) => writer.applyStatus(id, tenant, 'available', i % 2 === 0 ? 2 : 1)),
    );
    expect(changed).toEqual(ids.map((_, i) => i % 2 === 0));
    const stored = await rows(ids);
    expect(stored).toHaveLength(60);
    for (const row of stored) {
      const i = ids.indexOf(row.asset_id);
      expect(row).toMatchObject({ status: i % 2 === 0 ? 'available' : 'registered', version: i % 2 === 0 ? 2 : 1 });
    }
  });

  it('fails only the write the database refuses; the others in its batch are applied', async () => {
    const ids = Array.from({ length: 20 }, () => randomUUID());
    const outcomes = await Promise.allSettled([
      ...ids.map((id, i) => writer.applyRegistration(registration(id, `b${i}`))),
      writer.applyRegistration(registration('not-a-uuid', 'broken')),
    ]);
    expect(outcomes.slice(0, 20).every((o) => o.status === 'fulfilled' && o.value === true)).toBe(true);
    expect(outcomes[20]).toMatchObject({ status: 'rejected', reason: { code: '22P02' } });
    expect(await rows(ids)).toHaveLength(20);
  });

  it('writes one asset named twice in a batch in arrival order: the newer version wins', async () => {
    const id = randomUUID();
    const others = Array.from({ length: 10 }, () => randomUUID());
    const outcomes = await Promise.all([
      ...others.map((o, i) => writer.applyRegistration(registration(o, `c${i}`))),
      writer.applyRegistration(registration(id, 'first', 1)),
      writer.applyRegistration(registration(id, 'second', 2)),
      writer.applyRegistration(registration(id, 'stale', 1)),
    ]);
    expect(outcomes).toEqual([...others.map(() => true), true, true, false]);
    expect(await rows([id])).toEqual([expect.objectContaining({ name: 'second', version: 2 })]);
  });
});
