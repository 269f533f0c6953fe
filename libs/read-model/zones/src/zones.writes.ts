import type { Pool, PoolClient } from 'pg';
import type { GeofenceCause } from '@meridian/contracts/zones';
import { inTransaction } from '@meridian/shared/event-store';
import type { Transition } from './geofence-transitions';
import type { Geofencer } from './geofencer';
import { type ZoneArchived, type ZoneCreated, type ZoneReplaced, ZoneRows } from './zone-rows';

const validAt = (t: string): string =>
  `((z.valid_from IS NULL OR z.valid_from <= ${t}) AND (z.valid_to IS NULL OR ${t} < z.valid_to))`;

/**
 * SQL: a live zone the validity schedule must look at, at instant `t`: its window opened since it
 * was last evaluated (assets already inside enter), or it is closed and still has assets inside
 * (entered by fixes while it was open).
 */
const due = (t: string): string =>
  `z.archived_at IS NULL AND ((${validAt(t)} AND NOT z.evaluated_active) OR (NOT ${validAt(t)} AND EXISTS (
     SELECT 1 FROM read.zone_visits v WHERE v.zone_id = z.zone_id AND v.exited_at IS NULL)))`;

/**
 * Zone events into read.zones, each guarded by the zone stream version (a redelivered or replayed
 * event changes nothing and re-evaluates nobody), and the geofence consequences of each change in
 * the same transaction. Also the validity schedule: zones whose window opened or closed since
 * geofencing last looked.
 */
export class ZoneWriter {
  /** The version-guarded statements, shared with the rebuild (which writes them without geofencing). */
  private readonly rows = new ZoneRows();

  constructor(
    private readonly pool: Pool,
    private readonly geofencer: Geofencer,
  ) {}

  /** True when applied (false: the row is as new already, or the zone belongs to another tenant). */
  async created(e: ZoneCreated): Promise<boolean> {
    return this.change(e, e.createdAt, 'zone-created', (client) => this.rows.created(client, [e]));
  }

  async replaced(e: ZoneReplaced): Promise<boolean> {
    return this.change(e, e.replacedAt, 'zone-replaced', (client) => this.rows.replaced(client, [e]));
  }

  async archived(e: ZoneArchived): Promise<boolean> {
    return this.change(e, e.archivedAt, 'zone-archived', (client) => this.rows.archived(client, [e]));
  }

  /**
   * Zones whose validity window opened or closed by `now` (see `due`): each is re-evaluated in its
   * own transaction — entries at `validFrom`, exits at `validTo` (or the asset's newest fix, when
   * later). Returns the transitions made.
   */
  async validityTick(now: Date): Promise<Transition[]> {
    const at = now.toISOString();
    const { rows } = await this.pool.query<{ zone_id: string; tenant_id: string }>(
      `SELECT zone_id, tenant_id FROM read.zones z WHERE ${due('$1')}`,
      [at],
    );
    const all: Transition[] = [];
    for (const { zone_id: zoneId, tenant_id: tenantId } of rows) {
      const transitions = await this.inTransaction(async (client) => {
        await this.geofencer.lockTenant(client, tenantId);
        // Another replica may have done it meanwhile: check again under the zone's row lock. The
        // transitions happen at the instant the window opened or closed, not when the tick ran.
        const { rows: boundaries } = await client.query<{ boundary: string }>(
          `SELECT to_char(CASE WHEN ${validAt('$2::timestamptz')} THEN coalesce(z.valid_from, $2::timestamptz)
                               ELSE coalesce(z.valid_to, $2::timestamptz) END AT TIME ZONE 'UTC',
                          'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS boundary
           FROM read.zones z WHERE zone_id = $1 AND ${due('$2::timestamptz')} FOR UPDATE`,
          [zoneId, at],
        );
        if (boundaries.length === 0) return [];
        const boundary = boundaries[0].boundary;
        return this.reevaluate(client, zoneId, boundary, 'validity', boundary);
      });
      all.push(...transitions);
    }
    return all;
  }

  private async change(
    zone: { readonly zoneId: string; readonly tenantId: string; readonly version: number },
    at: string,
    cause: GeofenceCause,
    write: (client: PoolClient) => Promise<boolean[]>,
  ): Promise<boolean> {
    const { zoneId, version } = zone;
    let applied = false;
    await this.inTransaction(async (client) => {
      // No fixes of the tenant are being geofenced meanwhile, and every statement after this one
      // sees those committed before (see Geofencer.lockTenant).
      await this.geofencer.lockTenant(client, zone.tenantId);
      [applied] = await write(client);
      return applied ? this.reevaluate(client, zoneId, at, cause, `v${version}`) : [];
    });
    return applied;
  }

  private async reevaluate(
    client: PoolClient,
    zoneId: string,
    at: string,
    cause: GeofenceCause,
    causeKey: string,
  ): Promise<Transition[]> {
    const transitions = await this.geofencer.onZoneChange(client, zoneId, at, cause, causeKey);
    await client.query(
      `UPDATE read.zones z SET evaluated_active = (z.archived_at IS NULL AND ${validAt('$2::timestamptz')})
       WHERE zone_id = $1`,
      [zoneId, at],
    );
    return transitions;
  }

  private async inTransaction(work: (client: PoolClient) => Promise<Transition[]>): Promise<Transition[]> {
    const client = await this.pool.connect();
    try {
      const transitions = await inTransaction(client, () => work(client));
      this.geofencer.committed(transitions);
      return transitions;
    } finally {
      client.release();
    }
  }
}
