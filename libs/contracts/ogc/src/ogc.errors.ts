import { defineErrors } from '@meridian/contracts/core';

export const OgcErrors = defineErrors({
  collectionNotFound: {
    code: 'OGC.COLLECTION_NOT_FOUND',
    status: 404,
    description: 'No such collection under `/ogc/collections`: the collections are `assets`, `zones` and `positions`.',
  },
  featureNotFound: {
    code: 'OGC.FEATURE_NOT_FOUND',
    status: 404,
    description:
      'No feature with this id in the collection for this tenant (an archived zone, a feature of another tenant or ' +
      'a malformed id are not found either).',
  },
  parameterInvalid: {
    code: 'OGC.PARAMETER_INVALID',
    status: 400,
    description:
      'A query parameter of an `/ogc` request is malformed: `limit` not a positive integer (a `limit` above the ' +
      'maximum, 10,000, is lowered to it, not refused), `bbox` not 4 or 6 numbers with longitudes within ±180, ' +
      'latitudes within ±90 and min ≤ max latitude (min > max longitude crosses the antimeridian), or `f` not ' +
      '`json` or `html`.',
  },
  datetimeInvalid: {
    code: 'OGC.DATETIME_INVALID',
    status: 400,
    description:
      '`datetime` is not an RFC 3339 instant or an interval `start/end` with either end `..` or empty (open), or ' +
      'its end is before its start.',
  },
  parameterUnknown: {
    code: 'OGC.PARAMETER_UNKNOWN',
    status: 400,
    description:
      'A query parameter the operation does not define (OGC API – Features /req/core/query-param-unknown); ' +
      '`detail` names it.',
  },
});
