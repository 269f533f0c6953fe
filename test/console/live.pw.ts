/**
 * The live map: an asset moves when telemetry is posted (tiles + the live stream), its details show
 * the last fix, search by name finds it, and the heatmap answers for a window.
 */
import { randomUUID } from 'node:crypto';
import { expect, type Page, test } from '@playwright/test';
import { jumpTo, postTelemetry, registerAsset, screenshot, signIn, waitFor } from './fixtures';
import { OPERATOR } from './users';

/** Where the live map draws an asset now (the live source), read from the page. */
const liveAt = (page: Page, id: string) =>
  page.evaluate((assetId) => {
    const assets = (globalThis as unknown as { meridianAssets?: { where(id: string): { lon: number; lat: number } } })
      .meridianAssets;
    return assets?.where(assetId) ?? null;
  }, id);

/** Centres the shared map on a point (the shell puts it on window for tests and the benchmark). */

test('an asset moves on the map as telemetry arrives, and its details follow', async ({ page }) => {
  const name = `Live truck ${randomUUID().slice(0, 8)}`;
  const id = await registerAsset({ name, kind: 'vehicle' });
  await postTelemetry(id, [{ lon: 8.52, lat: 47.37 }]);

  await signIn(page, OPERATOR);
  await jumpTo(page, [8.53, 47.37], 12);
  await expect(page.getByText('Live', { exact: true })).toBeVisible(); // the stream is connected

  // A fix arriving now moves the asset to where it is.
  await postTelemetry(id, [{ lon: 8.541, lat: 47.372 }]);
  await waitFor(
    async () => {
      const at = await liveAt(page, id);
      return at !== null && Math.abs(at.lon - 8.541) < 1e-6 && Math.abs(at.lat - 47.372) < 1e-6;
    },
    { message: 'the asset drawn at its new position' },
  );

  // Click it on the map, once drawn there: its details, with the last fix.
  const point = await waitFor(
    () =>
      page.evaluate((assetId) => {
        interface Rendered {
          readonly properties: Record<string, unknown>;
        }
        const map = (
          globalThis as unknown as {
            meridianMap: {
              project(p: [number, number]): { x: number; y: number };
              queryRenderedFeatures(p: [number, number], o: { layers: string[] }): Rendered[];
            };
          }
        ).meridianMap;
        const at = map.project([8.541, 47.372]);
        const drawn = map.queryRenderedFeatures([at.x, at.y], { layers: ['live-assets-dot'] });
        return drawn.some((f) => f.properties['id'] === assetId) ? at : null;
      }, id),
    { message: 'the asset drawn at its new position on the map' },
  );
  const box = await page.getByTestId('map').boundingBox();
  if (!box) throw new Error('no map');
  await page.mouse.click(box.x + point.x, box.y + point.y);
  const details = page.getByTestId('asset-details');
  await expect(details.getByRole('heading', { name })).toBeVisible();
  await expect(details.getByTestId('last-fix')).toContainText('47.37200, 8.54100');

  // Another fix: the open details follow the stream without a reload.
  await postTelemetry(id, [{ lon: 8.545, lat: 47.375 }]);
  await expect(details.getByTestId('last-fix')).toContainText('47.37500, 8.54500');
  // The guide's picture: zoomed out to the country, the details still open.
  await jumpTo(page, [8.3, 46.8], 7);
  await screenshot(page, 'live');
});

test('search by name finds an asset and opens it', async ({ page }) => {
  const suffix = randomUUID().slice(0, 8);
  const name = `Searchable drone ${suffix}`;
  const id = await registerAsset({ name, kind: 'drone' });
  await postTelemetry(id, [{ lon: 9.1, lat: 48.2 }]);

  await signIn(page, OPERATOR);
  await page.getByLabel('Find an asset by name').fill(suffix);
  const result = page.getByRole('list', { name: 'Matching assets' }).getByRole('button', { name });
  await expect(result).toBeVisible();
  await result.click();
  await expect(page).toHaveURL(new RegExp(`#/live/${id}$`));
  await expect(page.getByTestId('asset-details').getByRole('heading', { name })).toBeVisible();

  await page.getByLabel('Find an asset by name').fill(`nothing-is-called-${suffix}`);
  await expect(page.getByText(/No asset is named like/)).toBeVisible();
});

test('the heatmap shows cells for the fixes of the window', async ({ page }) => {
  const id = await registerAsset({ name: `Heat ${randomUUID().slice(0, 8)}`, kind: 'sensor' });
  const now = Date.now();
  await postTelemetry(
    id,
    Array.from({ length: 5 }, (_, i) => ({ lon: 7.6 + i * 0.01, lat: 46.9, ts: new Date(now - (5 - i) * 1000) })),
  );
  await signIn(page, OPERATOR);
  await jumpTo(page, [7.62, 46.9], 11);
  await page.getByLabel('Heatmap of fixes').check();
  await expect(page.getByText(/cells with fixes/)).toBeVisible();
  await page.getByLabel('Window').selectOption({ label: 'Last 24 hours' });
  await expect(page.getByText(/cells with fixes/)).toBeVisible();
});
