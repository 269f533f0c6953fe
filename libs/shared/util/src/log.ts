/** The slice of a structured logger (pino's signature) the persistence code needs. */
export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with a ceiling, for retry loops. */
export const backoff = (attempt: number, baseMs = 100, maxMs = 10_000): number =>
  Math.min(baseMs * 2 ** attempt, maxMs);

/** Resolves with the promise's outcome, or with 'timeout' after `ms`: for shutdown steps that must not hang. */
export const settleWithin = <T>(ms: number, work: Promise<T>): Promise<PromiseSettledResult<T> | 'timeout'> =>
  Promise.race([
    Promise.allSettled([work]).then(([r]) => r),
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref()),
  ]);
