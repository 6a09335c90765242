// The estate follows the event stream's changes (issue #20): the whole estate arrives once,
// then each refresh sends what changed (estate-delta) or a heartbeat (estate-heartbeat). A host
// lost shows within one poll without the page reloading or fetching the whole estate again, and
// the "last updated" clock keeps ticking on heartbeats.
import { test, expect, Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repo } from './console';
import { startLab, Lab } from './lab';

let lab: Lab;

test.beforeAll(async ({}, info) => {
  info.setTimeout(60_000);
  lab = await startLab();
});

test.afterAll(async () => {
  await lab?.stop();
});

const node = (page: Page, name: string) => page.getByRole('group', { name: `node ${name}`, exact: true });

/** The events the page's stream received, by name, with the size of their data. */
type Heard = [string, number][];
const heard = (page: Page) => page.evaluate(() => (window as unknown as { heard: [string, number][] }).heard.slice());

/** The age the header shows ("Live · last updated 3 s ago"), in seconds. */
async function shownAge(page: Page): Promise<number> {
  const text = (await page.getByRole('banner').textContent()) ?? '';
  const match = text.match(/Live · last updated (\d+) s ago/);
  expect(match, text).not.toBeNull();
  return Number(match![1]);
}

test('a host lost shows unreachable within one poll from the stream’s changes alone, and the clock ticks', async ({ page }) => {
  const config = fs.readFileSync(lab.env.LAB_CONSOLE_CONFIG, 'utf8');
  const intervalMs = 1000 * Number(config.match(/^interval_secs\s*=\s*(\d+)/m)![1]);
  // Every event the app's EventSource receives, recorded beside the app's own listeners.
  await page.addInitScript(() => {
    const w = window as unknown as { heard: [string, number][]; EventSource: typeof EventSource };
    w.heard = [];
    const Original = w.EventSource;
    w.EventSource = class extends Original {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        for (const name of ['estate', 'estate-delta', 'estate-heartbeat']) {
          this.addEventListener(name, (e) => w.heard.push([name, String((e as MessageEvent).data).length]));
        }
      }
    };
  });
  const estateFetches: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/estate') estateFetches.push(r.url());
  });

  await page.goto(lab.url + '/');
  await page.getByLabel('User name').fill('mqviewer');
  await page.getByLabel('Password').fill('mqviewer');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Estate', exact: true })).toBeVisible();
  await expect(node(page, 'dal2-mq1')).toContainText('✓ reachable');

  // Refreshes that change nothing arrive as heartbeats: the clock ticks and starts again.
  const ages: number[] = [];
  for (let i = 0; i < 8; i++) {
    ages.push(await shownAge(page));
    await page.waitForTimeout(500);
  }
  expect(new Set(ages).size, `${ages}`).toBeGreaterThan(1);
  expect(Math.max(...ages), `${ages}`).toBeLessThanOrEqual(intervalMs / 1000 + 1);
  // The first refreshes after a lab starts may still carry changes (the certificate
  // inventory's findings, layers settling): wait for the estate to be quiet.
  await expect
    .poll(async () => (await heard(page)).filter(([name]) => name === 'estate-heartbeat').length, { timeout: 6 * intervalMs })
    .toBeGreaterThan(0);
  const before: Heard = await heard(page);
  expect(before[0][0]).toBe('estate');
  expect(before.filter(([name]) => name === 'estate')).toHaveLength(1);
  const heartbeats = before.filter(([name]) => name === 'estate-heartbeat');
  for (const [, size] of heartbeats) expect(size).toBeLessThan(200);

  // A marker a reload would erase, and the fetches of the whole estate so far.
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  const fetched = estateFetches.length;
  const at = Date.now();
  await lab.sim('fault', 'node-down', 'dal2-mq1');
  try {
    await expect(node(page, 'dal2-mq1')).toContainText(/unreachable — data \d+ s old/, { timeout: 2 * intervalMs + 5_000 });
    const took = Date.now() - at;
    // The next refresh after the fault starts within an interval; it and the event take the rest.
    expect(took, `${took} ms`).toBeLessThan(intervalMs + 2_000);
    await expect(node(page, 'dal2-mq1')).toHaveClass(/unreachable/);
    await expect(node(page, 'dal1-mq1')).toContainText('✓ reachable');
    await expect(page.getByRole('region', { name: /Findings/ })).toContainText('dal2-mq1 is unreachable');
    const after: Heard = (await heard(page)).slice(before.length);
    expect(after.some(([name]) => name === 'estate-delta'), JSON.stringify(after)).toBe(true);
    expect(after.filter(([name]) => name === 'estate')).toHaveLength(0);
    expect(estateFetches.length).toBe(fetched);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // The clock goes on: the estate is new, and the age of the lost host's data grows.
    expect(await shownAge(page)).toBeLessThanOrEqual(intervalMs / 1000 + 1);
    await page.waitForTimeout(intervalMs + 500);
    await expect(page.getByRole('banner')).toContainText(/Live · last updated \d+ s ago/);
    expect(await shownAge(page)).toBeLessThanOrEqual(intervalMs / 1000 + 1);
    const lost = (await node(page, 'dal2-mq1').textContent()) ?? '';
    expect(Number(lost.match(/data (\d+) s old/)![1]), lost).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: path.join(repo, 'end2end', 'artifacts', 'estate-stream-node-down.png'), fullPage: true });
  } finally {
    await lab.sim('fault', 'node-up', 'dal2-mq1');
  }
  await expect(node(page, 'dal2-mq1')).toContainText('✓ reachable', { timeout: 20_000 });
  expect(estateFetches.length).toBe(fetched);
});
