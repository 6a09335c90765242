// The console in the browser against a lab of its own (real sshd per host, slapd, the seed's
// estate): sign-in by role, the estate map, a DR failover run by hand over ssh showing up live,
// a lost host, a lost event stream, and the queue manager and routes pages.
import { test, expect, Page, BrowserContext } from '@playwright/test';
import * as path from 'node:path';
import { repo } from './console';
import { startLab, Lab } from './lab';

const artifacts = path.join(repo, 'end2end', 'artifacts');
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(artifacts, name), fullPage: true });
/** Works at 1280×800 without scrolling sideways. */
async function fitsWidth(page: Page) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
}

test.describe.configure({ mode: 'serial' });

let lab: Lab;
let operator: BrowserContext;
let page: Page;

async function signIn(page: Page, user: string, password: string) {
  await page.goto(lab.url + '/');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByText('DEMO')).toHaveCount(0);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const node = (page: Page, name: string) => page.getByRole('group', { name: `node ${name}`, exact: true });
const qmCard = (page: Page, qm: string, how: 'running' | 'standby', on: string) =>
  page.getByRole('group', { name: new RegExp(`^queue manager ${qm} ${how} on ${on}:`) });
const route = (page: Page, port: string) => page.getByRole('group', { name: new RegExp(`^route ${port} `) });

test.beforeAll(async ({ browser }, info) => {
  info.setTimeout(60_000);
  lab = await startLab();
  operator = await browser.newContext();
  page = await operator.newPage();
});

test.afterAll(async () => {
  await operator?.close();
  await lab?.stop();
});

test('a viewer sees the estate; the refresh action is disabled with the reason', async ({ page: viewer }) => {
  await signIn(viewer, 'mqviewer', 'mqviewer');
  await expect(viewer.getByRole('heading', { name: 'Estate', exact: true })).toBeVisible();
  await expect(viewer.getByRole('banner')).toContainText('Viewer (read-only)');
  await expect(viewer.getByText('DEMO')).toHaveCount(0);
  const refresh = viewer.getByRole('button', { name: 'Refresh now' });
  await expect(refresh).toBeDisabled();
  await expect(refresh).toHaveAccessibleDescription(/Viewers cannot refresh the estate on demand/);
  await expect(node(viewer, 'wdc1-mq1')).toBeVisible();
  await viewer.getByRole('button', { name: 'Sign out' }).click();
  await expect(viewer.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(viewer.getByRole('status')).toContainText('You signed out');
});

test('a user in no console group is refused, and told why', async ({ page: refused }) => {
  await signIn(refused, 'app', 'app');
  const alert = refused.getByRole('alert');
  await expect(alert).toContainText('This account may not use the console');
  await expect(alert).toContainText('app signed in, but is in none of the groups that may use this console');
  await expect(alert).toContainText('mqadmins');
  await shot(refused, 'sign-in-refused.png');
  await refused.getByLabel('Password').fill('wrong');
  await refused.getByRole('button', { name: 'Sign in' }).click();
  await expect(alert).toContainText('Wrong user name or password');
  await expect(refused.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('an operator sees the seed\'s topology', async () => {
  await signIn(page, 'mqadmin', 'mqadmin');
  await expect(page.getByRole('heading', { name: 'Estate', exact: true })).toBeVisible();
  await expect(page.getByRole('banner')).toContainText('Operator');
  await expect(page.getByRole('banner')).toContainText('Live · last updated');
  for (const region of ['WDC', 'DAL']) {
    await expect(page.getByRole('group', { name: `region ${region}` })).toBeVisible();
    await expect(page.getByRole('group', { name: `load balancer ${region}` })).toBeVisible();
  }
  for (const name of ['wdc1-mq1', 'wdc2-mq1', 'wdc3-mq1']) {
    await expect(page.getByRole('group', { name: 'region WDC' }).getByRole('group', { name: `node ${name}`, exact: true })).toContainText('reachable');
  }
  for (const name of ['dal1-mq1', 'dal2-mq1', 'dal3-mq1']) {
    await expect(page.getByRole('group', { name: 'region DAL' }).getByRole('group', { name: `node ${name}`, exact: true })).toContainText('reachable');
  }
  await expect(node(page, 'wdc1-mq1').getByRole('group', { name: /^queue manager DRHAQM1 running on wdc1-mq1: Running;/ })).toBeVisible();
  await expect(node(page, 'wdc1-mq1').getByRole('group', { name: /^queue manager SSLDRHAQM1 running on wdc1-mq1: Running;/ })).toBeVisible();
  await expect(node(page, 'dal1-mq1').getByRole('group', { name: /^queue manager DRHAQM2 running on dal1-mq1: Running;/ })).toBeVisible();
  await expect(qmCard(page, 'DRHAQM1', 'running', 'wdc1-mq1')).toHaveAccessibleName(/HA Primary · Normal; DR Primary · Normal/);
  await expect(route(page, '1501')).toHaveAccessibleName(/^route 1501 DRHAQM1: ok: points at WDC, the DR primary/);
  await expect(route(page, '1503')).toContainText('TLS SSLServer+SSLClient');
  const table = page.getByRole('table', { name: /Queue managers/ });
  await expect(table.getByRole('row', { name: /DRHAQM2/ })).toContainText('dal1-mq1');
  await expect(table.getByRole('row', { name: /DRHAQM2/ })).toContainText('WDC: ready');

  await page.getByRole('button', { name: 'Refresh now' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Refreshed: estate as of' })).toBeVisible();
  await shot(page, 'estate.png');
  await fitsWidth(page);
});

test('the queue manager page shows every field read, its route and its actions', async () => {
  await page.getByRole('table', { name: /Queue managers/ }).getByRole('link', { name: 'SSLDRHAQM1' }).click();
  await expect(page).toHaveURL(/\/queue-managers\/SSLDRHAQM1$/);
  await expect(page.getByRole('heading', { name: 'Queue manager SSLDRHAQM1' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'WDC region — DR Primary' })).toBeVisible();
  const wdc1 = page.getByRole('article', { name: 'node wdc1-mq1' });
  const fields = wdc1.getByRole('table', { name: /rdqmstatus -m SSLDRHAQM1 on wdc1-mq1/ });
  await expect(fields.getByRole('row', { name: /DR port/ })).toContainText('7005');
  await expect(fields.getByRole('row', { name: /HA current location/ })).toContainText('This node');
  await expect(page.getByRole('article', { name: 'node dal1-mq1' })).toContainText('Ended immediately');
  await expect(page.getByText('HAMQ route 1503')).toBeVisible();
  const actions = page.getByRole('region', { name: 'Actions' });
  await expect(actions.getByRole('button', { name: 'Refresh now' })).toBeEnabled();
  await shot(page, 'queue-manager.png');
  await fitsWidth(page);
});

test('the routes page shows each route, where it resolves and whether that is right', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'MQIPT routes' }).click();
  await expect(page.getByRole('heading', { name: 'MQIPT routes', level: 1 })).toBeVisible();
  const routes = page.getByRole('table', { name: /Each route's destination/ });
  const r1501 = routes.getByRole('row', { name: /^1501 / });
  await expect(r1501).toContainText('3bdf30c3-us-east.lb.appdomain.cloud');
  await expect(r1501).toContainText('WDC');
  await expect(r1501).toContainText('plain');
  await expect(r1501).toContainText('ok: points at WDC, the DR primary');
  await expect(routes.getByRole('row', { name: /^1502 / })).toContainText('e8deec77-us-south.lb.appdomain.cloud');
  await expect(routes.getByRole('row', { name: /^1503 / })).toContainText('SSLServer+SSLClient');
  const props = page.getByRole('table', { name: 'Route 1503 (SSLDRHAQM1)' });
  await expect(props.getByRole('row', { name: /^SSLServerSiteLabel/i })).toContainText('mqiptserver');
  await expect(page.getByText('configuration read')).toBeVisible();
  await shot(page, 'routes.png');
  await fitsWidth(page);
});

test('a DR failover run by hand over ssh shows live: DRHAQM1 moves to DAL and route 1501 is flagged', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Estate' }).click();
  await expect(qmCard(page, 'DRHAQM1', 'running', 'wdc1-mq1')).toBeVisible();
  // A marker that a reload would erase: the page must change without one.
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  try {
    await lab.ssh('wdc1-mq1', 'rdqmdr -s -m DRHAQM1');
    await lab.ssh('dal1-mq1', 'rdqmdr -p -m DRHAQM1');
    const dal = page.getByRole('group', { name: 'region DAL' });
    await expect(dal.getByRole('group', { name: /^queue manager DRHAQM1 running on dal1-mq1: Running;/ })).toBeVisible({ timeout: 15_000 });
    await expect(qmCard(page, 'DRHAQM1', 'standby', 'wdc1-mq1')).toHaveAccessibleName(/DR Secondary/);
    await expect(route(page, '1501')).toHaveAccessibleName(/problem: points at WDC, DR primary is DAL/);
    await expect(route(page, '1501')).toContainText('⚠ points at WDC, DR primary is DAL');
    await expect(page.getByRole('region', { name: /Findings/ })).toContainText('route 1501 sends DRHAQM1 traffic to WDC');
    await expect(page.getByRole('table', { name: /Queue managers/ }).getByRole('row', { name: /^DRHAQM1 / })).toContainText('dal1-mq1');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await page.getByRole('region', { name: /Findings/ }).getByText(/route 1501 sends/).click();
    await expect(page.getByRole('region', { name: /Findings/ })).toContainText('Destination=3bdf30c3-us-east.lb.appdomain.cloud');
    await shot(page, 'estate-failover.png');
    await fitsWidth(page);
  } finally {
    // Back as the seed left it, for the tests after this one.
    await lab.ssh('dal1-mq1', 'rdqmdr -s -m DRHAQM1').catch(() => undefined);
    await lab.ssh('wdc1-mq1', 'rdqmdr -p -m DRHAQM1').catch(() => undefined);
  }
  await expect(qmCard(page, 'DRHAQM1', 'running', 'wdc1-mq1')).toBeVisible({ timeout: 15_000 });
  await expect(route(page, '1501')).toHaveAccessibleName(/ok: points at WDC/);
});

test('DR replication behind shows the data not yet replicated, on the map and in the findings', async () => {
  await lab.sim('fault', 'dr-status', 'DRHAQM1', 'Synchronization in progress', '2048');
  try {
    const card = qmCard(page, 'DRHAQM1', 'running', 'wdc1-mq1');
    await expect(card).toContainText('DR out of sync: 2048 KB', { timeout: 15_000 });
    await expect(card).toHaveAccessibleName(/DR Primary · Synchronization in progress; DR out of sync 2048 KB/);
    await expect(card).toHaveClass(/tone-warn/);
    await expect(page.getByRole('region', { name: /Findings/ })).toContainText('DRHAQM1: DR status in WDC is Synchronization in progress, 2048 KB not yet replicated');
    await shot(page, 'estate-dr-behind.png');
  } finally {
    await lab.sim('fault', 'clear');
  }
  await expect(qmCard(page, 'DRHAQM1', 'running', 'wdc1-mq1')).not.toContainText('out of sync', { timeout: 15_000 });
});

test('a host whose sshd stops is shown unreachable, with the age of what is shown for it', async () => {
  await lab.hook('down', 'wdc3-mq1');
  try {
    await expect(node(page, 'wdc3-mq1')).toContainText(/unreachable — data \d+ s old/, { timeout: 15_000 });
    await expect(node(page, 'wdc3-mq1')).toHaveClass(/unreachable/);
    await expect(node(page, 'wdc1-mq1')).toContainText('✓ reachable');
    await expect(page.getByRole('region', { name: /Findings/ })).toContainText('wdc3-mq1 is unreachable');
    await shot(page, 'estate-node-down.png');
    await fitsWidth(page);
  } finally {
    await lab.hook('up', 'wdc3-mq1');
  }
  await expect(node(page, 'wdc3-mq1')).toContainText('✓ reachable', { timeout: 20_000 });
});

test('a whole region lost: nothing in it is shown as healthy, and nothing is claimed about it', async () => {
  await lab.sim('fault', 'region-down', 'WDC');
  try {
    for (const name of ['wdc1-mq1', 'wdc2-mq1', 'wdc3-mq1']) {
      await expect(node(page, name)).toContainText(/unreachable — data \d+ s old/, { timeout: 15_000 });
    }
    const card = qmCard(page, 'DRHAQM1', 'running', 'wdc1-mq1');
    await expect(card).toHaveAccessibleName(/: Running \(stale data\);/);
    await expect(card).toContainText(/⚠ stale: as of \d+ s ago/);
    await expect(card).toHaveClass(/stale/);
    await expect(route(page, '1501')).toHaveAccessibleName(/unknown: cannot check: DRHAQM1's DR primary WDC does not answer/);
    const row = page.getByRole('table', { name: /Queue managers/ }).getByRole('row', { name: /^DRHAQM1 / });
    await expect(row).toContainText('unknown: WDC was DR primary when last heard from');
    await expect(row).toContainText('not in any region that answers (WDC does not)');
    await expect(row).toContainText('WDC: not ready');
    await shot(page, 'estate-region-down.png');
    await fitsWidth(page);
    await page.getByRole('table', { name: /Queue managers/ }).getByRole('link', { name: 'DRHAQM1', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'WDC region — DR Primary (last known: no node answers)' })).toBeVisible();
    await expect(page.getByRole('article', { name: 'node wdc1-mq1' })).toContainText('stale: from an earlier refresh');
    await expect(page.getByRole('article', { name: 'node wdc1-mq1' })).toContainText(/unreachable — data \d+ s old/);
    await shot(page, 'queue-manager-region-down.png');
    await fitsWidth(page);
  } finally {
    await lab.sim('fault', 'region-up', 'WDC');
  }
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Estate' }).click();
  await expect(qmCard(page, 'DRHAQM1', 'running', 'wdc1-mq1')).not.toHaveAccessibleName(/stale/, { timeout: 20_000 });
  await expect(node(page, 'wdc1-mq1')).toContainText('✓ reachable');
});

test('an isolated node and a cut DR link are never shown healthy, each with its evidence', async () => {
  await lab.sim('fault', 'node-isolate', 'wdc1-mq1');
  try {
    const findings = page.getByRole('region', { name: /Findings/ });
    await expect(findings).toContainText('wdc1-mq1 answers but has lost both HA peers', { timeout: 15_000 });
    await expect(node(page, 'wdc1-mq1')).toContainText('⚠ reachable, cut off from HA peers');
    await expect(qmCard(page, 'DRHAQM1', 'running', 'wdc2-mq1')).toBeVisible({ timeout: 15_000 });
    const row = page.getByRole('table', { name: /Queue managers/ }).getByRole('row', { name: /^DRHAQM1 / });
    await expect(row).toContainText('WDC: not ready');
    await shot(page, 'estate-node-isolated.png');
    await fitsWidth(page);
  } finally {
    await lab.sim('fault', 'node-rejoin', 'wdc1-mq1');
  }
  await expect(qmCard(page, 'DRHAQM1', 'running', 'wdc1-mq1')).toBeVisible({ timeout: 20_000 });
  // A node back from an outage resynchronises (a slow disk holds it there for the screenshot):
  // the group is not healthy until it is done, and the map says so on the nodes.
  await lab.sim('fault', 'slow-disk', 'wdc3-mq1', 'on');
  await lab.sim('fault', 'node-down', 'wdc3-mq1');
  await lab.sim('fault', 'node-up', 'wdc3-mq1');
  try {
    const findings = page.getByRole('region', { name: /Findings/ });
    await expect(findings).toContainText('HA status Synchronization in progress', { timeout: 15_000 });
    await expect(node(page, 'wdc3-mq1')).toContainText('⚠ reachable, HA resynchronising', { timeout: 15_000 });
    const row = page.getByRole('table', { name: /Queue managers/ }).getByRole('row', { name: /^DRHAQM1 / });
    await expect(row).toContainText('WDC: not ready');
    await shot(page, 'estate-resync.png');
  } finally {
    await lab.sim('fault', 'slow-disk', 'wdc3-mq1', 'off');
  }
  await expect(node(page, 'wdc3-mq1')).toContainText('✓ reachable', { timeout: 20_000 });
  await lab.sim('fault', 'dr-link-down');
  try {
    const findings = page.getByRole('region', { name: /Findings/ });
    await expect(findings).toContainText('Remote unavailable', { timeout: 15_000 });
    await expect(qmCard(page, 'DRHAQM1', 'running', 'wdc1-mq1')).toBeVisible();
    await expect(findings).not.toContainText('running in no region');
    await shot(page, 'estate-dr-link-cut.png');
    // DAL is promoted by hand across the cut link (an unplanned failover): a true split.
    await lab.ssh('dal1-mq1', 'rdqmdr -p -m DRHAQM1');
    await expect(findings).toContainText('DRHAQM1 is DR primary in WDC and DAL at once (partitioned)', { timeout: 15_000 });
    await expect(qmCard(page, 'DRHAQM1', 'running', 'dal1-mq1')).toBeVisible({ timeout: 15_000 });
    await expect(qmCard(page, 'DRHAQM1', 'running', 'wdc1-mq1')).toBeVisible();
    await shot(page, 'estate-split-after-failover.png');
  } finally {
    // DAL's side is discarded, as an operator resolving the split would choose here.
    await lab.ssh('dal1-mq1', 'rdqmdr -s -m DRHAQM1').catch(() => undefined);
    await lab.sim('fault', 'dr-link-up');
  }
  await expect(page.getByRole('region', { name: /Findings/ })).not.toContainText('at once (partitioned)', { timeout: 20_000 });
});

test('a Pacemaker ban that rdqmstatus does not show is shown beside it, and the region is not ready', async () => {
  await lab.sim('fault', 'pacemaker-ban', 'DAL', 'DRHAQM1');
  try {
    await expect(page.getByRole('region', { name: /Findings/ })).toContainText('Pacemaker has banned DRHAQM1', { timeout: 15_000 });
    await page.getByRole('table', { name: /Queue managers/ }).getByRole('link', { name: 'DRHAQM1', exact: true }).click();
    await expect(page.getByRole('list').filter({ hasText: 'DAL: not ready' })).toContainText(/Pacemaker|banned/);
    const dal1 = page.getByRole('article', { name: 'node dal1-mq1' });
    await expect(dal1.getByRole('group').filter({ hasText: 'DRBD and Pacemaker for DRHAQM1' })).toHaveAttribute('open', '');
    await expect(dal1).toContainText(/fail-count of drhaqm1 on dal\d-mq1: INFINITY \(banned\)/);
    await expect(dal1.getByRole('table', { name: 'drbdadm status on dal1-mq1' }).getByRole('row', { name: /^drhaqm1 / })).toContainText('UpToDate');
    await shot(page, 'queue-manager-pacemaker-ban.png');
    await fitsWidth(page);
  } finally {
    await lab.ssh('dal1-mq1', 'crm_resource --cleanup --resource drhaqm1').catch(() => undefined);
  }
  await expect(page.getByRole('list').filter({ hasText: 'DAL: ready' }).first()).toBeVisible({ timeout: 15_000 });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Estate' }).click();
});

test('when the console goes away the page says live updates are lost, and recovers', async () => {
  await lab.stopConsole();
  try {
    await expect(page.getByRole('alert').filter({ hasText: 'Live updates lost — reconnecting' })).toBeVisible({ timeout: 10_000 });
    await expect(page.getByRole('banner')).toContainText('Reconnecting');
    await shot(page, 'estate-stream-lost.png');
  } finally {
    await lab.startConsole();
  }
  await expect(page.getByRole('banner')).toContainText('Live · last updated', { timeout: 20_000 });
  await expect(page.getByRole('alert').filter({ hasText: 'Live updates lost' })).toHaveCount(0);
});

test('a session that ends on the server sends the page back to sign-in, saying why', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'MQIPT routes' }).click();
  await expect(page.getByRole('heading', { name: 'MQIPT routes', level: 1 })).toBeVisible();
  await operator.clearCookies();
  await page.goto(lab.url + '/routes');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Froutes$/);
  await page.getByLabel('User name').fill('mqadmin');
  await page.getByLabel('Password').fill('mqadmin');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'MQIPT routes', level: 1 })).toBeVisible();
  await page.getByRole('link', { name: 'Estate' }).click();
  // Now without a reload: the next request that gets 401 ends the session in the app.
  await operator.clearCookies();
  await page.getByRole('button', { name: 'Refresh now' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('You were signed out: sign in first.');
});
