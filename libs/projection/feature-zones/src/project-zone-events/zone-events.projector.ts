import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import {
  ZoneArchivedV1,
  ZoneCreatedV1,
  ZoneCreatedV2,
  ZoneReplacedV1,
  ZoneReplacedV2,
} from '@meridian/contracts/zones';
import { READ_POOL } from '@meridian/read-model/data-source';
import { Geofencer, ZoneWriter } from '@meridian/read-model/zones';
import { EventHandler } from '@meridian/shared/messaging';

/**
 * Zone events into read.zones, each with its geofence consequences in the same transaction: the
 * assets a new, replaced or archived zone now contains or no longer contains enter or exit. Each
 * write carries the zone stream version and applies only if newer, so redelivery changes nothing.
 * v1 events (published before zones had a team, still on the topic) are zones of no team.
 */
@Controller()
export class ZoneEventsProjector {
  private readonly writer: ZoneWriter;

  constructor(@Inject(READ_POOL) pool: Pool, geofencer: Geofencer) {
    this.writer = new ZoneWriter(pool, geofencer);
  }

  @EventHandler(ZoneCreatedV2, Topics.workflowEvents)
  async created(event: Envelope<DataOf<typeof ZoneCreatedV2>>): Promise<void> {
    await this.writer.created(event.data);
  }

  @EventHandler(ZoneCreatedV1, Topics.workflowEvents)
  async createdV1(event: Envelope<DataOf<typeof ZoneCreatedV1>>): Promise<void> {
    await this.writer.created({ ...event.data, team: null });
  }

  @EventHandler(ZoneReplacedV2, Topics.workflowEvents)
  async replaced(event: Envelope<DataOf<typeof ZoneReplacedV2>>): Promise<void> {
    await this.writer.replaced(event.data);
  }

  @EventHandler(ZoneReplacedV1, Topics.workflowEvents)
  async replacedV1(event: Envelope<DataOf<typeof ZoneReplacedV1>>): Promise<void> {
    await this.writer.replaced({ ...event.data, team: null });
  }

  @EventHandler(ZoneArchivedV1, Topics.workflowEvents)
  async archived(event: Envelope<DataOf<typeof ZoneArchivedV1>>): Promise<void> {
    await this.writer.archived(event.data);
  }
}
