import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { baseConfigSchema, ConfigError, kafkaSecurityOf, loadConfig } from './config';

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

describe('kafkaSecurityOf (managed Kafka: TLS and SASL)', () => {
  const security = (env: Record<string, string>) => kafkaSecurityOf(loadConfig(schema, { PORT: '1', ...env }));

  it('is plain text without SASL by default, with replication factor 1', () => {
    expect(security({})).toEqual({ ssl: false });
    expect(loadConfig(schema, { PORT: '1' }).KAFKA_TOPIC_REPLICATION_FACTOR).toBe(1);
  });

  it('trusts only the given CA bundle and authenticates with SCRAM', () => {
    const ca = join(mkdtempSync(join(tmpdir(), 'meridian-ca-')), 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(
      security({
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: ca,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'meridian',
        KAFKA_SASL_PASSWORD: 's3cret',
      }),
    ).toEqual({
      ssl: { ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'] },
      sasl: { mechanism: 'scram-sha-512', username: 'meridian', password: 's3cret' },
    });
  });

  it('refuses half-configured security with every problem named, and never prints the password', () => {
    let error: unknown;
    try {
      security({
        KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_PASSWORD: 'hunter2',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('KAFKA_SSL_CA_FILE: needs KAFKA_SSL=true');
    expect(message).toContain('cannot read /nonexistent/ca.pem (ENOENT)');
    expect(message).toContain('needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
    expect(message).not.toContain('hunter2');
    expect(() => security({ KAFKA_SASL_USERNAME: 'u' })).toThrow('need KAFKA_SASL_MECHANISM');
    const plain = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' };
    expect(() => security({ ...plain, NODE_ENV: 'production' })).toThrow('plain sends the password in clear');
    expect(security({ ...plain, NODE_ENV: 'production', KAFKA_SSL: 'true' }).sasl?.mechanism).toBe('plain');
    expect(security(plain).sasl?.mechanism).toBe('plain'); // a local broker without TLS, outside production
    expect(() => loadConfig(schema, { PORT: '1', KAFKA_SSL: 'yes' })).toThrow(ConfigError);
  });
});
