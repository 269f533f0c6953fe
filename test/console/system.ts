/**
 * The system the browser tests run against, as a process of its own. Playwright's global setup
 * (test/console/global-setup.ts) starts it with `node -r @swc-node/register test/console/system.ts`
 * from the repository root: Playwright's TypeScript loader must not load the services' code
 * (decorators, path aliases, Kafka clients), so only this process does.
 *
 * It boots the e2e system (test/e2e/e2e-stack.ts: ports 18080–18086, database meridian_e2e, the
 * lock port that keeps one e2e system per machine) with tenants `demo` and `other` and the console
 * users of test/console/users.ts, prints one line `READY <json>` on stdout, and stays up until
 * SIGTERM or SIGINT (or, with MERIDIAN_SYSTEM_STOP_ON_STDIN_EOF=1, until its stdin closes: whoever
 * started it is gone); then it stops the services and exits. Progress goes to stderr; a failed
 * start exits 1 with the reason.
 */
import { api, CONSOLE_APP_REDIRECT_URI, issuer, startSystem, TENANT_ADMIN_SECRET } from '../e2e/e2e-stack';
import { API, CONSOLE_URL, ISSUER, type ReadyInfo } from './addresses';
import { TENANT_ADMIN, TENANTS, USERS } from './users';

const say = (line: string): void => void process.stderr.write(`[console-system] ${line}\n`);

function checkAgreement(): void {
  const mismatches = [
    api !== API && `API ${API} vs ${api}`,
    issuer !== ISSUER && `ISSUER ${ISSUER} vs ${issuer}`,
    CONSOLE_APP_REDIRECT_URI !== CONSOLE_URL && `CONSOLE_URL ${CONSOLE_URL} vs ${CONSOLE_APP_REDIRECT_URI}`,
    TENANT_ADMIN.clientSecret !== TENANT_ADMIN_SECRET && 'TENANT_ADMIN.clientSecret vs TENANT_ADMIN_SECRET',
  ].filter((m): m is string => typeof m === 'string');
  if (mismatches.length) {
    throw new Error(
      `test/console (addresses.ts, users.ts) disagrees with test/e2e/e2e-stack.ts: ${mismatches.join('; ')}`,
    );
  }
}

async function main(): Promise<void> {
  checkAgreement();
  // A stop asked for while the services start is carried out as soon as they are up.
  let stopAsked: (why: string) => void = () => undefined;
  const stopRequested = new Promise<string>((resolve) => (stopAsked = resolve));
  process.once('SIGTERM', () => stopAsked('SIGTERM'));
  process.once('SIGINT', () => stopAsked('SIGINT'));
  if (process.env.MERIDIAN_SYSTEM_STOP_ON_STDIN_EOF === '1') {
    // Global setup holds the other end of this pipe: it closes when the runner exits, however it exits.
    process.stdin.on('end', () => stopAsked('stdin closed'));
    process.stdin.on('error', () => stopAsked('stdin closed'));
    process.stdin.resume();
  }

  const started = Date.now();
  say(`starting the e2e system (tenants ${TENANTS.join(', ')}; users ${USERS.map((u) => u.username).join(', ')})…`);
  const system = await startSystem(TENANTS, { IDENTITY_BOOTSTRAP_USERS: JSON.stringify(USERS) });
  const info: ReadyInfo = {
    api,
    issuer,
    console: CONSOLE_URL,
    tenants: system.tenants,
    users: USERS.map((u) => u.username),
    instanceId: system.instanceId,
    startMs: Date.now() - started,
  };
  say(`up in ${(info.startMs / 1000).toFixed(1)} s`);
  process.stdout.write(`READY ${JSON.stringify(info)}\n`);

  const keepAlive = setInterval(() => undefined, 60_000); // nothing else need hold the event loop open
  const why = await stopRequested;
  clearInterval(keepAlive);
  say(`${why}: stopping the system…`);
  await system.stop();
  say('stopped');
  process.exit(0);
}

main().catch((err: unknown) => {
  say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
