/**
 * A `@nestjs/microservices` transport over Meridian's own Kafka messaging: one server per topic,
 * routing each message by its CloudEvents type (`ce_type`) to the `@MessagePattern` /
 * `@EventPattern` handler declared for that topic.
 *
 * Why not Nest's built-in Kafka transport: it hands over one message at a time (telemetry needs
 * batches), retries a failing message forever (one poison message stalls its partition), has no
 * dead-letter topic, and its request–reply speaks its own headers instead of CloudEvents. Here the
 * server is only a router: consuming, per-key ordering, retries, dead-lettering and replies stay in
 * Subscription and serveRequests, exactly as every other consumer of the messaging lib has them.
 */
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { CodedError, type Envelope, ErrorCodes, type MessageContract, parseData } from '@meridian/contracts/core';
import type { Log } from '@meridian/shared/util';
import type { MessageBus } from '../bus';
import { type Origin, Subscription } from '../consumer';
import type { ReplyBody } from '../request-reply';
import { serveRequests } from '../serve';
import { describeHandler, type HandlerKind, MERIDIAN_TRANSPORT } from './decorators';

/** Runs a handler inside a logging context (correlation id, tenant). */
export type WithMessageContext = <T>(message: Envelope, work: () => Promise<T>) => Promise<T>;

interface CommonOptions {
  readonly topic: string;
  readonly groupId: string;
  /** Partitions handled in parallel; order holds per partition (requests: per key). */
  readonly concurrency?: number;
  readonly log: Log;
}

/** Request–reply: each request gets the handler's reply; unknown types a CONTRACT.VIOLATION rejection. */
export interface MeridianRequestsOptions extends CommonOptions {
  readonly mode: 'requests';
  /** Source of the replies (`/meridian/<service>`). */
  readonly service: string;
  /** The reply body for a CodedError: the contracts' `commandRejection` or `queryRejection`. */
  readonly rejection: (code: string, detail: string) => ReplyBody;
  readonly withContext?: WithMessageContext;
}

/** Events, one at a time: unknown types are skipped (event topics grow new types). */
export interface MeridianEventsOptions extends CommonOptions {
  readonly mode: 'events';
  readonly fromBeginning?: boolean;
  readonly withContext?: WithMessageContext;
}

/** Streams in fetched batches (telemetry): unknown types are skipped. */
export interface MeridianBatchOptions extends CommonOptions {
  readonly mode: 'batch';
  readonly fromBeginning?: boolean;
}

export type MeridianServerOptions = MeridianRequestsOptions | MeridianEventsOptions | MeridianBatchOptions;

export type MeridianServerStatus = 'connected' | 'disconnected';

interface Route {
  readonly handler: MessageHandler;
  readonly contract: MessageContract | undefined;
}

interface BatchItem {
  readonly route: Route;
  readonly envelope: Envelope;
}

const kindOf: Record<MeridianServerOptions['mode'], HandlerKind> = {
  requests: 'request',
  events: 'event',
  batch: 'batch',
};

/**
 * Connect with `app.connectMicroservice({ strategy: new MeridianServer(bus, options) })`; it starts
 * with `app.startAllMicroservices()` and stops consuming on `close()` (Nest calls it on app close).
 */
export class MeridianServer
  extends Server<Record<string, never>, MeridianServerStatus>
  implements CustomTransportStrategy
{
  override readonly transportId = MERIDIAN_TRANSPORT;
  private subscription: Subscription | null = null;

  constructor(
    private readonly bus: MessageBus,
    private readonly options: MeridianServerOptions,
  ) {
    super();
  }

  get topic(): string {
    return this.options.topic;
  }

  /** Nest offers every handler to every server: keep those declared for this topic. */
  override addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, unknown> = {},
  ): void {
    if (extras['topic'] === this.options.topic) {
      super.addHandler(pattern, callback, isEventHandler, extras);
    } else if (extras['topic'] === undefined) {
      this.options.log.warn({ pattern }, 'message handler declares no topic: no Meridian server serves it');
    }
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      await this.start();
      this._status$.next('connected');
      callback();
    } catch (err) {
      callback(err);
    }
  }

  async close(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
    this._status$.next('disconnected');
  }

  /** The running Subscription. */
  unwrap<T>(): T {
    if (!this.subscription) throw new Error(`MeridianServer(${this.topic}) is not listening`);
    return this.subscription as unknown as T;
  }

  on(): never {
    throw new Error('MeridianServer has no events; observe `status` instead');
  }

  private async start(): Promise<void> {
    const routes = this.routes();
    const { options } = this;
    if (options.mode === 'requests') {
      const requestRoutes = Object.fromEntries(
        [...routes].map(([type, route]) => [type, (request: Envelope) => this.reply(route, request)]),
      );
      const { mode: _mode, ...serving } = options;
      this.subscription = await serveRequests(this.bus, { ...serving, routes: requestRoutes });
      return;
    }
    const subscription = new Subscription(this.bus, {
      groupId: options.groupId,
      topics: [options.topic],
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.fromBeginning !== undefined ? { fromBeginning: options.fromBeginning } : {}),
      log: options.log,
    });
    this.subscription = subscription;
    if (options.mode === 'events') {
      const run = options.withContext ?? (<T>(_: Envelope, work: () => Promise<T>) => work());
      // Pipelined like requests: events of different keys (streams) are handled at once, so writes
      // can batch (AssetLatestWriter); per key, order holds.
      await subscription.runPipelined(async (envelope, origin) => {
        const route = routes.get(envelope.type);
        if (!route) return;
        await run(envelope, () => invoke(route.handler, validated(route, envelope), origin));
      });
      return;
    }
    await subscription.runBatch(
      (envelope): BatchItem | null => {
        const route = routes.get(envelope.type);
        return route ? { route, envelope: validated(route, envelope) } : null;
      },
      async (items, origins) => {
        for (const [route, group] of groupByRoute(items, origins)) {
          await invoke(route.handler, group.envelopes, group.origins);
        }
      },
    );
  }

  private async reply(route: Route, request: Envelope): Promise<ReplyBody> {
    const body = await invoke(route.handler, validated(route, request), undefined);
    if (!isReplyBody(body)) {
      throw new CodedError(ErrorCodes.internal, `the handler of ${request.type} returned no reply`);
    }
    return body;
  }

  /** Routes by message type; a handler of the wrong kind for this server's mode fails the start. */
  private routes(): Map<string, Route> {
    const expected = kindOf[this.options.mode];
    const routes = new Map<string, Route>();
    for (const [type, handler] of this.getHandlers()) {
      const { kind, contract } = describeHandler(handler);
      if (kind !== expected) {
        throw new Error(
          `${type}: ${kind} handler on topic ${this.topic}, which is served in ${this.options.mode} mode`,
        );
      }
      routes.set(type, { handler, contract });
    }
    if (routes.size === 0) this.options.log.warn({ topic: this.topic }, 'no message handlers for this topic');
    return routes;
  }
}

/** Calls a Nest handler and settles its result (value, promise or observable) to its last value. */
async function invoke(handler: MessageHandler, data: unknown, context: unknown): Promise<unknown> {
  const result: unknown = await handler(data, context);
  return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result;
}

/** The envelope with its data parsed by the route's contract; a violation throws CONTRACT.VIOLATION. */
const validated = (route: Route, envelope: Envelope): Envelope =>
  route.contract ? { ...envelope, data: parseData(route.contract, envelope) } : envelope;

const isReplyBody = (value: unknown): value is ReplyBody =>
  typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';

/** Splits a fetched batch by handler, keeping offset order within each group. */
function groupByRoute(
  items: readonly (BatchItem | null)[],
  origins: readonly Origin[],
): Map<Route, { envelopes: Envelope[]; origins: Origin[] }> {
  const groups = new Map<Route, { envelopes: Envelope[]; origins: Origin[] }>();
  items.forEach((item, i) => {
    if (!item) return;
    const group = groups.get(item.route) ?? { envelopes: [], origins: [] };
    group.envelopes.push(item.envelope);
    group.origins.push(origins[i]);
    groups.set(item.route, group);
  });
  return groups;
}
