import { Controller } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AssetErrors, type AssetFeature, AssetKind, AssetStatus, GetAssetV1 } from '@meridian/contracts/assets';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { AssetLatest, attributeColumns, readScope, rowFilter } from '@meridian/read-model/assets';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import type { SqlFilter } from '@meridian/shared/policy';

export const toAssetFeature = (row: AssetLatest): AssetFeature => ({
  type: 'Feature',
  id: row.assetId,
  geometry: row.geom ? { type: 'Point', coordinates: [row.geom.coordinates[0], row.geom.coordinates[1]] } : null,
  properties: {
    name: row.name ?? '',
    kind: AssetKind.parse(row.kind),
    status: AssetStatus.parse(row.status),
    lastSeen: row.ts ? row.ts.toISOString() : null,
    speed: row.speed,
    heading: row.heading,
    version: row.version,
    sensitivity: row.sensitivity,
    team: row.team,
  },
});

/**
 * A row filter (` AND (…)` with `$1`, `$2`, … from 1) as a condition in TypeORM's named parameters
 * (`:policy1`, …), so that the query builder numbers them among its own.
 */
function named(filter: SqlFilter): { sql: string; params: Record<string, unknown> } {
  return {
    sql: filter.sql.replace(/^ AND /, '').replace(/\$(\d+)/g, (_, n: string) => `:policy${n}`),
    params: Object.fromEntries(filter.params.map((value, i) => [`policy${i + 1}`, value])),
  };
}

/**
 * One asset by id, through the TypeORM repository of asset_latest (a primary-key lookup), if the
 * principal may see it (`assets:read`); one it may not is as not found as one that does not exist.
 */
@Controller()
export class GetAssetHandler {
  constructor(@InjectRepository(AssetLatest) private readonly assets: Repository<AssetLatest>) {}

  @QueryHandler(GetAssetV1, Topics.geoQueryRequests)
  async get(request: Envelope<DataOf<typeof GetAssetV1>>): Promise<ReplyBody> {
    const { assetId } = request.data;
    const scope = readScope(requirePrincipal(request));
    const filter = named(rowFilter(scope, 'assets:read', attributeColumns('a.'), 1));
    const query = this.assets
      .createQueryBuilder('a')
      .where('a.assetId = :assetId AND a.tenantId = :tenantId AND a.name IS NOT NULL', {
        assetId,
        tenantId: scope.principal.tenantId,
      });
    // An unrestricted principal adds nothing: the primary-key lookup stays as it was.
    if (filter.sql) query.andWhere(filter.sql, filter.params);
    const row = await query.getOne();
    if (!row) throw new CodedError(AssetErrors.assetNotFound, `asset ${assetId} not found`);
    return queryReply({ outcome: 'ok', result: toAssetFeature(row) });
  }
}
