import { z } from 'zod';
import { ErrorCodes, type MessageContract, type DataOf, Topics } from '@meridian/contracts/core';
import { ClientId, type Principal, PrincipalAttributes, Region, Roles } from '@meridian/contracts/identity';
import type { CommandOutcome, PrincipalEntry, ServiceBus } from '@meridian/gateway/data-access';
import { invalid, problemFromCode } from '@meridian/gateway/util-http';
import { checkZoneGeometry } from '@meridian/shared/geometry';

/** Roles and attributes as the admin API takes them: a region must be a valid polygon. */
export const MembershipBody = z.strictObject({ roles: Roles, attributes: PrincipalAttributes.prefault({}) });
export type MembershipBody = z.infer<typeof MembershipBody>;

/**
 * Refuses a self-intersecting or otherwise invalid region (400 saying where), as a zone's geometry
 * is refused: PostGIS could not evaluate the principal's row filter against it.
 */
export function checkRegion(body: MembershipBody): MembershipBody {
  const region = body.attributes.region;
  if (!region) return body;
  const checked = checkZoneGeometry(region);
  if (!checked.ok) throw invalid(ErrorCodes.requestInvalid, `attributes.region: ${checked.detail}`);
  return { ...body, attributes: { ...body.attributes, region: Region.parse(checked.geometry) } };
}

/** An identity command from the gateway: to identity's command topic, the acting principal attached. */
export function identityCommand<C extends MessageContract>(
  bus: ServiceBus,
  contract: C,
  key: string,
  data: DataOf<C>,
  tenantId: string,
  commandId: string,
): Promise<CommandOutcome> {
  return bus.command(contract, key, data, tenantId, commandId, { topic: Topics.identityCommands });
}

/** 200/201 with `body` when identity accepted, 202 while pending; a refusal as problem+json with its code. */
export function adminResponse(
  outcome: CommandOutcome,
  body: Record<string, unknown>,
  created: { readonly location: string } | null,
): { status: number; body: Record<string, unknown>; location?: string } {
  switch (outcome.outcome) {
    case 'accepted':
      return created
        ? { status: 201, body: { ...body, version: outcome.version }, location: created.location }
        : { status: 200, body: { ...body, version: outcome.version } };
    case 'pending':
      return { status: 202, body: { ...body, status: 'pending', correlationId: outcome.correlationId } };
    case 'rejected':
      throw problemFromCode(outcome.code, outcome.detail);
  }
}

/** A principal as the admin API shows it: never a secret (there is none in a snapshot). */
export const principalView = ({ principal, name, version }: PrincipalEntry) => ({
  id: principal.subject,
  name,
  roles: principal.roles,
  attributes: {
    region: principal.region,
    clearance: principal.clearance,
    teams: principal.teams,
    hours: principal.hours,
  },
  version,
});

export const clientIdParam = (value: string): string => {
  const parsed = ClientId.safeParse(value);
  if (!parsed.success) throw invalid(ErrorCodes.requestInvalid, `clientId: ${value} is not a client id`);
  return parsed.data;
};

export const userIdParam = (value: string): string => {
  const parsed = z.uuid().safeParse(value);
  if (!parsed.success) throw invalid(ErrorCodes.requestInvalid, `id: ${value} is not a UUID`);
  return parsed.data;
};

export type PrincipalKind = Principal['kind'];
