import { describe, expect, it } from '@jest/globals';
import { assetKinds as contractKinds, assetStatuses as contractStatuses } from '@meridian/contracts/assets';
import { errorDefinition } from '@meridian/contracts/core';
import { AuthErrors } from '@meridian/contracts/identity';
import type { PolicyDenial } from '@meridian/shared/policy';
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

describe('access refusals: the policy codes a decider passes on', () => {
  it('are declared, each with 403, so a refused command reads as a problem+json 403', () => {
    // Every PolicyDenial: a code added there and not here fails to compile (the Record is exhaustive).
    const denials: Record<PolicyDenial, true> = {
      'AUTH.FORBIDDEN_ROLE': true,
      'AUTH.FORBIDDEN_TENANT': true,
      'AUTH.OUTSIDE_HOURS': true,
      'AUTH.OUTSIDE_REGION': true,
      'AUTH.CLEARANCE': true,
      'AUTH.TEAM': true,
    };
    expect(Object.values(AuthErrors)).toEqual(expect.arrayContaining(Object.keys(denials)));
    for (const code of Object.keys(denials)) expect([code, errorDefinition(code)?.status]).toEqual([code, 403]);
  });
});
