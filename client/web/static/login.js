// login.js - the login form (shown at / and on any page when nobody is logged in). Enter submits;
// POST /api/v1/session sets the session cookie and gives the CSRF token (api.js keeps it).
import { errorMessage, login } from './api.js';
import { h, newId, replace } from './dom.js';
import { bind } from './i18n.js';

export function renderLogin(main, ctx) {
  ctx.setTitle('login.title');
  const userId = newId('user');
  const passId = newId('pass');
  const msg = h('div', { class: 'form-msg', role: 'alert' });
  const username = h('input', { id: userId, name: 'username', type: 'text', autocomplete: 'username',
    required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { id: passId, name: 'password', type: 'password',
    autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', t: 'login.submit' });
  const form = h('form', { class: 'login-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: userId, t: 'login.username' }), username),
    h('div', { class: 'field' }, h('label', { for: passId, t: 'login.password' }), password),
    msg, submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    replace(msg);
    if (!username.value.trim() || !password.value) {
      bind(msg, 'login.missing');
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    try {
      await login(username.value.trim(), password.value);
      ctx.onLogin();
    } catch (err) {
      submit.disabled = false;
      if (err.status === 401) bind(msg, 'login.wrong');
      else msg.textContent = errorMessage(err);
      password.select();
      password.focus();
    }
  }, { signal: ctx.signal });
  replace(main,
    h('section', { class: 'login card', 'aria-labelledby': 'login-title' },
      h('h1', { id: 'login-title', t: 'login.title' }),
      ctx.expired ? h('p', { class: 'notice notice-warn', role: 'alert', t: 'err.session' }) : null,
      h('p', { class: 'muted', t: 'login.intro' }),
      form));
  username.focus();
}
