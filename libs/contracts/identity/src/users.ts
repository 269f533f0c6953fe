import { z } from 'zod';
import { defineMessage, DisplayName } from '@meridian/contracts/core';
import { PrincipalAttributes, Role } from './principals';
import { TenantId } from './tenants';

/** A login name, unique within its tenant: lowercase letters, digits, `.`, `_`, `-`; 2–64 characters. */
export const Username = z.string().regex(/^[a-z0-9._-]{2,64}$/, 'lowercase letters, digits, . _ -, 2-64 chars');

/**
 * A secret sealed with the shared SECRETS_KEY (`@meridian/shared/util` sealSecret: AES-256-GCM,
 * `v1.<iv>.<tag>.<ciphertext>` base64url). Passwords and client secrets travel in commands only
 * in this form; the sender seals, identity opens.
 */
export const SealedSecret = z
  .string()
  .max(2048)
  .regex(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/, 'a sealed secret (v1.<iv>.<tag>.<ciphertext>)');

/** A principal's roles in its tenant, each at most once (docs/permissions.md). */
export const Roles = z
  .array(Role)
  .max(5)
  .refine((roles) => new Set(roles).size === roles.length, 'each role at most once');

export const Email = z.email().max(254);

/** Who did it: the acting principal's subject (from the command's principal header), or `system`. */
export const Actor = z.string().min(1).max(255);

const Instant = z.iso.datetime({ offset: true });

export const CreateUserV1 = defineMessage(
  'meridian.identity.user.create.v1',
  'command',
  z.strictObject({
    userId: z.uuid(),
    username: Username,
    displayName: DisplayName,
    email: Email.optional(),
    /** Sealed; absent for a user who only logs in through a federated identity provider. */
    password: SealedSecret.optional(),
    roles: Roles,
    attributes: PrincipalAttributes.prefault({}),
  }),
  'Create a user of the tenant with a username (unique in the tenant), roles and attributes.',
);

export const SetUserMembershipV1 = defineMessage(
  'meridian.identity.user.membership.set.v1',
  'command',
  z.strictObject({ userId: z.uuid(), roles: Roles, attributes: PrincipalAttributes.prefault({}) }),
  "Replace a user's roles and attributes in the tenant (a permission change).",
);

export const DisableUserV1 = defineMessage(
  'meridian.identity.user.disable.v1',
  'command',
  z.strictObject({ userId: z.uuid() }),
  'Disable a user: its tokens are refused from the next principal snapshot on, and it cannot log in.',
);

export const FederatedLoginV1 = defineMessage(
  'meridian.identity.user.federated-login.v1',
  'command',
  z.strictObject({
    /** Derived from tenant, issuer and external subject (`federatedUserId` in @meridian/identity/domain). */
    userId: z.uuid(),
    issuer: z.url(),
    externalSubject: z.string().min(1).max(255),
    username: Username,
    displayName: DisplayName,
    email: Email.nullable(),
    /** The roles the tenant's group mapping gives the external groups. */
    roles: Roles,
  }),
  'A login at an external identity provider: creates the user the first time, then keeps its roles in step ' +
    "with the tenant's group mapping.",
);

const Federation = z.strictObject({ issuer: z.url(), subject: z.string() }).nullable();

export const UserCreatedV1 = defineMessage(
  'meridian.identity.user.created.v1',
  'event',
  z.strictObject({
    tenantId: TenantId,
    userId: z.uuid(),
    username: Username,
    displayName: z.string(),
    email: z.string().nullable(),
    /** The external identity of a federated user; null for a local one. */
    federation: Federation,
    roles: z.array(Role),
    attributes: PrincipalAttributes,
    actor: Actor,
    version: z.number().int().min(1),
    createdAt: Instant,
  }),
  'A user exists in the tenant with these roles and attributes. Never carries a password or its hash.',
);

export const UserMembershipChangedV1 = defineMessage(
  'meridian.identity.user.membership-changed.v1',
  'event',
  z.strictObject({
    tenantId: TenantId,
    userId: z.uuid(),
    roles: z.array(Role),
    attributes: PrincipalAttributes,
    actor: Actor,
    version: z.number().int().min(1),
    changedAt: Instant,
  }),
  "A user's roles or attributes changed (a permission change): these are the new ones.",
);

export const UserDisabledV1 = defineMessage(
  'meridian.identity.user.disabled.v1',
  'event',
  z.strictObject({
    tenantId: TenantId,
    userId: z.uuid(),
    actor: Actor,
    version: z.number().int().min(1),
    disabledAt: Instant,
  }),
  'A user was disabled: it can no longer log in and its tokens are refused.',
);
