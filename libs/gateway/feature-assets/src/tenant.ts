import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ErrorCodes, TenantId } from '@meridian/contracts';
import { invalid, ProblemException } from './problem';
import type { TenantDirectory } from './tenant-directory';

export const TENANT_HEADER = 'x-tenant-id';

/**
 * The caller's tenant. Until OpenID Connect lands (identity issue) it comes from the
 * `X-Tenant-Id` header, or the configured default tenant; then it will come from the token.
 */
export function resolveTenant(request: FastifyRequest, defaultTenant: string, directory: TenantDirectory): string {
  const raw = request.headers[TENANT_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const parsed = TenantId.safeParse(value ?? defaultTenant);
  if (!parsed.success) throw invalid(ErrorCodes.tenantInvalid, `${TENANT_HEADER}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  if (!directory.ready) {
    throw new ProblemException(503, ErrorCodes.upstreamUnavailable, 'upstream: unavailable', 'the tenant directory is still loading; retry shortly');
  }
  if (!directory.has(parsed.data)) throw new ProblemException(404, ErrorCodes.tenantUnknown, 'tenant: unknown', `tenant ${parsed.data} does not exist`);
  return parsed.data;
}

/** Set by the tenant hook in the gateway app for every /v1 request. */
export const Tenant = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest & { tenantId?: string }>();
  if (!request.tenantId) throw new Error('tenant hook did not run');
  return request.tenantId;
});
