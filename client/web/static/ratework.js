// ratework.js - the parts of rater work beyond the choice (issue 14), for the rating page:
// the conversation so far as a chat transcript (the system prompt collapsed), the strength of
// the preference (Shift+1 / Shift+2: "much better"), scores per answer on the project's
// criteria, the rewrite box (prefilled with an answer), flags on a selected passage, sensitive
// content blurred behind a warning until revealed, and the models revealed after the vote.
// rate.js calls workParts(a) once per comparison and asks it for the vote's extra fields.
import { h } from './dom.js';
import { getLang } from './i18n.js';
import { answerBody } from './rate.js';

const STRENGTHS = [1, 2, 3];

/** A criterion's name in the page's language (its labels), else its name. */
export function criterionLabel(c) {
  const labels = c.labels || {};
  const lang = getLang() === 'zh-CN' ? 'zh' : 'en';
  return labels[lang] || labels[getLang()] || labels.en || c.name.replace(/_/g, ' ');
}

/** The turns before the last user turn (shown as the prompt), as a transcript; null without. */
function transcript(messages) {
  if (!messages || messages.length < 2) return null;
  const turns = messages.slice(0, -1).map((m) => {
    const body = h('div', { class: 'md turn-body' }, answerBody(m.html));
    if (m.role === 'system') {
      return h('details', { class: 'turn turn-system', dataset: { role: 'system' } },
        h('summary', { t: 'work.system' }), body);
    }
    return h('div', { class: `turn turn-${m.role}`, dataset: { role: m.role } },
      h('div', { class: 'turn-role', t: `work.role_${m.role}` }), body);
  });
  return h('section', { class: 'transcript card', 'aria-labelledby': 'transcript-h' },
    h('h2', { id: 'transcript-h', t: 'work.transcript' }), turns);
}

/** Hides el's text behind a content warning until the rater reveals it. */
function blur(el) {
  el.classList.add('sensitive');
  const reveal = h('button', { type: 'button', class: 'btn reveal-sensitive', t: 'work.reveal_sensitive' });
  const cover = h('div', { class: 'sensitive-cover', role: 'note' },
    h('p', { t: 'work.sensitive_warning' }), reveal);
  reveal.addEventListener('click', () => {
    el.classList.remove('sensitive');
    cover.remove();
  });
  el.prepend(cover);
}

/**
 * The extra parts of assignment a. answers: the two answer sections (left, right). Returns
 * { before, after, sideExtras(side), collect(choice, strength), quoteOf(side) }.
 */
export function workParts(a, answers) {
  const before = transcript(a.messages);
  const after = [];
  let strengthBox = null;
  if (a.strength) {
    strengthBox = h('fieldset', { class: 'strength', dataset: { part: 'strength' } },
      h('legend', { t: 'work.strength' }),
      STRENGTHS.map((k) => h('label', { class: 'strength-choice' },
        h('input', { type: 'radio', name: 'strength', value: String(k), dataset: { strength: k } }),
        ' ', h('span', { t: `work.strength_${k}` }))),
      h('p', { class: 'hint', t: 'work.strength_keys' }));
    after.push(strengthBox);
  }
  const scoreInputs = [];
  for (const [i, side] of [[0, 'a'], [1, 'b']]) {
    if (!a.criteria || !a.criteria.length) break;
    const rows = a.criteria.map((c) => {
      const sel = h('select', { dataset: { criterion: c.name, side }, 'aria-required': c.required ? 'true' : null },
        h('option', { value: '', t: 'work.score_none' }),
        Array.from({ length: c.scale }, (_, n) => h('option', { value: String(n + 1) }, String(n + 1))));
      scoreInputs.push(sel);
      return h('label', { class: 'score' }, h('span', null, criterionLabel(c), c.required ? ' *' : ''), ' ', sel,
        h('span', { class: 'muted' }, ` / ${c.scale}`));
    });
    answers[i].append(h('fieldset', { class: 'scores', dataset: { side } },
      h('legend', { t: side === 'a' ? 'work.scores_a' : 'work.scores_b' }), rows));
  }
  let rewrite = null;
  if (a.rewrite && a.rewrite !== 'off') {
    rewrite = h('textarea', { id: 'rewrite', name: 'rewrite', rows: 6, maxlength: 200000 });
    rewrite.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') rewrite.blur();
    });
    const from = (side) => h('button', { type: 'button', class: 'btn btn-quiet', dataset: { rewriteFrom: side },
      t: side === 'left' ? 'work.rewrite_from_a' : 'work.rewrite_from_b',
      onclick: () => { rewrite.value = a[side].text; rewrite.focus(); } });
    after.push(h('details', { class: 'field rewrite card', dataset: { part: 'rewrite' } },
      h('summary', { t: a.rewrite === 'required_when_both_bad' ? 'work.rewrite_required' : 'work.rewrite' }),
      h('p', { class: 'hint', t: 'work.rewrite_hint' }),
      h('div', { class: 'actions' }, from('left'), from('right')),
      h('label', { for: 'rewrite', class: 'sr-only', t: 'work.rewrite' }), rewrite));
  }
  if (a.sensitive) for (const el of answers) blur(el.querySelector('.answer-body'));
  // A flag checked while a passage of that answer is selected carries the passage.
  for (const [i, side] of [[0, 'left'], [1, 'right']]) {
    answers[i].addEventListener('change', (ev) => {
      const box = ev.target;
      if (!box.dataset || !box.dataset.flag) return;
      const quote = box.checked ? quoteOf(side) : '';
      if (quote) box.dataset.quote = quote;
      else delete box.dataset.quote;
      const shown = box.parentElement.querySelector('.flag-quote');
      if (shown) shown.remove();
      if (quote) box.parentElement.append(h('q', { class: 'flag-quote' }, quote));
    });
  }

  /** The passage selected inside this side's answer, if any. */
  function quoteOf(side) {
    const sel = window.getSelection && window.getSelection();
    const body = answers[side === 'left' ? 0 : 1].querySelector('.answer-body');
    if (!sel || sel.isCollapsed || !body.contains(sel.anchorNode) || !body.contains(sel.focusNode)) return '';
    return sel.toString().trim().slice(0, 2000);
  }

  /** The vote's extra fields, or { error: key } with the field to focus. */
  function collect(choice, strength) {
    const body = {};
    const checked = strengthBox && strengthBox.querySelector('input:checked');
    const k = strength || (checked ? Number(checked.value) : 0);
    if (k && (choice === 'a' || choice === 'b')) body.strength = k;
    if (scoreInputs.length) {
      const scores = { a: {}, b: {} };
      for (const sel of scoreInputs) {
        if (sel.value) scores[sel.dataset.side][sel.dataset.criterion] = Number(sel.value);
        else if (sel.getAttribute('aria-required')) return { error: 'work.scores_missing', focus: sel };
      }
      body.scores = scores;
    }
    if (rewrite) {
      const text = rewrite.value.trim();
      const changed = text && text !== a.left.text.trim() && text !== a.right.text.trim();
      if (changed) body.rewrite = text;
      else if (a.rewrite === 'required_when_both_bad' && choice === 'both_bad') {
        rewrite.closest('details').open = true;
        return { error: 'work.rewrite_missing', focus: rewrite };
      }
    }
    return { body };
  }

  /** One side's checked flags: names, or {flag, quote} for those with a passage. */
  function flagsOf(side) {
    const boxes = answers[side === 'left' ? 0 : 1].querySelectorAll('input[data-flag]:checked');
    return [...boxes].map((b) => (b.dataset.quote ? { flag: b.value, quote: b.dataset.quote } : b.value));
  }

  return { before, after, collect, flagsOf };
}

/** The models of the comparison just voted on (a project with "reveal"). */
export function revealBox(models, cont) {
  return h('div', { class: 'notice notice-info reveal', role: 'status', dataset: { kind: 'reveal' } },
    h('h2', { t: 'work.reveal_title' }),
    h('p', null, h('span', { t: 'rate.answer_a' }), ': ', h('strong', { class: 'model-a' }, models.a)),
    h('p', null, h('span', { t: 'rate.answer_b' }), ': ', h('strong', { class: 'model-b' }, models.b)),
    h('div', { class: 'actions' }, cont));
}

