import type { Response } from 'express';

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

const escapeHtml = (value: string): string => value.replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c);

/** The same headers as the login page's: no script, no framing, never cached. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Why a federated login stopped, as the person sees it: a title, what happened, what to do. */
export interface FederationProblem {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
}

/**
 * A standalone page (no script, no external resource, every value escaped) for a federated login
 * that cannot go on. It never shows a token, a code or a secret; the IdP's own error text is shown
 * escaped, since it is what the person can act on.
 */
export function sendProblemPage(res: Response, problem: FederationProblem): void {
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(problem.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}</style>
</head>
<body>
<h1>${escapeHtml(problem.title)}</h1>
<p role="alert">${escapeHtml(problem.detail)}</p>
<p>Go back to the application to start again.</p>
</body>
</html>`;
  res.status(problem.status).set(PAGE_HEADERS).send(html);
}
