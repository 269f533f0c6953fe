/** The event store as the decider runtime sees it; `@meridian/shared/event-store` implements it over pg. */
export interface EventMetadata {
  readonly tenantId?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly traceparent?: string;
  readonly actor?: string;
}

export interface NewEvent {
  readonly id: string;
  readonly type: string;
  readonly schemaVersion?: number;
  readonly data: unknown;
  readonly metadata?: EventMetadata;
}

export interface RecordedEvent {
  readonly globalPosition: string;
  readonly transactionId: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly id: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
}

/** What rebuilding an aggregate needs of each event, and no more. */
export interface StreamEvent {
  readonly id: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly data: unknown;
}

/** A number is the exact version the stream must be at (0: the stream must not exist). */
export type ExpectedVersion = number | 'any';

export interface AppendResult {
  readonly nextVersion: number;
  /** True when every event id was already stored: the append was a retry and changed nothing. */
  readonly duplicate: boolean;
}

export interface Snapshot {
  readonly streamId: string;
  readonly version: number;
  readonly schemaVersion: number;
  readonly state: unknown;
}

/** What rebuilding an aggregate reads: its usable snapshot, if any, and the events after it. */
export interface StreamLoad {
  /** The stream's snapshot when it was taken of state version `stateVersion`; null otherwise. */
  readonly snapshot: Snapshot | null;
  /** The events after the snapshot (all of them without one), in stream order. */
  readonly events: readonly StreamEvent[];
}

export interface EventStore {
  append(streamId: string, expected: ExpectedVersion, events: readonly NewEvent[]): Promise<AppendResult>;
  readStream(streamId: string, afterVersion?: number): Promise<readonly RecordedEvent[]>;
  /** The lean read used to rebuild aggregates (no metadata, no timestamps). */
  loadEvents(streamId: string, afterVersion: number): Promise<readonly StreamEvent[]>;
  /** The stream version of an event of this stream, or null: finds a command's events behind a snapshot. */
  versionOfEvent(streamId: string, eventId: string): Promise<number | null>;
  /**
   * The snapshot and the events after it, in one read: what `handle` loads per command. The store
   * may serve concurrent loads together (PgEventStore: one round trip for all of them).
   */
  loadStream(streamId: string, stateVersion: number): Promise<StreamLoad>;
  readSnapshot(streamId: string): Promise<Snapshot | null>;
  writeSnapshot(snapshot: Snapshot): Promise<void>;
}

/** Optimistic concurrency failed: someone else appended first. */
export class ConcurrencyError extends Error {
  readonly code = 'STREAM.CONCURRENCY_CONFLICT';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
  ) {
    super(`stream ${streamId} is not at version ${String(expected)}`);
    this.name = 'ConcurrencyError';
  }
}
