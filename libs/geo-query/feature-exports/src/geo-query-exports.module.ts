import { hostname } from 'node:os';
import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Injectable,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { READ_POOL } from '@meridian/read-model/data-source';
import { ExportJobs } from '@meridian/read-model/exports';
import { ZoneQueries } from '@meridian/read-model/zones';
import { DirectoryStorage, type ExportStorage } from '@meridian/shared/export-storage';
import { ExportSweeper } from './expire-exports/export-sweeper';
import { EXPORTS_OPTIONS, type ExportsOptions } from './exports.options';
import { GetExportHandler } from './get-export/get-export.handler';
import { ListExportsHandler } from './list-exports/list-exports.handler';
import { ExportDispatcher } from './run-exports/export-dispatcher';
import { ExportRunner } from './run-exports/export-runner';
import { StartExportHandler } from './start-export/start-export.handler';

export const EXPORT_STORAGE = Symbol('meridian.export-storage');

/** Starts the worker, the reconciliation and the sweep with the service; stops them before the pool closes. */
@Injectable()
export class ExportsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    readonly dispatcher: ExportDispatcher,
    readonly sweeper: ExportSweeper,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.dispatcher.start();
    this.sweeper.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
    await this.dispatcher.stop();
  }
}

/**
 * Export jobs on `meridian.geo-query.requests` (start, get, list) and their runs: recorded in
 * PostgreSQL (exports.jobs), dispatched through BullMQ on Redis, written gzip-compressed to the
 * export storage, expired after `ttlHours`.
 */
@Module({})
export class GeoQueryExportsModule {
  static forRoot(options: ExportsOptions): DynamicModule {
    const instance = options.instanceId ?? `${hostname()}-${process.pid}`;
    return {
      module: GeoQueryExportsModule,
      controllers: [StartExportHandler, GetExportHandler, ListExportsHandler],
      providers: [
        { provide: EXPORTS_OPTIONS, useValue: options },
        { provide: ExportJobs, useFactory: (pool: Pool) => new ExportJobs(pool), inject: [READ_POOL] },
        { provide: ZoneQueries, useFactory: (pool: Pool) => new ZoneQueries(pool), inject: [READ_POOL] },
        { provide: EXPORT_STORAGE, useFactory: () => options.storage ?? new DirectoryStorage(options.dir) },
        {
          provide: ExportRunner,
          useFactory: (pool: Pool, jobs: ExportJobs, storage: ExportStorage) =>
            new ExportRunner({
              pool,
              jobs,
              storage,
              owner: instance,
              leaseMs: options.leaseMs,
              progressMs: options.progressMs ?? 1000,
              ttlHours: options.ttlHours,
              maxAttempts: options.maxAttempts,
            }),
          inject: [READ_POOL, ExportJobs, EXPORT_STORAGE],
        },
        {
          provide: ExportDispatcher,
          useFactory: (jobs: ExportJobs, runner: ExportRunner) =>
            new ExportDispatcher(jobs, runner, {
              redisUrl: options.redisUrl,
              prefix: options.prefix,
              concurrency: options.concurrency,
              reconcileMs: options.reconcileMs,
              markerCheckMs: options.markerCheckMs,
              maxAttempts: options.maxAttempts,
              retryBaseMs: options.retryBaseMs ?? 5000,
              lockDurationMs: options.lockDurationMs,
              stalledIntervalMs: options.stalledIntervalMs,
              log: options.log,
            }),
          inject: [ExportJobs, ExportRunner],
        },
        {
          provide: ExportSweeper,
          useFactory: (jobs: ExportJobs, storage: ExportStorage) =>
            new ExportSweeper(jobs, storage, {
              sweepMs: options.sweepMs,
              orphanAfterMs: options.orphanAfterMs,
              log: options.log,
            }),
          inject: [ExportJobs, EXPORT_STORAGE],
        },
        ExportsLifecycle,
      ],
      exports: [ExportDispatcher, ExportSweeper, ExportJobs, EXPORT_STORAGE],
    };
  }
}
