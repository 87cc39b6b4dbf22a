// The seller's console in a real browser against the real service and
// database (scripts/console-test.sh seeds them): sign-in, every page's
// numbers against the API's own answers, a policy edit validated,
// simulated and published, an outcome recorded, the evidence pack
// downloaded, sign-out and expiry, tenants kept apart; screenshots of every
// page at 1280 and 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, newPage, api, psql, open, settled, signIn, shot, go, isoDay, sessionCookie, KEYS, BASE, WIDE, NARROW } from './lib.mjs';
import { STRINGS, HELP } from '../../service/console/i18n.js';
import { generate } from './policy-fields.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let browser;

before(async () => { browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

const text = (page, selector) => page.$eval(selector, (e) => e.textContent.trim());
const attr = (page, selector, name) => page.$eval(selector, (e, n) => e.getAttribute(n), name);
function noProblems(page) { assert.deepEqual(page.problems, [], 'no script errors or CSP violations'); }

test('both languages have every string', () => {
  const en = Object.keys(STRINGS.en).sort();
  const zh = Object.keys(STRINGS['zh-CN']).sort();
  assert.deepEqual(zh.filter((k) => !en.includes(k)), [], 'keys only in zh-CN');
  assert.deepEqual(en.filter((k) => !zh.includes(k)), [], 'keys only in en');
  for (const k of en) assert.ok(STRINGS['zh-CN'][k].length > 0, k);
});

test('the policy form\'s ranges and help are what openapi.yaml says, each field labelled in both languages', async () => {
  assert.equal(readFileSync(join(root, 'service/console/policy_fields.js'), 'utf8'), generate());
  const { POLICY_GROUPS } = await import('../../service/console/policy_fields.js');
  for (const fields of Object.values(POLICY_GROUPS)) {
    for (const f of fields) assert.ok(STRINGS.en[`field.${f.name}`] && STRINGS['zh-CN'][`field.${f.name}`], f.name);
  }
});

// Latin words in text meant to be Chinese: runs of 3+ ASCII letters, bar the
// names sellers use as they are.
const LATIN_ALLOWED = /\b(?:Amazon|FBA|SKU|A-to-z)\b/g;
const latinWords = (s) => s.replace(LATIN_ALLOWED, '').match(/[A-Za-z]{3,}/g) || [];

async function policyFields() {
  const { POLICY_GROUPS, CATEGORY_RULE } = await import('../../service/console/policy_fields.js');
  const grouped = Object.entries(POLICY_GROUPS).flatMap(([group, fields]) => fields.map((f) => ({ ...f, path: `${group}.${f.name}` })));
  return { grouped, rule: CATEGORY_RULE, all: [...grouped, ...CATEGORY_RULE] };
}

test('every policy field has Chinese help, written in Chinese; English help is the spec\'s alone', async () => {
  const { all } = await policyFields();
  const zh = HELP['zh-CN'];
  assert.deepEqual(all.filter((f) => !(zh[`help.${f.name}`] || '').trim()).map((f) => f.name), [], 'fields without Chinese help');
  assert.deepEqual(Object.keys(zh).filter((k) => !all.some((f) => `help.${f.name}` === k)), [], 'Chinese help for no field');
  for (const [k, v] of Object.entries(zh)) assert.deepEqual(latinWords(v), [], k);
  assert.deepEqual(Object.keys(HELP), ['zh-CN'], 'no English table: the English is openapi.yaml\'s description');
});

test('the page carries no inline script or style (CSP default-src \'self\')', async () => {
  const response = await fetch(`${BASE}/`);
  assert.equal(response.status, 200);
  const html = await response.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'every script has a src');
  assert.doesNotMatch(html, /<style|style=|\son[a-z]+=/i);
});

test('sign-in: a wrong key is refused on the page, the right one lands on the overview', async () => {
  const page = await newPage(browser);
  await open(page, '#/overview');
  await page.waitForSelector('form[data-form=signin]');
  await shot(page, 'signin-1280-en');
  await page.type('input[name=api_key]', 'rk_live_not-a-key-at-all');
  await page.click('form[data-form=signin] button[type=submit]');
  await page.waitForSelector('.signin-error [role=alert]');
  assert.equal(await text(page, '.signin-error [role=alert]'), STRINGS.en['signin.wrong_key']);
  assert.equal(await page.$eval('input[name=api_key]', (e) => e.value), '', 'the key field is cleared');
  await page.type('input[name=api_key]', KEYS.A);
  await page.click('form[data-form=signin] button[type=submit]');
  await page.waitForSelector('main[data-page=overview] [data-kpi=cases]');
  assert.equal(await page.$eval('input[name=api_key]', () => 1).catch(() => 0), 0, 'the form is gone');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  assert.ok(!stored.includes(KEYS.A), 'the key is kept nowhere the page can read');
  noProblems(page);
  await page.close();
});

async function mainCurrency(summary) {
  return summary.totals.slice().sort((a, b) => b.cases - a.cases || a.currency.localeCompare(b.currency))[0];
}

test('overview: the period\'s numbers are /v1/reports/summary\'s, week by week', async () => {
  const page = await newPage(browser);
  await signIn(page, KEYS.A, '#/overview?weeks=13');
  const { data: summary } = await api('A', `/v1/reports/summary?from=${isoDay(13 * 7 - 1)}&to=${isoDay(0)}`);
  assert.ok(summary.cases >= 200, `seeded cases in the window (${summary.cases})`);
  const main = await mainCurrency(summary);
  assert.equal(await attr(page, '[data-kpi=cases]', 'data-value'), String(summary.cases));
  assert.equal(await attr(page, '[data-kpi=savings]', 'data-value'), String(main.savings));
  assert.equal(await attr(page, '[data-kpi=cost]', 'data-value'), String(main.compensation_cost));
  const shownSavings = await text(page, '[data-kpi=savings] .kpi-value');
  const expected = new Intl.NumberFormat('en', { style: 'currency', currency: main.currency }).format(main.savings / 100);
  assert.equal(shownSavings, expected);
  // The chart: one bar per week, the weeks' cases summing to the period's.
  const weeks = JSON.parse(await attr(page, '.chart-figure', 'data-weeks'));
  assert.equal(weeks.length, 13);
  assert.equal(weeks.reduce((a, b) => a + b, 0), summary.cases);
  assert.equal(await page.$$eval('.chart .chart-bar', (e) => e.length), 13);
  for (const status of ['accepted', 'declined', 'returned', 'escalated', 'none']) {
    assert.equal(await attr(page, `[data-outcomes="${status}"]`, 'data-value'), String(summary.outcomes[status] || 0), status);
  }
  for (const tier of ['top', 'goodwill', 'courtesy', 'firm']) {
    const group = summary.by_tier.find((g) => g.name === tier);
    assert.equal(await attr(page, `[data-tier="${tier}"]`, 'data-value'), String(group ? group.cases : 0), tier);
  }
  const reasons = summary.top_reasons.find((r) => r.currency === main.currency).reasons.map((r) => r.category);
  assert.deepEqual(await page.$$eval('[data-table=reasons] tbody tr', (rows) => rows.map((r) => r.dataset.category)), reasons);
  await shot(page, 'overview-1280-en');
  // 4 weeks: a narrower window, its own numbers.
  await go(page, '#/overview?weeks=4');
  const { data: month } = await api('A', `/v1/reports/summary?from=${isoDay(4 * 7 - 1)}&to=${isoDay(0)}`);
  assert.equal(await attr(page, '[data-kpi=cases]', 'data-value'), String(month.cases));
  noProblems(page);
  await page.close();
});

test('overview in Chinese: the browser\'s language, the switch, and it stays', async () => {
  const page = await newPage(browser, { languages: 'zh-CN,zh' });
  await signIn(page, KEYS.A, '#/overview');
  assert.equal(await text(page, 'main h1'), STRINGS['zh-CN']['overview.title']);
  assert.equal(await text(page, '[data-kpi=savings] .kpi-label'), STRINGS['zh-CN']['common.savings']);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  await shot(page, 'overview-1280-zh');
  await page.setViewport(NARROW);
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForSelector('main[data-page=overview] [data-kpi=cases]');
  await settled(page);
  await shot(page, 'overview-390-zh');
  await page.setViewport(WIDE);
  for (const name of ['skus', 'health', 'cases', 'policy']) {
    await go(page, `#/${name}`);
    assert.equal(await text(page, 'main h1'), STRINGS['zh-CN'][`${name === 'health' ? 'health' : name}.title`]);
    await shot(page, `${name}-1280-zh`);
  }
  await go(page, '#/overview');
  await page.select('[data-control=language]', 'en');
  await page.waitForFunction((title) => document.querySelector('main h1') && document.querySelector('main h1').textContent === title, {}, STRINGS.en['overview.title']);
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForSelector('main[data-page=overview]');
  assert.equal(await text(page, 'main h1'), STRINGS.en['overview.title'], 'the switch outlives a reload');
  noProblems(page);
  await page.close();
});

test('SKUs: every row is /v1/reports/skus\' row; columns sort; a SKU opens its cases', async () => {
  const page = await newPage(browser);
  await signIn(page, KEYS.A, '#/skus?weeks=13');
  await page.waitForSelector('[data-table=skus]');
  const { data } = await api('A', `/v1/reports/skus?from=${isoDay(13 * 7 - 1)}&to=${isoDay(0)}&limit=500`);
  assert.ok(data.skus.length >= 5);
  const rows = await page.$$eval('[data-table=skus] tbody tr', (trs) => trs.map((tr) => ({
    sku: tr.dataset.sku, currency: tr.dataset.currency,
    units: Number(tr.querySelector('[data-col=units_sold]').dataset.value),
    cases: Number(tr.querySelector('[data-col=cases]').dataset.value),
    cost: Number(tr.querySelector('[data-col=compensation_cost]').dataset.value),
  })));
  assert.equal(rows.length, data.skus.length);
  for (const s of data.skus) {
    const row = rows.find((r) => r.sku === s.sku && r.currency === (s.currency || ''));
    assert.ok(row, s.sku);
    assert.deepEqual([row.units, row.cases, row.cost], [s.units_sold, s.cases, s.compensation_cost], s.sku);
  }
  assert.ok(await page.$('.budget-bar .budget-line'), 'a budget line');
  await shot(page, 'skus-1280-en');
  await page.click('button[data-sort=cases]');
  const byCases = await page.$$eval('[data-table=skus] tbody [data-col=cases]', (tds) => tds.map((td) => Number(td.dataset.value)));
  assert.deepEqual(byCases, byCases.slice().sort((a, b) => b - a), 'most cases first');
  await page.click('button[data-sort=cases]');
  const ascending = await page.$$eval('[data-table=skus] tbody [data-col=cases]', (tds) => tds.map((td) => Number(td.dataset.value)));
  assert.deepEqual(ascending, byCases.slice().sort((a, b) => a - b), 'then fewest first');
  const sku = data.skus[0].sku;
  await page.click(`[data-table=skus] tr[data-sku="${sku}"] a`);
  await page.waitForSelector('main[data-page=cases] [data-table=cases], main[data-page=cases] [data-state=empty]');
  await settled(page);
  const { data: cases } = await api('A', `/v1/cases?sku=${encodeURIComponent(sku)}&limit=25`);
  const listed = await page.$$eval('[data-table=cases] tbody tr', (trs) => trs.map((tr) => tr.dataset.caseId));
  assert.deepEqual(listed, cases.cases.map((c) => c.case_id));
  noProblems(page);
  await page.close();
});

test('account health: each metric, its status and trend are /v1/reports/health\'s', async () => {
  const page = await newPage(browser);
  await signIn(page, KEYS.A, '#/health');
  await page.waitForSelector('[data-metric=order_defect_rate]');
  const { data } = await api('A', '/v1/reports/health');
  for (const [key, m] of Object.entries(data.metrics)) {
    const shown = await page.$eval(`[data-metric=${key}]`, (e) => ({ value: e.dataset.value, status: e.dataset.status, dots: e.querySelectorAll('.trend-line').length }));
    assert.equal(shown.status, m.status, key);
    assert.equal(shown.value === undefined ? null : Number(shown.value), m.rate, key);
    assert.equal(shown.dots, 1, `${key} has a trend`);
  }
  assert.ok(data.metrics.order_defect_rate.denominator > 0, 'the imported orders count');
  for (const part of ['negative_feedback', 'a_to_z_claim', 'chargeback']) {
    const value = await attr(page, `[data-part=${part}]`, 'data-value');
    assert.equal(value === null ? null : Number(value), data.metrics.order_defect_rate.parts[part].rate, part);
  }
  await shot(page, 'health-1280-en');
  noProblems(page);
  await page.close();
});

test('cases: the latest, a search by buyer, by order and by ticket list what /v1/cases lists', async () => {
  const page = await newPage(browser);
  await signIn(page, KEYS.A, '#/cases');
  await page.waitForSelector('[data-table=cases]');
  const listed = () => page.$$eval('[data-table=cases] tbody tr', (trs) => trs.map((tr) => tr.dataset.caseId));
  const { data: latest } = await api('A', '/v1/cases?limit=25');
  assert.deepEqual(await listed(), latest.cases.map((c) => c.case_id));
  await shot(page, 'cases-1280-en');
  // The next page follows the cursor.
  await page.click('[data-action=older]');
  await page.waitForFunction(() => document.querySelectorAll('[data-table=cases] tbody tr').length > 25);
  const { data: older } = await api('A', `/v1/cases?limit=25&before=${encodeURIComponent(latest.next)}`);
  assert.deepEqual((await listed()).slice(25), older.cases.map((c) => c.case_id));
  const sample = latest.cases[3];
  for (const [field, value] of [['buyer_id', sample.buyer_id], ['order_id', sample.order_id], ['ticket_id', sample.ticket_id]]) {
    await page.$eval(`input[name=${field}]`, (e) => { e.form.reset(); });
    for (const f of ['buyer_id', 'order_id', 'ticket_id']) await page.$eval(`input[name=${f}]`, (e) => { e.value = ''; });
    await page.type(`input[name=${field}]`, value);
    await page.click('form.search button[type=submit]');
    await page.waitForFunction((f, v) => location.hash.includes(`${f}=${encodeURIComponent(v)}`), {}, field, value);
    await settled(page);
    const { data } = await api('A', `/v1/cases?${field}=${encodeURIComponent(value)}&limit=25`);
    assert.ok(data.cases.length >= 1);
    assert.deepEqual(await listed(), data.cases.map((c) => c.case_id), field);
  }
  await page.$eval('input[name=order_id]', (e) => { e.value = ''; });
  await page.$eval('input[name=ticket_id]', (e) => { e.value = ''; });
  await page.type('input[name=order_id]', 'no-such-order');
  await page.click('form.search button[type=submit]');
  await page.waitForSelector('[data-state=empty]');
  assert.equal(await text(page, '[data-state=empty] .state-title'), STRINGS.en['cases.empty']);
  noProblems(page);
  await page.close();
});

test('a case: request, decision, reply and compliance shown; an outcome recorded stays; the evidence pack downloads', async () => {
  const page = await newPage(browser);
  const { data: list } = await api('A', '/v1/cases?limit=100');
  const target = list.cases.find((c) => c.outcome === null) || list.cases[0];
  await signIn(page, KEYS.A, `#/cases/${target.case_id}`);
  await page.waitForSelector('form[data-form=outcome]');
  const { data: stored } = await api('A', `/v1/cases/${target.case_id}`);
  assert.equal(await text(page, '[data-fact=order_id] dd'), stored.request.order.order_id);
  assert.equal(await page.$eval('.reply-text', (e) => e.value), `${stored.decision.reply.subject}\n\n${stored.decision.reply.body}`);
  assert.equal(await attr(page, '[data-compliance]', 'data-compliance'), stored.decision.reply.compliance.passed ? 'passed' : 'failed');
  await shot(page, 'case-1280-en');
  // Copy: the Clipboard API where the browser grants it, else the fallback; either says so.
  await page.click('[data-action=copy]');
  await page.waitForFunction(() => document.querySelector('.copy-status').textContent !== '');
  // Record an outcome.
  const revisions = stored.outcome_history.length;
  await page.select('form[data-form=outcome] select[name=status]', 'declined');
  await page.select('form[data-form=outcome] select[name=review_outcome]', 'avoided');
  await page.select('form[data-form=outcome] select[name=order_retained]', 'true');
  await page.type('form[data-form=outcome] textarea[name=note]', 'offered a partial refund; the buyer declined');
  await page.click('form[data-form=outcome] button[type=submit]');
  await page.waitForSelector(`.outcome[data-revision="${revisions + 1}"]`);
  const { data: after } = await api('A', `/v1/cases/${target.case_id}`);
  assert.equal(after.outcome.revision, revisions + 1);
  assert.equal(after.outcome.status, 'declined');
  assert.equal(after.outcome.review_outcome, 'avoided');
  assert.equal(after.outcome.order_retained, true);
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForSelector(`.outcome[data-revision="${revisions + 1}"][data-status=declined]`);
  // An invalid final refund: the API's error next to the field.
  await page.type('form[data-form=outcome] input[name=final_refund]', '-5');
  await page.click('form[data-form=outcome] button[type=submit]');
  await page.waitForSelector('[data-error-for=final_refund]');
  // The evidence pack, as a PDF file saved by the browser.
  const downloads = mkdtempSync(join(tmpdir(), 'redress-console-dl-'));
  const cdp = await browser.target().createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads, browserContextId: page.browserContext().id });
  await page.select('select[name=purpose]', 'chargeback');
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url().includes(`/v1/cases/${target.case_id}/evidence`)),
    page.click('[data-action=evidence]'),
  ]);
  assert.equal(answer.status(), 200);
  assert.match(answer.headers()['content-type'], /^application\/pdf/);
  const started = Date.now();
  let files = [];
  while (Date.now() - started < 15000) {
    files = readdirSync(downloads).filter((f) => f.endsWith('.pdf'));
    if (files.length) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(files.length, 1, 'one PDF downloaded');
  assert.equal(files[0], `evidence-${target.case_id}-chargeback.pdf`);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(readFileSync(join(downloads, files[0])).subarray(0, 5).toString(), '%PDF-');
  noProblems(page);
  await page.close();
});

test('policy: an invalid value gets the API\'s error inline; a valid edit is simulated, then published', async () => {
  const page = await newPage(browser);
  await signIn(page, KEYS.A, '#/policy');
  await page.waitForSelector('form[data-form=policy]');
  const { data: current } = await api('A', '/v1/policy');
  assert.equal(await attr(page, 'main .page-body', 'data-version'), String(current.version));
  await shot(page, 'policy-1280-en');
  // Invalid: the API's own message under the field it names.
  const min = 'input[data-field="remedies.goodwill_min_percent"]';
  await page.$eval(min, (e) => { e.value = ''; });
  await page.type(min, '150');
  await page.click('[data-action=publish]');
  await page.waitForSelector('[data-error-for="remedies.goodwill_min_percent"]');
  const { data: problem, status } = await api('A', '/v1/policy', { method: 'PUT', headers: { 'If-Match': `"${current.version}"` },
    body: { ...current, remedies: { ...current.remedies, goodwill_min_percent: 150 } } });
  assert.ok([400, 422].includes(status), `the API refuses it (${status})`);
  const message = problem.errors.find((e) => e.field === 'remedies.goodwill_min_percent').message;
  assert.equal(await text(page, '[data-error-for="remedies.goodwill_min_percent"]'), message);
  assert.equal(await attr(page, min, 'aria-invalid'), 'true');
  await shot(page, 'policy-invalid-1280-en');
  const { data: unchanged } = await api('A', '/v1/policy');
  assert.equal(unchanged.version, current.version, 'nothing published');
  // Valid: goodwill back in range, minor defects at 25 %; simulate over all cases.
  await page.$eval(min, (e) => { e.value = ''; });
  await page.type(min, String(current.remedies.goodwill_min_percent));
  await page.$eval('details[data-category=minor_defect]', (d) => { d.open = true; d.parentElement.closest('details').open = true; });
  const cat = 'input[data-field="categories.minor_defect.goodwill_percent"]';
  await page.$eval(cat, (e) => { e.value = ''; });
  await page.type(cat, '25');
  await page.select('[data-control=window]', '0');
  await page.click('[data-action=simulate]');
  await page.waitForSelector('[data-table=simulation]');
  const { data: sim } = await api('A', '/v1/policy/simulate', { method: 'POST',
    body: { policy: { ...strip(current), categories: { ...current.categories, minor_defect: { ...current.categories.minor_defect, goodwill_percent: 25 } } } } });
  assert.equal(await attr(page, '.sim-count', 'data-cases'), String(sim.cases));
  assert.equal(await attr(page, '.sim-count', 'data-changed'), String(sim.changed));
  for (const tier of ['top', 'goodwill', 'courtesy', 'firm']) {
    const row = await page.$eval(`[data-row="tier-${tier}"]`, (tr) => [tr.dataset.before, tr.dataset.after]);
    assert.deepEqual(row, [String(sim.before.by_tier[tier]), String(sim.after.by_tier[tier])], tier);
  }
  assert.ok(sim.changed > 0, 'the edit changes some seeded cases');
  await shot(page, 'policy-simulated-1280-en');
  await page.type('textarea[data-field=note]', 'minor defects at 25 %');
  await page.click('[data-action=publish]');
  await page.waitForSelector('[data-published]');
  const { data: published } = await api('A', '/v1/policy');
  assert.equal(published.version, current.version + 1);
  assert.equal(published.categories.minor_defect.goodwill_percent, 25);
  assert.equal(published.note, 'minor defects at 25 %');
  assert.equal(await attr(page, '[data-published]', 'data-published'), String(published.version));
  await page.waitForSelector(`.versions li[data-version="${published.version}"]`);
  assert.equal(await attr(page, '.versions li:first-child', 'data-version'), String(published.version), 'history, newest first');
  // Someone else publishes meanwhile: this page's If-Match is stale, the API answers 412 and the page says so.
  const { status: other } = await api('A', '/v1/policy', { method: 'PUT', headers: { 'If-Match': `"${published.version}"` },
    body: { ...strip(published), note: 'from another tab' } });
  assert.equal(other, 200);
  await page.click('[data-action=publish]');
  await page.waitForSelector('[data-problem="412"]');
  assert.match(await text(page, '[data-problem="412"]'), new RegExp(STRINGS.en['policy.conflict'].slice(0, 20)));
  const { data: last } = await api('A', '/v1/policy');
  assert.equal(last.version, published.version + 1, 'the stale page published nothing');
  noProblems(page);
  await page.close();
});

test('policy help: Chinese on the Chinese page (no English left in it), the spec\'s on the English page', async () => {
  const { grouped, rule } = await policyFields();
  // Each field's help as the page shows it: the text its input points to (aria-describedby).
  const shownHelp = (page) => page.$$eval('form[data-form=policy] [data-field][aria-describedby]', (els) => Object.fromEntries(els
    .filter((e) => !e.dataset.field.startsWith('categories.') || e.dataset.field.startsWith('categories.wrong_item.'))
    .map((e) => [e.dataset.field.replace(/^categories\.wrong_item\./, 'rule.'), document.getElementById(e.getAttribute('aria-describedby')).textContent])));
  const zhPage = await newPage(browser, { languages: 'zh-CN,zh' });
  await signIn(zhPage, KEYS.A, '#/policy');
  await zhPage.waitForSelector('form[data-form=policy]');
  const zh = await shownHelp(zhPage);
  for (const f of grouped) assert.ok(zh[f.path] && zh[f.path].endsWith(HELP['zh-CN'][`help.${f.name}`]), `${f.path}: ${zh[f.path]}`);
  for (const f of rule) assert.ok(zh[`rule.${f.name}`] && zh[`rule.${f.name}`].endsWith(HELP['zh-CN'][`help.${f.name}`]), `rule ${f.name}: ${zh[`rule.${f.name}`]}`);
  const paragraphs = await zhPage.$$eval('main .help', (els) => els.map((e) => e.textContent));
  assert.ok(paragraphs.length > grouped.length, `help paragraphs shown (${paragraphs.length})`);
  for (const p of paragraphs) assert.deepEqual(latinWords(p), [], p);
  // The form's own words too (labels, legends, group titles, options): no i18n key or English left.
  const words = await zhPage.$$eval('form[data-form=policy] :is(label, legend, summary, option)', (els) => els.map((e) => e.textContent));
  for (const w of words) assert.deepEqual(latinWords(w), [], w);
  await zhPage.$$eval('form[data-form=policy] details', (ds) => ds.forEach((d) => { d.open = d.classList.contains('policy-group'); }));
  await shot(zhPage, 'policy-help-1280-zh');
  noProblems(zhPage);
  await zhPage.close();
  const enPage = await newPage(browser);
  await signIn(enPage, KEYS.A, '#/policy');
  await enPage.waitForSelector('form[data-form=policy]');
  const en = await shownHelp(enPage);
  for (const f of grouped) assert.ok(en[f.path] && en[f.path].endsWith(f.help), `${f.path}: ${en[f.path]}`);
  for (const f of rule) assert.ok(en[`rule.${f.name}`] && en[`rule.${f.name}`].endsWith(f.help), `rule ${f.name}`);
  noProblems(enPage);
  await enPage.close();
});

function strip(policy) {
  const { version, created_at, created_by, note, ...doc } = policy;
  return doc;
}

test('a 503 shows the error with a retry button, and the retry loads the page', async () => {
  const page = await newPage(browser);
  await signIn(page, KEYS.A, '#/overview');
  await page.setRequestInterception(true);
  let refuse = true;
  page.on('request', (request) => {
    if (refuse && request.url().includes('/v1/reports/health')) {
      refuse = false;
      request.respond({ status: 503, contentType: 'application/problem+json', headers: { 'Retry-After': '1' },
        body: JSON.stringify({ type: 'urn:redress:problem:unavailable', title: 'Service Unavailable', status: 503 }) });
    } else {
      request.continue();
    }
  });
  await page.evaluate(() => { location.hash = '#/health'; });
  await page.waitForSelector('[data-state=error][data-status="503"] button');
  assert.equal(await text(page, '[data-state=error] .state-title'), STRINGS.en['common.unavailable']);
  await shot(page, 'health-503-1280-en');
  await page.click('[data-state=error] button');
  await page.waitForSelector('[data-metric=order_defect_rate]');
  page.problems = page.problems.filter((p) => !/status of 503/.test(p));
  noProblems(page);
  await page.close();
});

test('tenants: A\'s session never shows B\'s cases, nor B\'s A\'s', async () => {
  const pageB = await newPage(browser);
  await signIn(pageB, KEYS.B, '#/cases');
  await pageB.waitForSelector('[data-table=cases]');
  const { data: ofA } = await api('A', '/v1/cases?limit=100');
  const { data: ofB } = await api('B', '/v1/cases?limit=100');
  const shownB = await pageB.$$eval('[data-table=cases] tbody tr', (trs) => trs.map((tr) => tr.dataset.caseId));
  assert.deepEqual(shownB.sort(), ofB.cases.map((c) => c.case_id).sort());
  assert.ok(!shownB.some((id) => ofA.cases.some((c) => c.case_id === id)));
  await go(pageB, `#/cases/${ofA.cases[0].case_id}`);
  await pageB.waitForSelector('[data-state=empty]');
  assert.equal(await text(pageB, '[data-state=empty] .state-title'), STRINGS.en['case.not_found']);
  // B's session searching A's buyer finds nothing.
  await go(pageB, `#/cases?order_id=${encodeURIComponent(ofA.cases[0].order_id)}`);
  await pageB.waitForSelector('[data-state=empty]');
  const pageA = await newPage(browser);
  await signIn(pageA, KEYS.A, '#/cases');
  const shownA = await pageA.$$eval('[data-table=cases] tbody tr', (trs) => trs.map((tr) => tr.dataset.caseId));
  assert.ok(!shownA.some((id) => ofB.cases.some((c) => c.case_id === id)));
  assert.equal(await attr(pageA, '[data-tenant]', 'data-tenant'), 'console-a');
  assert.equal(await attr(pageB, '[data-tenant]', 'data-tenant'), 'console-b');
  noProblems(pageA);
  noProblems(pageB);
  await pageA.close();
  await pageB.close();
});

test('sign-out ends the session: its cookie gets 401 and the page shows sign-in', async () => {
  const page = await newPage(browser);
  await signIn(page, KEYS.A, '#/overview');
  const cookie = await sessionCookie(page);
  assert.ok(cookie.length > 0);
  const before = await fetch(`${BASE}/v1/sessions/current`, { headers: { Cookie: cookie } });
  assert.equal(before.status, 200);
  await page.click('[data-action=signout]');
  await page.waitForSelector('.signin-card [data-reason=signed_out]');
  const gone = await fetch(`${BASE}/v1/reports/summary?from=${isoDay(7)}&to=${isoDay(0)}`, { headers: { Cookie: cookie } });
  assert.equal(gone.status, 401);
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForSelector('form[data-form=signin]');
  noProblems(page);
  await page.close();
});

test('a session expired in the database returns the page to sign-in, saying why', async () => {
  const page = await newPage(browser);
  await signIn(page, KEYS.A, '#/overview');
  psql(`UPDATE sessions SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE revoked_at IS NULL`);
  await page.evaluate(() => { location.hash = '#/health'; });
  await page.waitForSelector('.signin-card [data-reason=expired]');
  assert.equal(await text(page, '[data-reason=expired]'), STRINGS.en['signin.expired']);
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForSelector('form[data-form=signin]');
  noProblems(page);
  await page.close();
});

test('every page at 390 px: the nav folds behind a button, nothing overflows the screen', async () => {
  const page = await newPage(browser, { viewport: NARROW });
  const { data: list } = await api('A', '/v1/cases?limit=1');
  await signIn(page, KEYS.A, '#/overview');
  for (const [name, hash] of [['overview', '#/overview'], ['skus', '#/skus'], ['health', '#/health'], ['cases', '#/cases'],
    ['case', `#/cases/${list.cases[0].case_id}`], ['policy', '#/policy']]) {
    await go(page, hash);
    assert.equal(await page.$eval('nav.nav', (n) => getComputedStyle(n).display), 'none', `${name}: the nav is folded`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: ${overflow}px wider than the screen`);
    await shot(page, `${name}-390-en`);
  }
  await page.click('.nav-toggle');
  assert.equal(await page.$eval('nav.nav', (n) => getComputedStyle(n).display), 'block');
  await page.click('nav.nav a[data-nav=health]');
  await page.waitForSelector('main[data-page=health]');
  // Keyboard: Tab reaches the controls and focus is visible.
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
  assert.ok(['A', 'BUTTON', 'SELECT', 'INPUT'].includes(focused));
  noProblems(page);
  await page.close();
});

test('every form field has a label', async () => {
  const page = await newPage(browser);
  const { data: list } = await api('A', '/v1/cases?limit=1');
  await signIn(page, KEYS.A, '#/policy');
  for (const hash of ['#/policy', '#/cases', `#/cases/${list.cases[0].case_id}`, '#/overview']) {
    await go(page, hash);
    const unlabelled = await page.$$eval('input, select, textarea', (els) => els.filter((e) => e.type !== 'hidden'
      && !(e.id && document.querySelector(`label[for="${CSS.escape(e.id)}"]`)) && !e.getAttribute('aria-label') && !e.closest('label'))
      .map((e) => e.outerHTML.slice(0, 80)));
    assert.deepEqual(unlabelled, [], hash);
  }
  noProblems(page);
  await page.close();
});
