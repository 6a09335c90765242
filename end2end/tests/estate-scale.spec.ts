// A 60-node estate (issue #20: LAB_SCALE=10, ten HA groups per region, 30 queue managers):
// the map draws each region's HA groups under their own line, a button that collapses the
// group to that line (which still says its nodes, queue managers and findings) and opens it
// onto its row of nodes; groups with nothing wrong start collapsed. A queue manager of a
// further group has its page with its own group's nodes, and a group lost opens by itself and
// shows as that group's, the others staying reachable and collapsed. The MQIPT routes follow
// the groups: the routes of one DR pair of HA groups (WDC-g and DAL-g hold G<g>QM1..3) stand
// behind one compact box while both its lines are collapsed and every one of its routes points
// at its DR primary; opening either line, or a route that points elsewhere or cannot be
// checked, shows them in full.
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
/** A route in its own box ("route 1541 G4QM1: …"), and the box standing for several. */
const route = (page: Page, port: number) => page.getByRole('group', { name: new RegExp(`^route ${port} `) });
const routes = (page: Page) => page.getByRole('group', { name: /^route \d+ / });
/** The route of group `g`'s i-th queue manager: 1501–1503 (the reference's), then 1500 + 10·g + i. */
const port = (g: number, i: number) => (g === 1 ? 1500 + i : 1500 + 10 * g + i);
const routeGroup = (page: Page, g: number) =>
  page.getByRole('group', { name: new RegExp(`^routes ${port(g, 1)}–${port(g, 3)} of HA groups WDC-${g} / DAL-${g}: `) });
const routeGroups = (page: Page) => page.getByRole('group', { name: /^routes \d+–\d+ of HA groups / });
/** The routes of group `g` in full, and no box for them together. */
async function routesInFull(page: Page, g: number) {
  for (let i = 1; i <= 3; i++) await expect(route(page, port(g, i))).toBeVisible();
  await expect(routeGroup(page, g)).toHaveCount(0);
}

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
  // The routes follow: one compact box per pair of groups, none in full.
  await expect(routeGroups(page)).toHaveCount(10);
  await expect(routes(page)).toHaveCount(0);
  await expect(routeGroup(page, 1)).toHaveAccessibleName(
    'routes 1501–1503 of HA groups WDC-1 / DAL-1: ok: 3 point at the DR primary',
  );
  const g5 = routeGroup(page, 5);
  await expect(g5).toContainText('Routes 1551–1553');
  await expect(g5).toContainText('HA groups WDC-5 / DAL-5');
  await expect(g5).toContainText('✓ 3 point at the DR primary');
  await expect(g5).toHaveClass(/\bok\b/);
  // The routes column now ends above the regions' bottom: the map is as tall as its regions.
  const mapBox = (await map(page).boundingBox())!;
  const lastRoutes = (await routeGroup(page, 10).boundingBox())!;
  const dal = (await region(page, 'DAL').boundingBox())!;
  console.log(`map height, all groups collapsed: ${Math.round(mapBox.height)} px (routes column ends at ${Math.round(lastRoutes.y + lastRoutes.height - mapBox.y)}, regions at ${Math.round(dal.y + dal.height - mapBox.y)})`);
  expect(lastRoutes.y + lastRoutes.height).toBeLessThanOrEqual(dal.y + dal.height);
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
  // Its routes show in full; the other groups' stay in their boxes.
  await routesInFull(page, 10);
  await expect(route(page, 1602)).toContainText('points at DAL, the DR primary');
  await expect(routeGroups(page)).toHaveCount(9);
  await expect(routeGroup(page, 9)).toBeVisible();
  await shotMap(page, 'estate-scale-group-open-map.png');
  const wdc7 = groupLine(page, 'WDC-7');
  await wdc7.focus();
  await page.keyboard.press('Enter');
  await expect(wdc7).toHaveAttribute('aria-expanded', 'true');
  await expect(node(page, 'wdc1-mq7').getByRole('group', { name: /^queue manager G7QM1 running on wdc1-mq7:/ })).toBeVisible();
  await expect(wdc7).toBeFocused();
  await routesInFull(page, 7);
  await page.keyboard.press('Space');
  await expect(wdc7).toHaveAttribute('aria-expanded', 'false');
  await expect(node(page, 'wdc1-mq7')).toHaveCount(0);
  await expect(routeGroup(page, 7)).toBeVisible();
  await expect(route(page, 1571)).toHaveCount(0);
  // The operator's choice outlives the refreshes that follow.
  await page.waitForTimeout(5_000);
  await expect(dal10).toHaveAttribute('aria-expanded', 'true');
  await expect(wdc7).toHaveAttribute('aria-expanded', 'false');

  // Expand all / Collapse all, per region.
  await page.getByRole('button', { name: 'Expand all HA groups of DAL' }).click();
  for (let g = 1; g <= 10; g++) await expect(groupLine(page, `DAL-${g}`)).toHaveAttribute('aria-expanded', 'true');
  await expect(region(page, 'DAL').getByRole('group', { name: /^node / })).toHaveCount(30);
  await expect(groupLine(page, 'WDC-1')).toHaveAttribute('aria-expanded', 'false');
  // Every pair has a line open (DAL's): every route in full.
  await expect(routes(page)).toHaveCount(30);
  await expect(routeGroups(page)).toHaveCount(0);
  await page.getByRole('button', { name: 'Collapse all HA groups of DAL' }).click();
  for (let g = 1; g <= 10; g++) await expect(groupLine(page, `DAL-${g}`)).toHaveAttribute('aria-expanded', 'false');
  await expect(page.getByRole('group', { name: /^node / })).toHaveCount(0);
  await expect(routeGroups(page)).toHaveCount(10);
  await expect(routes(page)).toHaveCount(0);

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
  // Group 4's routes in full: the two to WDC cannot be checked, G4QM2's still points at its DR
  // primary; every other pair stays one box.
  await routesInFull(page, 4);
  await expect(route(page, 1541)).toHaveAccessibleName(/^route 1541 G4QM1: unknown: cannot check/);
  await expect(route(page, 1543)).toContainText('cannot check');
  await expect(route(page, 1542)).toContainText('points at DAL, the DR primary');
  await expect(routes(page)).toHaveCount(3);
  await expect(routeGroups(page)).toHaveCount(9);
  for (const g of [1, 2, 3, 5, 6, 7, 8, 9, 10]) await expect(routeGroup(page, g)).toContainText('✓ 3 point at the DR primary');
  console.log(`map height, WDC-4 lost: ${Math.round((await map(page).boundingBox())!.height)} px`);
  await shot(page, 'estate-scale-group-lost.png');
  await shotMap(page, 'estate-scale-group-lost-map.png');
  // The operator may still collapse it: the line keeps telling.
  await wdc4.click();
  await expect(wdc4).toHaveAttribute('aria-expanded', 'false');
  await expect(node(page, 'wdc2-mq4')).toHaveCount(0);
  await expect(wdc4).toContainText('HA group WDC-4: 0 of 3 nodes reachable');
  // Both lines of group 4 collapsed: routes that cannot be checked are never hidden.
  await groupLine(page, 'DAL-4').click();
  await expect(groupLine(page, 'DAL-4')).toHaveAttribute('aria-expanded', 'false');
  await routesInFull(page, 4);
});
