// Every call to the API goes through here: the session cookie travels with
// same-origin requests, requests that change state carry the CSRF token the
// session gave, and a 401 anywhere means the session is over (the router
// returns to sign-in). Answers: {status, data, headers}; failures throw an
// ApiError carrying the problem+json body when there is one.

let csrfToken = null;
let onSessionEnded = () => {};

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || null;
  }
  // errors[] of a validation problem: [{field, message}].
  get fieldErrors() {
    return (this.problem && Array.isArray(this.problem.errors)) ? this.problem.errors : [];
  }
}

export function whenSessionEnds(callback) { onSessionEnded = callback; }
export function setCsrfToken(token) { csrfToken = token || null; }

const CHANGES_STATE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function request(method, path, options) {
  const opts = options || {};
  const headers = { Accept: opts.accept || 'application/json', ...(opts.headers || {}) };
  if (opts.body !== undefined) headers['Content-Type'] = opts.contentType || 'application/json';
  if (CHANGES_STATE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (e) {
    throw new ApiError(0, { title: 'network', detail: String(e && e.message ? e.message : e) });
  }
  if (response.status === 401 && !opts.expectUnauthorized) {
    csrfToken = null;
    onSessionEnded('expired');
    throw new ApiError(401, await readJson(response));
  }
  if (!response.ok) throw new ApiError(response.status, await readJson(response));
  if (opts.blob) return { status: response.status, data: await response.blob(), headers: response.headers };
  const data = response.status === 204 ? null : await readJson(response);
  return { status: response.status, data, headers: response.headers };
}

async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch (e) { return { title: text.slice(0, 200) }; }
}

export const get = (path, options) => request('GET', path, options);

// A query string from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

// ---- the session (POST/GET/DELETE /v1/sessions[/current]) ----

export async function currentSession() {
  try {
    const { data } = await request('GET', '/v1/sessions/current', { expectUnauthorized: true });
    setCsrfToken(data.csrf_token);
    return data;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

export async function signIn(apiKey) {
  const { data } = await request('POST', '/v1/sessions', { body: { api_key: apiKey }, expectUnauthorized: true });
  setCsrfToken(data.csrf_token);
  return data;
}

export async function signOut() {
  try {
    await request('DELETE', '/v1/sessions/current', { expectUnauthorized: true });
  } finally {
    setCsrfToken(null);
  }
}
