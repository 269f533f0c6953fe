import { describe, expect, it } from '@jest/globals';
import { errorDefinition } from '@meridian/contracts/core';
import { MissionErrors } from '@meridian/contracts/missions';
import { MissionRejections } from '@meridian/workflow/domain';

/*
 * The domain keeps its own vocabulary (it imports only the core contracts); this edge is where the
 * two meet, so this is where a drift between them must fail.
 */
describe('mission vocabulary: domain and contracts agree', () => {
  it('declares every code the mission and definition deciders refuse with, each with an HTTP status', () => {
    expect(Object.values(MissionErrors).length).toBeGreaterThan(0);
    for (const code of Object.values(MissionRejections)) {
      expect([code, typeof errorDefinition(code)?.status]).toEqual([code, 'number']);
    }
  });
});
