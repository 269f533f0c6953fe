import { describe, expect, it } from '@jest/globals';
import type { ExportFilter } from '@meridian/contracts/exports';
import { filterProblem } from './export-filter';

const base: ExportFilter = {
  kind: 'positions',
  format: 'csv',
  from: '2024-05-01T00:00:00Z',
  to: '2024-05-02T00:00:00Z',
};

describe('filterProblem', () => {
  it('accepts a window up to the longest allowed, with a bbox or a zone', () => {
    expect(filterProblem(base)).toBeNull();
    expect(filterProblem({ ...base, to: '2024-06-01T00:00:00Z' }, 31)).toBeNull();
    expect(filterProblem({ ...base, bbox: [7, 46, 9, 48] })).toBeNull();
    expect(filterProblem({ ...base, zoneId: '3f0c7a52-0c53-4d3f-9b1e-6a8e0f8d9a01' })).toBeNull();
  });

  it('refuses an empty or reversed window, one a moment too long, and a bbox with a zone', () => {
    expect(filterProblem({ ...base, to: base.from })).toMatch(/after/);
    expect(filterProblem({ ...base, from: base.to, to: base.from })).toMatch(/after/);
    expect(filterProblem({ ...base, to: '2024-06-01T00:00:00.001Z' }, 31)).toMatch(/31 days/);
    expect(filterProblem({ ...base, bbox: [7, 46, 9, 48], zoneId: '3f0c7a52-0c53-4d3f-9b1e-6a8e0f8d9a01' })).toMatch(
      /not both/,
    );
  });

  it('compares instants, not strings: offsets count', () => {
    expect(filterProblem({ ...base, from: '2024-05-01T02:00:00+02:00', to: '2024-05-01T00:30:00Z' })).toBeNull();
    expect(filterProblem({ ...base, from: '2024-05-01T02:00:00+02:00', to: '2024-05-01T00:00:00Z' })).toMatch(/after/);
  });
});
