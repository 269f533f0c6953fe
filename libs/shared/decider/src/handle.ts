import { type ErrorCode, ErrorCodes } from '@meridian/contracts/core';
import { stableUuid } from '@meridian/shared/util';
import { type Decider, type DomainEvent, fold } from './decider';
import { ConcurrencyError, type EventMetadata, type EventStore } from './event-store.port';

export interface HandleOptions {
  /** Id of the command; event ids are derived from it so a redelivered command appends nothing twice. */
  readonly commandId: string;
  readonly metadata?: EventMetadata;
  readonly maxConflictRetries?: number;
  /** Write a snapshot when at least this many events were read since the last one. */
  readonly snapshotEvery?: number;
  /**
   * Told when the decision is made (the append starts) and when the append returned, for per-hop
   * timings; after a conflict, again for the next attempt. Must be cheap and must not throw.
   */
  readonly onStage?: (stage: 'decided' | 'appended') => void;
  /**
   * The stream version the caller last read (`If-Match`): a command the decider accepts on a stream
   * at another version is refused with REQUEST.PRECONDITION_FAILED instead of being applied; the
   * decider's own refusals (not found, …) come first. A redelivered command is answered as before.
   */
  readonly expectedVersion?: number;
}

export type HandleResult =
  | {
      readonly ok: true;
      readonly version: number;
      readonly events: readonly DomainEvent[];
      readonly duplicate: boolean;
    }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

export interface LoadedAggregate<S> {
  readonly state: S;
  readonly version: number;
  readonly eventsRead: number;
  /** Stream version of each event id read (after the snapshot). */
  readonly versionsById: ReadonlyMap<string, number>;
  readonly fromSnapshot: boolean;
}

/** Rebuilds an aggregate from its latest usable snapshot plus the events after it. */
export async function load<S, E extends DomainEvent>(
  store: EventStore,
  decider: Decider<unknown, S, E>,
  streamId: string,
): Promise<LoadedAggregate<S>> {
  const { snapshot: usable, events: recorded } = await store.loadStream(streamId, decider.stateVersion);
  const start = usable ? (usable.state as S) : decider.initialState;
  const after = usable ? usable.version : 0;
  const events = recorded.map((r) => ({ type: r.type, data: r.data }) as E);
  const version = recorded.length ? recorded[recorded.length - 1].streamVersion : after;
  const versionsById = new Map(recorded.map((r) => [r.id, r.streamVersion]));
  return {
    state: fold(decider, start, events),
    version,
    eventsRead: recorded.length,
    versionsById,
    fromSnapshot: usable !== null,
  };
}

/** Deterministic event id: a UUID (v5 layout) from the command id and the event's position in the decision. */
export const deriveEventId = (commandId: string, index: number): string => stableUuid(`${commandId}:${index}`);

/**
 * The one command loop: load, decide, append with the expected version; on a concurrency
 * conflict, reload and decide again (bounded).
 */
export async function handle<C, S, E extends DomainEvent>(
  store: EventStore,
  decider: Decider<C, S, E>,
  streamId: string,
  command: C,
  options: HandleOptions,
): Promise<HandleResult> {
  const retries = options.maxConflictRetries ?? 5;
  for (let attempt = 0; ; attempt++) {
    const loaded = await load(store, decider as Decider<unknown, S, E>, streamId);
    const replayed =
      alreadyHandled(loaded, options.commandId) ??
      (loaded.fromSnapshot ? await handledBehindSnapshot(store, streamId, options.commandId) : null);
    if (replayed !== null) return { ok: true, version: replayed, events: [], duplicate: true };
    const decision = decider.decide(command, loaded.state);
    // The decider's refusals come first: a stream the caller may not see (another tenant's, or
    // none) is not found, whatever version the caller names — a 412 would tell it exists.
    if (!decision.ok) return decision;
    const expected = options.expectedVersion;
    if (expected !== undefined && loaded.version !== expected) {
      const detail = `${streamId} is at version ${loaded.version}, not ${expected}`;
      return { ok: false, code: ErrorCodes.requestPreconditionFailed, detail };
    }
    if (decision.events.length === 0) return { ok: true, version: loaded.version, events: [], duplicate: false };
    const newEvents = decision.events.map((e, i) => ({
      id: deriveEventId(options.commandId, i),
      type: e.type,
      data: e.data,
      ...(options.metadata ? { metadata: options.metadata } : {}),
    }));
    try {
      options.onStage?.('decided');
      const appended = await store.append(streamId, loaded.version, newEvents);
      options.onStage?.('appended');
      await maybeSnapshot(store, decider, streamId, loaded, decision.events, appended.nextVersion, options);
      return { ok: true, version: appended.nextVersion, events: decision.events, duplicate: appended.duplicate };
    } catch (err) {
      if (err instanceof ConcurrencyError && attempt < retries) continue;
      throw err;
    }
  }
}

/**
 * A redelivered command finds its own events in the stream (their ids derive from the command
 * id) and is answered as before instead of being decided again against the newer state.
 */
function alreadyHandled(loaded: LoadedAggregate<unknown>, commandId: string): number | null {
  let version: number | null = null;
  for (let i = 0; ; i++) {
    const v = loaded.versionsById.get(deriveEventId(commandId, i));
    if (v === undefined) return version;
    version = v;
  }
}

/** The same check for events a snapshot covers: asks the store, one event id at a time. */
async function handledBehindSnapshot(store: EventStore, streamId: string, commandId: string): Promise<number | null> {
  let version: number | null = null;
  for (let i = 0; ; i++) {
    const v = await store.versionOfEvent(streamId, deriveEventId(commandId, i));
    if (v === null) return version;
    version = v;
  }
}

async function maybeSnapshot<C, S, E extends DomainEvent>(
  store: EventStore,
  decider: Decider<C, S, E>,
  streamId: string,
  loaded: LoadedAggregate<S>,
  events: readonly E[],
  version: number,
  options: HandleOptions,
): Promise<void> {
  const every = options.snapshotEvery ?? 0;
  if (every <= 0 || loaded.eventsRead + events.length < every) return;
  const state = events.reduce((s, e) => decider.evolve(s, e), loaded.state);
  await store.writeSnapshot({ streamId, version, schemaVersion: decider.stateVersion, state });
}
