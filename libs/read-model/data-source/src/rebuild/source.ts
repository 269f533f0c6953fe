import type { AllPosition, Queryable } from '@meridian/shared/event-store';

/**
 * A stored event as the live projectors receive it: the integration contract's type and data, not
 * yet validated (the projection checks it against the contract, as the live handlers do).
 */
export interface SourceEvent {
  readonly type: string;
  readonly data: unknown;
}

export interface SourcePage {
  /** The page's events that map to integration events, in `$all` order. */
  readonly events: readonly SourceEvent[];
  /** Stored events read (mapped or not); 0: caught up. */
  readonly read: number;
  /** Where the next page starts. */
  readonly next: AllPosition;
}

/**
 * What a rebuild reads: an event store's `$all` in commit-safe order, a page at a time, mapped to
 * integration events at the edge that owns the mapping (the CLI wires workflow's mappers in).
 */
export interface EventSource {
  read(after: AllPosition, limit: number, via: Queryable): Promise<SourcePage>;
}

/**
 * Items in waves: wave k holds the k-th item of every key, so no wave names a key twice (one
 * statement can write a wave) and each key keeps its order.
 */
export function waves<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const seen = new Map<string, number>();
  const out: T[][] = [];
  for (const item of items) {
    const key = keyOf(item).toLowerCase();
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    (out[n] ??= []).push(item);
  }
  return out;
}
