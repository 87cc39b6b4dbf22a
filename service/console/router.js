// Hash routes (#/overview, #/skus, #/health, #/cases, #/cases/ID,
// #/policy): the server serves one page. At load the session is asked for
// (GET /v1/sessions/current); without one, or when any request answers
// 401 later, the sign-in form takes the page, with a message saying why.
import { h, clear, routeParams } from './dom.js';
import { currentSession, signIn, signOut, whenSessionEnds, ApiError } from './api.js';
import { t, language, setLanguage, LANGUAGES } from './i18n.js';
import { fieldId, failure, loading } from './ui.js';
import { renderOverview } from './overview.js';
import { renderSkus } from './skus.js';
import { renderHealth } from './health.js';
import { renderCases, renderCase } from './cases.js';
import { renderPolicy } from './policy.js';

const PAGES = [
  { path: 'overview', label: 'nav.overview', render: (root, params) => renderOverview(root, params) },
  { path: 'skus', label: 'nav.skus', render: (root, params) => renderSkus(root, params) },
  { path: 'health', label: 'nav.health', render: (root) => renderHealth(root) },
  { path: 'cases', label: 'nav.cases', render: (root, params, id) => (id ? renderCase(root, id) : renderCases(root, params)) },
  { path: 'policy', label: 'nav.policy', render: (root) => renderPolicy(root) },
];

let app = null;
let session = null;

export function start(root) {
  app = root;
  setLanguage(language());
  // Parallel requests may all answer 401: the first one signs out.
  whenSessionEnds((why) => {
    if (!session) return;
    session = null;
    showSignIn(why);
  });
  window.addEventListener('hashchange', () => { if (session) route(); });
  boot();
}

async function boot() {
  clear(app).append(loading());
  try {
    session = await currentSession();
  } catch (error) {
    clear(app).append(h('div', { class: 'signin-page' }, failure(error, boot)));
    return;
  }
  if (session) route();
  else showSignIn(null);
}

function languageSwitch() {
  const id = fieldId('lang');
  return h('div', { class: 'lang-switch' }, h('label', { for: id, class: 'sr-only' }, t('nav.language')),
    h('select', { id, dataset: { control: 'language' }, on: { change: (e) => { setLanguage(e.target.value); if (session) route(); else showSignIn(null); } } },
      LANGUAGES.map((l) => h('option', { value: l, selected: l === language(), lang: l }, l === 'en' ? 'English' : '简体中文'))));
}

function brand() {
  return h('a', { href: '#/overview', class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'R'), h('span', null, t('app.name')));
}

function showSignIn(why) {
  const message = why === 'expired' ? t('signin.expired') : why === 'signed_out' ? t('signin.signed_out') : null;
  const id = fieldId('key');
  const error = h('div', { class: 'signin-error' });
  const input = h('input', { id, name: 'api_key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, dataset: { field: 'api_key' } });
  const button = h('button', { type: 'submit', class: 'button button-primary button-wide' }, t('signin.submit'));
  const form = h('form', { class: 'signin-form', dataset: { form: 'signin' }, on: { submit: async (e) => {
    e.preventDefault();
    clear(error);
    const key = input.value.trim();
    if (!key) { input.focus(); return; }
    button.disabled = true;
    try {
      session = await signIn(key);
      input.value = ''; // the key is never kept
      if (!location.hash || location.hash === '#' || location.hash === '#/') location.hash = '#/overview';
      route();
    } catch (err) {
      button.disabled = false;
      input.value = '';
      const wrong = err instanceof ApiError && (err.status === 401 || err.status === 400 || err.status === 422);
      error.append(h('p', { class: 'notice notice-error', role: 'alert', dataset: { problem: err.status } },
        wrong ? t('signin.wrong_key') : (err.status === 503 || err.status === 0 ? t('common.unavailable') : t('common.error', { detail: err.message }))));
      input.focus();
    }
  } } },
  h('div', { class: 'field' }, h('label', { for: id }, t('signin.key')), input), error, button);
  clear(app).append(h('div', { class: 'signin-page' },
    h('div', { class: 'signin-card' },
      h('div', { class: 'signin-top' }, brand(), languageSwitch()),
      h('h1', null, t('signin.title')), h('p', { class: 'muted' }, t('signin.lead')),
      message ? h('p', { class: 'notice notice-info', role: 'status', dataset: { reason: why } }, message) : null,
      form),
    h('p', { class: 'signin-foot muted small' }, t('app.tagline'))));
  document.title = `${t('signin.title')} · ${t('app.name')}`;
  input.focus();
}

function parseHash() {
  const hash = (location.hash || '#/overview').replace(/^#\/?/, '');
  const [path] = hash.split('?');
  const [page, id] = path.split('/').map(decodeURIComponent);
  return { page: PAGES.find((p) => p.path === page) || PAGES[0], id: id || null };
}

function route() {
  const { page, id } = parseHash();
  const nav = h('nav', { class: 'nav', id: 'nav', 'aria-label': t('nav.menu') },
    h('ul', null, PAGES.map((p) => h('li', null, h('a', { href: `#/${p.path}`, 'aria-current': p === page ? 'page' : undefined, dataset: { nav: p.path } }, t(p.label))))));
  const toggle = h('button', { type: 'button', class: 'nav-toggle', 'aria-controls': 'nav', 'aria-expanded': 'false', on: { click: () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    nav.classList.toggle('open', open);
  } } }, h('span', { class: 'nav-toggle-bars', 'aria-hidden': 'true' }), h('span', { class: 'sr-only' }, t('nav.menu')));
  const out = h('button', { type: 'button', class: 'button button-quiet', dataset: { action: 'signout' }, on: { click: async () => {
    try { await signOut(); } catch (e) { /* signed out here whatever the server said */ }
    session = null;
    showSignIn('signed_out');
  } } }, t('nav.signout'));
  const main = h('main', { class: 'main', id: 'main', tabindex: '-1', dataset: { page: page.path } });
  clear(app).append(
    h('header', { class: 'topbar' }, h('div', { class: 'topbar-inner' }, brand(), toggle, nav,
      h('div', { class: 'topbar-tools' }, h('span', { class: 'tenant muted small', dataset: { tenant: session.tenant } }, t('nav.signed_in_as', { tenant: session.tenant })),
        languageSwitch(), out))),
    main);
  document.title = `${t(page.label)} · ${t('app.name')}`;
  page.render(main, routeParams(), id);
}
