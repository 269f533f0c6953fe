import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { Topics } from '@meridian/contracts/core';
import { IdentityDataAccessModule } from '@meridian/identity/data-access';
import { federationIntegrationEvent, IdentityFederationModule } from '@meridian/identity/feature-federation';
import { accountIdOf, IdentityOidcModule, OIDC_READINESS, OidcHttpServer } from '@meridian/identity/feature-oidc';
import {
  IdentityServiceAccountsModule,
  serviceAccountIntegrationEvent,
} from '@meridian/identity/feature-service-accounts';
import { IdentityTenantsModule, tenantIntegrationEvent } from '@meridian/identity/feature-tenants';
import { IdentityUsersModule, logInFederated, userIntegrationEvent } from '@meridian/identity/feature-users';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { IntegrationMessage } from '@meridian/shared/messaging';
import { CoreModule, EventSourcingModule, READINESS, type ReadinessCheck } from '@meridian/shared/service-kit';
import type { IdentityConfig } from './config';

/** Each identity event's public form: the first feature that knows its type maps it. */
const toIdentityIntegrationEvent = (event: RecordedEvent): IntegrationMessage | null =>
  tenantIntegrationEvent(event) ??
  userIntegrationEvent(event) ??
  serviceAccountIntegrationEvent(event) ??
  federationIntegrationEvent(event);

/** /health/ready also reports the OpenID Connect server (down until a signing key is active). */
@Global()
@Module({
  providers: [{ provide: READINESS, useFactory: (oidc: ReadinessCheck) => () => oidc(), inject: [OIDC_READINESS] }],
  exports: [READINESS],
})
class IdentityReadinessModule {}

@Module({})
export class IdentityModule {
  static forRoot(config: IdentityConfig, logger: Logger): DynamicModule {
    return {
      module: IdentityModule,
      imports: [
        CoreModule.forRoot({ service: 'identity', config, logger }),
        EventSourcingModule.forRoot({
          schema: 'identity',
          topic: Topics.identityEvents,
          map: toIdentityIntegrationEvent,
        }),
        IdentityDataAccessModule.forRoot(),
        IdentityOidcModule.forRoot(config),
        IdentityReadinessModule,
        IdentityTenantsModule.forRoot(config.IDENTITY_BOOTSTRAP_TENANTS),
        IdentityUsersModule.forRoot(config),
        IdentityServiceAccountsModule.forRoot(config),
        // Federation mounts its routes on the OIDC server and signs users in through the users feature:
        // features do not import each other, so the app hands it both.
        IdentityFederationModule.forRoot(config, { oidcServer: OidcHttpServer, accountIdOf, logInFederated }),
      ],
    };
  }
}
