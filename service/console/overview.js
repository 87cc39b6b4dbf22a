// #/overview: the period's cases and what they cost, week by week; savings
// against full returns, tier mix, top reasons, outcomes. The whole period
// is one GET /v1/reports/summary; the chart asks the same per week, in
// parallel.
import { h } from './dom.js';
import { get, query } from './api.js';
import { t, name, money, number, percent, shortDate } from './i18n.js';
import { weeklyChart, stackedBar } from './chart.js';
import { card, kpi, pageHeader, select, loadInto, empty, isoDay, PERIODS, tableWrap, labelCells } from './ui.js';

const TIERS = ['top', 'goodwill', 'courtesy', 'firm'];
const OUTCOMES = ['accepted', 'declined', 'returned', 'escalated', 'none'];

export function overviewWindow(weeks) {
  return { from: isoDay(weeks * 7 - 1), to: isoDay(0) };
}

export function renderOverview(root, params) {
  const weeks = PERIODS.includes(Number(params.get('weeks'))) ? Number(params.get('weeks')) : 13;
  const body = h('div', { class: 'page-body' });
  root.append(pageHeader(t('overview.title'),
    select(t('common.period'), PERIODS.map((n) => ({ value: n, label: t('common.weeks', { n }) })), weeks,
      (value) => { location.hash = `#/overview?weeks=${value}`; }, { 'data-control': 'period' })), body);
  const period = overviewWindow(weeks);
  const weekWindows = [];
  for (let i = weeks - 1; i >= 0; i--) weekWindows.push({ from: isoDay(i * 7 + 6), to: isoDay(i * 7) });
  loadInto(body, async () => {
    const [whole, ...perWeek] = await Promise.all([
      get(`/v1/reports/summary${query(period)}`),
      ...weekWindows.map((w) => get(`/v1/reports/summary${query(w)}`)),
    ]);
    return { summary: whole.data, weekly: perWeek.map((r, i) => ({ window: weekWindows[i], summary: r.data })) };
  }, (data) => drawOverview(body, data));
}

// The currency with the most cases leads; others are listed beside it.
function mainCurrency(totals) {
  return totals.slice().sort((a, b) => b.cases - a.cases || a.currency.localeCompare(b.currency))[0] || null;
}

function drawOverview(body, { summary, weekly }) {
  body.dataset.cases = summary.cases;
  if (summary.cases === 0) {
    body.append(empty(t('overview.empty'), t('overview.empty_hint')));
    return;
  }
  const main = mainCurrency(summary.totals);
  const currency = main ? main.currency : null;
  const others = summary.totals.filter((m) => m.currency !== currency);
  const savingsRate = main && main.full_return_cost > 0 ? main.savings / main.full_return_cost : null;
  body.append(h('div', { class: 'kpis' },
    kpi('cases', t('common.cases'), number(summary.cases), summary.cases),
    kpi('cost', t('common.cost'), main ? money(main.compensation_cost, currency) : t('common.none'), main ? main.compensation_cost : ''),
    kpi('savings', t('common.savings'), main ? money(main.savings, currency) : t('common.none'), main ? main.savings : '',
      savingsRate !== null ? t('overview.savings_rate', { pct: percent(savingsRate, 0) }) : null),
    kpi('refunded', t('common.refunded'), main ? money(main.refund_amount, currency) : t('common.none'), main ? main.refund_amount : '')));
  if (others.length) {
    body.append(h('p', { class: 'muted', dataset: { role: 'other-currencies' } }, t('overview.other_currencies', {
      list: others.map((m) => `${money(m.savings, m.currency)} (${number(m.cases)})`).join(' · '),
    })));
  }
  const points = weekly.map((w) => {
    const inCurrency = w.summary.totals.find((m) => m.currency === currency);
    return { label: shortDate(w.window.from), bar: w.summary.cases, line: inCurrency ? inCurrency.compensation_cost : 0 };
  });
  const chart = weeklyChart(points, {
    title: t('overview.chart'),
    compact: window.matchMedia('(max-width: 600px)').matches,
    barLabel: t('overview.chart_cases'),
    lineLabel: t('overview.chart_cost', { currency: currency || '' }),
    formatBar: (v) => number(Math.round(v)),
    formatLine: (v) => money(Math.round(v), currency, { notation: 'compact', maximumFractionDigits: 1 }),
  });
  chart.dataset.weeks = JSON.stringify(points.map((p) => p.bar));
  body.append(card(t('overview.chart'), chart));

  const tierParts = TIERS.map((tier) => {
    const group = summary.by_tier.find((g) => g.name === tier);
    return { name: tier, value: group ? group.cases : 0, label: name(tier) };
  });
  const tiers = card(t('overview.tiers'), stackedBar(tierParts, t('overview.tiers')),
    h('ul', { class: 'legend-list' }, tierParts.map((p) => h('li', { dataset: { tier: p.name, value: p.value } },
      h('span', { class: `swatch stack-${p.name}`, 'aria-hidden': 'true' }), `${p.label} `,
      h('strong', null, number(p.value)), h('span', { class: 'muted' }, ` ${percent(p.value / summary.cases, 0)}`)))));

  const reasons = (summary.top_reasons.find((r) => r.currency === currency) || { reasons: [] }).reasons;
  const maxCost = Math.max(1, ...reasons.map((r) => r.compensation_cost));
  const reasonTable = h('table', { class: 'table table-cards', dataset: { table: 'reasons' } },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('cases.category')), h('th', { scope: 'col', class: 'num' }, t('common.cases')),
      h('th', { scope: 'col', class: 'num' }, t('common.cost')), h('th', { scope: 'col', class: 'num' }, t('common.savings')))),
    h('tbody', null, reasons.map((r) => {
      const meter = h('span', { class: 'meter-fill' });
      meter.style.width = `${((r.compensation_cost / maxCost) * 100).toFixed(1)}%`;
      return h('tr', { dataset: { category: r.category } },
        h('td', null, name(r.category), h('span', { class: 'meter', 'aria-hidden': 'true' }, meter)),
        h('td', { class: 'num' }, number(r.cases)), h('td', { class: 'num' }, money(r.compensation_cost, currency)),
        h('td', { class: 'num' }, money(r.savings, currency)));
    })));
  const reasonsCard = card(t('overview.reasons'), reasons.length ? tableWrap(labelCells(reasonTable)) : empty(t('overview.empty')));

  const counts = (title, key, names) => h('div', { class: 'counts' }, h('h3', null, title),
    h('ul', { class: 'count-list' }, names.map((n) => h('li', { dataset: { [key]: n, value: summary[key][n] || 0 } },
      h('span', null, name(n)), h('strong', null, number(summary[key][n] || 0))))));
  const outcomes = card(t('overview.outcomes'), h('div', { class: 'counts-grid' },
    counts(t('overview.outcome_status'), 'outcomes', OUTCOMES),
    counts(t('overview.review_outcomes'), 'review_outcomes', Object.keys(summary.review_outcomes)),
    counts(t('overview.orders_retained'), 'orders_retained', Object.keys(summary.orders_retained))));

  body.append(h('div', { class: 'grid-2' }, tiers, outcomes), reasonsCard);
}
