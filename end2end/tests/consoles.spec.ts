// A console per region on one etcd store (LAB_CONSOLES=2: three etcd members, the WDC and DAL
// consoles), in two browser sessions, one on each console: each header says which console it
// is and the store's state; a switchover executed on WDC is followed live on DAL, both naming
// the console that executes it; with two etcd members down both consoles say, on every page,
// that workflows cannot run while the estate stays live, and refuse a workflow in those words;
// with the members back the banner goes by itself.
import { test, expect, Page, BrowserContext } from '@playwright/test';
import * as path from 'node:path';
import { repo } from './console';
import { startLab, Lab } from './lab';

const artifacts = path.join(repo, 'end2end', 'artifacts');
const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: path.join(artifacts, name), fullPage });
const SWITCH = "Switch DRHAQM1's DR primary to DAL (planned switchover)";

test.describe.configure({ mode: 'serial' });

let lab: Lab;
let wdcContext: BrowserContext;
let dalContext: BrowserContext;
let wdc: Page;
let dal: Page;

async function signIn(p: Page, base: string, user: string) {
  await p.goto(base + '/sign-in');
  await p.getByLabel('User name').fill(user);
  await p.getByLabel('Password').fill(user);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await expect(p.getByRole('heading', { name: 'Estate', exact: true })).toBeVisible();
}

const nav = (p: Page, name: string) => p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
/** The header's line naming the console and its store (a disclosure opening onto the instances). */
const storeLine = (p: Page) => p.getByRole('banner').locator('summary');
const storeBanner = (p: Page) => p.getByRole('alert').filter({ hasText: 'Workflows cannot run on this console' });
/** The "Console" fact of a run's page. */
const runConsole = (p: Page) => p.locator('dl.facts dt', { hasText: /^Console$/ }).locator('xpath=following-sibling::dd[1]');

/** Records, in the page, every state each run step shows from now on. */
async function recordStepStates(p: Page) {
  await p.evaluate(() => {
    const w = window as unknown as { seen: string[]; notReloaded: boolean };
    w.notReloaded = true;
    const seen: string[] = (w.seen = []);
    new MutationObserver(() => {
      document.querySelectorAll('li.run-step').forEach((li) => {
        const text = `${li.querySelector('h3')?.textContent}=${li.querySelector('.step-state')?.textContent}`;
        if (!seen.includes(text)) seen.push(text);
      });
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

test.beforeAll(async ({ browser }, info) => {
  info.setTimeout(120_000);
  lab = await startLab({ consoles: 2 });
  wdcContext = await browser.newContext();
  dalContext = await browser.newContext();
  wdc = await wdcContext.newPage();
  dal = await dalContext.newPage();
});

test.afterAll(async () => {
  await wdcContext?.close();
  await dalContext?.close();
  await lab?.stop();
});

test('each console says which instance it is, the store it shares, and the other console', async () => {
  const { WDC, DAL } = lab.consoles!;
  await signIn(wdc, WDC, 'mqadmin');
  await signIn(dal, DAL, 'mqadmin2');
  for (const [p, self, other, otherUrl] of [[wdc, 'wdc', 'dal', DAL], [dal, 'dal', 'wdc', WDC]] as const) {
    await expect(storeLine(p)).toHaveText(/^Console \s*\S+ · store etcd/, { timeout: 15_000 });
    await expect(storeLine(p)).toContainText(`Console ${self} · store etcd`);
    await expect(storeLine(p)).toHaveAccessibleName(new RegExp(`Console ${self} · store etcd\\s*writable`));
    // Both instances registered: the title names the other with its address, and the leader.
    await expect(storeLine(p)).toHaveAttribute('title', new RegExp(`Other consoles: ${other} \\(${otherUrl.replace(/[.]/g, '\\.')}\\)`), { timeout: 15_000 });
    await expect(storeLine(p)).toHaveAttribute('title', /Leader \(approval expiry, scheduled drills\): (wdc|dal)\./);
    await storeLine(p).click();
    const instances = p.getByRole('list', { name: 'Console instances' });
    await expect(instances).toContainText(`${self} (this console)`);
    await expect(instances.getByRole('link', { name: other })).toHaveAttribute('href', otherUrl);
    await expect(instances).toContainText('leads');
  }
  await shot(wdc, 'consoles-header-wdc.png', false);
  for (const p of [wdc, dal]) await storeLine(p).click();
  await expect(wdc.getByRole('list', { name: 'Console instances' })).toBeHidden();
  await expect(storeBanner(wdc)).toHaveCount(0);
});

test('a switchover executed on WDC is followed live on DAL, both naming the console that executes it', async () => {
  test.setTimeout(150_000);
  // DAL waits on its runs list; WDC plans and executes.
  await nav(dal, 'Runs');
  await expect(dal.getByRole('heading', { name: 'Runs', exact: true })).toBeVisible();
  await dal.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  await wdc.getByRole('table', { name: /Queue managers/ }).getByRole('link', { name: 'DRHAQM1', exact: true }).click();
  await wdc.getByRole('region', { name: 'Actions' }).getByRole('button', { name: 'Switch DR to DAL' }).click();
  const dialog = wdc.getByRole('dialog', { name: `Plan: ${SWITCH}` });
  await expect(dialog.getByRole('heading', { name: /^Steps \(8\)/ })).toBeVisible({ timeout: 30_000 });
  await dialog.getByLabel('Type DRHAQM1 to confirm').fill('DRHAQM1');
  // DAL's promotion (step 2) and the estate check take a few seconds: DAL has time to open the
  // run and watch it progress.
  await lab.sim('fault', 'latency', 'dal1-mq1', '800');
  await dialog.getByRole('button', { name: 'Execute' }).click();
  // Executing reads the estate again first (through the added latency).
  await expect(wdc).toHaveURL(/\/runs\/[0-9a-f]+$/, { timeout: 30_000 });
  const runPath = new URL(wdc.url()).pathname;

  // DAL: the run arrives in the list by itself, executing on WDC; its page follows it.
  const row = dal.getByRole('table', { name: /Every run/ }).getByRole('row', { name: new RegExp(SWITCH.replace(/[()']/g, '.')) });
  await expect(row).toBeVisible({ timeout: 15_000 });
  await expect(row).toContainText('on wdc');
  await expect(dal.getByRole('table', { name: /Every run/ }).getByRole('columnheader', { name: 'Console' })).toBeVisible();
  await row.getByRole('link').click();
  await expect(dal).toHaveURL(new RegExp(`${runPath}$`));
  await recordStepStates(dal);
  await expect(dal.getByRole('heading', { name: `Run: ${SWITCH}` })).toBeVisible();
  await expect(runConsole(dal)).toContainText('wdc');
  await expect(runConsole(dal)).toContainText('another console');
  await expect(runConsole(dal).getByRole('link', { name: 'open it there' })).toHaveAttribute('href', `${lab.consoles!.WDC}${runPath}`);
  await expect(runConsole(wdc)).toContainText('wdc (this console)');

  const dalSteps = dal.getByRole('region', { name: 'Steps' }).getByRole('listitem');
  await expect(dalSteps).toHaveCount(8);
  await expect(dal.getByRole('status').filter({ hasText: /in progress/ })).toContainText('Running');
  await expect(runConsole(dal)).toContainText('executing on wdc');
  await shot(dal, 'consoles-dal-following.png');
  for (let i = 0; i < 8; i++) await expect(dalSteps.nth(i)).toContainText('Succeeded', { timeout: 90_000 });
  for (const p of [wdc, dal]) {
    await expect(p.getByRole('status').filter({ hasText: 'dr-switchover of DRHAQM1' })).toContainText('Succeeded', { timeout: 30_000 });
    await expect(runConsole(p)).toContainText('executed on wdc');
  }
  await lab.sim('fault', 'latency', 'dal1-mq1', '0');
  const seen: string[] = await dal.evaluate(() => (window as unknown as { seen: string[] }).seen);
  expect(seen.some((s) => /=.*(Pending|Running)$/.test(s)), `states DAL saw: ${seen.join(' | ')}`).toBe(true);
  expect(seen.filter((s) => s.endsWith('Succeeded')).length, `states DAL saw: ${seen.join(' | ')}`).toBe(8);
  expect(await dal.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  await shot(wdc, 'consoles-wdc.png');
  await shot(dal, 'consoles-dal.png');

  // Both runs lists name the console that executed it.
  for (const p of [wdc, dal]) {
    await nav(p, 'Runs');
    const done = p.getByRole('table', { name: /Every run/ }).getByRole('row', { name: new RegExp(SWITCH.replace(/[()']/g, '.')) });
    await expect(done).toContainText('Succeeded');
    await expect(done).toContainText('executed on wdc');
  }
  await shot(dal, 'consoles-runs-dal.png');
});

test('with two etcd members down both consoles say workflows cannot run, the estate stays live, and the banner goes when they are back', async () => {
  test.setTimeout(150_000);
  for (const p of [wdc, dal]) await nav(p, 'Estate');
  await lab.sim('fault', 'etcd-down', 'dal');
  await lab.sim('fault', 'etcd-down', 'witness');
  for (const [p, self] of [[wdc, 'wdc'], [dal, 'dal']] as const) {
    const banner = storeBanner(p);
    await expect(banner).toBeVisible({ timeout: 30_000 });
    await expect(banner).toContainText(`Workflows cannot run on this console (${self}) now: it cannot write the store the consoles share.`);
    await expect(banner).toContainText(/Why, as this console sees it: \S/);
    await expect(banner).toContainText('The estate shown is still live: this console keeps polling the hosts itself.');
    await expect(banner).toContainText('bring the etcd members back until a majority of them runs');
    await expect(banner.getByRole('link', { name: new RegExp(`^${self === 'wdc' ? 'dal' : 'wdc'} `) })).toBeVisible();
    await expect(storeLine(p)).toContainText('read-only');
    // The estate is still there, and still live.
    await expect(p.getByRole('table', { name: /Queue managers/ }).getByRole('link', { name: 'DRHAQM1', exact: true })).toBeVisible();
    await expect(p.getByRole('banner')).toContainText('Live · last updated');
    await expect(p.getByRole('alert').filter({ hasText: 'Live updates lost' })).toHaveCount(0);
  }
  await shot(dal, 'store-banner.png');
  await shot(wdc, 'store-banner-wdc.png', false);

  // A workflow asked for now is refused, in those words.
  await dal.getByRole('table', { name: /Queue managers/ }).getByRole('link', { name: 'DRHAQM1', exact: true }).click();
  await expect(storeBanner(dal)).toBeVisible();
  await dal.getByRole('region', { name: 'Actions' }).getByRole('button', { name: 'Switch DR to WDC' }).click();
  const dialog = dal.getByRole('dialog');
  const refused = dialog.getByRole('alert').filter({ hasText: /Workflows cannot run on this console now|Not run, nothing was started/ });
  const plan = dialog.getByLabel('Type DRHAQM1 to confirm');
  // Planning may be refused already; if a plan is made, executing it is.
  await expect(refused.or(plan)).toBeVisible({ timeout: 30_000 });
  if (await plan.isVisible()) {
    await plan.fill('DRHAQM1');
    await dialog.getByRole('button', { name: 'Execute' }).click();
  }
  await expect(refused).toBeVisible({ timeout: 30_000 });
  await expect(refused).toContainText('cannot write the store the consoles share');
  await expect(refused).toContainText('another console whose store is writable');
  await shot(dal, 'store-unavailable-refused.png', false);
  await dialog.getByRole('button', { name: 'Cancel — run nothing' }).click();
  await expect(dialog).toBeHidden();

  await lab.sim('fault', 'etcd-up', 'dal');
  await lab.sim('fault', 'etcd-up', 'witness');
  for (const p of [wdc, dal]) {
    await expect(storeBanner(p)).toHaveCount(0, { timeout: 60_000 });
    await expect(storeLine(p)).not.toContainText('read-only');
    await expect(storeLine(p)).toHaveAccessibleName(/store etcd\s*writable/);
  }
  await shot(dal, 'store-back.png', false);
});
