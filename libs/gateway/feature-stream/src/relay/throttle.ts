/** One item offered to the throttle: its key (tenant and asset), its own time (ms) and the value. */
export interface Offered<T> {
  readonly key: string;
  readonly at: number;
  readonly value: T;
}

/** What goes out now; the throttle's state changes only when `apply` is called (after the send succeeded). */
export interface Decision<T> {
  readonly send: readonly T[];
  apply(): void;
}

const PRUNE_EVERY_MS = 10_000;

/**
 * At most one item per key per interval, newest wins, leading and trailing: the first item after a
 * quiet interval goes out at once; what arrives within the interval is held (only the newest, by
 * its own time) and goes out when the interval ends, so the last position of an asset that stops
 * is always delivered. An item not newer than the last one sent for its key is dropped: a live map
 * never moves backwards. Two-phase, so a failed send leaves the state as it was and is retried.
 * `now` is passed in; the throttle reads no clock.
 */
export class Throttle<T> {
  private readonly last = new Map<string, { readonly sentAt: number; readonly at: number }>();
  private readonly pending = new Map<string, Offered<T>>();
  private prunedAt = 0;

  constructor(private readonly intervalMs: number) {}

  /** Items held for a trailing send. */
  get held(): number {
    return this.pending.size;
  }

  offer(items: readonly Offered<T>[], now: number): Decision<T> {
    if (this.intervalMs === 0) return this.unthrottled(items, now);
    const newest = new Map<string, Offered<T>>();
    for (const item of items) {
      const last = this.last.get(item.key);
      if (last && item.at <= last.at) continue;
      const current = newest.get(item.key) ?? this.pending.get(item.key);
      if (!current || item.at >= current.at) newest.set(item.key, item);
    }
    const send: Offered<T>[] = [];
    const hold: Offered<T>[] = [];
    for (const [key, item] of newest) (this.open(key, now) ? send : hold).push(item);
    return {
      send: send.map((s) => s.value),
      apply: () => {
        this.sent(send, now);
        hold.forEach((h) => this.pending.set(h.key, h));
      },
    };
  }

  /** Every held item, whatever its interval (the relay is stopping). */
  all(now: number): Decision<T> {
    const send = [...this.pending.values()];
    return { send: send.map((s) => s.value), apply: () => this.sent(send, now) };
  }

  /** Held items whose key's interval has ended. */
  due(now: number): Decision<T> {
    const send = [...this.pending.values()].filter((p) => this.open(p.key, now));
    return { send: send.map((s) => s.value), apply: () => this.sent(send, now) };
  }

  private open(key: string, now: number): boolean {
    const last = this.last.get(key);
    return !last || now - last.sentAt >= this.intervalMs;
  }

  private sent(items: readonly Offered<T>[], now: number): void {
    for (const item of items) {
      this.last.set(item.key, { sentAt: now, at: item.at });
      const held = this.pending.get(item.key);
      if (held && held.at <= item.at) this.pending.delete(item.key);
    }
    this.prune(now);
  }

  /** Forgets keys quiet for a while, so the map holds active assets only. */
  private prune(now: number): void {
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    const quiet = Math.max(PRUNE_EVERY_MS, this.intervalMs * 10);
    for (const [key, last] of this.last) {
      if (now - last.sentAt > quiet && !this.pending.has(key)) this.last.delete(key);
    }
  }

  /** Interval 0: every item newer than the last one sent for its key, in order. */
  private unthrottled(items: readonly Offered<T>[], now: number): Decision<T> {
    const newestAt = new Map<string, number>();
    const send = items.filter((item) => {
      const before = newestAt.get(item.key) ?? this.last.get(item.key)?.at ?? Number.NEGATIVE_INFINITY;
      if (item.at <= before) return false;
      newestAt.set(item.key, item.at);
      return true;
    });
    return { send: send.map((s) => s.value), apply: () => this.sent(send, now) };
  }
}
