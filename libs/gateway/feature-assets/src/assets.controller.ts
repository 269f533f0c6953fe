import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import {
  AssetFeature,
  AssetFeatureCollection,
  AssetKind,
  AssetName,
  Bbox,
  ErrorCodes,
  GetAssetV1,
  ListAssetsInBboxV1,
  RegisterAssetV1,
} from '@meridian/contracts';
import { stableUuid } from '@meridian/shared/util';
import { AssetDirectory } from './asset-directory';
import { Idempotency, type StoredResponse } from './idempotency';
import { parseOr400, problemFromCode } from './problem';
import { ServiceBus } from './service-bus';
import { Tenant } from './tenant';

export const RegisterAssetBody = z.strictObject({ name: AssetName, kind: AssetKind });

const BboxParam = z
  .string()
  .transform((s, ctx) => {
    const parts = s.split(',').map((p) => (p.trim() === '' ? Number.NaN : Number(p)));
    if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) {
      ctx.addIssue({ code: 'custom', message: 'bbox is minLon,minLat,maxLon,maxLat' });
      return z.NEVER;
    }
    return parts;
  })
  .pipe(Bbox);

export const ListAssetsParams = z.strictObject({
  bbox: BboxParam.optional(),
  limit: z.coerce.number().int().min(1).max(10000).default(1000),
});

const GEOJSON = 'application/geo+json';
const WORLD: [number, number, number, number] = [-180, -90, 180, 90];

@Controller('v1/assets')
export class AssetsController {
  constructor(
    private readonly bus: ServiceBus,
    private readonly directory: AssetDirectory,
    private readonly idempotency: Idempotency,
  ) {}

  /** 201 when workflow accepted, 202 when it did not answer in time (the command may still apply). */
  @Post()
  async register(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const input = parseOr400(RegisterAssetBody, body);
    const response = key
      ? await this.idempotency.run(tenantId, key, input, () =>
          this.send(tenantId, input, stableUuid(`asset:${tenantId}:${key}`), stableUuid(`command:${tenantId}:${key}`)),
        )
      : await this.send(tenantId, input, uuidv7(), randomUUID());
    void reply.status(response.status);
    if (response.location) void reply.header('location', response.location);
    return response.body;
  }

  private async send(tenantId: string, input: z.infer<typeof RegisterAssetBody>, assetId: string, commandId: string): Promise<StoredResponse> {
    const outcome = await this.bus.command(RegisterAssetV1, assetId, { assetId, ...input }, tenantId, commandId);
    switch (outcome.outcome) {
      case 'accepted':
        await this.directory.remember(tenantId, assetId);
        return { status: 201, body: { id: assetId, version: outcome.version }, location: `/v1/assets/${assetId}` };
      case 'pending':
        return { status: 202, body: { id: assetId, status: 'pending', correlationId: outcome.correlationId } };
      case 'rejected':
        throw problemFromCode(outcome.code, outcome.detail);
    }
  }

  @Get(':id')
  async get(@Tenant() tenantId: string, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<AssetFeature> {
    const assetId = parseOr400(z.uuid(), id, ErrorCodes.requestInvalid, 'id');
    const result = AssetFeature.parse(await this.bus.query(GetAssetV1, { assetId }, tenantId));
    void reply.header('content-type', GEOJSON);
    return result;
  }

  @Get()
  async list(
    @Tenant() tenantId: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AssetFeatureCollection> {
    const code = typeof query.bbox === 'string' && !ListAssetsParams.shape.bbox.safeParse(query.bbox).success ? ErrorCodes.bboxInvalid : ErrorCodes.requestInvalid;
    const { bbox, limit } = parseOr400(ListAssetsParams, query, code);
    const result = AssetFeatureCollection.parse(await this.bus.query(ListAssetsInBboxV1, { bbox: bbox ?? WORLD, limit }, tenantId));
    void reply.header('content-type', GEOJSON);
    return result;
  }
}

