import type { FastifyRequest } from 'fastify';
import { ErrorCodes } from '@meridian/contracts/core';
import { IdentityErrors, TenantId } from '@meridian/contracts/identity';
import { invalid, problemFromCode } from '@meridian/gateway/util-http';
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
  if (!parsed.success) {
    throw invalid(IdentityErrors.tenantInvalid, `${TENANT_HEADER}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  if (!directory.ready) {
    throw problemFromCode(ErrorCodes.upstreamUnavailable, 'the tenant directory is still loading; retry shortly');
  }
  if (!directory.has(parsed.data)) {
    throw problemFromCode(IdentityErrors.tenantUnknown, `tenant ${parsed.data} does not exist`);
  }
  return parsed.data;
}
