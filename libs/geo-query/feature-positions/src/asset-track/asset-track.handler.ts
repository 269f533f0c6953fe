import { Controller } from '@nestjs/common';
import { AssetErrors, AssetTrackV1 } from '@meridian/contracts/assets';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { AssetQueries, readScope } from '@meridian/read-model/assets';
import { PositionQueries } from '@meridian/read-model/positions';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/**
 * The track of one asset in a window: of its fixes the principal may see (`positions:read`: each
 * fix's point against its region). An asset unknown to the tenant, or whose sensitivity or team the
 * principal may not see, is 404; one without (visible) fixes a null geometry.
 */
@Controller()
export class AssetTrackHandler {
  constructor(
    private readonly positions: PositionQueries,
    private readonly assets: AssetQueries,
  ) {}

  @QueryHandler(AssetTrackV1, Topics.geoQueryRequests)
  async track(request: Envelope<DataOf<typeof AssetTrackV1>>): Promise<ReplyBody> {
    const { assetId, from, to, simplifyMeters, gapSeconds } = request.data;
    const scope = readScope(requirePrincipal(request));
    const known = await this.assets.known(scope, 'positions:read', assetId);
    if (!known) throw new CodedError(AssetErrors.assetNotFound, `no asset ${assetId}`);
    const track = await this.positions.track(scope, assetId, { from, to }, simplifyMeters, gapSeconds);
    return queryReply({ outcome: 'ok', result: track });
  }
}
