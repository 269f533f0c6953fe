import { applyDecorators, Catch, type RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { Ctx, EventPattern, MessagePattern, type MessageHandler, Payload } from '@nestjs/microservices';
import { type Observable, throwError } from 'rxjs';
import type { DataOf, Envelope, MessageContract } from '@meridian/contracts/core';
import type { Origin } from '../consumer';
import type { ReplyBody } from '../request-reply';

/** Transport id of MeridianServer: Nest hands it only handlers declared for it or for no transport. */
export const MERIDIAN_TRANSPORT = Symbol('meridian-kafka');

/** `extras` of a Meridian message route. `topic` picks the server; `contract` validates the data first. */
export interface MeridianPatternExtras {
  readonly topic: string;
  readonly contract?: MessageContract;
  /** Set by @BatchHandler: the handler takes a fetched batch, not one message. */
  readonly batch?: boolean;
}

export type HandlerKind = 'request' | 'event' | 'batch';

/** What a server needs to know about a registered handler, read back from Nest's `extras`. */
export function describeHandler(handler: MessageHandler): { kind: HandlerKind; contract: MessageContract | undefined } {
  const extras: Record<string, unknown> = handler.extras ?? {};
  const contract = isContract(extras['contract']) ? extras['contract'] : undefined;
  const kind: HandlerKind = !handler.isEventHandler ? 'request' : extras['batch'] === true ? 'batch' : 'event';
  return { kind, contract };
}

const isContract = (value: unknown): value is MessageContract =>
  typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';

/**
 * Lets a handler's error reach the server as thrown. Nest's default RPC filter turns every error
 * into `{ status: 'error', message: 'Internal server error' }`, which would erase a CodedError's
 * code (no rejection reply) and a poison verdict (no DLQ). The decorators below apply it; a plain
 * `@MessagePattern` route on a MeridianServer should add `@UseFilters(new KeepMessageErrors())`.
 */
@Catch()
export class KeepMessageErrors implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

const keepErrors = UseFilters(new KeepMessageErrors());

type Result<T> = T | Promise<T> | Observable<T>;

/** A request handler: the validated request in, the reply body out (a CodedError becomes a rejection). */
export type RequestMethod<C extends MessageContract> = (request: Envelope<DataOf<C>>) => Result<ReplyBody>;
/**
 * An event handler: at-least-once, in order per key (events of different keys run concurrently); a
 * thrown error is retried (poison: DLQ).
 */
export type EventMethod<C extends MessageContract> = (event: Envelope<DataOf<C>>, origin: Origin) => unknown;
/** A batch handler: one call per fetched batch (per message type), messages in offset order. */
export type BatchMethod<C extends MessageContract> = (
  items: readonly Envelope<DataOf<C>>[],
  origins: readonly Origin[],
) => unknown;

/** A method decorator that only fits methods of type M (checked by the compiler). */
export type TypedMethodDecorator<M> = <T extends M>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
) => void;

/**
 * Nest passes only the payload to a method without parameter decorators; the second argument (the
 * origin, or the origins of a batch) is given too, as the messaging lib's handlers get it. A method
 * that decorates its parameters (`@Payload(pipe)`, `@Ctx()`) keeps exactly what it declared.
 */
const typed =
  <M>(decorator: MethodDecorator): TypedMethodDecorator<M> =>
  (target, key, descriptor) => {
    if (!Reflect.hasMetadata(ROUTE_ARGS_METADATA, target.constructor, key)) {
      Payload()(target, key, 0);
      Ctx()(target, key, 1);
    }
    decorator(target, key, descriptor);
  };

const extras = (contract: MessageContract, topic: string, batch = false): MeridianPatternExtras =>
  batch ? { topic, contract, batch } : { topic, contract };

/**
 * Request–reply route for a command on `topic`: `@CommandHandler(RegisterAssetV1, Topics.workflowCommands)`.
 * The data is validated against the contract before the method runs (a violation is rejected).
 */
export const CommandHandler = <C extends MessageContract>(
  contract: C,
  topic: string,
): TypedMethodDecorator<RequestMethod<C>> =>
  typed(applyDecorators(MessagePattern(contract.type, MERIDIAN_TRANSPORT, extras(contract, topic)), keepErrors));

/** Request–reply route for a query; the same as CommandHandler, named for the reader. */
export const QueryHandler = CommandHandler;

/** Event route on `topic`: `@EventHandler(AssetRegisteredV1, Topics.workflowEvents)`. No reply. */
export const EventHandler = <C extends MessageContract>(
  contract: C,
  topic: string,
): TypedMethodDecorator<EventMethod<C>> =>
  typed(applyDecorators(EventPattern(contract.type, MERIDIAN_TRANSPORT, extras(contract, topic)), keepErrors));

/**
 * Batch route on `topic` (a server in `batch` mode): `@BatchHandler(PositionReportedV1, Topics.telemetryPositions)`.
 * A message failing the contract is dead-lettered on its own; the rest of the batch is handled.
 */
export const BatchHandler = <C extends MessageContract>(
  contract: C,
  topic: string,
): TypedMethodDecorator<BatchMethod<C>> =>
  typed(applyDecorators(EventPattern(contract.type, MERIDIAN_TRANSPORT, extras(contract, topic, true)), keepErrors));
