/**
 * Smoke test of the console: signing in through identity's login page, the map, signing out, and
 * a session the issuer no longer honours.
 */
import { expect, test } from '@playwright/test';
import { seedInvalidSession, signIn, signOut } from './fixtures';
import { DISPATCHER } from './users';

test('a dispatcher signs in: the console names them and shows the map', async ({ page }) => {
  await signIn(page, DISPATCHER);
  await expect(page.getByTestId('whoami')).toContainText(DISPATCHER.username);
  // MapLibre draws into a WebGL canvas inside the map container.
  await expect(page.locator('[data-testid="map"] canvas').first()).toBeVisible();
});

test('without a session the console offers "Sign in" and names nobody', async ({ page }) => {
  await page.goto('/console/');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByTestId('whoami')).toHaveCount(0);
});

test('a session the issuer refuses ends: "Sign in" again', async ({ page }) => {
  await seedInvalidSession(page, 'ghost');
  await page.goto('/console/');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByText('ghost')).toHaveCount(0);
});

test('"Sign out" ends the session: "Sign in" is back, and a reload stays signed out', async ({ page }) => {
  await signIn(page, DISPATCHER);
  await signOut(page);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});
