import { describe, expect, it } from '@jest/globals';
import { sign, signatureHeader, signingKey, verify } from './signature';

// The test vector published with the Standard Webhooks specification (and its reference libraries).
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const headers = (signature: string, timestamp = vector.timestamp) => ({
  'webhook-id': vector.id,
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signature,
});

describe('webhook signatures', () => {
  it('signs the Standard Webhooks test vector', () => {
    expect(sign(vector.secret, vector.id, vector.timestamp, vector.body)).toBe(vector.signature);
  });

  it('keys the HMAC with the base64-decoded part after whsec_', () => {
    expect(signingKey(vector.secret)).toEqual(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'));
    expect(() => signingKey('whsec_')).toThrow();
  });

  it('verifies the vector, and refuses another body, id, timestamp or secret', () => {
    const at = { nowSeconds: vector.timestamp };
    expect(verify(vector.secret, headers(vector.signature), vector.body, at)).toBe(true);
    expect(verify(vector.secret, headers(vector.signature), '{"test": 2432232315}', at)).toBe(false);
    expect(verify(vector.secret, { ...headers(vector.signature), 'webhook-id': 'msg_other' }, vector.body, at)).toBe(
      false,
    );
    expect(verify(vector.secret, headers(vector.signature, vector.timestamp + 1), vector.body, at)).toBe(false);
    expect(verify('whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQ=', headers(vector.signature), vector.body, at)).toBe(
      false,
    );
  });

  it('refuses a timestamp outside the tolerance', () => {
    const late = { nowSeconds: vector.timestamp + 301 };
    expect(verify(vector.secret, headers(vector.signature), vector.body, late)).toBe(false);
    expect(verify(vector.secret, headers(vector.signature), vector.body, { nowSeconds: vector.timestamp + 299 })).toBe(
      true,
    );
  });

  it('carries one signature per secret during a rotation, each verifying with its own secret', () => {
    const next = 'whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludA==';
    const header = signatureHeader([next, vector.secret], vector.id, vector.timestamp, vector.body);
    const parts = header.split(' ');
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe(vector.signature);
    const at = { nowSeconds: vector.timestamp };
    expect(verify(next, headers(header), vector.body, at)).toBe(true);
    expect(verify(vector.secret, headers(header), vector.body, at)).toBe(true);
    expect(verify('whsec_b3RoZXItc2VjcmV0LWJ5dGVz', headers(header), vector.body, at)).toBe(false);
  });
});
