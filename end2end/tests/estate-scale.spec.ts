// A 60-node estate (issue #20: LAB_SCALE=10, ten HA groups per region, 30 queue managers):
// the map draws each region's HA groups under their own line, a button that collapses the
// group to that line (which still says its nodes, queue managers and findings) and opens it
// onto its row of nodes; groups with nothing wrong start collapsed. A queue manager of a
// further group has its page with its own group's nodes, and a group lost opens by itself and
// shows as that group's, the others staying reachable and collapsed.
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
/** A group's line: the button that opens and collapses it. */
const groupLine = (page: Page, name: string) => page.getByRole('button', { name: new RegExp(`^HA group ${name}:`) });
const map = (page: Page) => page.locator('svg.estate-map');
const shotMap = (page: Page, name: string) => map(page).screenshot({ path: path.join(artifacts, name) });

test('sixty nodes in ten HA groups per region, a further group’s queue manager, and a group lost', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(lab.url + '/');
  await page.getByLabel('User name').fill('mqviewer');
  await page.getByLabel('Password').fill('mqviewer');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Estate', exact: true })).toBeVisible();

  // All well: every group is collapsed to its line, which still names it and says what it holds.
  for (const name of ['WDC', 'DAL']) {
    await expect(region(page, name)).toContainText('10 HA groups: 30 of 30 nodes reachable', { timeout: 20_000 });
    for (let g = 1; g <= 10; g++) {
      const line = groupLine(page, `${name}-${g}`);
      await expect(line).toHaveAttribute('aria-expanded', 'false');
      await expect(line).toContainText(`HA group ${name}-${g}: 3 of 3 nodes reachable`);
      await expect(line).toContainText('no findings');
    }
  }
  await expect(region(page, 'WDC')).toContainText('DR primary for 20 queue managers');
  await expect(region(page, 'WDC')).toContainText('HA group WDC-5: 3 of 3 nodes reachable · DR primary for G5QM1, G5QM3');
  await expect(region(page, 'DAL')).toContainText('HA group DAL-5: 3 of 3 nodes reachable · DR primary for G5QM2');
  await expect(groupLine(page, 'WDC-5')).toContainText('G5QM1, G5QM3 running · G5QM2 standby');
  await expect(groupLine(page, 'DAL-5')).toContainText('G5QM2 running · G5QM1, G5QM3 standby');
  await expect(page.getByRole('group', { name: /^node / })).toHaveCount(0);
  await shot(page, 'estate-scale-60-nodes.png');
  await shotMap(page, 'estate-scale-collapsed-map.png');

  // A click opens a group onto its nodes (aria-controls names them); the keyboard does too,
  // and the line keeps the focus.
  const dal10 = groupLine(page, 'DAL-10');
  await dal10.click();
  await expect(dal10).toHaveAttribute('aria-expanded', 'true');
  await expect(node(page, 'dal3-mq10')).toContainText('✓ reachable');
  await expect(page.locator(`#${await dal10.getAttribute('aria-controls')}`).getByRole('group', { name: /^node / })).toHaveCount(3);
  await expect(groupLine(page, 'DAL-9')).toHaveAttribute('aria-expanded', 'false');
  const wdc7 = groupLine(page, 'WDC-7');
  await wdc7.focus();
  await page.keyboard.press('Enter');
  await expect(wdc7).toHaveAttribute('aria-expanded', 'true');
  await expect(node(page, 'wdc1-mq7').getByRole('group', { name: /^queue manager G7QM1 running on wdc1-mq7:/ })).toBeVisible();
  await expect(wdc7).toBeFocused();
  await page.keyboard.press('Space');
  await expect(wdc7).toHaveAttribute('aria-expanded', 'false');
  await expect(node(page, 'wdc1-mq7')).toHaveCount(0);
  // The operator's choice outlives the refreshes that follow.
  await page.waitForTimeout(5_000);
  await expect(dal10).toHaveAttribute('aria-expanded', 'true');
  await expect(wdc7).toHaveAttribute('aria-expanded', 'false');

  // Expand all / Collapse all, per region.
  await page.getByRole('button', { name: 'Expand all HA groups of DAL' }).click();
  for (let g = 1; g <= 10; g++) await expect(groupLine(page, `DAL-${g}`)).toHaveAttribute('aria-expanded', 'true');
  await expect(region(page, 'DAL').getByRole('group', { name: /^node / })).toHaveCount(30);
  await expect(groupLine(page, 'WDC-1')).toHaveAttribute('aria-expanded', 'false');
  await page.getByRole('button', { name: 'Collapse all HA groups of DAL' }).click();
  for (let g = 1; g <= 10; g++) await expect(groupLine(page, `DAL-${g}`)).toHaveAttribute('aria-expanded', 'false');
  await expect(page.getByRole('group', { name: /^node / })).toHaveCount(0);

  // The choices outlive a visit to a queue manager's page (opened from its card) and back.
  await groupLine(page, 'DAL-7').click();
  await node(page, 'dal1-mq7').getByRole('link', { name: 'Open queue manager G7QM2' }).click();
  await expect(page.getByRole('heading', { name: 'Queue manager G7QM2' })).toBeVisible();
  await page.goBack();
  await expect(groupLine(page, 'DAL-7')).toHaveAttribute('aria-expanded', 'true');
  await expect(groupLine(page, 'DAL-6')).toHaveAttribute('aria-expanded', 'false');

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
  // The lost group opened by itself and says so on its line; its DR partner, which now holds
  // the queue managers that run nowhere, too; the others stay collapsed.
  const wdc4 = groupLine(page, 'WDC-4');
  await expect(wdc4).toHaveAttribute('aria-expanded', 'true');
  await expect(wdc4).toContainText('last known DR primary for G4QM1, G4QM3 (no answer now)');
  await expect(wdc4).toContainText('G4QM1, G4QM3 last seen running · G4QM2 last seen standby');
  await expect(wdc4).toContainText(/\d+ findings, worst critical/);
  await expect(node(page, 'wdc2-mq4')).toHaveClass(/unreachable/);
  await expect(groupLine(page, 'DAL-4')).toHaveAttribute('aria-expanded', 'true');
  for (const name of ['WDC-5', 'WDC-3', 'DAL-5']) {
    await expect(groupLine(page, name)).toHaveAttribute('aria-expanded', 'false');
    await expect(groupLine(page, name)).toContainText('3 of 3 nodes reachable');
  }
  await expect(node(page, 'wdc2-mq5')).toHaveCount(0);
  await shot(page, 'estate-scale-group-lost.png');
  await shotMap(page, 'estate-scale-group-lost-map.png');
  // The operator may still collapse it: the line keeps telling.
  await wdc4.click();
  await expect(wdc4).toHaveAttribute('aria-expanded', 'false');
  await expect(node(page, 'wdc2-mq4')).toHaveCount(0);
  await expect(wdc4).toContainText('HA group WDC-4: 0 of 3 nodes reachable');
});
