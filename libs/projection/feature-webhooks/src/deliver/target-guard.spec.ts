import { describe, expect, it } from '@jest/globals';
import { WebhookErrors } from '@meridian/contracts/webhooks';
import { checkSubscriptionUrl, type LookupAll, parseTarget, resolveTarget } from './target-guard';

const strict = { allowLoopback: false };
const dev = { allowLoopback: true };

/** A resolver that knows a few names; there is no DNS on the test machines. */
const names: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'rebind.example.com': ['93.184.216.34', '10.0.0.5'],
  'metadata.example.com': ['169.254.169.254'],
  'v6.example.com': ['2606:4700:4700::1111'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'internal.example.com': ['10.1.2.3'],
  'dev.example.test': ['127.0.0.1'],
};
const lookup: LookupAll = async (host) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const { webhookUrlInvalid: INVALID, webhookTargetForbidden: FORBIDDEN } = WebhookErrors;

describe('the webhook target guard', () => {
  it.each([
    ['not a url', INVALID],
    ['/relative/path', INVALID],
    ['ftp://hooks.example.com/', INVALID],
    ['http://hooks.example.com/', INVALID],
    ['http://127.0.0.1:8080/hook', INVALID],
    ['https://user:pw@hooks.example.com/', INVALID],
    ['https://user@hooks.example.com/', INVALID],
    ['https://127.0.0.1/', FORBIDDEN],
    ['https://127.1/', FORBIDDEN],
    ['https://2130706433/', FORBIDDEN],
    ['https://0x7f.0.0.1/', FORBIDDEN],
    ['https://10.0.0.1/', FORBIDDEN],
    ['https://172.16.5.4/', FORBIDDEN],
    ['https://192.168.0.10/', FORBIDDEN],
    ['https://169.254.169.254/latest/meta-data', FORBIDDEN],
    ['https://100.64.0.1/', FORBIDDEN],
    ['https://0.0.0.0/', FORBIDDEN],
    ['https://224.0.0.1/', FORBIDDEN],
    ['https://255.255.255.255/', FORBIDDEN],
    ['https://[::1]/', FORBIDDEN],
    ['https://[::]/', FORBIDDEN],
    ['https://[fe80::1]/', FORBIDDEN],
    ['https://[fd00::1]/', FORBIDDEN],
    ['https://[::ffff:127.0.0.1]/', FORBIDDEN],
    ['https://[::ffff:169.254.169.254]/', FORBIDDEN],
    ['https://localhost/', FORBIDDEN],
    ['https://api.localhost/', FORBIDDEN],
    ['https://rebind.example.com/', FORBIDDEN],
    ['https://metadata.example.com/', FORBIDDEN],
    ['https://mapped.example.com/', FORBIDDEN],
  ])('refuses %s (strict mode) with %s', async (url, code) => {
    const result = await resolveTarget(url, strict, { lookup });
    expect(result).toMatchObject({ ok: false, code });
  });

  it('accepts public https targets and pins the address it checked', async () => {
    await expect(resolveTarget('https://hooks.example.com/in?x=1', strict, { lookup })).resolves.toMatchObject({
      ok: true,
      host: 'hooks.example.com',
      address: '93.184.216.34',
      family: 4,
    });
    await expect(resolveTarget('https://v6.example.com/', strict, { lookup })).resolves.toMatchObject({
      ok: true,
      address: '2606:4700:4700::1111',
      family: 6,
    });
    await expect(resolveTarget('https://8.8.8.8:8443/', strict, { lookup })).resolves.toMatchObject({
      ok: true,
      address: '8.8.8.8',
    });
  });

  it('in development mode allows loopback over http or https, and nothing else that is not public', async () => {
    for (const url of ['http://127.0.0.1:3000/', 'https://127.0.0.1/', 'http://[::1]:9/', 'http://localhost:8/']) {
      await expect(resolveTarget(url, dev, { lookup })).resolves.toMatchObject({ ok: true });
    }
    await expect(resolveTarget('https://10.0.0.1/', dev, { lookup })).resolves.toMatchObject({ code: FORBIDDEN });
    await expect(resolveTarget('https://169.254.169.254/', dev, { lookup })).resolves.toMatchObject({
      code: FORBIDDEN,
    });
    await expect(resolveTarget('http://hooks.example.com/', dev, { lookup })).resolves.toMatchObject({ code: INVALID });
    await expect(resolveTarget('http://10.0.0.1/', dev, { lookup })).resolves.toMatchObject({ code: INVALID });
    expect(parseTarget('https://u:p@127.0.0.1/', dev)).toMatchObject({ ok: false, code: INVALID });
  });

  it('never tells the caller what a name resolves to; the address is for the service log', async () => {
    const refused = await resolveTarget('https://internal.example.com/', strict, { lookup });
    expect(refused).toMatchObject({
      ok: false,
      code: FORBIDDEN,
      reason: 'internal.example.com resolves to a non-public address',
      address: '10.1.2.3',
    });
    const literal = await checkSubscriptionUrl('https://10.1.2.3/', strict, { lookup });
    expect(literal).toMatchObject({ code: FORBIDDEN, reason: '10.1.2.3 is a private address' });
    for (const url of ['https://internal.example.com/', 'https://rebind.example.com/', 'https://mapped.example.com/']) {
      const refusal = await checkSubscriptionUrl(url, strict, { lookup });
      expect(refusal?.reason).not.toMatch(/\d+\.\d+\.\d+\.\d+|::/);
    }
  });

  it('bounds the lookup: a name that never answers does not resolve, and a subscription may name it', async () => {
    const never: LookupAll = () => new Promise(() => undefined);
    const started = Date.now();
    await expect(resolveTarget('https://slow.example.com/', strict, { lookup: never, timeoutMs: 50 })).resolves.toEqual(
      {
        ok: false,
        code: FORBIDDEN,
        reason: 'slow.example.com does not resolve (timed out after 50 ms)',
        unresolved: true,
      },
    );
    await expect(
      checkSubscriptionUrl('https://slow.example.com/', strict, { lookup: never, timeoutMs: 50 }),
    ).resolves.toBeNull();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('in development mode allows http to a name only when every address it resolves to is loopback', async () => {
    await expect(resolveTarget('http://dev.example.test:8080/', dev, { lookup })).resolves.toMatchObject({
      ok: true,
      host: 'dev.example.test',
      address: '127.0.0.1',
    });
    await expect(resolveTarget('http://dev.example.test/', strict, { lookup })).resolves.toMatchObject({
      code: INVALID,
    });
    await expect(resolveTarget('http://rebind.example.com/', dev, { lookup })).resolves.toMatchObject({ ok: false });
  });

  it('refuses a name that does not resolve at attempt time, but lets a subscription name it', async () => {
    await expect(resolveTarget('https://nowhere.example.net/', strict, { lookup })).resolves.toMatchObject({
      ok: false,
      code: FORBIDDEN,
    });
    await expect(checkSubscriptionUrl('https://nowhere.example.net/', strict, { lookup })).resolves.toBeNull();
    await expect(checkSubscriptionUrl('https://rebind.example.com/', strict, { lookup })).resolves.toMatchObject({
      code: FORBIDDEN,
    });
  });
});
