import type { ExportStorage } from '@meridian/shared/export-storage';
import type { Log } from '@meridian/shared/util';

/** Settings of export jobs (geo-query's EXPORTS_* configuration). */
export interface ExportsOptions {
  /** `redis://host:port/db` of the BullMQ queue. */
  readonly redisUrl: string;
  /** Where files are stored (EXPORTS_DIR), unless `storage` is given. */
  readonly dir: string;
  readonly storage?: ExportStorage;
  /** Exports one instance runs at once (EXPORTS_CONCURRENCY). */
  readonly concurrency: number;
  /** Hours a finished file is kept (EXPORTS_TTL_HOURS). */
  readonly ttlHours: number;
  /** Queued and running exports one principal may have (EXPORTS_MAX_ACTIVE_PER_PRINCIPAL). */
  readonly maxActivePerPrincipal: number;
  /** Between two expiry sweeps (EXPORTS_SWEEP_MS). */
  readonly sweepMs: number;
  /** Between two full re-adds of the jobs to Redis (EXPORTS_RECONCILE_MS). */
  readonly reconcileMs: number;
  /** How long a running job's claim holds without a heartbeat (EXPORTS_LEASE_MS). */
  readonly leaseMs: number;
  /** Runs a job may start before it fails for good (EXPORTS_MAX_ATTEMPTS). */
  readonly maxAttempts: number;
  /** First retry delay after a failed run, doubling (default 5 s). */
  readonly retryBaseMs?: number;
  /** Between two heartbeats of a running export (default 1 s). */
  readonly progressMs?: number;
  /** Key prefix in Redis (default `meridian`). */
  readonly prefix?: string;
  /** Names this instance in leases (default host and pid). */
  readonly instanceId?: string;
  /** BullMQ lock and stalled-job check (default 30 s each); shorter in tests. */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /** How often the Redis marker is checked (default min(5 s, reconcileMs)). */
  readonly markerCheckMs?: number;
  /** Age past which a file no job accounts for, or a partial file not written to, is deleted (default 1 h). */
  readonly orphanAfterMs?: number;
  readonly log?: Log;
}

export const EXPORTS_OPTIONS = Symbol('meridian.exports-options');
