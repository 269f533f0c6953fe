import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { AssetRegisteredV1, AssetRegisteredV2, AssetStatusChangedV1 } from '@meridian/contracts/assets';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { READ_POOL } from '@meridian/read-model/data-source';
import { AssetLatestWriter } from '@meridian/read-model/assets';
import { EventHandler } from '@meridian/shared/messaging';

/**
 * Projects workflow integration events into asset_latest. Each write carries the stream version
 * and applies only if newer, so redelivery and replay change nothing. Types it does not know are
 * skipped by the server: the events topic grows new types and an old projector must keep going.
 */
@Controller()
export class AssetEventsProjector {
  private readonly writer: AssetLatestWriter;

  constructor(@Inject(READ_POOL) pool: Pool) {
    this.writer = new AssetLatestWriter(pool);
  }

  /** With its access attributes: what the read filters compare with a principal. */
  @EventHandler(AssetRegisteredV2, Topics.workflowEvents)
  async registered(event: Envelope<DataOf<typeof AssetRegisteredV2>>): Promise<void> {
    const { assetId, tenantId, name, kind, status, version, sensitivity, team } = event.data;
    await this.writer.applyRegistration({ assetId, tenantId, name, kind, status, version, sensitivity, team });
  }

  /** Published before v2 (still on the topic): a public asset of no team, as workflow reads it now. */
  @EventHandler(AssetRegisteredV1, Topics.workflowEvents)
  async registeredV1(event: Envelope<DataOf<typeof AssetRegisteredV1>>): Promise<void> {
    const { assetId, tenantId, name, kind, status, version } = event.data;
    await this.writer.applyRegistration({ assetId, tenantId, name, kind, status, version, sensitivity: 0, team: null });
  }

  @EventHandler(AssetStatusChangedV1, Topics.workflowEvents)
  async statusChanged(event: Envelope<DataOf<typeof AssetStatusChangedV1>>): Promise<void> {
    const { assetId, tenantId, status, version } = event.data;
    await this.writer.applyStatus(assetId, tenantId, status, version);
  }
}
