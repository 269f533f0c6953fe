import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Geometry, LineString, MultiPolygon, Polygon, Position } from 'geojson';
// Only this test talks to PostgreSQL; the library itself stays free of I/O (kind:pure).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { Client } from 'pg';
import { decide, type PolicyDenial } from './decide';
import type { HoursWindow, PolicyPrincipal, PolicyResource } from './principal';
import { PERMISSIONS, type Permission, ROLES } from './roles';
import { compileFilter, type FilterColumns } from './sql-filter';

/**
 * decide() and compileFilter() are one policy evaluated twice: for any principal, permission and
 * time, the rows PostGIS returns under the compiled WHERE are exactly the resources decide() allows.
 * Shapes sit on a 0.5° grid in a 3° box so edges and corners coincide often: the boundary cases
 * where a JS geometry test and ST_Intersects could part ways.
 */

const TENANTS = ['north', 'south'];
const TEAMS = ['red', 'green', 'blue'];
const READS: Permission[] = ['assets:read', 'positions:read', 'zones:read', 'missions:read'];
const DAY_MS = 86_400_000;

const coordinate = (min: number, max: number) => fc.integer({ min: min * 2, max: max * 2 }).map((n) => n / 2);
const position = (xMin = 0, xMax = 3) => fc.tuple(coordinate(xMin, xMax), coordinate(0, 3));
const same = (a: Position, b: Position): boolean => a[0] === b[0] && a[1] === b[1];

const rectangle = (xMin: number, xMax: number) =>
  fc
    .tuple(position(xMin, xMax), position(xMin, xMax))
    .filter(([a, b]) => a[0] !== b[0] && a[1] !== b[1])
    .map(([a, b]): Polygon => {
      const [x0, x1] = [Math.min(a[0], b[0]), Math.max(a[0], b[0])];
      const [y0, y1] = [Math.min(a[1], b[1]), Math.max(a[1], b[1])];
      const ring = [
        [x0, y0],
        [x1, y0],
        [x1, y1],
        [x0, y1],
        [x0, y0],
      ];
      return { type: 'Polygon', coordinates: [ring] };
    });

const triangle = (xMin: number, xMax: number) =>
  fc
    .tuple(position(xMin, xMax), position(xMin, xMax), position(xMin, xMax))
    .filter(([a, b, c]) => (b[0] - a[0]) * (c[1] - a[1]) !== (b[1] - a[1]) * (c[0] - a[0]))
    .map(([a, b, c]): Polygon => ({ type: 'Polygon', coordinates: [[a, b, c, a]] }));

const polygon = (xMin = 0, xMax = 3) => fc.oneof(rectangle(xMin, xMax), triangle(xMin, xMax));

/** Two parts apart (x ≤ 1 and x ≥ 1.5): overlapping parts are invalid, and GEOS throws on them. */
const multiPolygon = fc
  .tuple(polygon(0, 1), polygon(1.5, 3))
  .map(([a, b]): MultiPolygon => ({ type: 'MultiPolygon', coordinates: [a.coordinates, b.coordinates] }));

/** 2–4 positions; a step often keeps x or y, since axis-parallel segments meet polygon corners most. */
const step = fc.record({ keep: fc.constantFrom('x', 'y', 'none'), to: position() });
const lineString = fc
  .tuple(position(), fc.array(step, { minLength: 1, maxLength: 3 }))
  .map(([start, steps]) =>
    steps.reduce<Position[]>(
      (ps, { keep, to }) => {
        const last = ps[ps.length - 1];
        return [...ps, keep === 'x' ? [last[0], to[1]] : keep === 'y' ? [to[0], last[1]] : to];
      },
      [start],
    ),
  )
  .filter((ps) => ps.every((p, i) => i === 0 || !same(p, ps[i - 1])))
  .map((coordinates): LineString => ({ type: 'LineString', coordinates }));

const point = position().map((coordinates): Geometry => ({ type: 'Point', coordinates }));

/** Whole hours mostly, so that `now` often falls on a window's first or last minute. */
const minute = (max: number) =>
  fc.oneof(
    fc.integer({ min: 0, max: Math.floor(max / 60) }).map((h) => h * 60),
    fc.integer({ min: 0, max }),
  );

const hours: fc.Arbitrary<HoursWindow> = fc.record({ fromMinute: minute(1439), toMinute: minute(1440) });

const now = fc
  .record({ day: fc.integer({ min: 0, max: 365 }), minute: minute(1439), ms: fc.integer({ min: 0, max: 59_999 }) })
  .map(({ day, minute: m, ms }) => new Date(Date.UTC(2025, 0, 1) + day * DAY_MS + m * 60_000 + ms));

const nullOr = <T>(arbitrary: fc.Arbitrary<T>, nullWeight = 1, valueWeight = 3) =>
  fc.oneof({ weight: nullWeight, arbitrary: fc.constant(null) }, { weight: valueWeight, arbitrary });

const principal: fc.Arbitrary<PolicyPrincipal> = fc.record({
  tenantId: fc.constantFrom(...TENANTS),
  subject: fc.constant('p-1'),
  roles: fc.subarray([...ROLES]),
  platformAdmin: fc.boolean(),
  region: fc.oneof(
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: polygon() },
    { weight: 1, arbitrary: multiPolygon },
  ),
  clearance: fc.integer({ min: 0, max: 4 }),
  teams: nullOr(fc.subarray(TEAMS), 1, 2),
  hours: nullOr(hours, 3, 1),
});

const resourceWith = (location: fc.Arbitrary<Geometry | null>) =>
  fc.record({
    tenantId: fc.constantFrom(...TENANTS),
    location,
    sensitivity: nullOr(fc.integer({ min: 0, max: 4 })),
    team: nullOr(fc.constantFrom(...TEAMS)),
  });
type Resource = ReturnType<typeof resourceWith> extends fc.Arbitrary<infer R> ? R : never;

const resource = resourceWith(
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: point },
    { weight: 2, arbitrary: polygon() },
    { weight: 1, arbitrary: lineString },
  ),
);

/**
 * Rows every case also sees (case 0): a few hundred more resources per principal at the cost of one
 * query, with extra lines because the rarest boundary case lives there (a polygon corner on the
 * inside of a segment of a line, which @turf/boolean-intersects alone misses: see intersects.ts).
 */
const FIXED_FIRST_ID = 1000;
const FIXED: Resource[] = [
  ...fc.sample(resource, { numRuns: 300, seed: 20250301 }),
  ...fc.sample(resourceWith(lineString), { numRuns: 500, seed: 20250302 }),
];

/** Which attributes this resource kind has (a kind without one passes null for its column). */
const kind = fc.record({
  geom: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
  sensitivity: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
  team: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
});

const permission = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...READS) },
  { weight: 1, arbitrary: fc.constantFrom(...PERMISSIONS) },
);

const policyCase = fc.record({
  principal,
  permission,
  now,
  kind,
  resources: fc.array(resource, { minLength: 1, maxLength: 30, size: 'max' }),
});

describe('policy agreement: decide() and compileFilter() on real PostGIS', () => {
  const db = new Client({ connectionString: process.env['TEST_DATABASE_URL'] });
  const table = 'policy_agreement_rows';

  /** One multi-row INSERT: the batch travels as one JSON parameter. */
  async function insert(caseId: number, resources: readonly Resource[], firstId: number): Promise<void> {
    const rows = resources.map(({ tenantId, location, sensitivity, team }, i) => {
      return { id: firstId + i, tenant: tenantId, geom: location && JSON.stringify(location), sensitivity, team };
    });
    await db.query(
      `INSERT INTO ${table} (case_id, id, tenant_id, geom, sensitivity, team)
       SELECT $1, r.id, r.tenant, ST_SetSRID(ST_GeomFromGeoJSON(r.geom), 4326), r.sensitivity, r.team
       FROM jsonb_to_recordset($2::jsonb) AS r(id int, tenant text, geom text, sensitivity smallint, team text)`,
      [caseId, JSON.stringify(rows)],
    );
  }

  beforeAll(async () => {
    await db.connect();
    await db.query('CREATE EXTENSION IF NOT EXISTS postgis');
    // A temporary table: it belongs to this session and disappears with it, even after a crash.
    await db.query(`
      CREATE TEMP TABLE ${table} (
        case_id int NOT NULL,
        id int NOT NULL,
        tenant_id text NOT NULL,
        geom geometry(Geometry, 4326),
        sensitivity smallint,
        team text,
        PRIMARY KEY (case_id, id)
      )`);
    await insert(0, FIXED, FIXED_FIRST_ID);
  });

  afterAll(async () => {
    await db.end();
  });

  it('returns exactly the rows decide() allows, for 1,000 generated principals × resource batches', async () => {
    const seen = new Map<PolicyDenial | 'allow', number>();
    let caseId = 0;

    await fc.assert(
      fc.asyncProperty(policyCase, async ({ principal: who, permission: what, now: at, kind: has, resources }) => {
        caseId += 1;
        await insert(caseId, resources, 0);
        const columns: FilterColumns = {
          tenant: 'r.tenant_id',
          geom: has.geom ? 'r.geom' : null,
          sensitivity: has.sensitivity ? 'r.sensitivity' : null,
          team: has.team ? 'r.team' : null,
        };
        const filter = compileFilter(who, what, columns, at, 2);
        const { rows } = await db.query<{ id: number }>(
          `SELECT id FROM ${table} AS r WHERE r.case_id IN (0, $1) AND ${filter.sql}`,
          [caseId, ...filter.params],
        );
        const selected = new Set(rows.map((row) => row.id));

        const all = new Map<number, Resource>([
          ...resources.map((r, i): [number, Resource] => [i, r]),
          ...FIXED.map((r, i): [number, Resource] => [FIXED_FIRST_ID + i, r]),
        ]);
        const disagreements = [...all].flatMap(([id, r]) => {
          // The resource as this kind sees it: an attribute without a column does not exist.
          const view: PolicyResource = {
            tenantId: r.tenantId,
            location: has.geom ? r.location : null,
            sensitivity: has.sensitivity ? r.sensitivity : null,
            team: has.team ? r.team : null,
          };
          const decision = decide(who, what, view, at);
          const outcome = decision.allow ? 'allow' : decision.code;
          seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
          return decision.allow === selected.has(id) ? [] : [{ id, view, decide: outcome, sql: selected.has(id) }];
        });
        if (disagreements.length > 0) {
          const detail = JSON.stringify(disagreements.slice(0, 3));
          throw new Error(`${disagreements.length} row(s) disagree, e.g. ${detail}; filter ${filter.sql}`);
        }
      }),
      { numRuns: 1000 },
    );

    // The generators reach every outcome, so agreement is not agreement on nothing.
    const outcomes: (PolicyDenial | 'allow')[] = [
      'allow',
      'AUTH.FORBIDDEN_ROLE',
      'AUTH.FORBIDDEN_TENANT',
      'AUTH.OUTSIDE_HOURS',
      'AUTH.OUTSIDE_REGION',
      'AUTH.CLEARANCE',
      'AUTH.TEAM',
    ];
    expect(outcomes.filter((o) => (seen.get(o) ?? 0) < 50)).toEqual([]);
  });
});
