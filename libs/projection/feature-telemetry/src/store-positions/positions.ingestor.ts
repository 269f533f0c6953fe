import { Controller, Inject, Optional } from '@nestjs/common';
import type { Pool } from 'pg';
import { CodedError, type DataOf, type Envelope, ErrorCodes, Topics } from '@meridian/contracts/core';
import { PositionBatchReportedV1, PositionReportedV1 } from '@meridian/contracts/telemetry';
import { READ_POOL } from '@meridian/read-model/data-source';
import { type PositionRow, PositionsWriter } from '@meridian/read-model/positions';
import { Geofencer } from '@meridian/read-model/zones';
import { BatchHandler } from '@meridian/shared/messaging';
import { METRICS, type ServiceMetrics } from '@meridian/shared/metrics';

/** The H3 resolutions whose fix counts per hour are kept (heatmaps); none when not provided. */
export const CELL_RESOLUTIONS = Symbol('CELL_RESOLUTIONS');

type PositionMessage = Envelope<DataOf<typeof PositionReportedV1>>;
type PositionBatchMessage = Envelope<DataOf<typeof PositionBatchReportedV1>>;

const tenantOf = (message: Envelope): string => {
  if (!message.tenantId) throw new CodedError(ErrorCodes.contractViolation, 'telemetry without tenant-id header');
  return message.tenantId;
};

/** A fix with the tenant of its message; a message without one can never be stored (poison). */
export function toPositionRow(message: PositionMessage): PositionRow {
  return { ...message.data, tenantId: tenantOf(message) };
}

/** The fixes of position-batch messages, in message order, each with its message's tenant. */
export function toPositionRows(messages: readonly PositionBatchMessage[]): PositionRow[] {
  return messages.flatMap((m) => {
    const tenantId = tenantOf(m);
    return m.data.fixes.map((fix) => ({ ...fix, tenantId }));
  });
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
    @Optional() @Inject(CELL_RESOLUTIONS) cellResolutions: readonly number[] = [],
    @Optional() @Inject(METRICS) private readonly metrics?: ServiceMetrics,
  ) {
    this.writer = new PositionsWriter(pool, cellResolutions);
  }

  @BatchHandler(PositionReportedV1, Topics.telemetryPositions)
  async store(messages: readonly PositionMessage[]): Promise<void> {
    await this.storeRows(messages.map(toPositionRow));
  }

  /** Many fixes per message (what the gateway sends): one write for every fix of the fetched batch. */
  @BatchHandler(PositionBatchReportedV1, Topics.telemetryPositions)
  async storeBatches(messages: readonly PositionBatchMessage[]): Promise<void> {
    await this.storeRows(toPositionRows(messages));
  }

  private async storeRows(rows: readonly PositionRow[]): Promise<void> {
    const geofencer = this.geofencer;
    let made = 0;
    let entered = 0;
    const hook = geofencer?.hook((transitions) => {
      made = transitions.length;
      entered = transitions.filter((t) => t.type === 'entered').length;
    });
    const { inserted } = await this.writer.write(rows, hook);
    this.positionsWritten += inserted;
    // Counted once the batch committed (a refused batch is split and written again), by batch size.
    const metrics = this.metrics;
    if (metrics) {
      metrics.telemetry.written.inc(inserted);
      if (geofencer) metrics.geofence.evaluations.inc(rows.length);
      metrics.geofence.entered.inc(entered);
      metrics.geofence.exited.inc(made - entered);
    }
    if (made > 0) {
      this.transitionsMade += made;
      geofencer?.notifyCommitted();
    }
  }
}
