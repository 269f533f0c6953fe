import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuthErrors, type Principal } from '@meridian/contracts/identity';
import { problemFromCode } from '@meridian/gateway/util-http';
import { decidePermission, type Permission, PLATFORM_PERMISSION } from '@meridian/shared/policy';
import { principalOf } from './principal-request';
import { type PermissionRule, ROUTE_ACCESS, type RouteAccess } from './route-access';

/** The permissions `rules` ask of this request (a rule of the request may ask none). */
export function permissionsFor(rules: readonly PermissionRule[], request: FastifyRequest): Permission[] {
  return rules.flatMap((rule) => {
    const permission = typeof rule === 'function' ? rule(request) : rule;
    return permission === undefined ? [] : [permission];
  });
}

/**
 * Coarse RBAC per route, after authentication: the route's `@RequirePermission` must be granted by
 * the principal's roles (and its hours must include now), else 403 AUTH.FORBIDDEN_ROLE (or
 * AUTH.OUTSIDE_HOURS). A platform administrator (tenant `platform`) may call platform routes
 * only, those needing `tenants:admin`. Which rows a principal sees is decided further in (SQL
 * filters in geo-query, the stream's filter): this guard only turns away who may never pass.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (access?.kind === 'public') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = principalOf(request);
    if (!principal) {
      // Only public paths pass the hook without a principal; one whose route asks for one is refused.
      if (access === undefined) return true;
      throw problemFromCode(AuthErrors.tokenMissing, 'this operation needs an access token');
    }
    if (access === undefined) {
      // RouteCoverage stops the gateway from starting with such a route; refuse rather than serve.
      throw problemFromCode(AuthErrors.forbiddenRole, 'this operation declares no permission');
    }
    const permissions = access.kind === 'permission' ? permissionsFor(access.rules, request) : [];
    this.checkPlatform(principal, permissions);
    const now = new Date();
    for (const permission of permissions) {
      const decision = decidePermission(principal, permission, now);
      if (!decision.allow) throw problemFromCode(decision.code, decision.detail);
    }
    return true;
  }

  /** Platform administrators act on tenants, never inside one. */
  private checkPlatform(principal: Principal, permissions: readonly Permission[]): void {
    const platformRoute = permissions.length > 0 && permissions.every((p) => p === PLATFORM_PERMISSION);
    if (principal.platformAdmin && !platformRoute) {
      throw problemFromCode(
        AuthErrors.forbiddenRole,
        'a platform administrator may call platform routes only (tenants); use a tenant user for this',
      );
    }
  }
}
