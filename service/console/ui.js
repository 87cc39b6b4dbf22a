// Shared pieces of the pages: loading, empty and error states, cards,
// period choice, and showing a problem's errors next to the fields named.
import { h, clear } from './dom.js';
import { t } from './i18n.js';

export function loading() {
  return h('div', { class: 'state state-loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('common.loading'));
}

export function empty(message, hint) {
  return h('div', { class: 'state state-empty', dataset: { state: 'empty' } },
    h('div', { class: 'state-icon', 'aria-hidden': 'true' }, '∅'),
    h('p', { class: 'state-title' }, message), hint ? h('p', { class: 'state-hint' }, hint) : null);
}

// An error in place of a page's content; 503 (and a lost connection) offer
// a retry. 401 never gets here: the router has gone back to sign-in.
export function failure(error, retry) {
  const unavailable = error.status === 503 || error.status === 0 || error.status === 429;
  return h('div', { class: 'state state-error', role: 'alert', dataset: { state: 'error', status: error.status } },
    h('p', { class: 'state-title' }, unavailable ? t('common.unavailable') : t('common.error', { detail: error.message })),
    retry ? h('button', { type: 'button', class: 'button', on: { click: retry } }, t('common.retry')) : null);
}

// Runs load() with a loading state in `target`, then render(data); on a
// failure shows failure() with a retry that runs it all again.
export async function loadInto(target, load, render) {
  clear(target).append(loading());
  try {
    const data = await load();
    clear(target);
    render(data);
  } catch (error) {
    if (error.status === 401) return;
    clear(target).append(failure(error, () => loadInto(target, load, render)));
  }
}

export function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', { class: 'card-title' }, title) : null, ...children);
}

export function kpi(key, label, text, raw, sub) {
  return h('div', { class: 'kpi', dataset: { kpi: key, value: raw } },
    h('div', { class: 'kpi-label' }, label), h('div', { class: 'kpi-value' }, text), sub ? h('div', { class: 'kpi-sub' }, sub) : null);
}

export function pageHeader(title, ...tools) {
  return h('div', { class: 'page-header' }, h('h1', null, title), h('div', { class: 'page-tools' }, ...tools));
}

// The UTC day `daysAgo` days before today, YYYY-MM-DD.
export function isoDay(daysAgo) {
  const d = new Date(Date.now() - daysAgo * 86400000);
  return d.toISOString().slice(0, 10);
}

let fieldCounter = 0;
export function fieldId(prefix) { fieldCounter += 1; return `${prefix}-${fieldCounter}`; }

// A labelled select: options [{value, label}].
export function select(label, options, value, onChange, attrs) {
  const id = fieldId('sel');
  const el = h('select', { id, ...(attrs || {}), on: { change: (e) => onChange(e.target.value) } },
    options.map((o) => h('option', { value: o.value, selected: String(o.value) === String(value) }, o.label)));
  return h('div', { class: 'field field-inline' }, h('label', { for: id }, label), el);
}

export const PERIODS = [4, 13, 26];

// Problem errors shown next to the inputs whose data-field names them;
// what matches no input goes to `summary`. Returns how many were placed.
export function showFieldErrors(form, error, summary, prefix) {
  clearFieldErrors(form);
  const errors = error.fieldErrors;
  const unplaced = [];
  for (const e of errors) {
    const field = prefix && e.field.startsWith(prefix) ? e.field.slice(prefix.length) : e.field;
    const input = form.querySelector(`[data-field="${CSS.escape(field)}"]`);
    const holder = input ? input.closest('.field') : null;
    if (holder) {
      // A folded group opens to show its refused field.
      for (let d = input.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
      input.setAttribute('aria-invalid', 'true');
      const id = fieldId('err');
      input.setAttribute('aria-describedby', id);
      holder.append(h('p', { class: 'field-error', id, dataset: { errorFor: field } }, e.message));
    } else {
      unplaced.push(`${e.field}: ${e.message}`);
    }
  }
  if (summary) {
    clear(summary);
    const lines = errors.length ? unplaced : [error.message];
    if (lines.length) summary.append(h('div', { class: 'notice notice-error', role: 'alert' }, lines.map((l) => h('div', null, l))));
  }
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
  return errors.length - unplaced.length;
}

export function clearFieldErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => { e.removeAttribute('aria-invalid'); e.removeAttribute('aria-describedby'); });
}

export function notice(kind, text) {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function statusBadge(status) {
  return h('span', { class: `badge badge-${status}`, dataset: { status } }, t(`common.status.${status}`));
}

// On a phone a .table-cards table shows each row as a card, each cell
// under its column's name (CSS reads data-label): the names copied here.
export function labelCells(table) {
  const names = [...table.querySelectorAll('thead th')].map((th) => th.textContent.replace(/[▲▼]/g, '').trim());
  table.querySelectorAll('tbody tr').forEach((tr) => {
    [...tr.children].forEach((cell, i) => { if (names[i]) cell.dataset.label = names[i]; });
  });
  return table;
}

export function tableWrap(table) {
  return h('div', { class: 'table-scroll', tabindex: '0' }, table);
}
