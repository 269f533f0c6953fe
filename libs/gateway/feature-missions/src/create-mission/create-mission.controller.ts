import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { CreateMissionV1, MissionArea, MissionErrors, type MissionWindow } from '@meridian/contracts/missions';
import { Idempotency } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { invalid, parseOr400, Tenant } from '@meridian/gateway/util-http';
import { answer, commandResponse, MissionCommands, once } from '../mission-commands';

/**
 * `{title, definition?, area, window, priority?}`: the command without its id (the gateway chooses it).
 * The area's shape is checked here (MISSION.AREA_INVALID), its validity in full by workflow.
 */
export const CreateMissionBody = CreateMissionV1.schema.omit({ missionId: true }).extend({ area: z.unknown() });

function areaOf(value: unknown): MissionArea {
  const area = MissionArea.safeParse(value);
  if (!area.success) {
    throw invalid(MissionErrors.missionAreaInvalid, 'area must be a GeoJSON Polygon with numeric [lon, lat] positions');
  }
  return area.data;
}

function checkWindow({ start, end }: MissionWindow): void {
  if (Date.parse(end) <= Date.parse(start)) {
    throw invalid(MissionErrors.missionWindowInvalid, `window.end (${end}) must be after window.start (${start})`);
  }
}

@Controller('v1/missions')
export class CreateMissionController {
  constructor(
    private readonly commands: MissionCommands,
    private readonly idempotency: Idempotency,
  ) {}

  /** 201 `{id, version}` and `ETag` once workflow created it; with `Idempotency-Key`, a retry gets the first answer. */
  @Post()
  @RequirePermission('missions:write')
  async create(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const input = parseOr400(CreateMissionBody, body);
    const area = areaOf(input.area);
    checkWindow(input.window);
    const response = await once(this.idempotency, tenantId, key, input, async (ids) => {
      const missionId = ids('mission');
      const data = { ...input, area, missionId };
      const outcome = await this.commands.send(CreateMissionV1, missionId, data, tenantId, ids('mission-command'));
      return commandResponse(outcome, { id: missionId }, `/v1/missions/${missionId}`);
    });
    return answer(reply, response, true);
  }
}
