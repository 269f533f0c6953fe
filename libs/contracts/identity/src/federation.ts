import { z } from 'zod';
import { defineMessage } from '@meridian/contracts/core';
import { PrincipalAttributes, Role } from './principals';
import { TenantId } from './tenants';
import { Actor, Roles, SealedSecret } from './users';

/** An external OpenID provider's issuer identifier (http only for development and tests). */
export const FederationIssuer = z.url({ protocol: /^https?$/ }).max(2048);

/** A group name as the external provider's `groups` claim carries it. */
export const GroupName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');

/** External group → Meridian roles (docs/permissions.md); at most 200 groups. */
export const GroupRoles = z
  .record(GroupName, Roles)
  .refine((groups) => Object.keys(groups).length <= 200, 'at most 200 groups');

export const ConfigureFederationV1 = defineMessage(
  'meridian.identity.federation.configure.v1',
  'command',
  z.strictObject({
    issuer: FederationIssuer,
    /** The client Meridian is registered as at the external provider (confidential, code flow with PKCE). */
    clientId: z.string().min(1).max(255),
    /** Sealed with SECRETS_KEY. */
    clientSecret: SealedSecret,
    groupRoles: GroupRoles,
    /** The roles of a user none of whose groups is mapped; [] refuses such users at login. */
    defaultRoles: Roles,
    /** Given to each federated user at its first login. */
    attributes: PrincipalAttributes.prefault({}),
  }),
  "Let the tenant's people log in at their organisation's OpenID provider, and map its groups to roles. " +
    'Replaces the previous settings; users get the new mapping at their next login.',
);

export const FederationConfiguredV1 = defineMessage(
  'meridian.identity.federation.configured.v1',
  'event',
  z.strictObject({
    tenantId: TenantId,
    issuer: z.string(),
    clientId: z.string(),
    groupRoles: z.record(z.string(), z.array(Role)),
    defaultRoles: z.array(Role),
    attributes: PrincipalAttributes,
    actor: Actor,
    version: z.number().int().min(1),
    configuredAt: z.iso.datetime({ offset: true }),
  }),
  "The tenant's federation settings from now on. Never carries the client secret.",
);
