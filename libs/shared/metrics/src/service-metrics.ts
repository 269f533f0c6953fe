import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConsumerMetrics, topicLabel } from './consumer-metrics';
import { GroupLag, type OffsetsAdmin } from './group-lag';
import { HttpMetrics } from './http-metrics';
import { type RelayLagSource, RelayMetrics } from './relay-metrics';

/** Seconds; from a health probe (~1 ms) to a slow export page or a command across an outage (10 s). */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Appends are one group-committed round trip: sub-millisecond to tens of milliseconds. */
const APPEND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Why the gateway refused fixes: a closed set, so the label stays bounded. */
export type FixRefusal = 'invalid' | 'unknown_asset' | 'rate_limited' | 'too_many';
const FIX_REFUSALS: readonly FixRefusal[] = ['invalid', 'unknown_asset', 'rate_limited', 'too_many'];

/**
 * Every metric of one service, on a registry of its own. In production a process runs one service,
 * so this is the process's registry; tests that boot several services in one Jest process get one
 * per service (`metricsFor`), so a scrape of the gateway never shows the projection's counters and
 * no metric is registered twice on one registry.
 *
 * Hot paths use the pre-labelled children below (or the cached ones of `consumer` and `http`):
 * a label lookup hashes its values, which is cheap per request or per batch, too dear per fix.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly http: HttpMetrics;
  readonly relay: RelayMetrics;
  readonly telemetry: {
    /** Fixes the gateway published to Kafka (acknowledged). */
    readonly accepted: Counter;
    readonly refused: Readonly<Record<FixRefusal, Counter.Internal>>;
    /** Fixes projection stored. */
    readonly written: Counter;
  };
  readonly geofence: {
    /** Fixes checked against the tenants' live zones. */
    readonly evaluations: Counter;
    readonly entered: Counter.Internal;
    readonly exited: Counter.Internal;
  };
  readonly eventStore: {
    /** Seconds from an append's submission to its group commit's answer. */
    readonly appendDuration: Histogram;
  };
  private readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  private readonly consumed: Counter<'group' | 'topic'>;
  private readonly failed: Counter<'group' | 'topic'>;
  private readonly deadLetters: Counter<'topic'>;
  private readonly lastBatch: Gauge<'group' | 'topic'>;
  private readonly consumers = new Map<string, ConsumerMetrics>();
  private readonly groupLag: GroupLag;

  constructor(readonly service: string) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ service });
    // process_* and nodejs_*: CPU, resident memory, heap, event-loop lag, GC, handles.
    collectDefaultMetrics({ register: this.registry });

    this.http = new HttpMetrics(
      new Histogram({
        name: 'meridian_http_request_duration_seconds',
        help: 'HTTP requests by method, route pattern and status code, in seconds until the response was sent.',
        labelNames: ['method', 'route', 'status'] as const,
        buckets: LATENCY_BUCKETS,
        registers,
      }),
    );
    this.consumerLag = new Gauge({
      name: 'meridian_kafka_consumer_lag_messages',
      help:
        'Messages of a partition not yet handled by the consumer group: the high watermark minus the next ' +
        'offset, as of the last handled batch.',
      labelNames: ['group', 'topic', 'partition'] as const,
      registers,
    });
    this.lastBatch = new Gauge({
      name: 'meridian_kafka_consumer_last_batch_timestamp_seconds',
      help:
        'Unix time of the last batch a consumer group finished on a topic. The lag is as of that batch: ' +
        'time() minus this shows how stale it is (a hung handler, a stopped consumer).',
      labelNames: ['group', 'topic'] as const,
      registers,
    });
    this.consumed = new Counter({
      name: 'meridian_kafka_messages_consumed_total',
      help: 'Messages a consumer group handled, skipped or dead-lettered.',
      labelNames: ['group', 'topic'] as const,
      registers,
    });
    this.failed = new Counter({
      name: 'meridian_kafka_messages_failed_total',
      help: 'Messages a consumer group could not handle: dead-lettered, or skipped where the topic has no DLQ.',
      labelNames: ['group', 'topic'] as const,
      registers,
    });
    this.deadLetters = new Counter({
      name: 'meridian_kafka_dead_letters_total',
      help: 'Messages written to the dead-letter topic <topic>.dlq, by original topic.',
      labelNames: ['topic'] as const,
      registers,
    });
    this.eventStore = {
      appendDuration: new Histogram({
        name: 'meridian_event_store_append_duration_seconds',
        help: 'Event-store appends: seconds from submission until the group commit answered (committed or conflict).',
        buckets: APPEND_BUCKETS,
        registers,
      }),
    };
    this.relay = new RelayMetrics(registers);
    this.groupLag = new GroupLag(registers);
    const refused = new Counter({
      name: 'meridian_telemetry_fixes_refused_total',
      help: 'Telemetry fixes the gateway refused, by reason (invalid, unknown_asset, rate_limited, too_many).',
      labelNames: ['reason'] as const,
      registers,
    });
    this.telemetry = {
      accepted: new Counter({
        name: 'meridian_telemetry_fixes_accepted_total',
        help: 'Telemetry fixes the gateway accepted and Kafka acknowledged.',
        registers,
      }),
      refused: Object.fromEntries(FIX_REFUSALS.map((r) => [r, refused.labels(r)])) as Record<
        FixRefusal,
        Counter.Internal
      >,
      written: new Counter({
        name: 'meridian_telemetry_fixes_written_total',
        help: 'Telemetry fixes projection stored in the positions read model.',
        registers,
      }),
    };
    const transitions = new Counter({
      name: 'meridian_geofence_transitions_total',
      help: 'Geofence transitions made from fixes, by type (entered, exited).',
      labelNames: ['type'] as const,
      registers,
    });
    this.geofence = {
      evaluations: new Counter({
        name: 'meridian_geofence_evaluations_total',
        help: 'Fixes checked against the live zones of their tenant.',
        registers,
      }),
      entered: transitions.labels('entered'),
      exited: transitions.labels('exited'),
    };
  }

  /**
   * The instruments of one consumer group, with their labelled children cached per topic and
   * partition. Groups are keyed by their label (`topicLabel`): the per-process reply groups of a
   * service share one.
   */
  consumer(group: string): ConsumerMetrics {
    let metrics = this.consumers.get(topicLabel(group));
    if (!metrics) {
      metrics = new ConsumerMetrics(
        group,
        this.consumerLag,
        this.consumed,
        this.failed,
        this.deadLetters,
        this.lastBatch,
      );
      this.consumers.set(metrics.group, metrics);
    }
    return metrics;
  }

  /**
   * The committed lag of `group` on `topics`, read from the brokers at each scrape (cached, bounded);
   * see GroupLag. `unwatchGroup` when the group stops here.
   */
  watchGroup(group: string, topics: readonly string[], admin: () => Promise<OffsetsAdmin>): void {
    this.groupLag.watch(group, topics, admin);
  }

  unwatchGroup(group: string): void {
    this.groupLag.unwatch(group);
  }

  /** The outbox relay's lag, read at each scrape (the relay's own backlog query); see RelayMetrics. */
  observeRelayLag(probe: RelayLagSource): void {
    this.relay.observe(probe);
  }

  /** The Prometheus text exposition of every metric of this service. */
  async scrape(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

const byService = new Map<string, ServiceMetrics>();

/**
 * The metrics of `service`, created on first use and the same object after: bootstrap, the core
 * module and the features all ask for it by name, and a service booted twice in one process (a
 * test restarting it) keeps counting on the same registry instead of registering its metrics again.
 */
export function metricsFor(service: string): ServiceMetrics {
  let metrics = byService.get(service);
  if (!metrics) {
    metrics = new ServiceMetrics(service);
    byService.set(service, metrics);
  }
  return metrics;
}

/** Injection token of the service's `ServiceMetrics` (CoreModule provides it). */
export const METRICS = Symbol('meridian.metrics');
