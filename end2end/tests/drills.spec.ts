// A DR drill through the browser against a lab of its own (real sshd per host, the client host
// with IBM's samples): a viewer finds no drill yet; an operator starts a planned drill of
// DRHAQM1 from its page, confirms it as any switchover, follows the run live until it
// succeeds, and opens its report (RTO, "0 of 50 committed messages lost", the ledger, the
// timeline, before and after, the download and Print); then a viewer reads it from /drills.
import { test, expect, Page, BrowserContext } from '@playwright/test';
import * as path from 'node:path';
import { repo } from './console';
import { startLab, Lab } from './lab';

const artifacts = path.join(repo, 'end2end', 'artifacts');
const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: path.join(artifacts, name), fullPage });
const PLAN_TITLE = 'Plan: DR drill: put 50 messages to DRHAQM1 through MQIPT, switch over (planned) to DAL, get them back and report RTO and RPO';
const REPORT_HEADING = 'DR drill of DRHAQM1: planned switchover to DAL';

async function fitsWidth(page: Page) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
}

test.describe.configure({ mode: 'serial' });

let lab: Lab;
let admin: BrowserContext;
let page: Page;
let runId = '';

async function signIn(p: Page, user: string, password = user) {
  await p.goto(lab.url + '/sign-in');
  await p.getByLabel('User name').fill(user);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await expect(p.getByRole('heading', { name: 'Estate', exact: true })).toBeVisible();
}

const nav = (p: Page) => p.getByRole('navigation', { name: 'Main' });

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

test('before any drill, /drills says none has run and how to start one', async () => {
  await signIn(page, 'mqadmin');
  await nav(page).getByRole('link', { name: 'Drills' }).click();
  await expect(page.getByRole('heading', { name: 'DR drills', level: 1 })).toBeVisible();
  await expect(nav(page).getByRole('link', { name: 'Drills' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByText('No drill has run yet.')).toBeVisible();
  await expect(page.getByRole('main')).toContainText('open a queue manager\'s page');
  await expect(page.getByRole('table')).toHaveCount(0);
});

test('an operator drills DRHAQM1 to DAL: preview, typed confirmation, the run live, then its report', async () => {
  test.setTimeout(300_000);
  await nav(page).getByRole('link', { name: 'Estate' }).click();
  await page.getByRole('table', { name: /Queue managers/ }).getByRole('link', { name: 'DRHAQM1', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Queue manager DRHAQM1' })).toBeVisible();
  const actions = page.getByRole('region', { name: 'Actions' });
  // Offered beside the switchover it rehearses; no failover (and so no unplanned drill) while WDC answers.
  await expect(actions.getByRole('button', { name: 'Switch DR to DAL' })).toBeVisible();
  await expect(actions.getByRole('button', { name: 'Unplanned DR drill to DAL' })).toHaveCount(0);
  await expect(actions.getByRole('button', { name: 'DR drill to DAL and back (planned)' })).toBeVisible();
  await actions.scrollIntoViewIfNeeded();
  await shot(page, 'drill-actions.png', false);
  await actions.getByRole('button', { name: 'DR drill to DAL (planned)' }).click();

  const dialog = page.getByRole('dialog');
  await expect(dialog).toHaveAccessibleName(PLAN_TITLE);
  const steps = dialog.getByRole('heading', { name: /^Steps \(\d+\): exactly what will run/ });
  await expect(steps).toBeVisible({ timeout: 20_000 });
  // The number of messages can be changed in the preview: a new plan for it, and Execute
  // waits while the number typed is not the plan's.
  const messages = dialog.getByLabel(/Messages the drill puts through MQIPT/);
  const planAgain = dialog.getByRole('button', { name: 'Plan again with this number' });
  await expect(messages).toHaveValue('50');
  await expect(planAgain).toBeDisabled();
  await messages.fill('5001');
  await expect(messages).toHaveAccessibleDescription('Enter a whole number of messages from 1 to 5000.');
  await expect(planAgain).toBeDisabled();
  await messages.fill('20');
  await dialog.getByLabel('Type DRHAQM1 to confirm').fill('DRHAQM1');
  await expect(dialog.getByRole('button', { name: 'Execute' })).toBeDisabled();
  await expect(dialog.getByRole('button', { name: 'Execute' })).toHaveAccessibleDescription(/the plan above puts 50 messages/);
  await planAgain.click();
  await expect(dialog).toHaveAccessibleName(/^Plan: DR drill: put 20 messages to DRHAQM1/);
  await expect(dialog.getByRole('heading', { name: 'Step 2: Put the ledger: 20 numbered messages through MQIPT' })).toBeVisible({ timeout: 20_000 });
  await messages.fill('50');
  await planAgain.click();
  await expect(dialog).toHaveAccessibleName(PLAN_TITLE);
  await expect(steps).toBeVisible({ timeout: 20_000 });
  for (const [title, host, command] of [
    ['Put the ledger: 50 numbered messages through MQIPT', 'wdc-mq-client', 'rdqmput -b50 -m1 -s0 -v3 DRHAQM1 MQIPT.LOCAL.QUEUE'],
    ['Read the DR out of sync data at the cut', 'wdc1-mq1', 'rdqmstatus -m DRHAQM1'],
    ['Make WDC DR secondary', 'wdc1-mq1', 'rdqmdr -s -m DRHAQM1'],
    ['Connect through MQIPT until DRHAQM1 answers in DAL (the end of the outage)', 'wdc-mq-client', 'amqscnxc'],
    ['Get the ledger back from DAL through MQIPT', 'wdc-mq-client', 'amqsgetc MQIPT.LOCAL.QUEUE DRHAQM1'],
  ]) {
    const step = dialog.getByRole('listitem').filter({ has: page.getByRole('heading', { name: new RegExp(`^Step \\d+: ${title.replace(/[()]/g, '\\$&')}$`) }) });
    await expect(step).toContainText(`Host${host}`);
    await expect(step).toContainText(command);
  }
  // A planned drill needs no second operator.
  await expect(dialog.getByText("Needs a second operator's approval")).toHaveCount(0);
  await dialog.evaluate((d) => (d.scrollTop = 0));
  await shot(page, 'drill-plan-preview.png', false);

  const execute = dialog.getByRole('button', { name: 'Execute' });
  await expect(execute).toBeDisabled();
  await dialog.getByLabel('Type DRHAQM1 to confirm').fill('DRHAQM1');
  await expect(execute).toBeEnabled();
  await execute.click();

  await expect(page).toHaveURL(/\/runs\/[0-9a-f]+$/);
  runId = page.url().split('/').pop()!;
  await expect(page.getByRole('heading', { name: /^Run: DR drill: put 50 messages to DRHAQM1/ })).toBeVisible();
  const outcome = page.getByRole('status').filter({ hasText: /dr-drill|step|Running/ }).first();
  // The report link comes only once the run has ended.
  await expect(page.getByRole('link', { name: 'Open the drill report' })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Steps' }).getByRole('listitem').first()).toContainText(/Running|Succeeded/, { timeout: 30_000 });
  await shot(page, 'drill-run-in-progress.png');
  await expect(outcome).toContainText(/Succeeded|Failed|Needs attention|rolled back/, { timeout: 240_000 });
  await shot(page, 'drill-run-ended.png');
  await expect(outcome, 'the drill run must succeed; see end2end/artifacts/drill-run-ended.png for the step that failed').toContainText('Succeeded');

  const link = page.getByRole('link', { name: 'Open the drill report' });
  await expect(link).toHaveAttribute('href', `/drills/${runId}`);
  await link.click();
  await expect(page).toHaveURL(new RegExp(`/drills/${runId}$`));
  await expect(page.getByRole('heading', { name: REPORT_HEADING, level: 1 })).toBeVisible({ timeout: 30_000 });
  const summary = page.getByRole('region', { name: 'Summary' });
  await expect(summary).toContainText('Succeeded');
  await expect(summary).toContainText(/RTO\d+\.\d s: from the cut to the first client connection through MQIPT in DAL/);
  await expect(summary).toContainText('RPO0 of 50 committed messages lost');
  await expect(summary).toContainText(/DR out of sync data at the cut\d+ KB/);
  await expect(summary).toContainText('Run bymqadmin');
  await expect(summary).toContainText('Approved bynot required (a planned drill)');

  const ledger = page.getByRole('table', { name: 'The ledger: every message counted' });
  await expect(ledger.getByRole('row', { name: /^Committed 50 / })).toBeVisible();
  await expect(ledger.getByRole('row', { name: /^Confirmed 50 / })).toBeVisible();
  await expect(ledger.getByRole('row', { name: /^Lost 0 / })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Exceptions: messages not simply confirmed' })).toContainText('None: every committed message came back exactly once');
  const timeline = page.getByRole('region', { name: 'Timeline' }).getByRole('row');
  await expect(timeline.filter({ hasText: 'Put the ledger: 50 numbered messages through MQIPT' })).toContainText('Succeeded');
  await expect(timeline.filter({ hasText: 'Get the ledger back from DAL through MQIPT' })).toContainText('Succeeded');
  const before = page.getByRole('table', { name: /^Before: / });
  const after = page.getByRole('table', { name: /^After: / });
  await expect(before.getByRole('row', { name: /^WDC Primary / })).toBeVisible();
  await expect(after.getByRole('row', { name: /^DAL Primary / })).toBeVisible();
  await expect(after.getByRole('row', { name: /^WDC Secondary / })).toBeVisible();

  // The document to keep: the link downloads it (the router leaves it to the browser).
  const download = page.getByRole('link', { name: 'Download the report (HTML)' });
  await expect(download).toHaveAttribute('href', `/api/drills/${runId}/report.html`);
  await expect(download).toHaveAttribute('download', '');
  const document = await page.request.get(`${lab.url}/api/drills/${runId}/report.html`);
  expect(document.status()).toBe(200);
  expect(document.headers()['content-disposition']).toMatch(/^attachment; filename="drill-/);
  expect(await document.text()).toContain('0 of 50 committed messages lost');
  // Print opens the browser's print dialog (counted here instead).
  await page.evaluate(() => {
    const w = window as unknown as { printed: number; print: () => void };
    w.printed = 0;
    w.print = () => (w.printed += 1);
  });
  await page.getByRole('button', { name: 'Print' }).click();
  expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
  await shot(page, 'drill-report.png');
  await fitsWidth(page);

  // The run page links back to the report once more, and the report to the run.
  await page.getByRole('link', { name: 'The run, step by step' }).click();
  await expect(page).toHaveURL(new RegExp(`/runs/${runId}$`));
  await expect(page.getByRole('link', { name: 'Open the drill report' })).toBeVisible();
});

test('a viewer reads the drill from /drills and opens its report', async ({ browser }) => {
  expect(runId, 'the drill of the previous test').not.toBe('');
  const context = await browser.newContext();
  const viewer = await context.newPage();
  try {
    await signIn(viewer, 'mqviewer');
    await nav(viewer).getByRole('link', { name: 'Drills' }).click();
    const table = viewer.getByRole('table', { name: /Every drill with a report/ });
    const row = table.getByRole('row').filter({ hasText: 'DRHAQM1' });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('Planned switchover');
    await expect(row).toContainText('DAL');
    await expect(row).toContainText('Succeeded');
    await expect(row).toContainText(/\d+\.\d\ss/);
    await expect(row).toContainText('50/50, lost 0');
    await expect(row).toContainText('mqadmin');
    await expect(row).toContainText('not required');
    await shot(viewer, 'drills-list.png');
    await fitsWidth(viewer);
    await row.getByRole('link').click();
    await expect(viewer).toHaveURL(new RegExp(`/drills/${runId}$`));
    await expect(viewer.getByRole('heading', { name: REPORT_HEADING, level: 1 })).toBeVisible();
    await expect(viewer.getByRole('region', { name: 'Summary' })).toContainText('0 of 50 committed messages lost');
    await expect(viewer.getByRole('link', { name: 'Download the report (HTML)' })).toBeVisible();
    // A report that does not exist says so, in words.
    await viewer.goto(`${lab.url}/drills/0123456789abcdef`);
    await expect(viewer.getByRole('alert')).toContainText('There is no such drill report');
  } finally {
    await context.close();
  }
});
