import { describe, expect, it } from '@jest/globals';
import { loginPage } from './login-page';

describe('loginPage', () => {
  const base = { uid: 'abc-123', clientName: 'the Meridian console', tenant: '', username: '', error: null };

  it('escapes everything it shows, in text and in attributes', () => {
    const html = loginPage({
      ...base,
      tenant: '"><script>alert(1)</script>',
      username: "o'neil & <b>",
      error: '<img src=x onerror=alert(2)>',
      federation: { href: 'javascript:"x"', label: '<i>Org</i>' },
    });
    expect(html).not.toMatch(/<script|<img|<b>|<i>/);
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).toContain('value="o&#39;neil &amp; &lt;b&gt;"');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('href="javascript:&quot;x&quot;"');
  });

  it('posts to the interaction, and offers federation only when the hook gave a link', () => {
    const plain = loginPage({ ...base, federation: null });
    expect(plain).toContain('<form method="post" action="/interaction/abc-123/login"');
    expect(plain).not.toContain('Log in with your organisation');
    const federated = loginPage({ ...base, federation: { href: '/federation/acme/start?uid=abc-123' } });
    expect(federated).toContain('<a href="/federation/acme/start?uid=abc-123">Log in with your organisation</a>');
  });
});
