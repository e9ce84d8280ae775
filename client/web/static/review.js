// review.js - the review page /review/{slug} for the project's reviewers (and admins): another
// rater's vote as that rater saw it (the prompt, the two anonymous answers, their choice, flags and
// rationale), judged with Agree or Disagree (keys Y and N) and an optional comment; then the next
// one, until nothing is left. Model names and raters are never shown (the API sends neither).
// The rater's choice and rationale come first, above the (often long) answers; each answer has
// the rating page's "as written" view and maths, and `?` lists the keys.
import { answerContent, promptBody } from './answer.js';
import { get, post } from './api.js';
import { diffView } from './diff.js';
import { h, replace } from './dom.js';
import { bind, label } from './i18n.js';
import { shortcuts } from './keys.js';
import { transcript } from './ratework.js';
import { reviewFilterForm, reviewQuery } from './reviewfilter.js';
import { guidelinesPanel, homeLink, workArea, workKey } from './workpage.js';

const REVIEW_KEYS = [
  { keys: ['Y'], t: 'keys.review.agree' }, { keys: ['N'], t: 'keys.review.disagree' },
  { keys: ['W'], t: 'keys.rate.written' }, { keys: ['G'], t: 'keys.guidelines' },
  { keys: ['Esc'], t: 'keys.esc' }, { keys: ['?'], t: 'keys.help' },
];

const VERDICTS = [['agree', 'y'], ['disagree', 'n']];
const SIDES = [['left', 'a'], ['right', 'b']];

/** Strength, scores and the rewrite (as a difference against the answer it improved). */
function workOfVote(v) {
  const parts = [];
  if (v.strength) parts.push(h('p', { class: 'review-strength' }, h('strong', { t: `work.strength_${v.strength}` })));
  if (v.scores) {
    for (const side of ['a', 'b']) {
      const s = v.scores[side] || {};
      const names = Object.keys(s);
      if (names.length) {
        parts.push(h('p', { class: 'review-scores', dataset: { side } }, h('span', { t: side === 'a' ? 'work.scores_a' : 'work.scores_b' }), ': ',
          names.map((k) => `${k.replace(/_/g, ' ')} ${s[k]}`).join(' · ')));
      }
    }
  }
  if (v.rewrite) {
    const original = v.choice === 'b' ? v.right.text : v.left.text;
    parts.push(h('p', { t: 'work.rewrite_diff' }), diffView(original, v.rewrite));
  }
  return parts.length ? h('div', { class: 'review-work' }, parts) : null;
}

export async function render(main, ctx) {
  const slug = ctx.params[0];
  const path = encodeURIComponent(slug);
  const { signal } = ctx;
  const state = {
    vote: null, // the vote on screen
    busy: false, // a request is under way: keys and buttons do nothing
  };
  let els = null; // the controls of the vote on screen

  ctx.setTitle('review.title');
  const title = h('h1', { class: 'rate-title', t: 'review.title' });
  const count = h('span', { class: 'progress-text' });
  const guidelines = guidelinesPanel(slug);
  const area = workArea(ctx);
  const { notice, stage, showNotice } = area;
  const help = shortcuts(signal, REVIEW_KEYS);
  replace(main, h('div', { class: 'review-page', dataset: { slug } },
    h('div', { class: 'rate-head' }, title, h('div', { class: 'progress-wrap' }, count, help.button)),
    h('p', { class: 'muted', t: 'review.intro' }), reviewFilterForm(),
    guidelines.el, notice, stage));

  function clearStage() {
    state.vote = null;
    els = null;
    area.clearStage();
  }

  // --- messages ---

  /** Maps a failed call to a message; 401 goes back to the login form. */
  function failed(err, where, again) {
    state.busy = false;
    if (area.failed(err, where === 'review' ? 'review.unavailable' : 'rate.unavailable_next', again)) return;
    if (err.status === 403) {
      clearStage();
      showNotice('error', 'review.not_reviewer', { slug }, homeLink());
      return;
    }
    if (err.status === 404 && where !== 'review') {
      clearStage();
      showNotice('error', 'rate.no_project', { slug }, homeLink());
      return;
    }
    if (err.status === 409 || err.status === 404) {
      // reviewed meanwhile (another tab), or the vote is gone: on to the next one
      showNotice('warn', err.status === 409 ? 'review.conflict' : 'review.gone');
      loadNext(true);
      return;
    }
    area.showError(err);
  }

  // --- the vote under review ---

  function flagList(flags) {
    if (!flags || !flags.length) return null;
    return h('p', { class: 'flag-list' },
      h('span', { class: 'muted', t: 'review.flagged' }),
      flags.map((f) => h('span', { class: 'badge badge-warn', dataset: { flag: f }, t: ['rate.flag', { flag: label('flag', f) }] })));
  }

  function show(v) {
    state.vote = v;
    bind(count, 'review.count', { n: v.reviews });
    const contents = [];
    const answers = SIDES.map(([side, key]) => {
      const chosen = v.choice === key;
      const content = answerContent(v[side], 'answer-body', key.toUpperCase());
      contents.push(content);
      return h('section', { class: `answer card${chosen ? ' chosen' : ''}`, dataset: { side }, 'aria-labelledby': `answer-${side}-h` },
        h('h2', { id: `answer-${side}-h`, class: 'answer-head' },
          h('span', { t: key === 'a' ? 'rate.answer_a' : 'rate.answer_b' }),
          h('span', { class: 'answer-tools' }, content.toggle,
            chosen ? h('span', { class: 'badge badge-chosen', t: 'review.chosen' }) : null)),
        content.body,
        flagList(v.flags && v.flags[key]));
    });
    const comment = h('textarea', { id: 'review-comment', name: 'comment', rows: 3, maxlength: 5000,
      'aria-describedby': 'review-comment-hint' });
    comment.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') comment.blur();
    });
    const buttons = VERDICTS.map(([verdict, key]) => h('button', {
      type: 'button', class: `btn choice verdict-${verdict}`, dataset: { verdict },
      'aria-keyshortcuts': key, onclick: () => send(verdict),
    }, h('span', { t: `review.${verdict}` }), h('kbd', null, key.toUpperCase())));
    const rationale = v.rationale && v.rationale.trim();
    const vote = h('article', { class: 'comparison', tabindex: -1, 'aria-labelledby': 'prompt-h', dataset: { vote: v.vote_id } },
      transcript(v.messages),
      h('section', { class: 'prompt card' },
        h('h2', { id: 'prompt-h', t: 'rate.prompt' }),
        promptBody(v.prompt)),
      h('section', { class: 'card review-vote', 'aria-labelledby': 'review-vote-h' },
        h('h2', { id: 'review-vote-h', t: 'review.their_vote' }),
        h('p', { class: 'review-choice' }, h('span', { t: 'review.choice' }), ' ',
          h('strong', { class: 'choice-shown', dataset: { choice: v.choice }, t: `outcome.${v.choice}` })),
        h('p', { t: 'review.rationale' }),
        rationale
          ? h('blockquote', { class: 'rationale-text' }, v.rationale)
          : h('p', { class: 'muted', t: 'review.no_rationale' }),
        workOfVote(v),
        h('p', { class: 'hint', t: ['review.vote_id', { id: String(v.vote_id) }] })),
      h('div', { class: 'answers' }, answers),
      h('div', { class: 'field rationale' },
        h('label', { for: 'review-comment', t: 'review.comment' }),
        comment,
        h('p', { id: 'review-comment-hint', class: 'hint', t: 'rate.rationale_hint' })),
      h('div', { class: 'choices', role: 'group', tAttrs: { 'aria-label': 'review.verdict' } }, buttons),
      h('p', { class: 'hint keys-hint', t: 'review.keys' }));
    els = { buttons, comment, contents };
    area.setButtons(buttons);
    replace(stage, vote);
    state.busy = false;
    const top = vote.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight) vote.scrollIntoView({ block: 'start' });
    vote.focus({ preventScroll: true });
  }

  async function loadNext(keepNotice) {
    state.busy = true;
    if (!keepNotice) area.clearNotice();
    area.setDisabled(true);
    stage.setAttribute('aria-busy', 'true');
    try {
      const res = await get(`/projects/${path}/review/next`, reviewQuery());
      if (signal.aborted) return;
      if (res.status === 204) {
        clearStage();
        state.busy = false;
        bind(count, 'rate.progress_done');
        showNotice('info', 'review.done', null, homeLink());
        return;
      }
      show(res.body);
    } catch (err) {
      failed(err, 'next', () => loadNext());
    } finally {
      stage.removeAttribute('aria-busy');
    }
  }

  async function send(verdict) {
    const v = state.vote;
    if (!v || state.busy) return;
    const body = { verdict };
    const text = els.comment.value.trim();
    if (text) body.comment = text;
    state.busy = true;
    area.setDisabled(true);
    const pressed = els.buttons.find((b) => b.dataset.verdict === verdict);
    pressed.classList.add('pressed');
    try {
      await post(`/votes/${encodeURIComponent(v.vote_id)}/review`, body);
      if (signal.aborted) return;
      ctx.announce('review.saved');
      await loadNext();
    } catch (err) {
      pressed.classList.remove('pressed');
      failed(err, 'review', () => send(verdict));
    }
  }

  document.addEventListener('keydown', (ev) => {
    const key = workKey(ev, guidelines, els && els.contents);
    if (!key) return;
    const verdict = VERDICTS.find(([, k]) => k === key);
    if (verdict) {
      ev.preventDefault();
      send(verdict[0]);
    }
  }, { signal });

  async function begin() {
    try {
      const { body } = await get(`/projects/${path}`);
      bind(title, 'review.page_title', { title: body.title });
      ctx.setTitle('review.page_title', { title: body.title });
      guidelines.show(body);
    } catch (err) {
      failed(err, 'project', begin);
      return;
    }
    await loadNext();
  }
  await begin();
}
