import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import { AuditQueryV1 } from './audit';

export const catalogue: readonly CatalogueEntry[] = [{ contract: AuditQueryV1, topic: Topics.geoQueryRequests }];
