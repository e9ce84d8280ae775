// api.js - the HTTP API from the browser: JSON in and out, the session cookie, the CSRF token on
// every state change, and the API's error shape turned into ApiError with a message for people.
import { apiErrorText, t } from './i18n.js';

const BASE = '/api/v1';
let csrfToken = null;

/** The CSRF token of this cookie session (from the login, or recovered by GET /me). */
export function setCsrf(token) {
  csrfToken = token || null;
}

/** An API call that did not succeed: HTTP status (0 for a network failure), error code, message. */
export class ApiError extends Error {
  constructor(status, code, message, details, body, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details || null;
    this.body = body || null;
    this.retryAfter = retryAfter || null;
  }
}

/** Builds a path under /api/v1 with a query string from an object (empty values left out). */
export function apiPath(path, query) {
  let url = BASE + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    if (s) url += `?${s}`;
  }
  return url;
}

function changes(method) {
  return method !== 'GET' && method !== 'HEAD';
}

/** Turns a non-2xx reply (or its parsed body) into an ApiError. */
function errorOf(status, body, retryAfter) {
  const e = body && body.error;
  if (e && typeof e === 'object') return new ApiError(status, e.code, e.message, e.details, body, retryAfter);
  return new ApiError(status, status >= 500 ? 'unavailable' : 'http_error', `HTTP ${status}`, null, body, retryAfter);
}

/**
 * Calls the API. opts: json (a body to send as JSON), query (object). Resolves to
 * {status, body} (body null for 204) for a 2xx reply; rejects with ApiError otherwise.
 */
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  if (changes(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(apiPath(path, opts.query), { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', String(err && err.message ? err.message : err));
  }
  let data = null;
  if (res.status !== 204) {
    const text = await res.text().catch(() => '');
    if (text) {
      try { data = JSON.parse(text); } catch (_) { data = null; }
    }
  }
  if (res.ok) return { status: res.status, body: data };
  throw errorOf(res.status, data, res.headers.get('Retry-After'));
}

export const get = (path, query) => api('GET', path, { query });
export const post = (path, json) => api('POST', path, { json: json === undefined ? {} : json });
export const patch = (path, json) => api('PATCH', path, { json });
export const del = (path) => api('DELETE', path);

/**
 * Every page of a list (API.md, "Lists"): the first page's answer with the items of all pages,
 * following next_cursor (1000 items a page unless the query says; at most 20 pages).
 */
export async function getAll(path, query = {}) {
  let first = null;
  let cursor = null;
  for (let page = 0; page < 20; page++) {
    const { body } = await get(path, { limit: 1000, ...query, cursor });
    if (first) first.items.push(...body.items);
    else first = body;
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return first;
}

/** The logged-in user ({id, name, role}) or null; keeps the CSRF token it carries. */
export async function me() {
  try {
    const { body } = await get('/me');
    if (body && body.csrf_token) setCsrf(body.csrf_token);
    return body;
  } catch (err) {
    if (err.status === 401) return null;
    throw err;
  }
}

export async function login(username, password) {
  const { body } = await post('/session', { username, password });
  setCsrf(body.csrf_token);
  return body.user;
}

export async function logout() {
  try {
    await del('/session');
  } finally {
    setCsrf(null);
  }
}

/**
 * Uploads a file (JSON Lines) with XMLHttpRequest so that the upload's progress can be shown.
 * onProgress(fraction or null). Resolves to {status, body} for 2xx; rejects with ApiError
 * (whose body keeps the per-line report of a 422).
 */
export function upload(path, file, query, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiPath(path, query));
    const name = (file.name || '').toLowerCase();
    xhr.setRequestHeader('Content-Type', name.endsWith('.json') ? 'application/json' : 'application/x-ndjson');
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.addEventListener('progress', (ev) => {
      if (onProgress) onProgress(ev.lengthComputable ? ev.loaded / ev.total : null);
    });
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch (_) { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve({ status: xhr.status, body: data });
      else reject(errorOf(xhr.status, data, xhr.getResponseHeader('Retry-After')));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', 'network error')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'aborted')));
    xhr.send(file);
  });
}

/**
 * A message for people about a failed call, in the page's language: in Chinese, the text of the
 * API's error code where i18n.js knows it; otherwise by status, with the server's message.
 */
export function errorMessage(err) {
  if (!(err instanceof ApiError)) return t('err.unexpected', { detail: String(err && err.message ? err.message : err) });
  const known = apiErrorText(err.code, err.details, err.retryAfter);
  if (known) return known;
  const detail = err.message || '';
  switch (err.status) {
    case 0: return t('err.network');
    case 401: return t('err.session');
    case 403: return t('err.forbidden');
    case 404: return t('err.not_found', { detail });
    case 409: return t('err.conflict', { detail });
    case 410: return t('err.gone');
    case 413: return t('err.too_large', { detail });
    case 415:
    case 400:
    case 422: return t('err.invalid', { detail });
    case 429: return t('err.rate_limited', { seconds: err.retryAfter || '60' });
    case 502:
    case 503:
    case 504: return t('err.unavailable');
    default: return t('err.server', { status: err.status, detail });
  }
}
