import type { Pool } from 'pg';
import type { Log } from '@meridian/shared/util';
import type { DueTimer, ScheduledTimer } from './timer.events';

/** `fired`: the mission took the timer's event. `stale`: the mission no longer waits for this timer. */
export type FireOutcome = 'fired' | 'stale';

/**
 * The mission command that fires a timer: idempotent (its command id is the timer id), and it answers
 * `fired` only once `mission.timer-fired.v1` is stored — whose trigger settles the row. A throw is
 * retried with capped exponential backoff.
 */
export type FireTimer = (timer: DueTimer) => Promise<FireOutcome>;

export type TimerDispatcherKind = 'poller' | 'bullmq';

export interface TimerDispatcherStatus {
  readonly kind: TimerDispatcherKind;
  readonly running: boolean;
  /** Whether the dispatcher's Redis answers; `unused` for the poller. */
  readonly redis: 'up' | 'down' | 'unused';
  /** The last failure of the dispatcher itself (database, Redis), not of a `fire`. */
  readonly lastError: string | null;
  /** Calls of `fire` since start, by outcome; `failed` counts throws and timeouts. */
  readonly fired: number;
  readonly stale: number;
  readonly failed: number;
}

/**
 * Fires due timers of `<schema>.timers` through `fire`, exactly once per timer in the normal
 * course (at least once under crashes: `fire` is idempotent). Several instances may run at once.
 */
export interface TimerDispatcher {
  /** Resolves once the dispatcher runs; never waits for (or fails on) an unreachable Redis. */
  start(): Promise<void>;
  /** Waits for the firings in flight to be settled. */
  stop(): Promise<void>;
  /**
   * Tells the dispatcher of timers an append just committed. Never throws: a timer it could not
   * hand on is found by the next reconciliation (BullMQ) or poll.
   */
  schedule(timers: readonly ScheduledTimer[]): Promise<void>;
  status(): TimerDispatcherStatus;
}

export interface RetryPolicy {
  /** Delay before the first retry; each failure doubles it. */
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 500, maxMs: 60_000 };

export interface TimerDispatcherOptions {
  readonly pool: Pool;
  /** The service's schema holding `events` and `timers` (`workflow`). */
  readonly schema: string;
  readonly fire: FireTimer;
  readonly log?: Log;
  readonly retry?: RetryPolicy;
  /** A `fire` that has not answered by then counts as failed (and is retried); default 30 s. */
  readonly fireTimeoutMs?: number;
  /** Firings in flight per instance; default 64. */
  readonly concurrency?: number;
}

export type Firing = { readonly outcome: FireOutcome } | { readonly error: string };

/** Calls `fire`, turning a throw, a bad answer or a timeout into `{ error }`. */
export async function fireOnce(fire: FireTimer, timer: DueTimer, timeoutMs: number): Promise<Firing> {
  let timeout: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      fire(timer),
      new Promise<never>((_, reject) => {
        timeout = setTimeout(() => reject(new Error(`fire did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (outcome !== 'fired' && outcome !== 'stale') return { error: `fire answered ${String(outcome)}` };
    return { outcome };
  } catch (err) {
    return { error: errorText(err) };
  } finally {
    clearTimeout(timeout);
  }
}

export const errorText = (err: unknown): string =>
  (err instanceof Error ? err.message || err.name : String(err)).slice(0, 2000);

/** Counters shared by both implementations' `status()`. */
export class FireCounters {
  fired = 0;
  stale = 0;
  failed = 0;

  count(firing: Firing): void {
    if ('error' in firing) this.failed++;
    else if (firing.outcome === 'fired') this.fired++;
    else this.stale++;
  }
}

/**
 * The dispatchers' sleep between rounds: `wakeUp` cuts a sleep short, and a wake-up that comes while
 * awake makes the next sleep return at once (nothing is missed between two rounds).
 */
export class WakeableSleep {
  private wake: (() => void) | null = null;
  private woken = false;

  wakeUp(): void {
    if (this.wake) this.wake();
    else this.woken = true;
  }

  /** Sleeps `ms` unless woken; returns at once when woken meanwhile or when `skip` (stopping). */
  async sleep(ms: number, skip = false): Promise<void> {
    if (this.woken || skip) {
      this.woken = false;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.wake = null;
    this.woken = false;
  }
}
