/**
 * When a failed delivery is tried again. The default follows the Standard Webhooks guidance:
 * immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h: 8 attempts over about
 * 27.6 h. Each delay is spread by ±`jitter` so that the retries of an endpoint that was down do not
 * all come back at the same instant.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

export const DEFAULT_JITTER = 0.2;

export interface RetrySchedule {
  /** The delays after the 1st, 2nd, … failed attempt; one attempt more than delays in all. */
  readonly delaysMs: readonly number[];
  /** ±fraction of each delay (0.2: ±20 %). */
  readonly jitter: number;
}

/** `5000,300000,…` (milliseconds) as a schedule; throws on anything that is not a list of non-negative integers. */
export function parseRetrySchedule(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new Error(`a retry schedule is a comma-separated list of milliseconds, not ${JSON.stringify(text)}`);
  }
  return parts.map(Number);
}

export type NextStep = { readonly kind: 'dead' } | { readonly kind: 'retry'; readonly inMs: number };

/**
 * What follows the failed attempt number `attempt` (1-based, counted since the delivery was last
 * replayed): another attempt after the jittered delay, or `dead` after the last. `random` is in
 * [0, 1) (Math.random by default).
 */
export function afterFailure(schedule: RetrySchedule, attempt: number, random: () => number = Math.random): NextStep {
  const delay = schedule.delaysMs[attempt - 1];
  if (delay === undefined) return { kind: 'dead' };
  return { kind: 'retry', inMs: withJitter(delay, schedule.jitter, random()) };
}

/** `ms` moved by up to ±`jitter` of itself, `r` in [0, 1) choosing where. */
export const withJitter = (ms: number, jitter: number, r: number): number =>
  Math.max(0, Math.round(ms * (1 + jitter * (2 * r - 1))));

/** Attempts a delivery gets before it is dead: one per delay, plus the first. */
export const maxAttempts = (schedule: RetrySchedule): number => schedule.delaysMs.length + 1;
