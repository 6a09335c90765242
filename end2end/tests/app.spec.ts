import { test, expect } from '@playwright/test';
import * as path from 'node:path';
import { startDemo, repo, Console } from './console';

let server: Console;

test.beforeAll(async () => {
  server = await startDemo();
});

test.afterAll(async () => {
  await server?.stop();
});

test('the app mounts in Chromium under the server\'s content security policy', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(server.url);
  // The heading is rendered by the wasm app, not by index.html: it proves the app mounted.
  await expect(page.getByRole('heading', { name: 'rdqm-console' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('The console is running');
  await page.screenshot({ path: path.join(repo, 'end2end', 'artifacts', 'home.png'), fullPage: true });
  expect(errors).toEqual([]);
});
