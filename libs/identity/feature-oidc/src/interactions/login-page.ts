import { escapeHtml, page } from '../http/html';
import type { FederationLink } from './federation';

export interface LoginPageModel {
  readonly uid: string;
  readonly clientName: string;
  readonly tenant: string;
  readonly username: string;
  /** Shown above the form: generic on purpose (it never says which of the three was wrong). */
  readonly error: string | null;
  readonly federation: FederationLink | null;
}

/** The login form: tenant, username, password; plain HTML, no script, every value escaped. */
export function loginPage(m: LoginPageModel): string {
  const uid = encodeURIComponent(m.uid);
  const error = m.error ? `<p class="error" role="alert">${escapeHtml(m.error)}</p>\n` : '';
  const federation = m.federation
    ? `<p class="alt"><a href="${escapeHtml(m.federation.href)}">${escapeHtml(
        m.federation.label ?? 'Log in with your organisation',
      )}</a></p>\n`
    : '';
  return page(
    'Log in to Meridian',
    `<h1>Log in to Meridian</h1>
<p>to continue to ${escapeHtml(m.clientName)}</p>
${error}<form method="post" action="/interaction/${uid}/login" autocomplete="on">
<label for="tenant">Tenant</label>
<input id="tenant" name="tenant" required maxlength="63" value="${escapeHtml(m.tenant)}" autocomplete="organization">
<label for="username">Username</label>
<input id="username" name="username" required maxlength="200" value="${escapeHtml(m.username)}" autocomplete="username">
<label for="password">Password</label>
<input id="password" name="password" type="password" required maxlength="1024" autocomplete="current-password">
<button type="submit">Log in</button>
</form>
${federation}`,
  );
}
