import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ExistingAssets } from '@meridian/contracts/assets';
import { type Envelope, QueryReplyV1 } from '@meridian/contracts/core';
import { IdentityErrors } from '@meridian/contracts/identity';
import { AssetLatestWriter } from '@meridian/read-model/assets';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { PositionsWriter } from '@meridian/read-model/positions';
import { testDatabaseUrl } from '@meridian/shared/testing';
import { AssetsExistHandler } from './assets-exist.handler';

const run = randomBytes(3).toString('hex');
const tenantPrefix = `ge${run}-`;
const tenants = { mine: `${tenantPrefix}mine`, theirs: `${tenantPrefix}theirs` };

const request = (tenantId: string | undefined, assetIds: string[]): Envelope<{ assetIds: string[] }> => ({
  id: randomUUID(),
  type: 'meridian.geo-query.assets.exist.v1',
  source: '/meridian/gateway',
  time: new Date().toISOString(),
  data: { assetIds },
  correlationId: randomUUID(),
  ...(tenantId ? { tenantId } : {}),
});

describe("AssetsExistHandler: which ids are the tenant's assets (real PostGIS)", () => {
  let dataSource: DataSource;
  let pool: Pool;
  let handler: AssetsExistHandler;
  const ids = { mine: [randomUUID(), randomUUID()], fixOnly: randomUUID(), theirs: randomUUID() };

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 2 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    handler = new AssetsExistHandler(pool);
    const assets = new AssetLatestWriter(pool);
    const register = (assetId: string, tenantId: string) =>
      assets.applyRegistration({ assetId, tenantId, name: 'x', kind: 'sensor', status: 'registered', version: 1 });
    for (const id of ids.mine) await register(id, tenants.mine);
    await register(ids.theirs, tenants.theirs);
    const today = new Date().toISOString().slice(0, 10);
    await new PositionsWriter(pool).write([
      { tenantId: tenants.mine, assetId: ids.fixOnly, ts: `${today}T00:00:01Z`, lon: 0, lat: 0 },
    ]);
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id LIKE $1`, [`${tenantPrefix}%`]);
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`${tenantPrefix}%`]);
    await dataSource?.destroy();
  });

  it("answers only the tenant's registered ids (not another tenant's, fix-only or unknown ones)", async () => {
    const body = await handler.exist(request(tenants.mine, [ids.theirs, ...ids.mine, ids.fixOnly, randomUUID()]));

    expect(body.type).toBe(QueryReplyV1.type);
    const reply = QueryReplyV1.schema.parse(body.data);
    if (reply.outcome !== 'ok') throw new Error(`not ok: ${reply.code}`);
    expect([...ExistingAssets.parse(reply.result).existing].sort()).toEqual([...ids.mine].sort());
  });

  it('answers TENANT.INVALID for a request without a valid tenant', async () => {
    await expect(handler.exist(request(undefined, ids.mine))).rejects.toMatchObject({
      code: IdentityErrors.tenantInvalid,
    });
  });
});
