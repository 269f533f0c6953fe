import { randomUUID } from 'node:crypto';
import { type Envelope, replyTopic, replyTopicDefinition, toWire } from '@meridian/contracts/core';
import { type Log, settleWithin } from '@meridian/shared/util';
import type { MessageBus } from './bus';
import { type Origin, Subscription } from './consumer';
import { processReplyTopic, pruneStaleReplyTopics, replyGroupId } from './reply-topics';
import { isUnknownTopic } from './send-queue';
import { ackKeyOf, Timing, TIMING_HEADER, TimingMarks } from './timing';
import { startProducing } from './trace-context';

export interface OutgoingRequest {
  /** Message id (CloudEvents `id`); a command's id, from which its event ids derive. Random if absent. */
  readonly id?: string;
  readonly topic: string;
  readonly key: string | null;
  readonly type: string;
  readonly dataschema?: string;
  readonly data: unknown;
  readonly tenantId?: string;
  /** The acting principal as JSON (Envelope.principal): the replier authorizes with it. */
  readonly principal?: string;
  readonly correlationId?: string;
  readonly traceparent?: string;
  /**
   * Times this request hop by hop (see `timing.ts`): marks `gw_sent` and `gw_acked` on it, sends
   * its marks in the timing header, and adds the replier's marks and `gw_recv` when the reply comes.
   */
  readonly timing?: Timing;
}

export type RequestOutcome =
  | { readonly status: 'replied'; readonly reply: Envelope }
  | { readonly status: 'timeout'; readonly correlationId: string };

interface Pending {
  readonly correlationId: string;
  readonly tenantId: string | undefined;
  readonly timing: Timing | undefined;
  resolve: (outcome: RequestOutcome) => void;
  timer: NodeJS.Timeout;
}

export interface RequestReplyOptions {
  /**
   * `process` (default): the reply topic is this process's own,
   * `meridian.<service>.replies.<instance>.<start time>-<random>`, so processes sharing an instance
   * id (several on one host, a pod restarted under the same name) never read each other's replies;
   * it is deleted on `stop()`, and `pruneStaleReplyTopics` removes those of crashed processes.
   * `instance`: exactly `meridian.<service>.replies.<instance>`, kept across restarts; the caller
   * guarantees one process per instance id.
   */
  readonly replyTopicScope?: 'process' | 'instance';
  /**
   * Runs `pruneStaleReplyTopics` for this service at start and then every `everyMs` (default
   * 10 min) while started, so reply topics of crashed processes do not pile up. `olderThanMs`
   * should exceed the longest request timeout (an hour is a safe choice).
   */
  readonly pruneStale?: { readonly olderThanMs: number; readonly everyMs?: number };
}

/**
 * Request–reply over Kafka: requests carry a correlation id and a `reply-to` header naming this
 * process's reply topic; replies are matched by correlation id. A timeout is reported as such,
 * never as a failure of the request (the command may still be applied later).
 */
export class RequestReplyClient {
  private readonly pending = new Map<string, Pending>();
  private subscription: Subscription | null = null;
  private readonly perProcess: boolean;
  private janitor: NodeJS.Timeout | null = null;
  private pruning: Promise<unknown> = Promise.resolve();
  readonly replyTo: string;

  constructor(
    private readonly bus: MessageBus,
    private readonly service: string,
    instance: string,
    private readonly log: Log,
    private readonly options: RequestReplyOptions = {},
  ) {
    this.perProcess = (options.replyTopicScope ?? 'process') === 'process';
    this.replyTo = this.perProcess ? processReplyTopic(service, instance) : replyTopic(service, instance);
  }

  async start(): Promise<void> {
    await this.bus.ensureTopics([replyTopicDefinition(this.replyTo)]);
    this.subscription = new Subscription(this.bus, {
      groupId: replyGroupId(this.replyTo),
      topics: [this.replyTo],
      // The topic belongs to this requester: everything on it is a reply to it.
      fromBeginning: true,
      // A process topic is never read again after this process, so nothing is committed and its
      // group disappears with it; an instance topic resumes where the previous process stopped.
      commitOffsets: !this.perProcess,
      maxAttempts: 1,
      deadLetter: false,
      log: this.log,
    });
    await this.subscription.run(async (envelope, origin) => this.settle(envelope, origin));
    this.startJanitor();
  }

  private startJanitor(): void {
    const prune = this.options.pruneStale;
    if (!prune) return;
    const run = (): void => {
      this.pruning = pruneStaleReplyTopics(this.bus, this.service, {
        olderThanMs: prune.olderThanMs,
        log: this.log,
      }).catch((err: unknown) => this.log.warn({ err }, 'pruning stale reply topics failed; trying again later'));
    };
    run();
    this.janitor = setInterval(run, prune.everyMs ?? 10 * 60_000);
    this.janitor.unref();
  }

  async stop(): Promise<void> {
    if (this.janitor) clearInterval(this.janitor);
    this.janitor = null;
    await this.pruning;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ status: 'timeout', correlationId: p.correlationId });
    }
    this.pending.clear();
    await this.subscription?.stop();
    if (this.perProcess && this.subscription) await this.deleteReplyTopic();
  }

  /**
   * Nobody else will read it. A replier that replied to it before fails one produce when it is
   * gone, replaces its producer and goes on (see `MessageBus`); a late reply to it is dropped.
   */
  private async deleteReplyTopic(): Promise<void> {
    const deleted = await settleWithin(
      10_000,
      this.bus.admin().then((admin) => admin.deleteTopics({ topics: [this.replyTo], timeout: 5_000 })),
    );
    if (deleted === 'timeout' || deleted.status === 'rejected') {
      this.log.warn({ topic: this.replyTo }, 'reply topic not deleted; pruneStaleReplyTopics will remove it');
    }
  }

  async request(req: OutgoingRequest, timeoutMs: number): Promise<RequestOutcome> {
    const correlationId = req.correlationId ?? randomUUID();
    const id = req.id ?? randomUUID();
    // Replies are matched by a key of our own: the correlation id may come from a client and repeat.
    const replyKey = randomUUID();
    const outcome = new Promise<RequestOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(replyKey);
        resolve({ status: 'timeout', correlationId });
      }, timeoutMs);
      this.pending.set(replyKey, { correlationId, tenantId: req.tenantId, timing: req.timing, resolve, timer });
    });
    // Continues the caller's trace (an HTTP request) unless the request names its own traceparent.
    const producing = startProducing(req.topic, req.traceparent);
    try {
      const message = toWire(
        {
          id,
          type: req.type,
          source: `/meridian/${this.service}`,
          time: new Date().toISOString(),
          ...(req.dataschema ? { dataschema: req.dataschema } : {}),
          data: req.data,
          correlationId,
          causationId: correlationId,
          replyTo: this.replyTo,
          replyKey,
          ...(req.tenantId ? { tenantId: req.tenantId } : {}),
          ...(req.principal ? { principal: req.principal } : {}),
          ...(producing.traceparent ? { traceparent: producing.traceparent } : {}),
        },
        req.key,
      );
      const { timing } = req;
      if (!timing) {
        await this.bus.send(req.topic, [message]);
      } else {
        timing.ackKey = ackKeyOf(replyKey);
        timing.mark(TimingMarks.sent);
        await this.bus.send(req.topic, [
          { ...message, headers: { ...message.headers, [TIMING_HEADER]: timing.encode() } },
        ]);
        timing.mark(TimingMarks.acked);
      }
      producing.end();
    } catch (err) {
      producing.end(err);
      const p = this.pending.get(replyKey);
      if (p) clearTimeout(p.timer);
      this.pending.delete(replyKey);
      throw err;
    }
    return outcome;
  }

  private async settle(reply: Envelope, origin: Origin): Promise<void> {
    const p = reply.replyKey ? this.pending.get(reply.replyKey) : undefined;
    if (!p) return; // late reply after a timeout: the caller was already told "pending"
    if (p.tenantId !== reply.tenantId) {
      this.log.error({ replyKey: reply.replyKey }, 'reply for another tenant ignored');
      return;
    }
    if (p.timing && origin.timing) {
      p.timing.mark(TimingMarks.replyReceived, origin.timing.receivedAt);
      p.timing.absorb(Timing.decode(origin.timing.header));
    }
    clearTimeout(p.timer);
    this.pending.delete(reply.replyKey ?? '');
    p.resolve({ status: 'replied', reply });
  }
}

export interface ReplyBody {
  readonly type: string;
  readonly dataschema?: string;
  /** Set for binary data (a Uint8Array sent as the value as it is), e.g. a vector tile. */
  readonly datacontenttype?: string;
  readonly data: unknown;
}

/**
 * Sends the reply of a handled request to its `reply-to` topic. A reply topic that no longer
 * exists means its requester is gone (and was told "pending" or timed out): the reply is dropped
 * instead of failing the request, which would otherwise be retried forever. Other failures throw.
 * `timingHeader`, for a timed request, goes out as the reply's timing header.
 */
export async function sendReply(
  bus: MessageBus,
  service: string,
  request: Envelope,
  body: ReplyBody,
  timingHeader?: string,
): Promise<void> {
  if (!request.replyTo) return;
  try {
    await sendReplyMessage(bus, service, request, request.replyTo, body, timingHeader);
  } catch (err) {
    if (!isUnknownTopic(err)) throw err;
    bus.config.log.warn(
      { replyTo: request.replyTo, correlationId: request.correlationId },
      'reply dropped: its requester is gone',
    );
  }
}

async function sendReplyMessage(
  bus: MessageBus,
  service: string,
  request: Envelope,
  replyTo: string,
  body: ReplyBody,
  timingHeader: string | undefined,
): Promise<void> {
  const message = toWire(
    {
      id: randomUUID(),
      type: body.type,
      source: `/meridian/${service}`,
      time: new Date().toISOString(),
      ...(body.dataschema ? { dataschema: body.dataschema } : {}),
      ...(body.datacontenttype ? { datacontenttype: body.datacontenttype } : {}),
      data: body.data,
      correlationId: request.correlationId,
      causationId: request.id,
      ...(request.replyKey ? { replyKey: request.replyKey } : {}),
      ...(request.tenantId ? { tenantId: request.tenantId } : {}),
      ...(request.traceparent ? { traceparent: request.traceparent } : {}),
    },
    null,
  );
  await bus.send(replyTo, [
    timingHeader === undefined
      ? message
      : { ...message, headers: { ...message.headers, [TIMING_HEADER]: timingHeader } },
  ]);
}
