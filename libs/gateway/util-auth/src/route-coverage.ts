import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { isPublicPath } from './public-paths';
import { ROUTE_ACCESS, type RouteAccess } from './route-access';

const pathsOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [String(value ?? '')]);

const join = (base: string, path: string): string => `/${base}/${path}`.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');

/**
 * Refuses to start a gateway with a route that does not say who may call it: every controller
 * method must carry `@RequirePermission`, `@Authenticated` or `@Public` (on itself or its class),
 * except the health probes, and a `@Public` route must lie on a public path (or the hook would
 * still ask for a token). A new route is covered the day it is written, not when someone notices.
 */
@Injectable()
export class RouteCoverage implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const problems = this.problems();
    if (problems.length > 0) throw new Error(`routes without a declared access rule:\n  ${problems.join('\n  ')}`);
  }

  problems(): string[] {
    const problems: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype as (abstract new (...args: never[]) => unknown) | null;
      const instance = wrapper.instance as object | undefined;
      if (!type || !instance) continue;
      const bases = pathsOf(Reflect.getMetadata(PATH_METADATA, type));
      if (bases.every((base) => isPublicPath(join(base, '') + '/'))) continue; // health probes
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const routePath: unknown = Reflect.getMetadata(PATH_METADATA, handler);
        if (routePath === undefined) continue;
        const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS, [handler, type]);
        const paths = bases.flatMap((base) => pathsOf(routePath).map((p) => join(base, p)));
        if (!access) problems.push(`${type.name}.${name} (${paths.join(', ')}): no access rule`);
        else if (access.kind === 'public' && !paths.every(isPublicPath)) {
          problems.push(`${type.name}.${name} (${paths.join(', ')}): @Public() off the public paths`);
        }
      }
    }
    return problems;
  }
}
