import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExportFilter, ExportJob } from '@meridian/contracts/exports';
import { DirectoryStorage, type ExportStorage } from '@meridian/shared/export-storage';
import { eventually, FaultProxy } from '@meridian/shared/testing';
import {
  caller,
  ensurePartitions,
  ExportsApp,
  exportsRedisUrl,
  openReadModel,
  seedPositions,
  tempDir,
  uniqueTenant,
} from './exports.test-bed';

/*
 * PostgreSQL is the truth of export jobs, Redis only dispatches them: jobs survive the loss of
 * every Redis key (FLUSHDB of the tests' own database), a start while Redis is unreachable, and a
 * worker that dies in the middle of an export (another takes the job over once its lease ran out).
 */

const START = new Date('2024-06-01T00:00:00Z');
const ASSETS = 100;
const PER_ASSET = 3000;
const ROWS = ASSETS * PER_ASSET;
const tenant = uniqueTenant('exd');
const analyst = caller(tenant, { subject: 'analyst' });
const day: ExportFilter = {
  kind: 'positions',
  format: 'csv',
  from: START.toISOString(),
  to: new Date(START.getTime() + 86_400_000).toISOString(),
};

/** Storage that writes slowly (20 ms a chunk): an export lasts seconds, long enough to be caught running. */
class SlowStorage implements ExportStorage {
  constructor(private readonly inner: ExportStorage) {}
  put(key: string, body: Readable): Promise<{ readonly bytes: number }> {
    const slow = new Transform({
      transform: (chunk: Buffer, _encoding, done) => setTimeout(() => done(null, chunk), 20),
    });
    body.on('error', (err) => slow.destroy(err));
    return this.inner.put(key, body.pipe(slow));
  }
  get(key: string) {
    return this.inner.get(key);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  keys() {
    return this.inner.keys();
  }
}

/** Storage whose disk is full: every write fails. */
class FullStorage extends SlowStorage {
  override async put(): Promise<{ readonly bytes: number }> {
    throw Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' });
  }
}

/** Storage whose disk fills up after `bytes`: the write fails half-way, as a real one would. */
class DiskFullAfter extends SlowStorage {
  constructor(
    inner: ExportStorage,
    private readonly bytes: number,
  ) {
    super(inner);
  }
  override async put(_key: string, body: Readable): Promise<{ readonly bytes: number }> {
    let written = 0;
    const disk = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        written += chunk.length;
        const full = Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' });
        done(written > this.bytes ? full : null);
      },
    });
    await pipeline(body, disk);
    return { bytes: written };
  }
}

describe('export jobs survive Redis and worker failures (real PostgreSQL, Redis)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let dir: string;
  let removeDir: () => Promise<void>;
  const open: ExportsApp[] = [];

  async function app(options: Parameters<typeof ExportsApp.open>[1]): Promise<ExportsApp> {
    const opened = await ExportsApp.open(pool, options);
    open.push(opened);
    return opened;
  }

  async function rowOf(id: string): Promise<{ state: string; lease_owner: string | null; attempts: number }> {
    const { rows } = await pool.query<{ state: string; lease_owner: string | null; attempts: number }>(
      `SELECT state, lease_owner, attempts FROM exports.jobs WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  const succeeded = (exports: ExportsApp, id: string, timeoutMs = 120_000): Promise<ExportJob> =>
    eventually(
      async () => {
        const job = await exports.get(analyst, id);
        expect(job.state).toBe('succeeded');
        return job;
      },
      { timeoutMs, intervalMs: 200 },
    );

  const failedOf = (exports: ExportsApp, id: string): Promise<ExportJob> =>
    eventually(
      async () => {
        const job = await exports.get(analyst, id);
        expect(job.state).toBe('failed');
        return job;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );

  beforeAll(async () => {
    ({ dataSource, pool } = await openReadModel());
    ({ dir, remove: removeDir } = await tempDir('exports-durable'));
    await ensurePartitions(pool, START, 1);
    const assets = Array.from({ length: ASSETS }, (_, i) => ({ id: randomUUID(), lon: 5 + i * 0.01, lat: 45 }));
    await seedPositions(pool, tenant, assets, START, PER_ASSET);
  });

  afterAll(async () => {
    for (const a of open) await a.close().catch(() => undefined);
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id = $1`, [tenant]);
    await pool?.query(`DELETE FROM exports.jobs WHERE tenant_id = $1`, [tenant]);
    await dataSource?.destroy();
    await removeDir?.();
  });

  it('completes jobs whose Redis data was flushed right after they started', async () => {
    const prefix = `exd-flush-${randomUUID().slice(0, 8)}`;
    const exports = await app({ dir, prefix, concurrency: 1, reconcileMs: 60_000 });
    const jobs: ExportJob[] = [];
    for (let i = 0; i < 3; i++) jobs.push(await exports.start(analyst, day));
    const redis = new Redis(exportsRedisUrl());
    try {
      await redis.flushdb();
    } finally {
      redis.disconnect();
    }
    // One worker, one export at a time: the later ones existed in Redis only as the flushed jobs.
    const states = await Promise.all(jobs.map((j) => rowOf(j.id)));
    expect(states.filter((s) => s.state === 'queued').length).toBeGreaterThanOrEqual(1);
    for (const job of jobs) {
      const done = await succeeded(exports, job.id);
      expect(done.rowsWritten).toBe(ROWS);
    }
    await exports.close();
  });

  it('records a job started while Redis is unreachable, and runs it once Redis is back', async () => {
    const proxy = new FaultProxy({
      targetHost: '127.0.0.1',
      targetPort: Number(new URL(exportsRedisUrl()).port || 6379),
    });
    await proxy.start();
    try {
      const url = new URL(exportsRedisUrl());
      url.port = String(proxy.port);
      const exports = await app({
        dir,
        prefix: `exd-cut-${randomUUID().slice(0, 8)}`,
        redisUrl: url.toString(),
        reconcileMs: 60_000,
      });
      await eventually(() => expect(exports.dispatcher.status().redis).toBe('up'));
      await proxy.cut();
      await eventually(() => expect(exports.dispatcher.status().redis).toBe('down'));
      const job = await exports.start(analyst, { ...day, kind: 'positions', format: 'ndjson' });
      expect(job.state).toBe('queued');
      expect((await rowOf(job.id)).state).toBe('queued');
      await proxy.restore();
      const done = await succeeded(exports, job.id);
      expect(done.rowsWritten).toBe(ROWS);
      await exports.close();
      // Stopping the proxy resets what it still forwards; a connection its client already ended
      // can leave Node polling its socket forever (the test process never exits): wait for them.
      await eventually(() => expect(proxy.connections).toBe(0));
    } finally {
      await proxy.stop();
    }
  });

  it('retries a failing export a few times, then records it failed with a code and a one-line detail', async () => {
    const storage = new DirectoryStorage(dir);
    const exports = await app({
      dir,
      prefix: `exd-fail-${randomUUID().slice(0, 8)}`,
      storage: new FullStorage(storage),
      maxAttempts: 3,
    });
    const job = await exports.start(analyst, { ...day, kind: 'missions' });
    const failed = await eventually(
      async () => {
        const now = await exports.get(analyst, job.id);
        expect(now.state).toBe('failed');
        return now;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(failed.error).toEqual({
      code: 'EXPORT.STORAGE_FAILED',
      detail: 'ENOSPC: no space left on device, write',
    });
    expect(failed.file).toBeNull();
    expect((await rowOf(job.id)).attempts).toBe(3);
    await exports.close();
  });

  it.each([
    ['whose disk is full', 'ENOSPC: no space left on device, write', () => new FullStorage(new DirectoryStorage(dir))],
    [
      'rooted under a regular file (mkdir fails)',
      'ENOTDIR: not a directory, mkdir',
      () => new DirectoryStorage(join(dir, 'a-regular-file', 'exports')),
    ],
  ])('fails a large export for good, without hanging, on a storage %s', async (_, detail, storageOf) => {
    await writeFile(join(dir, 'a-regular-file'), 'not a directory');
    // Hundreds of thousands of rows: far more than the streams buffer when nothing reads the gzip.
    const exports = await app({
      dir,
      prefix: `exd-nostore-${randomUUID().slice(0, 8)}`,
      storage: storageOf(),
      maxAttempts: 3,
    });
    const job = await exports.start(analyst, day);
    const failed = await eventually(
      async () => {
        const now = await exports.get(analyst, job.id);
        expect(now.state).toBe('failed');
        return now;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(failed.error?.code).toBe('EXPORT.STORAGE_FAILED');
    expect(failed.error?.detail).toContain(detail);
    expect((await rowOf(job.id)).attempts).toBe(3);
    // Each run gave its connection back: the pool serves at once.
    await expect(pool.query('SELECT 1')).resolves.toBeDefined();
    expect(pool.waitingCount).toBe(0);
    await exports.close();
  });

  it('records a storage failing half-way as a storage failure, not as the streams it broke', async () => {
    const exports = await app({
      dir,
      prefix: `exd-midstore-${randomUUID().slice(0, 8)}`,
      storage: new DiskFullAfter(new DirectoryStorage(dir), 1024 * 1024),
      maxAttempts: 1,
    });
    const job = await exports.start(analyst, day);
    const failed = await failedOf(exports, job.id);
    expect(failed.error).toEqual({ code: 'EXPORT.STORAGE_FAILED', detail: 'ENOSPC: no space left on device, write' });
    await exports.close();
  });

  it('records a connection to PostgreSQL lost in the middle of the COPY as a query failure', async () => {
    const exports = await app({
      dir,
      prefix: `exd-midcopy-${randomUUID().slice(0, 8)}`,
      storage: new SlowStorage(new DirectoryStorage(dir)),
      maxAttempts: 1,
    });
    const job = await exports.start(analyst, { ...day, format: 'ndjson' });
    await eventually(async () => expect((await exports.get(analyst, job.id)).rowsWritten).toBeGreaterThan(0), {
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    const { rows } = await pool.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
       WHERE backend_type = 'client backend' AND state = 'active' AND query LIKE 'COPY (%'
         AND query LIKE '%' || $1 || '%'`,
      [tenant],
    );
    expect(rows).toEqual([{ ended: true }]);
    const failed = await failedOf(exports, job.id);
    expect(failed.error?.code).toBe('EXPORT.QUERY_FAILED');
    await exports.close();
  });

  it('hands a running job back at once on a graceful shutdown, for another instance to run', async () => {
    const prefix = `exd-stop-${randomUUID().slice(0, 8)}`;
    const storage = new DirectoryStorage(dir);
    // A lease far longer than the test: only the hand-back lets another instance run the job in time.
    const leaseMs = 600_000;
    const first = await app({ dir, prefix, storage: new SlowStorage(storage), leaseMs, instanceId: 'leaving' });
    const job = await first.start(analyst, { ...day, format: 'ndjson' });
    await eventually(async () => expect((await first.get(analyst, job.id)).rowsWritten).toBeGreaterThan(0), {
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    await first.close();
    expect(await rowOf(job.id)).toMatchObject({ state: 'queued', lease_owner: null });
    const second = await app({ dir, prefix, leaseMs, instanceId: 'staying' });
    const done = await succeeded(second, job.id, 60_000);
    expect(done.rowsWritten).toBe(ROWS);
    // The hand-back spent no attempt: only the second instance's run counts.
    expect((await rowOf(job.id)).attempts).toBe(1);
    await second.close();
  });

  it('hands a job whose worker died mid-export to another after its lease; no partial file shows', async () => {
    const prefix = `exd-kill-${randomUUID().slice(0, 8)}`;
    const storage = new DirectoryStorage(dir);
    const first = await app({ dir, prefix, storage: new SlowStorage(storage), leaseMs: 3000, instanceId: 'first' });
    const job = await first.start(analyst, { ...day, format: 'geojson' });
    const key = `${tenant}/${job.id}.geojson.gz`;
    const running = await eventually(
      async () => {
        const now = await first.get(analyst, job.id);
        expect(now.state).toBe('running');
        expect(now.rowsWritten).toBeGreaterThan(0);
        return now;
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    expect(running.rowsWritten).toBeLessThan(ROWS);
    expect(await storage.get(key)).toBeUndefined();
    await first.kill();
    // As after a crash: the row still names the dead worker, and nothing is under the final key.
    expect(await rowOf(job.id)).toMatchObject({ state: 'running', lease_owner: 'first' });
    expect(await storage.keys()).not.toContain(key);

    const second = await app({ dir, prefix, leaseMs: 3000, instanceId: 'second' });
    const done = await succeeded(second, job.id);
    expect(done.rowsWritten).toBe(ROWS);
    expect((await rowOf(job.id)).attempts).toBe(2);
    const collection = JSON.parse(await second.content(done)) as { features: unknown[] };
    expect(collection.features).toHaveLength(ROWS);
    await second.close();
  });
});
