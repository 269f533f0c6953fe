import { describe, expect, it } from '@jest/globals';
import { assetKinds as contractKinds, assetStatuses as contractStatuses } from '@meridian/contracts/assets';
import { errorDefinition } from '@meridian/contracts/core';
import { AssetRejections, assetKinds, assetStatuses } from '@meridian/workflow/domain';

/*
 * The domain keeps its own vocabulary (it imports only the core contracts); this edge is where the
 * two meet, so this is where a drift between them must fail.
 */
describe('asset vocabulary: domain and contracts agree', () => {
  it('has the same kinds and statuses', () => {
    expect([...assetKinds]).toEqual([...contractKinds]);
    expect([...assetStatuses]).toEqual([...contractStatuses]);
  });

  it('declares every code the decider can refuse with, each with an HTTP status', () => {
    for (const code of Object.values(AssetRejections)) {
      expect([code, typeof errorDefinition(code)?.status]).toEqual([code, 'number']);
    }
  });
});
