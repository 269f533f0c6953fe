import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { MissionAssignmentChangedV1, MissionCreatedV1, MissionTransitionedV1 } from '@meridian/contracts/missions';
import { READ_POOL } from '@meridian/read-model/data-source';
import { MissionRows } from '@meridian/read-model/missions';
import { EventHandler } from '@meridian/shared/messaging';

/**
 * Mission events into read.missions and read.mission_history. Every event carries the whole
 * mission summary, so each applies on its own when its version is newer than the row's (redelivery
 * and reordering change nothing) and always leaves its history row, once. A record that breaks its
 * contract, or whose data PostgreSQL refuses, is dead-lettered alone by the events server.
 */
@Controller()
export class MissionEventsProjector {
  private readonly rows: MissionRows;

  constructor(@Inject(READ_POOL) pool: Pool) {
    this.rows = new MissionRows(pool);
  }

  @EventHandler(MissionCreatedV1, Topics.workflowEvents)
  async created(event: Envelope<DataOf<typeof MissionCreatedV1>>): Promise<void> {
    await this.rows.created(event.data);
  }

  @EventHandler(MissionTransitionedV1, Topics.workflowEvents)
  async transitioned(event: Envelope<DataOf<typeof MissionTransitionedV1>>): Promise<void> {
    await this.rows.transitioned(event.data);
  }

  @EventHandler(MissionAssignmentChangedV1, Topics.workflowEvents)
  async assignmentChanged(event: Envelope<DataOf<typeof MissionAssignmentChangedV1>>): Promise<void> {
    await this.rows.assignmentChanged(event.data);
  }
}
