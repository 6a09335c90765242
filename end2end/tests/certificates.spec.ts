// The certificates page against a lab of its own (real sshd per host, slapd, the lab's PKI with
// its planted flaws): the expiring and the SAN-less certificates flagged, sorting by expiry,
// the expiry timeline, the channel cross-check, the SSLPEER tester, and a viewer's view.
import { test, expect, Page } from '@playwright/test';
import * as path from 'node:path';
import { repo } from './console';
import { startLab, Lab } from './lab';

const artifacts = path.join(repo, 'end2end', 'artifacts');
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(artifacts, name), fullPage: true });

test.describe.configure({ mode: 'serial' });

let lab: Lab;

test.beforeAll(async ({}, info) => {
  info.setTimeout(60_000);
  lab = await startLab();
});

test.afterAll(async () => {
  await lab?.stop();
});

async function signIn(page: Page, user: string) {
  await page.goto(lab.url + '/');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(user);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Estate', exact: true })).toBeVisible();
}

const table = (page: Page) => page.getByRole('table', { name: /Every certificate entry/ });
const row = (page: Page, label: string) => table(page).getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${label} `) }) });

test('an operator sees the expiring and the SAN-less certificates flagged, sorts by expiry and tests an SSLPEER', async ({ page }) => {
  await signIn(page, 'mqadmin');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Certificates' }).click();
  await expect(page).toHaveURL(/\/certificates$/);
  await expect(page.getByRole('heading', { name: 'Certificates and TLS' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Certificates' })).toHaveAttribute('aria-current', 'page');

  // The findings, each with its evidence.
  const findings = page.getByRole('region', { name: /^Findings/ });
  await expect(findings).toContainText(/wdc-mq-client \(.*CN=wdc-mq-client.*\) on wdc-bastion expires in \d days?/);
  await expect(findings).toContainText('the replication certificate of dal3-mq1 (CN=replication-node-3): neither its CN nor its SAN names the host');
  await expect(findings).toContainText(/oldpartner .* expired \d+ days ago/);
  await expect(findings).toContainText(/legacyclient on .* has a 1024-bit key/);
  await expect(findings).toContainText(/replication certificate of dal2-mq1 is issued by CN=Rogue CA/);
  await expect(findings).toContainText(/expect AMQ9636E/);
  await expect(findings).toContainText(/DRHAQM2\.TO\.SSLDRHAQM1.*AMQ9631E/);
  await findings.getByText(/replication certificate of dal3-mq1/).click();
  await expect(findings.getByText('SubjectAltName :')).toBeVisible();

  // The table: each flaw on its row, in words.
  await expect(row(page, 'wdc-mq-client')).toContainText(/expires in \d days?/);
  await expect(row(page, 'wdc-mq-client')).toContainText('expires soon');
  await expect(row(page, 'replication-node-3')).toContainText('host name missing from SAN');
  await expect(row(page, 'mqiptserver').first()).toContainText('none found');

  // Sorted by expiry, soonest first; the button turns it around and keeps the focus.
  const expires = table(page).getByRole('columnheader', { name: /Expires/ });
  await expect(expires).toHaveAttribute('aria-sort', 'ascending');
  const firstLabel = () => table(page).getByRole('rowheader').first().textContent();
  expect(await firstLabel()).toMatch(/^oldpartner /);
  await expires.getByRole('button').click();
  await expect(expires).toHaveAttribute('aria-sort', 'descending');
  expect(await firstLabel()).not.toMatch(/^oldpartner /);
  await expect(table(page).getByRole('button', { name: /Expires/ })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(expires).toHaveAttribute('aria-sort', 'ascending');
  expect(await firstLabel()).toMatch(/^oldpartner /);

  // The timeline says the same as the table, in a picture and in words.
  const timeline = page.getByRole('img', { name: /Expiry timeline of \d+ certificate entries: \d+ expired, \d+ expiring within 30 days/ });
  await expect(timeline).toBeVisible();
  await expect(timeline.locator('text.row-note').filter({ hasText: /expires in \d days?/ })).toBeVisible();

  // The channels, with what each partner presented.
  const channels = page.getByRole('table', { name: /Channels with SSLCIPH set/ });
  await expect(channels.getByRole('row').filter({ hasText: 'SSLDRHAQM1.TO.DRHAQM2 (SSLDRHAQM1)' })).toContainText(/RUNNING: SERIALNUMBER=.*CN=DRHAQM2/);
  await expect(channels.getByRole('row').filter({ hasText: 'DRHAQM2.TO.SSLDRHAQM1 (DRHAQM2)' })).toContainText('RETRYING');

  // The SSLPEER tester answers as you type, with the channel's filter and MQIPT's certificate.
  const dn = page.getByLabel(/Certificate DN/);
  const filter = page.getByLabel('SSLPEER filter');
  const answer = page.locator('.sslpeer-answer');
  await dn.fill('SERIALNUMBER=01:02,CN=mqipt-gateway,OU=IBM,C=US');
  await filter.fill('CN=mqipt-gateway,OU=IBM,C=US');
  await expect(answer).toContainText('Matches');
  await filter.fill('CN=mqipt-gateway,OU=IBM,C=GB');
  await expect(answer).toContainText('Does not match');
  await expect(answer).toContainText('AMQ9636E');
  await expect(answer.getByRole('table', { name: 'Attribute by attribute' })).toContainText('C=GB');
  await filter.fill('CN=mqipt*, C=US');
  await expect(answer).toContainText('Matches');
  await filter.fill('CN=a, BOGUS=b');
  await expect(answer).toContainText('Cannot be read');
  await filter.fill('CN=mqipt-gateway,OU=IBM,C=US');
  // Works at 1280×800 without scrolling sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
  await shot(page, 'certificates.png');
  await page.getByRole('region', { name: 'Expiry timeline' }).screenshot({ path: path.join(artifacts, 'certificates-timeline.png') });
  await page.getByRole('region', { name: 'SSLPEER tester' }).screenshot({ path: path.join(artifacts, 'certificates-sslpeer.png') });

  // An operator reads every store again.
  await page.getByRole('button', { name: 'Read every key store again' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Read again: \d+ certificate entries/ })).toBeVisible();
});

test('a viewer sees the inventory; reading the stores again is disabled with the reason', async ({ page }) => {
  await signIn(page, 'mqviewer');
  await page.goto(lab.url + '/certificates');
  await expect(row(page, 'replication-node-3')).toContainText('host name missing from SAN');
  const again = page.getByRole('button', { name: 'Read every key store again' });
  await expect(again).toBeDisabled();
  await expect(again).toHaveAccessibleDescription(/Viewers see the inventory the console reads every 5 minutes/);
  await shot(page, 'certificates-viewer.png');
});
