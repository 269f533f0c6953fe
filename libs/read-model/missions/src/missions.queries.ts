import type { Pool } from 'pg';
import type { Bbox } from '@meridian/contracts/core';
import type { Mission, MissionArea, MissionHistoryEntry, MissionTransition } from '@meridian/contracts/missions';
import { type ReadScope, rowFilter } from '@meridian/read-model/assets';
import type { FilterColumns, Permission } from '@meridian/shared/policy';

/** A mission as the read model holds it: the Mission shape but for `allowedEvents`, which depend on who asks. */
export interface MissionView extends Omit<Mission, 'allowedEvents'> {
  readonly tenantId: string;
  /** The events the current state accepts from people, with what each needs (the newest event's). */
  readonly transitions: MissionTransition[];
}

export interface MissionFilter {
  readonly state?: string;
  readonly bbox?: Bbox;
  /** The window `[from, to)` a mission's window must overlap; either end may be open. */
  readonly from?: string;
  readonly to?: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly after: string | null;
}

interface MissionRow {
  id: string;
  tenant_id: string;
  title: string;
  state: string;
  done: boolean;
  version: number;
  definition_key: string;
  definition_version: number;
  priority: number;
  area: string;
  window_start: Date;
  window_end: Date;
  deadline: Date;
  asset_ids: string[];
  assignment: Mission['assignment'];
  transitions: MissionTransition[];
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

interface HistoryRow {
  version: number | null;
  kind: string;
  event: string | null;
  from_state: string | null;
  to_state: string;
  actor: string;
  cause: string | null;
  reason: string | null;
  asset_ids: string[];
  at: Date;
}

const columns = `id, tenant_id, title, state, done, version, definition_key, definition_version, priority,
  ST_AsGeoJSON(area) AS area, lower("window") AS window_start, upper("window") AS window_end, deadline, asset_ids,
  assignment, transitions, created_by, created_at, updated_at`;

const toView = (r: MissionRow): MissionView => ({
  id: r.id,
  tenantId: r.tenant_id,
  title: r.title,
  state: r.state,
  done: r.done,
  version: r.version,
  definition: { key: r.definition_key, version: r.definition_version },
  priority: r.priority,
  area: JSON.parse(r.area) as MissionArea,
  window: { start: r.window_start.toISOString(), end: r.window_end.toISOString() },
  deadline: r.deadline.toISOString(),
  assetIds: r.asset_ids,
  assignment: r.assignment,
  transitions: r.transitions,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const toEntry = (r: HistoryRow & { version: number }): MissionHistoryEntry => ({
  version: r.version,
  kind: r.kind,
  event: r.event,
  from: r.from_state,
  to: r.to_state,
  actor: r.actor,
  cause: r.cause,
  reason: r.reason,
  assetIds: r.asset_ids,
  at: r.at.toISOString(),
});

/** `limit + 1` rows were asked for: the extra one says whether another page follows. */
function page<R, T>(rows: readonly R[], limit: number, map: (r: R) => T, key: (r: R) => string): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(map), after: more ? key(kept[kept.length - 1]) : null };
}

const MIN_UUID = '00000000-0000-0000-0000-000000000000';

/** A mission is what `missions:read` is about. */
const READ: Permission = 'missions:read';

/**
 * A mission as a policy resource: its tenant, its area as its location; missions have no
 * sensitivity or team (sensitivity 0, no team, as `decide` reads a resource without them).
 */
export const missionColumns = (alias = ''): FilterColumns => ({
  tenant: `${alias}tenant_id`,
  geom: `${alias}area`,
  sensitivity: null,
  team: null,
});

/** True when `[from, to)` holds no instant: it overlaps nothing (and tstzrange would refuse from > to). */
const emptyWindow = ({ from, to }: MissionFilter): boolean =>
  from !== undefined && to !== undefined && !(Date.parse(from) < Date.parse(to));

/**
 * Reads of read.missions and read.mission_history, all scoped to the caller's tenant and filtered
 * by the principal's row filter for `missions:read` (nothing for an unrestricted one: then the
 * plans are those without the policy); keyset-paged.
 */
export class MissionQueries {
  constructor(private readonly pool: Pool) {}

  /** One mission, if the scope may see it. */
  async get(scope: ReadScope, missionId: string): Promise<MissionView | null> {
    const filter = rowFilter(scope, READ, missionColumns(), 3);
    const { rows } = await this.pool.query<MissionRow>(
      `SELECT ${columns} FROM read.missions WHERE id = $1 AND tenant_id = $2${filter.sql}`,
      [missionId, scope.principal.tenantId, ...filter.params],
    );
    return rows[0] ? toView(rows[0]) : null;
  }

  /**
   * Missions the scope may see, in a state, whose area intersects `bbox` and whose window overlaps
   * `[from, to)` (`&&` of half-open ranges: a window ending at `from` or starting at `to` does not),
   * each filter when given, in id order after `after`.
   */
  async list(scope: ReadScope, filter: MissionFilter, limit: number, after?: string): Promise<Page<MissionView>> {
    if (emptyWindow(filter)) return { items: [], after: null };
    const params: unknown[] = [scope.principal.tenantId, after ?? MIN_UUID, limit + 1];
    const param = (value: unknown): string => `$${params.push(value)}`;
    let where = '';
    if (filter.state !== undefined) where += ` AND state = ${param(filter.state)}`;
    if (filter.bbox) {
      const [minLon, minLat, maxLon, maxLat] = filter.bbox.map(param);
      where += ` AND ST_Intersects(area, ST_MakeEnvelope(${minLon}, ${minLat}, ${maxLon}, ${maxLat}, 4326))`;
    }
    if (filter.from !== undefined || filter.to !== undefined) {
      const [from, to] = [param(filter.from ?? null), param(filter.to ?? null)];
      where += ` AND "window" && tstzrange(${from}::timestamptz, ${to}::timestamptz, '[)')`;
    }
    const policy = rowFilter(scope, READ, missionColumns(), params.length + 1);
    const { rows } = await this.pool.query<MissionRow>(
      `SELECT ${columns} FROM read.missions
       WHERE tenant_id = $1 AND id > $2::uuid${where}${policy.sql}
       ORDER BY id LIMIT $3`,
      [...params, ...policy.params],
    );
    return page(rows, limit, toView, (r) => r.id);
  }

  /**
   * A mission's history by version after `after`; null when the scope may not see the mission (or
   * there is none), so that a hidden mission's history is as not found as the mission.
   */
  async history(
    scope: ReadScope,
    missionId: string,
    limit: number,
    after = 0,
  ): Promise<Page<MissionHistoryEntry> | null> {
    const filter = rowFilter(scope, READ, missionColumns(), 5);
    const { rows } = await this.pool.query<HistoryRow>(
      `WITH m AS (SELECT id, tenant_id FROM read.missions WHERE id = $1 AND tenant_id = $2${filter.sql})
       SELECT h.version, h.kind, h.event, h.from_state, h.to_state, h.actor, h.cause, h.reason, h.asset_ids, h.at
       FROM m LEFT JOIN LATERAL (
         SELECT * FROM read.mission_history h
         WHERE h.mission_id = m.id AND h.tenant_id = m.tenant_id AND h.version > $3
         ORDER BY h.version LIMIT $4
       ) h ON true
       ORDER BY h.version`,
      [missionId, scope.principal.tenantId, after, limit + 1, ...filter.params],
    );
    if (rows.length === 0) return null;
    const entries = rows.filter((r): r is HistoryRow & { version: number } => r.version !== null);
    return page(entries, limit, toEntry, (r) => String(r.version));
  }
}
