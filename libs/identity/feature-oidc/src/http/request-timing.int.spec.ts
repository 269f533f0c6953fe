import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { metricsFor, parseExposition, type Sample, valueOf } from '@meridian/shared/metrics';
import { type OidcHarness, startOidc } from '../testing/oidc-harness';
import { oidcRouteOf } from './request-timing';

const COUNT = 'meridian_http_request_duration_seconds_count';

async function samples(): Promise<Sample[]> {
  return parseExposition((await metricsFor('identity').scrape()).body);
}

/** Requests of one route, method and status so far (0 before the first). */
const count = (s: readonly Sample[], method: string, route: string, status: number): number =>
  valueOf(s, COUNT, { service: 'identity', method, route, status: String(status) }) ?? 0;

describe('OIDC server request timing (route labels)', () => {
  it('names routes by a closed list, never by the raw path', () => {
    expect(oidcRouteOf('/token')).toBe('/token');
    expect(oidcRouteOf('/.well-known/openid-configuration')).toBe('/.well-known/openid-configuration');
    expect(oidcRouteOf('/interaction/Xk3-9aQ')).toBe('/interaction/:uid');
    expect(oidcRouteOf('/interaction/Xk3-9aQ/login')).toBe('/interaction/:uid/login');
    expect(oidcRouteOf('/auth/Xk3-9aQ')).toBe('/auth/:uid');
    expect(oidcRouteOf('/federation/acme/callback')).toBe('/federation/:tenant/callback');
    expect(oidcRouteOf('/interaction/a/b/c')).toBe('unmatched');
    expect(oidcRouteOf('/wp-login.php')).toBe('unmatched');
  });
});

/** identity's OIDC module as apps/identity starts it (real Postgres, Kafka, Redis): its Express server is timed. */
describe('identity OIDC server: meridian_http_request_duration_seconds', () => {
  let h: OidcHarness;

  beforeAll(async () => {
    h = await startOidc();
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('times discovery, /jwks, /token, the interaction pages and unknown paths under bounded routes', async () => {
    const before = await samples();
    expect((await fetch(`${h.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    expect((await fetch(`${h.issuer}/jwks`)).status).toBe(200);
    const token = await fetch(`${h.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: h.service.clientId,
        client_secret: h.service.secret,
      }),
    });
    expect(token.status).toBe(200);
    // An interaction without its session cookie: the page answers 400 (SessionNotFound), still its route.
    const interaction = await fetch(`${h.issuer}/interaction/no-such-uid-4711`);
    expect(interaction.status).toBe(400);
    expect((await fetch(`${h.issuer}/wp-login.php?x=4711`)).status).toBe(404);

    const after = await samples();
    const delta = (method: string, route: string, status: number): number =>
      count(after, method, route, status) - count(before, method, route, status);
    expect(delta('GET', '/.well-known/openid-configuration', 200)).toBe(1);
    expect(delta('GET', '/jwks', 200)).toBe(1);
    expect(delta('POST', '/token', 200)).toBe(1);
    expect(delta('GET', '/interaction/:uid', 400)).toBe(1);
    expect(delta('GET', 'unmatched', 404)).toBeGreaterThanOrEqual(1);
    // The durations are real: a token request costs more than nothing.
    const sum = valueOf(after, 'meridian_http_request_duration_seconds_sum', {
      service: 'identity',
      method: 'POST',
      route: '/token',
      status: '200',
    });
    expect(sum).toBeGreaterThan(0);
    // No raw path or id in any route label.
    expect(after.some((s) => s.labels['route']?.includes('4711') || s.labels['route']?.includes('wp-login'))).toBe(
      false,
    );
  }, 60_000);
});
