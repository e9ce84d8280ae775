// rate.js - the rating page /rate/{slug}: the prompt, the two anonymous answers side by side, the
// project's choices (keys 1-4, s to skip), flags per answer, the rationale, the guidelines, and
// progress. The time from showing a comparison to the vote is sent as elapsed_ms. Every failure
// (nothing left, session or assignment expired, server away) ends in a message that says what
// happened and what to do. The guidelines panel and the answers' rendering serve the review page too.
import { ApiError, errorMessage, get, post } from './api.js';
import { h, replace, safeHtml, typingIn } from './dom.js';
import { bind, fmtDate, label } from './i18n.js';
import { markdown } from './md.js';

const ORDER = ['a', 'b', 'tie', 'both_bad'];
const KEYS = { 1: 'a', 2: 'b', 3: 'tie', 4: 'both_bad' };
const SIDES = [['left', 'a'], ['right', 'b']];

/** An answer or prompt from the server's rendered Markdown; an empty one says so. */
export function answerBody(html) {
  if (!html || !html.trim()) return h('p', { class: 'empty-answer', t: 'rate.empty_answer' });
  return safeHtml(html);
}

/**
 * The project's guidelines as a collapsible panel (key G): open until the person closes this
 * version once (remembered per project in localStorage). show(project) fills it in.
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
      replace(body, project.guidelines && project.guidelines.trim()
        ? markdown(project.guidelines, { shift: 2 })
        : h('p', { class: 'muted', t: 'rate.no_guidelines' }));
      bind(version, 'rate.version', { v: project.guidelines_version });
      el.open = localStorage.getItem(`prefd.guidelines.${slug}`) !== String(shown);
    },
  };
}

export async function render(main, ctx) {
  const slug = ctx.params[0];
  const path = encodeURIComponent(slug);
  const { signal } = ctx;
  const state = {
    project: null,
    assignment: null, // the comparison on screen
    shownAt: 0, // performance.now() when it appeared
    busy: false, // a request is under way: keys and buttons do nothing
    gold: false, // the feedback on a missed control pair is on screen
  };

  ctx.setTitle('rate.title');
  const title = h('h1', { class: 'rate-title', t: 'rate.title' });
  const progressBar = h('progress', { class: 'progress', max: 1, value: 0, 'aria-labelledby': 'rate-progress-text' });
  const progressText = h('span', { id: 'rate-progress-text', class: 'progress-text' });
  const guidelines = guidelinesPanel(slug);
  const guide = guidelines.el;
  const notice = h('div', { class: 'rate-notice', 'aria-live': 'assertive' });
  const stage = h('div', { class: 'rate-stage', 'aria-live': 'off' });
  replace(main, h('div', { class: 'rate-page', dataset: { slug } },
    h('div', { class: 'rate-head' }, title,
      h('div', { class: 'progress-wrap' }, progressBar, progressText)),
    guide, notice, stage));

  // --- messages ---

  function clearNotice() {
    replace(notice);
  }

  /** A message above the comparison; kind: info | warn | error; actions: buttons. */
  function showNotice(kind, key, vars, ...actions) {
    const box = h('div', { class: `notice notice-${kind}`, role: kind === 'info' ? 'status' : 'alert', dataset: { kind: key } },
      h('p', { t: [key, vars] }),
      actions.length ? h('div', { class: 'actions' }, actions) : null);
    replace(notice, box);
    return box;
  }

  function showNoticeText(kind, code, text, ...actions) {
    replace(notice, h('div', { class: `notice notice-${kind}`, role: 'alert', dataset: { kind: code } },
      h('p', null, text), actions.length ? h('div', { class: 'actions' }, actions) : null));
  }

  function button(key, onclick, primary) {
    return h('button', { type: 'button', class: primary ? 'btn btn-primary' : 'btn', t: key, onclick });
  }

  const homeLink = () => h('a', { class: 'btn', href: '/', t: 'rate.back' });

  /** Maps a failed call to a message; 401 goes back to the login form. */
  function failed(err, again) {
    state.busy = false;
    setButtonsDisabled(false);
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) {
      ctx.sessionExpired();
      return;
    }
    if (err.status === 0 || err.status >= 502) {
      // a failed vote was not saved; a failed "next" loses nothing
      showNotice('error', err.where === 'vote' ? 'rate.unavailable' : 'rate.unavailable_next', null, button('common.retry', () => {
        clearNotice();
        again();
      }, true));
      notice.querySelector('button').focus();
      return;
    }
    if (err.status === 410) {
      showNotice('warn', 'rate.expired');
      loadNext(true);
      return;
    }
    if (err.code === 'guidelines_changed' || err.code === 'not_qualified') {
      clearStage(); // issue 17: the guideline notice (guidenotice.js), or when to retry
      if (err.code === 'not_qualified') {
        showNotice('error', 'learn.not_qualified', { time: fmtDate(err.details && err.details.retry_at) }, homeLink());
        return;
      }
      import('./guidenotice.js').then((m) => m.showGuidelineNotice(notice, slug, () => loadNext(true)))
        .catch((e) => showNoticeText('error', 'error', errorMessage(e)));
      return;
    }
    if (err.status === 409 && err.where === 'vote') {
      showNotice('warn', 'rate.conflict');
      loadNext(true);
      return;
    }
    if (err.status === 409) {
      clearStage();
      showNotice('warn', 'rate.inactive', null, homeLink());
      return;
    }
    if (err.status === 403 || (err.status === 404 && err.where !== 'vote')) {
      clearStage();
      showNotice('error', 'rate.no_project', { slug }, homeLink());
      return;
    }
    if (err.status === 404) {
      showNotice('warn', 'rate.not_yours');
      loadNext(true);
      return;
    }
    showNoticeText('error', err.code || 'error', errorMessage(err));
  }

  // --- project and guidelines ---

  async function loadProject() {
    const { body } = await get(`/projects/${path}`);
    state.project = body;
    title.removeAttribute('data-i18n');
    title.textContent = body.title;
    ctx.setTitle('rate.page_title', { title: body.title });
    guidelines.show(body);
  }

  // --- the comparison ---

  let els = null; // the controls of the comparison on screen

  function clearStage() {
    state.assignment = null;
    els = null;
    replace(stage);
  }

  function setButtonsDisabled(disabled) {
    if (!els) return;
    for (const b of els.buttons) b.disabled = disabled;
  }

  function setProgress(p) {
    const total = p.done + p.remaining;
    progressBar.max = Math.max(total, 1);
    progressBar.value = p.done;
    bind(progressText, 'rate.progress', { done: p.done, remaining: p.remaining });
  }

  function show(a) {
    state.assignment = a;
    state.gold = false;
    setProgress(a.progress);
    if (state.project && a.guidelines_version !== state.project.guidelines_version) {
      loadProject().catch(() => {}); // the guidelines changed meanwhile
    }
    const answers = SIDES.map(([side, key]) => {
      const id = `answer-${side}`;
      const boxes = (a.flags || []).map((f) => {
        const box = h('input', { type: 'checkbox', value: f, dataset: { flag: f, side } });
        return h('label', { class: 'flag' }, box, ' ', h('span', { t: ['rate.flag', { flag: label('flag', f) }] }));
      });
      return h('section', { class: 'answer card', dataset: { side }, 'aria-labelledby': `${id}-h` },
        h('h2', { id: `${id}-h`, class: 'answer-head' },
          h('span', { t: key === 'a' ? 'rate.answer_a' : 'rate.answer_b' }),
          h('kbd', { class: 'side-key' }, key === 'a' ? '1' : '2')),
        h('div', { class: 'md answer-body' }, answerBody(a[side].html)),
        boxes.length ? h('fieldset', { class: 'flags' },
          h('legend', { t: key === 'a' ? 'rate.flags_a' : 'rate.flags_b' }), boxes) : null);
    });
    let rationale = null;
    let rationaleBox = null;
    if (a.rationale !== 'off') {
      const required = a.rationale === 'required';
      rationale = h('textarea', { id: 'rationale', name: 'rationale', rows: 3, maxlength: 20000,
        required, 'aria-required': required ? 'true' : null, 'aria-describedby': 'rationale-hint' });
      rationale.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape') rationale.blur();
      });
      rationaleBox = h('div', { class: 'field rationale' },
        h('label', { for: 'rationale', t: required ? 'rate.rationale_required' : 'rate.rationale_optional' }),
        rationale,
        h('p', { id: 'rationale-hint', class: 'hint', t: 'rate.rationale_hint' }));
    }
    const outcomes = ORDER.filter((o) => (a.outcomes || ORDER).includes(o));
    const keyOf = { a: '1', b: '2', tie: '3', both_bad: '4' };
    const buttons = outcomes.map((o) => h('button', {
      type: 'button', class: `btn choice choice-${o}`, dataset: { choice: o },
      'aria-keyshortcuts': keyOf[o], onclick: () => vote(o),
    }, h('span', { t: `outcome.${o}` }), h('kbd', null, keyOf[o])));
    const skipBtn = h('button', { type: 'button', class: 'btn btn-quiet choice', dataset: { action: 'skip' },
      'aria-keyshortcuts': 's', onclick: () => skip() }, h('span', { t: 'rate.skip' }), h('kbd', null, 'S'));
    const comparison = h('article', { class: 'comparison', tabindex: -1, 'aria-labelledby': 'prompt-h', dataset: { assignment: a.id } },
      h('section', { class: 'prompt card' },
        h('h2', { id: 'prompt-h', t: 'rate.prompt' }),
        h('div', { class: 'md prompt-body' }, answerBody(a.prompt.html))),
      h('div', { class: 'answers' }, answers),
      rationaleBox,
      h('div', { class: 'choices', role: 'group', tAttrs: { 'aria-label': 'rate.choices' } },
        buttons, skipBtn),
      h('p', { class: 'hint keys-hint', t: 'rate.keys' }));
    els = { buttons: [...buttons, skipBtn], rationale, comparison };
    replace(stage, comparison);
    state.shownAt = performance.now();
    state.busy = false;
    const top = comparison.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight) comparison.scrollIntoView({ block: 'start' });
    comparison.focus({ preventScroll: true });
  }

  function boxesOf(side) {
    return [...stage.querySelectorAll(`input[data-side="${side}"]:checked`)].map((b) => b.value);
  }

  async function loadNext(keepNotice) {
    state.busy = true;
    if (!keepNotice) clearNotice();
    setButtonsDisabled(true);
    stage.setAttribute('aria-busy', 'true');
    try {
      const res = await get(`/projects/${path}/next`);
      if (signal.aborted) return;
      if (res.status === 204) {
        clearStage();
        state.busy = false;
        progressBar.value = progressBar.max;
        bind(progressText, 'rate.progress_done');
        showNotice('info', 'rate.done', null, homeLink());
        return;
      }
      show(res.body);
    } catch (err) {
      if (err instanceof ApiError) err.where = 'next';
      failed(err, () => loadNext());
    } finally {
      stage.removeAttribute('aria-busy');
    }
  }

  async function vote(choice) {
    const a = state.assignment;
    if (!a || state.busy || state.gold || !(a.outcomes || ORDER).includes(choice)) return;
    const body = {
      choice,
      elapsed_ms: Math.max(0, Math.round(performance.now() - state.shownAt)),
      flags: { a: boxesOf('left'), b: boxesOf('right') },
    };
    if (els.rationale) {
      const text = els.rationale.value.trim();
      if (a.rationale === 'required' && !text) {
        showNotice('warn', 'rate.rationale_missing');
        els.rationale.setAttribute('aria-invalid', 'true');
        els.rationale.focus();
        return;
      }
      if (text) body.rationale = text;
    }
    send(a, body, choice);
  }

  async function send(a, body, choice) {
    state.busy = true;
    setButtonsDisabled(true);
    const pressed = els && els.buttons.find((b) => b.dataset.choice === choice);
    if (pressed) pressed.classList.add('pressed');
    try {
      const res = await post(`/assignments/${encodeURIComponent(a.id)}/vote`, body);
      if (signal.aborted) return;
      clearNotice();
      if (res.body && res.body.gold) {
        showGold(choice, res.body.gold);
        return;
      }
      ctx.announce('rate.saved');
      await loadNext();
    } catch (err) {
      if (pressed) pressed.classList.remove('pressed');
      if (err instanceof ApiError) err.where = 'vote';
      failed(err, () => send(a, body, choice));
    }
  }

  function showGold(choice, gold) {
    state.gold = true;
    state.busy = false;
    const cont = button('rate.continue', () => {
      state.gold = false;
      loadNext();
    }, true);
    const box = h('div', { class: 'notice notice-warn gold', role: 'alert', dataset: { kind: 'gold' } },
      h('h2', { t: 'rate.gold_title' }),
      h('p', { t: ['rate.gold_expected', { expected: label('outcome', gold.expected), chosen: label('outcome', choice) }] }),
      gold.reason ? h('p', null, h('strong', { t: 'rate.gold_reason' }), ' ', h('span', { class: 'gold-reason' }, gold.reason)) : null,
      h('div', { class: 'actions' }, cont));
    replace(notice, box);
    cont.focus();
  }

  async function skip() {
    const a = state.assignment;
    if (!a || state.busy || state.gold) return;
    state.busy = true;
    setButtonsDisabled(true);
    try {
      await post(`/assignments/${encodeURIComponent(a.id)}/skip`, {});
      if (signal.aborted) return;
      ctx.announce('rate.skipped');
      await loadNext();
    } catch (err) {
      if (err instanceof ApiError) err.where = 'vote';
      failed(err, () => skip());
    }
  }

  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat || typingIn(ev.target)) return;
    const key = ev.key.toLowerCase();
    if (key === 'g') {
      guide.open = !guide.open;
      ev.preventDefault();
      return;
    }
    if (state.gold && key === 'enter' && ev.target === document.body) {
      ev.preventDefault();
      state.gold = false;
      loadNext();
      return;
    }
    if (KEYS[key]) {
      ev.preventDefault();
      vote(KEYS[key]);
    } else if (key === 's') {
      ev.preventDefault();
      skip();
    }
  }, { signal });

  async function begin() {
    try {
      await loadProject();
    } catch (err) {
      if (err instanceof ApiError) err.where = 'project';
      failed(err, begin);
      return;
    }
    await loadNext();
  }
  await begin();
}
