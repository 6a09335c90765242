// Workflows through the browser against a lab of its own (real sshd per host, slapd): a DR
// switchover previewed, confirmed by typing and followed live; a viewer who may not; a
// switchover whose MQIPT refresh fails and is rolled back (never shown as success); and an
// unplanned failover under the two-person rule in two browser sessions, then the partition
// when the lost region returns, resolved the same way.
import { test, expect, Page, BrowserContext, APIRequestContext, request as playwrightRequest } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repo } from './console';
import { startLab, Lab, bastionPath } from './lab';

const artifacts = path.join(repo, 'end2end', 'artifacts');
const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: path.join(artifacts, name), fullPage });
const DAL_LB = 'e8deec77-us-south.lb.appdomain.cloud';
const WDC_LB = '3bdf30c3-us-east.lb.appdomain.cloud';

async function fitsWidth(page: Page) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
}

test.describe.configure({ mode: 'serial' });

let lab: Lab;
let admin: BrowserContext;
let page: Page;

async function signIn(p: Page, user: string, password = user) {
  await p.goto(lab.url + '/sign-in');
  await p.getByLabel('User name').fill(user);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await expect(p.getByRole('heading', { name: 'Estate', exact: true })).toBeVisible();
}

/** Opens a queue manager's page from the estate table, without reloading the app. */
async function openQm(p: Page, qm: string) {
  await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Estate' }).click();
  await p.getByRole('table', { name: /Queue managers/ }).getByRole('link', { name: qm, exact: true }).click();
  await expect(p.getByRole('heading', { name: `Queue manager ${qm}` })).toBeVisible();
}

/** Route 1501's Destination as the file on the bastion says (not as the console says). */
function destination1501(): string {
  const conf = fs.readFileSync(lab.env.LAB_MQIPT_CONF, 'utf8');
  const match = conf.match(/ListenerPort=1501\s*\nDestination=(\S+)/);
  return match ? match[1] : `(no route 1501 in ${conf})`;
}

/** A run through the API as mqadmin, in a session of its own (the browser's stays as it is). */
async function runByApi(body: object, confirm: string): Promise<{ state: string; message: string }> {
  const api: APIRequestContext = await playwrightRequest.newContext({ baseURL: lab.url });
  try {
    const session = await (await api.post('/api/session', { data: { username: 'mqadmin', password: 'mqadmin' } })).json();
    const headers = { 'X-CSRF-Token': session.csrf };
    const plan = await (await api.post('/api/plans', { data: body, headers })).json();
    const started = await api.post(`/api/plans/${plan.id}/execute`, { data: { confirm }, headers });
    expect(started.status(), await started.text()).toBe(202);
    const { run_id } = await started.json();
    for (let i = 0; i < 240; i++) {
      const run = await (await api.get(`/api/runs/${run_id}`)).json();
      if (run.state !== 'running') return run;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`run ${run_id} did not end`);
  } finally {
    await api.dispose();
  }
}

test.beforeAll(async ({ browser }, info) => {
  info.setTimeout(90_000);
  lab = await startLab();
  admin = await browser.newContext();
  page = await admin.newPage();
});

test.afterAll(async () => {
  await admin?.close();
  await lab?.stop();
});

test('a viewer sees every action disabled with the reason, and the server refuses them a plan', async ({ browser }) => {
  const context = await browser.newContext();
  const viewer = await context.newPage();
  try {
    await signIn(viewer, 'mqviewer');
    await openQm(viewer, 'DRHAQM1');
    const actions = viewer.getByRole('region', { name: 'Actions' });
    const switchDr = actions.getByRole('button', { name: 'Switch DR to DAL' });
    await expect(switchDr).toBeDisabled();
    await expect(switchDr).toHaveAccessibleDescription(/only operators \(mqadmins\) may plan or run workflows/);
    for (const name of ['Prefer wdc2-mq1', 'Prefer dal2-mq1']) await expect(actions.getByRole('button', { name })).toBeDisabled();
    await expect(viewer.getByRole('button', { name: 'Suspend node wdc2-mq1' })).toBeDisabled();
    await shot(viewer, 'viewer-actions-disabled.png');
    // The same request straight to the API, from the viewer's own page: 403.
    const answer = await viewer.evaluate(async () => {
      const session = await (await fetch('/api/session')).json();
      const response = await fetch('/api/plans', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf },
        body: JSON.stringify({ kind: 'dr-switchover', qmgr: 'DRHAQM1', to_region: 'DAL' }),
      });
      return { status: response.status, body: await response.json() };
    });
    expect(answer.status).toBe(403);
    expect(answer.body.error.message).toBeTruthy();
    await viewer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'MQIPT routes' }).click();
    await expect(viewer.getByRole('button', { name: 'Restore from backup' })).toBeDisabled();
    await expect(viewer.getByLabel(/Backup file of/)).toHaveAccessibleDescription(/only operators/);
  } finally {
    await context.close();
  }
});

test('an operator switches DRHAQM1 to DAL: preview, typed confirmation, each step live, the estate after', async () => {
  test.setTimeout(120_000);
  await signIn(page, 'mqadmin');
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await openQm(page, 'DRHAQM1');
  await page.getByRole('region', { name: 'Actions' }).getByRole('button', { name: 'Switch DR to DAL' }).click();

  const dialog = page.getByRole('dialog', { name: "Plan: Switch DRHAQM1's DR primary to DAL (planned switchover)" });
  await expect(dialog.getByRole('heading', { name: /^Steps \(8\)/ })).toBeVisible({ timeout: 20_000 });
  await expect(dialog).toContainText('Pass');
  await expect(dialog).toContainText('DR status Normal, no data waiting to replicate');
  for (const [title, host, command] of [
    ['Step 1: Make WDC DR secondary', 'wdc1-mq1', 'rdqmdr -s -m DRHAQM1'],
    ['Step 2: Make DAL DR primary', 'dal1-mq1', 'rdqmdr -p -m DRHAQM1'],
    ['Step 5: Refresh MQIPT', 'wdc-bastion', 'mqiptAdmin -refresh -n HAMQ'],
    ['Step 7: Put a marker message to DRHAQM1 through MQIPT, as a client in DAL would', 'wdc-mq-client',
      'env MQSERVER=DRHAMQ1.MQIPT/TCP/10.241.1.4(1501) rdqmput -b1 -m1 -s0 DRHAQM1 MQIPT.LOCAL.QUEUE'],
  ]) {
    const step = dialog.getByRole('listitem').filter({ has: page.getByRole('heading', { name: title }) });
    await expect(step).toContainText(`Host${host}`);
    await expect(step).toContainText(`Command${command}`);
  }
  await expect(dialog.getByRole('listitem').filter({ hasText: 'Step 1: Make WDC DR secondary' })).toContainText('Undo');
  await expect(dialog.getByRole('listitem').filter({ hasText: 'Step 1: Make WDC DR secondary' })).toContainText('rdqmdr -p -m DRHAQM1');
  const diff = dialog.getByLabel('Unified diff of mqipt.conf');
  await expect(diff).toContainText(`removed-Destination=${WDC_LB}`);
  await expect(diff).toContainText(`added+Destination=${DAL_LB}`);
  await expect(dialog).toContainText(/This plan expires in \d+ min/);

  const execute = dialog.getByRole('button', { name: 'Execute' });
  const confirm = dialog.getByLabel('Type DRHAQM1 to confirm');
  await expect(execute).toBeDisabled();
  await confirm.fill('drhaqm1');
  await expect(execute).toBeDisabled();
  await expect(execute).toHaveAccessibleDescription('Execute stays disabled until you type DRHAQM1 exactly.');
  await confirm.fill('DRHAQM1');
  await expect(execute).toBeEnabled();
  await dialog.evaluate((d) => (d.scrollTop = 0));
  await shot(page, 'plan-preview.png', false);
  await diff.scrollIntoViewIfNeeded();
  await shot(page, 'plan-preview-diff.png', false);

  // Record every state each step shows from now on: they must change in place.
  await page.evaluate(() => {
    const seen: string[] = ((window as unknown as { seen: string[] }).seen = []);
    new MutationObserver(() => {
      document.querySelectorAll('li.run-step').forEach((li) => {
        const text = `${li.querySelector('h3')?.textContent}=${li.querySelector('.step-state')?.textContent}`;
        if (seen[seen.length - 1] !== text && !seen.includes(text)) seen.push(text);
      });
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await execute.click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]+$/);
  await expect(page.getByRole('heading', { name: "Run: Switch DRHAQM1's DR primary to DAL (planned switchover)" })).toBeVisible();
  const steps = page.getByRole('region', { name: 'Steps' }).getByRole('listitem');
  // Six steps of the switchover, then a marker message put and got back through MQIPT from the client host.
  await expect(steps).toHaveCount(8);
  await shot(page, 'run-in-progress.png');
  for (let i = 0; i < 8; i++) await expect(steps.nth(i)).toContainText('Succeeded', { timeout: 60_000 });
  await expect(steps.filter({ hasText: '7. Put a marker message to DRHAQM1 through MQIPT' })).toContainText('Connected to queue manager DRHAQM1');
  const outcome = page.getByRole('status').filter({ hasText: 'dr-switchover of DRHAQM1' });
  await expect(outcome).toContainText('Succeeded');
  await expect(steps.filter({ hasText: '2. Make DAL DR primary' })).toContainText('Exit code0');
  await expect(steps.filter({ hasText: '5. Refresh MQIPT' })).toContainText('MQCAI025');
  const seen: string[] = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  expect(seen.some((s) => /=.*(Pending|Running)$/.test(s)), `states seen: ${seen.join(' | ')}`).toBe(true);
  expect(seen.filter((s) => s.endsWith('Succeeded')).length).toBe(8);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  await shot(page, 'run-succeeded.png');
  await fitsWidth(page);

  // The estate, as the console and as the file on the bastion say.
  expect(destination1501()).toBe(DAL_LB);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Estate' }).click();
  await expect(page.getByRole('group', { name: /^queue manager DRHAQM1 running on dal1-mq1: Running;/ })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('group', { name: /^route 1501 / })).toHaveAccessibleName(/ok: points at DAL, the DR primary/);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  const row = page.getByRole('table', { name: /Every run/ }).getByRole('row', { name: /Switch DRHAQM1's DR primary to DAL/ });
  await expect(row).toContainText('Succeeded');
  await expect(row).toContainText('mqadmin');
  await shot(page, 'runs-list.png');
});

test('a switchover whose MQIPT refresh fails shows the failed step, the undo, and "rolled back" — never success', async () => {
  test.setTimeout(120_000);
  await lab.sim('fault', 'fail-next', 'wdc-bastion', 'mqiptAdmin');
  await openQm(page, 'DRHAQM1');
  await page.getByRole('region', { name: 'Actions' }).getByRole('button', { name: 'Switch DR to WDC' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('heading', { name: /^Steps \(8\)/ })).toBeVisible({ timeout: 20_000 });
  await expect(dialog).toContainText(/was last moved \d+ min ago; moving it again so soon may be flapping/);
  await dialog.getByLabel('Type DRHAQM1 to confirm').fill('DRHAQM1');
  await dialog.getByRole('button', { name: 'Execute' }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]+$/);
  const outcome = page.getByRole('status').filter({ hasText: /dr-switchover|step/ }).first();
  await expect(outcome).toContainText('Failed and rolled back', { timeout: 60_000 });
  await expect(outcome).not.toContainText('Succeeded');
  await expect(outcome).toContainText('every completed step was undone');
  const steps = page.getByRole('region', { name: 'Steps' }).getByRole('listitem');
  const refresh = steps.filter({ hasText: '5. Refresh MQIPT' });
  await expect(refresh).toContainText('Failed');
  await expect(refresh).toContainText('What went wrong');
  await expect(steps.filter({ hasText: '6. Check the whole estate' })).toContainText('Pending');
  for (const undone of ['1. Make DAL DR secondary', '2. Make WDC DR primary', '4. Point the route at the new region']) {
    await expect(steps.filter({ hasText: undone })).toContainText('Undone');
  }
  const undo = page.getByRole('region', { name: /Undo actions/ }).getByRole('listitem');
  await expect(undo.filter({ hasText: 'Undo step 4' }).first()).toContainText('Succeeded');
  await expect(undo.filter({ hasText: 'Undo step 2' })).toContainText('rdqmdr -s -m DRHAQM1');
  await expect(undo.filter({ hasText: 'Undo step 1' })).toContainText('rdqmdr -p -m DRHAQM1');
  // Rolled back means a client reaches DRHAQM1 through MQIPT where it was.
  await expect(undo.filter({ hasText: 'After the undo: a client connects to DRHAQM1 through MQIPT' })).toContainText('amqscnxc');
  await shot(page, 'run-rolled-back.png');
  await fitsWidth(page);
  // Back where it was: DAL, its route to DAL.
  expect(destination1501()).toBe(DAL_LB);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  const row = page.getByRole('table', { name: /Every run/ }).getByRole('row', { name: /Switch DRHAQM1's DR primary to WDC/ });
  await expect(row).toContainText('Failed and rolled back');
});

test('two-person rule: a failover requested by one operator is approved by another, live in both sessions; then the partition', async ({ browser }) => {
  test.setTimeout(240_000);
  // DRHAQM1 back in WDC, by the API (what this test needs, not what it tests).
  const back = await runByApi({ kind: 'dr-switchover', qmgr: 'DRHAQM1', to_region: 'WDC' }, 'DRHAQM1');
  expect(back.state, back.message).toBe('succeeded');
  const second = await browser.newContext();
  const page2 = await second.newPage();
  try {
    await signIn(page2, 'mqadmin2');
    await openQm(page, 'DRHAQM1');
    await expect(page.getByRole('region', { name: 'Actions' }).getByRole('button', { name: 'Switch DR to DAL' })).toBeVisible({ timeout: 15_000 });

    await lab.sim('fault', 'region-down', 'WDC');
    const failover = page.getByRole('region', { name: 'Actions' }).getByRole('button', { name: 'Fail over to DAL' });
    await expect(failover).toBeVisible({ timeout: 20_000 });
    await failover.click();
    const dialog = page.getByRole('dialog', { name: /Fail DRHAQM1 over to DAL/ });
    await expect(dialog.getByText("Needs a second operator's approval")).toBeVisible({ timeout: 20_000 });
    await expect(dialog).toContainText(/will be lost/);
    // The promotion cannot be undone, and the preview says so before anyone confirms.
    await expect(dialog).toContainText('Cannot be undone: DRHAQM1 now runs in DAL');
    await dialog.getByLabel('Type DRHAQM1 to confirm').fill('DRHAQM1');
    await shot(page, 'approval-request-preview.png', false);
    await dialog.getByRole('button', { name: 'Execute' }).click();
    await expect(page).toHaveURL(/\/runs\/[0-9a-f]+$/);
    const runUrl = page.url();

    // The requester waits and cannot approve.
    const approval = page.getByRole('region', { name: /Awaiting a second operator's approval/ });
    await expect(approval).toContainText('Requested by mqadmin');
    await expect(approval).toContainText('Waiting for another operator to approve');
    await expect(approval).toContainText(/must be approved by \d\d:\d\d:\d\d \(in \d+ min/);
    await expect(approval.getByRole('button', { name: 'Approve and run' })).toBeDisabled();
    await expect(approval.getByRole('button', { name: 'Approve and run' })).toHaveAccessibleDescription(/two-person rule/);
    await expect(approval.getByRole('button', { name: /Deny/ })).toBeDisabled();
    await expect(page.getByRole('banner')).toContainText('Your request awaits another operator');
    await shot(page, 'approval-requester-waiting.png');

    // The second operator sees it arrive, live, on whatever page they are.
    const waiting = page2.getByRole('banner').getByRole('link', { name: /1 approval waiting for you/ });
    await expect(waiting).toBeVisible({ timeout: 15_000 });
    await shot(page2, 'approval-badge-for-second-operator.png', false);
    await waiting.click();
    await expect(page2).toHaveURL(runUrl);
    const review = page2.getByRole('region', { name: /Awaiting a second operator's approval/ });
    await expect(review).toContainText('Requested by mqadmin');
    await expect(review.getByRole('heading', { name: /^Steps/ })).toBeVisible();
    await expect(review).toContainText('rdqmdr -p -m DRHAQM1');
    const approve = review.getByRole('button', { name: 'Approve and run' });
    await expect(approve).toBeDisabled();
    await review.getByLabel('Type DRHAQM1 to approve').fill('DRHAQM1');
    await expect(approve).toBeEnabled();
    await shot(page2, 'approval-second-operator.png');
    await approve.click();

    for (const p of [page, page2]) {
      await expect(p.getByRole('status').filter({ hasText: 'dr-failover of DRHAQM1' })).toContainText('Succeeded', { timeout: 90_000 });
      await expect(p.getByRole('banner')).not.toContainText('approval waiting');
    }
    await expect(page.getByText('approved by mqadmin2')).toBeVisible();
    await shot(page, 'approval-run-succeeded.png');
    expect(destination1501()).toBe(DAL_LB);

    // WDC returns, still claiming DR primary: the partition shows, with the choice of survivor.
    await lab.sim('fault', 'region-up', 'WDC');
    await lab.sim('fault', 'clear');
    await openQm(page, 'DRHAQM1');
    const actions = page.getByRole('region', { name: 'Actions' });
    await expect(actions.getByRole('button', { name: 'Resolve partition keeping DAL' })).toBeVisible({ timeout: 30_000 });
    await expect(actions.getByRole('button', { name: 'Resolve partition keeping WDC' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Summary' })).toContainText('WDC and DAL at once (partitioned)');
    await shot(page, 'queue-manager-partitioned.png');
    await actions.getByRole('button', { name: 'Resolve partition keeping DAL' }).click();
    const resolve = page.getByRole('dialog', { name: /Resolve DRHAQM1's partition, keeping DAL's data/ });
    await expect(resolve.getByRole('heading', { name: /^Steps/ })).toBeVisible({ timeout: 20_000 });
    await expect(resolve).toContainText('DISCARDED');
    await resolve.getByLabel('Type DRHAQM1 to confirm').fill('DRHAQM1');
    await resolve.getByRole('button', { name: 'Execute' }).click();
    await expect(page).toHaveURL(/\/runs\/[0-9a-f]+$/);
    await page2.getByRole('banner').getByRole('link', { name: /1 approval waiting for you/ }).click();
    const review2 = page2.getByRole('region', { name: /Awaiting a second operator's approval/ });
    await review2.getByLabel('Type DRHAQM1 to approve').fill('DRHAQM1');
    await review2.getByRole('button', { name: 'Approve and run' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'dr-resolve-partition of DRHAQM1' })).toContainText('Succeeded', { timeout: 90_000 });
    await openQm(page, 'DRHAQM1');
    await expect(page.getByRole('region', { name: 'Summary' })).not.toContainText('partitioned', { timeout: 20_000 });
    await expect(page.getByRole('region', { name: 'Actions' }).getByRole('button', { name: 'Switch DR to WDC' })).toBeVisible();
  } finally {
    await lab.sim('fault', 'clear').catch(() => undefined);
    await second.close();
  }
});

test('a Pacemaker ban: the layers disagree in words, a switchover into the region is blocked, and the cleanup clears it', async () => {
  test.setTimeout(120_000);
  // DRHAQM1 is DR primary in DAL now; WDC is the region it could move to.
  await lab.sim('fault', 'pacemaker-ban', 'WDC', 'DRHAQM1');
  try {
    await openQm(page, 'DRHAQM1');
    const readiness = page.getByRole('region', { name: 'Readiness: could each region run it now?' });
    await expect(readiness).toContainText('WDC: not ready', { timeout: 15_000 });
    await expect(readiness).toContainText('Pacemaker has banned DRHAQM1');
    const layers = page.getByRole('table', { name: 'DRHAQM1 in WDC: rdqmstatus, DRBD and Pacemaker side by side on each node' });
    const wdc1 = layers.getByRole('row', { name: /^wdc1-mq1 / });
    await expect(wdc1).toContainText('No: they disagree');
    await expect(wdc1).toContainText('Pacemaker has banned drhaqm1 here (fail-count INFINITY); rdqmstatus says HA status Normal');
    await expect(page.getByRole('table', { name: /^DRHAQM1 in DAL: / }).getByRole('row', { name: /^dal1-mq1 / })).toContainText('Yes, they agree');
    await layers.scrollIntoViewIfNeeded();
    await shot(page, 'queue-manager-layers-disagree.png', false);

    // A blocked plan says why and offers no way to run it.
    const actions = page.getByRole('region', { name: 'Actions' });
    await actions.getByRole('button', { name: 'Switch DR to WDC' }).click();
    const blocked = page.getByRole('dialog', { name: /Switch DRHAQM1's DR primary to WDC/ });
    await expect(blocked.getByRole('alert')).toContainText('Blocked: this plan cannot be executed', { timeout: 20_000 });
    await expect(blocked.getByRole('alert')).toContainText('WDC cannot take DRHAQM1 over now: Pacemaker has banned DRHAQM1');
    await expect(blocked.getByRole('heading', { name: /^Steps \(0\)/ })).toBeVisible();
    await expect(blocked.getByRole('button', { name: 'Execute' })).toHaveCount(0);
    await expect(blocked).toContainText('Execute is not offered');
    await shot(page, 'plan-blocked.png', false);
    await blocked.getByRole('button', { name: 'Cancel — run nothing' }).click();
    await expect(page.getByRole('dialog')).toHaveCount(0);

    await actions.getByRole('button', { name: 'Clean up Pacemaker failures in WDC' }).click();
    const cleanup = page.getByRole('dialog', { name: /Clean up Pacemaker failures of DRHAQM1 in WDC/ });
    await expect(cleanup.getByRole('heading', { name: /^Steps/ })).toBeVisible({ timeout: 20_000 });
    await expect(cleanup).toContainText('crm_resource --cleanup --resource drhaqm1');
    await cleanup.getByLabel('Type DRHAQM1 to confirm').fill('DRHAQM1');
    await cleanup.getByRole('button', { name: 'Execute' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'pacemaker-cleanup of DRHAQM1' })).toContainText('Succeeded', { timeout: 60_000 });
    await openQm(page, 'DRHAQM1');
    await expect(page.getByRole('region', { name: 'Readiness: could each region run it now?' })).toContainText('WDC: ready', { timeout: 15_000 });
    await expect(page.getByRole('table', { name: /^DRHAQM1 in WDC: / }).getByRole('row', { name: /^wdc1-mq1 / })).toContainText('Yes, they agree');
  } finally {
    await lab.sim('fault', 'clear');
  }
});

test('routes: a backup restored through the preview, then the route pointed back at the DR primary', async () => {
  test.setTimeout(120_000);
  const dir = path.dirname(lab.env.LAB_MQIPT_CONF);
  const backups = fs
    .readdirSync(dir)
    .filter((f) => /\.rdqm-console\.\d+$/.test(f))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  // The first backup: taken before the first switchover, when route 1501 went to WDC.
  const first = path.join(dir, backups[0]);
  expect(fs.readFileSync(first, 'utf8')).toContain(`Destination=${WDC_LB}`);
  expect(destination1501()).toBe(DAL_LB);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'MQIPT routes' }).click();
  const field = page.getByLabel(/^Backup file of /);
  const restore = page.getByRole('button', { name: 'Restore from backup' });
  await field.fill(bastionPath(lab, lab.env.LAB_MQIPT_CONF + '.bak'));
  await expect(restore).toBeDisabled();
  await expect(page.getByText('That is not a backup name the console writes')).toBeVisible();
  await expect(field).toHaveAccessibleDescription(/Expected: .*mqipt\.conf\.rdqm-console\.digits/);
  await field.fill(bastionPath(lab, first));
  await expect(restore).toBeEnabled();
  await restore.click();
  const dialog = page.getByRole('dialog', { name: /Restore MQIPT HAMQ's mqipt.conf from/ });
  const diff = dialog.getByLabel('Unified diff of mqipt.conf');
  await expect(diff).toContainText(`removed-Destination=${DAL_LB}`, { timeout: 20_000 });
  await expect(diff).toContainText(`added+Destination=${WDC_LB}`);
  await dialog.getByLabel('Type HAMQ to confirm').fill('HAMQ');
  await dialog.getByRole('button', { name: 'Execute' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'restore-route-config of HAMQ' })).toContainText('Succeeded', { timeout: 60_000 });
  expect(destination1501()).toBe(WDC_LB);

  // Route 1501 now sends DRHAQM1's clients to WDC while DAL is DR primary: point it back.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'MQIPT routes' }).click();
  const retarget = page.getByRole('button', { name: 'Point route 1501 at DAL' });
  await expect(retarget).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('table', { name: /Each route's destination/ }).getByRole('row', { name: /^1501 / })).toContainText('problem: points at WDC, DR primary is DAL');
  await shot(page, 'routes-retarget-offered.png');
  await retarget.click();
  const plan = page.getByRole('dialog', { name: /Point DRHAQM1's MQIPT route at DAL/ });
  await expect(plan.getByLabel('Unified diff of mqipt.conf')).toContainText(`added+Destination=${DAL_LB}`, { timeout: 20_000 });
  await plan.getByLabel('Type DRHAQM1 to confirm').fill('DRHAQM1');
  await plan.getByRole('button', { name: 'Execute' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'route-retarget of DRHAQM1' })).toContainText('Succeeded', { timeout: 60_000 });
  expect(destination1501()).toBe(DAL_LB);
});

test('a node suspended and resumed through the preview, confirmed by its name', async () => {
  test.setTimeout(120_000);
  await openQm(page, 'DRHAQM2');
  const node = page.getByRole('article', { name: 'node wdc2-mq1' });
  await node.getByRole('button', { name: 'Suspend node wdc2-mq1' }).click();
  let dialog = page.getByRole('dialog', { name: /Suspend node wdc2-mq1/ });
  await expect(dialog.getByRole('heading', { name: /^Steps/ })).toBeVisible({ timeout: 20_000 });
  await expect(dialog).toContainText('rdqmadm -s');
  await dialog.getByLabel('Type wdc2-mq1 to confirm').fill('wdc2-mq1');
  await dialog.getByRole('button', { name: 'Execute' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'ha-suspend of wdc2-mq1' })).toContainText('Succeeded', { timeout: 60_000 });
  await openQm(page, 'DRHAQM2');
  const resume = page.getByRole('article', { name: 'node wdc2-mq1' }).getByRole('button', { name: 'Resume node wdc2-mq1' });
  await expect(resume).toBeVisible({ timeout: 15_000 });
  await resume.click();
  dialog = page.getByRole('dialog', { name: /Resume node wdc2-mq1/ });
  await expect(dialog).toContainText('rdqmadm -r', { timeout: 20_000 });
  await dialog.getByLabel('Type wdc2-mq1 to confirm').fill('wdc2-mq1');
  await dialog.getByRole('button', { name: 'Execute' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'ha-resume of wdc2-mq1' })).toContainText('Succeeded', { timeout: 60_000 });
  await openQm(page, 'DRHAQM2');
  await expect(page.getByRole('article', { name: 'node wdc2-mq1' }).getByRole('button', { name: 'Suspend node wdc2-mq1' })).toBeVisible({ timeout: 15_000 });
  // The resumed node resynchronises before the group is whole again (the next test needs it).
  await expect.poll(async () => lab.ssh('wdc1-mq1', 'rdqmstatus -m DRHAQM1'), { timeout: 30_000 }).not.toContain('Synchronization in progress');
});

test('the console stops mid-run: the run shows interrupted, says what resume and roll back would do, and resume finishes it', async () => {
  test.setTimeout(150_000);
  await lab.sim('fault', 'hang-next', 'wdc-bastion', 'mqiptAdmin');
  await openQm(page, 'DRHAQM1');
  await page.getByRole('region', { name: 'Actions' }).getByRole('button', { name: 'Switch DR to WDC' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Type DRHAQM1 to confirm').fill('DRHAQM1', { timeout: 20_000 });
  await dialog.getByRole('button', { name: 'Execute' }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]+$/);
  const steps = page.getByRole('region', { name: 'Steps' }).getByRole('listitem');
  await expect(steps.filter({ hasText: '5. Refresh MQIPT' })).toContainText('Running', { timeout: 30_000 });
  await lab.stopConsole();
  await lab.startConsole();

  // No event says so: the page finds out by reading the run again.
  await expect(page.getByRole('status').filter({ hasText: 'the console stopped during step 5' })).toContainText('Interrupted', { timeout: 30_000 });
  const choice = page.getByRole('region', { name: 'Interrupted: resume or roll back' });
  await expect(choice).toContainText('5. Refresh MQIPT — on wdc-bastion: mqiptAdmin -refresh -n HAMQ');
  await expect(choice).toContainText('undo of step 4: on wdc-bastion: restore');
  await expect(choice).toContainText('undo of step 1: on dal1-mq1: rdqmdr -p -m DRHAQM1');
  const resume = choice.getByRole('button', { name: 'Resume' });
  await expect(resume).toBeDisabled();
  await expect(choice.getByRole('button', { name: 'Roll back' })).toBeDisabled();
  await choice.getByLabel('Type DRHAQM1 to confirm either').fill('DRHAQM1');
  await expect(resume).toBeEnabled();
  await shot(page, 'run-interrupted.png');
  await resume.click();
  await expect(page.getByRole('status').filter({ hasText: 'dr-switchover of DRHAQM1' })).toContainText('Succeeded', { timeout: 90_000 });
  expect(destination1501()).toBe(WDC_LB);
});

test('undo that fails too: needs attention, with the commands a person must run, each copyable', async () => {
  test.setTimeout(150_000);
  await admin.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: lab.url });
  // The refresh hangs until the console gives up on it; the refresh of the undo then fails.
  await lab.sim('fault', 'hang-next', 'wdc-bastion', 'mqiptAdmin');
  await lab.sim('fault', 'fail-next', 'wdc-bastion', 'mqiptAdmin');
  await openQm(page, 'DRHAQM1');
  await page.getByRole('region', { name: 'Actions' }).getByRole('button', { name: 'Switch DR to DAL' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Type DRHAQM1 to confirm').fill('DRHAQM1', { timeout: 20_000 });
  await dialog.getByRole('button', { name: 'Execute' }).click();
  const outcome = page.getByRole('status').filter({ hasText: 'a person must finish the undo' });
  await expect(outcome).toContainText('Needs attention', { timeout: 90_000 });
  await expect(outcome).not.toContainText('Succeeded');
  const steps = page.getByRole('region', { name: 'Steps' }).getByRole('listitem');
  await expect(steps.filter({ hasText: '5. Refresh MQIPT' })).toContainText('Failed');
  await expect(steps.filter({ hasText: '5. Refresh MQIPT' })).toContainText('none: the command did not finish');
  const undo = page.getByRole('region', { name: /Undo actions/ }).getByRole('listitem');
  await expect(undo.filter({ hasText: 'mqiptAdmin -refresh -n HAMQ' })).toContainText('Failed');
  const todo = page.getByRole('region', { name: /A person must finish this/ });
  await expect(todo).toContainText('first find out whether step 5');
  await expect(todo).toContainText('on dal1-mq1:');
  await expect(todo).toContainText('on wdc1-mq1:');
  await todo.getByRole('button', { name: 'Copy the command for wdc1-mq1' }).click();
  await expect(todo.getByRole('status')).toContainText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('rdqmdr -p -m DRHAQM1');
  await shot(page, 'run-needs-attention.png');
  await fitsWidth(page);
});
