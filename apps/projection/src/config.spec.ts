import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '@meridian/shared/service-kit';
import { projectionConfigSchema } from './config';

/** Why the configuration is refused; throws when it is accepted. */
const refusal = (env: NodeJS.ProcessEnv): string => {
  try {
    loadConfig(projectionConfigSchema, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('the configuration was accepted');
};

describe('WEBHOOKS_ALLOW_LOOPBACK', () => {
  it('is refused in production', () => {
    expect(refusal({ NODE_ENV: 'production', WEBHOOKS_ALLOW_LOOPBACK: 'true' })).toMatch(
      /WEBHOOKS_ALLOW_LOOPBACK: .*NODE_ENV=production/,
    );
  });

  it('is allowed in development and test, and off by default in production', () => {
    for (const NODE_ENV of ['development', 'test']) {
      expect(loadConfig(projectionConfigSchema, { NODE_ENV, WEBHOOKS_ALLOW_LOOPBACK: 'true' })).toMatchObject({
        WEBHOOKS_ALLOW_LOOPBACK: true,
      });
    }
    expect(loadConfig(projectionConfigSchema, { NODE_ENV: 'production' })).toMatchObject({
      NODE_ENV: 'production',
      WEBHOOKS_ALLOW_LOOPBACK: false,
    });
  });
});
