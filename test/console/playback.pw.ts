/**
 * The track playback screen (apps/console/src/screens/playback): an asset found by name, its track
 * over the last hour on the map with the fixes → vertices summary, the time slider moved with the
 * keyboard, Play at 600× to the last fix; simplification, an empty window and a window the API
 * refuses (its detail in words).
 */
import { expect, type Page, test } from '@playwright/test';
import { apiRequest, postTelemetry, registerAsset, screenshot, signIn, waitFor } from './fixtures';
import { OPERATOR } from './users';

const FIXES = 20;
const STEP_MS = 30_000;
const LAT = 47.4;
const LON_FROM = 8.5;
const LON_TO = 8.6;

const suffix = Math.random().toString(36).slice(2, 8);
const NAME = `Playback tractor ${suffix}`;
let assetId = '';

/** What the screen shows as "lat, lon". */
async function shownPosition(page: Page): Promise<{ lat: number; lon: number }> {
  const text = (await page.getByTestId('playback-position').textContent()) ?? '';
  const match = /^(-?\d+\.\d{5}), (-?\d+\.\d{5})$/.exec(text.trim());
  if (!match) throw new Error(`position shown as "${text}"`);
  return { lat: Number(match[1]), lon: Number(match[2]) };
}

/** The GeoJSON of one of the screen's map sources (the shell exposes the map as `window.meridianMap`). */
function sourceData(page: Page, source: string): Promise<GeoJSON.FeatureCollection> {
  return page.evaluate(async (id) => {
    interface MapLike {
      getSource(id: string): { getData(): Promise<GeoJSON.FeatureCollection> } | undefined;
    }
    const map = (globalThis as unknown as { meridianMap: MapLike }).meridianMap;
    const found = map.getSource(id);
    if (!found) throw new Error(`no source ${id}`);
    return found.getData();
  }, source);
}

test.beforeAll(async () => {
  assetId = await registerAsset({ name: NAME, kind: 'vehicle' });
  // 20 fixes eastwards along 47.4°N, one every 30 s, the last a minute ago.
  const last = Math.floor((Date.now() - 60_000) / 1000) * 1000;
  const first = last - (FIXES - 1) * STEP_MS;
  await postTelemetry(
    assetId,
    Array.from({ length: FIXES }, (_, i) => ({
      ts: new Date(first + i * STEP_MS),
      lon: LON_FROM + ((LON_TO - LON_FROM) * i) / (FIXES - 1),
      lat: LAT,
    })),
  );
  const window = `from=${new Date(first - 60_000).toISOString()}&to=${new Date(last + 60_000).toISOString()}`;
  await waitFor(
    async () => {
      const res = await apiRequest<{ properties?: { fixes?: number } }>('GET', `/v1/assets/${assetId}/track?${window}`);
      return res.status === 200 && res.body.properties?.fixes === FIXES;
    },
    { message: `the track of ${assetId} with ${FIXES} fixes` },
  );
});

test('plays back a track: found by name, drawn, scrubbed with the keyboard, played at 600× to its end', async ({
  page,
}) => {
  await signIn(page, OPERATOR);
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Playback' }).click();
  await page.getByLabel('Find an asset by name').fill(`tractor ${suffix}`);
  await page.getByRole('list', { name: 'Matching assets' }).getByRole('button', { name: NAME }).click();
  await expect(page).toHaveURL(new RegExp(`#/playback/${assetId}$`));
  await expect(page.getByTestId('playback-asset')).toContainText(NAME);

  // The default window is the last hour: every fix, unsimplified.
  await page.getByRole('button', { name: 'Show track' }).click();
  await expect(page.getByTestId('playback-summary')).toContainText(
    `${FIXES} fixes → ${FIXES} vertices (not simplified)`,
  );
  const drawn = await sourceData(page, 'playback-track');
  const lines = drawn.features.filter((f) => f.geometry.type === 'LineString');
  expect(lines).toHaveLength(1);
  expect((lines[0]?.geometry as GeoJSON.LineString).coordinates).toHaveLength(FIXES);
  // The marker starts at the first fix.
  expect(await shownPosition(page)).toEqual({ lat: LAT, lon: LON_FROM });

  // Home, then five times PageUp (a tenth each): halfway through the track, halfway along it.
  const slider = page.getByLabel('Time', { exact: true });
  await slider.focus();
  await slider.press('Home');
  for (let i = 0; i < 5; i++) await slider.press('PageUp');
  await expect.poll(async () => (await shownPosition(page)).lon).toBeCloseTo((LON_FROM + LON_TO) / 2, 2);
  const middle = await shownPosition(page);
  expect(Math.abs(middle.lon - 8.55)).toBeLessThanOrEqual(0.01);
  expect(middle.lat).toBeCloseTo(LAT, 5);
  const middleTime = (await page.getByTestId('playback-time').textContent()) ?? '';
  // The marker's source is set in an effect after the text renders, so it may trail it by a key press.
  await expect
    .poll(async () => {
      const marker = await sourceData(page, 'playback-marker');
      return (marker.features[0]?.geometry as GeoJSON.Point | undefined)?.coordinates[0];
    })
    .toBeCloseTo(middle.lon, 4);

  await screenshot(page, 'playback');

  // Play at 600× (Space on the button): time runs on, the marker ends at the last fix and play stops.
  await page.getByLabel('Speed').selectOption('600');
  const play = page.getByRole('button', { name: 'Play', exact: true });
  await play.focus();
  await play.press('Space');
  await expect(page.getByTestId('playback-time')).not.toHaveText(middleTime);
  await expect(page.getByTestId('playback-position')).toHaveText(`${LAT.toFixed(5)}, ${LON_TO.toFixed(5)}`);
  await expect(page.getByRole('button', { name: 'Play', exact: true })).toBeVisible();
  const end = await sourceData(page, 'playback-marker');
  const [lon, lat] = (end.features[0]?.geometry as GeoJSON.Point).coordinates;
  expect(lon).toBeCloseTo(LON_TO, 5);
  expect(lat).toBeCloseTo(LAT, 5);
});

test('simplifies, says when a window has no fixes, and shows why the API refuses a window', async ({ page }) => {
  await signIn(page, OPERATOR);
  await page.goto(`/console/#/playback/${assetId}`);
  await expect(page.getByTestId('playback-asset')).toContainText(NAME);

  // A straight line: 100 m of tolerance leaves its two ends.
  await page.getByLabel('Simplification').selectOption({ label: '100 m' });
  await page.getByRole('button', { name: 'Show track' }).click();
  await expect(page.getByTestId('playback-summary')).toContainText(`${FIXES} fixes → 2 vertices (simplified to 100 m)`);
  // Interpolated by time between the two: still halfway at half time.
  const slider = page.getByLabel('Time', { exact: true });
  await slider.focus();
  await slider.press('End');
  for (let i = 0; i < 5; i++) await slider.press('PageDown');
  await expect.poll(async () => (await shownPosition(page)).lon).toBeCloseTo((LON_FROM + LON_TO) / 2, 2);

  // Two days ago the asset did not exist yet: no fixes, said so, and the player is gone.
  const day = 24 * 3_600_000;
  const local = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  await page.getByLabel('From', { exact: true }).fill(local(Date.now() - 3 * day));
  await page.getByLabel('To', { exact: true }).fill(local(Date.now() - 2 * day));
  await page.getByRole('button', { name: 'Show track' }).click();
  await expect(page.getByText(/No fixes of .* between/)).toBeVisible();
  await expect(page.getByTestId('playback-summary')).toHaveCount(0);
  expect((await sourceData(page, 'playback-track')).features).toHaveLength(0);

  // 40 days: the API's own words.
  await page.getByLabel('From', { exact: true }).fill(local(Date.now() - 40 * day));
  await page.getByLabel('To', { exact: true }).fill(local(Date.now()));
  await page.getByRole('button', { name: 'Show track' }).click();
  await expect(page.getByRole('alert')).toContainText('the window may be at most 31 days');
});
