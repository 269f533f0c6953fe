import { CodedError } from '@meridian/contracts/core';
import { AuthErrors, Principal, requirePrincipal } from '@meridian/contracts/identity';
import { type AdminAccess, PLATFORM_TENANT, SYSTEM_ACCESS, SYSTEM_ACTOR } from '@meridian/identity/domain';
import { decidePermission, isUnrestricted } from '@meridian/shared/policy';

interface Addressed {
  readonly tenantId?: string;
  readonly principal?: string;
}

/** Who issues an identity administration command, and the policy's verdict on it. */
export interface AdminActor {
  /** The acting principal's subject, recorded with the events; `system` for identity's own commands. */
  readonly actor: string;
  readonly access: AdminAccess;
}

function platformAdmin(header: string): Principal | null {
  try {
    const result = Principal.safeParse(JSON.parse(header));
    const p = result.success ? result.data : null;
    return p?.platformAdmin === true && p.tenantId === PLATFORM_TENANT ? p : null;
  } catch {
    return null;
  }
}

/**
 * Without a principal header the command comes from identity itself (bootstrap, federation):
 * `system`, allowed. The platform administrator manages the identities of every tenant
 * (`tenants:admin`: it creates a tenant's first administrators); anyone else needs
 * `identity:admin` in the command's own tenant. A malformed header or another tenant's principal
 * is refused here (AUTH.PRINCIPAL_UNKNOWN / AUTH.FORBIDDEN_TENANT, as `requirePrincipal`); the
 * policy's verdict goes to the decider as data.
 */
export function identityAdminActor(request: Addressed, now: Date): AdminActor {
  if (request.principal === undefined) return { actor: SYSTEM_ACTOR, access: SYSTEM_ACCESS };
  const platform = platformAdmin(request.principal);
  const acting = platform ?? requirePrincipal(request);
  if (acting.subject === SYSTEM_ACTOR) {
    throw new CodedError(AuthErrors.principalUnknown, `the subject ${SYSTEM_ACTOR} is reserved`);
  }
  const access = decidePermission(acting, platform ? 'tenants:admin' : 'identity:admin', now);
  // Whoever grants roles and attributes could grant them to itself: an administrator restricted by
  // region, clearance or teams would lift its own restrictions (or make an unrestricted service
  // account). Only an unrestricted administrator manages identities.
  if (access.allow && !platform && !isUnrestricted(acting)) {
    return { actor: acting.subject, access: RESTRICTED_ADMIN };
  }
  return { actor: acting.subject, access };
}

const RESTRICTED_ADMIN: AdminAccess = Object.freeze({
  allow: false,
  code: AuthErrors.forbiddenRole,
  detail: 'an administrator restricted by region, clearance or teams cannot manage identities',
});
