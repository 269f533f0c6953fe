/**
 * A region-restricted user sees exactly their region: the map (tiles and the live stream) and the
 * name search show the asset inside it and never the one outside, which an unrestricted operator
 * sees beside it (so the test cannot pass by showing nothing).
 */
import { randomUUID } from 'node:crypto';
import { expect, type Page, test } from '@playwright/test';
import { apiRequest, jumpTo, postTelemetry, registerAsset, signIn, waitFor } from './fixtures';
import { OPERATOR, REGIONAL } from './users';

interface Seen {
  /** Asset ids drawn from the tiles (rendered) and from the live source. */
  readonly tiles: string[];
  readonly live: string[];
}

/** What the map draws, in the rendered asset layers of the tiles and of the live source. */
const seenOnMap = (page: Page): Promise<Seen> =>
  page.evaluate(() => {
    interface Feature {
      readonly id?: string | number;
      readonly properties: Record<string, unknown>;
    }
    const map = (
      globalThis as unknown as {
        meridianMap: { queryRenderedFeatures(o: { layers: string[] }): Feature[] };
      }
    ).meridianMap;
    const ids = (layer: string) =>
      map.queryRenderedFeatures({ layers: [layer] }).map((f) => String(f.properties['id'] ?? f.id));
    return { tiles: ids('asset-tiles-dot'), live: ids('live-assets-dot') };
  });

test('a region-restricted user never sees an asset outside the region', async ({ browser }) => {
  test.setTimeout(120_000); // two users sign in, and both wait for tiles and the stream
  const tag = randomUUID().slice(0, 8);
  // REGION is lon 10..11, lat 50..51; the outside asset is 0.3° east of its edge, both in one view.
  const inside = await registerAsset({ name: `Inside ${tag}`, kind: 'vehicle' });
  const outside = await registerAsset({ name: `Outside ${tag}`, kind: 'vehicle' });
  await postTelemetry(inside, [{ lon: 10.9, lat: 50.5 }]);
  await postTelemetry(outside, [{ lon: 11.3, lat: 50.5 }]);
  // Tiles are drawn from the read model: wait until both positions are in it.
  for (const id of [inside, outside]) {
    await waitFor(async () => (await apiRequest<{ geometry: unknown }>('GET', `/v1/assets/${id}`)).body.geometry, {
      message: `asset ${id} positioned in the read model`,
    });
  }

  const regional = await (await browser.newContext()).newPage();
  const operator = await (await browser.newContext()).newPage();
  await signIn(regional, REGIONAL);
  await signIn(operator, OPERATOR);
  for (const page of [regional, operator]) await jumpTo(page, [11.1, 50.5], 9);

  // Tiles: the operator's map draws both; the regional user's only the inside one.
  await waitFor(
    async () => {
      const seen = await seenOnMap(operator);
      return seen.tiles.includes(inside) && seen.tiles.includes(outside);
    },
    { message: "both assets in the operator's tiles" },
  );
  await waitFor(async () => (await seenOnMap(regional)).tiles.includes(inside), {
    message: "the inside asset in the regional user's tiles",
  });
  expect((await seenOnMap(regional)).tiles).not.toContain(outside);

  // The live stream: both move; the operator's map follows both, the regional user's only the inside one.
  for (let i = 1; i <= 3; i++) {
    await postTelemetry(inside, [{ lon: 10.9, lat: 50.5 + i * 0.01 }]);
    await postTelemetry(outside, [{ lon: 11.3, lat: 50.5 + i * 0.01 }]);
  }
  await waitFor(
    async () => {
      const seen = await seenOnMap(operator);
      return seen.live.includes(inside) && seen.live.includes(outside);
    },
    { message: "both assets live on the operator's map" },
  );
  await waitFor(async () => (await seenOnMap(regional)).live.includes(inside), {
    message: "the inside asset live on the regional user's map",
  });
  const regionalSeen = await seenOnMap(regional);
  expect(regionalSeen.live).not.toContain(outside);
  expect(regionalSeen.tiles).not.toContain(outside);

  // The name search lists only what the user may see.
  await regional.getByLabel('Find an asset by name').fill(tag);
  const results = regional.getByRole('list', { name: 'Matching assets' });
  await expect(results.getByRole('button', { name: `Inside ${tag}` })).toBeVisible();
  await expect(results.getByRole('button', { name: `Outside ${tag}` })).toHaveCount(0);
  await operator.getByLabel('Find an asset by name').fill(tag);
  await expect(operator.getByRole('button', { name: `Outside ${tag}` })).toBeVisible();

  // Opening the outside asset directly (a shared link) reveals nothing either.
  await regional.goto(`/console/#/live/${outside}`);
  await expect(regional.getByTestId('asset-details').getByRole('alert')).toBeVisible();
  await expect(regional.getByText(`Outside ${tag}`)).toHaveCount(0);
});
