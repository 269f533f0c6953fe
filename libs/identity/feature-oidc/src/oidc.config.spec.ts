import { describe, expect, it } from '@jest/globals';
import { baseConfigSchema, ConfigError, DEV_SECRETS_KEY, loadConfig } from '@meridian/shared/service-kit';
import { oidcEnv, oidcSettingsOf } from './oidc.config';

const schema = baseConfigSchema.extend(oidcEnv);

describe('oidcEnv / oidcSettingsOf', () => {
  it('defaults: port 8090, the local issuer, 5 min tokens, weekly rotation, Swagger UI redirects', () => {
    const s = oidcSettingsOf(loadConfig(schema, {}));
    expect(s).toMatchObject({
      port: 8090,
      issuer: 'http://127.0.0.1:8090',
      accessTokenTtlS: 300,
      refreshTokenTtlS: 1_209_600,
      rotationMs: 168 * 3_600_000,
      activationDelayMs: 5000,
      retiredKeyLifetimeMs: 390_000,
      consoleRedirectUris: [
        'http://127.0.0.1:8080/console/',
        'http://localhost:8080/console/',
        'http://127.0.0.1:8080/docs/oauth2-redirect.html',
        'http://localhost:8080/docs/oauth2-redirect.html',
      ],
    });
    expect(s.secretsKey).toHaveLength(32);
  });

  it('reads comma-separated lists from the environment and from an already validated config', () => {
    const config = loadConfig(schema, { IDENTITY_CONSOLE_REDIRECT_URIS: ' http://a.test/cb , http://b.test/cb ' });
    expect(config.IDENTITY_CONSOLE_REDIRECT_URIS).toEqual(['http://a.test/cb', 'http://b.test/cb']);
    expect(oidcSettingsOf(config).consoleRedirectUris).toEqual(['http://a.test/cb', 'http://b.test/cb']);
  });

  it('refuses an issuer with a trailing slash, short cookie keys, and the development keys in production', () => {
    expect(() => loadConfig(schema, { OIDC_ISSUER: 'https://id.example.test/' })).toThrow(/OIDC_ISSUER/);
    expect(() => loadConfig(schema, { IDENTITY_COOKIE_KEYS: 'short' })).toThrow(/IDENTITY_COOKIE_KEYS/);
    // A key of its own, so that only the cookie keys are at fault.
    const SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');
    expect(SECRETS_KEY).not.toBe(DEV_SECRETS_KEY);
    const production = loadConfig(schema, { NODE_ENV: 'production', SECRETS_KEY });
    expect(() => oidcSettingsOf(production)).toThrow(ConfigError);
    expect(() => oidcSettingsOf(production)).toThrow(/IDENTITY_COOKIE_KEYS/);
    const cookieKeys = 'a-production-cookie-key-0001,a-production-cookie-key-0002';
    const configured = loadConfig(schema, { NODE_ENV: 'production', SECRETS_KEY, IDENTITY_COOKIE_KEYS: cookieKeys });
    expect(oidcSettingsOf(configured).cookieKeys).toEqual(cookieKeys.split(','));
  });
});
