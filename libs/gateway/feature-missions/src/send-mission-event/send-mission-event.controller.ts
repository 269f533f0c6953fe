import { randomUUID } from 'node:crypto';
import { Body, Controller, Headers, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MissionErrors, MissionEventName, SendMissionEventV1 } from '@meridian/contracts/missions';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { Consumes, invalid, JSON_TYPE, parseIfMatch, parseOr400, Tenant } from '@meridian/gateway/util-http';
import { answer, eventResponse, MissionCommands, missionIdParam } from '../mission-commands';

/** `{assetIds?, reason?}`, or no body at all. */
export const MissionEventBody = SendMissionEventV1.schema.pick({ assetIds: true, reason: true });

/** No definition has an event of another shape: MISSION.EVENT_UNKNOWN, as workflow says of an unknown one. */
const eventParam = (event: string): string => {
  const parsed = MissionEventName.safeParse(event);
  if (!parsed.success) throw invalid(MissionErrors.missionEventUnknown, `event: ${event} is not an event name`);
  return parsed.data;
};

@Controller('v1/missions')
export class SendMissionEventController {
  constructor(private readonly commands: MissionCommands) {}

  /**
   * 200 `{id, version}`, or 202 `{id, version, sagaId}` when the event started an assignment, with
   * `ETag`; `If-Match: "<version>"` makes it conditional (stale → 412 REQUEST.PRECONDITION_FAILED).
   * Only `missions:read` here: workflow checks the transition's own permission and guards.
   */
  @Post(':id/events/:event')
  @RequirePermission('missions:read')
  // The body is optional: without one the request has no Content-Type.
  @Consumes(JSON_TYPE, '')
  async send(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Param('event') eventName: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const missionId = missionIdParam(id);
    const event = eventParam(eventName);
    const expectedVersion = parseIfMatch(ifMatch);
    const input = parseOr400(MissionEventBody, body ?? {});
    const outcome = await this.commands.send(
      SendMissionEventV1,
      missionId,
      { missionId, event, ...input, ...(expectedVersion === undefined ? {} : { expectedVersion }) },
      tenantId,
      randomUUID(),
    );
    return answer(reply, eventResponse(missionId, outcome), true);
  }
}
