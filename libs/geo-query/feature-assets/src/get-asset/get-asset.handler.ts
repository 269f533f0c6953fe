import { Controller } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Not, type Repository } from 'typeorm';
import { AssetErrors, type AssetFeature, AssetKind, AssetStatus, GetAssetV1 } from '@meridian/contracts/assets';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requireTenant } from '@meridian/contracts/identity';
import { AssetLatest } from '@meridian/read-model/assets';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

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
  },
});

/** One asset by id, through the TypeORM repository of asset_latest (a primary-key lookup). */
@Controller()
export class GetAssetHandler {
  constructor(@InjectRepository(AssetLatest) private readonly assets: Repository<AssetLatest>) {}

  @QueryHandler(GetAssetV1, Topics.geoQueryRequests)
  async get(request: Envelope<DataOf<typeof GetAssetV1>>): Promise<ReplyBody> {
    const { assetId } = request.data;
    const row = await this.assets.findOneBy({ assetId, tenantId: requireTenant(request), name: Not(IsNull()) });
    if (!row) throw new CodedError(AssetErrors.assetNotFound, `asset ${assetId} not found`);
    return queryReply({ outcome: 'ok', result: toAssetFeature(row) });
  }
}
