import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Topics } from '@meridian/contracts/core';
import { IDENTITY_DIRECTORY } from '@meridian/identity/domain';
import type { PgEventStore } from '@meridian/shared/event-store';
import type { MessageBus } from '@meridian/shared/messaging';
import {
  type BaseConfig,
  BUS,
  CONFIG,
  EVENT_STORE,
  LOGGER,
  secretsKeyOf,
  SERVICE_NAME,
} from '@meridian/shared/service-kit';
import { ReadModelIdentityDirectory } from './directory/read-model-identity-directory';
import { identityDataSourceOptions, identityPoolOf, migrateIdentityReadModel } from './read-model/identity-data-source';
import { PrincipalProjection } from './read-model/principal-projection';

/** The TypeORM data source of identity's read models (`getDataSourceToken(IDENTITY_DATA_SOURCE)`). */
export const IDENTITY_DATA_SOURCE = 'identity';
/** The pg Pool of that data source, once its migrations ran. */
export const IDENTITY_READ_POOL = Symbol('meridian.identity.read-pool');
export const PRINCIPAL_PROJECTION = Symbol('meridian.identity.principal-projection');
/** SECRETS_KEY as 32 bytes. */
export const IDENTITY_SECRETS_KEY = Symbol('meridian.identity.secrets-key');

export const secretsKeyProvider = {
  provide: IDENTITY_SECRETS_KEY,
  useFactory: (config: BaseConfig): Buffer => secretsKeyOf(config),
  inject: [CONFIG],
};

@Injectable()
class PrincipalProjectionLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(PRINCIPAL_PROJECTION) private readonly projection: PrincipalProjection) {}

  /** After every module's init: the event store's migrations (EventSourcingModule) have run. */
  async onApplicationBootstrap(): Promise<void> {
    await this.projection.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.projection.stop();
  }
}

export interface IdentityDataAccessOptions {
  /** Where principal snapshots go; Topics.identityPrincipals unless a test says otherwise. */
  readonly principalsTopic?: string;
}

/**
 * Identity's read models over TypeORM (migrated at start), the principal projection that keeps
 * them and publishes principal snapshots, and the IdentityDirectory the OpenID Connect provider
 * asks (IDENTITY_DIRECTORY). Global: the provider's module finds the directory without importing
 * this one. Needs CoreModule and EventSourcingModule (EVENT_STORE).
 */
@Module({})
export class IdentityDataAccessModule {
  static forRoot(options: IdentityDataAccessOptions = {}): DynamicModule {
    const dataSource = getDataSourceToken(IDENTITY_DATA_SOURCE);
    return {
      module: IdentityDataAccessModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          name: IDENTITY_DATA_SOURCE,
          inject: [CONFIG, SERVICE_NAME],
          useFactory: (config: BaseConfig, service: string) =>
            identityDataSourceOptions({
              url: config.DATABASE_URL,
              poolSize: Math.min(config.DATABASE_POOL_SIZE, 5),
              applicationName: `meridian-${service}-read-model`,
              idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TX_TIMEOUT_MS,
            }),
          dataSourceFactory: async (dsOptions) => {
            if (!dsOptions) throw new Error('identity DataSource options missing');
            return new DataSource(dsOptions).initialize();
          },
        }),
      ],
      providers: [
        secretsKeyProvider,
        {
          provide: IDENTITY_READ_POOL,
          inject: [dataSource, LOGGER],
          useFactory: async (ds: DataSource, logger: Logger): Promise<Pool> => {
            const applied = await migrateIdentityReadModel(ds);
            if (applied.length) logger.info({ applied }, 'identity read-model migrations applied');
            return identityPoolOf(ds);
          },
        },
        {
          provide: IDENTITY_DIRECTORY,
          // After the migrations (IDENTITY_READ_POOL): the directory reads their tables.
          inject: [dataSource, IDENTITY_SECRETS_KEY, IDENTITY_READ_POOL],
          useFactory: (ds: DataSource, key: Buffer) => new ReadModelIdentityDirectory(ds, key),
        },
        {
          provide: PRINCIPAL_PROJECTION,
          inject: [IDENTITY_READ_POOL, EVENT_STORE, BUS, LOGGER],
          useFactory: (pool: Pool, store: PgEventStore, bus: MessageBus, logger: Logger) =>
            new PrincipalProjection(pool, store, bus, {
              topic: options.principalsTopic ?? Topics.identityPrincipals,
              log: logger,
            }),
        },
        PrincipalProjectionLifecycle,
      ],
      exports: [IDENTITY_DIRECTORY, IDENTITY_READ_POOL, IDENTITY_SECRETS_KEY, PRINCIPAL_PROJECTION],
    };
  }
}
