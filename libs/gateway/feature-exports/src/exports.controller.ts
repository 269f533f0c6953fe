import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Body, Controller, Get, Headers, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { ErrorCodes } from '@meridian/contracts/core';
import {
  ExportErrors,
  ExportFilter,
  ExportId,
  ExportJob,
  ExportJobPage,
  GetExportV1,
  ListExportsV1,
  StartExportV1,
} from '@meridian/contracts/exports';
import { GATEWAY_SETTINGS, type GatewaySettings, Idempotency, ServiceBus } from '@meridian/gateway/data-access';
import { actingPrincipal, Authenticated, type PermissionOf, RequirePermission } from '@meridian/gateway/util-auth';
import {
  invalid,
  JSON_TYPE,
  type Link,
  pageParams,
  parseOr400,
  problemFromCode,
  servePage,
  Tenant,
} from '@meridian/gateway/util-http';
import type { ExportStorage } from '@meridian/shared/export-storage';
import { stableUuid } from '@meridian/shared/util';

export const EXPORT_STORAGE = Symbol('meridian.gateway.export-storage');

/** The body of `POST /v1/exports`: the filter itself. */
export const StartExportBody = ExportFilter;

/** An export reads what its kind reads: positions and visits need positions:read, missions missions:read. */
export const exportPermission: PermissionOf = (request: FastifyRequest) => {
  const kind = (request.body as { kind?: unknown } | undefined)?.kind;
  return kind === 'missions' ? 'missions:read' : 'positions:read';
};

/** A job as clients see it: the storage key stays inside; a finished job links its download. */
export interface ExportView extends Omit<ExportJob, 'file'> {
  readonly download: {
    readonly href: string;
    readonly name: string;
    readonly contentType: string;
    readonly bytes: number;
  } | null;
}

export interface ExportList {
  readonly exports: readonly ExportView[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

const idParam = (value: string): string => {
  const id = ExportId.safeParse(value);
  if (!id.success) throw invalid(ErrorCodes.requestInvalid, `export id must be a UUID, not ${JSON.stringify(value)}`);
  return id.data;
};

const acceptsGzip = (header: string | undefined): boolean =>
  (header ?? '')
    .split(',')
    .map((part) => part.trim().split(';'))
    .some(
      ([coding, ...params]) =>
        coding?.trim().toLowerCase() === 'gzip' && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p)),
    );

/**
 * `/v1/exports`: large extracts as jobs. geo-query records, runs and filters them (the caller's
 * permissions apply as for any query); the gateway starts them, shows their progress, and streams the
 * finished file from the storage both share. Files are stored gzip-compressed: sent as they are to a
 * client that accepts gzip, decompressed on the way otherwise.
 */
@Controller('v1/exports')
export class ExportsController {
  constructor(
    private readonly bus: ServiceBus,
    private readonly idempotency: Idempotency,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @Inject(EXPORT_STORAGE) private readonly storage: ExportStorage,
  ) {}

  private view(job: ExportJob): ExportView {
    const { file, ...rest } = job;
    const download =
      file && job.state === 'succeeded'
        ? {
            href: `${this.settings.publicUrl}/v1/exports/${job.id}/download`,
            name: file.name,
            contentType: file.contentType,
            bytes: file.bytes,
          }
        : null;
    return { ...rest, download };
  }

  /** 202 with the job (queued); `Location` is its progress. With `Idempotency-Key`, a retry gets the same job. */
  @Post()
  @RequirePermission(exportPermission)
  async start(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const filter = parseOr400(StartExportBody, body);
    const subject = actingPrincipal()?.subject ?? 'unknown';
    const work = async () => {
      const exportId = key === undefined ? uuidv7() : stableUuid(`export:${tenantId}\n${subject}\n${key}`);
      const job = ExportJob.parse(await this.bus.query(StartExportV1, { exportId, filter }, tenantId));
      return { status: 202, body: this.view(job), location: `${this.settings.publicUrl}/v1/exports/${job.id}` };
    };
    // Keys are the principal's own: another user of the tenant reusing a key never gets this job.
    const scope = `${tenantId}:${subject}`;
    const response = key === undefined ? await work() : await this.idempotency.run(scope, key, filter, work);
    void reply.status(response.status);
    if (response.location) void reply.header('location', response.location);
    return response.body;
  }

  /** The caller's exports, newest first (geo-query answers only the caller's own jobs). */
  @Get()
  @Authenticated()
  async list(@Tenant() tenantId: string, @Query() query: Record<string, unknown>): Promise<ExportList> {
    const params = parseOr400(z.strictObject(pageParams), query);
    const subject = actingPrincipal()?.subject ?? 'unknown';
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path: '/v1/exports',
        scope: `exports:${tenantId}:${subject}`,
        type: JSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
      },
      async (limit, after) =>
        ExportJobPage.parse(await this.bus.query(ListExportsV1, { limit, ...(after ? { after } : {}) }, tenantId)),
    );
    return { exports: page.items.map((job) => this.view(job)), numberReturned: page.numberReturned, links: page.links };
  }

  /** State and progress (rows written, percent); once succeeded, the download link. */
  @Get(':id')
  @Authenticated()
  async get(@Tenant() tenantId: string, @Param('id') id: string): Promise<ExportView> {
    return this.view(ExportJob.parse(await this.bus.query(GetExportV1, { exportId: idParam(id) }, tenantId)));
  }

  /** The file, streamed: `Content-Disposition: attachment`; gzip as stored when the client accepts it. */
  @Get(':id/download')
  @Authenticated()
  async download(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Headers('accept-encoding') acceptEncoding: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const job = ExportJob.parse(await this.bus.query(GetExportV1, { exportId: idParam(id) }, tenantId));
    if (job.state === 'expired') throw problemFromCode(ExportErrors.exportExpired, `export ${job.id} has expired`);
    if (job.state !== 'succeeded' || !job.file) {
      throw problemFromCode(ExportErrors.exportNotReady, `export ${job.id} is ${job.state}: there is no file yet`);
    }
    const stored = await this.storage.get(job.file.key).catch((err: unknown) => {
      throw problemFromCode(
        ErrorCodes.upstreamUnavailable,
        `the export storage could not be read (${err instanceof Error ? err.name : 'error'}); try again`,
      );
    });
    if (!stored) throw problemFromCode(ExportErrors.exportExpired, `the file of export ${job.id} is gone`);
    const gzip = acceptsGzip(acceptEncoding);
    void reply
      .status(200)
      .header('content-type', job.file.contentType)
      .header('content-disposition', `attachment; filename="${job.file.name.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
      .header('cache-control', 'private, no-store')
      .header('vary', 'accept-encoding');
    if (gzip) {
      void reply.header('content-encoding', 'gzip').header('content-length', String(stored.bytes));
      return reply.send(stored.body);
    }
    // A broken file or a client gone mid-way ends the response; the error is the stream's to report.
    return reply.send(pipeline(stored.body, createGunzip(), () => undefined));
  }
}
