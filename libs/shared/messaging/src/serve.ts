import { CodedError, type Envelope, ErrorCodes } from '@meridian/contracts';
import type { Log } from '@meridian/shared/util';
import type { MessageBus } from './bus';
import { Subscription } from './consumer';
import { type ReplyBody, sendReply } from './request-reply';

export type RequestRoute = (request: Envelope) => Promise<ReplyBody>;

export interface ServeOptions {
  readonly service: string;
  readonly topic: string;
  readonly groupId: string;
  readonly routes: Readonly<Record<string, RequestRoute>>;
  /** Builds the reply for a request that was refused with a stable code. */
  readonly rejection: (code: string, detail: string) => ReplyBody;
  readonly log: Log;
  /** Partitions served in parallel; requests with the same key stay in order. */
  readonly concurrency?: number;
  /** Runs each request inside a logging context (correlation id, tenant). */
  readonly withContext?: <T>(request: Envelope, work: () => Promise<T>) => Promise<T>;
}

/**
 * Consumes a command or query topic and replies to each request: the route's answer, or a
 * rejection with the stable code of a CodedError. Other errors are transient: the subscription
 * retries the request, and the caller sees a timeout until it succeeds.
 */
export async function serveRequests(bus: MessageBus, options: ServeOptions): Promise<Subscription> {
  const subscription = new Subscription(bus, {
    groupId: options.groupId,
    topics: [options.topic],
    concurrency: options.concurrency ?? 4,
    // A request that keeps failing must not hold its partition forever: after this many
    // attempts (about a minute of backoff) it is parked in the DLQ and its caller saw a timeout.
    maxAttempts: 10,
    // A command reported to its caller as pending must still be applied: a new group starts at the beginning.
    fromBeginning: true,
    log: options.log,
  });
  const run = options.withContext ?? (<T>(_: Envelope, work: () => Promise<T>) => work());
  await subscription.runKeyed(async (request) =>
    run(request, async () => {
      let body: ReplyBody;
      try {
        const route = options.routes[request.type];
        if (!route) throw new CodedError(ErrorCodes.contractViolation, `unknown message type ${request.type}`);
        body = await route(request);
      } catch (err) {
        const coded = err instanceof CodedError ? err : asDataError(err);
        if (!coded) throw err;
        body = options.rejection(coded.code, coded.message);
      }
      await sendReply(bus, options.service, request, body);
    }),
  );
  return subscription;
}

/**
 * Postgres refuses this data (SQLSTATE class 22: data exception, 23: integrity violation): retrying
 * cannot help, so the request is answered with a rejection instead.
 */
function asDataError(err: unknown): CodedError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^2[23][0-9A-Z]{3}$/.test(code)) return null;
  return new CodedError(ErrorCodes.requestInvalid, `the data was refused by the store (${code})`);
}
