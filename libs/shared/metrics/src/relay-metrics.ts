import { Counter, Gauge, type Registry } from 'prom-client';

/** How far the outbox is behind the store (the relay's `lag()`); null while no relay runs. */
export type RelayLagSource = () => Promise<{
  readonly unpublished: number;
  readonly oldestUnpublishedAgeMs: number;
} | null>;

/** A scrape must not hang on a database that is away: past this the gauges keep their last value. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * The outbox relay's progress. The lag is measured at scrape time with the relay's own backlog
 * query (the one readiness uses), from the stored checkpoint: a relay that is stuck, failing or
 * not running at all shows a growing age, which a counter kept by the relay loop could not show.
 */
export class RelayMetrics {
  /** Events the relay published and Kafka acknowledged. */
  readonly relayed: Counter;
  private probe: RelayLagSource | null = null;
  private sampling: Promise<void> | null = null;
  private readonly lagSeconds: Gauge;
  private readonly unpublished: Gauge;

  constructor(registers: Registry[]) {
    // Both gauges share one backlog query per scrape (the registry may collect them concurrently).
    const sample = (): Promise<void> => (this.sampling ??= this.sample().finally(() => (this.sampling = null)));
    this.lagSeconds = new Gauge({
      name: 'meridian_outbox_relay_lag_seconds',
      help: 'Age of the oldest event stored but not yet published by the outbox relay; 0 when nothing waits.',
      registers,
      collect: sample,
    });
    this.unpublished = new Gauge({
      name: 'meridian_outbox_relay_unpublished_events',
      help: 'Events stored after the outbox relay checkpoint (not yet published).',
      registers,
      collect: sample,
    });
    this.relayed = new Counter({
      name: 'meridian_outbox_events_relayed_total',
      help: 'Events the outbox relay published to Kafka (acknowledged).',
      registers,
    });
  }

  /** The relay to measure; the latest call wins (a service booted again in the same process). */
  observe(probe: RelayLagSource): void {
    this.probe = probe;
  }

  private async sample(): Promise<void> {
    const probe = this.probe;
    if (!probe) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), PROBE_TIMEOUT_MS)));
    try {
      const lag = await Promise.race([probe(), timeout]);
      if (!lag) return;
      this.lagSeconds.set(lag.oldestUnpublishedAgeMs / 1000);
      this.unpublished.set(lag.unpublished);
    } catch {
      // The database is away: readiness says so; the gauges keep their last value.
    } finally {
      clearTimeout(timer);
    }
  }
}
