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
import { type AllPosition, type AllStreamReader, comparePositions, START } from './all-stream';
import { upcast, type Upcasters } from './upcasting';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface StoredEvent {
  readonly globalPosition: bigint;
  readonly transactionId: bigint;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly id: string;
  readonly type: string;
  readonly schemaVersion: number;
  /** JSON text, as jsonb keeps it: readers get a fresh copy and writers cannot change it afterwards. */
  readonly data: string;
  readonly metadata: string;
  readonly recordedAt: Date;
}

export interface InMemoryEventStoreOptions {
  readonly upcasters?: Upcasters;
  /** Supplies `recordedAt`. */
  readonly clock?: () => Date;
}

class MemoryData {
  readonly events: StoredEvent[] = [];
  readonly streams = new Map<string, StoredEvent[]>();
  readonly byId = new Map<string, StoredEvent>();
  readonly snapshots = new Map<string, string>();
  readonly checkpoints = new Map<string, AllPosition>();
  lastTransaction = 0n;
}

/**
 * The event store in process memory, for command-handler tests and tools: the same contract as
 * PgEventStore (the conformance suite runs against both). Every append is one transaction that
 * commits at once, so `$all` is simply append order. Nothing survives the process.
 */
export class InMemoryEventStore implements EventStore, AllStreamReader {
  private data = new MemoryData();
  private readonly upcasters: Upcasters;
  private readonly clock: () => Date;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.upcasters = options.upcasters ?? {};
    this.clock = options.clock ?? (() => new Date());
  }

  /** The same events read through other upcasters, like a second PgEventStore on one schema. */
  withUpcasters(upcasters: Upcasters): InMemoryEventStore {
    const view = new InMemoryEventStore({ upcasters, clock: this.clock });
    view.data = this.data;
    return view;
  }

  async append(streamId: string, expected: ExpectedVersion, events: readonly NewEvent[]): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    // What the events table's column types refuse, this store refuses too.
    for (const e of events) {
      if (!UUID.test(e.id)) throw new TypeError(`event id is not a UUID: ${e.id}`);
      if (e.data === undefined) throw new TypeError(`event ${e.id} has no data`);
    }
    const stream = this.data.streams.get(streamId);
    const current = stream?.length ?? 0;
    const versionHolds = expected === 'any' || (expected === 0 ? stream === undefined : current === expected);
    const ids = events.map((e) => e.id.toLowerCase());
    const idsFree = new Set(ids).size === ids.length && ids.every((id) => !this.data.byId.has(id));
    if (!versionHolds || !idsFree) {
      const previous = this.alreadyAppended(streamId, ids);
      if (previous !== null) return { nextVersion: previous, duplicate: true };
      throw new ConcurrencyError(streamId, expected);
    }
    const transactionId = ++this.data.lastTransaction;
    const recordedAt = this.clock();
    const target = stream ?? [];
    for (const [i, e] of events.entries()) {
      const stored: StoredEvent = {
        globalPosition: BigInt(this.data.events.length + 1),
        transactionId,
        streamId,
        streamVersion: current + i + 1,
        id: ids[i],
        type: e.type,
        schemaVersion: e.schemaVersion ?? 1,
        data: JSON.stringify(e.data),
        metadata: JSON.stringify(e.metadata ?? {}),
        recordedAt,
      };
      this.data.events.push(stored);
      target.push(stored);
      this.data.byId.set(stored.id, stored);
    }
    this.data.streams.set(streamId, target);
    return { nextVersion: current + events.length, duplicate: false };
  }

  /** A retried append whose events are all stored already, in this stream, is a success. */
  private alreadyAppended(streamId: string, ids: readonly string[]): number | null {
    const found = [...new Set(ids)].map((id) => this.data.byId.get(id));
    if (found.length !== ids.length || found.some((e) => e === undefined || e.streamId !== streamId)) return null;
    return Math.max(...found.map((e) => e?.streamVersion ?? 0));
  }

  async readStream(streamId: string, afterVersion = 0): Promise<readonly RecordedEvent[]> {
    return this.after(streamId, afterVersion).map((e) => this.toRecorded(e));
  }

  async loadEvents(streamId: string, afterVersion: number): Promise<readonly StreamEvent[]> {
    return this.after(streamId, afterVersion).map((e) => ({
      id: e.id,
      streamVersion: e.streamVersion,
      type: e.type,
      data: upcast(this.upcasters, e.type, e.schemaVersion, JSON.parse(e.data)).data,
    }));
  }

  async versionOfEvent(streamId: string, eventId: string): Promise<number | null> {
    const e = this.data.byId.get(eventId.toLowerCase());
    return e && e.streamId === streamId ? e.streamVersion : null;
  }

  async readAll(after: AllPosition, limit: number): Promise<readonly RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    for (const e of this.data.events) {
      if (out.length >= limit) break;
      const position = { transactionId: String(e.transactionId), globalPosition: String(e.globalPosition) };
      if (comparePositions(position, after) > 0) out.push(this.toRecorded(e));
    }
    return out;
  }

  async loadCheckpoint(name: string): Promise<AllPosition> {
    return this.data.checkpoints.get(name) ?? START;
  }

  async saveCheckpoint(name: string, position: AllPosition): Promise<void> {
    this.data.checkpoints.set(name, { transactionId: position.transactionId, globalPosition: position.globalPosition });
  }

  async loadStream(streamId: string, stateVersion: number): Promise<StreamLoad> {
    const stored = await this.readSnapshot(streamId);
    const snapshot = stored && stored.schemaVersion === stateVersion ? stored : null;
    return { snapshot, events: await this.loadEvents(streamId, snapshot?.version ?? 0) };
  }

  async readSnapshot(streamId: string): Promise<Snapshot | null> {
    const stored = this.data.snapshots.get(streamId);
    return stored === undefined ? null : (JSON.parse(stored) as Snapshot);
  }

  /** Keeps the newest snapshot: one for an older or the same version never replaces it. */
  async writeSnapshot(snapshot: Snapshot): Promise<void> {
    const existing = await this.readSnapshot(snapshot.streamId);
    if (existing && existing.version >= snapshot.version) return;
    const { streamId, version, schemaVersion, state } = snapshot;
    this.data.snapshots.set(streamId, JSON.stringify({ streamId, version, schemaVersion, state }));
  }

  private after(streamId: string, afterVersion: number): readonly StoredEvent[] {
    return (this.data.streams.get(streamId) ?? []).slice(Math.max(0, afterVersion));
  }

  private toRecorded(e: StoredEvent): RecordedEvent {
    const { schemaVersion, data } = upcast(this.upcasters, e.type, e.schemaVersion, JSON.parse(e.data));
    return {
      globalPosition: String(e.globalPosition),
      transactionId: String(e.transactionId),
      streamId: e.streamId,
      streamVersion: e.streamVersion,
      id: e.id,
      type: e.type,
      schemaVersion,
      data,
      metadata: JSON.parse(e.metadata) as EventMetadata,
      recordedAt: new Date(e.recordedAt),
    };
  }
}
