import type { Pool } from 'pg';
import {
  type AppendResult,
  ConcurrencyError,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  type Snapshot,
  type StreamEvent,
  type StreamLoad,
} from '@meridian/shared/decider';
import type { ServiceMetrics } from '@meridian/shared/metrics';
import { Batcher } from '@meridian/shared/util';
import { type AllPosition, type AllStreamReader, START } from './all-stream';
import { GroupCommit } from './group-commit';
import { assertIdentifier } from './migrations';
import { type InContext, inContext, inFirstContext, tracedAppend } from './tracing';
import { upcast, type Upcasters } from './upcasting';

/** Events after a checkpoint that have not been handed on yet. */
export interface Backlog {
  readonly count: number;
  /** Age of the oldest of them by the database clock; 0 when there are none. */
  readonly oldestAgeMs: number;
}

interface EventRow {
  global_position: string;
  transaction_id: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

interface LoadRequest {
  readonly streamId: string;
  readonly stateVersion: number;
}

interface LoadRow {
  /** The request's position in the batch, from 1. */
  i: number;
  /** Null on the snapshot row. */
  event_id: string | null;
  /** The snapshot's version, or the event's stream version. */
  version: number;
  type: string | null;
  schema_version: number;
  data: unknown;
}

/** A checkpoint to store along with a read of `$all` (see `readAll`). */
export interface SaveCheckpoint {
  readonly name: string;
  readonly position: AllPosition;
}

/** A pool or a single client. */
export type Queryable = Pick<Pool, 'query'>;

export class PgEventStore implements EventStore, AllStreamReader {
  private readonly s: string;
  /** Appends of concurrent commands share a transaction (see GroupCommit). */
  readonly commits: GroupCommit;
  /** Loads of concurrent commands share a round trip (see `loadStream`). */
  readonly loads: Batcher<InContext<LoadRequest>, StreamLoad | Error>;
  private readonly appendListeners = new Set<() => void>();

  constructor(
    private readonly pool: Pool,
    schema: string,
    private readonly upcasters: Upcasters = {},
    /** Where append latency is observed; none when absent. */
    private readonly metrics?: Pick<ServiceMetrics, 'eventStore'>,
  ) {
    this.s = assertIdentifier(schema);
    this.commits = new GroupCommit(pool, this.s);
    this.loads = new Batcher((batch) => inFirstContext(batch, (requests) => this.loadStreams(requests)), {
      maxBatch: 128,
      maxInFlight: 2,
    });
  }

  async append(streamId: string, expected: ExpectedVersion, events: readonly NewEvent[]): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const started = performance.now();
    const outcome = await tracedAppend(streamId, events.length, () =>
      this.commits.submit({ streamId, expected: expected === 'any' ? -1 : expected, events }),
    );
    this.metrics?.eventStore.appendDuration.observe((performance.now() - started) / 1000);
    if (outcome !== 'conflict') {
      for (const listener of this.appendListeners) listener();
      return { nextVersion: outcome, duplicate: false };
    }
    const previous = await this.alreadyAppended(streamId, events);
    if (previous !== null) return { nextVersion: previous, duplicate: true };
    throw new ConcurrencyError(streamId, expected);
  }

  /**
   * Calls `listener` after every append committed through this store object (this process only):
   * lets the outbox relay publish at once instead of waiting for its next poll. Returns the unsubscribe.
   */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /**
   * Appends events to many streams at any version in one statement, on `via` — a client inside the
   * caller's transaction, so the events commit (or not) with the caller's other writes: the outbox
   * of a projection that derives events from what it stores (geofence transitions). Events of one
   * stream keep their order; the caller then calls `notifyAppended` after its commit.
   */
  async appendToStreams(events: readonly (NewEvent & { readonly streamId: string })[], via: Queryable): Promise<void> {
    if (events.length === 0) return;
    await via.query(
      `WITH e AS (SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[])
                    WITH ORDINALITY AS x(stream_id, event_id, type, data, metadata, ord)),
            n AS (SELECT stream_id, count(*)::int AS n FROM e GROUP BY stream_id),
            bumped AS (
              INSERT INTO ${this.s}.streams AS st (stream_id, version) SELECT stream_id, n FROM n
              ON CONFLICT (stream_id) DO UPDATE SET version = st.version + EXCLUDED.version, updated_at = now()
              RETURNING st.stream_id, st.version)
       INSERT INTO ${this.s}.events (stream_id, stream_version, event_id, type, data, metadata)
       SELECT e.stream_id, b.version - n.n + row_number() OVER (PARTITION BY e.stream_id ORDER BY e.ord),
              e.event_id, e.type, e.data, e.metadata
       FROM e JOIN n USING (stream_id) JOIN bumped b USING (stream_id)
       ORDER BY e.ord`,
      [
        events.map((e) => e.streamId),
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.data)),
        events.map((e) => JSON.stringify(e.metadata ?? {})),
      ],
    );
  }

  /** Tells this process's append listeners (the relay) that events were committed by other means. */
  notifyAppended(): void {
    for (const listener of this.appendListeners) listener();
  }

  /** A retried append whose events are all stored already is a success, not a conflict. */
  private async alreadyAppended(streamId: string, events: readonly NewEvent[]): Promise<number | null> {
    const { rows } = await this.pool.query<{ stream_id: string; stream_version: number }>(
      `SELECT stream_id, stream_version FROM ${this.s}.events WHERE event_id = ANY($1::uuid[])`,
      [events.map((e) => e.id)],
    );
    if (rows.length !== events.length || rows.some((r) => r.stream_id !== streamId)) return null;
    return Math.max(...rows.map((r) => r.stream_version));
  }

  async readStream(streamId: string, afterVersion = 0): Promise<readonly RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT global_position, transaction_id::text, stream_id, stream_version, event_id, type, schema_version, data,
              metadata, recorded_at
       FROM ${this.s}.events WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version`,
      [streamId, afterVersion],
    );
    return rows.map((r) => this.toRecorded(r));
  }

  async versionOfEvent(streamId: string, eventId: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ stream_version: number }>(
      `SELECT stream_version FROM ${this.s}.events WHERE event_id = $1 AND stream_id = $2`,
      [eventId, streamId],
    );
    return rows[0]?.stream_version ?? null;
  }

  async loadEvents(streamId: string, afterVersion: number): Promise<readonly StreamEvent[]> {
    const { rows } = await this.pool.query<{
      event_id: string;
      stream_version: number;
      type: string;
      schema_version: number;
      data: unknown;
    }>(
      `SELECT event_id, stream_version, type, schema_version, data FROM ${this.s}.events
       WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version`,
      [streamId, afterVersion],
    );
    return rows.map((r) => ({
      id: r.event_id,
      streamVersion: r.stream_version,
      type: r.type,
      data: this.upcast(r.type, r.schema_version, r.data).data,
    }));
  }

  /**
   * Loads that arrive while two are in flight go together in the next one: one query reads the
   * snapshots and the events after them for every stream of the batch. A lone load goes at once.
   */
  async loadStream(streamId: string, stateVersion: number): Promise<StreamLoad> {
    const loaded = await this.loads.submit(inContext({ streamId, stateVersion }));
    if (loaded instanceof Error) throw loaded;
    return loaded;
  }

  /** A stream whose events cannot be read (an upcaster throws) fails its own load, not its neighbours'. */
  private async loadStreams(batch: readonly LoadRequest[]): Promise<(StreamLoad | Error)[]> {
    const keyOf = (r: LoadRequest): string => `${r.stateVersion}:${r.streamId}`;
    const unique = [...new Map(batch.map((r) => [keyOf(r), r])).values()];
    // Rows name their request by its position (`i`); a snapshot row has no event id. No ORDER BY:
    // each stream's events come from its index in version order, and a sort of a long stream
    // would cost more than the check below.
    const { rows } = await this.pool.query<LoadRow>(
      `WITH req AS (SELECT * FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS r(stream_id, state_version, i)),
            snap AS (SELECT r.i, s.version, s.schema_version, s.state
                     FROM req r JOIN ${this.s}.snapshots s
                       ON s.stream_id = r.stream_id AND s.schema_version = r.state_version)
       SELECT i::int, NULL::uuid AS event_id, version, NULL::text AS type, schema_version, state AS data FROM snap
       UNION ALL
       SELECT r.i::int, e.event_id, e.stream_version, e.type, e.schema_version, e.data
       FROM req r JOIN ${this.s}.events e ON e.stream_id = r.stream_id
       WHERE e.stream_version > COALESCE((SELECT snap.version FROM snap WHERE snap.i = r.i), 0)`,
      [unique.map((r) => r.streamId), unique.map((r) => r.stateVersion)],
    );
    const loaded = unique.map((r) => ({
      request: r,
      snapshot: null as Snapshot | null,
      events: [] as StreamEvent[],
      ordered: true,
      error: null as Error | null,
    }));
    for (const row of rows) {
      const into = loaded[row.i - 1];
      if (into.error) continue;
      if (row.event_id === null) {
        into.snapshot = {
          streamId: into.request.streamId,
          version: row.version,
          schemaVersion: row.schema_version,
          state: row.data,
        };
        continue;
      }
      const last = into.events[into.events.length - 1];
      if (last && last.streamVersion > row.version) into.ordered = false;
      try {
        into.events.push({
          id: row.event_id,
          streamVersion: row.version,
          type: row.type ?? '',
          data: this.upcast(row.type ?? '', row.schema_version, row.data).data,
        });
      } catch (err) {
        into.error = err instanceof Error ? err : new Error(String(err));
      }
    }
    const byKey = new Map(
      loaded.map((l) => {
        if (!l.ordered) l.events.sort((a, b) => a.streamVersion - b.streamVersion);
        return [keyOf(l.request), l];
      }),
    );
    return batch.map((r) => {
      const l = byKey.get(keyOf(r));
      if (l?.error) return l.error;
      return { snapshot: l?.snapshot ?? null, events: l ? [...l.events] : [] };
    });
  }

  /**
   * Reads `$all` after a position in commit-safe order: only transactions older than the oldest
   * one still running are visible, so an event whose sequence number was taken early but
   * committed late is delivered later rather than skipped.
   */
  async readAll(
    after: AllPosition,
    limit: number,
    options: { readonly save?: SaveCheckpoint; readonly via?: Queryable } = {},
  ): Promise<readonly RecordedEvent[]> {
    const { save, via = this.pool } = options;
    // `save` stores a checkpoint in the same statement (the relay's previous batch): a data-modifying
    // WITH runs whether or not the query reads it.
    const saving = save
      ? `WITH saved AS (${this.upsertCheckpoint(4)})
         `
      : '';
    const params: unknown[] = [after.transactionId, after.globalPosition, limit];
    if (save) params.push(save.name, save.position.transactionId, save.position.globalPosition);
    const { rows } = await via.query<EventRow>(
      // The alias matters: unqualified, ORDER BY would sort by the text output column and put
      // transaction 10000 before 9990, skipping events whenever xids gain a digit.
      `${saving}SELECT e.global_position, e.transaction_id::text AS transaction_id, e.stream_id, e.stream_version,
              e.event_id, e.type, e.schema_version, e.data, e.metadata, e.recorded_at
       FROM ${this.s}.events e
       WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
         AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY e.transaction_id, e.global_position
       LIMIT $3`,
      params,
    );
    return rows.map((r) => this.toRecorded(r));
  }

  async readSnapshot(streamId: string): Promise<Snapshot | null> {
    const { rows } = await this.pool.query<{ version: number; schema_version: number; state: unknown }>(
      `SELECT version, schema_version, state FROM ${this.s}.snapshots WHERE stream_id = $1`,
      [streamId],
    );
    return rows[0]
      ? { streamId, version: rows[0].version, schemaVersion: rows[0].schema_version, state: rows[0].state }
      : null;
  }

  async writeSnapshot(snapshot: Snapshot): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.snapshots (stream_id, version, schema_version, state) VALUES ($1, $2, $3, $4)
       ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, schema_version = EXCLUDED.schema_version,
         state = EXCLUDED.state, created_at = now()
       WHERE ${this.s}.snapshots.version < EXCLUDED.version`,
      [snapshot.streamId, snapshot.version, snapshot.schemaVersion, JSON.stringify(snapshot.state)],
    );
  }

  /** `via`: a specific connection, e.g. the one holding the relay's advisory lock. */
  async loadCheckpoint(name: string, via: Queryable = this.pool): Promise<AllPosition> {
    const { rows } = await via.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id::text, global_position::text FROM ${this.s}.checkpoints WHERE name = $1`,
      [name],
    );
    return rows[0] ? { transactionId: rows[0].transaction_id, globalPosition: rows[0].global_position } : START;
  }

  async saveCheckpoint(name: string, position: AllPosition, via: Queryable = this.pool): Promise<void> {
    await via.query(this.upsertCheckpoint(1), [name, position.transactionId, position.globalPosition]);
  }

  /**
   * Everything committed after the checkpoint, including events `$all` still holds back behind an
   * older open transaction: to whoever waits for them they are late either way.
   */
  async backlog(checkpointName: string): Promise<Backlog> {
    const from = await this.loadCheckpoint(checkpointName);
    const { rows } = await this.pool.query<{ count: number; age_ms: number | null }>(
      `SELECT count(*)::int AS count,
              round(extract(epoch FROM clock_timestamp() - min(recorded_at)) * 1000)::float8 AS age_ms
       FROM ${this.s}.events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)`,
      [from.transactionId, from.globalPosition],
    );
    return { count: rows[0].count, oldestAgeMs: Math.max(0, rows[0].age_ms ?? 0) };
  }

  /** Stores a checkpoint from three parameters starting at `$first`: name, transaction id, position. */
  private upsertCheckpoint(first: number): string {
    const [name, tx, position] = [first, first + 1, first + 2].map((n) => `$${n}`);
    return `INSERT INTO ${this.s}.checkpoints (name, transaction_id, global_position)
       VALUES (${name}, ${tx}::xid8, ${position})
       ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id,
         global_position = EXCLUDED.global_position, updated_at = now()`;
  }

  private upcast(type: string, schemaVersion: number, data: unknown): { schemaVersion: number; data: unknown } {
    return upcast(this.upcasters, type, schemaVersion, data);
  }

  private toRecorded(r: EventRow): RecordedEvent {
    const { data, schemaVersion } = this.upcast(r.type, r.schema_version, r.data);
    return {
      globalPosition: r.global_position,
      transactionId: r.transaction_id,
      streamId: r.stream_id,
      streamVersion: r.stream_version,
      id: r.event_id,
      type: r.type,
      schemaVersion,
      data,
      metadata: r.metadata,
      recordedAt: r.recorded_at,
    };
  }
}
