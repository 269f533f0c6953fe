import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CodedError,
  dlqTopic,
  ErrorCodes,
  fromWire,
  MeridianHeaders,
  parseData,
  queryRejection,
  type WireMessage,
} from '@meridian/contracts/core';
import { AssetErrors, RegisterAssetV1 } from '@meridian/contracts/assets';
import type { RecordedEvent } from '@meridian/shared/decider';
import { silentLog } from '@meridian/shared/util';
import type { MessageBus } from './bus';
import { Subscription } from './consumer';
import { outboxPublisher } from './outbox-publisher';
import { RequestReplyClient } from './request-reply';
import { serveRequests } from './serve';
import {
  createTestBus,
  createTopics,
  deleteTopics,
  eventually,
  readTopic,
  testWire,
  uniqueTopic,
} from './testing/spec-support';

const registerAsset = (name: string) =>
  testWire(RegisterAssetV1.type, { assetId: randomUUID(), name, kind: 'drone' }, null);

describe('messaging on the real broker', () => {
  let bus: MessageBus;
  const topics: string[] = [];
  const subscriptions: Subscription[] = [];

  const topic = async (prefix: string, withDlq = false): Promise<string> => {
    const name = uniqueTopic(prefix);
    const names = withDlq ? [name, dlqTopic(name)] : [name];
    await createTopics(bus, names);
    topics.push(...names);
    return name;
  };

  const subscribe = (options: { topic: string; maxAttempts?: number }): Subscription => {
    const s = new Subscription(bus, {
      groupId: `test-${randomUUID()}`,
      topics: [options.topic],
      fromBeginning: true,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
      log: silentLog,
    });
    subscriptions.push(s);
    return s;
  };

  beforeAll(async () => {
    bus = createTestBus('messaging-int');
  });

  afterAll(async () => {
    await Promise.allSettled(subscriptions.map((s) => s.stop()));
    if (bus) {
      await deleteTopics(bus, topics);
      await bus.close();
    }
  });

  describe('Subscription', () => {
    it('parks poison messages in <topic>.dlq with the error and goes on with the next good message', async () => {
      const t = await topic('poison', true);
      const notACloudEvent: WireMessage = {
        key: 'k1',
        value: Buffer.from('{"hello":"world"}'),
        headers: { 'x-test': 'plain' },
      };
      const failsSchema = testWire(
        RegisterAssetV1.type,
        { assetId: randomUUID(), name: 'x', kind: 'drone', extra: true },
        'k2',
      );
      const good = registerAsset('good one');
      await bus.send(t, [notACloudEvent, failsSchema, good]);

      const handled: string[] = [];
      await subscribe({ topic: t }).run(async (env) => {
        handled.push(parseData(RegisterAssetV1, env).name);
      });

      await eventually(() => expect(handled).toEqual(['good one']));
      const dead = await readTopic(bus, dlqTopic(t), 2);
      expect(dead).toHaveLength(2);
      const [first, second] = dead;

      expect(first.value.toString()).toBe('{"hello":"world"}');
      expect(first.key).toBe('k1');
      expect(first.headers).toMatchObject({
        'x-test': 'plain',
        [MeridianHeaders.errorCode]: ErrorCodes.contractViolation,
        [MeridianHeaders.originalTopic]: t,
        [MeridianHeaders.originalPartition]: '0',
        [MeridianHeaders.originalOffset]: '0',
      });
      expect(first.headers[MeridianHeaders.error]).toMatch(/CloudEvents/);

      expect(second.headers).toMatchObject({
        ce_id: failsSchema.headers['ce_id'],
        [MeridianHeaders.errorCode]: ErrorCodes.contractViolation,
        [MeridianHeaders.originalOffset]: '1',
      });
      expect(second.headers[MeridianHeaders.error]).toMatch(/extra|Unrecognized/i);
      expect(second.value.equals(failsSchema.value)).toBe(true);
    });

    it('retries a transiently failing handler with backoff and processes the message once', async () => {
      const t = await topic('transient', true);
      const flaky = registerAsset('flaky');
      const after = registerAsset('after');
      await bus.send(t, [flaky, after]);

      const attempts: { name: string; at: number }[] = [];
      const applied: string[] = [];
      await subscribe({ topic: t }).run(async (env) => {
        const { name } = parseData(RegisterAssetV1, env);
        attempts.push({ name, at: Date.now() });
        if (name === 'flaky' && attempts.filter((a) => a.name === 'flaky').length <= 2)
          throw new Error('database briefly unavailable');
        applied.push(name);
      });

      await eventually(() => expect(applied).toEqual(['flaky', 'after']));
      const flakyAttempts = attempts.filter((a) => a.name === 'flaky');
      expect(flakyAttempts).toHaveLength(3);
      // backoff(1) + backoff(2) = 200 + 400 ms between the three attempts.
      expect(flakyAttempts[1].at - flakyAttempts[0].at).toBeGreaterThanOrEqual(180);
      expect(flakyAttempts[2].at - flakyAttempts[1].at).toBeGreaterThanOrEqual(380);
      // Retried in place: the next message waits for the flaky one.
      expect(attempts.findIndex((a) => a.name === 'after')).toBe(3);
      await expect(readTopic(bus, dlqTopic(t), 1, 2_000)).rejects.toThrow(/0 of 1/);
    });

    it('dead-letters a message whose handler keeps failing with an unrecognised error after maxAttempts', async () => {
      const t = await topic('exhausted', true);
      const doomed = registerAsset('doomed');
      await bus.send(t, [doomed, registerAsset('next')]);
      const calls: string[] = [];
      await subscribe({ topic: t, maxAttempts: 2 }).run(async (env) => {
        const { name } = parseData(RegisterAssetV1, env);
        calls.push(name);
        // A bug (not infrastructure, which is retried until it passes): attempts are bounded.
        if (name === 'doomed') throw new TypeError('still broken');
      });
      await eventually(() => expect(calls).toEqual(['doomed', 'doomed', 'next']));
      const [dead] = await readTopic(bus, dlqTopic(t), 1);
      expect(fromWire(dead).id).toBe(doomed.headers['ce_id']);
      expect(dead.headers).toMatchObject({
        [MeridianHeaders.error]: 'still broken',
        [MeridianHeaders.errorCode]: 'UNKNOWN',
        [MeridianHeaders.originalTopic]: t,
      });
    });
  });

  describe('request–reply', () => {
    let client: RequestReplyClient;
    let requests: string;

    beforeAll(async () => {
      requests = await topic('requests', true);
      client = new RequestReplyClient(bus, 'testgw', `i${randomUUID().slice(0, 8)}`, silentLog);
      topics.push(client.replyTo);
      subscriptions.push(
        await serveRequests(bus, {
          service: 'testsvc',
          topic: requests,
          groupId: `test-serve-${randomUUID()}`,
          log: silentLog,
          rejection: queryRejection,
          routes: {
            'meridian.test.echo.v1': async (req) => ({
              type: 'meridian.test.echoed.v1',
              data: { echo: req.data, tenant: req.tenantId ?? null },
            }),
            'meridian.test.refuse.v1': async () => {
              throw new CodedError(AssetErrors.assetNotFound, 'no such asset');
            },
          },
        }),
      );
      await client.start();
    });

    afterAll(async () => {
      await client?.stop();
    });

    it('delivers the reply matched by correlation id', async () => {
      const correlationId = randomUUID();
      const outcome = await client.request(
        { topic: requests, key: 'a1', type: 'meridian.test.echo.v1', data: { n: 42 }, tenantId: 'acme', correlationId },
        20_000,
      );
      expect(outcome.status).toBe('replied');
      if (outcome.status !== 'replied') return;
      expect(outcome.reply).toMatchObject({
        type: 'meridian.test.echoed.v1',
        source: '/meridian/testsvc',
        correlationId,
        tenantId: 'acme',
        data: { echo: { n: 42 }, tenant: 'acme' },
      });
      expect(outcome.reply.causationId).toBeDefined();
    });

    it('answers concurrent requests each with its own reply', async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          client.request({ topic: requests, key: `k${i}`, type: 'meridian.test.echo.v1', data: { i } }, 20_000),
        ),
      );
      expect(outcomes.map((o) => (o.status === 'replied' ? o.reply.data : o.status))).toEqual(
        Array.from({ length: 10 }, (_, i) => ({ echo: { i }, tenant: null })),
      );
    });

    it('replies with the stable code of a refused request, and refuses unknown types', async () => {
      const refused = await client.request(
        { topic: requests, key: null, type: 'meridian.test.refuse.v1', data: {} },
        20_000,
      );
      expect(refused.status === 'replied' && refused.reply.data).toEqual({
        outcome: 'error',
        code: AssetErrors.assetNotFound,
        detail: 'no such asset',
      });
      const unknown = await client.request(
        { topic: requests, key: null, type: 'meridian.test.nobody.v1', data: {} },
        20_000,
      );
      expect(unknown.status === 'replied' && unknown.reply.data).toMatchObject({
        outcome: 'error',
        code: ErrorCodes.contractViolation,
      });
    });

    it('reports a timeout, not an error, when nobody serves the topic', async () => {
      const unserved = await topic('unserved');
      const correlationId = randomUUID();
      const started = Date.now();
      const outcome = await client.request(
        { topic: unserved, key: null, type: 'meridian.test.echo.v1', data: {}, correlationId },
        1_500,
      );
      const elapsed = Date.now() - started;
      expect(outcome).toEqual({ status: 'timeout', correlationId });
      expect(elapsed).toBeGreaterThanOrEqual(1_450);
      expect(elapsed).toBeLessThan(5_000);
      // The request itself was sent: it is there for a server that comes up later.
      const [sent] = await readTopic(bus, unserved, 1);
      expect(sent.headers).toMatchObject({
        [MeridianHeaders.correlationId]: correlationId,
        [MeridianHeaders.replyTo]: client.replyTo,
      });
    });
  });

  describe('CloudEvents on the wire', () => {
    it('publishes stored events as binary-mode CloudEvents with the tracing headers', async () => {
      const t = await topic('wire');
      const stored: RecordedEvent = {
        globalPosition: '1',
        transactionId: '1',
        streamId: 'asset-1',
        streamVersion: 1,
        id: randomUUID(),
        type: 'asset.registered',
        schemaVersion: 1,
        data: { internal: true },
        metadata: {
          tenantId: 'acme',
          correlationId: 'corr-7',
          causationId: 'cmd-7',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        },
        recordedAt: new Date('2025-05-01T12:00:00.000Z'),
      };
      const internalOnly: RecordedEvent = { ...stored, id: randomUUID(), type: 'asset.internal-note' };
      const publish = outboxPublisher(bus, {
        service: 'workflow',
        topic: t,
        map: (e) =>
          e.type === 'asset.registered'
            ? {
                key: e.streamId,
                type: 'meridian.workflow.asset.registered.v1',
                dataschema: 'https://schemas.meridian.dev/x.json',
                data: { public: 1 },
              }
            : null,
      });
      await publish([stored, internalOnly]);

      const [m] = await readTopic(bus, t, 1);
      expect(m.key).toBe('asset-1');
      expect(m.headers).toMatchObject({
        ce_specversion: '1.0',
        ce_id: stored.id,
        ce_type: 'meridian.workflow.asset.registered.v1',
        ce_source: '/meridian/workflow',
        ce_time: '2025-05-01T12:00:00.000Z',
        ce_dataschema: 'https://schemas.meridian.dev/x.json',
        'correlation-id': 'corr-7',
        'causation-id': 'cmd-7',
        'tenant-id': 'acme',
        traceparent: stored.metadata.traceparent,
      });
      expect(JSON.parse(m.value.toString())).toEqual({ public: 1 });
      expect(fromWire(m)).toMatchObject({ id: stored.id, tenantId: 'acme', data: { public: 1 } });
      // The internal event was mapped to nothing and must not have been published.
      await expect(readTopic(bus, t, 2, 1_500)).rejects.toThrow(/1 of 2/);
    });
  });
});
