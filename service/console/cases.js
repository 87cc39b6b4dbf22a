// #/cases: search by buyer, order, ticket (or a SKU from the SKUs page),
// newest first, page by page. #/cases/ID: one case, with its request,
// decision, reply (copy button), compliance, outcomes and conversation;
// records an outcome; downloads the evidence pack.
import { h, clear } from './dom.js';
import { get, request, query, ApiError } from './api.js';
import { t, name, money, number, dateTime, dateTimeShort, toMinor, fromMinor } from './i18n.js';
import { card, pageHeader, loadInto, empty, failure, fieldId, notice, showFieldErrors, clearFieldErrors, tableWrap, labelCells } from './ui.js';

const FILTERS = ['buyer_id', 'order_id', 'ticket_id'];
const PAGE = 25;

export function renderCases(root, params) {
  const body = h('div', { class: 'page-body' });
  const sku = params.get('sku');
  const form = h('form', { class: 'search', role: 'search', on: { submit: (e) => {
    e.preventDefault();
    const q = {};
    for (const f of FILTERS) q[f] = form.elements[f].value.trim();
    if (sku) q.sku = sku;
    location.hash = `#/cases${query(q)}`;
  } } },
  FILTERS.map((f) => {
    const id = fieldId(f);
    return h('div', { class: 'field' }, h('label', { for: id }, t(`cases.${f}`)),
      h('input', { id, name: f, type: 'search', value: params.get(f) || '', autocomplete: 'off', dataset: { field: f } }));
  }),
  h('div', { class: 'search-actions' }, h('button', { type: 'submit', class: 'button button-primary' }, t('cases.search')),
    h('a', { href: '#/cases', class: 'button button-quiet' }, t('cases.clear'))));
  root.append(pageHeader(sku ? t('cases.filtered_by', { filter: sku }) : t('cases.title')), form, body);
  const filter = { sku: sku || undefined };
  for (const f of FILTERS) filter[f] = params.get(f) || undefined;
  const filtered = Object.values(filter).some((v) => v);
  const rows = h('tbody');
  const more = h('div', { class: 'more' });
  loadInto(body, async () => (await get(`/v1/cases${query({ ...filter, limit: PAGE })}`)).data, (page) => {
    if (!page.cases.length) {
      body.append(empty(filtered ? t('cases.empty') : t('cases.empty_latest')));
      return;
    }
    body.append(tableWrap(h('table', { class: 'table table-compact table-cards', dataset: { table: 'cases' } },
      h('thead', null, h('tr', null, ['cases.created', 'cases.order_id', 'cases.sku', 'cases.buyer_id', 'cases.category', 'cases.tier', 'cases.remedy', 'cases.refund', 'cases.outcome']
        .map((k) => h('th', { scope: 'col', class: k === 'cases.refund' ? 'num' : '' }, t(k))))), rows)), more);
    addRows(rows, more, page, filter);
  });
}

function addRows(rows, more, page, filter) {
  for (const c of page.cases) {
    rows.append(h('tr', { dataset: { caseId: c.case_id } },
      h('td', null, h('a', { href: `#/cases/${c.case_id}` }, dateTimeShort(c.created_at))),
      h('td', null, c.order_id), h('td', null, c.sku), h('td', null, c.buyer_id),
      h('td', null, name(c.category)), h('td', null, h('span', { class: `tier tier-${c.tier}` }, name(c.tier))),
      h('td', null, name(c.primary_action)), h('td', { class: 'num' }, money(c.refund_amount, c.currency)),
      h('td', null, c.outcome ? name(c.outcome) : h('span', { class: 'muted' }, t('common.none')))));
  }
  labelCells(rows.closest('table'));
  clear(more);
  if (page.next) {
    more.append(h('button', { type: 'button', class: 'button', dataset: { action: 'older' }, on: { click: () => {
      loadInto(more, async () => (await get(`/v1/cases${query({ ...filter, limit: PAGE, before: page.next })}`)).data,
        (next) => addRows(rows, more, next, filter));
    } } }, t('common.older')));
  }
}

// ---- one case ----

export function renderCase(root, caseId) {
  const body = h('div', { class: 'page-body' });
  root.append(pageHeader(t('case.title', { id: caseId.slice(0, 8) }), h('a', { href: '#/cases', class: 'button button-quiet' }, `← ${t('case.back')}`)), body);
  const load = () => loadInto(body, async () => {
    try {
      return (await get(`/v1/cases/${encodeURIComponent(caseId)}`)).data;
    } catch (e) {
      if (e.status === 404) return null;
      throw e;
    }
  }, (c) => {
    if (!c) { body.append(empty(t('case.not_found'))); return; }
    drawCase(body, c, load);
  });
  load();
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter((p) => p).map(([label, value, key]) =>
    h('div', { class: 'fact', dataset: { fact: key } }, h('dt', null, label), h('dd', null, value))));
}

function drawCase(body, c, reload) {
  const req = c.request;
  const d = c.decision;
  const cur = req.order.currency;
  body.dataset.caseId = c.case_id;
  const request = card(t('case.request'), facts([
    [t('case.order'), req.order.order_id, 'order_id'], [t('cases.sku'), req.order.sku, 'sku'],
    [t('case.price'), money(req.order.item_price, cur), 'item_price'], [t('case.buyer'), req.buyer.buyer_id, 'buyer_id'],
    [t('case.channel'), name(req.channel || 'amazon'), 'channel'], req.ticket_id ? [t('case.ticket'), req.ticket_id, 'ticket_id'] : null,
    [t('cases.category'), name(req.issue.category || (d.triage && d.triage.category)), 'category'],
    [t('cases.created'), dateTime(c.created_at), 'created_at'],
  ]), req.issue.message ? h('blockquote', { class: 'quote', lang: req.buyer.language || undefined }, req.issue.message) : null);
  const decision = card(t('case.decision'),
    h('div', { class: 'decision-head' }, h('span', { class: `tier tier-${d.tier}` }, name(d.tier)), h('strong', null, name(d.remedy.primary)),
      d.remedy.refund_amount ? h('span', null, money(d.remedy.refund_amount, cur)) : null),
    facts([
      [t('common.cost'), money(d.cost.remedy, cur), 'cost'], [t('case.full_return'), money(d.cost.full_return, cur), 'full_return'],
      [t('common.savings'), money(d.cost.savings, cur), 'savings'], [t('case.responsibility'), name(d.responsibility), 'responsibility'],
      [t('case.risk'), `${name(d.abuse.risk)} (${number(d.abuse.score)})`, 'risk'],
      [t('case.respond_by'), dateTime(d.deadlines.respond_by), 'respond_by'], [t('case.policy_version'), String(d.policy_version), 'policy_version'],
    ]));
  body.append(h('div', { class: 'grid-2' }, request, decision));
  body.append(h('div', { class: 'grid-2' }, replyCard(d.reply), outcomeCard(c, cur, reload)));
  body.append(h('div', { class: 'grid-2' }, evidenceCard(c.case_id), messagesCard(c.messages || [])));
}

function complianceView(compliance) {
  const ok = compliance.passed;
  return h('div', { class: `compliance ${ok ? 'ok' : 'bad'}`, dataset: { compliance: ok ? 'passed' : 'failed' } },
    h('strong', null, ok ? `✓ ${t('case.compliance_passed')}` : `✗ ${t('case.compliance_failed')}`),
    compliance.violations.length ? h('ul', null, compliance.violations.map((v) => h('li', null, h('code', null, v.code), ` ${v.detail}`))) : null);
}

function replyCard(reply) {
  const text = `${reply.subject}\n\n${reply.body}`;
  const status = h('span', { class: 'copy-status', role: 'status' });
  const area = h('textarea', { class: 'reply-text', readonly: true, rows: 10, 'aria-label': t('case.reply'), lang: reply.language }, text);
  const copy = async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      status.textContent = t('common.copied');
    } catch (e) {
      // The fallback where the Clipboard API is missing or refused.
      area.focus();
      area.select();
      let ok = false;
      try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
      status.textContent = ok ? t('common.copied') : t('common.copy_failed');
    }
  };
  return card(t('case.reply'), h('div', { class: 'reply-head' }, h('strong', { class: 'reply-subject' }, reply.subject),
    h('button', { type: 'button', class: 'button', dataset: { action: 'copy' }, on: { click: copy } }, t('common.copy')), status),
  area, h('h3', null, t('case.compliance')), complianceView(reply.compliance));
}

function outcomeView(o, cur) {
  return h('div', { class: 'outcome', dataset: { revision: o.revision, status: o.status } },
    h('div', { class: 'outcome-head' }, h('strong', null, name(o.status)), h('span', { class: 'muted small' }, `${t('case.revision', { n: o.revision })} · ${dateTime(o.recorded_at)}`)),
    facts([
      o.final_refund !== null ? [t('case.final_refund', { currency: cur }), money(o.final_refund, cur), 'final_refund'] : null,
      [t('case.review_outcome'), name(o.review_outcome), 'review_outcome'],
      [t('case.order_retained'), o.order_retained === null ? t('common.unknown') : (o.order_retained ? t('common.yes') : t('common.no')), 'order_retained'],
      o.abuse_confirmed ? [t('case.abuse_confirmed'), t('common.yes'), 'abuse_confirmed'] : null,
    ]), o.note ? h('p', { class: 'note' }, o.note) : null);
}

function labelled(label, input) {
  const id = fieldId('f');
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

function outcomeCard(c, cur, reload) {
  const history = (c.outcome_history || []).slice().reverse();
  const standing = c.outcome ? outcomeView(c.outcome, cur) : h('p', { class: 'muted', dataset: { outcome: 'none' } }, t('case.no_outcome'));
  const earlier = history.filter((o) => !c.outcome || o.revision !== c.outcome.revision);
  const summary = h('div');
  const options = (values) => values.map((v) => h('option', { value: v }, name(v)));
  const form = h('form', { class: 'outcome-form', novalidate: true, dataset: { form: 'outcome' } },
    labelled(t('case.status'), h('select', { name: 'status', dataset: { field: 'status' } }, options(['accepted', 'declined', 'returned', 'escalated']))),
    labelled(t('case.final_refund', { currency: cur }), h('input', { name: 'final_refund', type: 'number', min: '0', step: 'any', inputmode: 'decimal', dataset: { field: 'final_refund' } })),
    labelled(t('case.review_outcome'), h('select', { name: 'review_outcome', dataset: { field: 'review_outcome' } }, options(['none', 'avoided', 'posted', 'updated', 'removed']))),
    labelled(t('case.order_retained'), h('select', { name: 'order_retained', dataset: { field: 'order_retained' } },
      h('option', { value: '' }, t('common.unknown')), h('option', { value: 'true' }, t('common.yes')), h('option', { value: 'false' }, t('common.no')))),
    h('div', { class: 'field field-check' }, h('input', { type: 'checkbox', name: 'abuse_confirmed', id: `abuse-${c.case_id}`, dataset: { field: 'abuse_confirmed' } }),
      h('label', { for: `abuse-${c.case_id}` }, t('case.abuse_confirmed'))),
    labelled(t('case.note'), h('textarea', { name: 'note', rows: 2, maxlength: '2000', dataset: { field: 'note' } })),
    summary,
    h('button', { type: 'submit', class: 'button button-primary' }, t('case.save_outcome')));
  // One key per outcome the seller means to record: a retry after a lost
  // answer replays it instead of recording it twice.
  let idempotencyKey = null;
  let lastBody = null;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    clear(summary);
    const el = form.elements;
    const body = { status: el.status.value, review_outcome: el.review_outcome.value, abuse_confirmed: el.abuse_confirmed.checked };
    if (el.final_refund.value.trim() !== '') body.final_refund = toMinor(el.final_refund.value, cur);
    if (el.order_retained.value) body.order_retained = el.order_retained.value === 'true';
    if (el.note.value.trim()) body.note = el.note.value.trim();
    const text = JSON.stringify(body);
    if (text !== lastBody) { idempotencyKey = crypto.randomUUID(); lastBody = text; }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await request('POST', `/v1/cases/${encodeURIComponent(c.case_id)}/outcome`, { body, headers: { 'Idempotency-Key': idempotencyKey } });
      idempotencyKey = null;
      lastBody = null;
      reload();
    } catch (err) {
      button.disabled = false;
      if (err.status === 401) return;
      if (err instanceof ApiError && (err.status === 400 || err.status === 422)) showFieldErrors(form, err, summary);
      else summary.append(failure(err, () => form.requestSubmit()));
    }
  });
  if (c.outcome && c.outcome.final_refund !== null) form.elements.final_refund.value = String(fromMinor(c.outcome.final_refund, cur));
  return card(t('case.outcomes'), standing,
    earlier.length ? h('details', { class: 'history' }, h('summary', null, `${earlier.length} ×`), earlier.map((o) => outcomeView(o, cur))) : null,
    h('h3', null, t('case.record_outcome')), form);
}

function evidenceCard(caseId) {
  const status = h('div');
  const purposeId = fieldId('purpose');
  const purpose = h('select', { id: purposeId, name: 'purpose' }, ['a_to_z', 'chargeback', 'review_appeal'].map((p) => h('option', { value: p }, name(p))));
  const download = h('button', { type: 'button', class: 'button', dataset: { action: 'evidence' }, on: { click: async () => {
    clear(status);
    download.disabled = true;
    try {
      const { data, headers } = await request('GET', `/v1/cases/${encodeURIComponent(caseId)}/evidence${query({ purpose: purpose.value })}`,
        { accept: 'application/pdf', blob: true });
      const disposition = headers.get('Content-Disposition') || '';
      const match = /filename="([^"]+)"/.exec(disposition);
      const url = URL.createObjectURL(data);
      const a = h('a', { href: url, download: match ? match[1] : `evidence-${caseId}-${purpose.value}.pdf`, class: 'hidden' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (err) {
      if (err.status !== 401) status.append(notice('error', t('case.evidence_failed', { detail: err.message })));
    } finally {
      download.disabled = false;
    }
  } } }, t('case.evidence_download'));
  return card(t('case.evidence'), h('div', { class: 'evidence' },
    h('div', { class: 'field field-inline' }, h('label', { for: purposeId }, t('case.evidence_purpose')), purpose), download), status);
}

function messagesCard(messages) {
  if (!messages.length) return card(t('case.messages'), h('p', { class: 'muted' }, t('common.none')));
  return card(t('case.messages'), h('ol', { class: 'messages' }, messages.map((m) => h('li', { class: `message from-${m.from}` },
    h('div', { class: 'message-head' }, h('strong', null, name(m.from)), h('span', { class: 'muted small' }, `${dateTime(m.at)} · ${name(m.channel)}`)),
    h('p', { class: 'message-text' }, m.text), m.compliance ? complianceView(m.compliance) : null))));
}
