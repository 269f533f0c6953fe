import type { Pool, PoolClient } from 'pg';
import type { GeofenceCause, ZoneGeometry } from '@meridian/contracts/zones';
import { inTransaction } from '@meridian/shared/event-store';
import type { Transition } from './geofence-transitions';
import type { Geofencer } from './geofencer';

interface ZoneContent {
  readonly zoneId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly geometry: ZoneGeometry;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly sensitivity: number;
  readonly version: number;
}

export type ZoneCreated = ZoneContent & { readonly kind: string; readonly createdAt: string };
export type ZoneReplaced = ZoneContent & { readonly replacedAt: string };
export interface ZoneArchived {
  readonly zoneId: string;
  readonly tenantId: string;
  readonly version: number;
  readonly archivedAt: string;
}

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
  constructor(
    private readonly pool: Pool,
    private readonly geofencer: Geofencer,
  ) {}

  /** True when applied (false: the row is as new already, or the zone belongs to another tenant). */
  async created(e: ZoneCreated): Promise<boolean> {
    return this.change(e.zoneId, e.createdAt, 'zone-created', e.version, (client) =>
      client.query(
        `INSERT INTO read.zones AS z (zone_id, tenant_id, name, kind, geom, valid_from, valid_to, sensitivity, version,
                                      created_at, updated_at)
         VALUES ($1, $2, $3, $4, ST_SetSRID(ST_GeomFromGeoJSON($5), 4326), $6, $7, $8, $9, $10, $10)
         ON CONFLICT (zone_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, geom = EXCLUDED.geom,
           valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, sensitivity = EXCLUDED.sensitivity,
           version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
         WHERE z.version < EXCLUDED.version AND z.tenant_id = EXCLUDED.tenant_id
         RETURNING zone_id`,
        [
          e.zoneId,
          e.tenantId,
          e.name,
          e.kind,
          JSON.stringify(e.geometry),
          e.validFrom,
          e.validTo,
          e.sensitivity,
          e.version,
          e.createdAt,
        ],
      ),
    );
  }

  async replaced(e: ZoneReplaced): Promise<boolean> {
    return this.change(e.zoneId, e.replacedAt, 'zone-replaced', e.version, (client) =>
      client.query(
        `UPDATE read.zones SET name = $3, geom = ST_SetSRID(ST_GeomFromGeoJSON($4), 4326), valid_from = $5,
           valid_to = $6, sensitivity = $7, version = $8, updated_at = $9
         WHERE zone_id = $1 AND tenant_id = $2 AND version < $8
         RETURNING zone_id`,
        [
          e.zoneId,
          e.tenantId,
          e.name,
          JSON.stringify(e.geometry),
          e.validFrom,
          e.validTo,
          e.sensitivity,
          e.version,
          e.replacedAt,
        ],
      ),
    );
  }

  async archived(e: ZoneArchived): Promise<boolean> {
    return this.change(e.zoneId, e.archivedAt, 'zone-archived', e.version, (client) =>
      client.query(
        `UPDATE read.zones SET archived_at = $3, version = $4, updated_at = $3
         WHERE zone_id = $1 AND tenant_id = $2 AND version < $4
         RETURNING zone_id`,
        [e.zoneId, e.tenantId, e.archivedAt, e.version],
      ),
    );
  }

  /**
   * Zones whose validity window opened or closed by `now` (see `due`): each is re-evaluated
   * (entries when it opened, exits when it closed) in its own transaction. Returns the transitions made.
   */
  async validityTick(now: Date): Promise<Transition[]> {
    const at = now.toISOString();
    const { rows } = await this.pool.query<{ zone_id: string }>(`SELECT zone_id FROM read.zones z WHERE ${due('$1')}`, [
      at,
    ]);
    const all: Transition[] = [];
    for (const { zone_id: zoneId } of rows) {
      const transitions = await this.inTransaction(async (client) => {
        // Another replica may have done it meanwhile: check again under the zone's row lock.
        const { rowCount } = await client.query(
          `SELECT 1 FROM read.zones z WHERE zone_id = $1 AND ${due('$2')} FOR UPDATE`,
          [zoneId, at],
        );
        if (!rowCount) return [];
        return this.reevaluate(client, zoneId, at, 'validity', at);
      });
      all.push(...transitions);
    }
    return all;
  }

  private async change(
    zoneId: string,
    at: string,
    cause: GeofenceCause,
    version: number,
    write: (client: PoolClient) => Promise<{ rowCount: number | null }>,
  ): Promise<boolean> {
    let applied = false;
    await this.inTransaction(async (client) => {
      applied = ((await write(client)).rowCount ?? 0) > 0;
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
