import { z } from 'zod';
import { ErrorCodes } from '@meridian/contracts/core';
import { ClientId, PrincipalAttributes, Region, Roles } from '@meridian/contracts/identity';
import { invalid } from '@meridian/gateway/util-http';
import { checkZoneGeometry } from '@meridian/shared/geometry';

/**
 * Positions a principal's region may have. Lower than a zone's 10,000: the region travels in the
 * principal header of every command and query the principal sends, and is compiled into every
 * row filter.
 */
export const REGION_MAX_VERTICES = 1000;

/**
 * Roles and attributes (region, clearance 0–4, teams, hours) as an administrator sets them. Left
 * out, the attributes are the unrestricted defaults (no region, clearance 0, every team, any hour):
 * a membership is replaced as a whole.
 */
export const MembershipBody = z.strictObject({ roles: Roles, attributes: PrincipalAttributes.prefault({}) });
export type MembershipBody = z.infer<typeof MembershipBody>;

/** A password as the API takes it: identity refuses shorter or longer ones after opening it, as here. */
export const Password = z.string().min(8).max(256);

/**
 * The region checked as a zone's geometry is (closed rings, coordinates in range, no
 * self-intersection, holes inside their shell) and rewound to RFC 7946 orientation: PostGIS could
 * not evaluate a row filter against an invalid one. A fault is 400 REQUEST.INVALID at
 * `attributes.region`, its detail saying what and where.
 */
export function checkedMembership<B extends MembershipBody>(body: B): B {
  const region = body.attributes.region;
  if (region === null) return body;
  const checked = checkZoneGeometry(region, { maxVertices: REGION_MAX_VERTICES });
  if (!checked.ok) {
    const message = checked.detail;
    throw invalid(ErrorCodes.requestInvalid, `attributes.region: ${message}`, [{ path: 'attributes.region', message }]);
  }
  return { ...body, attributes: { ...body.attributes, region: Region.parse(checked.geometry) } };
}

/** A user id in a path: a UUID, else 400. */
export const UserIdParam = z.uuid();

/** A service account's client id in a path, else 400. */
export const ClientIdParam = ClientId;
