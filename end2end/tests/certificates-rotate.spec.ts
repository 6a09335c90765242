// Certificate rotation from the certificates page, against a lab of its own (real sshd per
// host, the lab's PKI): a viewer sees Rotate disabled with the reason; an operator's preview of
// SSLDRHAQM1's certificate with a DN that DRHAQM2's SSLPEER refuses is blocked (AMQ9636E in the
// trust graph), and retiring it while it is presented is blocked with the server's reasons; the
// operator rotates MQIPT's client certificate — preview with the trust graph,
// typed confirmation, the run followed live — and the certificates page then shows the new
// label, marked as made by the rotation, on the table and on the expiry timeline.
import { test, expect, Page, Locator } from '@playwright/test';
import * as path from 'node:path';
import { repo } from './console';
import { startLab, Lab } from './lab';

const artifacts = path.join(repo, 'end2end', 'artifacts');
const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: path.join(artifacts, name), fullPage });

const CLIENT_PFX = '/opt/mqipt/installation1/mqipt/HAMQ/keys/mq-ipt-client.pfx';
const SSL_KDB = '/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb';

test.describe.configure({ mode: 'serial' });

let lab: Lab;

test.beforeAll(async ({}, info) => {
  info.setTimeout(90_000);
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

async function openCertificates(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Certificates' }).click();
  await expect(page.getByRole('heading', { name: 'Certificates and TLS' })).toBeVisible();
}

const table = (page: Page) => page.getByRole('table', { name: /Every certificate entry/ });
/** The row of a certificate entry: its label (personal or signer) in a store. */
function entry(page: Page, label: string, store: string, personal = true): Locator {
  return table(page)
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${label} ${personal ? 'personal' : 'signer'}`) }) })
    .filter({ hasText: store });
}

function fitsWidth(page: Page) {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

test('a viewer sees Rotate and Retire disabled, with the reason', async ({ page }) => {
  await signIn(page, 'mqviewer');
  await openCertificates(page);
  const row = entry(page, 'mqiptclient', CLIENT_PFX);
  await expect(row).toHaveCount(1);
  for (const name of [/^Rotate/, 'Retire']) {
    const button = row.getByRole('button', { name });
    await expect(button).toBeDisabled();
    await expect(button).toHaveAccessibleDescription(/only operators \(mqadmins\) may plan or run workflows/);
  }
  // A signer trusted elsewhere is rotated by its owner's store, not here.
  await expect(entry(page, 'mqiptclient', SSL_KDB, false).first().getByRole('button', { name: /^Rotate/ })).toHaveCount(0);
  await row.scrollIntoViewIfNeeded();
  await shot(page, 'certificates-rotate-viewer.png', false);
});

test('a new DN that an SSLPEER filter refuses blocks the rotation: AMQ9636E in the trust graph', async ({ page }) => {
  test.setTimeout(60_000);
  await signIn(page, 'mqadmin');
  await openCertificates(page);
  // A finding that proposes a rotation makes it prominent, with the reason.
  const proposed = entry(page, 'replication-node-3', 'dal3-mq1').getByRole('button', { name: 'Rotate — host name missing from SAN' });
  await expect(proposed).toBeEnabled();
  await expect(proposed).toHaveClass(/primary/);
  await proposed.scrollIntoViewIfNeeded();
  await shot(page, 'certificates-rotate-proposed.png', false);
  await entry(page, 'ssldrhaqm1certlabel', 'wdc1-mq1').filter({ hasText: SSL_KDB }).first().getByRole('button', { name: /^Rotate/ }).click();
  const dialog = page.getByRole('dialog', { name: /^Plan: Rotate certificate ssldrhaqm1certlabel of / });
  const graph = dialog.getByRole('region', { name: /^Trust graph/ });
  await expect(graph).toBeVisible({ timeout: 20_000 });
  // As planned first: the same DN, which every filter accepts.
  const dn = dialog.getByLabel("New certificate's DN (subject)");
  await expect(dn).toHaveValue('CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US');
  await expect(graph.getByRole('row', { name: /SSLDRHAQM1\.TO\.DRHAQM2/ })).toContainText('accepts the new DN');
  await expect(dialog.getByRole('button', { name: 'Execute' })).toBeDisabled();

  // Another DN: Execute stays off until planned again, then the plan is blocked.
  await dn.fill('CN=OTHER,O=IBM,C=US');
  await expect(dialog.getByRole('button', { name: 'Plan again with this DN' })).toBeEnabled();
  await dialog.getByLabel('Type ssldrhaqm1certlabel to confirm').fill('ssldrhaqm1certlabel');
  await expect(dialog.getByRole('button', { name: 'Execute' })).toHaveAccessibleDescription(/plan above makes the new certificate for CN=SSLDRHAQM1/);
  await dialog.getByRole('button', { name: 'Plan again with this DN' }).click();
  await expect(page.getByRole('dialog', { name: /for CN=OTHER,O=IBM,C=US/ })).toBeVisible();
  await expect(dialog.getByRole('alert').filter({ hasText: 'Blocked: this plan cannot be executed' })).toContainText(/SSLDRHAQM1\.TO\.DRHAQM2.*AMQ9636E/, { timeout: 20_000 });
  const refused = graph.getByRole('row', { name: /SSLDRHAQM1\.TO\.DRHAQM2/ });
  await expect(refused).toContainText('Blocks: would refuse the new DN — the channel stops with AMQ9636E');
  await expect(refused).toContainText('CN=SSLDRHAQM1,OU=SSL For MQ');
  await expect(graph.getByRole('alert')).toContainText('would refuse the new DN (AMQ9636E)');
  await expect(dialog).toContainText('Execute is not offered: a precondition blocks this plan');
  await expect(dialog.getByRole('button', { name: 'Execute' })).toHaveCount(0);
  await dialog.evaluate((d) => (d.scrollTop = 0));
  await shot(page, 'certificates-rotate-blocked.png', false);
  await graph.scrollIntoViewIfNeeded();
  await shot(page, 'certificates-rotate-blocked-graph.png', false);
  await dialog.getByRole('button', { name: 'Cancel — run nothing' }).click();
  await expect(dialog).toHaveCount(0);

  // Retiring it while SSLDRHAQM1 still presents it: the server's reasons, and nothing to execute.
  await entry(page, 'ssldrhaqm1certlabel', 'wdc1-mq1').filter({ hasText: SSL_KDB }).first().getByRole('button', { name: 'Retire' }).click();
  const retire = page.getByRole('dialog', { name: /^Plan: Retire certificate ssldrhaqm1certlabel/ });
  const blocked = retire.getByRole('alert').filter({ hasText: 'Blocked: this plan cannot be executed' });
  await expect(blocked).toContainText("SSLDRHAQM1's CERTLABL is ssldrhaqm1certlabel: it still presents this certificate", { timeout: 20_000 });
  await expect(retire.getByRole('button', { name: 'Execute' })).toHaveCount(0);
  await shot(page, 'certificates-retire-blocked.png', false);
  await retire.getByRole('button', { name: 'Cancel — run nothing' }).click();
});

test("an operator rotates MQIPT's client certificate: the trust graph, typed confirmation, the run live, the new label after", async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, 'mqadmin');
  await openCertificates(page);
  const before = entry(page, 'mqiptclient', CLIENT_PFX);
  await expect(before).toContainText('wdc-bastion');
  await before.getByRole('button', { name: /^Rotate/ }).click();

  const dialog = page.getByRole('dialog', { name: /^Plan: Rotate certificate mqiptclient of \/opt\/mqipt\/.*mq-ipt-client\.pfx on wdc-bastion/ });
  const graph = dialog.getByRole('region', { name: /^Trust graph/ });
  await expect(graph).toBeVisible({ timeout: 20_000 });
  // The certificate and the one replacing it.
  await expect(graph).toContainText('CN=mqipt-client,OU=IBM,C=US');
  const newLabel = (await graph.locator('.tg-cert.new .tg-label').textContent())!.trim();
  expect(newLabel).toMatch(/^mqiptclient-\d{12}$/);
  // Who trusts it, which filter checks it, which route presents it.
  await expect(graph.getByRole('row', { name: new RegExp(SSL_KDB.replace(/\./g, '\\.')) })).toContainText(/SSLDRHAQM1 accepts MQIPT's connections on route 1503/);
  // The lab's planted flaw: SSLDRHAQM1.MQIPT wants CN=mqipt-gateway, so it refuses the old DN
  // and the new alike (a warning, not a block: the rotation changes nothing for it).
  await expect(graph.getByRole('row', { name: /SSLDRHAQM1\.MQIPT/ })).toContainText('refuses both: fails today with AMQ9636E and still would');
  await expect(graph.getByRole('row', { name: /HAMQ route 1503/ })).toContainText('SSLClientSiteLabel');
  // Every step with its host and command; the change to mqipt.conf.
  for (const [title, host, command] of [
    [`Step 1: Create the new certificate ${newLabel}`, 'wdc-bastion', `mqiptKeycmd -cert -create -db ${CLIENT_PFX} -stashed -label ${newLabel}`],
    ['Step 3: Copy the public part to wdc1-mq1', 'wdc1-mq1', `scp wdc-bastion:`],
    [`Step 4: Trust it in ${SSL_KDB}`, 'wdc1-mq1', `runmqakm -cert -add -db ${SSL_KDB}`],
  ]) {
    const step = dialog.getByRole('listitem').filter({ has: page.getByRole('heading', { name: title }) });
    await expect(step).toContainText(`Host${host}`);
    await expect(step).toContainText(`Command${command}`);
  }
  await expect(dialog.getByLabel('Unified diff of mqipt.conf')).toContainText(`added+SSLClientSiteLabel=${newLabel}`);
  await dialog.evaluate((d) => (d.scrollTop = 0));
  await shot(page, 'certificates-rotate-preview.png', false);
  await graph.scrollIntoViewIfNeeded();
  await shot(page, 'certificates-rotate-preview-graph.png', false);

  // Typed confirmation of the label.
  const execute = dialog.getByRole('button', { name: 'Execute' });
  const confirm = dialog.getByLabel('Type mqiptclient to confirm');
  await confirm.fill('mqiptclien');
  await expect(execute).toBeDisabled();
  await confirm.fill('mqiptclient');
  await expect(execute).toBeEnabled();
  await execute.click();

  // Followed live, each step verified; the run keeps the trust graph.
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]+$/);
  await expect(page.getByRole('heading', { name: /^Run: Rotate certificate mqiptclient/ })).toBeVisible();
  const steps = page.getByRole('region', { name: 'Steps' }).getByRole('listitem');
  const count = await steps.count();
  expect(count).toBeGreaterThanOrEqual(8);
  await shot(page, 'certificates-rotate-run-in-progress.png');
  for (let i = 0; i < count; i++) await expect(steps.nth(i)).toContainText(/Succeeded|Already done/, { timeout: 60_000 });
  await expect(page.getByRole('status').filter({ hasText: /cert-rotate|mqiptclient/ }).first()).toContainText('Succeeded');
  await expect(steps.filter({ hasText: `1. Create the new certificate ${newLabel}` })).toContainText('Verification');
  const runGraph = page.getByRole('region', { name: 'What this rotation changes' });
  await expect(runGraph).toContainText(newLabel);
  await expect(runGraph.getByRole('row', { name: /SSLDRHAQM1\.MQIPT/ })).toContainText('refuses both');
  expect(await fitsWidth(page)).toBeLessThanOrEqual(1280);
  await shot(page, 'certificates-rotate-run.png');
  const runUrl = new URL(page.url()).pathname;

  // What MQIPT's configuration says now.
  expect(await lab.ssh('wdc-bastion', `grep SSLClientSiteLabel ${path.posix.dirname(path.posix.dirname(CLIENT_PFX))}/mqipt.conf || true`)).toContain(newLabel);

  // The certificates page: the new label in its store, made by the rotation.
  await page.getByRole('link', { name: 'Open the certificates' }).click();
  await expect(page.getByRole('heading', { name: 'Certificates and TLS' })).toBeVisible();
  await expect(table(page)).toBeVisible({ timeout: 20_000 });
  if ((await entry(page, newLabel, CLIENT_PFX).count()) === 0) {
    // Read before the run ended: the page says so, and reading again shows it.
    await expect(page.getByRole('status').filter({ hasText: 'This inventory was read at' })).toBeVisible();
    await page.getByRole('button', { name: 'Read every key store again' }).click();
  }
  const made = entry(page, newLabel, CLIENT_PFX);
  await expect(made).toHaveCount(1, { timeout: 20_000 });
  await expect(made.getByRole('link', { name: /made by rotating mqiptclient/ })).toHaveAttribute('href', runUrl);
  await expect(entry(page, newLabel, SSL_KDB, false).first()).toBeVisible();
  await made.scrollIntoViewIfNeeded();
  await shot(page, 'certificates-after-rotation-row.png', false);
  const timeline = page.getByRole('region', { name: 'Expiry timeline' });
  await expect(timeline.locator('text.rotated-note').first()).toHaveText(/^↻ rotated \d{4}-\d\d-\d\d$/);
  await expect(timeline.getByRole('listitem').filter({ hasText: newLabel })).toContainText('made by rotating mqiptclient');
  expect(await fitsWidth(page)).toBeLessThanOrEqual(1280);
  await shot(page, 'certificates-after-rotation.png');
  await timeline.screenshot({ path: path.join(artifacts, 'certificates-timeline-rotated.png') });

  // The old one is still presented nowhere: retiring it is offered and planned (not run here).
  await entry(page, 'mqiptclient', CLIENT_PFX).getByRole('button', { name: 'Retire' }).click();
  const retire = page.getByRole('dialog', { name: /^Plan: Retire certificate mqiptclient/ });
  await expect(retire.getByRole('heading', { name: /^Preconditions/ })).toBeVisible({ timeout: 20_000 });
  await shot(page, 'certificates-retire-preview.png', false);
  await retire.getByRole('button', { name: 'Cancel — run nothing' }).click();
});
