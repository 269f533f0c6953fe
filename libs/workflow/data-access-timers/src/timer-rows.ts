import type { Pool } from 'pg';
import { assertIdentifier } from '@meridian/shared/event-store';
import type { DueTimer } from './timer.events';
import type { Firing, RetryPolicy } from './timer-dispatcher';

interface TimerRow {
  timer_id: string;
  stream_id: string;
  tenant_id: string;
  mission_id: string;
  send_id: string;
  event: string;
  due_at: Date;
  attempts: number;
}

/** A row as a BullMQ job finds it: its state, and how long until it is due by the database clock. */
export interface LookedUpTimer {
  readonly timer: DueTimer;
  readonly state: 'pending' | 'fired' | 'cancelled';
  readonly dueInMs: number;
}

/** A page of pending timers for a reconciliation. */
export interface PendingPage {
  readonly timers: readonly { readonly timerId: string; readonly dueInMs: number }[];
  /** The oldest transaction still running when the page was read (`pg_snapshot_xmin`). */
  readonly xmin: string;
}

export interface SettledFiring {
  readonly timerId: string;
  readonly firing: Firing;
}

const FIRST_UUID = '00000000-0000-0000-0000-000000000000';
const COLUMNS = 'timer_id, stream_id, tenant_id, mission_id, send_id, event, due_at, attempts';

const toDueTimer = (r: TimerRow): DueTimer => ({
  timerId: r.timer_id,
  streamId: r.stream_id,
  tenantId: r.tenant_id,
  missionId: r.mission_id,
  sendId: r.send_id,
  event: r.event,
  dueAt: r.due_at,
  attempts: r.attempts,
});

/** The SQL of `<schema>.timers` that both dispatchers share; every time is the database's. */
export class TimerRows {
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.s = assertIdentifier(schema);
  }

  /**
   * Takes up to `limit` due pending timers for this instance: SKIP LOCKED lets other instances
   * take the next ones, and the lease (next_attempt_at moved ahead) keeps them from taking these
   * until it runs out — as it does when this process dies mid-firing.
   */
  async claimDue(limit: number, leaseMs: number): Promise<DueTimer[]> {
    const { rows } = await this.pool.query<TimerRow>(
      `WITH due AS (
         SELECT timer_id FROM ${this.s}.timers
         WHERE state = 'pending' AND next_attempt_at <= clock_timestamp()
         ORDER BY next_attempt_at LIMIT $1
         FOR UPDATE SKIP LOCKED)
       UPDATE ${this.s}.timers t SET next_attempt_at = clock_timestamp() + make_interval(secs => $2::float8 / 1000)
       FROM due WHERE t.timer_id = due.timer_id
       RETURNING t.*`,
      [limit, leaseMs],
    );
    return rows.map(toDueTimer).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  }

  /** Milliseconds until the next pending timer may be fired (≤ 0: now), or null when none waits. */
  async msUntilNextDue(): Promise<number | null> {
    const { rows } = await this.pool.query<{ ms: number | null }>(
      `SELECT ceil(extract(epoch FROM min(next_attempt_at) - clock_timestamp()) * 1000)::float8 AS ms
       FROM ${this.s}.timers WHERE state = 'pending'`,
    );
    return rows[0]?.ms ?? null;
  }

  /**
   * Records what firings came to, in one statement: `stale` cancels the row, `fired` settles a row
   * the fired event's trigger has not (already done in the normal course), a failure counts an
   * attempt and puts the next one off by the capped exponential backoff. Settled rows stay as they
   * are. Answers, per failed timer still pending, the milliseconds until its retry.
   */
  async settle(firings: readonly SettledFiring[], retry: RetryPolicy): Promise<Map<string, number>> {
    if (firings.length === 0) return new Map();
    const outcome = (f: Firing): string => ('error' in f ? 'failed' : f.outcome);
    const { rows } = await this.pool.query<{ timer_id: string; retry_in_ms: number | null }>(
      `UPDATE ${this.s}.timers t SET
         state = CASE o.outcome WHEN 'fired' THEN 'fired' WHEN 'stale' THEN 'cancelled' ELSE 'pending' END,
         settled_at = CASE WHEN o.outcome = 'failed' THEN NULL ELSE clock_timestamp() END,
         attempts = t.attempts + (o.outcome = 'failed')::int,
         last_error = CASE WHEN o.outcome = 'failed' THEN o.error ELSE t.last_error END,
         next_attempt_at = CASE WHEN o.outcome = 'failed'
           THEN clock_timestamp()
                + make_interval(secs => least($4::float8 * power(2, least(t.attempts, 40)), $5) / 1000)
           ELSE t.next_attempt_at END
       FROM unnest($1::uuid[], $2::text[], $3::text[]) AS o(timer_id, outcome, error)
       WHERE t.timer_id = o.timer_id AND t.state = 'pending'
       RETURNING t.timer_id, CASE WHEN o.outcome = 'failed'
         THEN ceil(extract(epoch FROM t.next_attempt_at - clock_timestamp()) * 1000)::float8 END AS retry_in_ms`,
      [
        firings.map((f) => f.timerId),
        firings.map((f) => outcome(f.firing)),
        firings.map((f) => ('error' in f.firing ? f.firing.error : null)),
        retry.baseMs,
        retry.maxMs,
      ],
    );
    return new Map(rows.filter((r) => r.retry_in_ms !== null).map((r) => [r.timer_id, Number(r.retry_in_ms)]));
  }

  async lookup(timerIds: readonly string[]): Promise<Map<string, LookedUpTimer>> {
    const { rows } = await this.pool.query<TimerRow & { state: LookedUpTimer['state']; due_in_ms: number }>(
      `SELECT ${COLUMNS}, state, ceil(extract(epoch FROM due_at - clock_timestamp()) * 1000)::float8 AS due_in_ms
       FROM ${this.s}.timers WHERE timer_id = ANY($1::uuid[])`,
      [timerIds],
    );
    return new Map(rows.map((r) => [r.timer_id, { timer: toDueTimer(r), state: r.state, dueInMs: r.due_in_ms }]));
  }

  /**
   * Pending timers after `afterId` (keyset paging by id), of transactions from `sinceXid` on (all
   * when null). A row whose transaction precedes the page's `xmin` was committed before the page
   * was read, so "since the xmin of my last first page" misses no late commit.
   */
  async pendingPage(afterId: string | null, limit: number, sinceXid: string | null): Promise<PendingPage> {
    const since = sinceXid === null ? '' : 'AND scheduled_xid >= $3::xid8';
    const params: unknown[] = [afterId ?? FIRST_UUID, limit];
    if (sinceXid !== null) params.push(sinceXid);
    const { rows } = await this.pool.query<{ xmin: string; timer_id: string | null; due_in_ms: number | null }>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, p.timer_id,
              ceil(extract(epoch FROM p.due_at - clock_timestamp()) * 1000)::float8 AS due_in_ms
       FROM (SELECT 1) one LEFT JOIN LATERAL (
         SELECT timer_id, due_at FROM ${this.s}.timers
         WHERE state = 'pending' AND timer_id > $1::uuid ${since}
         ORDER BY timer_id LIMIT $2) p ON true`,
      params,
    );
    return {
      xmin: rows[0].xmin,
      timers: rows.flatMap((r) => (r.timer_id === null ? [] : [{ timerId: r.timer_id, dueInMs: r.due_in_ms ?? 0 }])),
    };
  }
}
