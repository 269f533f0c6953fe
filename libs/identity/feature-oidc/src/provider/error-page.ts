import { escapeHtml, page } from '../http/html';

/** oidc-provider's error page for the user agent, without its external font and with every value escaped. */
export const errorPage = (error: string, description: string): string =>
  page(
    'Sign-in error',
    `<h1>Sign-in error</h1>\n<p><code>${escapeHtml(error)}</code></p>\n<p>${escapeHtml(description)}</p>`,
  );

/**
 * The sign-out confirmation (RP-initiated logout): oidc-provider's `form` (hidden fields, id
 * `op.logoutForm`) and a button that submits it with `logout=yes`. No script: the user confirms,
 * which also keeps another site from signing a user out with a link.
 */
export const logoutPage = (form: string): string =>
  page(
    'Sign out',
    `<h1>Sign out of Meridian?</h1>\n${form}\n` +
      '<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>\n' +
      '<button type="submit" form="op.logoutForm">Stay signed in</button>',
  );

/** After a sign-out without a (registered) redirect back to the client. */
export const signedOutPage = (): string =>
  page('Signed out', '<h1>Signed out</h1>\n<p>You have signed out of Meridian.</p>');
