import { describe, expect, it } from '@jest/globals';
import { type ExportJobRow, toExportJob } from './export-jobs';

const row = (overrides: Partial<ExportJobRow>): ExportJobRow => ({
  id: '3f0c7a52-0c53-4d3f-9b1e-6a8e0f8d9a01',
  tenant_id: 't1',
  subject: 'analyst',
  principal: {},
  filter: { kind: 'positions', format: 'csv', from: '2024-05-01T00:00:00Z', to: '2024-05-02T00:00:00Z' },
  state: 'queued',
  attempts: 0,
  rows_written: 0,
  rows_expected: null,
  error_code: null,
  error_detail: null,
  created_at: new Date('2024-05-03T10:00:00Z'),
  started_at: null,
  finished_at: null,
  expires_at: null,
  lease_owner: null,
  lease_until: null,
  file_key: null,
  file_name: null,
  file_content_type: null,
  file_bytes: null,
  ...overrides,
});

const done = {
  state: 'succeeded' as const,
  rows_written: 10,
  rows_expected: 10,
  finished_at: new Date('2024-05-03T10:01:00Z'),
  expires_at: new Date('2024-05-04T10:01:00Z'),
  file_key: 't1/x.csv.gz',
  file_name: 'meridian-positions-x.csv',
  file_content_type: 'text/csv; charset=utf-8',
  file_bytes: 123,
};

describe('toExportJob', () => {
  it('reports progress of the rows counted first, never 100 before the end', () => {
    expect(toExportJob(row({ state: 'running' })).percent).toBe(0);
    expect(toExportJob(row({ state: 'running', rows_expected: 0 })).percent).toBe(0);
    expect(toExportJob(row({ state: 'running', rows_written: 250, rows_expected: 1000 })).percent).toBe(25);
    expect(toExportJob(row({ state: 'running', rows_written: 1000, rows_expected: 1000 })).percent).toBe(99);
  });

  it('gives a succeeded job its file until it expires, then reads as expired without one', () => {
    const before = toExportJob(row(done), new Date('2024-05-04T10:00:00Z'));
    expect(before).toMatchObject({
      state: 'succeeded',
      percent: 100,
      requestedBy: 'analyst',
      expiresAt: '2024-05-04T10:01:00.000Z',
      file: {
        key: 't1/x.csv.gz',
        name: 'meridian-positions-x.csv',
        contentType: 'text/csv; charset=utf-8',
        bytes: 123,
      },
    });
    const after = toExportJob(row(done), new Date('2024-05-04T10:01:00Z'));
    expect(after).toMatchObject({ state: 'expired', file: null });
  });

  it('reports a failure by its code and detail, without a file', () => {
    const failed = toExportJob(
      row({ state: 'failed', error_code: 'EXPORT.QUERY_FAILED', error_detail: 'boom', file_key: 'k' }),
    );
    expect(failed).toMatchObject({
      state: 'failed',
      error: { code: 'EXPORT.QUERY_FAILED', detail: 'boom' },
      file: null,
    });
  });
});
