// What the console's browser tests share: Debian's chromium driven by
// puppeteer-core, the API asked directly (Bearer keys) for the numbers the
// pages must show, psql against the service's database, screenshots.
import puppeteer from 'puppeteer-core';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const BASE = process.env.REDRESS_URL;
export const KEYS = { A: process.env.KEY_A, B: process.env.KEY_B };
export const SHOTS = process.env.REDRESS_CONSOLE_SHOTS || 'build/console-shots';
export const WIDE = { width: 1280, height: 900 };
export const NARROW = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

export async function launch() {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage', '--lang=en-US', '--font-render-hinting=none'],
  });
}

// A page in its own browser context (its own cookies and storage), with
// every console error and CSP violation collected in page.problems.
export async function newPage(browser, { viewport = WIDE, languages = 'en-US,en' } = {}) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // The browser logs the answers the page expects and shows (a wrong key,
    // no session yet, another tenant's case, a refused value).
    if (m.type() === 'error' && !/status of (400|401|404|412|422)/.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  await page.setExtraHTTPHeaders({ 'Accept-Language': languages });
  await page.evaluateOnNewDocument((langs) => {
    Object.defineProperty(navigator, 'languages', { get: () => langs.split(',') });
  }, languages);
  await page.setViewport(viewport);
  page.setDefaultTimeout(20000);
  return page;
}

export async function api(tenant, path, options = {}) {
  const response = await fetch(BASE + path, {
    method: options.method || 'GET',
    headers: { Authorization: `Bearer ${KEYS[tenant]}`, Accept: 'application/json', ...(options.body ? { 'Content-Type': 'application/json' } : {}), ...(options.headers || {}) },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, data: text ? JSON.parse(text) : null };
}

export function psql(sql) {
  const r = spawnSync('psql', ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-d', process.env.REDRESS_CONSOLE_PSQL, '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout.trim();
}

export async function open(page, hash) {
  await page.goto(`${BASE}/${hash || ''}`, { waitUntil: 'domcontentloaded' });
}

// The page has settled: no loading state left in it.
export async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('.state-loading') && document.querySelector('#app > *'));
}

export async function signIn(page, key, hash = '#/overview') {
  await open(page, hash);
  await page.waitForSelector('form[data-form=signin] input[name=api_key]');
  await page.type('form[data-form=signin] input[name=api_key]', key);
  await Promise.all([
    page.waitForSelector('header.topbar'),
    page.click('form[data-form=signin] button[type=submit]'),
  ]);
  await settled(page);
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((h) => document.querySelector(`main[data-page="${h.slice(2).split(/[/?]/)[0]}"]`), {}, hash);
  await settled(page);
}

export function isoDay(daysAgo) {
  return new Date(Date.now() - daysAgo * 86400000).toISOString().slice(0, 10);
}

export async function sessionCookie(page) {
  const cookies = await page.cookies(BASE);
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}
