/**
 * `npm run ogc:conformance`: the OGC API – Features Part 1 test suite (ets-ogcapi-features10) against
 * a running stack's /ogc, through a loopback proxy that adds the bearer token the suite cannot send.
 *
 *   OGC_BASE_URL   the gateway (default http://127.0.0.1:8080)
 *   OGC_PUBLIC_URL the gateway's GATEWAY_PUBLIC_URL if it differs from OGC_BASE_URL (links to rewrite)
 *   OGC_TOKEN      an access token of an operator of the tenant to test (the tenant is the token's);
 *                  without it, client credentials of OGC_CLIENT_ID / OGC_CLIENT_SECRET at OIDC_ISSUER
 *                  (default: the demo tenant's administrator of `npm start`, demo-admin). Sample data is
 *                  added if a collection is empty
 *   OGC_ETS_JAR    the suite's all-in-one jar (default ../shared/tools/ets-ogcapi-features10-aio.jar)
 *   OGC_ETS_OUT    where the suite writes its results, a new run-* folder each run (default .local/ogc-ets)
 *
 * Prints total/passed/failed/skipped, the failed tests and the skipped ones (with the suite's
 * reason); exits 1 if any test failed.
 */
import { join, resolve } from 'node:path';
import { runEts } from './ogc/ets';
import { startHeaderProxy } from './ogc/header-proxy';
import { ensureSampleData } from './ogc/sample-data';
import { TokenSource } from '@meridian/shared/testing';

const ROOT = resolve(__dirname, '..');
const say = (line: string): void => void process.stdout.write(`${line}\n`);

async function run(): Promise<number> {
  const base = (process.env.OGC_BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const token = process.env.OGC_TOKEN;
  const tokens = new TokenSource({
    issuer: process.env.OIDC_ISSUER ?? 'http://127.0.0.1:8090',
    clientId: process.env.OGC_CLIENT_ID ?? 'demo-admin',
    clientSecret: process.env.OGC_CLIENT_SECRET ?? 'dev-tenant-admin-secret',
  });
  const current = async (): Promise<string> => (token ? `Bearer ${token}` : (await tokens.headers()).authorization);
  const authorization = await current();
  const jar = resolve(process.env.OGC_ETS_JAR ?? join(ROOT, '..', 'shared', 'tools', 'ets-ogcapi-features10-aio.jar'));
  const outDir = resolve(process.env.OGC_ETS_OUT ?? join(ROOT, '.local', 'ogc-ets'));

  const sample = await ensureSampleData(base, authorization);
  say(`[ogc] sample data added ${JSON.stringify(sample)}`);
  const proxy = await startHeaderProxy({
    target: base,
    publicUrl: process.env.OGC_PUBLIC_URL ?? base,
    authorization: current,
  });
  try {
    say(`[ogc] running ${jar} against ${proxy.url}/ogc/ (proxy → ${base}, with the bearer token)`);
    const result = await runEts({ jar, iut: `${proxy.url}/ogc/`, outDir });
    say(`[ogc] results: ${result.resultsFile} (${(result.durationMs / 1000).toFixed(1)} s)`);
    for (const t of result.tests.filter((x) => x.status === 'FAIL')) {
      say(`  FAILED  ${t.className.split('.').pop()}.${t.name}: ${t.message ?? ''}`);
    }
    // Skips grouped by reason (the suite names the method and its arguments in each message).
    const skips = new Map<string, number>();
    for (const t of result.tests.filter((x) => x.status === 'SKIP')) {
      const reason = (t.message ?? '(no reason given)').replace(/^Method .*?\] /, '');
      skips.set(reason, (skips.get(reason) ?? 0) + 1);
    }
    for (const [reason, n] of skips) say(`  skipped ${n}× ${reason}`);
    say(`[ogc] total ${result.total}, passed ${result.passed}, failed ${result.failed}, skipped ${result.skipped}`);
    return result.failed === 0 && result.passed > 0 ? 0 : 1;
  } finally {
    await proxy.close();
  }
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[ogc] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
