import { type Decision, reject } from '@meridian/shared/decider';
import type { Decision as PolicyDecision } from '@meridian/shared/policy';

/**
 * The policy's verdict on one command (shared/policy `decide`), made in the command handler's
 * process and passed to the decider as data: the decider stays pure (no principal, no clock) and
 * refuses with the policy's code (AUTH.CLEARANCE, AUTH.TEAM, AUTH.OUTSIDE_REGION, …), a coded
 * rejection like any other.
 */
export type AccessDecision = PolicyDecision;

/** Everything allowed: for callers that act as the system (seeding, tools), never for a principal's command. */
export const SYSTEM_ACCESS: AccessDecision = Object.freeze({ allow: true });

/** Who may see and change a resource beyond the tenant's roles (docs/permissions.md). */
export interface AccessAttributes {
  /** 0 (public) to 4: a principal's clearance must reach it. */
  readonly sensitivity: number;
  /** The owning team, or null: visible to every team. */
  readonly team: string | null;
}

/** The refusal an access decision earns, or null when it allows. */
export const refusedAccess = <E>(access: AccessDecision): Decision<E> | null =>
  access.allow ? null : reject(access.code, access.detail);
