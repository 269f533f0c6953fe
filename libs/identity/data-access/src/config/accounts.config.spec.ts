import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { baseConfigSchema, ConfigError, DEV_SECRETS_KEY, loadConfig, secretsKeyOf } from '@meridian/shared/service-kit';
import { bootstrapAccountsOf, identityAccountsEnv } from './accounts.config';

const schema = baseConfigSchema.extend({
  ...identityAccountsEnv,
  IDENTITY_BOOTSTRAP_TENANTS: z
    .string()
    .default('demo')
    .transform((s) => s.split(',')),
});

describe('SECRETS_KEY (shared base config)', () => {
  it('defaults to the documented development key, 32 bytes', () => {
    const config = loadConfig(schema, {});
    expect(config.SECRETS_KEY).toBe(DEV_SECRETS_KEY);
    expect(secretsKeyOf(config)).toEqual(Buffer.from('meridian-dev-secrets-key-32bytes'));
  });

  it('takes base64 of 32 bytes and refuses anything else', () => {
    const key = randomBytes(32);
    expect(secretsKeyOf(loadConfig(schema, { SECRETS_KEY: key.toString('base64') }))).toEqual(key);
    for (const bad of [randomBytes(16).toString('base64'), randomBytes(33).toString('base64'), 'not base64 at all!']) {
      expect(() => loadConfig(schema, { SECRETS_KEY: bad })).toThrow(/SECRETS_KEY/);
    }
  });

  it('refuses the development key in production', () => {
    const config = loadConfig(schema, { NODE_ENV: 'production' });
    expect(() => secretsKeyOf(config)).toThrow(ConfigError);
  });
});

describe('identityAccountsEnv', () => {
  it('has development defaults: secrets and one demo operator in tenant demo', () => {
    const settings = bootstrapAccountsOf(loadConfig(schema, {}));
    expect(settings.tenants).toEqual(['demo']);
    expect(settings.platformClientSecret.length).toBeGreaterThanOrEqual(16);
    expect(settings.users).toEqual([
      expect.objectContaining({ tenantId: 'demo', username: 'demo-operator', roles: ['operator'] }),
    ]);
    expect(settings.users[0].attributes).toEqual({ region: null, clearance: 0, teams: null, hours: null });
  });

  it('parses IDENTITY_BOOTSTRAP_USERS as a JSON array of users and names every problem', () => {
    const users = JSON.stringify([
      { tenantId: 'acme', username: 'ops', password: 'long-enough', displayName: 'Ops', roles: ['admin'] },
    ]);
    expect(loadConfig(schema, { IDENTITY_BOOTSTRAP_USERS: users }).IDENTITY_BOOTSTRAP_USERS).toHaveLength(1);
    expect(loadConfig(schema, { IDENTITY_BOOTSTRAP_USERS: '[]' }).IDENTITY_BOOTSTRAP_USERS).toEqual([]);
    expect(() => loadConfig(schema, { IDENTITY_BOOTSTRAP_USERS: '[{' })).toThrow(/IDENTITY_BOOTSTRAP_USERS: not JSON/);
    const bad = JSON.stringify([{ tenantId: 'acme', username: 'Ops', password: 'short', displayName: 'x', roles: [] }]);
    expect(() => loadConfig(schema, { IDENTITY_BOOTSTRAP_USERS: bad })).toThrow(/username[\s\S]*password/);
    expect(() => loadConfig(schema, { IDENTITY_PLATFORM_CLIENT_SECRET: 'too-short' })).toThrow(
      /IDENTITY_PLATFORM_CLIENT_SECRET/,
    );
  });

  it('refuses every development default in production, and accepts real settings there', () => {
    const dev = loadConfig(schema, { NODE_ENV: 'production' });
    expect(() => bootstrapAccountsOf(dev)).toThrow(
      /IDENTITY_PLATFORM_CLIENT_SECRET[\s\S]*IDENTITY_BOOTSTRAP_ADMIN_SECRET[\s\S]*IDENTITY_BOOTSTRAP_USERS/,
    );
    const real = loadConfig(schema, {
      NODE_ENV: 'production',
      IDENTITY_PLATFORM_CLIENT_SECRET: randomBytes(24).toString('base64url'),
      IDENTITY_BOOTSTRAP_ADMIN_SECRET: randomBytes(24).toString('base64url'),
      IDENTITY_BOOTSTRAP_USERS: '[]',
    });
    expect(bootstrapAccountsOf(real).users).toEqual([]);
  });
});
