// main.js - the shell of every page: language switch, who is logged in, log out, the status line,
// and the router that picks the page module for the path (every page path serves index.html).
import { ApiError, errorMessage, logout, me } from './api.js';
import { h, replace } from './dom.js';
import { bind, getLang, setLang, t, translate } from './i18n.js';
import { learnNav } from './learnnav.js';

const ROUTES = [
  { re: /^\/$/, page: 'home' },
  { re: /^\/rate\/([^/]+)\/?$/, page: 'rate' },
  { re: /^\/leaderboard\/([^/]+)\/?$/, page: 'leaderboard' },
  { re: /^\/quality\/([^/]+)\/?$/, page: 'quality' },
  { re: /^\/review\/([^/]+)\/?$/, page: 'review' },
  { re: /^\/admin\/?$/, page: 'admin' },
  { re: /^\/myreviews\/([^/]+)\/?$/, page: 'myreviews' },
  { re: /^\/mystats\/([^/]+)\/?$/, page: 'mystats' },
];

const main = document.getElementById('main');
const status = document.getElementById('status');
let current = null; // AbortController of the page on screen
let titleKey = null;

function setTitle(key, vars) {
  titleKey = key ? [key, vars] : null;
  document.title = key ? `${t(key, vars)} · prefd` : 'prefd';
}

let statusTimer = 0;
/** A short message in the status line (aria-live); kind 'error' makes it an alert. */
function announce(key, vars, kind) {
  clearTimeout(statusTimer);
  status.className = `status status-${kind || 'info'}`;
  status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  replace(status, key ? bind(h('span'), key, vars) : '');
  if (key && kind !== 'error') statusTimer = setTimeout(() => replace(status), 2500);
}

function announceText(text, kind) {
  clearTimeout(statusTimer);
  status.className = `status status-${kind || 'info'}`;
  status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  replace(status, text ? h('span', null, text) : '');
  if (text && kind !== 'error') statusTimer = setTimeout(() => replace(status), 2500);
}

function setupShell() {
  const sel = document.getElementById('lang');
  sel.value = getLang();
  sel.addEventListener('change', () => setLang(sel.value));
  window.addEventListener('langchange', () => {
    sel.value = getLang();
    if (titleKey) setTitle(...titleKey);
  });
  document.getElementById('logout').addEventListener('click', async () => {
    try {
      await logout();
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) {
        announceText(errorMessage(err), 'error');
        return;
      }
    }
    location.assign('/');
  });
  translate(document);
}

function showUser(user) {
  const who = document.getElementById('who');
  const out = document.getElementById('logout');
  const nav = document.getElementById('nav');
  if (!user) {
    who.hidden = true;
    out.hidden = true;
    replace(nav);
    return;
  }
  replace(who, h('span', { class: 'who-name' }, user.name), ' ',
    h('span', { class: 'badge', t: `role.${user.role}` }));
  who.hidden = false;
  out.hidden = false;
  const links = [['/', 'nav.projects']];
  if (user.role === 'admin') links.push(['/admin', 'nav.admin']);
  replace(nav, links.map(([href, key]) => h('a', {
    href, t: key, 'aria-current': location.pathname === href ? 'page' : null,
  })));
  learnNav(nav);
}

function route() {
  for (const r of ROUTES) {
    const m = r.re.exec(location.pathname);
    if (m) return { page: r.page, params: m.slice(1).map(decodeURIComponent) };
  }
  return null;
}

/** The page context handed to each page module. */
function context(signal) {
  return {
    signal,
    setTitle,
    announce,
    announceText,
    /** The session ended (401): show the login form; the page comes back after logging in. */
    sessionExpired() {
      start({ expired: true });
    },
  };
}

/** Renders the page for the current path (or the login form). */
export async function start(opts = {}) {
  if (current) current.abort();
  current = new AbortController();
  const ctx = context(current.signal);
  main.setAttribute('aria-busy', 'true');
  let user;
  try {
    user = opts.expired ? null : await me();
  } catch (err) {
    showUser(null);
    setTitle('common.error');
    replace(main, h('div', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)),
      h('button', { class: 'btn', type: 'button', t: 'common.retry', onclick: () => start() }));
    main.removeAttribute('aria-busy');
    return;
  }
  showUser(user);
  try {
    if (!user) {
      const { renderLogin } = await import('./login.js');
      renderLogin(main, { ...ctx, expired: !!opts.expired, onLogin: () => start() });
      return;
    }
    const r = route();
    if (!r) {
      setTitle('common.not_found_title');
      replace(main, h('h1', { t: 'common.not_found_title' }),
        h('p', { t: 'common.not_found_text' }), h('p', null, h('a', { href: '/', t: 'nav.projects' })));
      return;
    }
    const mod = await import(`./${r.page}.js`);
    await mod.render(main, { user, params: r.params, ...ctx });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      start({ expired: true });
      return;
    }
    replace(main, h('div', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
    console.warn('page failed', err); // eslint-disable-line no-console
  } finally {
    main.removeAttribute('aria-busy');
  }
}

setupShell();
start();
