import { Controller } from '@nestjs/common';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { ExportErrors, GetExportV1 } from '@meridian/contracts/exports';
import { requirePrincipal } from '@meridian/contracts/identity';
import { ExportJobs, toExportJob } from '@meridian/read-model/exports';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/** One export job of the principal; another principal's (or tenant's) is not found. */
@Controller()
export class GetExportHandler {
  constructor(private readonly jobs: ExportJobs) {}

  @QueryHandler(GetExportV1, Topics.geoQueryRequests)
  async get(request: Envelope<DataOf<typeof GetExportV1>>): Promise<ReplyBody> {
    const { exportId } = request.data;
    const principal = requirePrincipal(request);
    const row = await this.jobs.owned(exportId, principal.tenantId, principal.subject);
    if (!row) throw new CodedError(ExportErrors.exportNotFound, `export ${exportId} not found`);
    return queryReply({ outcome: 'ok', result: toExportJob(row) });
  }
}
