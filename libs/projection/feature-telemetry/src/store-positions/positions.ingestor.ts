import { Controller, Inject, Optional } from '@nestjs/common';
import type { Pool } from 'pg';
import { CodedError, type DataOf, type Envelope, ErrorCodes, Topics } from '@meridian/contracts/core';
import { PositionReportedV1 } from '@meridian/contracts/telemetry';
import { READ_POOL } from '@meridian/read-model/data-source';
import { type AfterWrite, type PositionRow, PositionsWriter } from '@meridian/read-model/positions';
import { Geofencer } from '@meridian/read-model/zones';
import { BatchHandler } from '@meridian/shared/messaging';

type PositionMessage = Envelope<DataOf<typeof PositionReportedV1>>;

/** A fix with the tenant of its message; a message without one can never be stored (poison). */
export function toPositionRow(message: PositionMessage): PositionRow {
  if (!message.tenantId) throw new CodedError(ErrorCodes.contractViolation, 'telemetry without tenant-id header');
  return { ...message.data, tenantId: message.tenantId };
}

/**
 * Stores each fetched batch of fixes with one statement per table and, where the projection runs
 * geofencing, checks the batch against the tenants' live zones in the same transaction. A batch
 * the database refuses is split by the messaging layer until the bad fixes stand alone and are
 * dead-lettered.
 */
@Controller()
export class PositionsIngestor {
  readonly writer: PositionsWriter;
  /** Fixes written since start; for health and benchmarks. */
  positionsWritten = 0;
  /** Geofence transitions made since start. */
  transitionsMade = 0;

  constructor(
    @Inject(READ_POOL) pool: Pool,
    @Optional() private readonly geofencer?: Geofencer,
  ) {
    this.writer = new PositionsWriter(pool);
  }

  @BatchHandler(PositionReportedV1, Topics.telemetryPositions)
  async store(messages: readonly PositionMessage[]): Promise<void> {
    const geofencer = this.geofencer;
    let made = 0;
    const afterWrite: AfterWrite | undefined = geofencer
      ? async (client, rows, newest) => {
          made = (await geofencer.onFixes(client, rows, newest)).length;
        }
      : undefined;
    const { inserted } = await this.writer.write(messages.map(toPositionRow), afterWrite);
    this.positionsWritten += inserted;
    if (made > 0) {
      this.transitionsMade += made;
      geofencer?.notifyCommitted();
    }
  }
}
