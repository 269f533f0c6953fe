import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import { PositionReportedV1 } from './telemetry';

export const catalogue: readonly CatalogueEntry[] = [
  { contract: PositionReportedV1, topic: Topics.telemetryPositions },
];
