import { CodedError, type Envelope, ErrorCodes, parseData, PositionReportedV1 } from '@meridian/contracts';
import type { PositionRow } from '@meridian/projection/data-access';

/** Validates one telemetry message; a failure dead-letters that message alone. */
export function parsePosition(envelope: Envelope): PositionRow {
  const fix = parseData(PositionReportedV1, envelope);
  if (!envelope.tenantId) throw new CodedError(ErrorCodes.contractViolation, 'telemetry without tenant-id header');
  return { ...fix, tenantId: envelope.tenantId };
}
