import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NewEvent } from '@meridian/shared/decider';
import { createTestPool, eventually, freshSchema } from '@meridian/shared/testing';
import { eventStoreMigrations } from './event-store.sql';
import { migrate } from './migrations';
import { OutboxRelay, type RelayLag } from './outbox-relay';
import { PgEventStore } from './pg-event-store';

const event = (n: number): NewEvent => ({ id: randomUUID(), type: 'counter.incremented', data: { n } });

describe('OutboxRelay lag (real PostgreSQL)', () => {
  let pool: Pool;
  let store: PgEventStore;
  let dropSchema: () => Promise<void>;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    pool = createTestPool(4);
    const fresh = freshSchema(pool, 'relay_lag');
    dropSchema = fresh.cleanup;
    await migrate(pool, fresh.schema, eventStoreMigrations(fresh.schema));
    store = new PgEventStore(pool, fresh.schema);
  });

  afterAll(async () => {
    await relay?.stop();
    await dropSchema?.();
    await pool?.end();
  });

  it('grows while publishing fails and returns to zero once it recovers', async () => {
    let brokerAway = true;
    const published: string[] = [];
    let failedAttempts = 0;
    const lagging = new OutboxRelay(
      pool,
      store,
      async (events) => {
        if (brokerAway) {
          failedAttempts++;
          throw new Error('broker unavailable');
        }
        published.push(...events.map((e) => e.id));
      },
      { name: 'lagging', idleDelayMs: 10 },
    );
    relay = lagging;
    expect(await lagging.lag()).toEqual({ unpublished: 0, oldestUnpublishedAgeMs: 0 });
    lagging.start();

    const first = [event(1), event(2), event(3)];
    await store.append('lag-a', 0, first);
    await eventually(() => expect(failedAttempts).toBeGreaterThan(0));
    const early: RelayLag = await eventually(async () => {
      const lag = await lagging.lag();
      expect(lag.unpublished).toBe(3);
      expect(lag.oldestUnpublishedAgeMs).toBeGreaterThan(0);
      return lag;
    });
    // Still failing: the same events wait, and they only get older.
    await eventually(async () =>
      expect((await lagging.lag()).oldestUnpublishedAgeMs).toBeGreaterThan(early.oldestUnpublishedAgeMs),
    );
    const second = [event(4), event(5)];
    await store.append('lag-b', 0, second);
    await eventually(async () => expect((await lagging.lag()).unpublished).toBe(5));
    expect(published).toEqual([]);

    brokerAway = false;
    await eventually(async () => expect(await lagging.lag()).toEqual({ unpublished: 0, oldestUnpublishedAgeMs: 0 }), {
      timeoutMs: 20_000,
    });
    expect(published).toEqual([...first, ...second].map((e) => e.id));
  });
});
