import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { baseConfigSchema, ConfigError, loadConfig } from '@meridian/shared/service-kit';
import { federationEnv, federationSettingsOf } from './federation.config';

const schema = baseConfigSchema.extend({
  ...federationEnv,
  OIDC_ISSUER: z.string().default('https://id.example'),
  IDENTITY_COOKIE_KEYS: z.array(z.string()).default(['a-cookie-key-of-16+']),
});
const entry = {
  tenantId: 'acme',
  issuer: 'https://idp.acme.example/realms/acme',
  clientId: 'meridian',
  clientSecret: 'a-secret-of-sixteen-chars',
  groupRoles: { dispatchers: ['dispatcher'] },
};

describe('federation config', () => {
  it('reads IDENTITY_FEDERATION as JSON with defaults, and again from the validated config', () => {
    const config = loadConfig(schema, { IDENTITY_FEDERATION: JSON.stringify([entry]) });
    const settings = federationSettingsOf(config);
    expect(settings.bootstrap).toEqual([
      { ...entry, defaultRoles: [], attributes: { region: null, clearance: 0, teams: null, hours: null } },
    ]);
    expect(settings).toMatchObject({ publicUrl: 'https://id.example', sessionTtlS: 600, production: false });
    expect(federationSettingsOf(loadConfig(schema, {})).bootstrap).toEqual([]);
  });

  it('lists what is wrong: not JSON, an unknown role, two entries for one tenant, a short secret', () => {
    expect(() => loadConfig(schema, { IDENTITY_FEDERATION: '[{' })).toThrow(/IDENTITY_FEDERATION: not JSON/);
    const bad = [{ ...entry, groupRoles: { dispatchers: ['pilot'] } }];
    expect(() => loadConfig(schema, { IDENTITY_FEDERATION: JSON.stringify(bad) })).toThrow(ConfigError);
    expect(() => loadConfig(schema, { IDENTITY_FEDERATION: JSON.stringify([entry, entry]) })).toThrow(
      /one entry per tenant/,
    );
    const weak = [{ ...entry, clientSecret: 'short' }];
    expect(() => loadConfig(schema, { IDENTITY_FEDERATION: JSON.stringify(weak) })).toThrow(/clientSecret/);
  });
});
