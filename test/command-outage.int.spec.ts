import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { commandRejection, commandReply, dlqTopic, type Envelope } from '@meridian/contracts/core';
import { accept, type Decider, deriveEventId, handle } from '@meridian/shared/decider';
import { eventStoreMigrations, migrate, PgEventStore } from '@meridian/shared/event-store';
import {
  type FailureKind,
  type MessageBus,
  RequestReplyClient,
  type RequestOutcome,
  serveRequests,
  type Subscription,
} from '@meridian/shared/messaging';
import {
  createTestBus,
  createTestPool,
  createTopics,
  deleteTopics,
  failureKindLog,
  FaultProxy,
  freshSchema,
  testDatabaseUrl,
  uniqueTopic,
} from '@meridian/shared/testing';
import { sleep } from '@meridian/shared/util';

// The headline failure path: a command service whose Postgres goes away for over a minute. Every
// command sent meanwhile must be applied exactly once and answered once the database is back,
// and none may be dead-lettered. The outage is made with a TCP proxy in front of the shared
// server (never by stopping it): its connections are reset and new ones refused.

const OUTAGE_MS = 65_000;
const INCREMENT = 'test.counter.increment.v1';

type Command = { readonly type: 'increment'; readonly by: number };
type Event = { readonly type: 'counter.incremented'; readonly data: { readonly by: number } };

const counter: Decider<Command, { readonly count: number }, Event> = {
  initialState: { count: 0 },
  stateVersion: 1,
  decide: (command) => accept({ type: 'counter.incremented', data: { by: command.by } }),
  evolve: (state, event) => ({ count: state.count + event.data.by }),
};

describe('commands outlive a Postgres outage longer than a minute', () => {
  let bus: MessageBus;
  let direct: Pool;
  let proxied: Pool;
  let proxy: FaultProxy;
  let server: Subscription;
  let client: RequestReplyClient;
  let schema: string;
  let dropSchema: () => Promise<void>;
  const topic = uniqueTopic('outage-commands');
  const kinds: FailureKind[] = [];

  beforeAll(async () => {
    direct = createTestPool(2);
    ({ schema, cleanup: dropSchema } = freshSchema(direct, 'outage'));
    await migrate(direct, schema, eventStoreMigrations(schema));

    const target = new URL(testDatabaseUrl());
    proxy = new FaultProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
    await proxy.start();
    const viaProxy = new URL(target);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    proxied = new Pool({ connectionString: viaProxy.toString(), max: 4, connectionTimeoutMillis: 5_000 });
    proxied.on('error', () => undefined); // idle connections reset by the proxy
    const store = new PgEventStore(proxied, schema);

    bus = createTestBus('outage');
    await createTopics(bus, [topic, dlqTopic(topic)], 3);
    server = await serveRequests(bus, {
      service: 'outage-test',
      topic,
      groupId: `outage-${randomUUID()}`,
      log: failureKindLog(kinds),
      rejection: commandRejection,
      routes: {
        [INCREMENT]: async (request: Envelope) => {
          const { counterId, by } = request.data as { counterId: string; by: number };
          const result = await handle(store, counter, counterId, { type: 'increment', by }, { commandId: request.id });
          return result.ok
            ? commandReply({ outcome: 'accepted', streamId: counterId, version: result.version })
            : commandRejection(result.code, result.detail);
        },
      },
    });
    client = new RequestReplyClient(bus, 'outage-gw', 'test', failureKindLog([]));
    await client.start();
  }, 120_000);

  afterAll(async () => {
    await client?.stop();
    await server?.stop();
    await deleteTopics(bus, [topic, dlqTopic(topic)]);
    await bus?.close();
    await proxy?.stop();
    await proxied?.end().catch(() => undefined);
    await dropSchema?.();
    await direct?.end();
  });

  const counters = ['c-a', 'c-b', 'c-c', 'c-d'].map((c) => `${c}-${randomUUID().slice(0, 8)}`);
  const sent: { id: string; counterId: string; outcome: Promise<RequestOutcome> }[] = [];
  const send = (counterId: string, timeoutMs: number): void => {
    const id = randomUUID();
    const outcome = client.request(
      { id, topic, key: counterId, type: INCREMENT, data: { counterId, by: 1 } },
      timeoutMs,
    );
    sent.push({ id, counterId, outcome });
  };

  it('applies every command exactly once, answers each, and dead-letters nothing', async () => {
    // Before: the pool holds open connections through the proxy, which the cut resets.
    for (const c of counters) send(c, 30_000);
    expect((await Promise.all(sent.map((s) => s.outcome))).every((o) => o.status === 'replied')).toBe(true);

    await proxy.cut();
    const cutAt = Date.now();
    for (let round = 0; round < 3; round++) for (const c of counters) send(c, 170_000 - (Date.now() - cutAt));
    await sleep(30_000);
    for (const c of counters) send(c, 140_000);
    await sleep(OUTAGE_MS - (Date.now() - cutAt));
    await proxy.restore();

    const outcomes = await Promise.all(sent.map((s) => s.outcome));
    const answers = outcomes.map((o) =>
      o.status === 'replied' ? (o.reply.data as { outcome: string }).outcome : o.status,
    );
    expect(answers).toEqual(sent.map(() => 'accepted'));

    // Exactly once: one event per command (its id derives from the command id), none twice.
    const { rows } = await direct.query<{ event_id: string; stream_id: string; stream_version: number }>(
      `SELECT event_id, stream_id, stream_version FROM ${schema}.events ORDER BY stream_id, stream_version`,
    );
    expect(rows.map((r) => r.event_id).sort()).toEqual(sent.map((s) => deriveEventId(s.id, 0)).sort());
    for (const c of counters) {
      const versions = rows.filter((r) => r.stream_id === c).map((r) => r.stream_version);
      expect(versions).toEqual(Array.from({ length: sent.filter((s) => s.counterId === c).length }, (_, i) => i + 1));
    }

    // The outage did reach the handler, was seen as infrastructure, and nothing was parked.
    expect(kinds).toContain('transient');
    expect(kinds.filter((k) => k !== 'transient')).toEqual([]);
    expect([...(await bus.endOffsets(dlqTopic(topic))).values()].every((high) => high === 0n)).toBe(true);
  }, 178_000);
});
