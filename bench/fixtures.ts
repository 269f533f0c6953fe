/**
 * Event fixtures shaped like the workflow service's asset events, and a small decider over them.
 * Local to the benchmarks so they measure the runtime, not a domain that is still changing.
 */
import { randomUUID } from 'node:crypto';
import type { Decider, DomainEvent, EventMetadata, NewEvent } from '@meridian/shared/decider';

const statuses = ['registered', 'available', 'assigned', 'maintenance', 'available', 'assigned'] as const;
type Status = (typeof statuses)[number];

export type BenchEvent =
  | DomainEvent<
      'asset.registered.v1',
      { assetId: string; tenantId: string; name: string; kind: string; registeredAt: string }
    >
  | DomainEvent<
      'asset.status-changed.v1',
      { assetId: string; from: Status; to: Status; changedAt: string; note: string }
    >;

const TENANT = 'tenant-bench-0001';
const metadataFor = (correlationId: string): EventMetadata => ({
  tenantId: TENANT,
  correlationId,
  causationId: correlationId,
  actor: 'user:bench',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
});

/**
 * The `version`-th event of an asset stream (1-based): the first registers the asset, the rest
 * change its status. About 200 bytes of data and 200 bytes of metadata, like real commands.
 */
export function assetEvent(assetId: string, version: number, at = new Date()): NewEvent {
  const correlationId = randomUUID();
  if (version === 1) {
    return {
      id: randomUUID(),
      type: 'asset.registered.v1',
      data: {
        assetId,
        tenantId: TENANT,
        name: `Survey drone ${assetId.slice(0, 8)}`,
        kind: 'drone',
        registeredAt: at.toISOString(),
      },
      metadata: metadataFor(correlationId),
    };
  }
  const from = statuses[(version - 2) % statuses.length];
  const to = statuses[(version - 1) % statuses.length];
  return {
    id: randomUUID(),
    type: 'asset.status-changed.v1',
    data: { assetId, from, to, changedAt: at.toISOString(), note: `status change #${version} by field crew` },
    metadata: metadataFor(correlationId),
  };
}

/** `count` consecutive events of one stream starting at `firstVersion`. */
export function assetEvents(assetId: string, firstVersion: number, count: number): NewEvent[] {
  const at = new Date();
  return Array.from({ length: count }, (_, i) => assetEvent(assetId, firstVersion + i, at));
}

export interface AssetAggregate {
  readonly status: Status | 'none';
  readonly assetId: string | null;
  readonly name: string | null;
  readonly changes: number;
  readonly lastChangedAt: string | null;
}

/** Decides nothing; `load()` only needs `initialState`, `stateVersion` and `evolve`. */
export const assetDecider: Decider<unknown, AssetAggregate, BenchEvent> = {
  initialState: { status: 'none', assetId: null, name: null, changes: 0, lastChangedAt: null },
  stateVersion: 1,
  decide: () => ({ ok: true, events: [] }),
  evolve(state, event) {
    switch (event.type) {
      case 'asset.registered.v1':
        return { ...state, status: 'registered', assetId: event.data.assetId, name: event.data.name };
      case 'asset.status-changed.v1':
        return { ...state, status: event.data.to, changes: state.changes + 1, lastChangedAt: event.data.changedAt };
      default:
        return state;
    }
  },
};
