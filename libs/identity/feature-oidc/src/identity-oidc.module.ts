import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { IDENTITY_DIRECTORY, type IdentityDirectory } from '@meridian/identity/domain';
import type { MessageBus } from '@meridian/shared/messaging';
import { BUS, LOGGER, PG_POOL, type ReadinessCheck } from '@meridian/shared/service-kit';
import { OidcHttpServer } from './http/oidc-http-server';
import { KeyPublisher } from './keys/key-publisher';
import { SigningKeyRing } from './keys/signing-key-ring';
import { type OidcConfig, type OidcSettings, oidcSettingsOf } from './oidc.config';
import { migrateOidc } from './oidc.migrations';
import { deleteExpiredOidcPayloads } from './provider/pg-adapter';
import { ProviderHost } from './provider/provider-host';
import { RotateSigningKeyHandler } from './rotate-keys/rotate-signing-key.handler';

export const OIDC_SETTINGS = Symbol('meridian.identity.oidc-settings');
/** A `ReadinessCheck` ({ oidc: 'up' | 'down' }) for the management app's `/health/ready`. */
export const OIDC_READINESS = Symbol('meridian.identity.oidc-readiness');

const CLEANUP_EVERY_MS = 10 * 60_000;

/** Migrations at init; keys, provider and the public server at bootstrap; the server stops first at shutdown. */
@Injectable()
class OidcLifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private cleanup: NodeJS.Timeout | null = null;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SigningKeyRing) private readonly ring: SigningKeyRing,
    @Inject(ProviderHost) private readonly host: ProviderHost,
    @Inject(OidcHttpServer) private readonly server: OidcHttpServer,
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await migrateOidc(this.pool);
    if (applied.length) this.logger.info({ applied }, 'oidc migrations applied');
  }

  async onApplicationBootstrap(): Promise<void> {
    this.ring.onChange((keys) => this.host.install(keys));
    await this.ring.start();
    await this.server.start();
    this.cleanup = setInterval(() => {
      deleteExpiredOidcPayloads(this.pool).catch((err: Error) =>
        this.logger.warn({ err: err.message }, 'oidc payload cleanup failed'),
      );
    }, CLEANUP_EVERY_MS);
    this.cleanup.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.cleanup) clearInterval(this.cleanup);
    this.ring.stop();
    await this.server.stop();
  }
}

/**
 * The OpenID Connect provider: local logins for people, client
 * credentials for service accounts, rotating ES256 signing keys published on the keys topic.
 * Global, so that other identity features inject `OidcHttpServer` to mount their routes; it needs
 * `IDENTITY_DIRECTORY` from a global module and CoreModule's pool, bus and logger.
 */
@Module({})
export class IdentityOidcModule {
  static forRoot(config: OidcConfig): DynamicModule {
    const settings = oidcSettingsOf(config);
    return {
      module: IdentityOidcModule,
      global: true,
      controllers: [RotateSigningKeyHandler],
      providers: [
        { provide: OIDC_SETTINGS, useValue: settings },
        {
          provide: ProviderHost,
          useFactory: (s: OidcSettings, pool: Pool, directory: IdentityDirectory, log: Logger) =>
            new ProviderHost({ settings: s, pool, directory, log }),
          inject: [OIDC_SETTINGS, PG_POOL, IDENTITY_DIRECTORY, LOGGER],
        },
        {
          provide: SigningKeyRing,
          useFactory: (s: OidcSettings, pool: Pool, bus: MessageBus, log: Logger) =>
            new SigningKeyRing(pool, new KeyPublisher(bus, s.issuer), s, log),
          inject: [OIDC_SETTINGS, PG_POOL, BUS, LOGGER],
        },
        {
          provide: OidcHttpServer,
          useFactory: (s: OidcSettings, host: ProviderHost, directory: IdentityDirectory, log: Logger) =>
            new OidcHttpServer(s, host, directory, log),
          inject: [OIDC_SETTINGS, ProviderHost, IDENTITY_DIRECTORY, LOGGER],
        },
        {
          provide: OIDC_READINESS,
          useFactory:
            (server: OidcHttpServer): ReadinessCheck =>
            () =>
              server.readiness(),
          inject: [OidcHttpServer],
        },
        OidcLifecycle,
      ],
      exports: [OIDC_SETTINGS, ProviderHost, SigningKeyRing, OidcHttpServer, OIDC_READINESS],
    };
  }
}
