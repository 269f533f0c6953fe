import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Permission } from '@meridian/shared/policy';

/**
 * What a permission depends on when one route serves several resources (a tile layer, an OGC
 * collection): the permission for this request, or undefined when the request names none (the
 * controller answers that with a 404).
 */
export type PermissionOf = (request: FastifyRequest) => Permission | undefined;

export type PermissionRule = Permission | PermissionOf;

/** How a route is reached: without a token, with any token, or with a token whose roles grant permissions. */
export type RouteAccess =
  | { readonly kind: 'public' }
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'permission'; readonly rules: readonly PermissionRule[] };

export const ROUTE_ACCESS = 'meridian:route-access';

/**
 * The permissions an operation needs, all of them (roles → permissions: docs/permissions.md). A
 * coarse check at the edge, before anything is loaded; rows are filtered by the services.
 */
export const RequirePermission = (first: PermissionRule, ...more: PermissionRule[]): MethodDecorator & ClassDecorator =>
  SetMetadata<string, RouteAccess>(ROUTE_ACCESS, { kind: 'permission', rules: [first, ...more] });

/** Any authenticated principal of a tenant, whatever its roles (e.g. the OGC landing page). */
export const Authenticated = (): MethodDecorator & ClassDecorator =>
  SetMetadata<string, RouteAccess>(ROUTE_ACCESS, { kind: 'authenticated' });

/**
 * No token needed. The authentication hook decides by path (`isPublicPath`), before routing: a
 * route marked here must also be listed there, or it still asks for a token.
 */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata<string, RouteAccess>(ROUTE_ACCESS, { kind: 'public' });

const READ_PERMISSIONS: Readonly<Record<string, Permission>> = {
  assets: 'assets:read',
  zones: 'zones:read',
  positions: 'positions:read',
};

/** The read permission of the collection or layer a path parameter names (assets, zones, positions). */
export const readPermissionOfParam =
  (param: string): PermissionOf =>
  (request) => {
    const value = (request.params as Readonly<Record<string, string | undefined>> | undefined)?.[param];
    return value !== undefined && Object.hasOwn(READ_PERMISSIONS, value) ? READ_PERMISSIONS[value] : undefined;
  };

/** `permission` only when the query has `param` (e.g. `GET /v1/assets?at=`: where-at-T reads positions). */
export const whenQueryHas =
  (param: string, permission: Permission): PermissionOf =>
  (request) => {
    const query = request.query as Readonly<Record<string, unknown>> | undefined;
    return query?.[param] !== undefined ? permission : undefined;
  };
