import { CodedError, type Envelope, ErrorCodes } from '@meridian/contracts/core';
import type { Log } from '@meridian/shared/util';
import type { MessageBus } from './bus';
import { Subscription } from './consumer';
import { classifyFailure, failureCode } from './failures';
import { type ReplyBody, sendReply } from './request-reply';
import { ackKeyOf, ReplyAcks, Timing, TimingMarks, withTiming } from './timing';

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
 * Consumes a command or query topic and replies to each request. Failures follow
 * `classifyFailure`, the same rule as every consumer:
 * - poison (unknown type, data failing its schema) and data failures (a CodedError, PostgreSQL
 *   refusing the data) are answered with a rejection carrying the stable code;
 * - transient failures (Postgres or Kafka away, a reply that Kafka did not take) are retried with
 *   backoff until they pass, however long the outage: the caller sees "pending" meanwhile and the
 *   command is applied once it passes (handlers are idempotent by command id), never dead-lettered;
 * - bugs (unrecognised errors) get 10 attempts, about 40 s, then the request is parked in the DLQ
 *   (its caller saw a timeout) so one request cannot hold its partition forever.
 * Requests that are not CloudEvents at all cannot be answered and go to the DLQ.
 *
 * A timed request (one with a timing header, see `timing.ts`) gets its marks — received, handler
 * start and end, and those the handler adds with `markTiming` — echoed and extended on its reply;
 * when the broker acknowledged the reply, that moment goes out with the next timed reply to the
 * same requester.
 */
export async function serveRequests(bus: MessageBus, options: ServeOptions): Promise<Subscription> {
  const subscription = new Subscription(bus, {
    groupId: options.groupId,
    topics: [options.topic],
    concurrency: options.concurrency ?? 4,
    maxAttempts: 10,
    // A command reported to its caller as pending must still be applied: a new group starts at the beginning.
    fromBeginning: true,
    log: options.log,
  });
  const run = options.withContext ?? (<T>(_: Envelope, work: () => Promise<T>) => work());
  const acks = new ReplyAcks();
  await subscription.runPipelined(async (request, origin) =>
    run(request, async () => {
      const timing = origin.timing ? Timing.decode(origin.timing.header) : undefined;
      if (timing && origin.timing) {
        timing.mark(TimingMarks.received, origin.timing.receivedAt);
        timing.mark(TimingMarks.started);
      }
      let body: ReplyBody;
      try {
        const route = options.routes[request.type];
        if (!route) throw new CodedError(ErrorCodes.contractViolation, `unknown message type ${request.type}`);
        body = timing ? await withTiming(timing, () => route(request)) : await route(request);
      } catch (err) {
        const rejection = asRejection(err);
        if (!rejection) throw err;
        body = options.rejection(rejection.code, rejection.message);
      }
      if (!timing || !request.replyTo) {
        await sendReply(bus, options.service, request, body);
        return;
      }
      timing.mark(TimingMarks.handled);
      await sendReply(bus, options.service, request, body, timing.encode(acks.take(request.replyTo)));
      if (request.replyKey) acks.note(request.replyTo, ackKeyOf(request.replyKey));
    }),
  );
  return subscription;
}

/**
 * The rejection a poison or data failure is answered with; null for failures that are retried.
 * PostgreSQL refusing the data (SQLSTATE class 22, 23 or 54) is answered as `REQUEST.INVALID`.
 */
export function asRejection(err: unknown): CodedError | null {
  const kind = classifyFailure(err);
  if (kind !== 'poison' && kind !== 'data') return null;
  if (err instanceof CodedError) return err;
  return new CodedError(ErrorCodes.requestInvalid, `the data was refused by the store (${failureCode(err)})`);
}
