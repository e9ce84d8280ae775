// rate.js - the rating page /rate/{slug}: the prompt, the two anonymous answers side by side, the
// project's choices (keys 1-4, s to skip), flags per answer, the rationale, the guidelines, and
// progress. The time from showing a comparison to the vote is sent as elapsed_ms. Every failure
// (nothing left, session or assignment expired, server away) ends in a message that says what
// happened and what to do (the notice, the stage and the answers every work page gives a failure
// are workpage.js's, shared with the review page; the answers' rendering is answer.js's).
//
// The rater's work is kept safe: the lease is renewed while the rater is at the page (and the time
// left shown when it gets short), flags and rationale are kept as a draft (drafts.js) until the
// vote is sent, and the last vote can be undone (key U) for a short while, which brings that
// comparison back. Each answer has an "as written" view (the exact text, monospace); maths is
// rendered by maths.js. On a narrow screen one answer shows at a time, switched with A/B.
import { answerContent, promptBody } from './answer.js';
import { ApiError, get, post } from './api.js';
import { h, replace } from './dom.js';
import { digest, draftKey, dropDraft, loadDraft, saveDraft } from './drafts.js';
import { bind, fmtDate, label } from './i18n.js';
import { shortcuts } from './keys.js';
import { revealBox, workParts } from './ratework.js';
import { button, guidelinesPanel, homeLink, workArea, workKey } from './workpage.js';

const ORDER = ['a', 'b', 'tie', 'both_bad'];
const KEYS = { 1: 'a', 2: 'b', 3: 'tie', 4: 'both_bad' };
const SIDES = [['left', 'a'], ['right', 'b']];

/**
 * On a narrow screen only one of the two answers shows; this control (and keys A/B) picks which.
 * answers: the .answers element. Returns {el, show(side)}.
 */
export function answerSwitch(answers) {
  const btns = SIDES.map(([side, key]) => h('button', { type: 'button', class: 'btn ab-button', dataset: { show: side },
    'aria-pressed': side === 'left' ? 'true' : 'false', 'aria-keyshortcuts': key,
    onclick: () => showSide(side) }, h('span', { t: 'rate.show_answer' }), ' ', key.toUpperCase()));
  const el = h('div', { class: 'ab-switch', role: 'group', tAttrs: { 'aria-label': 'rate.switch_label' } }, btns);
  function showSide(side) {
    answers.dataset.show = side;
    for (const b of btns) b.setAttribute('aria-pressed', b.dataset.show === side ? 'true' : 'false');
    const target = answers.querySelector(`[data-side="${side}"]`);
    if (target) {
      const top = target.getBoundingClientRect().top;
      if (top < 0 || top > window.innerHeight * 0.6) target.scrollIntoView({ block: 'start' });
    }
  }
  answers.dataset.show = 'left';
  return { el, show: showSide };
}

const RATE_KEYS = [
  { keys: ['1'], t: 'keys.rate.a' }, { keys: ['2'], t: 'keys.rate.b' }, { keys: ['3'], t: 'keys.rate.tie' },
  { keys: ['4'], t: 'keys.rate.both_bad' }, { keys: ['S'], t: 'keys.rate.skip' }, { keys: ['U'], t: 'keys.rate.undo' },
  { keys: ['W'], t: 'keys.rate.written' }, { keys: ['A', 'B'], t: 'keys.rate.switch' },
  { keys: ['G'], t: 'keys.guidelines' }, { keys: ['Esc'], t: 'keys.esc' }, { keys: ['?'], t: 'keys.help' },
];

// The lease: renewed when this share of it is left (at least 5 s, at most 60 s before it ends),
// only while the rater did something (key, pointer, scroll) within the last IDLE_MS; the time
// left is shown when under WARN_S (or half the lease, if shorter).
const RENEW_SHARE = 0.25;
const IDLE_MS = 10 * 60 * 1000;
const WARN_S = 60;
const UNDO_SHOWN_MS = 120 * 1000; // the server's default PREFD_UNDO_SECONDS; it answers 409 when later

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
    deadline: 0, // Date.now() value when the lease of the assignment on screen ends
    lease: 0, // its length in seconds
    renewing: false,
    renewAfter: 0, // no renewal attempt before this Date.now() (after a failure)
    activeAt: Date.now(), // the rater's last key, pointer or scroll
    lastVote: null, // {id, key, draft, at}: the vote that U undoes
  };
  const userId = (ctx.user && ctx.user.id) || 'me';

  ctx.setTitle('rate.title');
  const title = h('h1', { class: 'rate-title', t: 'rate.title' });
  const progressBar = h('progress', { class: 'progress', max: 1, value: 0, 'aria-labelledby': 'rate-progress-text' });
  const progressText = h('span', { id: 'rate-progress-text', class: 'progress-text' });
  const guidelines = guidelinesPanel(slug);
  const area = workArea(ctx);
  const { notice, stage, clearNotice, showNotice } = area;
  const help = shortcuts(signal, RATE_KEYS);
  const timeLeft = h('span', { class: 'time-left', role: 'timer', hidden: true });
  const undoBtn = h('button', { type: 'button', class: 'btn btn-small undo-button', hidden: true, 'aria-keyshortcuts': 'u',
    onclick: () => undo() }, h('span', { t: 'rate.undo' }), h('kbd', null, 'U'));
  const progressWrap = h('div', { class: 'progress-wrap' }, progressBar, progressText, timeLeft, undoBtn, help.button);
  replace(main, h('div', { class: 'rate-page', dataset: { slug } },
    h('div', { class: 'rate-head' }, title, progressWrap),
    guidelines.el, notice, stage));

  // --- messages ---

  /** Maps a failed call to a message; 401 goes back to the login form. */
  function failed(err, again) {
    state.busy = false;
    // a failed vote was not saved; a failed "next" loses nothing
    if (area.failed(err, err.where === 'vote' ? 'rate.unavailable' : 'rate.unavailable_next', again)) return;
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
        .catch((e) => area.showError(e));
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
      // no project to rate: no progress or guidelines to show above the message
      progressWrap.hidden = true;
      guidelines.el.hidden = true;
      showNotice('error', 'rate.no_project', { slug }, homeLink());
      return;
    }
    if (err.status === 404) {
      showNotice('warn', 'rate.not_yours');
      loadNext(true);
      return;
    }
    area.showError(err);
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
    state.deadline = 0;
    els = null;
    timeLeft.hidden = true;
    area.clearStage();
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
    const key0 = draftKey(userId, slug, a);
    const draft = loadDraft(key0);
    const contents = [];
    const answers = SIDES.map(([side, key]) => {
      const id = `answer-${side}`;
      const kept = (draft && draft.flags && draft.flags[digest(a[side].text || '')]) || [];
      const boxes = (a.flags || []).map((f) => {
        const box = h('input', { type: 'checkbox', value: f, checked: kept.includes(f), dataset: { flag: f, side } });
        box.addEventListener('change', keepDraft);
        return h('label', { class: 'flag' }, box, ' ', h('span', { t: ['rate.flag', { flag: label('flag', f) }] }));
      });
      const content = answerContent(a[side], 'answer-body', key.toUpperCase());
      contents.push(content);
      return h('section', { class: 'answer card', dataset: { side }, 'aria-labelledby': `${id}-h` },
        h('h2', { id: `${id}-h`, class: 'answer-head' },
          h('span', { t: key === 'a' ? 'rate.answer_a' : 'rate.answer_b' }),
          h('span', { class: 'answer-tools' }, content.toggle, h('kbd', { class: 'side-key' }, key === 'a' ? '1' : '2'))),
        content.body,
        boxes.length ? h('fieldset', { class: 'flags' },
          h('legend', { t: key === 'a' ? 'rate.flags_a' : 'rate.flags_b' }), boxes) : null);
    });
    const answersEl = h('div', { class: 'answers' }, answers);
    const switcher = answerSwitch(answersEl);
    const work = workParts(a, answers);
    let rationale = null;
    let rationaleBox = null;
    if (a.rationale !== 'off') {
      const required = a.rationale === 'required';
      rationale = h('textarea', { id: 'rationale', name: 'rationale', rows: 3, maxlength: 20000,
        required, 'aria-required': required ? 'true' : null, 'aria-describedby': 'rationale-hint' });
      rationale.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape') rationale.blur();
      });
      rationale.addEventListener('input', keepDraft);
      if (draft && draft.rationale) rationale.value = draft.rationale;
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
      work.before,
      h('section', { class: 'prompt card' },
        h('h2', { id: 'prompt-h', t: 'rate.prompt' }),
        promptBody(a.prompt)),
      switcher.el,
      answersEl,
      work.after,
      rationaleBox,
      h('div', { class: 'choices', role: 'group', tAttrs: { 'aria-label': 'rate.choices' } },
        buttons, skipBtn),
      h('p', { class: 'hint keys-hint', t: 'rate.keys' }));
    els = { buttons: [...buttons, skipBtn], rationale, comparison, contents, switcher, draftKey: key0, work };
    area.setButtons(els.buttons);
    replace(stage, comparison);
    state.shownAt = performance.now();
    state.busy = false;
    setLease(a.expires_at, a.lease_seconds);
    if (draft && (draft.rationale || Object.values(draft.flags || {}).some((f) => f.length))) {
      showNotice('info', 'rate.draft_restored');
    }
    const top = comparison.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight) comparison.scrollIntoView({ block: 'start' });
    comparison.focus({ preventScroll: true });
  }

  function boxesOf(side) {
    return [...stage.querySelectorAll(`input[data-side="${side}"]:checked`)].map((b) => b.value);
  }

  // --- the draft of the comparison on screen ---

  function currentDraft() {
    const a = state.assignment;
    const flags = {};
    for (const [side] of SIDES) flags[digest(a[side].text || '')] = boxesOf(side);
    return { rationale: els.rationale ? els.rationale.value : '', flags };
  }

  function keepDraft() {
    if (state.assignment && els) saveDraft(els.draftKey, currentDraft());
  }

  // --- the lease ---

  function setLease(expiresAt, seconds) {
    const end = Date.parse(expiresAt || '');
    state.deadline = Number.isNaN(end) ? 0 : end;
    state.lease = seconds || (state.project && state.project.lease_seconds) ||
      Math.max(1, Math.round((state.deadline - Date.now()) / 1000));
    state.renewAfter = 0;
    tick();
  }

  async function renew() {
    const a = state.assignment;
    state.renewing = true;
    try {
      const { body } = await post(`/assignments/${encodeURIComponent(a.id)}/renew`, {});
      if (signal.aborted || state.assignment !== a) return;
      setLease(body.expires_at, body.lease_seconds);
    } catch (err) {
      if (signal.aborted || state.assignment !== a) return;
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) {
        ctx.sessionExpired(); // the draft is kept; the comparison comes back after logging in
      } else if (err.status === 410) {
        clearStage();
        showNotice('warn', 'rate.lease_lost');
        loadNext(true);
      } else {
        state.renewAfter = Date.now() + 5000; // try again soon; a vote may still count
      }
    } finally {
      state.renewing = false;
    }
  }

  function tick() {
    if (!state.assignment || !state.deadline) {
      timeLeft.hidden = true;
      return;
    }
    const now = Date.now();
    const left = state.deadline - now;
    const ahead = Math.min(60, Math.max(5, state.lease * RENEW_SHARE)) * 1000;
    if (left <= ahead && !state.renewing && now >= state.renewAfter && !state.gold &&
        now - state.activeAt < Math.max(IDLE_MS, state.lease * 1000)) {
      renew();
    }
    const warn = Math.min(WARN_S, state.lease / 2) * 1000;
    if (left <= warn) {
      const seconds = Math.max(0, Math.ceil(left / 1000));
      if (seconds > 0) bind(timeLeft, 'rate.time_left', { seconds });
      else bind(timeLeft, 'rate.renew_failed');
      timeLeft.hidden = false;
    } else {
      timeLeft.hidden = true;
    }
    if (state.lastVote && now - state.lastVote.at > UNDO_SHOWN_MS) forgetVote();
  }

  const timer = setInterval(tick, 1000);
  signal.addEventListener('abort', () => clearInterval(timer));
  for (const type of ['keydown', 'pointerdown', 'scroll', 'input']) {
    window.addEventListener(type, () => { state.activeAt = Date.now(); }, { signal, passive: true, capture: true });
  }

  // --- undo ---

  function forgetVote() {
    state.lastVote = null;
    undoBtn.hidden = true;
  }

  async function undo() {
    const last = state.lastVote;
    if (!last || state.busy) return;
    state.busy = true;
    area.setDisabled(true);
    try {
      const { body } = await post(`/votes/${encodeURIComponent(last.id)}/undo`, {});
      if (signal.aborted) return;
      forgetVote();
      saveDraft(last.key, last.draft); // the flags and rationale come back with the comparison
      if (!body || !body.assignment) {
        await loadNext(true);
        showNotice('info', 'rate.undone');
        return;
      }
      show(body.assignment);
      showNotice('info', 'rate.undone');
      ctx.announce('rate.undone');
    } catch (err) {
      state.busy = false;
      area.setDisabled(false);
      if (err instanceof ApiError && err.status === 409) {
        forgetVote();
        showNotice('warn', err.code === 'already_undone' ? 'rate.already_undone' : 'rate.undo_expired');
        return;
      }
      if (err instanceof ApiError && err.status === 401) {
        ctx.sessionExpired();
        return;
      }
      if (!(err instanceof ApiError)) throw err;
      area.showError(err);
    }
  }

  async function loadNext(keepNotice) {
    state.busy = true;
    if (!keepNotice) clearNotice();
    area.setDisabled(true);
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

  async function vote(choice, strength) {
    const a = state.assignment;
    if (!a || state.busy || state.gold || !(a.outcomes || ORDER).includes(choice)) return;
    const body = {
      choice,
      elapsed_ms: Math.max(0, Math.round(performance.now() - state.shownAt)),
      flags: { a: els.work.flagsOf('left'), b: els.work.flagsOf('right') },
    };
    const extra = els.work.collect(choice, strength);
    if (extra.error) {
      showNotice('warn', extra.error);
      extra.focus.focus();
      return;
    }
    Object.assign(body, extra.body);
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
    area.setDisabled(true);
    const pressed = els && els.buttons.find((b) => b.dataset.choice === choice);
    if (pressed) pressed.classList.add('pressed');
    try {
      const draft = currentDraft();
      const res = await post(`/assignments/${encodeURIComponent(a.id)}/vote`, body);
      if (signal.aborted) return;
      dropDraft(els.draftKey);
      if (res.body && res.body.vote_id !== undefined) {
        state.lastVote = { id: res.body.vote_id, key: els.draftKey, draft, at: Date.now() };
        undoBtn.hidden = false;
      }
      clearNotice();
      if (res.body && res.body.gold) {
        showGold(choice, res.body.gold);
        return;
      }
      if (res.body && res.body.models) {
        showReveal(res.body.models);
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

  /** The models just compared, before the next comparison (a project with "reveal"). */
  function showReveal(models) {
    state.gold = true; // like the control feedback: Enter or the button goes on
    state.busy = false;
    const cont = button('rate.continue', () => {
      state.gold = false;
      loadNext();
    }, true);
    replace(notice, revealBox(models, cont));
    cont.focus();
  }

  async function skip() {
    const a = state.assignment;
    if (!a || state.busy || state.gold) return;
    state.busy = true;
    area.setDisabled(true);
    try {
      await post(`/assignments/${encodeURIComponent(a.id)}/skip`, {});
      if (signal.aborted) return;
      if (els) dropDraft(els.draftKey);
      ctx.announce('rate.skipped');
      await loadNext();
    } catch (err) {
      if (err instanceof ApiError) err.where = 'vote';
      failed(err, () => skip());
    }
  }

  document.addEventListener('keydown', (ev) => {
    const key = workKey(ev, guidelines, els && els.contents);
    if (!key) return;
    if (state.gold && key === 'enter' && ev.target === document.body) {
      ev.preventDefault();
      state.gold = false;
      loadNext();
      return;
    }
    if (ev.shiftKey && (ev.code === 'Digit1' || ev.code === 'Digit2')) {
      ev.preventDefault(); // "much better"
      vote(ev.code === 'Digit1' ? 'a' : 'b', 3);
    } else if (KEYS[key]) {
      ev.preventDefault();
      vote(KEYS[key]);
    } else if (key === 's') {
      ev.preventDefault();
      skip();
    } else if (key === 'u') {
      ev.preventDefault();
      undo();
    } else if ((key === 'a' || key === 'b') && els) {
      ev.preventDefault();
      els.switcher.show(key === 'a' ? 'left' : 'right');
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
