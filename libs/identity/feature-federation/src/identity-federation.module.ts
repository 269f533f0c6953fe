import { type DynamicModule, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import type { Router } from 'express';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { IDENTITY_DIRECTORY, type IdentityDirectory } from '@meridian/identity/domain';
import type { EventStore } from '@meridian/shared/decider';
import { EVENT_STORE, LOGGER, REDIS } from '@meridian/shared/service-kit';
import { BOOTSTRAP_FEDERATION, BootstrapFederation } from './bootstrap-federation/bootstrap-federation';
import { ConfigureFederationHandler } from './configure-federation/configure-federation.handler';
import { IdpStrategies } from './federated-login/idp-strategies';
import { type FederationConfig, type FederationServerSettings, federationSettingsOf } from './federation.config';
import { FEDERATION_DEPS, type FederationDeps } from './federation-deps';
import type { FederationLinkTarget, FederationWiring, OidcServerPort } from './federation.ports';
import { federationLinks, federationRouter, finishRouter } from './http/federation.routes';
import { federationSession } from './http/federation-session';

export const FEDERATION_SETTINGS = Symbol('meridian.identity.federation-settings');
const OIDC_SERVER = Symbol('meridian.identity.federation-oidc-server');
const FEDERATION_HTTP = Symbol('meridian.identity.federation-http');

interface FederationHttp {
  readonly federation: Router;
  readonly finish: Router;
  readonly links: (tenantId: string, uid: string) => Promise<FederationLinkTarget | null>;
}

/** Mounts the routes and the login page's link on the provider's server before it starts. */
@Injectable()
class FederationMount implements OnModuleInit {
  constructor(
    @Inject(OIDC_SERVER) private readonly server: OidcServerPort,
    @Inject(FEDERATION_HTTP) private readonly http: FederationHttp,
  ) {}

  onModuleInit(): void {
    this.server.use('/federation', this.http.federation);
    this.server.use('/interaction', this.http.finish);
    this.server.setFederationLinks(this.http.links);
  }
}

/**
 * Federation (docs in the lib's README): people of a tenant log in at their organisation's
 * OpenID provider through openid-client's passport strategy, and become Meridian users with the
 * roles the tenant maps their groups to. Needs CoreModule (Redis, logger), EventSourcingModule,
 * IdentityDataAccessModule (the directory) and IdentityOidcModule (its server, passed in `wiring`).
 */
@Module({})
export class IdentityFederationModule {
  static forRoot(config: FederationConfig, wiring: FederationWiring): DynamicModule {
    const settings = federationSettingsOf(config);
    return {
      module: IdentityFederationModule,
      controllers: [ConfigureFederationHandler],
      providers: [
        { provide: FEDERATION_SETTINGS, useValue: settings },
        {
          provide: FEDERATION_DEPS,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore): FederationDeps => ({ store, secretsKey: settings.secretsKey }),
        },
        { provide: OIDC_SERVER, useExisting: wiring.oidcServer },
        {
          provide: FEDERATION_HTTP,
          inject: [OIDC_SERVER, EVENT_STORE, REDIS, IDENTITY_DIRECTORY, LOGGER],
          useFactory: (
            oidc: OidcServerPort,
            store: EventStore,
            redis: Redis,
            directory: IdentityDirectory,
            log: Logger,
          ): FederationHttp => federationHttp(settings, wiring, { oidc, store, redis, directory, log }),
        },
        { provide: BOOTSTRAP_FEDERATION, useValue: settings.bootstrap },
        BootstrapFederation,
        FederationMount,
      ],
      exports: [FEDERATION_SETTINGS],
    };
  }
}

function federationHttp(
  settings: FederationServerSettings,
  wiring: FederationWiring,
  deps: {
    oidc: OidcServerPort;
    store: EventStore;
    redis: Redis;
    directory: IdentityDirectory;
    log: Logger;
  },
): FederationHttp {
  const { oidc, store, redis, directory, log } = deps;
  const session = federationSession({
    redis,
    cookieKeys: settings.cookieKeys,
    ttlS: settings.sessionTtlS,
    publicUrl: settings.publicUrl,
  });
  const strategies = new IdpStrategies({
    publicUrl: settings.publicUrl,
    secretsKey: settings.secretsKey,
    production: settings.production,
    log,
  });
  const signIn = {
    store,
    directory,
    logInFederated: wiring.logInFederated,
    accountIdOf: wiring.accountIdOf,
    log,
  };
  return {
    federation: federationRouter({ oidc, store, strategies, session, signIn, log }),
    finish: finishRouter({ oidc, session, log }),
    links: federationLinks(store, log),
  };
}
