import type { DataOf } from '@meridian/contracts/core';
import type { MissionAssignmentChangedV1, MissionCreatedV1, MissionTransitionedV1 } from '@meridian/contracts/missions';
import type { Queryable } from '@meridian/shared/event-store';

export type MissionCreated = DataOf<typeof MissionCreatedV1>;
export type MissionTransitioned = DataOf<typeof MissionTransitionedV1>;
export type MissionAssignmentChanged = DataOf<typeof MissionAssignmentChangedV1>;

/** A history row's kind: which event made that version of the mission. */
export type MissionHistoryKind = 'created' | 'transitioned' | 'assignment-changed';

/** What a history row says beyond the mission id, tenant and version ($1–$3 of every statement). */
interface HistoryFacts {
  readonly kind: MissionHistoryKind;
  readonly event: string | null;
  readonly from: string | null;
  readonly actor: string;
  readonly cause: string | null;
  readonly reason: string | null;
  readonly assetIds: readonly string[];
  readonly at: string;
}

const historyParams = (f: HistoryFacts): unknown[] => [
  f.kind,
  f.event,
  f.from,
  f.actor,
  f.cause,
  f.reason,
  f.assetIds,
  f.at,
];

/**
 * The history row of an event (`historyParams` from `$first` on; `toState` the SQL of the state it
 * left the mission in), unless the mission id is another tenant's: written whatever the row's
 * version (a late event still tells what happened), once per version (DO NOTHING).
 */
function historySql(first: number, toState: string): string {
  const [kind, event, from, actor, cause, reason, assetIds, at] = Array.from({ length: 8 }, (_, i) => `$${first + i}`);
  return `history AS (
    INSERT INTO read.mission_history (mission_id, version, tenant_id, kind, event, from_state, to_state, actor, cause,
                                      reason, asset_ids, at)
    SELECT $1::uuid, $3::int, $2::text, ${kind}::text, ${event}::text, ${from}::text, ${toState}, ${actor}::text,
           ${cause}::text, ${reason}::text, ${assetIds}::uuid[], ${at}::timestamptz
    WHERE NOT EXISTS (SELECT 1 FROM read.missions o WHERE o.id = $1::uuid AND o.tenant_id <> $2::text)
    ON CONFLICT (mission_id, version) DO NOTHING
  )`;
}

/** $1–$8: the summary a created or transitioned event carries. */
const summaryParams = (e: MissionCreated | MissionTransitioned): unknown[] => [
  e.missionId,
  e.tenantId,
  e.version,
  e.state,
  e.done,
  e.assetIds,
  JSON.stringify(e.transitions),
  e.at,
];

/**
 * The statements of read.missions and read.mission_history. A created or transitioned event
 * carries the whole summary (state, done, assets, transitions, version), so each applies on its
 * own; an assignment change carries the assignment and the version. The row takes an event only
 * when its version is newer (a redelivered, replayed or overtaken event changes nothing) and the
 * row is the event's tenant's; the history row is inserted whatever the version, once. One
 * statement each, so a row and its history row commit together. An event other than `created`
 * whose mission has no row yet records history only; Kafka keeps one mission's events in order
 * (key = mission id), so that does not happen. Each answers whether the mission row took the event.
 */
export class MissionRows {
  constructor(private readonly via: Queryable) {}

  async created(e: MissionCreated): Promise<boolean> {
    const facts = { ...e, kind: 'created', event: null, from: null, cause: null, reason: null } as const;
    return this.applied(
      `WITH ${historySql(18, '$4::text')}, mission AS (
         INSERT INTO read.missions AS m (id, tenant_id, version, state, done, asset_ids, transitions, updated_at,
           title, definition_key, definition_version, priority, area, "window", deadline, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12,
           ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON($13)), 4326), tstzrange($14, $15, '[)'), $16, $17, $8)
         ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state, done = EXCLUDED.done,
           asset_ids = EXCLUDED.asset_ids, transitions = EXCLUDED.transitions, updated_at = EXCLUDED.updated_at,
           title = EXCLUDED.title, definition_key = EXCLUDED.definition_key,
           definition_version = EXCLUDED.definition_version, priority = EXCLUDED.priority, area = EXCLUDED.area,
           "window" = EXCLUDED."window", deadline = EXCLUDED.deadline, created_by = EXCLUDED.created_by,
           created_at = EXCLUDED.created_at
         WHERE m.version < EXCLUDED.version AND m.tenant_id = EXCLUDED.tenant_id
         RETURNING id
       )`,
      [
        ...summaryParams(e),
        e.title,
        e.definition.key,
        e.definition.version,
        e.priority,
        JSON.stringify(e.area),
        e.window.start,
        e.window.end,
        e.deadline,
        e.createdBy,
        ...historyParams(facts),
      ],
    );
  }

  async transitioned(e: MissionTransitioned): Promise<boolean> {
    return this.applied(
      `WITH ${historySql(9, '$4::text')}, mission AS (
         UPDATE read.missions SET version = $3, state = $4, done = $5, asset_ids = $6, transitions = $7::jsonb,
           updated_at = $8,
           -- The saga's own transition (cause saga) is its success: the pending assignment completed.
           assignment = CASE WHEN $13::text = 'saga' AND assignment IS NOT NULL
                             THEN jsonb_set(assignment, '{outcome}', '"completed"') ELSE assignment END
         WHERE id = $1 AND tenant_id = $2 AND version < $3
         RETURNING id
       )`,
      [...summaryParams(e), ...historyParams({ ...e, kind: 'transitioned' })],
    );
  }

  /**
   * The assignment column takes `{sagaId, outcome, reason}`; the state does not change. The history
   * row names the outcome as its event and the assets the assignment asked for; its state is the
   * one the mission was in (the history row before it: with none, its creation not projected, the
   * statement is refused and the event dead-lettered, to be replayed).
   */
  async assignmentChanged(e: MissionAssignmentChanged): Promise<boolean> {
    const { sagaId, outcome, reason } = e;
    const facts = { ...e, kind: 'assignment-changed', event: outcome, from: null, cause: null } as const;
    const stateBefore = `(SELECT p.to_state FROM read.mission_history p
       WHERE p.mission_id = $1::uuid AND p.tenant_id = $2::text AND p.version < $3::int
       ORDER BY p.version DESC LIMIT 1)`;
    return this.applied(
      `WITH ${historySql(6, stateBefore)}, mission AS (
         UPDATE read.missions SET version = $3, assignment = $4::jsonb, updated_at = $5
         WHERE id = $1 AND tenant_id = $2 AND version < $3
         RETURNING id
       )`,
      [
        e.missionId,
        e.tenantId,
        e.version,
        JSON.stringify({ sagaId, outcome, reason }),
        e.at,
        ...historyParams({ ...facts, assetIds: e.requestedAssetIds }),
      ],
    );
  }

  /** Runs `WITH history …, mission …` and answers whether `mission` changed a row. */
  private async applied(statement: string, params: unknown[]): Promise<boolean> {
    const { rows } = await this.via.query<{ applied: number }>(
      `${statement} SELECT count(*)::int AS applied FROM mission`,
      params,
    );
    return rows[0].applied > 0;
  }
}
