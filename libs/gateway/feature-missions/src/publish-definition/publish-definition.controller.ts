import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PublishWorkflowDefinitionV1 } from '@meridian/contracts/missions';
import { Idempotency } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400, Tenant } from '@meridian/gateway/util-http';
import { answer, commandResponse, MissionCommands, once } from '../mission-commands';

/** `{key, machine, deadlineTolerance?}`: the command's own data (workflow checks the machine in full). */
export const PublishDefinitionBody = PublishWorkflowDefinitionV1.schema;

@Controller('v1/workflow-definitions')
export class PublishDefinitionController {
  constructor(
    private readonly commands: MissionCommands,
    private readonly idempotency: Idempotency,
  ) {}

  /** 201 `{key, version}`: the definition's new version; missions already running stay on theirs. */
  @Post()
  @RequirePermission('missions:approve')
  async publish(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const input = parseOr400(PublishDefinitionBody, body);
    const response = await once(this.idempotency, tenantId, key, input, async (ids) =>
      commandResponse(
        await this.commands.send(PublishWorkflowDefinitionV1, input.key, input, tenantId, ids('definition-command')),
        { key: input.key },
        `/v1/workflow-definitions/${input.key}`,
      ),
    );
    return answer(reply, response);
  }
}
