// How fast the estate appears: a cold navigation (signed in, empty cache) to `/` until the
// queue managers' table shows DRHAQM1, through Debian's Chromium on loopback and with the
// network throttled (DevTools emulation: 20 Mbit/s, 40 ms round trips). Reports figures; asserts
// nothing about time (the budget is read by a person: <= 800 ms throttled, <= 400 ms loopback).
//
// LOAD_BUDGET_ASSETS=dirA,dirB compares built apps, runs interleaved; LOAD_BUDGET_ROUNDS=N.
import { test, type Browser } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { repo, startDemo, type Console } from '../tests/console';

const conditions = {
  loopback: null,
  throttled: { offline: false, latency: 40, downloadThroughput: (20e6 / 8), uploadThroughput: (20e6 / 8) },
} as const;

interface Sample { ms: number; bytes: number; requests: number; timeline: string }

type Session = Awaited<ReturnType<import('@playwright/test').BrowserContext['storageState']>>;

/** Signs in once per console (sign-in is rate limited); each load starts from its cookie. */
async function signIn(browser: Browser, url: string): Promise<Session> {
  const context = await browser.newContext();
  try {
    const answer = await context.request.post(`${url}/api/session`, { data: { username: 'mqadmin', password: 'mqadmin' } });
    if (!answer.ok()) throw new Error(`sign-in: ${answer.status()} ${await answer.text()}`);
    return await context.storageState();
  } finally {
    await context.close();
  }
}

async function coldLoad(browser: Browser, url: string, session: Session, condition: keyof typeof conditions): Promise<Sample> {
  // A new context: an empty cache, signed in.
  const context = await browser.newContext({ storageState: session });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const emulation = conditions[condition];
    if (emulation) await cdp.send('Network.emulateNetworkConditions', emulation);
    let bytes = 0;
    let requests = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests += 1; });
    // Stamped by the page itself, at the mutation that first shows the estate.
    await page.addInitScript(() => {
      const shown = () => [...document.querySelectorAll('table')].some((t) => t.textContent?.includes('DRHAQM1'));
      new MutationObserver((_, observer) => {
        if (shown()) {
          (window as any).__estateShownAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(url + '/');
    const ms = await page.waitForFunction(() => (window as any).__estateShownAt, undefined, { timeout: 30_000 }).then((h) => h.jsonValue() as Promise<number>);
    // Where the time went: each request's start and end, as the page saw them.
    const timeline = await page.evaluate(() =>
      (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
        .map((r) => `${r.startTime.toFixed(0).padStart(5)}..${r.responseEnd.toFixed(0).padStart(5)} ms  ${new URL(r.name).pathname}`)
        .join('\n'));
    return { ms, bytes, requests, timeline: timeline + `\n${ms.toFixed(0).padStart(12)} ms  the estate shown` };
  } finally {
    await context.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function compressedSizes(dir: string): string {
  const lines = [];
  let gzip = 0, brotli = 0, raw = 0;
  for (const name of fs.readdirSync(dir).filter((n) => /\.(wasm|js|css|html)$/.test(n))) {
    const data = fs.readFileSync(path.join(dir, name));
    raw += data.length;
    gzip += zlib.gzipSync(data, { level: 9 }).length;
    brotli += zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  }
  lines.push(`${dir}: ${(raw / 1024).toFixed(0)} KB raw, ${(gzip / 1024).toFixed(0)} KB gzip -9, ${(brotli / 1024).toFixed(0)} KB brotli 11`);
  return lines.join('\n');
}

test('load budget: how fast the estate appears', async ({ browser }) => {
  const dirs = (process.env.LOAD_BUDGET_ASSETS ?? path.join(repo, 'dist')).split(',').map((d) => path.resolve(repo, d));
  const rounds = Number(process.env.LOAD_BUDGET_ROUNDS ?? 7);
  const consoles: Console[] = [];
  try {
    for (const dir of dirs) consoles.push(await startDemo(dir));
    // The first poll of the in-process estate, and one warm-up per console (not counted).
    const sessions: Session[] = [];
    for (const c of consoles) sessions.push(await signIn(browser, c.url));
    for (let i = 0; i < consoles.length; i++) await coldLoad(browser, consoles[i].url, sessions[i], 'loopback');
    const samples = new Map<string, Sample[]>();
    for (let round = 0; round < rounds; round++) {
      for (const condition of Object.keys(conditions) as (keyof typeof conditions)[]) {
        dirs.forEach((dir, i) => samples.set(`${dir}|${condition}`, samples.get(`${dir}|${condition}`) ?? []));
        for (let i = 0; i < consoles.length; i++) {
          samples.get(`${dirs[i]}|${condition}`)!.push(await coldLoad(browser, consoles[i].url, sessions[i], condition));
        }
      }
    }
    const report = ['', `load budget: cold navigation to the estate, median of ${rounds} (min..max), interleaved`];
    for (const [key, list] of samples) {
      const [dir, condition] = key.split('|');
      const ms = list.map((s) => s.ms);
      report.push(`  ${condition.padEnd(9)} ${median(ms).toFixed(0).padStart(5)} ms (${Math.min(...ms).toFixed(0)}..${Math.max(...ms).toFixed(0)})  ${(median(list.map((s) => s.bytes)) / 1024).toFixed(0)} KB over ${median(list.map((s) => s.requests))} requests  ${dir}`);
    }
    for (const dir of dirs) report.push('  ' + compressedSizes(dir));
    if (process.env.LOAD_BUDGET_DETAIL) {
      for (const [key, list] of samples) report.push(`\n  last load, ${key}:\n` + list[list.length - 1].timeline);
    }
    console.log(report.join('\n'));
  } finally {
    for (const c of consoles) await c.stop();
  }
});
