import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `v1,` and the base64 of
 * HMAC-SHA256 over `${id}.${timestamp}.${body}`, keyed with the base64-decoded part of the
 * `whsec_…` secret. Several signatures are separated by spaces (secret rotation).
 */
const PREFIX = 'whsec_';

/** The HMAC key of a `whsec_<base64>` secret (a secret without the prefix is taken as base64 as it is). */
export function signingKey(secret: string): Buffer {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('a webhook secret is whsec_ and base64 of its key bytes');
  return key;
}

/** One `v1,<base64>` signature of a message. */
export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', signingKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header: one signature per secret (the current first), space-separated. */
export const signatureHeader = (
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): string => secrets.map((s) => sign(s, id, timestampSeconds, body)).join(' ');

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/**
 * What a receiver does: true when one of the `v1` signatures of the header matches `secret` and
 * the timestamp is within `toleranceSeconds` of `nowSeconds` (replay protection; default 5 min).
 */
export function verify(
  secret: string,
  headers: SignedHeaders,
  body: string,
  options: { readonly nowSeconds?: number; readonly toleranceSeconds?: number } = {},
): boolean {
  const timestamp = Number(headers['webhook-timestamp']);
  if (!/^\d+$/.test(headers['webhook-timestamp'])) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(sign(secret, headers['webhook-id'], timestamp, body));
  return headers['webhook-signature'].split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
