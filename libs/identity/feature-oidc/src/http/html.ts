const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text or attribute value made safe for HTML: every value a page shows goes through this. */
export const escapeHtml = (value: unknown): string => String(value ?? '').replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c);

/**
 * A small standalone page: no scripts, no external resources. The CSP forbids scripts and framing;
 * it sets no `form-action`, which browsers also apply to the redirects after the post (back to the
 * client's redirect URI, another origin).
 */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:22rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
label{display:block;margin:.75rem 0 .25rem}input{width:100%;box-sizing:border-box;padding:.45rem}
button{margin-top:1rem;padding:.5rem 1rem}.error{color:#a40e26}.alt{margin-top:1.5rem}
</style>
</head>
<body>
${body}
</body>
</html>`;
}

/** Security headers of every page identity renders itself. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
