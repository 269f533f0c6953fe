import { escapeHtml, page } from '../http/html';

/** oidc-provider's error page for the user agent, without its external font and with every value escaped. */
export const errorPage = (error: string, description: string): string =>
  page(
    'Sign-in error',
    `<h1>Sign-in error</h1>\n<p><code>${escapeHtml(error)}</code></p>\n<p>${escapeHtml(description)}</p>`,
  );
