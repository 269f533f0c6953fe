import type { DueJob, ExportJobs } from '@meridian/read-model/exports';
import type { ExportStorage } from '@meridian/shared/export-storage';
import { type Log, silentLog } from '@meridian/shared/util';

export interface ExportSweeperOptions {
  /** Between two sweeps. */
  readonly sweepMs: number;
  /**
   * A file no job accounts for is deleted once it is this old (default 1 h); so is a crashed
   * writer's partial file not written to for this long (storages that have them).
   */
  readonly orphanAfterMs?: number;
  readonly log?: Log;
}

/** `<tenant>/<export id>.<ext>.gz`: the files exports write; other keys are not the sweep's. */
const EXPORT_KEY = /^[^/]+\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(csv|ndjson|geojson)\.gz$/;

export interface SweepResult {
  readonly expired: number;
  readonly orphansDeleted: number;
  readonly partialsDeleted: number;
  /** Files whose delete failed this time: their jobs stay due for the next sweep. */
  readonly failed: number;
}

/**
 * Deletes the files of succeeded jobs past their expiry and marks them expired (file first: a
 * failed delete leaves the job to the next sweep), and files no job accounts for: of no job (the
 * storage keeps no times, so "an hour old" counts from when this sweeper first saw the file), or
 * of a job that failed or expired an hour ago. Queued and running jobs' files are never touched
 * (a run overwrites its key atomically). Every `sweepMs`; several instances may sweep at once.
 */
export class ExportSweeper {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> | null = null;
  private readonly firstSeen = new Map<string, number>();
  private readonly log: Log;

  constructor(
    private readonly jobs: ExportJobs,
    private readonly storage: ExportStorage,
    private readonly options: ExportSweeperOptions,
  ) {
    this.log = options.log ?? silentLog;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .catch((err: unknown) => this.log.warn({ err }, 'export sweep failed; next time'))
        .finally(() => (this.sweeping = null));
    }, this.options.sweepMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
  }

  async sweep(): Promise<SweepResult> {
    let expired = 0;
    let failed = 0;
    let after: DueJob | undefined;
    for (;;) {
      const due = await this.jobs.due(100, after);
      for (const job of due) {
        if (!(await this.deleted(job.fileKey, { exportId: job.id }))) failed++;
        else if (await this.jobs.expire(job.id)) expired++;
      }
      if (due.length < 100) break;
      after = due[due.length - 1];
    }
    const orphans = await this.orphans();
    failed += orphans.failed;
    const partialsDeleted = await this.partials();
    const orphansDeleted = orphans.deleted;
    if (expired + orphansDeleted + partialsDeleted > 0)
      this.log.info({ expired, orphansDeleted, partialsDeleted }, 'export files swept');
    return { expired, orphansDeleted, partialsDeleted, failed };
  }

  /** Deletes the file (none: nothing to do); a failure is logged and left to the next sweep, not the others'. */
  private async deleted(key: string | null, about: Record<string, unknown>): Promise<boolean> {
    if (key === null) return true;
    try {
      await this.storage.delete(key);
      return true;
    } catch (err) {
      this.log.warn({ err, key, ...about }, 'export file not deleted; next sweep');
      return false;
    }
  }

  private async partials(): Promise<number> {
    if (!this.storage.sweepPartials) return 0;
    try {
      return await this.storage.sweepPartials(this.options.orphanAfterMs ?? 3_600_000);
    } catch (err) {
      this.log.warn({ err }, 'partial export files not swept; next sweep');
      return 0;
    }
  }

  private async orphans(): Promise<{ deleted: number; failed: number }> {
    const orphanAfterMs = this.options.orphanAfterMs ?? 3_600_000;
    const files = (await this.storage.keys())
      .map((key) => ({ key, id: EXPORT_KEY.exec(key)?.[1] }))
      .filter((f): f is { key: string; id: string } => f.id !== undefined);
    const seen = new Set(files.map((f) => f.key));
    for (const key of this.firstSeen.keys()) if (!seen.has(key)) this.firstSeen.delete(key);
    let deleted = 0;
    let failed = 0;
    for (let i = 0; i < files.length; i += 500) {
      const chunk = files.slice(i, i + 500);
      const states = await this.jobs.states(chunk.map((f) => f.id));
      for (const { key, id } of chunk) {
        const job = states.get(id);
        const now = Date.now();
        let orphan: boolean;
        if (!job) {
          if (!this.firstSeen.has(key)) this.firstSeen.set(key, now);
          orphan = now - (this.firstSeen.get(key) ?? now) >= orphanAfterMs;
        } else if (job.state === 'queued' || job.state === 'running') orphan = false;
        else if (job.state === 'succeeded') orphan = job.fileKey !== key;
        else orphan = (job.finishedAgoS ?? Infinity) * 1000 >= orphanAfterMs;
        if (!orphan) continue;
        if (await this.deleted(key, { exportId: id })) {
          this.firstSeen.delete(key);
          deleted++;
        } else failed++;
      }
    }
    return { deleted, failed };
  }
}
