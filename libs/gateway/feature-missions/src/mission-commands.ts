import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { type DataOf, ErrorCodes, type MessageContract, Topics } from '@meridian/contracts/core';
import { MissionId } from '@meridian/contracts/missions';
import { type CommandOutcome, Idempotency, ServiceBus, type StoredResponse } from '@meridian/gateway/data-access';
import { invalid, problemFromCode } from '@meridian/gateway/util-http';
import { stableUuid } from '@meridian/shared/util';

/**
 * The topic the missions API's commands go to: workflow's (`Topics.workflowCommands`). A provider, so
 * that a test can give its own topic and stand in for workflow without racing a running one.
 */
export const MISSION_COMMAND_TOPIC = Symbol('meridian.gateway.mission-command-topic');

export const missionCommandTopic = (topic: string = Topics.workflowCommands) => ({
  provide: MISSION_COMMAND_TOPIC,
  useValue: topic,
});

/** Workflow's mission and definition commands from the gateway, the acting principal attached by the ServiceBus. */
@Injectable()
export class MissionCommands {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(MISSION_COMMAND_TOPIC) private readonly topic: string,
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

/** Workflow answers an event that starts an assignment saga with the saga's stream (`saga-<sagaId>`). */
const SAGA_STREAM = /^saga-(.+)$/;

/** The saga an accepted reply names, if its stream is an assignment saga's. */
export const sagaIdOf = (streamId: string): string | undefined => SAGA_STREAM.exec(streamId)?.[1];

/**
 * 201 (with `location`) or 200 `{...id, version}` once workflow accepted, 202 `{...id, status: 'pending',
 * correlationId}` when it did not answer in time (it may still apply the command), and workflow's refusal
 * as problem+json with its stable code.
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

/**
 * A mission event's answer: 200 `{id, version}`, or 202 `{id, version, sagaId}` when the event started
 * the saga that reserves assets (its outcome arrives as events); pending and refusals as for every command.
 */
export function eventResponse(missionId: string, outcome: CommandOutcome): StoredResponse {
  if (outcome.outcome !== 'accepted') return commandResponse(outcome, { id: missionId });
  const sagaId = sagaIdOf(outcome.streamId);
  if (sagaId === undefined) return { status: 200, body: { id: missionId, version: outcome.version } };
  return { status: 202, body: { id: missionId, version: outcome.version, sagaId } };
}

/** `ETag: "<version>"` of an answer that carries the version it produced (not of a pending one). */
export function etagOf(response: StoredResponse): string | undefined {
  const body = response.body as { version?: unknown } | null;
  if (response.status >= 300 || typeof body?.version !== 'number') return undefined;
  return `"${body.version}"`;
}

/**
 * Puts a response's status and Location on the reply, and for a mission (`versioned`) the ETag of the
 * version it produced, for `If-Match`; its body is what the handler returns.
 */
export function answer(reply: FastifyReply, response: StoredResponse, versioned = false): unknown {
  void reply.status(response.status);
  if (response.location) void reply.header('location', response.location);
  const etag = versioned ? etagOf(response) : undefined;
  if (etag) void reply.header('etag', etag);
  return response.body;
}

/**
 * The ids of a write (entity ids, command ids), by purpose: derived from the Idempotency-Key when the
 * request has one, so that a retry sends the same command and the event store deduplicates it even
 * when Redis has forgotten the key; fresh otherwise. Purposes are mission-specific, so a key reused
 * for a zone never gives a mission the zone's ids.
 */
export type IdsOf = (purpose: string) => string;

export const idsFor =
  (tenantId: string, key: string | undefined): IdsOf =>
  (purpose) =>
    key === undefined ? uuidv7() : stableUuid(`${purpose}:${tenantId}:${key}`);

/** Runs a write once per Idempotency-Key (a repeat gets the first answer), or just runs it without one. */
export function once(
  idempotency: Idempotency,
  tenantId: string,
  key: string | undefined,
  input: unknown,
  work: (ids: IdsOf) => Promise<StoredResponse>,
): Promise<StoredResponse> {
  const ids = idsFor(tenantId, key);
  return key === undefined ? work(ids) : idempotency.run(tenantId, key, input, () => work(ids));
}

/** A mission id in a path: a UUID, else 400 REQUEST.INVALID. */
export const missionIdParam = (id: string): string => {
  const parsed = MissionId.safeParse(id);
  if (!parsed.success) throw invalid(ErrorCodes.requestInvalid, `id: ${id} is not a UUID`);
  return parsed.data;
};

/** A page's `after` for history (a version number), from the cursor the gateway made. */
export const versionAfter = (after: string | undefined): number | undefined => {
  if (after === undefined) return undefined;
  if (!/^\d{1,15}$/.test(after)) throw invalid(ErrorCodes.cursorInvalid, 'cursor: not a cursor of this query');
  return Number(after);
};
