/**
 * The missions screen with two people at once: a dispatcher draws a mission's area on the map,
 * creates and submits it, and is offered no "Approve" (separation of duties); an approver, in a
 * browser of their own, approves it; the dispatcher's page follows live, and the history names both
 * in order. A mission whose deadline has passed becomes overdue by its timer once approved, and the
 * board marks it.
 */
import { randomUUID } from 'node:crypto';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { API } from './addresses';
import { apiRequest, clickMap, jumpTo, type LonLat, screenshot, signIn, waitFor } from './fixtures';
import { APPROVER, DISPATCHER } from './users';

/** A place of its own for each run (other tests draw elsewhere at the same time). */
const somewhere = (): LonLat => [2 + Math.random() * 6, 41 + Math.random() * 3];

const square = ([lon, lat]: LonLat, half: number) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [lon - half, lat - half],
      [lon + half, lat - half],
      [lon + half, lat + half],
      [lon - half, lat + half],
      [lon - half, lat - half],
    ],
  ],
});

const mapCenter = (page: Page) =>
  page.evaluate(() => {
    const map = (globalThis as unknown as { meridianMap: { getCenter(): { lng: number; lat: number } } }).meridianMap;
    const c = map.getCenter();
    return [c.lng, c.lat] as const;
  });

/** Shows a hash route in a signed-in console without reloading it. */
const open = (page: Page, hash: string) =>
  page.evaluate((h) => ((globalThis as unknown as { location: { hash: string } }).location.hash = h), hash);

/**
 * The signed-in user's subject as the API's history names it: the console keeps the ID token's
 * `sub` (`<tenant>/<subject>`) for the tab; actors are the access token's bare subject.
 */
async function subjectOf(page: Page): Promise<string> {
  const stored = await page.evaluate(() => {
    const storage = (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage;
    return storage.getItem('meridian.console.user');
  });
  const user = JSON.parse(stored ?? '{}') as { subject?: string; tenant?: string };
  const subject = user.subject ?? '';
  return user.tenant && subject.startsWith(`${user.tenant}/`) ? subject.slice(user.tenant.length + 1) : subject;
}

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: API, viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

/**
 * A mission created and submitted by the tenant administrator (role admin); `late`: its deadline has
 * passed, so its deadline timer fires as soon as it is armed (when approved).
 */
async function submittedMission(title: string, late: boolean): Promise<string> {
  const now = Date.now();
  // The deadline is window.start + 15 minutes (the default tolerance).
  const start = late ? now - 20 * 60_000 : now + 3_600_000;
  const created = await apiRequest<{ id: string }>('POST', '/v1/missions', {
    title,
    area: square(somewhere(), 0.01),
    window: { start: new Date(start).toISOString(), end: new Date(start + 2 * 3_600_000).toISOString() },
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  await waitFor(async () => (await apiRequest('GET', `/v1/missions/${id}`)).status === 200, {
    message: `mission ${title} readable`,
  });
  expect((await apiRequest('POST', `/v1/missions/${id}/events/submit`)).status).toBe(200);
  return id;
}

test('a dispatcher creates and submits a mission, an approver approves it; overdue missions stand out', async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const suffix = randomUUID().slice(0, 8);
  const title = `Bridge inspection ${suffix}`;
  const lateTitle = `Late patrol ${suffix}`;

  const [lateId, movedId, dispatcher, approver] = await Promise.all([
    submittedMission(lateTitle, true),
    submittedMission(`Moved meanwhile ${suffix}`, false),
    newPage(browser),
    newPage(browser),
  ]);
  // The approver's console gets no live events: what it shows goes stale until it reads again.
  await approver.context().route('**/v1/stream**', (route) => route.abort());
  await Promise.all([signIn(dispatcher, DISPATCHER), signIn(approver, APPROVER)]);

  // The dispatcher draws the area of a new mission on the map.
  await dispatcher.getByRole('link', { name: 'Missions' }).click();
  await dispatcher.getByRole('button', { name: 'New mission' }).click();
  const centre = somewhere();
  await jumpTo(dispatcher, centre, 12);
  const [lon, lat] = centre;
  const corners: LonLat[] = [
    [lon - 0.02, lat - 0.015],
    [lon + 0.02, lat - 0.015],
    [lon + 0.02, lat + 0.015],
    [lon - 0.02, lat + 0.015],
  ];
  for (const corner of corners) await clickMap(dispatcher, corner);
  await clickMap(dispatcher, corners[0] as LonLat); // the first corner again closes the ring
  await expect(dispatcher.getByTestId('missions-area-status')).toHaveText('Area drawn: 4 corners.');
  await dispatcher.getByLabel('Title').fill(title);
  await dispatcher.getByLabel('Priority (1–5)').selectOption('2');
  // A window that ends as it starts: the API's words, at the form.
  const end = await dispatcher.getByLabel('Window end').inputValue();
  await dispatcher.getByLabel('Window end').fill(await dispatcher.getByLabel('Window start').inputValue());
  await dispatcher.getByRole('button', { name: 'Create mission' }).click();
  await expect(dispatcher.getByRole('alert')).toContainText('must be after window.start');
  await dispatcher.getByLabel('Window end').fill(end);
  await dispatcher.getByRole('button', { name: 'Create mission' }).click();

  // Created: it opens, in draft, with its area on the map (fitted to it).
  await expect(dispatcher).toHaveURL(/#\/missions\/[0-9a-f-]{36}$/);
  const id = /#\/missions\/([0-9a-f-]{36})$/.exec(dispatcher.url())?.[1] ?? '';
  const page = dispatcher.getByTestId('mission-page');
  await expect(page.getByRole('heading', { name: title })).toBeVisible();
  await expect(page.getByTestId('mission-state')).toHaveText('Draft');
  const [cx, cy] = await mapCenter(dispatcher);
  expect(Math.abs(cx - lon)).toBeLessThan(0.005);
  expect(Math.abs(cy - lat)).toBeLessThan(0.005);
  const stored = await apiRequest<{ area: { coordinates: number[][][] }; priority: number; createdBy: string }>(
    'GET',
    `/v1/missions/${id}`,
  );
  expect(stored.body.priority).toBe(2);
  expect(stored.body.area.coordinates[0]).toHaveLength(5);
  expect(stored.body.area.coordinates[0]?.[0]?.[0]).toBeCloseTo(lon - 0.02, 4);

  // Submit; the creator is offered no "Approve".
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  await expect(page.getByTestId('mission-state')).toHaveText('Submitted');
  await expect(page.getByRole('button', { name: 'Cancel', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Approve', exact: true })).toHaveCount(0);

  // The approver, in a browser of their own, opens the same mission and approves it.
  await open(approver, `#/missions/${id}`);
  const approverView = approver.getByTestId('mission-page');
  await expect(approverView.getByTestId('mission-state')).toHaveText('Submitted');
  await approverView.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(approverView.getByTestId('mission-state')).toHaveText('Approved');
  const approverSubject = await subjectOf(approver);
  const dispatcherSubject = await subjectOf(dispatcher);
  expect(approverSubject).toBeTruthy();

  // The dispatcher's page follows (live event), and the history names both, in order.
  await expect(page.getByTestId('mission-state')).toHaveText('Approved');
  const entries = page.getByTestId('history-entry');
  await expect(entries).toHaveCount(3);
  await expect(entries.nth(0)).toContainText(`Created (Draft) by you (${DISPATCHER.displayName})`);
  await expect(entries.nth(1)).toContainText(`Submit: Draft → Submitted by you (${DISPATCHER.displayName})`);
  await expect(entries.nth(2)).toContainText(`Approve: Submitted → Approved by ${approverSubject}`);
  expect(stored.body.createdBy).toBe(dispatcherSubject);
  await screenshot(dispatcher, 'missions-page');

  // The late mission: the approver approves it, its deadline timer fires at once, and the board
  // (open at the dispatcher's) moves it to Overdue, marked, without a reload.
  await dispatcher.getByRole('button', { name: '← All missions' }).click();
  const lateCard = dispatcher.locator(`[data-testid="mission-card"][data-mission-id="${lateId}"]`);
  await expect(lateCard).toBeVisible();
  await open(approver, `#/missions/${lateId}`);
  await approverView.getByRole('button', { name: 'Approve', exact: true }).click();
  const overdueColumn = dispatcher.locator('[data-testid="missions-column"][data-state="overdue"]');
  const overdueCard = overdueColumn.locator(`[data-mission-id="${lateId}"]`);
  await expect(overdueCard).toBeVisible({ timeout: 45_000 });
  await expect(overdueCard.getByText('Overdue', { exact: true })).toBeVisible();
  await expect(overdueCard).toHaveClass(/\blate\b/);
  await expect(overdueCard.getByRole('link', { name: lateTitle })).toBeVisible();
  // Ours, approved with a deadline ahead, is in Approved and not marked.
  const ours = dispatcher.locator(`[data-testid="missions-column"][data-state="approved"] [data-mission-id="${id}"]`);
  await expect(ours).toBeVisible();
  await expect(ours.getByText('Overdue', { exact: true })).toHaveCount(0);
  await overdueColumn.scrollIntoViewIfNeeded();
  await screenshot(dispatcher, 'missions');

  // Someone else moves a mission the approver has open: approving it then is refused (412), in words,
  // and the page reloads to what it is now.
  await open(approver, `#/missions/${movedId}`);
  await expect(approverView.getByTestId('mission-state')).toHaveText('Submitted');
  expect((await apiRequest('POST', `/v1/missions/${movedId}/events/cancel`)).status).toBe(200);
  await approverView.getByRole('button', { name: 'Approve', exact: true }).click();
  const refusal = approverView.getByTestId('mission-action-error');
  await expect(refusal).toContainText('Someone else changed this mission');
  await expect(refusal.getByRole('alert')).toContainText('REQUEST.PRECONDITION_FAILED');
  await expect(approverView.getByTestId('mission-state')).toHaveText('Cancelled');
  await expect(approverView.getByRole('button', { name: 'Approve', exact: true })).toHaveCount(0);

  // Its history says the timer did it.
  await overdueCard.getByRole('link', { name: lateTitle }).click();
  const late = dispatcher.getByTestId('mission-page');
  await expect(late.getByTestId('mission-state')).toHaveText('Overdue');
  await expect(late.getByTestId('history-entry').last()).toContainText('by the deadline timer');
  await expect(late.getByTestId('history-entry').last()).toContainText('timer');

  await Promise.all([dispatcher.context().close(), approver.context().close()]);
  // Tidy: the missions of this run end (cancel leaves every state but the final ones).
  for (const done of [id, lateId]) await apiRequest('POST', `/v1/missions/${done}/events/cancel`);
});
