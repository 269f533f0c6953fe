import { describe, expect, it } from '@jest/globals';
import { ProblemException, parseOr400 } from '@meridian/gateway/util-http';
import { squarePolygon } from '@meridian/shared/geometry';
import { CreateServiceAccountBody } from './create-service-account/create-service-account.controller';
import { CreateTenantBody } from './create-tenant/create-tenant.controller';
import { CreateUserBody } from './create-user/create-user.controller';
import { checkedMembership, MembershipBody, REGION_MAX_VERTICES } from './membership';

/** The problem a body earns, or null when it passes (parsing, then the region check). */
function refusal(body: unknown): { status: number; code: string; paths: string[]; detail: string } | null {
  try {
    checkedMembership(parseOr400(MembershipBody, body));
    return null;
  } catch (err) {
    if (!(err instanceof ProblemException)) throw err;
    const problem = err.body();
    return {
      status: problem.status,
      code: problem.code,
      paths: (problem.errors ?? []).map((e) => e.path),
      detail: problem.detail ?? '',
    };
  }
}

/** A bow tie: its edges cross at (1, 1). */
const bowTie = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 0],
      [2, 2],
      [2, 0],
      [0, 2],
      [0, 0],
    ],
  ],
};

describe('membership bodies', () => {
  it('takes roles alone: the attributes are the unrestricted defaults', () => {
    expect(checkedMembership(parseOr400(MembershipBody, { roles: ['viewer'] }))).toEqual({
      roles: ['viewer'],
      attributes: { region: null, clearance: 0, teams: null, hours: null },
    });
  });

  it('rewinds a clockwise region to RFC 7946 orientation (shell counter-clockwise)', () => {
    const square = squarePolygon(8, 47, 1);
    const clockwise = { type: 'Polygon', coordinates: [[...square.coordinates[0]].reverse()] };
    const checked = checkedMembership(parseOr400(MembershipBody, { roles: [], attributes: { region: clockwise } }));
    expect(checked.attributes.region).toEqual(square);
  });

  it('refuses a self-intersecting region with 400 REQUEST.INVALID at attributes.region, saying where', () => {
    const problem = refusal({ roles: ['viewer'], attributes: { region: bowTie } });
    expect(problem).toMatchObject({ status: 400, code: 'REQUEST.INVALID', paths: ['attributes.region'] });
    expect(problem?.detail).toMatch(/self-intersection near 1 1/);
  });

  it('refuses an open ring, a region of too many positions, and a region that is not a polygon', () => {
    const open = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
        ],
      ],
    };
    expect(refusal({ roles: [], attributes: { region: open } })).toMatchObject({
      code: 'REQUEST.INVALID',
      paths: ['attributes.region'],
    });
    const n = REGION_MAX_VERTICES;
    const circle = Array.from({ length: n }, (_, i) => [
      Math.cos((2 * Math.PI * i) / n),
      Math.sin((2 * Math.PI * i) / n),
    ]);
    const big = { type: 'Polygon', coordinates: [[...circle, circle[0]]] };
    expect(refusal({ roles: [], attributes: { region: big } })?.detail).toMatch(/at most 1000/);
    const point = { type: 'Point', coordinates: [8, 47] };
    expect(refusal({ roles: [], attributes: { region: point } })).toMatchObject({
      status: 400,
      code: 'REQUEST.INVALID',
    });
  });

  it.each([
    ['an unknown role', { roles: ['superuser'] }, 'roles.0'],
    ['a role twice', { roles: ['viewer', 'viewer'] }, 'roles'],
    ['clearance above 4', { roles: [], attributes: { clearance: 5 } }, 'attributes.clearance'],
    ['a malformed team', { roles: [], attributes: { teams: ['Red Team'] } }, 'attributes.teams.0'],
    [
      'hours out of range',
      { roles: [], attributes: { hours: { fromMinute: 0, toMinute: 1441 } } },
      'attributes.hours.toMinute',
    ],
    ['an unknown attribute', { roles: [], attributes: { department: 'x' } }, 'attributes'],
    ['an unknown field', { roles: [], admin: true }, '(body)'],
    ['no roles', { attributes: {} }, 'roles'],
  ])('refuses %s with 400 REQUEST.INVALID naming the field', (_case, body, path) => {
    expect(refusal(body)).toMatchObject({ status: 400, code: 'REQUEST.INVALID', paths: [path] });
  });
});

describe('creation bodies', () => {
  const parses = (schema: Parameters<typeof parseOr400>[0], body: unknown): string[] => {
    try {
      parseOr400(schema, body);
      return [];
    } catch (err) {
      return ((err as ProblemException).body().errors ?? []).map((e) => e.path);
    }
  };

  it('a user: username rules, a password of 8 to 256 characters, optional (federated users have none)', () => {
    const user = { username: 'ada', displayName: 'Ada', roles: ['operator'] };
    expect(parses(CreateUserBody, user)).toEqual([]);
    expect(parses(CreateUserBody, { ...user, password: 'long enough' })).toEqual([]);
    expect(parses(CreateUserBody, { ...user, password: 'short' })).toEqual(['password']);
    expect(parses(CreateUserBody, { ...user, password: 'x'.repeat(257) })).toEqual(['password']);
    expect(parses(CreateUserBody, { ...user, username: 'Ada Lovelace' })).toEqual(['username']);
    expect(parses(CreateUserBody, { ...user, email: 'not-an-email' })).toEqual(['email']);
  });

  it('a tenant: an id of lowercase letters, digits and dashes, and an administrator with a password', () => {
    const admin = { username: 'first', displayName: 'First', password: 'pw-12345678' };
    expect(parses(CreateTenantBody, { tenantId: 'acme-2', name: 'Acme', admin })).toEqual([]);
    expect(parses(CreateTenantBody, { tenantId: 'Acme', name: 'Acme', admin })).toEqual(['tenantId']);
    const { password: _, ...withoutPassword } = admin;
    expect(parses(CreateTenantBody, { tenantId: 'acme-2', name: 'Acme', admin: withoutPassword })).toEqual([
      'admin.password',
    ]);
  });

  it('a service account: a client id, a name, and no secret (the gateway makes it)', () => {
    const account = { clientId: 'ingest-bot', name: 'Ingest', roles: ['operator'] };
    expect(parses(CreateServiceAccountBody, account)).toEqual([]);
    expect(parses(CreateServiceAccountBody, { ...account, clientId: 'x' })).toEqual(['clientId']);
    expect(parses(CreateServiceAccountBody, { ...account, secret: 'mine' })).toEqual(['(body)']);
  });

  it.each(['system', 'platform-admin', 'platform-tools', 'acme-admin'])('refuses the reserved client id %s', (id) => {
    const account = { clientId: id, name: 'Squatter', roles: ['operator'] };
    expect(parses(CreateServiceAccountBody, account)).toEqual(['clientId']);
  });
});
