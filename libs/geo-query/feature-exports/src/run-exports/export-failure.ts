import { DatabaseError } from 'pg';

/**
 * A failure tagged with where it happened. Error codes alone cannot tell: errno codes such as
 * EPERM are five letters like a SQLSTATE, ECONNREFUSED comes from PostgreSQL as well as from a
 * disk, a dropped connection has no code, and S3 errors carry a `name` instead.
 */
abstract class WhereFailed extends Error {
  constructor(readonly reason: unknown) {
    super(lineOf(reason));
  }
}

/** Storing the file failed (`ExportStorage.put`). */
export class StorageFailure extends WhereFailed {
  override readonly name = 'StorageFailure';
}

/** PostgreSQL failed: connecting, a statement, or the COPY stream. */
export class QueryFailure extends WhereFailed {
  override readonly name = 'QueryFailure';
}

/** Rejects with a QueryFailure when `work` rejects. */
export const fromDatabase = <T>(work: Promise<T>): Promise<T> =>
  work.catch((err: unknown) => {
    throw new QueryFailure(err);
  });

/** A failure as the job records it: a code and one line, never a stack trace. */
export function failureOf(err: unknown): { code: string; detail: string } {
  if (err instanceof StorageFailure) return { code: 'EXPORT.STORAGE_FAILED', detail: labelled(err.reason) };
  if (err instanceof QueryFailure) {
    const { reason } = err;
    const detail =
      reason instanceof DatabaseError && reason.code ? `${lineOf(reason)} (SQLSTATE ${reason.code})` : labelled(reason);
    return { code: 'EXPORT.QUERY_FAILED', detail: clip(detail) };
  }
  return { code: 'EXPORT.FAILED', detail: clip(lineOf(err)) };
}

const clip = (text: string): string => text.slice(0, 500);

/** The first line of the message; an AggregateError (a connect to every address failed) by its first error. */
function lineOf(err: unknown): string {
  const e = err as { message?: unknown; errors?: unknown } | null | undefined;
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0] : String(err);
  if (message === '' && Array.isArray(e?.errors) && e.errors.length > 0) return lineOf(e.errors[0]);
  return message;
}

/** `CODE: message` with the errno code (ENOSPC) or the error's name (S3's AccessDenied), unless already there. */
function labelled(err: unknown): string {
  const message = lineOf(err);
  const e = err as { code?: unknown; name?: unknown } | null | undefined;
  const label =
    typeof e?.code === 'string' && e.code !== ''
      ? e.code
      : typeof e?.name === 'string' && e.name !== 'Error' && e.name !== ''
        ? e.name
        : '';
  return clip(label === '' || message.includes(label) ? message : `${label}: ${message}`);
}
