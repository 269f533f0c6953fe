import { describe, expect, it } from '@jest/globals';
import { errorDefinition } from '@meridian/contracts/core';
import '@meridian/contracts/identity';
import { TenantRejections } from '@meridian/identity/domain';

describe('tenant vocabulary: domain and contracts agree', () => {
  it('declares every code the decider can refuse with, each with an HTTP status', () => {
    for (const code of Object.values(TenantRejections)) {
      expect([code, typeof errorDefinition(code)?.status]).toEqual([code, 'number']);
    }
  });
});
