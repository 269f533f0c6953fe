import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { CodedError, type DataOf, type Envelope, ErrorCodes, Topics } from '@meridian/contracts/core';
import { PositionReportedV1 } from '@meridian/contracts/telemetry';
import { READ_POOL } from '@meridian/read-model/data-source';
import { type PositionRow, PositionsWriter } from '@meridian/read-model/positions';
import { BatchHandler } from '@meridian/shared/messaging';

type PositionMessage = Envelope<DataOf<typeof PositionReportedV1>>;

/** A fix with the tenant of its message; a message without one can never be stored (poison). */
export function toPositionRow(message: PositionMessage): PositionRow {
  if (!message.tenantId) throw new CodedError(ErrorCodes.contractViolation, 'telemetry without tenant-id header');
  return { ...message.data, tenantId: message.tenantId };
}

/**
 * Stores each fetched batch of fixes with one statement per table. A batch the database refuses is
 * split by the messaging layer until the bad fixes stand alone and are dead-lettered.
 */
@Controller()
export class PositionsIngestor {
  readonly writer: PositionsWriter;
  /** Fixes written since start; for health and benchmarks. */
  positionsWritten = 0;

  constructor(@Inject(READ_POOL) pool: Pool) {
    this.writer = new PositionsWriter(pool);
  }

  @BatchHandler(PositionReportedV1, Topics.telemetryPositions)
  async store(messages: readonly PositionMessage[]): Promise<void> {
    const { inserted } = await this.writer.write(messages.map(toPositionRow));
    this.positionsWritten += inserted;
  }
}
