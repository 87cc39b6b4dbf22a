// #/policy: the current policy as a form (each field's range and help from
// the spec, policy_fields.js; the help in Chinese from i18n.js's HELP when
// the page is in Chinese), "Simulate" over a chosen window (before and
// after, cost deltas), "Publish" with If-Match, and the version history.
// The API validates: its 400/412/422 answers are shown next to the fields.
import { h, clear } from './dom.js';
import { get, request, query, ApiError } from './api.js';
import { t, name, money, number, dateTime, fieldHelp } from './i18n.js';
import { card, pageHeader, loadInto, failure, fieldId, notice, showFieldErrors, clearFieldErrors, tableWrap, empty } from './ui.js';
import { POLICY_GROUPS, CATEGORY_RULE, CATEGORIES, AUTO_APPROVE_LIMIT, NOTE_MAX } from './policy_fields.js';

const WINDOWS = [30, 90, 365, 0];
const TIERS = ['top', 'goodwill', 'courtesy', 'firm'];

// A field's label: its i18n string (the tests check every field has one).
function label(fieldName) {
  return t(`field.${fieldName}`);
}

function ruleLabel(f) {
  if (f.name === 'goodwill_percent') return t('policy.goodwill_percent');
  if (f.name === 'tier_ceiling') return t('policy.tier_ceiling');
  return t('policy.allowed_actions');
}

function rangeText(f) {
  return f.min !== undefined && f.max !== undefined ? t('policy.range', { min: number(f.min), max: number(f.max) }) : '';
}

// One input for a scalar field; data-field is its JSON path, as the API names it in errors[].
// Help in the page's language: Chinese from i18n.js, English from the spec.
function scalarField(path, f, value, sharedHelp, labelText) {
  const id = fieldId('p');
  const text = labelText || label(f.name);
  const helpId = sharedHelp || `${id}-help`;
  const helpText = fieldHelp(f);
  const help = sharedHelp ? null : h('p', { class: 'help', id: helpId }, rangeText(f), rangeText(f) ? ' · ' : '', helpText);
  if (f.type === 'boolean') {
    return h('div', { class: 'field field-check' },
      h('input', { id, type: 'checkbox', checked: value === true, dataset: { field: path, kind: 'boolean' }, 'aria-describedby': helpId }),
      h('label', { for: id }, text), sharedHelp ? null : h('p', { class: 'help', id: helpId }, helpText));
  }
  if (f.enum && f.type === 'string') {
    return h('div', { class: 'field' }, h('label', { for: id }, text),
      h('select', { id, dataset: { field: path, kind: 'enum' }, 'aria-describedby': helpId },
        f.enum.map((v) => h('option', { value: v, selected: v === value }, name(v)))),
      sharedHelp ? null : h('p', { class: 'help', id: helpId }, helpText));
  }
  return h('div', { class: 'field' }, h('label', { for: id }, text),
    h('input', { id, type: 'text', inputmode: 'numeric', autocomplete: 'off', value: value === undefined || value === null ? '' : String(value),
      dataset: { field: path, kind: 'integer' }, 'aria-describedby': helpId }),
    help);
}

function actionsField(path, f, values, sharedHelp) {
  return h('fieldset', { class: 'field actions-field', dataset: { field: path, kind: 'actions' }, 'aria-describedby': sharedHelp },
    h('legend', null, t('policy.allowed_actions')),
    h('div', { class: 'checks' }, f.enum.map((a) => {
      const cid = fieldId('act');
      return h('span', { class: 'check' }, h('input', { id: cid, type: 'checkbox', value: a, checked: (values || []).includes(a) }), h('label', { for: cid }, name(a)));
    })));
}

export function renderPolicy(root) {
  const body = h('div', { class: 'page-body' });
  root.append(pageHeader(t('policy.title')), body);
  const load = () => loadInto(body, async () => {
    const [policy, versions] = await Promise.all([get('/v1/policy'), get(`/v1/policy/versions${query({ limit: 20 })}`)]);
    return { doc: policy.data, etag: policy.headers.get('ETag') || `"${policy.data.version}"`, versions: versions.data.versions };
  }, (data) => drawPolicy(body, data, load));
  load();
}

function readForm(form) {
  const doc = {};
  const set = (path, value) => {
    const parts = path.split('.');
    let node = doc;
    for (const p of parts.slice(0, -1)) node = node[p] || (node[p] = {});
    node[parts[parts.length - 1]] = value;
  };
  form.querySelectorAll('[data-field]').forEach((el) => {
    const path = el.dataset.field;
    switch (el.dataset.kind) {
      case 'boolean': set(path, el.checked); break;
      case 'enum': set(path, el.value); break;
      case 'integer': {
        // What is not a whole number goes as typed: the API says why not.
        const text = el.value.trim();
        if (text !== '') set(path, /^-?\d+$/.test(text) ? Number(text) : text);
        break;
      }
      case 'actions': set(path, [...el.querySelectorAll('input:checked')].map((c) => c.value)); break;
      case 'note': if (el.value.trim()) set(path, el.value.trim()); break;
      default: break;
    }
  });
  doc.auto_approve_limit = {};
  form.querySelectorAll('[data-limit-row]').forEach((row) => {
    const currency = row.querySelector('[data-limit=currency]').value.trim().toUpperCase();
    const amount = row.querySelector('[data-limit=amount]').value.trim();
    if (currency && amount !== '') doc.auto_approve_limit[currency] = /^\d+$/.test(amount) ? Number(amount) : amount;
  });
  return doc;
}

function limitRow(currency, amount) {
  const cid = fieldId('cur');
  const aid = fieldId('amt');
  const row = h('div', { class: 'limit-row', dataset: { limitRow: currency || 'new' } },
    h('div', { class: 'field' }, h('label', { for: cid }, t('common.currency')),
      h('input', { id: cid, value: currency || '', maxlength: '3', autocomplete: 'off', dataset: { limit: 'currency' } })),
    h('div', { class: 'field' }, h('label', { for: aid }, `${t('cases.refund')} (${rangeText(AUTO_APPROVE_LIMIT)})`),
      h('input', { id: aid, type: 'text', inputmode: 'numeric', value: amount === undefined ? '' : String(amount), dataset: { limit: 'amount', field: currency ? `auto_approve_limit.${currency}` : undefined } })));
  return row;
}

function drawPolicy(body, { doc, etag, versions }, reload) {
  let currentEtag = etag;
  body.dataset.version = doc.version;
  const summary = h('div', { class: 'form-summary' });
  const groups = Object.entries(POLICY_GROUPS).map(([group, fields]) => h('details', { class: 'policy-group', open: group === 'remedies' },
    h('summary', null, t(`policy.group.${group}`)),
    h('div', { class: 'fields' }, fields.map((f) => scalarField(`${group}.${f.name}`, f, (doc[group] || {})[f.name])))));
  // Fifteen categories: each folds, its fields' help said once above them.
  const ruleHelp = CATEGORY_RULE.map((f) => h('li', { id: `rule-help-${f.name}` }, h('strong', null, ruleLabel(f)), `${t('common.colon')}${rangeText(f) ? `${rangeText(f)} · ` : ''}${fieldHelp(f)}`));
  const categories = h('details', { class: 'policy-group' }, h('summary', null, t('policy.group.categories')),
    h('ul', { class: 'help rule-help' }, ruleHelp),
    CATEGORIES.map((cat) => {
      const rule = (doc.categories || {})[cat] || {};
      const brief = [rule.goodwill_percent !== undefined ? `${rule.goodwill_percent} %` : null, rule.tier_ceiling ? name(rule.tier_ceiling) : null,
        rule.allowed_actions ? `${rule.allowed_actions.length} ${t('policy.allowed_actions').toLowerCase()}` : null].filter((x) => x).join(' · ');
      return h('details', { class: 'category', dataset: { category: cat } }, h('summary', null, h('span', null, name(cat)), h('span', { class: 'muted small' }, brief)),
        h('div', { class: 'fields' }, CATEGORY_RULE.map((f) => (f.type === 'array'
          ? actionsField(`categories.${cat}.${f.name}`, f, rule[f.name], `rule-help-${f.name}`)
          : scalarField(`categories.${cat}.${f.name}`, f, rule[f.name], `rule-help-${f.name}`, ruleLabel(f))))));
    }));
  const limits = h('div', { class: 'limits' }, Object.entries(doc.auto_approve_limit || {}).map(([c, a]) => limitRow(c, a)), limitRow('', undefined));
  const limitsGroup = h('details', { class: 'policy-group' }, h('summary', null, t('policy.group.auto_approve_limit')),
    h('p', { class: 'help' }, t('policy.auto_approve_help')), limits);
  const noteId = fieldId('note');
  const note = h('div', { class: 'field' }, h('label', { for: noteId }, t('policy.note')),
    h('textarea', { id: noteId, rows: 2, maxlength: String(NOTE_MAX), dataset: { field: 'note', kind: 'note' } }));
  const windowId = fieldId('win');
  const windowSelect = h('select', { id: windowId, dataset: { control: 'window' } },
    WINDOWS.map((d) => h('option', { value: d, selected: d === 90 }, d ? t('common.days', { n: d }) : t('common.all_time'))));
  const simulation = h('div', { class: 'simulation', 'aria-live': 'polite' });
  const simulateButton = h('button', { type: 'button', class: 'button', dataset: { action: 'simulate' } }, t('policy.simulate'));
  const publishButton = h('button', { type: 'submit', class: 'button button-primary', dataset: { action: 'publish' } }, t('policy.publish'));
  const form = h('form', { class: 'policy-form', novalidate: true, dataset: { form: 'policy' } },
    groups, categories, limitsGroup, note, summary,
    h('div', { class: 'form-actions' }, h('div', { class: 'field field-inline' }, h('label', { for: windowId }, t('policy.window')), windowSelect),
      simulateButton, publishButton));

  const problem = (error, prefix) => {
    if (error.status === 401) return;
    if (error instanceof ApiError && (error.status === 400 || error.status === 422)) {
      showFieldErrors(form, error, summary, prefix);
      summary.prepend(notice('error', t('policy.invalid')));
    } else if (error.status === 412) {
      clear(summary).append(h('div', { class: 'notice notice-error', role: 'alert', dataset: { problem: '412' } }, t('policy.conflict'), ' ',
        h('button', { type: 'button', class: 'button', on: { click: reload } }, t('policy.reload'))));
    } else {
      clear(summary).append(failure(error));
    }
  };

  simulateButton.addEventListener('click', async () => {
    clearFieldErrors(form);
    clear(summary);
    clear(simulation).append(h('div', { class: 'state state-loading', role: 'status' }, t('common.loading')));
    const days = Number(windowSelect.value);
    const payload = { policy: readForm(form) };
    if (days) payload.from = new Date(Date.now() - days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    simulateButton.disabled = true;
    try {
      const { data } = await request('POST', '/v1/policy/simulate', { body: payload });
      clear(simulation).append(simulationView(data));
    } catch (error) {
      clear(simulation);
      problem(error, 'policy.');
    } finally {
      simulateButton.disabled = false;
    }
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    clear(summary);
    publishButton.disabled = true;
    try {
      const { data, headers } = await request('PUT', '/v1/policy', { body: readForm(form), headers: { 'If-Match': currentEtag } });
      currentEtag = headers.get('ETag') || `"${data.version}"`;
      body.dataset.version = data.version;
      current.textContent = t('policy.current', { n: data.version, date: dateTime(data.created_at) });
      summary.append(h('div', { class: 'notice notice-ok', role: 'status', dataset: { published: data.version } }, t('policy.published', { n: data.version })));
      form.querySelector('[data-kind=note]').value = '';
      const list = await get(`/v1/policy/versions${query({ limit: 20 })}`);
      clear(history).append(historyView(list.data.versions));
    } catch (error) {
      problem(error);
    } finally {
      publishButton.disabled = false;
    }
  });

  const current = h('p', { class: 'muted', dataset: { role: 'current-version' } }, t('policy.current', { n: doc.version, date: dateTime(doc.created_at) }));
  const history = h('div', null, historyView(versions));
  body.append(h('div', { class: 'policy-layout' },
    h('div', { class: 'policy-main' }, card(null, current, form), simulation),
    h('aside', { class: 'policy-side' }, card(t('policy.history'), history))));
}

function historyView(versions) {
  if (versions.length <= 1 && versions.every((v) => v.version === 1)) {
    return h('div', null, h('ol', { class: 'versions' }, versions.map(versionItem)), h('p', { class: 'muted' }, t('policy.history_empty')));
  }
  return h('ol', { class: 'versions' }, versions.map(versionItem));
}

function versionItem(v) {
  return h('li', { dataset: { version: v.version } },
    h('div', null, h('strong', null, t('policy.version', { n: v.version })), ' ',
      h('span', { class: 'muted small' }, `${dateTime(v.created_at)} · ${v.created_by ? t('policy.created_by', { who: v.created_by }) : t('policy.defaults')}`)),
    v.note ? h('div', { class: 'note' }, v.note) : null);
}

function deltaCell(before, after, format) {
  const delta = after - before;
  return h('td', { class: `num delta ${delta > 0 ? 'up' : delta < 0 ? 'down' : ''}` }, delta === 0 ? '0' : `${delta > 0 ? '+' : '−'}${format(Math.abs(delta))}`);
}

function simulationView(r) {
  if (r.cases === 0) return card(t('policy.sim_title'), empty(t('policy.sim_none')));
  const row = (key, labelText, before, after, format) => h('tr', { dataset: { row: key, before, after } },
    h('th', { scope: 'row' }, labelText), h('td', { class: 'num' }, format(before)), h('td', { class: 'num' }, format(after)), deltaCell(before, after, format));
  const rows = [
    ...TIERS.map((tier) => row(`tier-${tier}`, name(tier), r.before.by_tier[tier], r.after.by_tier[tier], number)),
    row('manual_review', t('policy.sim_manual'), r.before.manual_review, r.after.manual_review, number),
  ];
  const currencies = [...new Set([...r.before.totals, ...r.after.totals].map((x) => x.currency))];
  for (const cur of currencies) {
    const b = r.before.totals.find((x) => x.currency === cur) || { remedy_cost: 0, savings: 0 };
    const a = r.after.totals.find((x) => x.currency === cur) || { remedy_cost: 0, savings: 0 };
    const fmt = (v) => money(v, cur);
    rows.push(row(`cost-${cur}`, t('policy.sim_cost', { currency: cur }), b.remedy_cost, a.remedy_cost, fmt));
    rows.push(row(`savings-${cur}`, t('policy.sim_savings', { currency: cur }), b.savings, a.savings, fmt));
  }
  const table = h('table', { class: 'table', dataset: { table: 'simulation' } },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, ''), h('th', { scope: 'col', class: 'num' }, t('policy.before')),
      h('th', { scope: 'col', class: 'num' }, t('policy.after')), h('th', { scope: 'col', class: 'num' }, t('policy.delta')))),
    h('tbody', null, rows));
  const byCategory = r.cost_delta_by_category.length ? h('div', null, h('h3', null, t('policy.by_category')),
    tableWrap(h('table', { class: 'table' }, h('tbody', null, r.cost_delta_by_category.map((d) => h('tr', { dataset: { category: d.category } },
      h('th', { scope: 'row' }, `${name(d.category)} (${d.currency})`), h('td', { class: `num delta ${d.delta > 0 ? 'up' : d.delta < 0 ? 'down' : ''}` },
        `${d.delta > 0 ? '+' : d.delta < 0 ? '−' : ''}${money(Math.abs(d.delta), d.currency)}`))))))) : null;
  const changes = r.top_changes.length ? h('div', null, h('h3', null, t('policy.top_changes')),
    h('ul', { class: 'count-list' }, r.top_changes.map((c) => h('li', null,
      h('span', null, `${c.from.split('/').map(name).join(' / ')} → ${c.to.split('/').map(name).join(' / ')}`), h('strong', null, number(c.cases)))))) : null;
  return card(t('policy.sim_title'),
    h('p', { class: 'sim-count', dataset: { cases: r.cases, changed: r.changed } }, t('policy.sim_cases', { cases: number(r.cases), changed: number(r.changed) })),
    r.fidelity_mismatches ? notice('error', t('policy.sim_fidelity', { n: r.fidelity_mismatches })) : null,
    tableWrap(table), h('div', { class: 'grid-2' }, byCategory, changes));
}
