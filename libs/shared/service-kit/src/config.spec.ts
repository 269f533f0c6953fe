import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { baseConfigSchema, ConfigError, loadConfig } from './config';

const schema = baseConfigSchema.extend({ PORT: z.coerce.number().int().min(1).max(65535) });

describe('loadConfig', () => {
  it('applies defaults and parses lists', () => {
    const config = loadConfig(schema, { PORT: '8080', KAFKA_BROKERS: 'a:1, b:2' });
    expect(config.PORT).toBe(8080);
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/meridian');
  });

  it('lists every bad or missing setting in one error', () => {
    let error: unknown;
    try {
      loadConfig(schema, { KAFKA_BROKERS: 'no-port', LOG_LEVEL: 'loud', DATABASE_URL: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'KAFKA_BROKERS', 'LOG_LEVEL', 'DATABASE_URL']) expect(message).toContain(name);
  });
});
