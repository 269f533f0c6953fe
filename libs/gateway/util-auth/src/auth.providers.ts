import type { Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Authentication } from './authentication';
import { BearerStrategy } from './bearer.strategy';
import { PermissionGuard } from './permission.guard';
import { RouteCoverage } from './route-coverage';
import { TokenVerifier } from './token-verifier';

/**
 * The gateway's authentication and coarse authorization, for the module that also provides the
 * ports (AUTH_SETTINGS, SIGNING_KEYS, PRINCIPAL_SOURCE, REQUEST_BUDGET) and imports DiscoveryModule.
 */
export const gatewayAuthProviders: Provider[] = [
  TokenVerifier,
  BearerStrategy,
  Authentication,
  RouteCoverage,
  { provide: APP_GUARD, useClass: PermissionGuard },
];
