import type { PoolClient } from 'pg';
import type { GeofenceCause } from '@meridian/contracts/zones';
import type { PgEventStore } from '@meridian/shared/event-store';
import { epochMicros, type WriteHook } from '@meridian/read-model/positions';
import { ZoneIndex } from './zone-index';
import { type FixInZones, fixTransitions, type Transition, transitionId, visitChanges } from './geofence-transitions';

export type GeofenceIndexKind = 'memory' | 'sql';

/** A stored fix as the geofence sees it. */
export interface GeofenceFix {
  readonly tenantId: string;
  readonly assetId: string;
  readonly ts: string;
  readonly lon: number;
  readonly lat: number;
}

/** An asset's newest fix before the batch, from its asset_latest row (locked by the caller). */
export interface NewestFix {
  readonly tenantId: string;
  /** Epoch microseconds; null before the asset's first fix. */
  readonly tsMicros: number | null;
}

/** Domain event types of the geofence event store (schema `geofence`, one stream per asset). */
export const GeofenceEventTypes = { entered: 'geofence.entered.v1', exited: 'geofence.exited.v1' } as const;
export const geofenceStreamId = (assetId: string): string => `geofence-${assetId}`;

/** SQL: a zone counts at instant `$t` when it is not archived and its validity window holds `$t`. */
const validAt = (t: string): string =>
  `z.archived_at IS NULL AND (z.valid_from IS NULL OR z.valid_from <= ${t})
   AND (z.valid_to IS NULL OR ${t} < z.valid_to)`;

/**
 * Live geofencing. Every method runs on the caller's client inside the caller's transaction — the
 * one that stores the fixes or the zone change — so stays (zone_visits) and transition events
 * (the `geofence` event store, whose relay publishes them) commit with what caused them, exactly
 * once. Batches of fixes and zone changes of one tenant never overlap: both take the tenant's
 * geofence lock first (`hook`, `lockTenant`).
 */
export class Geofencer {
  private readonly index: ZoneIndex | null;

  /**
   * `index`: where fixes meet zones — `memory` (an R-tree of each tenant's zones, ZoneIndex; the
   * default) or `sql` (one spatial join per batch on the GiST index). Both give the same answers
   * (the geofencing tests run with each); ADR 0017 has the measurements.
   */
  constructor(
    private readonly events: PgEventStore,
    options: { readonly index?: GeofenceIndexKind } = {},
  ) {
    this.index = (options.index ?? 'memory') === 'memory' ? new ZoneIndex() : null;
  }

  /**
   * Transitions caused by a batch of fixes (arrival order, already stored). Fixes not newer than
   * their asset's newest are stored but move nothing; a fix of an asset owned by another tenant
   * (`newest` says whose) is ignored.
   */
  async onFixes(
    client: PoolClient,
    fixes: readonly GeofenceFix[],
    newest: ReadonlyMap<string, NewestFix>,
    /** Each fix's instant in epoch microseconds, aligned with `fixes` (computed when not given). */
    microsOf: readonly number[] = fixes.map((f) => epochMicros(f.ts)),
  ): Promise<Transition[]> {
    const candidates: (GeofenceFix & { readonly micros: number })[] = [];
    fixes.forEach((f, i) => {
      const before = newest.get(f.assetId);
      const micros = microsOf[i];
      const tenantOk = !before || before.tenantId === f.tenantId;
      if (tenantOk && (!before || before.tsMicros === null || micros > before.tsMicros))
        candidates.push({ ...f, micros });
    });
    if (candidates.length === 0) return [];
    const zonesOf = await this.zonesContaining(client, candidates);
    const assetIds = [...new Set(candidates.map((f) => f.assetId))];
    const inside = await this.openStays(client, assetIds);
    const newestMicros = new Map<string, number>();
    for (const [assetId, n] of newest) if (n.tsMicros !== null) newestMicros.set(assetId, n.tsMicros);
    const withZones: FixInZones[] = candidates.map((f, i) => ({ ...f, zoneIds: zonesOf[i] ?? [] }));
    const transitions = fixTransitions(withZones, inside, newestMicros);
    await this.record(client, transitions);
    return transitions;
  }

  /**
   * After a zone changed (created, replaced, archived, validity opened or closed): the assets whose
   * newest position is in it, or who are in it by their open stays, enter or leave as the zone now
   * says at instant `at`. The caller holds the tenant's lock (`lockTenant`). The transition time is
   * `at`, or the asset's newest fix when that is later.
   */
  async onZoneChange(
    client: PoolClient,
    zoneId: string,
    at: string,
    cause: GeofenceCause,
    causeKey: string,
  ): Promise<Transition[]> {
    const { rows } = await client.query<{
      asset_id: string;
      tenant_id: string;
      lon: number | null;
      lat: number | null;
      at: string;
      should: boolean;
      inside: boolean;
    }>(
      `WITH z AS (SELECT * FROM read.zones WHERE zone_id = $1),
            candidates AS (
              SELECT l.asset_id FROM read.asset_latest l, z
              WHERE l.tenant_id = z.tenant_id AND ST_Intersects(z.geom, l.geom)
              UNION
              SELECT asset_id FROM read.zone_visits WHERE zone_id = $1 AND exited_at IS NULL)
       SELECT l.asset_id, l.tenant_id, ST_X(l.geom) AS lon, ST_Y(l.geom) AS lat,
              to_char(greatest($2::timestamptz, l.ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
              (${validAt('$2::timestamptz')} AND l.tenant_id = z.tenant_id AND ST_Intersects(z.geom, l.geom))
                IS TRUE AS should,
              EXISTS (SELECT 1 FROM read.zone_visits v
                      WHERE v.zone_id = $1 AND v.asset_id = l.asset_id AND v.exited_at IS NULL) AS inside
       FROM read.asset_latest l JOIN candidates c USING (asset_id) CROSS JOIN z
       ORDER BY l.asset_id`,
      [zoneId, at],
    );
    const transitions: Transition[] = [];
    for (const r of rows) {
      if (r.should === r.inside || r.lon === null || r.lat === null) continue;
      const ts = r.at.replace(/(\.\d{3})000Z$/, '$1Z');
      const type = r.should ? ('entered' as const) : ('exited' as const);
      const t = { type, tenantId: r.tenant_id, assetId: r.asset_id, zoneId, ts, lon: r.lon, lat: r.lat, cause };
      transitions.push({ ...t, id: transitionId(t, causeKey) });
    }
    await this.record(client, transitions);
    return transitions;
  }

  /**
   * The fixes' side of the geofence's tenant lock: shared, taken first in the transaction that
   * stores a batch (before any asset row is locked), for every tenant of the batch. A zone change
   * takes the same lock exclusively (`lockTenant`). So a batch and a zone change of one tenant
   * never overlap: whichever comes second waits for the first to commit and then sees it — the
   * batch checks its fixes against the changed zone, or the zone change sees the batch's newest
   * positions and stays. Shared locks do not wait for each other: batches of many partitions still
   * run at once.
   */
  hook(onTransitions?: (transitions: readonly Transition[]) => void): WriteHook {
    return {
      before: async (client, rows) => {
        const tenants = [...new Set(rows.map((r) => r.tenantId))];
        await client.query(
          `SELECT pg_advisory_xact_lock_shared(k)
           FROM (SELECT DISTINCT hashtext('meridian.geofence:' || t) AS k FROM unnest($1::text[]) AS t) keys
           ORDER BY k`,
          [tenants],
        );
      },
      after: async (client, rows, newest, micros) => {
        const transitions = await this.onFixes(client, rows, newest, micros);
        onTransitions?.(transitions);
      },
    };
  }

  /** The zone change's side of the tenant lock (exclusive): see `hook`. */
  async lockTenant(client: PoolClient, tenantId: string): Promise<void> {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('meridian.geofence:' || $1))`, [tenantId]);
  }

  /** Wakes the relay after the caller committed transitions (it would find them on its next poll too). */
  committed(transitions: readonly Transition[]): void {
    if (transitions.length > 0) this.notifyCommitted();
  }

  notifyCommitted(): void {
    this.events.notifyAppended();
  }

  /** For each fix (by index), the live zones of its tenant that contain it at its time. */
  private async zonesContaining(client: PoolClient, fixes: readonly GeofenceFix[]): Promise<string[][]> {
    if (this.index) return this.index.containing(client, fixes);
    const { rows } = await client.query<{ i: number; zone_id: string }>(
      `SELECT f.i::int AS i, z.zone_id
       FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[]) WITH ORDINALITY AS f(t, ts, lon, lat, i)
       JOIN read.zones z ON z.tenant_id = f.t AND ${validAt('f.ts')}
         AND ST_Intersects(z.geom, ST_SetSRID(ST_MakePoint(f.lon, f.lat), 4326))`,
      [fixes.map((f) => f.tenantId), fixes.map((f) => f.ts), fixes.map((f) => f.lon), fixes.map((f) => f.lat)],
    );
    const out: string[][] = fixes.map(() => []);
    for (const r of rows) out[r.i - 1].push(r.zone_id);
    return out.map((ids) => ids.sort());
  }

  private async openStays(client: PoolClient, assetIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const { rows } = await client.query<{ asset_id: string; zone_id: string }>(
      `SELECT asset_id, zone_id FROM read.zone_visits WHERE asset_id = ANY($1::uuid[]) AND exited_at IS NULL`,
      [assetIds],
    );
    const inside = new Map<string, Set<string>>();
    for (const r of rows) {
      const set = inside.get(r.asset_id) ?? new Set<string>();
      set.add(r.zone_id);
      inside.set(r.asset_id, set);
    }
    return inside;
  }

  /** Stays closed and opened, then the transition events, in order per asset. */
  private async record(client: PoolClient, transitions: readonly Transition[]): Promise<void> {
    if (transitions.length === 0) return;
    const { open, close } = visitChanges(transitions);
    if (close.length > 0) {
      await client.query(
        `UPDATE read.zone_visits v SET exited_at = c.exited_at
         FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS c(zone_id, asset_id, exited_at)
         WHERE v.zone_id = c.zone_id AND v.asset_id = c.asset_id AND v.exited_at IS NULL`,
        [close.map((c) => c.zoneId), close.map((c) => c.assetId), close.map((c) => c.exitedAt)],
      );
    }
    if (open.length > 0) {
      await client.query(
        // Entered again at the instant a stay began and ended (zone changes between two fixes both
        // take the fix's time): that stay is open again.
        `INSERT INTO read.zone_visits AS v (tenant_id, zone_id, asset_id, entered_at, exited_at)
         SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::timestamptz[])
         ON CONFLICT (zone_id, entered_at, asset_id) DO UPDATE SET exited_at = EXCLUDED.exited_at`,
        [
          open.map((o) => o.tenantId),
          open.map((o) => o.zoneId),
          open.map((o) => o.assetId),
          open.map((o) => o.enteredAt),
          open.map((o) => o.exitedAt),
        ],
      );
    }
    await this.events.appendToStreams(
      transitions.map(({ id, type, ...data }) => ({
        id,
        streamId: geofenceStreamId(data.assetId),
        type: GeofenceEventTypes[type],
        data,
        metadata: { tenantId: data.tenantId },
      })),
      client,
    );
  }
}
