import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { firstValueFrom, lastValueFrom, of } from 'rxjs';
import { z } from 'zod';
import {
  CodedError,
  commandRejection,
  commandReply,
  CommandReplyV1,
  type DataOf,
  defineMessage,
  dlqTopic,
  type Envelope,
  ErrorCodes,
  fromWire,
  MeridianHeaders,
  parseData,
  type WireMessage,
} from '@meridian/contracts/core';
import { silentLog, sleep } from '@meridian/shared/util';
import type { MessageBus } from '../bus';
import { type Origin, Subscription } from '../consumer';
import type { ReplyBody, RequestReplyClient } from '../request-reply';
import {
  createTestBus,
  createTopics,
  deleteTopics,
  eventually,
  messagesIn,
  readTopic,
  testWire,
  uniqueTopic,
} from '../testing/spec-support';
import { BatchHandler, CommandHandler, EventHandler } from './decorators';
import { type MeridianOutcome, type MeridianRequest, MeridianClientProxy } from './meridian-client';
import { MeridianServer, type MeridianServerStatus } from './meridian-server';

// Topics are part of the routes, so they exist before the controller is declared.
const topics = {
  commands: uniqueTopic('nest.commands'),
  events: uniqueTopic('nest.events'),
  audit: uniqueTopic('nest.audit'),
  moves: uniqueTopic('nest.moves'),
  idle: uniqueTopic('nest.idle'),
};
const ownTopics = Object.values(topics).flatMap((t) => [t, dlqTopic(t)]);

const RegisterThingV1 = defineMessage(
  'test.nest.thing.register.v1',
  'command',
  z.strictObject({ thingId: z.string(), name: z.string().min(1) }),
  'Register a thing.',
);
const UnservedCommandV1 = defineMessage('test.nest.thing.unserved.v1', 'command', z.strictObject({}), 'No handler.');
const ThingRegisteredV1 = defineMessage(
  'test.nest.thing.registered.v1',
  'event',
  z.strictObject({ thingId: z.string() }),
  'A thing was registered.',
);
const ThingRenamedV1 = defineMessage(
  'test.nest.thing.renamed.v1',
  'event',
  z.strictObject({ thingId: z.string(), name: z.string().min(1) }),
  'A thing was renamed.',
);
const ThingArchivedV1 = defineMessage(
  'test.nest.thing.archived.v1',
  'event',
  z.strictObject({ thingId: z.string() }),
  'A newer event type nobody here handles.',
);
const ThingMovedV1 = defineMessage(
  'test.nest.thing.moved.v1',
  'telemetry',
  z.strictObject({ thingId: z.string(), seq: z.number().int().min(0) }),
  'A position report.',
);

type Registered = Envelope<DataOf<typeof ThingRegisteredV1>>;

@Controller()
class ThingsController {
  readonly attempts = new Map<string, number>();
  readonly registered: { event: Registered; origin: Origin }[] = [];
  readonly renamed: Envelope<DataOf<typeof ThingRenamedV1>>[] = [];
  readonly audited: Registered[] = [];
  readonly batches: { items: readonly Envelope<DataOf<typeof ThingMovedV1>>[]; origins: readonly Origin[] }[] = [];

  @CommandHandler(RegisterThingV1, topics.commands)
  async register(command: Envelope<DataOf<typeof RegisterThingV1>>): Promise<ReplyBody> {
    const { thingId, name } = command.data;
    const attempt = (this.attempts.get(thingId) ?? 0) + 1;
    this.attempts.set(thingId, attempt);
    if (name === 'taken') throw new CodedError('TEST.THING_TAKEN', `${thingId} is taken`);
    if (name === 'flaky' && attempt === 1) throw new Error('the store is unavailable');
    return commandReply({ outcome: 'accepted', streamId: thingId, version: attempt });
  }

  @EventHandler(ThingRegisteredV1, topics.events)
  onRegistered(event: Registered, origin: Origin): void {
    this.registered.push({ event, origin });
  }

  @EventHandler(ThingRenamedV1, topics.events)
  onRenamed(event: Envelope<DataOf<typeof ThingRenamedV1>>) {
    this.renamed.push(event);
    return of(undefined);
  }

  @EventHandler(ThingRegisteredV1, topics.audit)
  async onAudited(event: Registered): Promise<void> {
    this.audited.push(event);
  }

  @BatchHandler(ThingMovedV1, topics.moves)
  async onMoved(items: readonly Envelope<DataOf<typeof ThingMovedV1>>[], origins: readonly Origin[]): Promise<void> {
    this.batches.push({ items, origins });
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

const notACloudEvent = (key: string): WireMessage => ({ key, value: Buffer.from('{"hello":"world"}'), headers: {} });

describe('Nest transport (MeridianServer, MeridianClientProxy) on the real broker', () => {
  let bus: MessageBus;
  let app: INestApplication;
  let client: MeridianClientProxy;
  let things: ThingsController;
  let servers: Record<'commands' | 'events' | 'audit' | 'moves', MeridianServer>;
  const eventsStatus: MeridianServerStatus[] = [];
  const tenantId = 'acme';

  const register = (data: DataOf<typeof RegisterThingV1>, extra: Partial<MeridianRequest> = {}) =>
    firstValueFrom(
      client.send(
        { contract: RegisterThingV1, topic: topics.commands, key: data.thingId, tenantId, timeoutMs: 20_000, ...extra },
        data,
      ),
    );

  const replyOf = (outcome: MeridianOutcome) => {
    if (outcome.status !== 'replied') throw new Error(`no reply: ${outcome.status}`);
    return parseData(CommandReplyV1, outcome.reply);
  };

  beforeAll(async () => {
    bus = createTestBus('nest-transport');
    await createTopics(bus, ownTopics, 2);

    const common = { log: silentLog };
    servers = {
      commands: new MeridianServer(bus, {
        ...common,
        mode: 'requests',
        topic: topics.commands,
        groupId: `${topics.commands}.group`,
        service: 'testsvc',
        rejection: commandRejection,
      }),
      events: new MeridianServer(bus, {
        ...common,
        mode: 'events',
        topic: topics.events,
        groupId: `${topics.events}.g`,
      }),
      audit: new MeridianServer(bus, { ...common, mode: 'events', topic: topics.audit, groupId: `${topics.audit}.g` }),
      moves: new MeridianServer(bus, { ...common, mode: 'batch', topic: topics.moves, groupId: `${topics.moves}.g` }),
    };
    servers.events.status.subscribe((s) => eventsStatus.push(s));

    app = await NestFactory.create(ThingsModule, new FastifyAdapter(), { logger: false });
    for (const strategy of Object.values(servers)) app.connectMicroservice({ strategy });
    await app.init();
    await app.startAllMicroservices();
    things = app.get(ThingsController);

    client = new MeridianClientProxy(bus, {
      service: 'testgw',
      instance: `i${randomUUID().slice(0, 8)}`,
      log: silentLog,
    });
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    if (bus) {
      const replyTo = client?.unwrap<RequestReplyClient>().replyTo;
      await deleteTopics(bus, replyTo ? [...ownTopics, replyTo] : ownTopics);
      await bus.close();
    }
  });

  describe('request–reply through the client proxy', () => {
    it("answers with the handler's reply, keeping the CloudEvents headers of the request", async () => {
      const thingId = randomUUID();
      const correlationId = randomUUID();
      const outcome = await register({ thingId, name: 'alpha' }, { correlationId });

      expect(replyOf(outcome)).toEqual({ outcome: 'accepted', streamId: thingId, version: 1 });
      expect(outcome.status === 'replied' && outcome.reply).toMatchObject({
        source: '/meridian/testsvc',
        correlationId,
        tenantId,
      });
    });

    it('turns a CodedError thrown by the handler into a rejection with its code', async () => {
      const outcome = await register({ thingId: randomUUID(), name: 'taken' });
      expect(replyOf(outcome)).toMatchObject({ outcome: 'rejected', code: 'TEST.THING_TAKEN' });
    });

    it('answers an unknown message type, or data failing its contract, with CONTRACT.VIOLATION', async () => {
      const unknown = await firstValueFrom(
        client.send(
          { contract: UnservedCommandV1, topic: topics.commands, key: null, tenantId, timeoutMs: 20_000 },
          {},
        ),
      );
      expect(replyOf(unknown)).toMatchObject({ outcome: 'rejected', code: ErrorCodes.contractViolation });

      // The proxy refuses bad data itself, so this request goes through the client underneath.
      const thingId = randomUUID();
      const invalid = await client
        .unwrap<RequestReplyClient>()
        .request(
          { topic: topics.commands, key: thingId, type: RegisterThingV1.type, data: { thingId, name: '' }, tenantId },
          20_000,
        );
      expect(replyOf(invalid)).toMatchObject({ outcome: 'rejected', code: ErrorCodes.contractViolation });
      expect(things.attempts.has(thingId)).toBe(false);
    });

    it('retries a request whose handler failed with an uncoded error, then replies', async () => {
      const thingId = randomUUID();
      const outcome = await register({ thingId, name: 'flaky' });
      expect(replyOf(outcome)).toEqual({ outcome: 'accepted', streamId: thingId, version: 2 });
      expect(things.attempts.get(thingId)).toBe(2);
    });

    it('reports a request nobody answers as a timeout outcome, not as an error', async () => {
      const correlationId = randomUUID();
      const outcome = await lastValueFrom(
        client.send(
          { contract: RegisterThingV1, topic: topics.idle, key: 't', tenantId, correlationId, timeoutMs: 300 },
          { thingId: 't', name: 'nobody listens' },
        ),
      );
      expect(outcome).toEqual({ status: 'timeout', correlationId });
    });

    it('refuses to send or emit data that fails its contract', async () => {
      const error = { code: ErrorCodes.contractViolation };
      await expect(register({ thingId: randomUUID(), name: '' })).rejects.toMatchObject(error);
      const event = { contract: ThingRenamedV1, topic: topics.events, key: null, tenantId };
      await expect(lastValueFrom(client.emit(event, { thingId: 'x', name: '' }))).rejects.toMatchObject(error);
    });

    it('dead-letters a message that is not a CloudEvent and answers the next request on its key', async () => {
      const thingId = randomUUID();
      await bus.send(topics.commands, [notACloudEvent(thingId)]);
      const outcome = await register({ thingId, name: 'after the poison' });
      expect(replyOf(outcome)).toMatchObject({ outcome: 'accepted', streamId: thingId });

      const dead = await readTopic(bus, dlqTopic(topics.commands), 1);
      expect(dead).toHaveLength(1);
      expect(dead[0].key).toBe(thingId);
      expect(dead[0].headers[MeridianHeaders.errorCode]).toBe(ErrorCodes.contractViolation);
    });
  });

  describe('events', () => {
    it('delivers each event to the handler declared for its type and topic only', async () => {
      const onEvents = randomUUID();
      const onAudit = randomUUID();
      const emit = <C extends typeof ThingRegisteredV1 | typeof ThingRenamedV1>(
        contract: C,
        topic: string,
        data: DataOf<C>,
      ) => lastValueFrom(client.emit({ contract, topic, key: data.thingId, tenantId }, data));
      await emit(ThingRegisteredV1, topics.audit, { thingId: onAudit });
      await emit(ThingRegisteredV1, topics.events, { thingId: onEvents });
      await emit(ThingRenamedV1, topics.events, { thingId: onEvents, name: 'renamed' });

      await eventually(() => {
        expect(things.registered.map((r) => r.event.data.thingId)).toContain(onEvents);
        expect(things.renamed.map((e) => e.data.thingId)).toContain(onEvents);
        expect(things.audited.map((e) => e.data.thingId)).toContain(onAudit);
      });
      // Same type on two topics: a server that served the other topic's handler would have called both.
      expect(things.registered.map((r) => r.event.data.thingId)).not.toContain(onAudit);
      expect(things.audited.map((e) => e.data.thingId)).not.toContain(onEvents);
      const registered = things.registered.find((r) => r.event.data.thingId === onEvents);
      expect(registered?.origin.topic).toBe(topics.events);
      expect(registered?.event).toMatchObject({ type: ThingRegisteredV1.type, source: '/meridian/testgw', tenantId });
    });

    it('skips unknown types, dead-letters poison and contract violations, and goes on', async () => {
      const thingId = randomUUID();
      const dlqBefore = await messagesIn(bus, dlqTopic(topics.events));
      await bus.send(topics.events, [
        notACloudEvent(thingId),
        testWire(ThingArchivedV1.type, { thingId }, thingId),
        testWire(ThingRenamedV1.type, { thingId, name: '' }, thingId),
        testWire(ThingRenamedV1.type, { thingId, name: 'next' }, thingId),
      ]);

      await eventually(() => expect(things.renamed.map((e) => e.data)).toContainEqual({ thingId, name: 'next' }));
      // Same key, same partition, in order: whatever became of the first three is settled by now.
      expect(await messagesIn(bus, dlqTopic(topics.events))).toBe(dlqBefore + 2n);
      const dead = (await readTopic(bus, dlqTopic(topics.events), Number(dlqBefore + 2n))).filter(
        (m) => m.key === thingId,
      );
      expect(dead.map((m) => m.headers[MeridianHeaders.errorCode])).toEqual([
        ErrorCodes.contractViolation,
        ErrorCodes.contractViolation,
      ]);
      expect(dead.map((m) => m.headers['ce_type'])).toEqual([undefined, ThingRenamedV1.type]);
    });
  });

  describe('batches', () => {
    it('hands whole fetched batches to the batch handler, in order, dead-lettering only the bad message', async () => {
      const thingId = randomUUID();
      const good = Array.from({ length: 20 }, (_, seq) => testWire(ThingMovedV1.type, { thingId, seq }, thingId));
      const bad = testWire(ThingMovedV1.type, { thingId, seq: -1 }, thingId);
      const unknown = testWire(ThingArchivedV1.type, { thingId }, thingId);
      await bus.send(topics.moves, [...good.slice(0, 10), bad, unknown, ...good.slice(10)]);

      const mine = () => things.batches.filter((b) => b.items[0]?.data.thingId === thingId);
      await eventually(() => expect(mine().flatMap((b) => b.items).length).toBe(20));
      expect(mine().flatMap((b) => b.items.map((i) => i.data.seq))).toEqual(good.map((_, seq) => seq));
      expect(Math.max(...mine().map((b) => b.items.length))).toBeGreaterThan(1);
      for (const batch of mine()) {
        expect(batch.origins).toHaveLength(batch.items.length);
        const offsets = batch.origins.map((o) => Number(o.offset));
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      }
      const dead = await readTopic(bus, dlqTopic(topics.moves), 1);
      expect(dead.map((m) => fromWire(m).id)).toEqual([bad.headers['ce_id']]);
    });
  });

  describe('close()', () => {
    it('stops consuming: the group is left and later events stay unread', async () => {
      expect(servers.events.unwrap<Subscription>()).toBeInstanceOf(Subscription);
      await servers.events.close();
      expect(eventsStatus.at(-1)).toBe('disconnected');
      const admin = await bus.admin();
      const groupId = `${topics.events}.g`;
      await eventually(async () => {
        const { groups } = await admin.describeGroups([groupId]);
        expect(groups[0]?.members).toHaveLength(0);
      });

      const thingId = randomUUID();
      await lastValueFrom(
        client.emit(
          { contract: ThingRenamedV1, topic: topics.events, key: thingId, tenantId },
          { thingId, name: 'late' },
        ),
      );
      await sleep(1500);
      expect(things.renamed.map((e) => e.data.thingId)).not.toContain(thingId);
      const committed = await admin.fetchOffsets({ groupId, topics: [topics.events] });
      const committedTotal = committed[0].partitions.reduce((n, p) => n + BigInt(p.offset === '-1' ? 0 : p.offset), 0n);
      expect(committedTotal).toBeLessThan(await messagesIn(bus, topics.events));
    });
  });
});
