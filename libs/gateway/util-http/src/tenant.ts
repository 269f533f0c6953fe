import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export type TenantRequest = FastifyRequest & { tenantId?: string };

/** The caller's tenant, set by the gateway's tenant hook for every /v1 request. */
export const Tenant = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const request = ctx.switchToHttp().getRequest<TenantRequest>();
  if (!request.tenantId) throw new Error('tenant hook did not run');
  return request.tenantId;
});
