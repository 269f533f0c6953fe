import { describe, expect, it } from '@jest/globals';
import type { Response } from 'express';
import { sendProblemPage } from './pages';

/** The slice of Express's response the page uses, recording what was sent. */
function recorder() {
  const sent: { status?: number; headers?: Record<string, string>; body?: string } = {};
  const res = {
    status(code: number) {
      sent.status = code;
      return this;
    },
    set(headers: Record<string, string>) {
      sent.headers = headers;
      return this;
    },
    send(body: string) {
      sent.body = body;
      return this;
    },
  };
  return { res: res as unknown as Response, sent };
}

describe('sendProblemPage', () => {
  it('escapes what it shows (the IdP may send any text) and forbids scripts and caching', () => {
    const { res, sent } = recorder();
    sendProblemPage(res, { status: 403, title: 'Refused <b>', detail: '<script>alert("x")</script> & more' });
    expect(sent.status).toBe(403);
    expect(sent.body).not.toMatch(/<script|<b>/);
    expect(sent.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(sent.headers).toMatchObject({
      'cache-control': 'no-store',
      'content-security-policy': expect.stringContaining("default-src 'none'"),
    });
  });
});
