/**
 * The people of the browser tests: identity creates them at start (IDENTITY_BOOTSTRAP_USERS, see
 * test/console/system.ts), all in tenant `demo`. Pure data, so Playwright's tests import it as freely
 * as the Node process that starts the system does.
 */

/** The tenant every console user signs in to; `OTHER_TENANT` exists beside it, for isolation checks. */
export const TENANT = 'demo';
export const OTHER_TENANT = 'other';
export const TENANTS = [TENANT, OTHER_TENANT] as const;

export type ConsoleRole = 'viewer' | 'operator' | 'dispatcher' | 'approver' | 'admin';

/** A GeoJSON Polygon in lon/lat. */
export interface RegionPolygon {
  readonly type: 'Polygon';
  readonly coordinates: readonly (readonly (readonly [number, number])[])[];
}

/** Identity's BootstrapUser (libs/identity/data-access accounts.config.ts), the attributes used here. */
export interface ConsoleUser {
  readonly tenantId: string;
  readonly username: string;
  readonly password: string;
  readonly displayName: string;
  readonly roles: readonly ConsoleRole[];
  readonly attributes: { readonly region?: RegionPolygon; readonly clearance?: number; readonly teams?: string[] };
}

const user = (
  username: string,
  displayName: string,
  roles: readonly ConsoleRole[],
  attributes: ConsoleUser['attributes'] = {},
): ConsoleUser => ({ tenantId: TENANT, username, password: `${username}-password-1`, displayName, roles, attributes });

/** The square lon 10..11, lat 50..51: the only place `regional` may see. */
export const REGION: RegionPolygon = {
  type: 'Polygon',
  coordinates: [
    [
      [10, 50],
      [11, 50],
      [11, 51],
      [10, 51],
      [10, 50],
    ],
  ],
};

export const DISPATCHER = user('dispatcher', 'Dana Dispatcher', ['dispatcher']);
export const APPROVER = user('approver', 'Avery Approver', ['approver']);
export const OPERATOR = user('operator', 'Oli Operator', ['operator']);
/** An operator restricted to REGION (ABAC): assets elsewhere are not hers to see. */
export const REGIONAL = user('regional', 'Rae Regional', ['operator'], { region: REGION });
export const CONSOLE_ADMIN = user('console-admin', 'Ada Admin', ['admin']);

export const USERS: readonly ConsoleUser[] = [DISPATCHER, APPROVER, OPERATOR, REGIONAL, CONSOLE_ADMIN];

/** The tenant's bootstrap administrator (a service account): the tests' own set-up through the API. */
export const TENANT_ADMIN = { clientId: `${TENANT}-admin`, clientSecret: 'e2e-tenant-admin-secret' } as const;
