import { createHash, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExportJob } from '@meridian/contracts/exports';
import { eventually } from '@meridian/shared/testing';
import {
  caller,
  ensurePartitions,
  ExportsApp,
  openReadModel,
  seedPositions,
  tempDir,
  uniqueTenant,
} from './exports.test-bed';

/*
 * One million positions (500 assets, a fix every 5 minutes for a week) exported as NDJSON: the
 * file holds exactly the rows a direct SQL query returns (count and a checksum over every row),
 * and the exporting process's heap stays far below the uncompressed output, which is streamed
 * (PostgreSQL COPY → format → gzip → file), never held. A bounded-memory property, not a timing:
 * the rows per second are logged only.
 */

const START = new Date('2024-07-01T00:00:00Z');
const ASSETS = 500;
const PER_ASSET = 2000;
const STEP_MS = 5 * 60_000;
const ROWS = ASSETS * PER_ASSET;
const MiB = 1024 * 1024;
const tenant = uniqueTenant('exm');
const analyst = caller(tenant, { subject: 'analyst' });

/** 60 bits of the MD5 of a row's text, as a BigInt: summed over rows, an order-free checksum. */
const rowHash = (line: string): bigint => BigInt(`0x${createHash('md5').update(line).digest('hex').slice(0, 15)}`);

describe('exporting a million positions (real PostgreSQL, Redis)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let exports: ExportsApp;
  let removeDir: () => Promise<void>;

  beforeAll(async () => {
    ({ dataSource, pool } = await openReadModel());
    const temp = await tempDir('exports-million');
    removeDir = temp.remove;
    exports = await ExportsApp.open(pool, { dir: temp.dir, prefix: `exm-${tenant}`, progressMs: 1000 });
    await ensurePartitions(pool, START, Math.ceil((PER_ASSET * STEP_MS) / 86_400_000) + 1);
    const assets = Array.from({ length: ASSETS }, (_, i) => ({
      id: randomUUID(),
      lon: 6 + (i % 25) * 0.1,
      lat: 46 + Math.floor(i / 25) * 0.1,
    }));
    await seedPositions(pool, tenant, assets, START, PER_ASSET, STEP_MS);
  });

  afterAll(async () => {
    await exports?.close();
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id = $1`, [tenant]);
    await pool?.query(`DELETE FROM exports.jobs WHERE tenant_id = $1`, [tenant]);
    await dataSource?.destroy();
    await removeDir?.();
  });

  it('writes every row the query returns, with the heap growing far less than the file', async () => {
    const week = { from: START.toISOString(), to: new Date(START.getTime() + 7 * 86_400_000).toISOString() };
    const baseline = process.memoryUsage();
    let peakHeap = baseline.heapUsed;
    let peakRss = baseline.rss;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }, 25);
    const startedAt = Date.now();
    let job: ExportJob;
    try {
      const started = await exports.start(analyst, { kind: 'positions', format: 'ndjson', ...week });
      job = await eventually(
        async () => {
          const now = await exports.get(analyst, started.id);
          expect(now.state).toBe('succeeded');
          return now;
        },
        { timeoutMs: 170_000, intervalMs: 100 },
      );
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - startedAt) / 1000;

    // The file, streamed back: count, bytes and checksum of `assetId|ts|lon|lat` of every line.
    let lines = 0;
    let uncompressed = 0;
    let sum = 0n;
    const stored = await exports.storage.get(job.file?.key ?? '');
    if (!stored) throw new Error('no file');
    const counter = new Transform({
      transform(chunk: Buffer, _e, done) {
        uncompressed += chunk.length;
        done(null, chunk);
      },
    });
    for await (const line of createInterface({ input: stored.body.pipe(createGunzip()).pipe(counter) })) {
      if (line === '') continue;
      const f = JSON.parse(line) as {
        geometry: { coordinates: [number, number] };
        properties: { assetId: string; ts: string };
      };
      const [lon, lat] = f.geometry.coordinates;
      sum += rowHash(`${f.properties.assetId}|${f.properties.ts}|${lon}|${lat}`);
      lines++;
    }

    // The same rows straight from SQL.
    const { rows } = await pool.query<{ n: number; sum: string }>(
      `SELECT count(*)::int AS n,
              sum(('x' || substr(md5(asset_id::text || '|' ||
                to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '|' ||
                ST_X(geom)::text || '|' || ST_Y(geom)::text), 1, 15))::bit(60)::bigint::numeric)::text AS sum
       FROM read.positions WHERE tenant_id = $1 AND ts >= $2 AND ts < $3`,
      [tenant, week.from, week.to],
    );
    expect(rows[0].n).toBe(ROWS);
    expect(lines).toBe(ROWS);
    expect(job.rowsWritten).toBe(ROWS);
    expect(job.rowsExpected).toBe(ROWS);
    expect(sum.toString()).toBe(rows[0].sum);

    const heapGrowth = peakHeap - baseline.heapUsed;
    process.stdout.write(
      `[exports] exported ${ROWS} positions as NDJSON in ${seconds.toFixed(1)} s ` +
        `(${Math.round(ROWS / seconds)} rows/s, ` +
        `end to end including polling); file ${((job.file?.bytes ?? 0) / MiB).toFixed(1)} MiB gzip, ` +
        `${(uncompressed / MiB).toFixed(1)} MiB uncompressed; peak heap growth ${(heapGrowth / MiB).toFixed(1)} MiB, ` +
        `peak RSS growth ${((peakRss - baseline.rss) / MiB).toFixed(1)} MiB\n`,
    );
    expect(uncompressed).toBeGreaterThan(150 * MiB);
    expect(heapGrowth).toBeLessThan(64 * MiB);
  });
});
