import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { partitionName } from '@meridian/read-model/positions';
import { eventually, testDatabaseUrl } from '@meridian/shared/testing';
import { PartitionMaintenance } from './partition-maintenance';

const DAY_MS = 86_400_000;
const run = randomBytes(3).toString('hex');

/*
 * PartitionMaintenance reads the clock. The clock is moved to a stretch of the 23rd century this run
 * owns (its partitions are dropped at the end), and it keeps ticking there, so waits still end.
 */
describe('PartitionMaintenance (real PostgreSQL)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let today: number;
  let offsetMs = 0;
  const realNow = Date.now.bind(Date);

  const exists = async (day: number): Promise<boolean> =>
    (await pool.query(`SELECT to_regclass($1) IS NOT NULL AS e`, [`read.${partitionName(day)}`])).rows[0].e;
  const existing = async (from: number, to: number): Promise<number[]> => {
    const days = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const found = await Promise.all(days.map(exists));
    return days.filter((_, i) => found[i]);
  };

  const logger = () => {
    const log = pino({ level: 'silent' });
    return { log, info: jest.spyOn(log, 'info'), warn: jest.spyOn(log, 'warn') };
  };

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({
      url: testDatabaseUrl(),
      poolSize: 3,
      applicationName: `partition-maintenance-spec-${run}`,
    }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    const first = Date.UTC(2201, 0, 1) / DAY_MS;
    const last = Date.UTC(2299, 0, 1) / DAY_MS;
    do today = first + Math.floor(Math.random() * (last - first));
    while ((await existing(today - 1, today + 5)).length > 0);
    // Noon of `today`, ticking on from now.
    offsetMs = today * DAY_MS + DAY_MS / 2 - realNow();
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    if (pool) {
      for (let day = today - 1; day <= today + 5; day++) {
        await pool.query(`DROP TABLE IF EXISTS read.${partitionName(day)}`);
      }
    }
    await dataSource?.destroy();
  });

  it('at start makes the partitions from behindDays ago to aheadDays ahead, then one more each day', async () => {
    const { log, info } = logger();
    const maintenance = new PartitionMaintenance(pool, { behindDays: 1, aheadDays: 3, intervalMs: 50 }, log);
    try {
      await maintenance.onApplicationBootstrap();

      expect(await existing(today - 1, today + 5)).toEqual([today - 1, today, today + 1, today + 2, today + 3]);
      expect(info).toHaveBeenCalledWith({ created: 5 }, 'position partitions created ahead');

      // A day later, a periodic run keeps the window aheadDays ahead.
      offsetMs += DAY_MS;
      await eventually(async () => expect(await exists(today + 4)).toBe(true));
      expect(info).toHaveBeenLastCalledWith({ created: 1 }, 'position partitions created ahead');
    } finally {
      maintenance.onApplicationShutdown();
    }
  });

  it('logs a failed run instead of failing the start, and tries again at the next interval', async () => {
    const { log, warn } = logger();
    const down = new Error('connection refused');
    const unreachable = {
      query: () => Promise.reject(down),
      connect: () => Promise.reject(down),
    } as unknown as Pool;
    const maintenance = new PartitionMaintenance(unreachable, { behindDays: 0, aheadDays: 1, intervalMs: 20 }, log);
    try {
      await expect(maintenance.onApplicationBootstrap()).resolves.toBeUndefined();
      expect(warn).toHaveBeenCalledWith({ err: down }, 'partition maintenance failed; retrying at the next interval');

      await eventually(() => expect(warn.mock.calls.length).toBeGreaterThanOrEqual(3));
    } finally {
      maintenance.onApplicationShutdown();
    }
  });
});
