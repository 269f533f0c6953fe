/** `npm start`: topics, the five services, demo data; Ctrl-C stops the services gracefully. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dlqDefinitions, topicDefinitions } from '@meridian/contracts/core';
import { MessageBus } from '@meridian/shared/messaging';
import { silentLog } from '@meridian/shared/util';
import { loadDemoData } from './demo-data';
import { defaultPorts, ROOT, type ServiceName, SERVICES, startStack } from './stack';
import { devBrokers } from './env';

const say = (line: string): void => void process.stdout.write(`${line}\n`);

async function run(): Promise<void> {
  const brokers = devBrokers();
  say('[start] creating Kafka topics…');
  const bus = new MessageBus({ brokers, clientId: 'meridian-start', log: silentLog });
  const created = await bus.ensureTopics([...topicDefinitions, ...dlqDefinitions]);
  await bus.close();
  say(`[start] topics: ${created.length ? `created ${created.length}` : 'all present'}`);

  const ports = { ...defaultPorts, gateway: Number(process.env.GATEWAY_PORT ?? defaultPorts.gateway) } as Record<
    ServiceName,
    number
  >;
  const logDir = join(ROOT, '.local', 'logs');
  say(`[start] starting ${SERVICES.join(', ')} (logs in .local/logs/)…`);
  // Ctrl-C during start-up must not orphan the (detached) services: stop as soon as they exist.
  let interrupted = false;
  const early = () => {
    interrupted = true;
    say('\n[start] interrupted: stopping services as soon as they are up…');
  };
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  // Development mode: webhooks may target loopback receivers (projection logs that it allows them), and
  // exports are written to and downloaded from one directory of this checkout.
  const env = {
    KAFKA_BROKERS: brokers.join(','),
    WEBHOOKS_ALLOW_LOOPBACK: process.env.WEBHOOKS_ALLOW_LOOPBACK ?? 'true',
    EXPORTS_DIR: process.env.EXPORTS_DIR ?? join(ROOT, '.local', 'exports'),
  };
  const stack = await startStack({ env, ports, logDir, progress: say });
  process.off('SIGINT', early);
  process.off('SIGTERM', early);
  if (interrupted) {
    await stack.stop();
    process.exit(130);
  }

  const host = process.env.HOST ?? '127.0.0.1';
  const api = `http://${host}:${ports.gateway}`;
  const issuer = process.env.OIDC_ISSUER ?? `http://${host}:${process.env.IDENTITY_OIDC_PORT ?? 8090}`;
  // The dev defaults of identity's bootstrap accounts (libs/identity/data-access, accounts.config.ts).
  const demoAdmin = {
    issuer,
    clientId: 'demo-admin',
    clientSecret: process.env.IDENTITY_BOOTSTRAP_ADMIN_SECRET ?? 'dev-tenant-admin-secret',
  };
  const platformSecret = process.env.IDENTITY_PLATFORM_CLIENT_SECRET ?? 'dev-platform-admin-secret';
  if (process.env.MERIDIAN_DEMO_DATA !== 'false') {
    say('[start] loading demo data…');
    try {
      const demo = await loadDemoData(api, demoAdmin);
      say(`[start] demo data: ${demo.assets} assets, ${demo.fixes} fixes (tenant "demo")`);
    } catch (err) {
      await stack.stop();
      throw err;
    }
  }
  const consoleDir = resolve(ROOT, process.env.GATEWAY_CONSOLE_DIR ?? join('dist', 'console'));
  const consoleLine = existsSync(join(consoleDir, 'index.html'))
    ? `${api}/console/`
    : 'not built (npm run console:build; see .local/logs/console-build.log)';
  say('');
  say(`  Meridian API:  ${api}`);
  say(`  Console:       ${consoleLine}`);
  say(`  API docs:      ${api}/docs   (OpenAPI: ${api}/openapi.json)`);
  say(`  Sign-in (OIDC): ${issuer}/.well-known/openid-configuration`);
  say('');
  say('  Get a token for the demo service account (role admin, tenant "demo"):');
  say(`    TOKEN=$(curl -s -u ${demoAdmin.clientId}:${demoAdmin.clientSecret} -d grant_type=client_credentials \\`);
  say(
    `      -d scope=api -d resource=urn:meridian:api ${issuer}/token | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
  );
  say(`  Try:           curl -H "Authorization: Bearer $TOKEN" '${api}/v1/assets?bbox=8.4,47.3,8.7,47.5'`);
  say('  Demo operator (people log in: authorization code + PKCE, client "meridian-console"):');
  say('                 tenant demo, user demo-operator, password demo-operator-password');
  say(`  Platform administrator (POST /v1/tenants): client platform-admin, secret ${platformSecret}`);
  say('  In /docs: "Authorize" and paste the token.');
  say('  Ctrl-C stops the services.');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n[start] ${signal}: stopping services…`);
    await stack.stop();
    say('[start] stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

run().catch((err: unknown) => {
  console.error(`[start] failed: ${(err as Error).message}`);
  process.exit(1);
});
