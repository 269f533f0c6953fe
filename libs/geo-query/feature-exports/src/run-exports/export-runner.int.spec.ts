import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ExportFilter } from '@meridian/contracts/exports';
import { ExportJobs } from '@meridian/read-model/exports';
import { DirectoryStorage } from '@meridian/shared/export-storage';
import { testPrincipal } from '@meridian/shared/testing';
import { openReadModel, tempDir, uniqueTenant } from '../exports.test-bed';
import { ExportRunner, type ExportRunnerOptions } from './export-runner';

/*
 * The runner on its own, against the real database: what it leaves behind when PostgreSQL is
 * unreachable.
 */

const tenant = uniqueTenant('exr');
const filter: ExportFilter = {
  kind: 'missions',
  format: 'csv',
  from: '2024-07-01T00:00:00Z',
  to: '2024-07-02T00:00:00Z',
};

describe('ExportRunner (real PostgreSQL)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let jobs: ExportJobs;
  let dir: string;
  let removeDir: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, pool } = await openReadModel(4));
    jobs = new ExportJobs(pool);
    ({ dir, remove: removeDir } = await tempDir('export-runner'));
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM exports.jobs WHERE tenant_id = $1`, [tenant]);
    await dataSource?.destroy();
    await removeDir?.();
  });

  async function queuedJob(): Promise<string> {
    const subject = `runner-${randomUUID()}`;
    const principal: unknown = JSON.parse(testPrincipal(tenant, { subject }));
    const started = await jobs.start({ id: randomUUID(), tenantId: tenant, subject, principal, filter }, 5);
    if (started.outcome === 'limit') throw new Error('unexpected limit');
    return started.row.id;
  }

  const runnerOf = (options: Partial<ExportRunnerOptions>): ExportRunner =>
    new ExportRunner({
      pool,
      jobs,
      storage: new DirectoryStorage(dir),
      owner: `runner-${randomUUID().slice(0, 8)}`,
      leaseMs: 60_000,
      progressMs: 20,
      ttlHours: 1,
      maxAttempts: 3,
      ...options,
    });

  it('records a refused connection as a query failure, and leaves no heartbeat running', async () => {
    // Nothing listens on port 1: every connect is refused.
    const unreachable = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', max: 1 });
    const id = await queuedJob();
    const progress = jest.spyOn(jobs, 'progress');
    try {
      const outcome = await runnerOf({ pool: unreachable }).run(id, new AbortController().signal);

      expect(outcome).toMatchObject({ outcome: 'retry', code: 'EXPORT.QUERY_FAILED' });
      const detail = outcome.outcome === 'retry' ? outcome.detail : '';
      expect(detail).toContain('ECONNREFUSED');
      expect(detail).not.toContain('\n');
      const beatsAtEnd = progress.mock.calls.length;
      await sleep(200);
      expect(progress.mock.calls.length).toBe(beatsAtEnd);
      expect(await jobs.get(id)).toMatchObject({ state: 'queued', error_code: 'EXPORT.QUERY_FAILED' });
    } finally {
      progress.mockRestore();
      await unreachable.end();
    }
  });
});
