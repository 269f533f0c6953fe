import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '@meridian/shared/service-kit';
import { geoQueryConfigSchema } from './config';

describe('geo-query config', () => {
  it('runs its default exports on its default pool', () => {
    const config = loadConfig(geoQueryConfigSchema, {});
    expect(config.EXPORTS_CONCURRENCY).toBe(2);
    expect(config.DATABASE_POOL_SIZE).toBe(10);
  });

  it('accepts as many exports as the pool holds: two clients each and two more', () => {
    const config = loadConfig(geoQueryConfigSchema, { EXPORTS_CONCURRENCY: '4', DATABASE_POOL_SIZE: '10' });
    expect(config.EXPORTS_CONCURRENCY).toBe(4);
  });

  it.each([
    [{ EXPORTS_CONCURRENCY: '5' }, 'EXPORTS_CONCURRENCY=5 needs DATABASE_POOL_SIZE of at least 12'],
    [
      { EXPORTS_CONCURRENCY: '2', DATABASE_POOL_SIZE: '5' },
      'EXPORTS_CONCURRENCY=2 needs DATABASE_POOL_SIZE of at least 6',
    ],
    [{ EXPORTS_CONCURRENCY: '10', DATABASE_POOL_SIZE: '10' }, 'not 10: raise the pool or lower the concurrency'],
  ])('refuses %j: its exports would wait on each other for a pool client', (env, message) => {
    expect(() => loadConfig(geoQueryConfigSchema, env)).toThrow(ConfigError);
    expect(() => loadConfig(geoQueryConfigSchema, env)).toThrow(message);
  });
});
