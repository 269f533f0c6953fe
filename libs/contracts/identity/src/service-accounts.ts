import { z } from 'zod';
import { defineMessage, DisplayName } from '@meridian/contracts/core';
import { PrincipalAttributes, Role } from './principals';
import { TenantId } from './tenants';
import { Actor, Roles, SealedSecret } from './users';

/** A service account's OAuth client id, unique across all tenants (client credentials name no tenant). */
export const ClientId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, 'lowercase letters, digits, . _ -, 3-64 chars, starting alphanumeric');

export const CreateServiceAccountV1 = defineMessage(
  'meridian.identity.service-account.create.v1',
  'command',
  z.strictObject({
    clientId: ClientId,
    name: DisplayName,
    /** The client secret, sealed. Identity keeps it sealed and opens it only to compare at the token endpoint. */
    secret: SealedSecret,
    roles: Roles,
    attributes: PrincipalAttributes.prefault({}),
  }),
  'Create a service account (an OAuth client for client credentials) of the tenant.',
);

export const SetServiceAccountMembershipV1 = defineMessage(
  'meridian.identity.service-account.membership.set.v1',
  'command',
  z.strictObject({ clientId: ClientId, roles: Roles, attributes: PrincipalAttributes.prefault({}) }),
  "Replace a service account's roles and attributes (a permission change).",
);

export const DisableServiceAccountV1 = defineMessage(
  'meridian.identity.service-account.disable.v1',
  'command',
  z.strictObject({ clientId: ClientId }),
  'Disable a service account: it gets no new tokens and its tokens are refused.',
);

const Instant = z.iso.datetime({ offset: true });

export const ServiceAccountCreatedV1 = defineMessage(
  'meridian.identity.service-account.created.v1',
  'event',
  z.strictObject({
    tenantId: TenantId,
    clientId: ClientId,
    name: z.string(),
    roles: z.array(Role),
    attributes: PrincipalAttributes,
    /** The platform administrator's account (tenant `platform`): manages tenants. */
    platformAdmin: z.boolean(),
    actor: Actor,
    version: z.number().int().min(1),
    createdAt: Instant,
  }),
  'A service account exists with these roles and attributes. Never carries its secret.',
);

export const ServiceAccountMembershipChangedV1 = defineMessage(
  'meridian.identity.service-account.membership-changed.v1',
  'event',
  z.strictObject({
    tenantId: TenantId,
    clientId: ClientId,
    roles: z.array(Role),
    attributes: PrincipalAttributes,
    actor: Actor,
    version: z.number().int().min(1),
    changedAt: Instant,
  }),
  "A service account's roles or attributes changed (a permission change): these are the new ones.",
);

export const ServiceAccountDisabledV1 = defineMessage(
  'meridian.identity.service-account.disabled.v1',
  'event',
  z.strictObject({
    tenantId: TenantId,
    clientId: ClientId,
    actor: Actor,
    version: z.number().int().min(1),
    disabledAt: Instant,
  }),
  'A service account was disabled: it gets no new tokens and its tokens are refused.',
);
