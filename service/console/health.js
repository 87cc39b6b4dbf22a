// #/health: Amazon's account-health metrics (GET /v1/reports/health), each
// against its target with a 13-week trend; the order defect rate with its
// three parts.
import { h } from './dom.js';
import { get } from './api.js';
import { t, number, percent, date } from './i18n.js';
import { trendChart } from './chart.js';
import { card, pageHeader, loadInto, statusBadge } from './ui.js';

const METRICS = ['order_defect_rate', 'late_shipment_rate_10d', 'late_shipment_rate_30d', 'pre_fulfillment_cancel_rate',
  'valid_tracking_rate', 'contact_response_time'];
const PARTS = ['negative_feedback', 'a_to_z_claim', 'chargeback'];

export function renderHealth(root) {
  const body = h('div', { class: 'page-body' });
  const asOf = h('span', { class: 'muted' });
  root.append(pageHeader(t('health.title'), asOf), body);
  loadInto(body, async () => (await get('/v1/reports/health')).data, (data) => {
    asOf.textContent = t('health.as_of', { date: date(data.as_of) });
    body.append(h('div', { class: 'metrics' }, METRICS.map((key) => metricCard(key, data.metrics[key]))));
  });
}

function metricCard(key, m) {
  const op = m.higher_is_better ? '>' : '<';
  const title = t(`metric.${key}`);
  const parts = m.parts ? h('div', { class: 'parts' }, h('h3', null, t('health.parts')),
    h('ul', { class: 'count-list' }, PARTS.map((p) => h('li', { dataset: { part: p, value: m.parts[p].rate } },
      h('span', null, t(`part.${p}`)), h('strong', null, percent(m.parts[p].rate)),
      h('span', { class: 'muted small' }, ` ${number(m.parts[p].numerator)} / ${number(m.parts[p].denominator)}`))))) : null;
  return card(null,
    h('div', { class: 'metric', dataset: { metric: key, value: m.rate, status: m.status } },
      h('div', { class: 'metric-head' }, h('h2', { class: 'card-title' }, title), statusBadge(m.status)),
      h('div', { class: 'metric-value' }, m.rate === null ? t('common.none') : percent(m.rate)),
      h('div', { class: 'muted small' }, m.denominator > 0
        ? `${number(m.numerator)} / ${number(m.denominator)} · ${t('health.window', { n: m.window_days })}`
        : t('health.no_orders')),
      h('div', { class: 'metric-target' }, t('health.target', { op, pct: percent(m.target) })),
      trendChart(m.trend.map((p) => p.rate), m.target, { title: `${title}: ${t('health.trend')}`, status: m.status }),
      h('div', { class: 'trend-axis muted small' }, h('span', null, date(m.trend[0].as_of)), h('span', null, date(m.trend[m.trend.length - 1].as_of))),
      parts));
}
