import type { Pool } from 'pg';
import type { NewEvent } from '@meridian/shared/decider';
import { Batcher } from '@meridian/shared/util';
import { type InContext, inContext, inFirstContext } from './tracing';

/** One append as append_events takes it; `expected` -1 = any, 0 = new stream, n = at version n. */
export interface PendingAppend {
  readonly streamId: string;
  readonly expected: number;
  readonly events: readonly NewEvent[];
}

/** The stream version after the append, or 'conflict' (wrong version, or an event id stored already). */
export type AppendOutcome = number | 'conflict';

const CONFLICT_IN_BATCH = 0;

/**
 * Group commit: appends that arrive while a commit is in flight wait for it and then go together,
 * in one transaction and one round trip (append_batch), so concurrent commands share a WAL flush.
 * An append that finds nothing in flight goes at once — no timer, no added latency at low load.
 * Each append is still checked against its own expected version, in its own subtransaction, and
 * answered on its own; a failure of the whole statement (connection lost) fails the appends of
 * that batch only, which their callers retry.
 */
export class GroupCommit {
  private readonly batcher: Batcher<InContext<PendingAppend>, AppendOutcome>;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    maxBatch = 64,
  ) {
    this.batcher = new Batcher(
      (batch) => inFirstContext(batch, (appends) => (appends.length === 1 ? this.one(appends[0]) : this.many(appends))),
      { maxBatch },
    );
  }

  /** Commits and appends so far, and the largest batch: for benchmarks and tests. */
  get sizes(): { readonly commits: number; readonly appends: number; readonly largest: number } {
    const { runs, inputs, largest } = this.batcher.sizes;
    return { commits: runs, appends: inputs, largest };
  }

  submit(append: PendingAppend): Promise<AppendOutcome> {
    return this.batcher.submit(inContext(append));
  }

  /** A lone append: append_events directly (no subtransaction); a conflict raises and is mapped here. */
  private async one(a: PendingAppend): Promise<AppendOutcome[]> {
    try {
      const { rows } = await this.pool.query<{ v: number }>(
        `SELECT ${this.schema}.append_events($1, $2, $3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[]) AS v`,
        [
          a.streamId,
          a.expected,
          a.events.map((e) => e.id),
          a.events.map((e) => e.type),
          a.events.map((e) => e.schemaVersion ?? 1),
          a.events.map((e) => JSON.stringify(e.data)),
          a.events.map((e) => JSON.stringify(e.metadata ?? {})),
        ],
      );
      return [rows[0].v];
    } catch (err) {
      if (isConflict(err)) return ['conflict'];
      throw err;
    }
  }

  private async many(batch: readonly PendingAppend[]): Promise<AppendOutcome[]> {
    const payload = batch.map((a) => ({
      s: a.streamId,
      e: a.expected,
      i: a.events.map((e) => e.id),
      t: a.events.map((e) => e.type),
      v: a.events.map((e) => e.schemaVersion ?? 1),
      d: a.events.map((e) => e.data),
      m: a.events.map((e) => e.metadata ?? {}),
    }));
    const { rows } = await this.pool.query<{ r: number[] }>(`SELECT ${this.schema}.append_batch($1::jsonb) AS r`, [
      JSON.stringify(payload),
    ]);
    return rows[0].r.map((v) => (v === CONFLICT_IN_BATCH ? 'conflict' : v));
  }
}

const CONFLICT_CODES = new Set(['MR001', '23505']);
const isConflict = (err: unknown): boolean => CONFLICT_CODES.has(String((err as { code?: unknown }).code));
