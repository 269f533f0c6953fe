import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import { PositionBatchReportedV1, PositionReportedV1 } from './telemetry';

export const catalogue: readonly CatalogueEntry[] = [
  { contract: PositionReportedV1, topic: Topics.telemetryPositions },
  { contract: PositionBatchReportedV1, topic: Topics.telemetryPositions },
];
