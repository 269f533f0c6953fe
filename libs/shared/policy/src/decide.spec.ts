import { describe, expect, it } from '@jest/globals';
import type { Geometry, Polygon } from 'geojson';
import { can, decide, decidePermission, type PolicyDenial } from './decide';
import { isUnrestricted, type PolicyPrincipal, type PolicyResource } from './principal';
import { PERMISSIONS, permissionsOf, ROLE_PERMISSIONS, ROLES, type Permission, type Role } from './roles';

const square = (x: number, y: number, size: number): Polygon => ({
  type: 'Polygon',
  coordinates: [
    [
      [x, y],
      [x + size, y],
      [x + size, y + size],
      [x, y + size],
      [x, y],
    ],
  ],
});
const point = (x: number, y: number): Geometry => ({ type: 'Point', coordinates: [x, y] });

const NOON = new Date('2025-03-01T12:00:00Z');
const someone: PolicyPrincipal = { tenantId: 'acme', subject: 'u-1', roles: ['viewer'], clearance: 0 };
const thing: PolicyResource = { tenantId: 'acme' };

interface Case {
  readonly given: Partial<PolicyPrincipal>;
  readonly when: {
    readonly permission?: Permission;
    readonly resource?: Partial<PolicyResource>;
    readonly at?: string;
  };
  readonly then: 'allow' | PolicyDenial;
}

/** Given a principal (a viewer of acme unless said), when it asks for a permission on a resource at a time. */
function run({ given, when }: Case) {
  const now = when.at === undefined ? NOON : new Date(when.at);
  return decide({ ...someone, ...given }, when.permission ?? 'assets:read', { ...thing, ...when.resource }, now);
}

const rules: [string, Case][] = [
  // Roles.
  ['a viewer reads assets', { given: {}, when: {}, then: 'allow' }],
  ['a viewer cannot write assets', { given: {}, when: { permission: 'assets:write' }, then: 'AUTH.FORBIDDEN_ROLE' }],
  ['no role grants nothing', { given: { roles: [] }, when: {}, then: 'AUTH.FORBIDDEN_ROLE' }],
  [
    'an unknown role grants nothing',
    { given: { roles: ['constructor' as Role] }, when: {}, then: 'AUTH.FORBIDDEN_ROLE' },
  ],
  [
    'roles add up',
    { given: { roles: ['viewer', 'approver'] }, when: { permission: 'missions:approve' }, then: 'allow' },
  ],
  [
    'platformAdmin alone grants no tenant permission',
    { given: { roles: [], platformAdmin: true }, when: {}, then: 'AUTH.FORBIDDEN_ROLE' },
  ],
  [
    'only platformAdmin has tenants:admin',
    { given: { roles: ['admin'] }, when: { permission: 'tenants:admin' }, then: 'AUTH.FORBIDDEN_ROLE' },
  ],
  [
    'tenants:admin ignores the tenant and attributes',
    {
      given: { roles: [], platformAdmin: true, region: square(0, 0, 1), teams: [] },
      when: { permission: 'tenants:admin', resource: { tenantId: 'other', sensitivity: 4, team: 'x' } },
      then: 'allow',
    },
  ],
  // Tenant.
  [
    'another tenant is refused',
    { given: {}, when: { resource: { tenantId: 'other' } }, then: 'AUTH.FORBIDDEN_TENANT' },
  ],
  [
    "a platform admin's tenant act needs the tenant",
    {
      given: { roles: ['admin'], platformAdmin: true },
      when: { resource: { tenantId: 'other' } },
      then: 'AUTH.FORBIDDEN_TENANT',
    },
  ],
  [
    'the role is checked before the tenant',
    { given: { roles: [] }, when: { resource: { tenantId: 'other' } }, then: 'AUTH.FORBIDDEN_ROLE' },
  ],
  // Hours: [from, to) in UTC, wrapping midnight when from > to.
  [
    'inside the hours',
    { given: { hours: { fromMinute: 480, toMinute: 1020 } }, when: { at: '2025-03-01T08:00:00Z' }, then: 'allow' },
  ],
  [
    'the end of the hours is outside',
    {
      given: { hours: { fromMinute: 480, toMinute: 1020 } },
      when: { at: '2025-03-01T17:00:00Z' },
      then: 'AUTH.OUTSIDE_HOURS',
    },
  ],
  [
    'hours are UTC, not local time',
    {
      given: { hours: { fromMinute: 480, toMinute: 1020 } },
      when: { at: '2025-03-01T08:30:00+02:00' },
      then: 'AUTH.OUTSIDE_HOURS',
    },
  ],
  [
    'a night shift wraps midnight',
    { given: { hours: { fromMinute: 1320, toMinute: 360 } }, when: { at: '2025-03-01T02:00:00Z' }, then: 'allow' },
  ],
  [
    'a night shift excludes noon',
    { given: { hours: { fromMinute: 1320, toMinute: 360 } }, when: {}, then: 'AUTH.OUTSIDE_HOURS' },
  ],
  [
    'an empty window (from = to) never holds',
    { given: { hours: { fromMinute: 720, toMinute: 720 } }, when: {}, then: 'AUTH.OUTSIDE_HOURS' },
  ],
  // Region: boundaries count, like ST_Intersects.
  [
    'a point inside the region',
    { given: { region: square(0, 0, 1) }, when: { resource: { location: point(0.5, 0.5) } }, then: 'allow' },
  ],
  [
    'a point on the region edge',
    { given: { region: square(0, 0, 1) }, when: { resource: { location: point(1, 0.5) } }, then: 'allow' },
  ],
  [
    'a point outside the region',
    {
      given: { region: square(0, 0, 1) },
      when: { resource: { location: point(1.5, 0.5) } },
      then: 'AUTH.OUTSIDE_REGION',
    },
  ],
  [
    'a polygon sharing only a corner',
    { given: { region: square(0, 0, 1) }, when: { resource: { location: square(1, 1, 1) } }, then: 'allow' },
  ],
  [
    'a line touched by a region corner (where turf alone says no)',
    {
      given: {
        region: {
          type: 'Polygon',
          coordinates: [
            [
              [2, 1.5],
              [1.5, 2],
              [1, 1],
              [2, 1.5],
            ],
          ],
        },
      },
      when: {
        resource: {
          location: {
            type: 'LineString',
            coordinates: [
              [1, 1.5],
              [1, 0.5],
              [0.5, 0],
            ],
          },
        },
      },
      then: 'allow',
    },
  ],
  [
    'a resource without location is invisible to a region',
    { given: { region: square(0, 0, 1) }, when: { resource: { location: null } }, then: 'AUTH.OUTSIDE_REGION' },
  ],
  ['no region sees a resource without location', { given: {}, when: { resource: { location: null } }, then: 'allow' }],
  // Clearance: sensitivity null counts as 0.
  [
    'sensitivity up to the clearance',
    { given: { clearance: 2 }, when: { resource: { sensitivity: 2 } }, then: 'allow' },
  ],
  [
    'sensitivity above the clearance',
    { given: { clearance: 2 }, when: { resource: { sensitivity: 3 } }, then: 'AUTH.CLEARANCE' },
  ],
  ['no sensitivity is public', { given: { clearance: 0 }, when: { resource: { sensitivity: null } }, then: 'allow' }],
  // Teams: null = all teams; team-less resources are visible to everyone.
  ['a member of the team', { given: { teams: ['red'] }, when: { resource: { team: 'red' } }, then: 'allow' }],
  ['not a member of the team', { given: { teams: ['red'] }, when: { resource: { team: 'blue' } }, then: 'AUTH.TEAM' }],
  ['a team-less resource', { given: { teams: [] }, when: { resource: { team: null } }, then: 'allow' }],
  ['teams null sees every team', { given: { teams: null }, when: { resource: { team: 'blue' } }, then: 'allow' }],
  // Order: the first failing rule names the refusal.
  [
    'hours before region, clearance and team',
    {
      given: { hours: { fromMinute: 0, toMinute: 60 }, region: square(0, 0, 1), clearance: 0, teams: [] },
      when: { resource: { location: null, sensitivity: 4, team: 'x' } },
      then: 'AUTH.OUTSIDE_HOURS',
    },
  ],
  [
    'region before clearance and team',
    {
      given: { region: square(0, 0, 1), clearance: 0, teams: [] },
      when: { resource: { location: null, sensitivity: 4, team: 'x' } },
      then: 'AUTH.OUTSIDE_REGION',
    },
  ],
  [
    'clearance before team',
    { given: { clearance: 0, teams: [] }, when: { resource: { sensitivity: 4, team: 'x' } }, then: 'AUTH.CLEARANCE' },
  ],
];

describe('decide', () => {
  it.each(rules)('%s', (_, c) => {
    const decision = run(c);
    if (c.then === 'allow') expect(decision).toEqual({ allow: true });
    else expect(decision).toMatchObject({ allow: false, code: c.then, detail: expect.any(String) });
  });

  it('says why in the detail', () => {
    const at = '2025-03-01T12:05:00Z';
    const hours = { fromMinute: 480, toMinute: 1020 };
    expect(run({ given: { hours }, when: { at: '2025-03-01T07:59:00Z' }, then: 'AUTH.OUTSIDE_HOURS' })).toMatchObject({
      detail: '07:59 UTC is outside the allowed hours 08:00–17:00 UTC',
    });
    expect(
      run({ given: { clearance: 1 }, when: { at, resource: { sensitivity: 3 } }, then: 'AUTH.CLEARANCE' }),
    ).toMatchObject({
      detail: 'sensitivity 3 exceeds clearance 1',
    });
    expect(run({ given: {}, when: { permission: 'zones:write' }, then: 'AUTH.FORBIDDEN_ROLE' })).toMatchObject({
      detail: "zones:write is not granted by the principal's roles (viewer)",
    });
  });
});

describe('decidePermission and can (no resource yet)', () => {
  it('checks the role and the hours only', () => {
    const night = { ...someone, hours: { fromMinute: 1320, toMinute: 360 }, region: square(50, 50, 1), teams: [] };
    expect(decidePermission(someone, 'missions:read', NOON)).toEqual({ allow: true });
    expect(decidePermission(someone, 'missions:write', NOON)).toMatchObject({
      allow: false,
      code: 'AUTH.FORBIDDEN_ROLE',
    });
    expect(decidePermission(night, 'assets:read', new Date('2025-03-01T23:00:00Z'))).toEqual({ allow: true });
    expect(decidePermission(night, 'assets:read', NOON)).toMatchObject({ allow: false, code: 'AUTH.OUTSIDE_HOURS' });
    expect(can(night, 'assets:read', NOON)).toBe(false);
    expect(can(someone, 'assets:read', NOON)).toBe(true);
    expect(can({ ...someone, roles: [], platformAdmin: true }, 'tenants:admin', NOON)).toBe(true);
    expect(decidePermission({ ...someone, roles: ['admin'] }, 'tenants:admin', NOON)).toMatchObject({
      allow: false,
      code: 'AUTH.FORBIDDEN_ROLE',
      detail: 'tenants:admin is granted to platform administrators only',
    });
  });
});

describe('role table', () => {
  const grants = (role: Role, permission: Permission): boolean => can({ ...someone, roles: [role] }, permission, NOON);

  it('viewer reads, but not identity or audit, and writes nothing', () => {
    expect(permissionsOf(['viewer'])).toEqual(['assets:read', 'positions:read', 'zones:read', 'missions:read']);
    expect(grants('viewer', 'assets:write')).toBe(false);
    expect(grants('viewer', 'identity:read')).toBe(false);
    expect(grants('viewer', 'audit:read')).toBe(false);
  });

  it('operator, dispatcher and approver add their own permissions to the viewer', () => {
    const extra = (role: Role): Permission[] =>
      ROLE_PERMISSIONS[role].filter((p) => !ROLE_PERMISSIONS.viewer.includes(p)).sort();
    expect(extra('operator')).toEqual(['assets:write', 'telemetry:ingest', 'zones:write']);
    expect(extra('dispatcher')).toEqual(['missions:dispatch', 'missions:write']);
    expect(extra('approver')).toEqual(['missions:approve']);
    expect(grants('approver', 'missions:approve')).toBe(true);
    expect(grants('dispatcher', 'missions:approve')).toBe(false);
    expect(grants('operator', 'missions:dispatch')).toBe(false);
  });

  it('admin has every tenant permission, identity and audit included', () => {
    expect(PERMISSIONS.filter((p) => !grants('admin', p))).toEqual(['tenants:admin']);
    expect(grants('admin', 'identity:admin')).toBe(true);
    expect(grants('admin', 'audit:read')).toBe(true);
    expect(ROLES.filter((role) => grants(role, 'webhooks:admin'))).toEqual(['admin']);
  });

  it('nobody but a platform admin has tenants:admin', () => {
    expect(ROLES.filter((role) => grants(role, 'tenants:admin'))).toEqual([]);
    expect(permissionsOf(ROLES)).not.toContain('tenants:admin');
  });

  it('permissionsOf merges roles without repeats and ignores unknown ones', () => {
    expect(permissionsOf(['approver', 'dispatcher', 'approver', 'nobody'])).toEqual([
      'assets:read',
      'positions:read',
      'zones:read',
      'missions:read',
      'missions:write',
      'missions:approve',
      'missions:dispatch',
    ]);
  });
});

describe('isUnrestricted', () => {
  it('holds with no region, teams null and full clearance only', () => {
    const full = { ...someone, clearance: 4 };
    expect(isUnrestricted(full)).toBe(true);
    expect(isUnrestricted({ ...full, clearance: 3 })).toBe(false);
    expect(isUnrestricted({ ...full, teams: [] })).toBe(false);
    expect(isUnrestricted({ ...full, region: square(0, 0, 1) })).toBe(false);
  });
});
