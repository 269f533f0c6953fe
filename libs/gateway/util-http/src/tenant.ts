import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** A request the authentication hook passed: its principal (util-auth) carries the tenant. */
export type TenantRequest = FastifyRequest & { principal?: { readonly tenantId: string } };

/** The caller's tenant: the verified access token's, never a header the client chooses. */
export const Tenant = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const request = ctx.switchToHttp().getRequest<TenantRequest>();
  if (!request.principal) throw new Error('@Tenant() on a route the authentication hook did not authenticate');
  return request.principal.tenantId;
});
