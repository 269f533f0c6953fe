import { Controller } from '@nestjs/common';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { ListExportsV1 } from '@meridian/contracts/exports';
import { requirePrincipal } from '@meridian/contracts/identity';
import { ExportJobs, toExportJob } from '@meridian/read-model/exports';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/** The principal's export jobs, newest first, one keyset page (`after`: the last job's id). */
@Controller()
export class ListExportsHandler {
  constructor(private readonly jobs: ExportJobs) {}

  @QueryHandler(ListExportsV1, Topics.geoQueryRequests)
  async list(request: Envelope<DataOf<typeof ListExportsV1>>): Promise<ReplyBody> {
    const { limit, after } = request.data;
    const principal = requirePrincipal(request);
    const rows = await this.jobs.list(principal.tenantId, principal.subject, limit, after);
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const now = new Date();
    return queryReply({
      outcome: 'ok',
      result: { items: page.map((r) => toExportJob(r, now)), after: more ? page[page.length - 1].id : null },
    });
  }
}
