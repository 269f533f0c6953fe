import { describe, expect, it } from '@jest/globals';
import { federatedUserId } from './federated-user-id';

describe('federatedUserId', () => {
  it('is pinned: stored federated users and the gateway must keep deriving the same id', () => {
    expect(federatedUserId('acme', 'https://idp.example', 'ext-1')).toBe('062598fa-1cee-5dfb-b116-b7b5fcf6fcd2');
  });

  it('differs by tenant, issuer and subject', () => {
    const id = federatedUserId('acme', 'https://idp.example', 'ext-1');
    expect(federatedUserId('other', 'https://idp.example', 'ext-1')).not.toBe(id);
    expect(federatedUserId('acme', 'https://idp2.example', 'ext-1')).not.toBe(id);
    expect(federatedUserId('acme', 'https://idp.example', 'ext-2')).not.toBe(id);
  });
});
