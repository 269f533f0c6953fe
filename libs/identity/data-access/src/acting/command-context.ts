import { commandReply, type Envelope } from '@meridian/contracts/core';
import type { EventMetadata, HandleResult } from '@meridian/shared/decider';
import type { ReplyBody } from '@meridian/shared/messaging';

/** Where a command came from and who issued it: event ids derive from `commandId`. */
export interface CommandContext {
  readonly commandId: string;
  readonly actor: string;
  readonly metadata: EventMetadata;
}

export function commandContext(request: Envelope, tenantId: string, actor: string): CommandContext {
  return {
    commandId: request.id,
    actor,
    metadata: {
      tenantId,
      actor,
      correlationId: request.correlationId,
      causationId: request.id,
      ...(request.traceparent ? { traceparent: request.traceparent } : {}),
    },
  };
}

/** A context for identity's own commands (bootstrap): stable ids make them idempotent across starts. */
export const systemContext = (commandId: string, tenantId: string, actor: string): CommandContext => ({
  commandId,
  actor,
  metadata: { tenantId, actor },
});

/** The outcome of a command on one stream. */
export interface StreamOutcome {
  readonly streamId: string;
  readonly result: HandleResult;
}

export const replyOf = ({ streamId, result }: StreamOutcome): ReplyBody =>
  commandReply(
    result.ok
      ? { outcome: 'accepted', streamId, version: result.version }
      : { outcome: 'rejected', code: result.code, detail: result.detail },
  );
