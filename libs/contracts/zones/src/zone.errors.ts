import { defineErrors } from '@meridian/contracts/core';

export const ZoneErrors = defineErrors({
  zoneGeometryInvalid: {
    code: 'ZONE.GEOMETRY_INVALID',
    status: 400,
    description:
      'The zone geometry is not a valid GeoJSON Polygon or MultiPolygon in WGS 84: a ring not closed or with fewer ' +
      'than four positions, a coordinate out of range, a self-intersection, a hole outside its shell, or more ' +
      'positions than the configured limit (10,000 by default). `detail` says what and where ' +
      '("self-intersection near 8.54 47.37 in polygon 0"). Nothing is written.',
  },
  zoneAlreadyExists: {
    code: 'ZONE.ALREADY_EXISTS',
    status: 409,
    description: 'A zone with this id exists. With an `Idempotency-Key`, a retry is answered like the first attempt.',
  },
  zoneNotFound: {
    code: 'ZONE.NOT_FOUND',
    status: 404,
    description: 'No such zone in this tenant (zones of other tenants are not found either).',
  },
  zoneArchived: {
    code: 'ZONE.ARCHIVED',
    status: 409,
    description: 'The zone is archived; an archived zone cannot be replaced (it still reads, with `archivedAt`).',
  },
  zoneValidityInvalid: {
    code: 'ZONE.VALIDITY_INVALID',
    status: 400,
    description: '`validFrom`/`validTo` are not RFC 3339 instants, or `validTo` is not after `validFrom`.',
  },
  zoneKindReserved: {
    code: 'ZONE.KIND_RESERVED',
    status: 400,
    description:
      'Zones of kind `mission_area` belong to missions: each is made, changed and ended with its mission ' +
      '(POST /v1/missions), never through the zones API (create, replace, archive). Nothing is written.',
  },
  zoneSensitivityInvalid: {
    code: 'ZONE.SENSITIVITY_INVALID',
    status: 400,
    description: '`sensitivity` is not an integer from 0 to 4.',
  },
});
