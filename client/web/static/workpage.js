// workpage.js - what the rating page (rate.js) and the review page (review.js) share around the
// work on screen: the project's guidelines panel (the server's rendering, guidelines_html), the
// notice above the work and the stage it stands on, its buttons, and the answers to a failed call
// that both pages give alike (401 back to the login form, the server away with a retry button,
// anything unforeseen as the API's own message).
import { guidelinesBody } from './answer.js';
import { ApiError, errorMessage } from './api.js';
import { h, replace, typingIn } from './dom.js';
import { bind } from './i18n.js';

/**
 * The project's guidelines as a collapsible panel (key G): open until the person closes this
 * version once (remembered per project in localStorage). show(project) fills it in from the
 * project's guidelines_html (rendered by the server like answers: raw HTML shows as text).
 */
export function guidelinesPanel(slug) {
  const body = h('div', { class: 'md guidelines-body' });
  const version = h('span', { class: 'muted' });
  const el = h('details', { class: 'guidelines card', id: 'guidelines' },
    h('summary', null, h('span', { t: 'rate.guidelines' }), ' ', version,
      h('span', { class: 'kbd-hint' }, h('kbd', null, 'G'))),
    body);
  let shown = null;
  el.addEventListener('toggle', () => {
    if (!el.open && shown) localStorage.setItem(`prefd.guidelines.${slug}`, String(shown));
  });
  return {
    el,
    show(project) {
      shown = project.guidelines_version;
      replace(body, guidelinesBody(project.guidelines_html, 'rate.no_guidelines'));
      bind(version, 'rate.version', { v: project.guidelines_version });
      el.open = localStorage.getItem(`prefd.guidelines.${slug}`) !== String(shown);
    },
    toggle() {
      el.open = !el.open;
    },
  };
}

/**
 * The keys both pages share, for their keydown listener: nothing with a modifier, repeated or
 * typed into a field; G opens or closes the guidelines; W switches the answers on screen
 * (contents: their answerContent, or null) between rendered and as written. Returns the key in
 * lower case for the page to handle, or null when it was handled here or is not for the page.
 */
export function workKey(ev, guidelines, contents) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat || typingIn(ev.target)) return null;
  const key = ev.key.toLowerCase();
  if (key === 'g') {
    ev.preventDefault();
    guidelines.toggle();
    return null;
  }
  if (key === 'w' && contents) {
    ev.preventDefault();
    const on = !contents.every((c) => c.isWritten());
    for (const c of contents) c.setWritten(on);
    return null;
  }
  return key;
}

/** A button with a translated label. */
export function button(key, onclick, primary) {
  return h('button', { type: 'button', class: primary ? 'btn btn-primary' : 'btn', t: key, onclick });
}

/** The link back to the project list. */
export const homeLink = () => h('a', { class: 'btn', href: '/', t: 'rate.back' });

/**
 * The notice (aria-live assertive) and the stage (where the comparison or vote stands) of a work
 * page, and the messages in the notice. ctx: the page context (sessionExpired). Returns
 * {notice, stage, clearNotice, showNotice, showNoticeText, showError, setButtons, setDisabled,
 * clearStage, failed}.
 */
export function workArea(ctx) {
  const notice = h('div', { class: 'rate-notice', 'aria-live': 'assertive' });
  const stage = h('div', { class: 'rate-stage', 'aria-live': 'off' });
  let buttons = []; // the buttons of the work on screen

  function clearNotice() {
    replace(notice);
  }

  /** A message above the work; kind: info | warn | error; actions: buttons or links. */
  function showNotice(kind, key, vars, ...actions) {
    const box = h('div', { class: `notice notice-${kind}`, role: kind === 'info' ? 'status' : 'alert', dataset: { kind: key } },
      h('p', { t: [key, vars] }),
      actions.length ? h('div', { class: 'actions' }, actions) : null);
    replace(notice, box);
    return box;
  }

  /** A message whose text is given (the API's message); code names its kind. */
  function showNoticeText(kind, code, text, ...actions) {
    replace(notice, h('div', { class: `notice notice-${kind}`, role: 'alert', dataset: { kind: code } },
      h('p', null, text), actions.length ? h('div', { class: 'actions' }, actions) : null));
  }

  /** A failed call nothing more particular explains: the API's message, in the page's language. */
  function showError(err) {
    showNoticeText('error', err.code || 'error', errorMessage(err));
  }

  function setDisabled(disabled) {
    for (const b of buttons) b.disabled = disabled;
  }

  return {
    notice,
    stage,
    clearNotice,
    showNotice,
    showNoticeText,
    showError,
    setDisabled,
    /** The buttons that setDisabled switches: those of the work now on screen. */
    setButtons(list) {
      buttons = list;
    },
    clearStage() {
      buttons = [];
      replace(stage);
    },
    /**
     * The answers both pages give a failed call: buttons enabled again; 401 back to the login
     * form; the server away (status 0 or 502 and above) says unavailableKey with a retry button
     * that calls again(). Returns true when it answered, false for the page to go on; a failure
     * that is no ApiError is thrown on.
     */
    failed(err, unavailableKey, again) {
      setDisabled(false);
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) {
        ctx.sessionExpired();
        return true;
      }
      if (err.status === 0 || err.status >= 502) {
        showNotice('error', unavailableKey, null, button('common.retry', () => {
          clearNotice();
          again();
        }, true));
        notice.querySelector('button').focus();
        return true;
      }
      return false;
    },
  };
}
