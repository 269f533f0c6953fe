import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { type DataOf, type MessageContract, Topics } from '@meridian/contracts/core';
import { type CommandOutcome, Idempotency, ServiceBus, type StoredResponse } from '@meridian/gateway/data-access';
import { problemFromCode } from '@meridian/gateway/util-http';
import { stableUuid } from '@meridian/shared/util';

/**
 * The topic the admin API's commands go to: identity's (`Topics.identityCommands`). A provider, so
 * that a test can give its own topic and stand in for identity without racing a running one.
 */
export const IDENTITY_COMMAND_TOPIC = Symbol('meridian.gateway.identity-command-topic');

export const identityCommandTopic = (topic: string = Topics.identityCommands) => ({
  provide: IDENTITY_COMMAND_TOPIC,
  useValue: topic,
});

/** Identity's commands from the gateway: to identity's topic, the acting principal attached by the ServiceBus. */
@Injectable()
export class IdentityCommands {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(IDENTITY_COMMAND_TOPIC) private readonly topic: string,
  ) {}

  send<C extends MessageContract>(
    contract: C,
    key: string,
    data: DataOf<C>,
    tenantId: string,
    commandId: string,
  ): Promise<CommandOutcome> {
    return this.bus.command(contract, key, data, tenantId, commandId, { topic: this.topic });
  }
}

/**
 * 201 (with `location`) or 200 `{...id, version}` once identity accepted, 202 `{...id, status: 'pending',
 * correlationId}` when it did not answer in time (it may still apply the command), and identity's
 * refusal as problem+json with its stable code: the answers of every command route.
 */
export function commandResponse(
  outcome: CommandOutcome,
  id: Readonly<Record<string, unknown>>,
  location?: string,
): StoredResponse {
  switch (outcome.outcome) {
    case 'accepted':
      return {
        status: location ? 201 : 200,
        body: { ...id, version: outcome.version },
        ...(location ? { location } : {}),
      };
    case 'pending':
      return { status: 202, body: { ...id, status: 'pending', correlationId: outcome.correlationId } };
    case 'rejected':
      throw problemFromCode(outcome.code, outcome.detail);
  }
}

/** Puts a response's status and Location on the reply; its body is what the handler returns. */
export function answer(reply: FastifyReply, response: StoredResponse): unknown {
  void reply.status(response.status);
  if (response.location) void reply.header('location', response.location);
  return response.body;
}

/**
 * The ids of a write (entity ids, command ids), by purpose: derived from the Idempotency-Key when the
 * request has one, so that a retry sends the same command and the event store deduplicates it even
 * when Redis has forgotten the key; fresh otherwise. A purpose names the stream its command goes to
 * when the key does not decide it (the client id, the tenant), so that a key reused after Redis
 * forgot it never gives two streams the same command id.
 */
export type IdsOf = (purpose: string) => string;

export const idsFor =
  (scope: string, key: string | undefined): IdsOf =>
  (purpose) =>
    key === undefined ? uuidv7() : stableUuid(`${purpose}:${scope}:${key}`);

/** Runs a write once per Idempotency-Key (a repeat gets the first answer), or just runs it without one. */
export function once(
  idempotency: Idempotency,
  scope: string,
  key: string | undefined,
  input: unknown,
  work: (ids: IdsOf) => Promise<StoredResponse>,
): Promise<StoredResponse> {
  const ids = idsFor(scope, key);
  return key === undefined ? work(ids) : idempotency.run(scope, key, input, () => work(ids));
}
