import { Controller } from '@nestjs/common';
import { AssetErrors, AssetTrackV1 } from '@meridian/contracts/assets';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requireTenant } from '@meridian/contracts/identity';
import { AssetQueries } from '@meridian/read-model/assets';
import { PositionQueries } from '@meridian/read-model/positions';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/** The track of one asset in a window; an asset unknown to the tenant is 404, one without fixes a null geometry. */
@Controller()
export class AssetTrackHandler {
  constructor(
    private readonly positions: PositionQueries,
    private readonly assets: AssetQueries,
  ) {}

  @QueryHandler(AssetTrackV1, Topics.geoQueryRequests)
  async track(request: Envelope<DataOf<typeof AssetTrackV1>>): Promise<ReplyBody> {
    const { assetId, from, to, simplifyMeters, gapSeconds } = request.data;
    const tenantId = requireTenant(request);
    const [known] = await this.assets.existing(tenantId, [assetId]);
    if (!known) throw new CodedError(AssetErrors.assetNotFound, `no asset ${assetId}`);
    const track = await this.positions.track(tenantId, assetId, { from, to }, simplifyMeters, gapSeconds);
    return queryReply({ outcome: 'ok', result: track });
  }
}
