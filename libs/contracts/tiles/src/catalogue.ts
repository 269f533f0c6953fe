import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import { GetTileV1 } from './tiles';

/**
 * Where each tile message travels. TileReplyV1 is not listed: its value is not JSON, which the
 * AsyncAPI generator cannot describe yet (ADR 0020); it goes to the requester's reply topic.
 */
export const catalogue: readonly CatalogueEntry[] = [{ contract: GetTileV1, topic: Topics.geoQueryRequests }];
