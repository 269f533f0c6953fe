import type { DataOf, MessageContract } from '@meridian/contracts/core';
import type { Queryable } from '@meridian/shared/event-store';
import { classifyFailure } from '@meridian/shared/messaging';
import type { Applied } from './rebuild';
import type { SourceEvent } from './source';

/** An event's data checked against its contract, as the live handlers check it (`parseData`); null when it fails. */
export function checked<C extends MessageContract>(contract: C, event: SourceEvent): DataOf<C> | null {
  const result = contract.schema.safeParse(event.data);
  return result.success ? (result.data as DataOf<C>) : null;
}

export const sum = (a: Applied, b: Applied): Applied => ({
  changed: a.changed + b.changed,
  refused: a.refused + b.refused,
});

export const NOTHING: Applied = { changed: 0, refused: 0 };

/**
 * A batch in one statement, inside a savepoint of the caller's transaction. When it fails, the
 * items go one by one, each in its own savepoint: an item the database refuses is counted and
 * skipped (the live projector dead-letters it alone), any other failure is thrown.
 */
export async function writeGuarded<T>(
  via: Queryable,
  batch: readonly T[],
  write: (items: readonly T[]) => Promise<readonly (boolean | Error)[]>,
): Promise<Applied> {
  if (batch.length === 0) return NOTHING;
  await via.query('SAVEPOINT rebuild_write');
  try {
    const outcomes = await write(batch);
    // A writer that caught a refusal itself (AssetLatestWriter) still left the transaction failed.
    const refusal = outcomes.find((o) => o instanceof Error);
    if (refusal) throw refusal;
    await via.query('RELEASE SAVEPOINT rebuild_write');
    return { changed: outcomes.filter((o) => o === true).length, refused: 0 };
  } catch (err) {
    await via.query('ROLLBACK TO SAVEPOINT rebuild_write');
    if (batch.length > 1) {
      let total = NOTHING;
      for (const item of batch) total = sum(total, await writeGuarded(via, [item], write));
      return total;
    }
    if (classifyFailure(err) === 'data') return { changed: 0, refused: 1 };
    throw err;
  }
}
