import { Topics } from '@meridian/contracts/core';
import { DEFAULT_JITTER, DEFAULT_RETRY_SCHEDULE_MS } from './deliver/retry-schedule';
import type { LookupAll } from './deliver/target-guard';

export const WEBHOOKS_SETTINGS = Symbol('meridian.webhooks.settings');

/** `ProjectionWebhooksModule.forRoot` options; the app fills them from its `WEBHOOKS_*` config. */
export interface WebhooksSettings {
  /** `redis://host:port/db` of the BullMQ queue. */
  readonly redisUrl: string;
  /** SECRETS_KEY: opens the sealed signing secrets. */
  readonly secretsKey: Buffer;
  /** Redis key prefix (default `meridian`). */
  readonly redisPrefix?: string;
  /** BullMQ queue name (default `webhooks`). */
  readonly queueName?: string;
  /** Attempts in flight per instance (default 32). */
  readonly concurrency?: number;
  /** Attempts in flight per subscription (default 4). */
  readonly endpointConcurrency?: number;
  /** One attempt's deadline, connect to last response byte (default 10 s). */
  readonly timeoutMs?: number;
  /** Delays between attempts (default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: 8 attempts). */
  readonly retryScheduleMs?: readonly number[];
  /** ±fraction of each delay (default 0.2). */
  readonly retryJitter?: number;
  /** Deliveries due within two periods re-added to Redis this often (default 30 s); all at start and after a loss. */
  readonly reconcileMs?: number;
  /** Finished deliveries older than this are deleted (default 30 days). */
  readonly retentionDays?: number;
  /** How often the retention sweep runs (default 1 h; 0: never). */
  readonly sweepIntervalMs?: number;
  /** Live subscriptions per tenant (default 100). */
  readonly maxPerTenant?: number;
  /** How long a rotated-out secret still signs (default 24 h). */
  readonly secretGraceMs?: number;
  /** Development mode: loopback targets allowed, over http too (default false). */
  readonly allowLoopback?: boolean;
  /** Topics of integration events (default workflow and projection events). */
  readonly topics?: readonly string[];
  /** The fan-out's consumer group (default `projection.webhooks`). */
  readonly groupId?: string;
  /** Where a new fan-out group starts (default false: at the end). */
  readonly fromBeginning?: boolean;
  /** Partitions the fan-out handles at once (default 3). */
  readonly consumerConcurrency?: number;
  /** Name resolution for the SSRF guard (default `dns.lookup`); tests pass their own. */
  readonly lookup?: LookupAll;
}

export type ResolvedWebhooksSettings = Required<Omit<WebhooksSettings, 'lookup'>> & Pick<WebhooksSettings, 'lookup'>;

export const resolveWebhooksSettings = (s: WebhooksSettings): ResolvedWebhooksSettings => ({
  redisPrefix: 'meridian',
  queueName: 'webhooks',
  concurrency: 32,
  endpointConcurrency: 4,
  timeoutMs: 10_000,
  retryScheduleMs: DEFAULT_RETRY_SCHEDULE_MS,
  retryJitter: DEFAULT_JITTER,
  reconcileMs: 30_000,
  retentionDays: 30,
  sweepIntervalMs: 3_600_000,
  maxPerTenant: 100,
  secretGraceMs: 24 * 3_600_000,
  allowLoopback: false,
  topics: [Topics.workflowEvents, Topics.projectionEvents],
  groupId: 'projection.webhooks',
  fromBeginning: false,
  consumerConcurrency: 3,
  ...s,
});
