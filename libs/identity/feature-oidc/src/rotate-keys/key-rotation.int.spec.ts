import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { type Envelope, CommandReplyV1 } from '@meridian/contracts/core';
import { API_AUDIENCE, AuthErrors, type Principal, RotateSigningKeyV1 } from '@meridian/contracts/identity';
import { eventually } from '@meridian/shared/testing';
import { SigningKeyRing } from '../keys/signing-key-ring';
import { type OidcHarness, startOidc } from '../testing/oidc-harness';
import { RotateSigningKeyHandler } from './rotate-signing-key.handler';

// Long enough that the old key surely still signs while the spec checks it does.
const ACTIVATION_DELAY_MS = 3000;

const principal = (platformAdmin: boolean): Principal => ({
  tenantId: 'platform',
  subject: platformAdmin ? 'platform-admin' : 'someone',
  kind: 'service-account',
  roles: [],
  platformAdmin,
  region: null,
  clearance: 0,
  teams: null,
  hours: null,
});

const rotateCommand = (admin: boolean): Envelope<{ reason: string }> => ({
  id: randomUUID(),
  type: RotateSigningKeyV1.type,
  source: '/meridian/gateway',
  time: new Date().toISOString(),
  data: { reason: 'spec: rotate on demand' },
  correlationId: randomUUID(),
  tenantId: 'platform',
  principal: JSON.stringify(principal(admin)),
});

/**
 * Rotation on demand through the command handler: the next key is on the topic before it signs,
 * new tokens carry it after the activation delay, the old key is retired on the topic with an
 * expiry, and a token it signed keeps verifying with its published JWK.
 */
describe('signing key rotation (identity.signing_keys, meridian.identity.keys)', () => {
  let h: OidcHarness;

  beforeAll(async () => {
    h = await startOidc({ IDENTITY_KEY_ACTIVATION_DELAY_MS: String(ACTIVATION_DELAY_MS) });
  });

  afterAll(async () => {
    await h?.close();
  });

  async function serviceToken(): Promise<string> {
    const res = await fetch(`${h.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${h.service.clientId}:${h.service.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api' }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  const kidOf = (token: string): string => String(decodeProtectedHeader(token).kid);

  async function verifiesWithPublished(token: string): Promise<void> {
    const published = await h.keys.waitFor(kidOf(token));
    await jwtVerify(token, createLocalJWKSet({ keys: [published.jwk] }), {
      issuer: h.issuer,
      audience: API_AUDIENCE,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
  }

  it('refuses a rotation asked by a principal that is not a platform administrator', async () => {
    const handler = h.app.get(RotateSigningKeyHandler);
    await expect(handler.rotate(rotateCommand(false))).rejects.toMatchObject({ code: AuthErrors.forbiddenRole });
  });

  it('publishes the next key first, signs with it after the delay, and retires the old one on the topic', async () => {
    const ring = h.app.get(SigningKeyRing);
    const before = await serviceToken();
    const oldKid = kidOf(before);
    await h.keys.waitFor(oldKid, (k) => k.retiredAt === null);

    const t0 = Date.now();
    const reply = await h.app.get(RotateSigningKeyHandler).rotate(rotateCommand(true));
    const tReplied = Date.now();
    const accepted = CommandReplyV1.schema.parse(reply.data);
    expect(accepted.outcome).toBe('accepted');
    const pending = ring.snapshot().find((k) => k.retiredAt === null && k.activatesAt.getTime() > Date.now());
    expect(pending).toBeDefined();
    const newKid = pending!.kid;
    expect(accepted).toMatchObject({ streamId: `signing-key-${newKid}` });
    expect(newKid).not.toBe(oldKid);

    // On the topic before it signs; meanwhile the old key still signs.
    const next = await h.keys.waitFor(newKid);
    const tPublished = Date.now();
    expect(next).toMatchObject({ retiredAt: null, expiresAt: null, issuer: h.issuer });
    expect(Date.parse(next.activatesAt) - Date.parse(next.createdAt)).toBe(ACTIVATION_DELAY_MS);
    expect(kidOf(await serviceToken())).toBe(oldKid);
    // Asked again while under way, the rotation is joined, not doubled.
    const joined = CommandReplyV1.schema.parse(
      (await h.app.get(RotateSigningKeyHandler).rotate(rotateCommand(true))).data,
    );
    expect(joined).toMatchObject({ streamId: `signing-key-${newKid}` });

    const after = await eventually(
      async () => {
        const token = await serviceToken();
        if (kidOf(token) !== newKid) throw new Error('still signed with the old key');
        return token;
      },
      { timeoutMs: 10_000, intervalMs: 25 },
    );
    const tSwitched = Date.now();
    expect(tSwitched).toBeGreaterThanOrEqual(Date.parse(next.activatesAt));
    await verifiesWithPublished(after);

    const retired = await h.keys.waitFor(oldKid, (k) => k.retiredAt !== null);
    const tRetired = Date.now();
    const expiresInS = (Date.parse(retired.expiresAt ?? '') - Date.parse(retired.retiredAt ?? '')) / 1000;
    // Access token lifetime (300 s) + clock skew (60 s) + one reload interval (30 s).
    expect(expiresInS).toBe(390);
    // The token signed before the rotation still verifies with the retired key's published JWK.
    await verifiesWithPublished(before);

    // The provider's /jwks: the new signer first, the retired key kept for verifiers that use it.
    const jwks = (await (await fetch(`${h.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);

    process.stderr.write(
      `[oidc] key rotation (activation delay ${ACTIVATION_DELAY_MS} ms): command replied ${tReplied - t0} ms, ` +
        `next key seen on the topic ${tPublished - t0} ms, first token with the new kid ${tSwitched - t0} ms, ` +
        `old key's retirement seen on the topic ${tRetired - t0} ms after the command\n`,
    );
  });
});
