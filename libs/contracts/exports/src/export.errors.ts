import { defineErrors } from '@meridian/contracts/core';

export const ExportErrors = defineErrors({
  exportNotFound: {
    code: 'EXPORT.NOT_FOUND',
    status: 404,
    description: 'No such export for the calling principal (exports of other users and tenants are not found).',
  },
  exportFilterInvalid: {
    code: 'EXPORT.FILTER_INVALID',
    status: 400,
    description:
      '`to` is not after `from`, the window is longer than 31 days, both `bbox` and `zoneId` are given, ' +
      'or the zone does not exist; `detail` says which.',
  },
  exportNotReady: {
    code: 'EXPORT.NOT_READY',
    status: 409,
    description: 'The export has not finished (or failed): there is no file to download yet.',
  },
  exportExpired: {
    code: 'EXPORT.EXPIRED',
    status: 410,
    description: 'The export finished but its file has expired (`EXPORTS_TTL_HOURS`, default 24) and was deleted.',
  },
  exportLimitReached: {
    code: 'EXPORT.LIMIT_REACHED',
    status: 429,
    description:
      'The principal has as many unfinished exports as allowed (`EXPORTS_MAX_ACTIVE_PER_PRINCIPAL`, default 5).',
  },
});
