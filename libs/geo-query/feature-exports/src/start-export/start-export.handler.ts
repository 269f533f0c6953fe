import { Controller, Inject } from '@nestjs/common';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { ExportErrors, StartExportV1 } from '@meridian/contracts/exports';
import { requirePrincipal } from '@meridian/contracts/identity';
import { readScope } from '@meridian/read-model/assets';
import { ExportJobs, toExportJob } from '@meridian/read-model/exports';
import { ZoneQueries } from '@meridian/read-model/zones';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { EXPORTS_OPTIONS, type ExportsOptions } from '../exports.options';
import { ExportDispatcher } from '../run-exports/export-dispatcher';
import { filterProblem } from './export-filter';

/**
 * Records an export job for the principal (who, with its region, clearance and teams, is stored
 * with it: the job applies its row filter when it runs) and queues it. The same export id again
 * answers the job recorded first. Redis away: the job is recorded all the same, and queued by the
 * reconciliation once Redis is back.
 */
@Controller()
export class StartExportHandler {
  constructor(
    private readonly jobs: ExportJobs,
    private readonly zones: ZoneQueries,
    private readonly dispatcher: ExportDispatcher,
    @Inject(EXPORTS_OPTIONS) private readonly options: ExportsOptions,
  ) {}

  @QueryHandler(StartExportV1, Topics.geoQueryRequests)
  async start(request: Envelope<DataOf<typeof StartExportV1>>): Promise<ReplyBody> {
    const { exportId, filter } = request.data;
    const principal = requirePrincipal(request);
    const mine = (row: { tenant_id: string; subject: string }) =>
      row.tenant_id === principal.tenantId && row.subject === principal.subject;
    const existing = await this.jobs.get(exportId);
    if (existing) {
      if (!mine(existing)) throw new CodedError(ExportErrors.exportNotFound, `export id ${exportId} is taken`);
      return queryReply({ outcome: 'ok', result: toExportJob(existing) });
    }
    const problem = filterProblem(filter);
    if (problem) throw new CodedError(ExportErrors.exportFilterInvalid, problem);
    if (filter.zoneId && !(await this.zones.get(readScope(principal), filter.zoneId))) {
      throw new CodedError(ExportErrors.exportFilterInvalid, `zone ${filter.zoneId} not found`);
    }
    const started = await this.jobs.start(
      { id: exportId, tenantId: principal.tenantId, subject: principal.subject, principal, filter },
      this.options.maxActivePerPrincipal,
    );
    if (started.outcome === 'limit') {
      throw new CodedError(
        ExportErrors.exportLimitReached,
        `${started.active} exports queued or running (at most ${this.options.maxActivePerPrincipal})`,
      );
    }
    if (!mine(started.row)) throw new CodedError(ExportErrors.exportNotFound, `export id ${exportId} is taken`);
    if (started.outcome === 'created') await this.dispatcher.enqueue(exportId);
    return queryReply({ outcome: 'ok', result: toExportJob(started.row) });
  }
}
