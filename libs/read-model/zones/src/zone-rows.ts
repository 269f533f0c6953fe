import type { ZoneGeometry } from '@meridian/contracts/zones';
import { qualifiedTable, type Queryable } from '@meridian/shared/event-store';

interface ZoneContent {
  readonly zoneId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly geometry: ZoneGeometry;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly sensitivity: number;
  /** The owning team (zone.*.v2); a v1 event has none. */
  readonly team?: string | null;
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

export const ZONES_TABLE = 'read.zones';

/**
 * The zone rows' statements: each event guarded by the zone stream version (a redelivered or
 * replayed event changes nothing) and the row's tenant. One statement takes many events of
 * distinct zones (a statement cannot change a row twice): the live writer passes one, a rebuild a
 * page's worth. Each answers, per event, whether it was applied. `table` is `read.zones` or, for a
 * rebuild, its shadow; geofencing is not here (see ZoneWriter).
 */
export class ZoneRows {
  readonly table: string;

  constructor(table = ZONES_TABLE) {
    this.table = qualifiedTable(table);
  }

  async created(via: Queryable, events: readonly ZoneCreated[]): Promise<boolean[]> {
    const { rows } = await via.query<{ zone_id: string }>(
      `INSERT INTO ${this.table} AS z (zone_id, tenant_id, name, kind, geom, valid_from, valid_to, sensitivity, team,
                                      version, created_at, updated_at)
       SELECT e.zone_id, e.tenant_id, e.name, e.kind, ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(e.geometry)), 4326),
              e.valid_from, e.valid_to, e.sensitivity, e.team, e.version, e.at, e.at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[],
                   $8::smallint[], $9::text[], $10::int[], $11::timestamptz[])
         AS e(zone_id, tenant_id, name, kind, geometry, valid_from, valid_to, sensitivity, team, version, at)
       ON CONFLICT (zone_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, geom = EXCLUDED.geom,
         valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, sensitivity = EXCLUDED.sensitivity,
         team = EXCLUDED.team, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
       WHERE z.version < EXCLUDED.version AND z.tenant_id = EXCLUDED.tenant_id
       RETURNING zone_id`,
      [
        events.map((e) => e.zoneId),
        events.map((e) => e.tenantId),
        events.map((e) => e.name),
        events.map((e) => e.kind),
        events.map((e) => JSON.stringify(e.geometry)),
        events.map((e) => e.validFrom),
        events.map((e) => e.validTo),
        events.map((e) => e.sensitivity),
        events.map((e) => e.team ?? null),
        events.map((e) => e.version),
        events.map((e) => e.createdAt),
      ],
    );
    return appliedOf(events, rows);
  }

  async replaced(via: Queryable, events: readonly ZoneReplaced[]): Promise<boolean[]> {
    const { rows } = await via.query<{ zone_id: string }>(
      `UPDATE ${this.table} z SET name = e.name, geom = ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(e.geometry)), 4326),
         valid_from = e.valid_from, valid_to = e.valid_to, sensitivity = e.sensitivity, team = e.team,
         version = e.version, updated_at = e.at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
                   $7::smallint[], $8::text[], $9::int[], $10::timestamptz[])
         AS e(zone_id, tenant_id, name, geometry, valid_from, valid_to, sensitivity, team, version, at)
       WHERE z.zone_id = e.zone_id AND z.tenant_id = e.tenant_id AND z.version < e.version
       RETURNING z.zone_id`,
      [
        events.map((e) => e.zoneId),
        events.map((e) => e.tenantId),
        events.map((e) => e.name),
        events.map((e) => JSON.stringify(e.geometry)),
        events.map((e) => e.validFrom),
        events.map((e) => e.validTo),
        events.map((e) => e.sensitivity),
        events.map((e) => e.team ?? null),
        events.map((e) => e.version),
        events.map((e) => e.replacedAt),
      ],
    );
    return appliedOf(events, rows);
  }

  async archived(via: Queryable, events: readonly ZoneArchived[]): Promise<boolean[]> {
    const { rows } = await via.query<{ zone_id: string }>(
      `UPDATE ${this.table} z SET archived_at = e.at, version = e.version, updated_at = e.at
       FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[]) AS e(zone_id, tenant_id, version, at)
       WHERE z.zone_id = e.zone_id AND z.tenant_id = e.tenant_id AND z.version < e.version
       RETURNING z.zone_id`,
      [
        events.map((e) => e.zoneId),
        events.map((e) => e.tenantId),
        events.map((e) => e.version),
        events.map((e) => e.archivedAt),
      ],
    );
    return appliedOf(events, rows);
  }
}

const appliedOf = (events: readonly { readonly zoneId: string }[], rows: readonly { zone_id: string }[]): boolean[] => {
  const applied = new Set(rows.map((r) => r.zone_id.toLowerCase()));
  return events.map((e) => applied.has(e.zoneId.toLowerCase()));
};
