import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TokenSource } from '@meridian/shared/testing';
import { api, type E2eSystem, eventually, http, issuer, registerAssets, startSystem } from './e2e-stack';

/*
 * Missions through the public API with tokens, as a dispatcher and an approver meet them: a mission
 * from draft to completed, with on-site reached by streaming telemetry into its area (the geofence
 * moves it), and an overdue mission reached by its durable timer.
 */

const tenant = `e2e-ms-${randomUUID().slice(0, 6)}`;
let system: E2eSystem;
let approver: TokenSource;

/** A square area around (8.54, 47.37); telemetry at its centre is inside, far away is outside. */
const area = {
  type: 'Polygon',
  coordinates: [
    [
      [8.53, 47.36],
      [8.55, 47.36],
      [8.55, 47.38],
      [8.53, 47.38],
      [8.53, 47.36],
    ],
  ],
};

interface Mission {
  id: string;
  state: string;
  version: number;
  assetIds: string[];
  allowedEvents: string[];
  assignment: { sagaId: string; outcome: string; reason: string | null } | null;
}

const asApprover = async () => ({ anonymous: true, headers: await approver.headers() });
const send = (id: string, event: string, body: Record<string, unknown> = {}, as: object = { tenant }) =>
  http<{ id: string; version: number; sagaId?: string; code?: string }>('POST', `/v1/missions/${id}/events/${event}`, {
    body,
    ...as,
  });
const read = (id: string) => http<Mission>('GET', `/v1/missions/${id}`, { tenant });
/** The mission once it reads in `state`; fails when it does not within the time. */
async function until(id: string, state: string, timeoutMs = 30_000) {
  const reached = await eventually(
    () => read(id),
    (r) => r.status === 200 && r.body.state === state,
    timeoutMs,
  );
  expect(reached.body.state).toBe(state);
  return reached;
}

beforeAll(async () => {
  system = await startSystem([tenant]);
  const created = await http<{ clientId: string; clientSecret: string }>('POST', '/v1/service-accounts', {
    tenant,
    body: { clientId: `approver-${randomUUID().slice(0, 6)}`, name: 'Approver', roles: ['approver'] },
  });
  expect(created.status).toBe(201);
  approver = new TokenSource({ issuer, clientId: created.body.clientId, clientSecret: created.body.clientSecret });
  const admitted = await eventually(
    async () => {
      const headers = await approver.headers().catch(() => null);
      return headers ? (await fetch(`${api}/v1/missions?limit=1`, { headers })).status : 0;
    },
    (status) => status === 200,
    30_000,
  );
  expect(admitted).toBe(200);
}, 300_000);

afterAll(async () => {
  await system?.stop();
}, 120_000);

describe('missions through the API', () => {
  it('goes from draft to completed; on site is reached by telemetry entering the area', async () => {
    const [assetId] = await registerAssets(1, tenant, 'mission truck');
    const start = new Date(Date.now() + 3_600_000).toISOString();
    const end = new Date(Date.now() + 7_200_000).toISOString();
    const created = await http<{ id: string; version: number }>('POST', '/v1/missions', {
      tenant,
      body: { title: 'Bridge inspection', area, window: { start, end }, priority: 2 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const draft = await until(id, 'draft');
    expect(draft.body.allowedEvents).toEqual(expect.arrayContaining(['submit', 'cancel']));
    // The area is a zone of kind mission_area with the mission's id.
    const zones = await http<{ features: { id: string }[] }>('GET', '/v1/zones?kind=mission_area', { tenant });
    expect(zones.body.features.map((f) => f.id)).toContain(id);

    expect((await send(id, 'submit')).status).toBe(200);
    // The creator (the tenant administrator) may not approve: separation of duties.
    const selfApproval = await send(id, 'approve');
    expect(selfApproval.status).toBe(403);
    expect(selfApproval.body.code).toBe('MISSION.SEPARATION_OF_DUTIES');
    await until(id, 'submitted');
    expect((await read(id)).body.allowedEvents).not.toContain('approve');
    expect((await send(id, 'approve', {}, await asApprover())).status).toBe(200);
    // The approver may not dispatch.
    const notDispatcher = await send(id, 'assign', { assetIds: [assetId] }, await asApprover());
    expect(notDispatcher.status).toBe(403);

    const assigned = await send(id, 'assign', { assetIds: [assetId] });
    expect(assigned.status).toBe(202);
    expect(assigned.body.sagaId).toEqual(expect.any(String));
    const afterSaga = await until(id, 'assigned');
    expect(afterSaga.body.assetIds).toEqual([assetId]);
    expect((await send(id, 'depart')).status).toBe(200);
    await until(id, 'en_route');

    // Telemetry: outside, then inside the area → the geofence moves the mission on site.
    const now = Date.now();
    const fixes = [
      { assetId, ts: new Date(now - 2000).toISOString(), lon: 8.6, lat: 47.4 },
      { assetId, ts: new Date(now - 1000).toISOString(), lon: 8.54, lat: 47.37 },
    ];
    const ingested = await http('POST', '/v1/telemetry', { tenant, body: { fixes } });
    expect(ingested.status).toBe(202);
    const onSite = await until(id, 'on_site', 90_000);
    expect(onSite.body.state).toBe('on_site');

    expect((await send(id, 'complete')).status).toBe(200);
    await until(id, 'completed');
    const history = await http<{ entries: { to: string; actor: string; cause: string | null }[] }>(
      'GET',
      `/v1/missions/${id}/history`,
      { tenant },
    );
    expect(history.status).toBe(200);
    const entries = history.body.entries;
    const arrived = entries.find((e) => e.to === 'on_site');
    expect(arrived).toMatchObject({ cause: 'geofence', actor: 'system:geofence' });
    expect(entries.map((e) => e.to)).toEqual(
      expect.arrayContaining(['draft', 'submitted', 'approved', 'assigned', 'en_route', 'on_site', 'completed']),
    );

    // Completing released the asset: another mission in an overlapping window gets it.
    const next = await http<{ id: string }>('POST', '/v1/missions', {
      tenant,
      body: { title: 'Follow-up', area, window: { start, end } },
    });
    await send(next.body.id, 'submit');
    await send(next.body.id, 'approve', {}, await asApprover());
    await until(next.body.id, 'approved');
    expect((await send(next.body.id, 'assign', { assetIds: [assetId] })).status).toBe(202);
    // The truck is still inside the area: assigned, it counts as arrived at once.
    const followUp = await until(next.body.id, 'on_site');
    expect(followUp.body).toMatchObject({ state: 'on_site', assetIds: [assetId] });
  }, 300_000);

  it('a mission not on site by its deadline becomes overdue by its timer', async () => {
    // window.start 20 minutes ago: the deadline (start + 15 minutes) has passed when it is approved.
    const start = new Date(Date.now() - 20 * 60_000).toISOString();
    const end = new Date(Date.now() + 3_600_000).toISOString();
    const created = await http<{ id: string }>('POST', '/v1/missions', {
      tenant,
      body: { title: 'Late one', area, window: { start, end } },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await send(id, 'submit')).status).toBe(200);
    expect((await send(id, 'approve', {}, await asApprover())).status).toBe(200);
    const overdue = await until(id, 'overdue', 60_000);
    expect(overdue.body.state).toBe('overdue');
    const list = await http<{ missions: { id: string }[] }>('GET', '/v1/missions?state=overdue', { tenant });
    expect(list.body.missions.map((m) => m.id)).toContain(id);
  }, 120_000);
});
