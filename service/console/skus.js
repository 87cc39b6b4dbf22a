// #/skus: per SKU and currency, units, cases, return rate, compensation
// against revenue with the SKU's budget line, top reason; every column
// sorts; a SKU opens its cases (#/cases?sku=).
import { h, clear } from './dom.js';
import { get, query } from './api.js';
import { t, name, money, number, percent } from './i18n.js';
import { budgetBar } from './chart.js';
import { pageHeader, select, loadInto, empty, PERIODS, tableWrap, labelCells } from './ui.js';
import { overviewWindow } from './overview.js';

const COLUMNS = [
  { key: 'sku', label: 'skus.sku', text: true },
  { key: 'units_sold', label: 'skus.units' },
  { key: 'cases', label: 'skus.cases' },
  { key: 'return_rate', label: 'skus.return_rate' },
  { key: 'cost_rate', label: 'skus.cost_rate' },
  { key: 'compensation_cost', label: 'skus.cost' },
  { key: 'top_reason', label: 'skus.top_reason', text: true },
];
const PAGE = 500;

export function renderSkus(root, params) {
  const weeks = PERIODS.includes(Number(params.get('weeks'))) ? Number(params.get('weeks')) : 13;
  const body = h('div', { class: 'page-body' });
  root.append(pageHeader(t('skus.title'),
    select(t('common.period'), PERIODS.map((n) => ({ value: n, label: t('common.weeks', { n }) })), weeks,
      (value) => { location.hash = `#/skus?weeks=${value}`; }, { 'data-control': 'period' })), body);
  loadInto(body, async () => {
    const rows = [];
    let path = `/v1/reports/skus${query({ ...overviewWindow(weeks), sort: 'cost', limit: PAGE })}`;
    // Every page (the cursor carries window and sort), so sorting is over all of them.
    while (path) {
      const { data } = await get(path);
      rows.push(...data.skus);
      path = data.next;
    }
    return rows;
  }, (rows) => drawTable(body, rows));
}

function compare(a, b, column) {
  const x = a[column.key], y = b[column.key];
  if (x === null && y === null) return 0;
  if (x === null) return 1; // nulls last, whichever the order
  if (y === null) return -1;
  return column.text ? String(x).localeCompare(String(y)) : x - y;
}

function drawTable(body, rows) {
  body.dataset.rows = rows.length;
  if (!rows.length) {
    body.append(empty(t('skus.empty'), t('health.empty_hint')));
    return;
  }
  let sortKey = 'compensation_cost';
  let descending = true;
  const holder = h('div');
  const draw = () => {
    const column = COLUMNS.find((c) => c.key === sortKey);
    const sorted = rows.slice().sort((a, b) => {
      const order = compare(a, b, column);
      const nullSide = a[sortKey] === null || b[sortKey] === null;
      return (descending && !nullSide ? -order : order) || a.sku.localeCompare(b.sku);
    });
    const head = h('tr', null, COLUMNS.map((c) => {
      const active = c.key === sortKey;
      return h('th', { scope: 'col', class: c.text ? '' : 'num', 'aria-sort': active ? (descending ? 'descending' : 'ascending') : 'none' },
        h('button', { type: 'button', class: 'sort', dataset: { sort: c.key }, 'aria-label': t('skus.sort_by', { column: t(c.label) }),
          on: { click: () => { if (sortKey === c.key) descending = !descending; else { sortKey = c.key; descending = !c.text; } draw(); } } },
          t(c.label), h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (descending ? ' ▼' : ' ▲') : '')));
    }));
    const bodyRows = sorted.map((r) => h('tr', { dataset: { sku: r.sku, currency: r.currency || '' }, class: r.over_budget ? 'row-over' : '' },
      h('th', { scope: 'row' }, h('a', { href: `#/cases?sku=${encodeURIComponent(r.sku)}`, 'aria-label': t('skus.view_cases', { sku: r.sku }) }, r.sku),
        r.asin ? h('div', { class: 'muted small' }, r.asin) : null),
      h('td', { class: 'num', dataset: { col: 'units_sold', value: r.units_sold } }, number(r.units_sold)),
      h('td', { class: 'num', dataset: { col: 'cases', value: r.cases } }, number(r.cases)),
      h('td', { class: 'num', dataset: { col: 'return_rate', value: r.return_rate } }, percent(r.return_rate)),
      h('td', { class: 'num budget-cell', dataset: { col: 'cost_rate', value: r.cost_rate } },
        h('div', { class: 'budget-text' }, h('span', null, percent(r.cost_rate)),
          r.over_budget ? h('span', { class: 'badge badge-bad' }, t('skus.over_budget')) : null),
        budgetBar(r.cost_rate || 0, r.budget_percent / 100, t('skus.budget', { pct: percent(r.budget_percent / 100, 0) })),
        h('div', { class: 'muted small' }, t('skus.budget', { pct: percent(r.budget_percent / 100, 0) }))),
      h('td', { class: 'num', dataset: { col: 'compensation_cost', value: r.compensation_cost } }, r.currency ? money(r.compensation_cost, r.currency) : t('common.none')),
      h('td', { dataset: { col: 'top_reason' } }, r.top_reason ? name(r.top_reason) : t('common.none'))));
    clear(holder).append(h('p', { class: 'muted' }, t('skus.total', { n: number(rows.length) })),
      tableWrap(labelCells(h('table', { class: 'table table-skus table-cards', dataset: { table: 'skus' } }, h('thead', null, head), h('tbody', null, bodyRows)))));
  };
  draw();
  body.append(holder);
}
