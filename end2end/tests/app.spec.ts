// The app against the console in demo mode (in-process simulated estate, demo directory): it
// mounts under the content security policy, marks DEMO on every page, brings a signed-out
// visitor back where they were going, and says how long to wait when sign-in is rate-limited.
import { test, expect } from '@playwright/test';
import * as path from 'node:path';
import { startDemo, repo, Console } from './console';

const artifacts = path.join(repo, 'end2end', 'artifacts');

test.describe.configure({ mode: 'serial' });

let server: Console;

test.beforeAll(async () => {
  server = await startDemo();
});

test.afterAll(async () => {
  await server?.stop();
});

test('the app mounts under the server\'s content security policy and asks to sign in', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // The start-up check of GET /api/session answers 401 when nobody is signed in; the
    // browser logs that itself. Anything else (a CSP violation, a panic) is a failure.
    if (m.type() === 'error' && !m.text().includes('401 (Unauthorized)')) errors.push(m.text());
  });
  await page.goto(server.url);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByLabel('User name')).toBeVisible();
  // GET /api/info says so before anyone signs in.
  await expect(page.getByRole('banner')).toContainText('DEMO — simulated estate');
  await page.screenshot({ path: path.join(artifacts, 'sign-in.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('signed out, a deep link leads through sign-in to the page asked for; DEMO shows on every page', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url + '/routes');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Froutes$/);
  await page.getByLabel('User name').fill('mqadmin');
  await page.getByLabel('Password').fill('mqadmin');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'MQIPT routes', level: 1 })).toBeVisible();
  await expect(page.getByRole('banner')).toContainText('DEMO — simulated estate');
  await page.getByRole('link', { name: 'Estate' }).click();
  await expect(page.getByRole('group', { name: 'node wdc1-mq1', exact: true })).toBeVisible();
  await expect(page.getByRole('banner')).toContainText('DEMO — simulated estate');
  // The map's queue manager cards are links into the app, reachable from the keyboard.
  await page.getByRole('link', { name: 'Open queue manager DRHAQM2' }).first().focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Queue manager DRHAQM2' })).toBeVisible();
  await expect(page.getByRole('banner')).toContainText('DEMO — simulated estate');
  // After a reload the app asks the server who is signed in and carries on.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Queue manager DRHAQM2' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Refresh now' })).toBeEnabled();
  await page.getByRole('button', { name: 'Refresh now' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Refreshed' })).toBeVisible();
  await page.goto(server.url + '/no/such/page');
  await expect(page.getByRole('heading', { name: 'No such page' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('a next= that leads off the site is not followed after sign-in', async ({ browser }) => {
  for (const next of ['/\\evil.example', '//evil.example', 'https://evil.example/x', '/\\/evil.example']) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url + '/sign-in?next=' + encodeURIComponent(next));
    await page.getByLabel('User name').fill('mqviewer');
    await page.getByLabel('Password').fill('mqviewer');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('link', { name: 'Estate' })).toBeVisible();
    expect(new URL(page.url()).origin).toBe(new URL(server.url).origin);
    expect(new URL(page.url()).pathname).toBe('/');
    await context.close();
  }
});

test('too many sign-in attempts: the page says so and how long to wait', async ({ page }) => {
  await page.goto(server.url + '/sign-in');
  await page.getByLabel('User name').fill('mqadmin');
  await page.getByLabel('Password').fill('mqadmin');
  // Use up the attempts this address has (the limit is per user name and per address; one
  // comes back every 6 s, so the page's attempt follows at once).
  for (let i = 0; i < 20; i++) {
    const response = await page.request.post(server.url + '/api/session', { data: { username: 'nobody', password: 'x' } });
    if (response.status() === 429) break;
  }
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Too many sign-in attempts');
  await expect(alert).toContainText(/Try again in \d+ s\./);
  await expect(page.getByRole('button', { name: /Sign in \(wait \d+ s\)/ })).toBeDisabled();
  await page.screenshot({ path: path.join(artifacts, 'sign-in-rate-limited.png'), fullPage: true });
});
