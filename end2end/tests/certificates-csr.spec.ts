// Certificate rotation by signing request, in the browser, against a lab of its own (real sshd
// per host, the lab's PKI): an operator rotates SSLDRHAQM1's certificate choosing "Signed by
// your CA"; the preview shows the request, wait and receive steps; the run waits with the
// request on its page (a viewer sees it without the upload form); the test signs the request
// with the lab's CA (openssl, as a CA would), uploads a certificate that does not answer the
// request first (refused with the server's reasons), then the CA's answer, and the run succeeds
// live. A second request, rolled back while it waits, is deleted.
import { test, expect, Page, Locator } from '@playwright/test';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repo } from './console';
import { startLab, Lab } from './lab';

const exec = promisify(execFile);
const artifacts = path.join(repo, 'end2end', 'artifacts');
const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: path.join(artifacts, name), fullPage });

const SSL_KDB = '/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb';
const LABEL = 'ssldrhaqm1certlabel';

test.describe.configure({ mode: 'serial' });

let lab: Lab;
let tmp: string;

test.beforeAll(async ({}, info) => {
  info.setTimeout(90_000);
  lab = await startLab();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rdqm-csr-'));
});

test.afterAll(async () => {
  await lab?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function signIn(page: Page, user: string, next = '/') {
  await page.goto(lab.url + next);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(user);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const table = (page: Page) => page.getByRole('table', { name: /Every certificate entry/ });
function entry(page: Page, label: string, store: string): Locator {
  return table(page)
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${label} personal`) }) })
    .filter({ hasText: store });
}

/** The lab's CA signs `request`, as the operator's CA would. */
async function signWithLabCa(request: string): Promise<string> {
  const csr = path.join(tmp, 'request.csr');
  const crt = path.join(tmp, 'signed.crt');
  fs.writeFileSync(csr, request);
  await exec('openssl', [
    'x509', '-req', '-in', csr, '-CA', lab.env.LAB_CA_CERT, '-CAkey', lab.env.LAB_CA_KEY,
    '-set_serial', '0x5eed', '-days', '90', '-sha256', '-copy_extensions', 'copy', '-out', crt,
  ]);
  return fs.readFileSync(crt, 'utf8');
}

/** Plans the CA-signed rotation of `label` from the certificates page and executes it. */
async function rotateByRequest(page: Page, label: string, screenshots: boolean): Promise<string> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Certificates' }).click();
  await expect(table(page)).toBeVisible({ timeout: 20_000 });
  await entry(page, label, SSL_KDB).filter({ hasText: 'wdc1-mq1' }).first().getByRole('button', { name: /^Rotate/ }).click();
  const dialog = page.getByRole('dialog', { name: new RegExp(`^Plan: Rotate certificate ${label} of `) });
  const mode = dialog.getByRole('group', { name: 'How the new certificate is made' });
  const selfSigned = mode.getByRole('radio', { name: 'Self-signed (as seed 000)' });
  const caSigned = mode.getByRole('radio', { name: 'Signed by your CA (signing request)' });
  // Planned self-signed first, as seed 000 made them.
  await expect(dialog.getByRole('heading', { name: /^Step 1: Create the new certificate/ })).toBeVisible({ timeout: 20_000 });
  await expect(selfSigned).toBeChecked();
  await expect(caSigned).not.toBeChecked();
  await expect(dialog).toHaveAccessibleName(/a new self-signed certificate/);

  // Choosing the CA plans again: a request, shown, waited for, received.
  await caSigned.check();
  await expect(dialog).toHaveAccessibleName(/a new CA-signed certificate/);
  await expect(caSigned).toBeChecked();
  await expect(mode).toContainText('the run then waits, its locks held, until an operator uploads the certificate your CA signed');
  const stepTitles = [/^Step 1: Make a signing request \S+ in /, /^Step 2: Show the signing request, for the CA$/, /^Step 3: Wait for the CA-signed certificate/, /^Step 4: Receive it into /];
  for (const title of stepTitles) await expect(dialog.getByRole('heading', { name: title })).toBeVisible({ timeout: 20_000 });
  await expect(dialog.getByRole('heading', { name: /^Step \d+: Create the new certificate/ })).toHaveCount(0);
  const wait = dialog.getByRole('listitem').filter({ has: page.getByRole('heading', { name: /^Step 3: Wait/ }) });
  await expect(wait).toContainText('uploaded on the run\'s page');
  await expect(dialog.getByRole('listitem').filter({ hasText: 'a signing request is made where the store is' })).toContainText('Pass');
  // The stores that check it trust it through the CA: nothing is added to them.
  const graph = dialog.getByRole('region', { name: /^Trust graph/ });
  await expect(graph).toContainText('Stores that must trust it through your CA before it is used (2)');
  await expect(graph).toContainText('requested on wdc1-mq1 (a signing request), signed by your CA');
  await expect(dialog.getByRole('heading', { name: /^Step \d+: Trust it in / })).toHaveCount(0);
  if (screenshots) {
    await dialog.evaluate((d) => (d.scrollTop = 0));
    await shot(page, 'certificates-csr-dialog.png', false);
    await wait.scrollIntoViewIfNeeded();
    await shot(page, 'certificates-csr-dialog-steps.png', false);
  }
  await dialog.getByLabel(`Type ${label} to confirm`).fill(label);
  await dialog.getByRole('button', { name: 'Execute' }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]+$/);
  return new URL(page.url()).pathname;
}

test('an operator rotates SSLDRHAQM1 by signing request: the run waits, a wrong certificate is refused, the CA-signed one goes through', async ({ page, browser }) => {
  test.setTimeout(240_000);
  await signIn(page, 'mqadmin');
  await expect(page.getByRole('heading', { name: 'Estate', exact: true })).toBeVisible();
  const runPath = await rotateByRequest(page, LABEL, true);

  // The run waits for the CA, the request on its page.
  await expect(page.getByRole('status').filter({ hasText: 'Awaiting the signed certificate' })).toBeVisible({ timeout: 60_000 });
  const panel = page.getByRole('region', { name: 'Waiting for the certificate your CA signs' });
  await expect(panel).toBeVisible();
  await expect(panel).toContainText(/signing request for the new certificate ssldrhaqm1certlabel-\d{12,} \(CN=SSLDRHAQM1,/);
  const pem = panel.getByLabel('Signing request (PEM)');
  await expect(pem).toContainText('-----BEGIN CERTIFICATE REQUEST-----');
  const request = (await pem.textContent())!;
  expect(request.trim()).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----[\s\S]+-----END CERTIFICATE REQUEST-----$/);
  await expect(panel.getByRole('button', { name: 'Copy the signing request' })).toBeVisible();
  const download = panel.getByRole('link', { name: 'Download it (.csr)' });
  await expect(download).toHaveAttribute('href', /^data:application\/pkcs10/);
  await expect(download).toHaveAttribute('download', /^ssldrhaqm1certlabel-\d{12,}\.csr$/);
  // The run stopped at the step that waits.
  await expect(page.getByRole('region', { name: 'Steps' }).getByRole('listitem').filter({ hasText: '3. Wait for the CA-signed certificate' })).toContainText('Waiting for the certificate');
  await expect(panel).toContainText('its issuer (your CA) is trusted by every store that checks it');
  // The header counts it, on every page.
  await expect(page.getByRole('link', { name: /1 run awaits a signed certificate/ })).toHaveAttribute('href', runPath);
  const upload = panel.getByRole('button', { name: 'Upload the signed certificate' });
  await expect(upload).toBeDisabled();
  await expect(upload).toHaveAccessibleDescription('Paste the signed certificate, or choose its file.');
  await shot(page, 'certificates-csr-waiting.png');
  await panel.screenshot({ path: path.join(artifacts, 'certificates-csr-waiting-panel.png') });

  // A viewer sees what is awaited and the request, but no upload form and no roll back.
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signIn(viewer, 'mqviewer', runPath);
  const seen = viewer.getByRole('region', { name: 'Waiting for the certificate your CA signs' });
  await expect(seen.getByLabel('Signing request (PEM)')).toContainText('BEGIN CERTIFICATE REQUEST', { timeout: 20_000 });
  await expect(seen).toContainText('Only operators (mqadmins) upload the signed certificate or roll the run back');
  await expect(seen.getByLabel('Signed certificate (PEM)')).toHaveCount(0);
  await expect(seen.getByRole('button', { name: 'Upload the signed certificate' })).toHaveCount(0);
  await expect(seen.getByRole('button', { name: /^Roll back/ })).toHaveCount(0);
  await seen.scrollIntoViewIfNeeded();
  await shot(viewer, 'certificates-csr-waiting-viewer.png', false);
  await viewerContext.close();

  // The request itself is not the certificate: said before anything is sent.
  const text = panel.getByLabel('Signed certificate (PEM)');
  await text.fill(request);
  await expect(upload).toBeDisabled();
  await expect(upload).toHaveAccessibleDescription(/^This is a signing request, not the certificate/);

  // Another certificate (the CA's own, chosen as a file): refused by the console, with why.
  await panel.getByLabel(/^Or choose its file/).setInputFiles(lab.env.LAB_CA_CERT);
  await expect(panel).toContainText(`Read from ${path.basename(lab.env.LAB_CA_CERT)}`);
  await expect(text).toHaveValue(/^-----BEGIN CERTIFICATE-----/);
  await expect(upload).toBeEnabled();
  await upload.click();
  const refused = panel.getByRole('alert').filter({ hasText: 'Refused: this certificate does not fit' });
  await expect(refused).toContainText('does not answer the signing request', { timeout: 20_000 });
  await expect(refused).toContainText('The run still waits');
  await expect(page.getByRole('status').filter({ hasText: 'Awaiting the signed certificate' })).toBeVisible();
  await refused.scrollIntoViewIfNeeded();
  await shot(page, 'certificates-csr-refused.png', false);
  await panel.screenshot({ path: path.join(artifacts, 'certificates-csr-refused-panel.png') });

  // The CA's answer: accepted, and the run goes on live to the end.
  const signed = await signWithLabCa(request);
  await text.fill(signed);
  await upload.click();
  await expect(panel).toHaveCount(0, { timeout: 20_000 });
  const outcome = page.getByRole('status').filter({ hasText: /Succeeded|Running|Failed/ }).first();
  await expect(outcome).toContainText('Succeeded', { timeout: 120_000 });
  const steps = page.getByRole('region', { name: 'Steps' }).getByRole('listitem');
  const count = await steps.count();
  for (let i = 0; i < count; i++) await expect(steps.nth(i)).toContainText(/Succeeded|Already done/);
  await expect(steps.filter({ hasText: /^.*3\. Wait for the CA-signed certificate/ })).toContainText('Verification');
  await expect(page.getByRole('link', { name: /signed certificate/ })).toHaveCount(0);
  // The certificate uploaded stays with the run.
  await page.getByText('The CA-signed certificate uploaded for this run').click();
  await expect(page.getByLabel('Uploaded certificate (PEM)')).toContainText(signed.trim().split('\n')[1]);
  await shot(page, 'certificates-csr-succeeded.png');

  // What the queue manager's store holds now (where the run received it): the CA's certificate.
  const newLabel = (await page.getByRole('region', { name: 'What this rotation changes' }).locator('.tg-cert.new .tg-label').textContent())!.trim();
  const receivedOn = (await steps.filter({ hasText: /^.*4\. Receive it into/ }).locator('dd code').first().textContent())!.trim();
  const details = await lab.ssh(receivedOn, `runmqakm -cert -details -db ${SSL_KDB} -stashed -label ${newLabel} 2>&1 || true`);
  expect(details).toMatch(/^Serial : 5eed$/m);
  expect(details).toContain('Issuer : "CN=Lab Root CA');
});

test('a run waiting for its certificate is rolled back: the request is deleted', async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, 'mqadmin');
  await expect(page.getByRole('heading', { name: 'Estate', exact: true })).toBeVisible();
  // The certificate made by the first test is the one presented now.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Certificates' }).click();
  await expect(table(page)).toBeVisible({ timeout: 20_000 });
  const current = (await table(page).getByRole('rowheader', { name: /^ssldrhaqm1certlabel-\d{12,} personal/ }).first().textContent())!.match(/ssldrhaqm1certlabel-\d{12,}/)![0];
  await rotateByRequest(page, current, false);
  const panel = page.getByRole('region', { name: 'Waiting for the certificate your CA signs' });
  await expect(panel).toBeVisible({ timeout: 60_000 });
  const pending = (await panel.textContent())!.match(/new certificate (ssldrhaqm1certlabel-\d{12,})/)![1];
  const listRequests = () => lab.ssh('wdc1-mq1', `runmqakm -certreq -list -db ${SSL_KDB} -stashed 2>&1 || true`);
  expect(await listRequests()).toContain(pending);
  const rollBack = panel.getByRole('button', { name: 'Roll back (delete the request)' });
  await expect(rollBack).toBeDisabled();
  await panel.getByLabel(`Type ${current} to roll back`).fill(current);
  await expect(rollBack).toBeEnabled();
  await rollBack.click();
  await expect(page.getByRole('status').filter({ hasText: 'rolled back' }).first()).toContainText('Failed and rolled back', { timeout: 60_000 });
  await expect(panel).toHaveCount(0);
  await shot(page, 'certificates-csr-rolled-back.png');
  expect(await listRequests()).not.toContain(pending);
});
