import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { type BaseConfig, CONFIG, LOGGER, SERVICE_NAME } from '@meridian/shared/service-kit';
import { migrateReadModel, poolOf, readModelOptions } from './data-source';

/** The pg Pool of the read-model DataSource, for raw SQL (bulk writes, PostGIS queries). */
export const READ_POOL = Symbol('meridian.read-pool');

export interface ReadModelModuleOptions {
  /** The service that owns the read schema (projection) migrates it at start; readers do not. */
  readonly migrate: boolean;
}

/**
 * TypeORM for the read side, through @nestjs/typeorm: the DataSource (entities with PostGIS
 * geometry columns, repositories) and, for the owner, the read-model migrations at start.
 */
@Module({})
export class ReadModelModule {
  static forRoot(options: ReadModelModuleOptions): DynamicModule {
    return {
      module: ReadModelModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [CONFIG, SERVICE_NAME],
          useFactory: (config: BaseConfig, service: string) =>
            readModelOptions({
              url: config.DATABASE_URL,
              poolSize: config.DATABASE_POOL_SIZE,
              applicationName: `meridian-${service}-read-model`,
              idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TX_TIMEOUT_MS,
            }),
          dataSourceFactory: async (dsOptions) => {
            if (!dsOptions) throw new Error('read-model DataSource options missing');
            return new DataSource(dsOptions).initialize();
          },
        }),
      ],
      providers: [
        {
          provide: READ_POOL,
          inject: [DataSource, LOGGER],
          useFactory: async (dataSource: DataSource, logger: Logger) => {
            if (options.migrate) {
              const applied = await migrateReadModel(dataSource);
              if (applied.length) logger.info({ applied }, 'read-model migrations applied');
            }
            return poolOf(dataSource);
          },
        },
      ],
      exports: [READ_POOL],
    };
  }
}
