import { z } from 'zod';
import type { CommandOutcome } from '@meridian/gateway/data-access';
import { ErrorCodes } from '@meridian/contracts/core';
import { Sensitivity, ZoneErrors, ZoneGeometry, ZoneKind, ZoneName, ZoneTeam } from '@meridian/contracts/zones';
import { invalid, problemFromCode } from '@meridian/gateway/util-http';

const Instant = z.iso.datetime({ offset: true });

/** The body of POST /v1/zones and PUT /v1/zones/{id} (PUT has no `kind`: a zone keeps the kind it was made with). */
export const ZoneContentBody = z.strictObject({
  name: ZoneName,
  // Checked in full by workflow (closure, range, self-intersection, holes, vertex limit); here only its shape.
  geometry: z.unknown(),
  validFrom: Instant.nullable().optional(),
  validTo: Instant.nullable().optional(),
  sensitivity: Sensitivity.optional(),
  team: ZoneTeam.optional(),
});
export const CreateZoneBody = ZoneContentBody.extend({ kind: ZoneKind });
export type ZoneContentBody = z.infer<typeof ZoneContentBody>;

/** Kinds only workflow makes: a `mission_area` zone comes with its mission (POST /v1/missions). */
const RESERVED_KINDS: readonly ZoneKind[] = ['mission_area'];

/** A kind the zones API may create, else 400 ZONE.KIND_RESERVED. */
export function creatableKind(kind: ZoneKind): ZoneKind {
  if (RESERVED_KINDS.includes(kind)) {
    throw invalid(ZoneErrors.zoneKindReserved, `kind: ${kind} zones are made with their mission (POST /v1/missions)`);
  }
  return kind;
}

/**
 * The command content of a body: absent validity ends are open (null), sensitivity 0, no team. A geometry
 * that is not even a Polygon or MultiPolygon is ZONE.GEOMETRY_INVALID here, as any other geometry
 * fault is from workflow.
 */
export function zoneContent(body: ZoneContentBody) {
  const geometry = ZoneGeometry.safeParse(body.geometry);
  if (!geometry.success) {
    throw invalid(
      ZoneErrors.zoneGeometryInvalid,
      'geometry must be a GeoJSON Polygon or MultiPolygon with numeric [lon, lat] positions',
    );
  }
  return {
    name: body.name,
    geometry: geometry.data,
    validFrom: body.validFrom ?? null,
    validTo: body.validTo ?? null,
    sensitivity: body.sensitivity ?? 0,
    team: body.team ?? null,
  };
}

/** 200/201 `{id, version}` when workflow accepted, 202 when it did not answer in time; a refusal as problem+json. */
export function zoneCommandResponse(zoneId: string, outcome: CommandOutcome, created: boolean) {
  switch (outcome.outcome) {
    case 'accepted':
      return {
        status: created ? 201 : 200,
        body: { id: zoneId, version: outcome.version },
        ...(created ? { location: `/v1/zones/${zoneId}` } : {}),
      };
    case 'pending':
      return { status: 202, body: { id: zoneId, status: 'pending', correlationId: outcome.correlationId } };
    case 'rejected':
      throw problemFromCode(outcome.code, outcome.detail);
  }
}

export const zoneIdParam = (id: string): string => {
  const parsed = z.uuid().safeParse(id);
  if (!parsed.success) throw invalid(ErrorCodes.requestInvalid, `id: ${id} is not a UUID`);
  return parsed.data;
};
