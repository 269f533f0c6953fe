import type { RecordedEvent } from '@meridian/shared/decider';

/** Position in `$all`: the writing transaction first, then the sequence within it. */
export interface AllPosition {
  readonly transactionId: string;
  readonly globalPosition: string;
}

export const START: AllPosition = { transactionId: '0', globalPosition: '0' };

export const positionOf = (e: RecordedEvent): AllPosition => ({
  transactionId: e.transactionId,
  globalPosition: e.globalPosition,
});

/** Compares two positions numerically (transaction first); both parts are decimal strings. */
export const comparePositions = (a: AllPosition, b: AllPosition): number => {
  const tx = BigInt(a.transactionId) - BigInt(b.transactionId);
  if (tx !== 0n) return tx < 0n ? -1 : 1;
  const pos = BigInt(a.globalPosition) - BigInt(b.globalPosition);
  return pos === 0n ? 0 : pos < 0n ? -1 : 1;
};

/**
 * What the outbox relay and projections need of a store beyond the decider port: `$all` in
 * commit-safe order after a position, and named checkpoints into it (START when never saved).
 */
export interface AllStreamReader {
  readAll(after: AllPosition, limit: number): Promise<readonly RecordedEvent[]>;
  loadCheckpoint(name: string): Promise<AllPosition>;
  saveCheckpoint(name: string, position: AllPosition): Promise<void>;
}
