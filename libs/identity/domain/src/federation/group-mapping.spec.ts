import { describe, expect, it } from '@jest/globals';
import { federatedUsername, rolesForGroups } from './group-mapping';

const mapping = {
  groupRoles: { dispatchers: ['dispatcher'], 'field-ops': ['operator', 'viewer'], auditors: [] },
  defaultRoles: ['viewer'],
} as const;

describe('rolesForGroups', () => {
  it('gives the union of the mapped groups’ roles, each once, in canonical order', () => {
    expect(rolesForGroups(mapping, ['field-ops', 'dispatchers', 'unknown'])).toEqual([
      'viewer',
      'operator',
      'dispatcher',
    ]);
  });

  it('gives the default roles when no group is mapped, and none when the defaults are empty', () => {
    expect(rolesForGroups(mapping, [])).toEqual(['viewer']);
    expect(rolesForGroups(mapping, ['unknown'])).toEqual(['viewer']);
    expect(rolesForGroups({ ...mapping, defaultRoles: [] }, ['unknown'])).toEqual([]);
  });

  it('counts a group mapped to no role as mapped: it does not fall back to the defaults', () => {
    expect(rolesForGroups(mapping, ['auditors'])).toEqual([]);
  });

  it('matches names exactly, never through the prototype', () => {
    expect(rolesForGroups({ ...mapping, defaultRoles: [] }, ['Dispatchers', 'constructor', '__proto__'])).toEqual([]);
  });
});

describe('federatedUsername', () => {
  it('takes the first usable candidate, lowercased, other characters as dashes', () => {
    expect(federatedUsername(['Alice', 'alice@ext.example'])).toBe('alice');
    expect(federatedUsername(['Jean Dupont'])).toBe('jean-dupont');
    expect(federatedUsername([undefined, 'Bob@Ext.Example'])).toBe('bob-ext.example');
  });

  it('skips candidates too short or too long, and gives null when none is usable', () => {
    expect(federatedUsername(['x', 'carol'])).toBe('carol');
    expect(federatedUsername(['a'.repeat(65), null, ' '])).toBeNull();
  });
});
