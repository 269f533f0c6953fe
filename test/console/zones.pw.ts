/**
 * The zones screen: drawing a zone on the map and saving it, the geofence feed when an asset
 * crosses into it, a self-intersecting outline refused at the form with the API's words, and
 * renaming (through a concurrent change: 412, reload) and archiving a zone.
 */
import { randomUUID } from 'node:crypto';
import { expect, type Page, test } from '@playwright/test';
import {
  apiRequest,
  clickMap,
  jumpTo,
  type LonLat,
  postTelemetry,
  registerAsset,
  screenshot,
  signIn,
  waitFor,
} from './fixtures';
import { OPERATOR } from './users';

interface ZoneBody {
  readonly id: string;
  readonly geometry?: { readonly coordinates: readonly (readonly (readonly number[])[])[] };
  readonly properties: { readonly name: string; readonly version: number; readonly archivedAt: string | null };
}
interface ZoneListBody {
  readonly features: readonly ZoneBody[];
}

/** A place of its own for each test (other tests draw elsewhere at the same time). */
const somewhere = (): LonLat => [12 + Math.random() * 8, 44 + Math.random() * 6];

/** Waits until the map stands still (after a fit to a zone). */
const mapSettled = (page: Page) =>
  waitFor(
    () =>
      page.evaluate(() => {
        const map = (globalThis as unknown as { meridianMap: { isMoving(): boolean } }).meridianMap;
        return !map.isMoving();
      }),
    { message: 'the map standing still' },
  );

/** Drags on the map from one lon/lat to another, in small steps. */
async function dragMap(page: Page, from: LonLat, to: LonLat): Promise<void> {
  const box = await page.getByTestId('map').boundingBox();
  if (!box) throw new Error('no map');
  const [a, b] = await page.evaluate(
    ([p, q]) => {
      const map = (globalThis as unknown as { meridianMap: { project(p: [number, number]): { x: number; y: number } } })
        .meridianMap;
      return [map.project([p[0], p[1]]), map.project([q[0], q[1]])];
    },
    [from, to] as const,
  );
  if (!a || !b) throw new Error('no projection');
  await page.mouse.move(box.x + a.x, box.y + a.y);
  await page.mouse.down();
  await page.mouse.move(box.x + b.x, box.y + b.y, { steps: 10 });
  await page.mouse.up();
}

/** Draws an outline by clicking its corners, then the first corner again to close it. */
async function drawOutline(page: Page, corners: readonly LonLat[]): Promise<void> {
  for (const corner of corners) {
    await clickMap(page, corner);
    // The next click must not be a double-click (which MapLibre would zoom on).
    await page.mouse.move(0, 0);
  }
  await clickMap(page, corners[0] as LonLat);
  await expect(page.getByTestId('zones-shape')).toContainText(`${corners.length} corners`);
}

const square = ([lon, lat]: LonLat, d: number): LonLat[] => [
  [lon - d, lat - d],
  [lon + d, lat - d],
  [lon + d, lat + d],
  [lon - d, lat + d],
];

async function openZones(page: Page): Promise<void> {
  await signIn(page, OPERATOR);
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Zones' }).click();
  await expect(page.getByRole('heading', { name: 'Zones', level: 2 })).toBeVisible();
}

const zoneList = (page: Page) => page.getByRole('list', { name: 'Zones' });

test('draw a zone and save it; an asset crossing into it shows in the geofence feed', async ({ page }) => {
  const suffix = randomUUID().slice(0, 8);
  const zoneName = `Drawn yard ${suffix}`;
  const assetName = `Crossing drone ${suffix}`;
  const registering = registerAsset({ name: assetName, kind: 'drone' });
  const centre = somewhere();

  await openZones(page);
  await jumpTo(page, centre, 12);
  await page.getByRole('button', { name: 'Draw zone' }).click();
  await drawOutline(page, square(centre, 0.01));
  const form = page.getByRole('form', { name: 'New zone' });
  await form.getByLabel('Name').fill(zoneName);
  await form.getByLabel('Kind').selectOption({ label: 'Restricted' });
  await form.getByLabel('Sensitivity').selectOption('0'); // the operator's clearance: 0
  await form.getByRole('button', { name: 'Save' }).click();

  // Readable: in the list, selected (its details), and in the address.
  await expect(zoneList(page).getByText(zoneName, { exact: true })).toBeVisible();
  const details = page.getByTestId('zone-details');
  await expect(details.getByRole('heading', { name: zoneName })).toBeVisible();
  await expect(details).toContainText('Restricted');
  const zoneId = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
  const stored = await apiRequest<ZoneBody>('GET', `/v1/zones/${zoneId}`);
  expect(stored.status).toBe(200);
  expect(stored.body.properties.name).toBe(zoneName);

  // An asset flies in from outside: the feed says so, with both names.
  const assetId = await registering;
  await expect(page.getByText('Live', { exact: true })).toBeVisible(); // the stream is connected
  const now = Date.now();
  await postTelemetry(assetId, [
    { lon: centre[0] + 0.03, lat: centre[1], ts: new Date(now - 3000) },
    { lon: centre[0] + 0.015, lat: centre[1], ts: new Date(now - 2000) },
    { lon: centre[0], lat: centre[1], ts: new Date(now - 1000) },
  ]);
  const feed = page.getByRole('region', { name: 'Geofence events' });
  await expect(feed.getByRole('listitem').filter({ hasText: zoneName })).toContainText(
    `${assetName} entered ${zoneName} at`,
  );
  await screenshot(page, 'zones');

  // Leave the shared system as it was.
  expect((await apiRequest('DELETE', `/v1/zones/${zoneId}`)).status).toBe(204);
});

test('a self-intersecting outline is refused at the form in the API’s words, unsaved; typed corners fix it', async ({
  page,
}) => {
  const name = `Bow tie ${randomUUID().slice(0, 8)}`;
  const [lon, lat] = somewhere();
  const d = 0.01;

  await openZones(page);
  await jumpTo(page, [lon, lat], 12);
  await page.getByRole('button', { name: 'Draw zone' }).click();
  // A bow tie: its second and fourth edges cross.
  await drawOutline(page, [
    [lon - d, lat - d],
    [lon + d, lat + d],
    [lon + d, lat - d],
    [lon - d, lat + d],
  ]);
  const form = page.getByRole('form', { name: 'New zone' });
  await form.getByLabel('Name').fill(name);
  await form.getByRole('button', { name: 'Save' }).click();

  await expect(form.getByRole('alert')).toContainText('self-intersection');
  await expect(form.getByRole('alert')).toContainText('ZONE.GEOMETRY_INVALID');
  await expect(form.getByLabel('Name')).toHaveValue(name); // still there, to fix and save again

  const bbox = [lon - 1, lat - 1, lon + 1, lat + 1].join(',');
  const around = await apiRequest<ZoneListBody>('GET', `/v1/zones?bbox=${bbox}&limit=1000`);
  expect(around.status).toBe(200);
  expect(around.body.features.filter((z) => z.properties.name === name)).toHaveLength(0);
  await expect(zoneList(page).getByText(name, { exact: true })).toHaveCount(0);

  // Fixed without a pointer: the corners typed, shown on the map, saved.
  await form.getByText('Type the corners instead').click();
  const corners = form.getByLabel('Corners, one “lon, lat” per line');
  await expect(corners).toHaveValue(/\n/); // the drawn corners, to correct
  await corners.fill(
    square([lon, lat], d)
      .map(([x, y]) => `${x}, ${y}`)
      .join('\n'),
  );
  await form.getByRole('button', { name: 'Show on the map' }).click();
  await expect(page.getByTestId('zones-shape')).toContainText('4 corners');
  await form.getByRole('button', { name: 'Save' }).press('Enter');
  await expect(zoneList(page).getByText(name, { exact: true })).toBeVisible();
  const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
  expect((await apiRequest('DELETE', `/v1/zones/${id}`)).status).toBe(204);
});

test('rename a zone (after a concurrent change: 412, reload) and archive it', async ({ page }) => {
  const suffix = randomUUID().slice(0, 8);
  const [lon, lat] = somewhere();
  const created = await apiRequest<{ id: string }>('POST', '/v1/zones', {
    name: `Depot ${suffix}`,
    kind: 'geofence',
    geometry: { type: 'Polygon', coordinates: [[...square([lon, lat], 0.01), [lon - 0.01, lat - 0.01]]] },
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  await waitFor(async () => (await apiRequest('GET', `/v1/zones/${id}`)).status === 200, {
    message: 'zone readable',
  });

  await openZones(page);
  await page.getByLabel('Find a zone by name').fill(suffix);
  await zoneList(page)
    .getByRole('button', { name: new RegExp(`Depot ${suffix}`) })
    .click();
  await expect(page).toHaveURL(new RegExp(`#/zones/${id}$`));
  const details = page.getByTestId('zone-details');
  await expect(details.getByRole('heading', { name: `Depot ${suffix}` })).toBeVisible();
  await details.getByRole('button', { name: 'Edit' }).click();
  const form = page.getByRole('form', { name: `Edit “Depot ${suffix}”` });
  await expect(page.getByTestId('zones-shape')).toContainText('4 corners'); // the outline, to reshape

  // Someone else renames it meanwhile: saving over their change is refused, in words, with "Reload".
  const theirs = await apiRequest('PUT', `/v1/zones/${id}`, {
    name: `Depot ${suffix} (theirs)`,
    geometry: { type: 'Polygon', coordinates: [[...square([lon, lat], 0.01), [lon - 0.01, lat - 0.01]]] },
  });
  expect(theirs.status).toBe(200);
  await form.getByLabel('Name').fill(`Depot ${suffix} (mine)`);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toContainText('Someone else changed this zone');
  await form.getByRole('button', { name: 'Reload' }).click();

  const reloaded = page.getByRole('form', { name: `Edit “Depot ${suffix} (theirs)”` });
  await expect(reloaded.getByLabel('Name')).toHaveValue(`Depot ${suffix} (theirs)`);
  await reloaded.getByLabel('Name').fill(`Renamed depot ${suffix}`);
  // Reshape: drag the north-east corner inwards.
  await mapSettled(page);
  await dragMap(page, [lon + 0.01, lat + 0.01], [lon + 0.005, lat + 0.005]);
  await reloaded.getByRole('button', { name: 'Save' }).click();
  await expect(zoneList(page).getByText(`Renamed depot ${suffix}`, { exact: true })).toBeVisible();
  await expect(details.getByRole('heading', { name: `Renamed depot ${suffix}` })).toBeVisible();
  const renamed = await apiRequest<ZoneBody>('GET', `/v1/zones/${id}`);
  expect(renamed.body.properties.name).toBe(`Renamed depot ${suffix}`);
  const corners = renamed.body.geometry?.coordinates[0] ?? [];
  const near = (x: number, y: number) =>
    corners.some(([cx, cy]) => Math.abs((cx ?? 0) - x) < 0.001 && Math.abs((cy ?? 0) - y) < 0.001);
  expect(near(lon + 0.005, lat + 0.005)).toBe(true); // the corner moved…
  expect(near(lon + 0.01, lat + 0.01)).toBe(false); // …from where it was

  // Archive: a confirmation first; then it leaves the list (and reads as archived).
  await details.getByRole('button', { name: 'Archive…' }).click();
  await page.getByRole('group', { name: 'Confirm archiving' }).getByRole('button', { name: 'Yes, archive' }).click();
  await expect(page.getByText(`Zone “Renamed depot ${suffix}” archived.`)).toBeVisible();
  await expect(zoneList(page).getByText(`Renamed depot ${suffix}`, { exact: true })).toHaveCount(0);
  expect((await apiRequest<ZoneBody>('GET', `/v1/zones/${id}`)).body.properties.archivedAt).not.toBeNull();
});
