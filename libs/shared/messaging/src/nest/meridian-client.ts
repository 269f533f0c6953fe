/**
 * A `@nestjs/microservices` ClientProxy for the gateway over Meridian's request–reply
 * (RequestReplyClient) and MessageBus: `send` asks a service and observes its reply, `emit`
 * publishes an event. Messages are CloudEvents with Meridian's headers, so MeridianServer (or any
 * other consumer of the messaging lib) reads them.
 *
 * Why not Nest's built-in Kafka client: its request–reply speaks its own headers instead of
 * CloudEvents, turns a timeout into an error (a command that timed out may still be applied: the
 * caller must hear "pending", not "failed"), and its server side has no batches, no bounded
 * retries and no dead-letter topic.
 */
import type { OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CodedError, type DataOf, ErrorCodes, type MessageContract, toWire } from '@meridian/contracts/core';
import type { Log } from '@meridian/shared/util';
import type { MessageBus } from '../bus';
import { type RequestOutcome, RequestReplyClient, type RequestReplyOptions } from '../request-reply';
import type { Timing } from '../timing';
import { startProducing } from '../trace-context';

/** What `send` takes as its pattern: which request, where to, and how long to wait for the reply. */
export interface MeridianRequest<C extends MessageContract = MessageContract> {
  readonly contract: C;
  readonly topic: string;
  /** Kafka key: the aggregate id (per-aggregate order), or null for queries. */
  readonly key: string | null;
  /** Null only for requests that belong to no tenant. */
  readonly tenantId: string | null;
  /** The acting principal as JSON (Envelope.principal), for the replier's authorization. */
  readonly principal?: string;
  /** CloudEvents id; a command's id, from which its event ids derive. Random if absent. */
  readonly id?: string;
  readonly correlationId?: string;
  readonly traceparent?: string;
  readonly timeoutMs: number;
  /** Times the request hop by hop (see `timing.ts`); the reply's marks are added to it. */
  readonly timing?: Timing;
}

/** What `emit` takes as its pattern. */
export interface MeridianEvent<C extends MessageContract = MessageContract> {
  readonly contract: C;
  readonly topic: string;
  readonly key: string | null;
  readonly tenantId: string | null;
  readonly id?: string;
  readonly subject?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly traceparent?: string;
}

/** `{ status: 'replied', reply }` with the reply Envelope, or `{ status: 'timeout', correlationId }`. */
export type MeridianOutcome = RequestOutcome;

export interface MeridianClientOptions extends RequestReplyOptions {
  /** This service's name: replies come to `meridian.<service>.replies.<instance>…`. */
  readonly service: string;
  readonly instance: string;
  readonly log: Log;
}

export type MeridianClientStatus = 'connected' | 'disconnected';

/**
 * `connect()` starts the reply consumer (send and emit call it), `close()` stops it; as a Nest
 * provider it closes itself on application shutdown, after the HTTP server has closed.
 */
export class MeridianClientProxy
  extends ClientProxy<Record<never, never>, MeridianClientStatus>
  implements OnApplicationShutdown
{
  private readonly client: RequestReplyClient;
  private connecting: Promise<void> | null = null;

  constructor(
    private readonly bus: MessageBus,
    private readonly options: MeridianClientOptions,
  ) {
    super();
    const { service, instance, log, ...requestReply } = options;
    this.client = new RequestReplyClient(bus, service, instance, log, requestReply);
  }

  /** Emits one outcome and completes: the reply, or a timeout (never an error: the request may still be applied). */
  override send<C extends MessageContract>(pattern: MeridianRequest<C>, data: DataOf<C>): Observable<MeridianOutcome>;
  /** @deprecated Nest's untyped signature, kept for the base class: pass a MeridianRequest. */
  override send<TResult, TInput>(pattern: never, data: TInput): Observable<TResult>;
  override send(pattern: unknown, data: unknown): Observable<unknown> {
    return super.send(pattern, data);
  }

  /** Completes when the broker acknowledged the event (acks=all); it is sent even if nobody subscribes. */
  override emit<C extends MessageContract>(pattern: MeridianEvent<C>, data: DataOf<C>): Observable<void>;
  /** @deprecated Nest's untyped signature, kept for the base class: pass a MeridianEvent. */
  override emit<TResult, TInput>(pattern: never, data: TInput): Observable<TResult>;
  override emit(pattern: unknown, data: unknown): Observable<unknown> {
    return super.emit(pattern, data);
  }

  connect(): Promise<void> {
    this.connecting ??= this.client.start().then(
      () => this._status$.next('connected'),
      (err: unknown) => {
        this.connecting = null;
        throw err;
      },
    );
    return this.connecting;
  }

  /** Stops the reply consumer; requests still waiting see a timeout outcome. */
  async close(): Promise<void> {
    if (!this.connecting) return;
    this.connecting = null;
    await this.client.stop();
    this._status$.next('disconnected');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** The RequestReplyClient underneath. */
  unwrap<T>(): T {
    return this.client as unknown as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket<MeridianOutcome>) => void): () => void {
    const pattern: unknown = packet.pattern;
    const request = async (): Promise<MeridianOutcome> => {
      if (!isPattern<MeridianRequest>(pattern, 'timeoutMs')) throw new Error('send() needs a MeridianRequest pattern');
      return this.client.request(
        {
          topic: pattern.topic,
          key: pattern.key,
          type: pattern.contract.type,
          dataschema: pattern.contract.dataschema,
          data: checked(pattern.contract, packet.data),
          ...(pattern.id ? { id: pattern.id } : {}),
          ...(pattern.tenantId ? { tenantId: pattern.tenantId } : {}),
          ...(pattern.principal ? { principal: pattern.principal } : {}),
          ...(pattern.correlationId ? { correlationId: pattern.correlationId } : {}),
          ...(pattern.traceparent ? { traceparent: pattern.traceparent } : {}),
          ...(pattern.timing ? { timing: pattern.timing } : {}),
        },
        pattern.timeoutMs,
      );
    };
    request().then(
      (outcome) => callback({ response: outcome, isDisposed: true }),
      (err: unknown) => callback({ err }),
    );
    // A request on Kafka cannot be recalled; an unsubscribed caller's entry expires with its timeout.
    return () => undefined;
  }

  protected async dispatchEvent<T = void>(packet: ReadPacket): Promise<T> {
    const pattern: unknown = packet.pattern;
    if (!isPattern<MeridianEvent>(pattern)) throw new Error('emit() needs a MeridianEvent pattern');
    const id = pattern.id ?? randomUUID();
    const correlationId = pattern.correlationId ?? id;
    const producing = startProducing(pattern.topic, pattern.traceparent);
    const envelope = {
      id,
      type: pattern.contract.type,
      source: `/meridian/${this.options.service}`,
      time: new Date().toISOString(),
      dataschema: pattern.contract.dataschema,
      data: checked(pattern.contract, packet.data),
      correlationId,
      causationId: pattern.causationId ?? correlationId,
      ...(pattern.subject ? { subject: pattern.subject } : {}),
      ...(pattern.tenantId ? { tenantId: pattern.tenantId } : {}),
      ...(producing.traceparent ? { traceparent: producing.traceparent } : {}),
    };
    try {
      await this.bus.send(pattern.topic, [toWire(envelope, pattern.key)]);
      producing.end();
    } catch (err) {
      producing.end(err);
      throw err;
    }
    return undefined as T;
  }
}

/** Outgoing data is checked against its contract: a bad message is refused here, not by every consumer. */
function checked(contract: MessageContract, data: unknown): unknown {
  const result = contract.schema.safeParse(data);
  if (!result.success)
    throw new CodedError(ErrorCodes.contractViolation, `${contract.type}: ${z.prettifyError(result.error)}`);
  return result.data;
}

const isPattern = <P extends MeridianEvent | MeridianRequest>(value: unknown, required?: keyof P): value is P => {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as { contract?: { type?: unknown }; topic?: unknown };
  return (
    typeof p.contract?.type === 'string' && typeof p.topic === 'string' && (required === undefined || required in value)
  );
};
