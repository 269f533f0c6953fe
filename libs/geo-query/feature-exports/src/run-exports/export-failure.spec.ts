import { describe, expect, it } from '@jest/globals';
import { DatabaseError } from 'pg';
import { failureOf, fromDatabase, QueryFailure, StorageFailure } from './export-failure';

const errno = (code: string, message: string): Error => Object.assign(new Error(message), { code });

const sqlError = (code: string, message: string): DatabaseError => {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
};

describe('failureOf', () => {
  it.each([
    ['EPERM', 'operation not permitted, mkdir', 'EPERM: operation not permitted, mkdir'],
    ['EROFS', 'read-only file system, open', 'EROFS: read-only file system, open'],
    ['ENOSPC', 'no space left on device, write', 'ENOSPC: no space left on device, write'],
    ['ENOTDIR', "ENOTDIR: not a directory, mkdir '/x/y'", "ENOTDIR: not a directory, mkdir '/x/y'"],
  ])('records %s while storing as a storage failure, whatever its code looks like', (code, message, detail) => {
    expect(failureOf(new StorageFailure(errno(code, message)))).toEqual({ code: 'EXPORT.STORAGE_FAILED', detail });
  });

  it('records an S3 error, which has a name and no code, as a storage failure', () => {
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    expect(failureOf(new StorageFailure(denied))).toEqual({
      code: 'EXPORT.STORAGE_FAILED',
      detail: 'AccessDenied: Access Denied',
    });
  });

  it.each([
    [errno('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), 'connect ECONNREFUSED 127.0.0.1:5432'],
    [new Error('Connection terminated unexpectedly'), 'Connection terminated unexpectedly'],
    [
      sqlError('57014', 'canceling statement due to statement timeout'),
      'canceling statement due to statement timeout (SQLSTATE 57014)',
    ],
    [
      Object.assign(new AggregateError([errno('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432')], ''), {
        code: 'ECONNREFUSED',
      }),
      'connect ECONNREFUSED ::1:5432',
    ],
  ])('records %p from PostgreSQL as a query failure', async (error, detail) => {
    const failed = await fromDatabase(Promise.reject(error)).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(QueryFailure);
    expect(failureOf(failed)).toEqual({ code: 'EXPORT.QUERY_FAILED', detail });
  });

  it('records anything else as a plain failure, even with an errno or SQLSTATE-like code', () => {
    expect(failureOf(errno('EPERM', 'not allowed'))).toEqual({ code: 'EXPORT.FAILED', detail: 'not allowed' });
    expect(failureOf(errno('22P02', 'bad input'))).toEqual({ code: 'EXPORT.FAILED', detail: 'bad input' });
    expect(failureOf('a string')).toEqual({ code: 'EXPORT.FAILED', detail: 'a string' });
  });

  it('keeps one line of at most 500 characters, never a stack', () => {
    const long = new Error(`${'x'.repeat(600)}\n    at somewhere (file.ts:1:1)`);
    for (const err of [long, new StorageFailure(long), new QueryFailure(long)]) {
      const { detail } = failureOf(err);
      expect(detail).toBe('x'.repeat(500));
    }
    const multi = new StorageFailure(errno('EIO', 'i/o error\nsecond line'));
    expect(failureOf(multi).detail).toBe('EIO: i/o error');
  });
});
