import { BullmqTimers, type BullmqTimersOptions } from './bullmq-timers';
import { PgTimerPoller, type PgTimerPollerOptions } from './pg-timer-poller';
import type { TimerDispatcher, TimerDispatcherKind } from './timer-dispatcher';

export const TIMER_DISPATCHER_KINDS: readonly TimerDispatcherKind[] = ['poller', 'bullmq'];

/** Reads a configuration string (`poller` | `bullmq`); anything else is a configuration error. */
export function parseTimerDispatcherKind(value: string): TimerDispatcherKind {
  const kind = TIMER_DISPATCHER_KINDS.find((k) => k === value.trim().toLowerCase());
  if (!kind) throw new Error(`unknown timer dispatcher "${value}"; expected ${TIMER_DISPATCHER_KINDS.join(' | ')}`);
  return kind;
}

/** Options of either implementation; `redisUrl` is needed (and read) by `bullmq` only. */
export type TimerDispatcherFactoryOptions = PgTimerPollerOptions &
  Partial<Omit<BullmqTimersOptions, 'redisUrl'>> & {
    readonly redisUrl?: string;
  };

/** The dispatcher that the configuration names. The poller never touches Redis. */
export function createTimerDispatcher(kind: string, options: TimerDispatcherFactoryOptions): TimerDispatcher {
  const chosen = parseTimerDispatcherKind(kind);
  if (chosen === 'poller') return new PgTimerPoller(options);
  const { redisUrl } = options;
  if (!redisUrl) throw new Error('the bullmq timer dispatcher needs redisUrl');
  return new BullmqTimers({ ...options, redisUrl });
}
