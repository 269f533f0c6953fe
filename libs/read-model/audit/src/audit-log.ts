import type { Pool } from 'pg';
import type { AuditEntry, AuditPage } from '@meridian/contracts/audit';

/** One event as the audit trail keeps it. */
export interface AuditRecord {
  readonly eventId: string;
  readonly tenantId: string;
  readonly recordedAt: string;
  readonly actor: string;
  readonly type: string;
  readonly resource: string | null;
  readonly source: string;
  readonly data: unknown;
}

export interface AuditFilter {
  readonly from?: string;
  readonly to?: string;
  readonly actor?: string;
  readonly resource?: string;
}

interface AuditRow {
  event_id: string;
  recorded_at: Date;
  actor: string;
  type: string;
  resource: string | null;
  source: string;
  data: unknown;
}

const MIN_UUID = '00000000-0000-0000-0000-000000000000';

/** The cursor is the last row's `(recorded_at, event_id)`: the sort key of every audit query. */
function splitCursor(after: string | undefined): [string, string] {
  if (!after) return ['-infinity', MIN_UUID];
  const bar = after.lastIndexOf('|');
  return [after.slice(0, bar), after.slice(bar + 1)];
}

/** Writes and reads of read.audit_log. */
export class AuditLog {
  constructor(private readonly pool: Pool) {}

  /** Idempotent by event id: a redelivered event is recorded once. */
  async record(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.pool.query(
      `INSERT INTO read.audit_log (event_id, tenant_id, recorded_at, actor, type, resource, source, data)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::jsonb[])
       ON CONFLICT (event_id) DO NOTHING`,
      [
        records.map((r) => r.eventId),
        records.map((r) => r.tenantId),
        records.map((r) => r.recordedAt),
        records.map((r) => r.actor),
        records.map((r) => r.type),
        records.map((r) => r.resource),
        records.map((r) => r.source),
        records.map((r) => JSON.stringify(r.data ?? null)),
      ],
    );
  }

  /** One page of a tenant's trail in `[from, to)`, oldest first, after the cursor `after`. */
  async list(tenantId: string, filter: AuditFilter, limit: number, after?: string): Promise<AuditPage> {
    const [at, id] = splitCursor(after);
    const params: unknown[] = [tenantId, filter.from ?? '-infinity', filter.to ?? 'infinity', at, id, limit + 1];
    let extra = '';
    if (filter.actor !== undefined) {
      params.push(filter.actor);
      extra += ` AND actor = $${params.length}`;
    }
    if (filter.resource !== undefined) {
      params.push(filter.resource);
      extra += ` AND resource = $${params.length}`;
    }
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT event_id, recorded_at, actor, type, resource, source, data FROM read.audit_log
       WHERE tenant_id = $1 AND recorded_at >= $2 AND recorded_at < $3
         AND (recorded_at, event_id) > ($4::timestamptz, $5::uuid) ${extra}
       ORDER BY recorded_at, event_id LIMIT $6`,
      params,
    );
    const more = rows.length > limit;
    const kept = more ? rows.slice(0, limit) : rows;
    const last = kept[kept.length - 1];
    return {
      items: kept.map(toEntry),
      after: more && last ? `${last.recorded_at.toISOString()}|${last.event_id}` : null,
    };
  }
}

const toEntry = (r: AuditRow): AuditEntry => ({
  eventId: r.event_id,
  recordedAt: r.recorded_at.toISOString(),
  actor: r.actor,
  type: r.type,
  resource: r.resource,
  source: r.source,
  data: r.data,
});
