import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { WebhookDeliveries, WebhookSubscriptions, webhooksDdl } from '@meridian/read-model/webhooks';
import { createTestPool, describePlanNode, explainPlan, sentQuery } from '@meridian/shared/testing';

/*
 * The webhooks read model (schema `webhooks`) on the real database: the DDL is applied as the
 * migration applies it (twice: it is idempotent). PostGIS is not needed by this group, so the DDL
 * runs on its own here rather than through the read-model DataSource.
 */

const pool = createTestPool(4);
const run = randomBytes(3).toString('hex');
const subscriptions = new WebhookSubscriptions(pool);
const deliveries = new WebhookDeliveries(pool);
const tenant = `whq${run}`;
let webhookId: string;
const subscription = {
  tenantId: tenant,
  url: 'https://192.0.2.1/', // TEST-NET-1: refused by the SSRF guard, were anything to try it
  events: ['*'],
  description: null,
  sealedSecret: 'v1.sealed',
  createdBy: 't',
};

beforeAll(async () => {
  for (const statement of [...webhooksDdl, ...webhooksDdl]) await pool.query(statement);
  webhookId = randomUUID();
  await subscriptions.create({ ...subscription, id: webhookId }, 100);
  // Realistic volume for the plans: 5,000 deliveries of this subscription, most finished.
  const rows = Array.from({ length: 5000 }, (_, i) => ({
    id: `msg_${run}${String(i).padStart(26, '0')}`,
    webhookId,
    tenantId: tenant,
    eventType: 'geofence.entered',
    eventId: `${run}-${i}`,
    orderingKey: `assetId:${i % 50}`,
    payload: JSON.stringify({ type: 'geofence.entered', timestamp: new Date().toISOString(), data: { i } }),
  }));
  await deliveries.insert(rows);
  // And 20 other subscriptions with 1,000 deliveries each, as a shared table has.
  for (let w = 0; w < 20; w++) {
    const other = randomUUID();
    await subscriptions.create({ ...subscription, id: other }, 100);
    await deliveries.insert(
      rows.slice(0, 1000).map((r, i) => ({ ...r, id: `msg_${run}w${w}x${i}`, webhookId: other, eventId: `${w}-${i}` })),
    );
  }
  await pool.query(
    `UPDATE webhooks.deliveries SET state = 'succeeded', finished_at = clock_timestamp(), next_attempt_at = NULL
     WHERE webhook_id = $1 AND event_id NOT LIKE $2`,
    [webhookId, `${run}-49%`],
  );
  await pool.query('ANALYZE webhooks.deliveries');
});

afterAll(async () => {
  // Nothing of this file stays pending in the shared schema for another file's dispatcher to find.
  await pool.query(`DELETE FROM webhooks.deliveries WHERE tenant_id = $1`, [tenant]);
  await pool.query(`DELETE FROM webhooks.subscriptions WHERE tenant_id = $1`, [tenant]);
  await pool.end();
});

describe('webhooks read model', () => {
  it('inserts a delivery of a (subscription, event) once, whatever the id', async () => {
    const again = await deliveries.insert([
      {
        id: `msg_${run}zzzzzzzzzzzzzzzzzzzzzzzzzz`,
        webhookId,
        tenantId: tenant,
        eventType: 'geofence.entered',
        eventId: `${run}-1`,
        orderingKey: 'assetId:1',
        payload: '{}',
      },
    ]);
    expect(again).toEqual([]);
  });

  it('lists deliveries newest first and reads the pending ones through their indexes', async () => {
    const spy = jest.spyOn(pool, 'query');
    try {
      const page = await deliveries.list(tenant, webhookId, { limit: 20 });
      expect(page?.items).toHaveLength(20);
      const seqs = page?.items.map((d) => d.id) ?? [];
      expect(seqs[0] > seqs[19]).toBe(true);
      await deliveries.list(tenant, webhookId, { limit: 20, state: 'pending' });
      await deliveries.pendingPage(null, 1000);
      await deliveries.forAttempt(`msg_${run}${String(4999).padStart(26, '0')}`);
      await deliveries.pendingPage(null, 1000, { sinceMs: 60_000, untilMs: 60_000 });
      const sent = spy.mock.calls.map((c) => sentQuery(c));
      const plans = await Promise.all(
        sent.filter((q) => /FROM webhooks\.deliveries/.test(q.text)).map(async (q) => explainPlan(pool, q)),
      );
      const described = plans.map((p) => p.map(describePlanNode).join(' / '));
      const [list, listPending, pending, attempt, pendingWindow] = described;
      // Newest first straight from an index, no sort: (webhook_id, seq), (webhook_id, state, seq), or
      // seq backwards where the subscription has most of the rows.
      for (const plan of [list, listPending]) {
        expect(plan).toMatch(
          /^Limit \/ Index Scan using deliveries_(webhook_seq|webhook_state_seq|pkey) on deliveries$/,
        );
      }
      expect(pending).toMatch(/Index Scan using deliveries_pending_due/);
      // The periodic pass reads a range of the same index, not every pending row.
      expect(pendingWindow).toMatch(/Index Scan using deliveries_pending_due/);
      expect(attempt).toMatch(/deliveries_id_key/);
      expect(attempt).toMatch(/deliveries_pending_order/);
      for (const d of described) expect(d).not.toMatch(/Seq Scan on deliveries/);
    } finally {
      spy.mockRestore();
    }
  });

  it('sweeps finished deliveries past the retention with their attempts, and keeps pending ones', async () => {
    const [old, oldPending] = [
      `msg_${run}${String(0).padStart(26, '0')}`,
      `msg_${run}${String(4990).padStart(26, '0')}`,
    ];
    const { rows } = await pool.query<{ seq: string }>(
      `SELECT seq::text AS seq FROM webhooks.deliveries WHERE id = $1`,
      [old],
    );
    await pool.query(
      `INSERT INTO webhooks.attempts (delivery_seq, attempt, at, duration_ms, response_status)
       VALUES ($1, 1, now(), 5, 200)`,
      [rows[0].seq],
    );
    await pool.query(
      `UPDATE webhooks.deliveries SET created_at = now() - interval '31 days' WHERE id = ANY($1::text[])`,
      [[old, oldPending]],
    );
    expect(await deliveries.sweep(30)).toBeGreaterThanOrEqual(1);
    const left = await pool.query<{ id: string }>(`SELECT id FROM webhooks.deliveries WHERE id = ANY($1::text[])`, [
      [old, oldPending],
    ]);
    expect(left.rows.map((r) => r.id)).toEqual([oldPending]);
    const attempts = await pool.query(`SELECT 1 FROM webhooks.attempts WHERE delivery_seq = $1`, [rows[0].seq]);
    expect(attempts.rowCount).toBe(0);
  });
});
