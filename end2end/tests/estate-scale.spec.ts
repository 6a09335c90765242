// A 60-node estate (issue #20: LAB_SCALE=10, ten HA groups per region, 30 queue managers):
// the map draws each region's HA groups as rows under their own line, a queue manager of a
// further group has its page with its own group's nodes, and a group lost shows as that
// group's, the others staying reachable.
import { test, expect, Page } from '@playwright/test';
import * as path from 'node:path';
import { repo } from './console';
import { startLab, Lab } from './lab';

const artifacts = path.join(repo, 'end2end', 'artifacts');
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(artifacts, name), fullPage: true });

let lab: Lab;

test.beforeAll(async ({}, info) => {
  info.setTimeout(120_000);
  lab = await startLab({ scale: 10 });
});

test.afterAll(async () => {
  await lab?.stop();
});

const region = (page: Page, name: string) => page.getByRole('group', { name: `region ${name}`, exact: true });
const node = (page: Page, name: string) => page.getByRole('group', { name: `node ${name}`, exact: true });

test('sixty nodes in ten HA groups per region, a further group’s queue manager, and a group lost', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(lab.url + '/');
  await page.getByLabel('User name').fill('mqviewer');
  await page.getByLabel('Password').fill('mqviewer');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Estate', exact: true })).toBeVisible();

  for (const name of ['WDC', 'DAL']) {
    await expect(region(page, name)).toContainText('10 HA groups: 30 of 30 nodes reachable', { timeout: 20_000 });
    for (const g of [1, 5, 10]) {
      await expect(region(page, name)).toContainText(`HA group ${name}-${g}: 3 of 3 nodes reachable`);
    }
  }
  await expect(region(page, 'WDC')).toContainText('DR primary for 20 queue managers');
  await expect(region(page, 'WDC')).toContainText('HA group WDC-5: 3 of 3 nodes reachable · DR primary for G5QM1, G5QM3');
  await expect(region(page, 'DAL')).toContainText('HA group DAL-5: 3 of 3 nodes reachable · DR primary for G5QM2');
  await expect(node(page, 'dal3-mq10')).toContainText('✓ reachable');
  await shot(page, 'estate-scale-60-nodes.png');

  // A queue manager of group 7 is read from its own group's nodes only.
  await page.goto(lab.url + '/queue-managers/G7QM2');
  await expect(page.getByRole('heading', { name: 'Queue manager G7QM2' })).toBeVisible();
  await expect(page.getByRole('main')).toContainText('wdc1-mq7');
  await expect(page.getByRole('main')).toContainText('dal3-mq7');
  await expect(page.getByRole('main')).not.toContainText('wdc1-mq1');
  await shot(page, 'estate-scale-qmgr-G7QM2.png');

  // Group WDC-4's three nodes lost: that group says so, the others stay whole.
  await page.goto(lab.url + '/');
  for (const n of [1, 2, 3]) await lab.sim('fault', 'node-down', `wdc${n}-mq4`);
  await expect(region(page, 'WDC')).toContainText('HA group WDC-4: 0 of 3 nodes reachable', { timeout: 15_000 });
  await expect(page.getByRole('region', { name: /Findings/ })).toContainText(
    'G4QM1 is running in no region that answers: WDC (HA group WDC-4), its last known DR primary, does not answer',
  );
  await expect(region(page, 'WDC')).toContainText('HA group WDC-5: 3 of 3 nodes reachable');
  await expect(region(page, 'WDC')).toContainText('10 HA groups: 27 of 30 nodes reachable');
  await expect(node(page, 'wdc2-mq4')).toHaveClass(/unreachable/);
  await expect(node(page, 'wdc2-mq5')).toContainText('✓ reachable');
  await shot(page, 'estate-scale-group-lost.png');
});
