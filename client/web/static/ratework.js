// ratework.js - the parts of rater work beyond the choice (issue 14), for the rating page:
// the conversation so far as a chat transcript (the system prompt collapsed), the strength of
// the preference (Shift+1 / Shift+2: "much better"), scores per answer on the project's
// criteria, the rewrite box (prefilled with an answer), flags on a selected passage, sensitive
// content blurred behind a warning until revealed, and the models revealed after the vote.
// rate.js calls workParts(a) once per comparison and asks it for the vote's extra fields.
import { answerBody } from './answer.js';
import { h } from './dom.js';
import { getLang } from './i18n.js';

const STRENGTHS = [1, 2, 3];

/** A criterion's name in the page's language (its labels), else its name. */
export function criterionLabel(c) {
  const labels = c.labels || {};
  const lang = getLang() === 'zh-CN' ? 'zh' : 'en';
  return labels[lang] || labels[getLang()] || labels.en || c.name.replace(/_/g, ' ');
}

/** The turns before the last user turn (shown as the prompt), as a transcript; null without. */
export function transcript(messages) {
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


/** The quality page's exposure table: sensitive comparisons per rater and day. */
export function exposureTable(items) {
  const rows = items.filter((x) => x.sensitive > 0);
  if (!rows.length) return h('p', { class: 'muted exposure-none', t: 'work.exposure_none' });
  return h('table', { class: 'exposure' },
    h('thead', null, h('tr', null, h('th', { t: 'work.rater' }), h('th', { t: 'work.exposure_day' }),
      h('th', { class: 'num', t: 'work.exposure_count' }))),
    h('tbody', null, rows.map((x) => h('tr', { dataset: { rater: x.rater, day: x.day } },
      h('td', null, x.rater), h('td', null, x.day),
      h('td', { class: 'num' }, `${x.sensitive} / ${x.comparisons}`)))));
}

/** The quoted passages of a flagged answer. */
export function quoteList(quotes) {
  if (!quotes || !quotes.length) return null;
  return h('ul', { class: 'flag-quotes' }, quotes.map((q) => h('li', { dataset: { flag: q.flag } },
    h('span', { class: 'badge badge-warn' }, q.flag.replace(/_/g, ' ')), ' ', h('q', null, q.quote))));
}

/** The leaderboard page's scores: a table per criterion (mean, interval, n per model). */
export function scoresTables(scores) {
  if (!scores || !scores.criteria || !scores.criteria.length) return null;
  const fmt = (x) => (x === null || x === undefined ? '–' : x.toFixed(2));
  return h('section', { class: 'card scores-card', 'aria-labelledby': 'scores-h' },
    h('h2', { id: 'scores-h', t: 'work.scores_title' }),
    scores.criteria.map((c) => h('div', { class: 'table-wrap', dataset: { criterion: c.name } },
      h('h3', null, criterionLabel(c), h('span', { class: 'muted' }, ` (1–${c.scale})`)),
      h('table', { class: 'scores-table' },
        h('thead', null, h('tr', null, h('th', { t: 'work.model' }), h('th', { class: 'num', t: 'work.score_mean' }),
          h('th', { t: 'work.score_ci' }), h('th', { class: 'num', t: 'work.score_n' }))),
        h('tbody', null, scores.models.filter((m) => m.scores[c.name])
          .sort((x, y) => y.scores[c.name].mean - x.scores[c.name].mean)
          .map((m) => {
            const s = m.scores[c.name];
            return h('tr', { dataset: { model: m.model } }, h('td', null, m.model), h('td', { class: 'num' }, fmt(s.mean)),
              h('td', null, s.ci ? `${fmt(s.ci[0])} – ${fmt(s.ci[1])}` : '–'), h('td', { class: 'num' }, String(s.n)));
          }))))));
}

/**
 * The admin editor's options of rater work for project p (null: a new project). values() gives
 * {strength, criteria, rewrite, reveal, explicit}, or null with the criteria box marked invalid.
 */
export function workOptions(p) {
  const o = p || {};
  const check = (name, on) => h('input', { type: 'checkbox', name, checked: !!on });
  const strength = check('strength', o.strength);
  const reveal = check('reveal', o.reveal);
  const explicit = check('explicit', o.explicit);
  const rewrite = h('select', { name: 'rewrite' },
    ['off', 'optional', 'required_when_both_bad'].map((v) => h('option', { value: v, t: `work.rewrite_${v}` })));
  rewrite.value = o.rewrite || 'off';
  const criteria = h('textarea', { name: 'criteria', rows: 3, class: 'mono', spellcheck: 'false' });
  criteria.value = o.criteria && o.criteria.length ? JSON.stringify(o.criteria) : '';
  const row = (input, key) => h('label', { class: 'check' }, input, ' ', h('span', { t: key }));
  const el = h('fieldset', { class: 'field work-options' }, h('legend', { t: 'work.options' }),
    row(strength, 'work.option_strength'), row(reveal, 'work.option_reveal'), row(explicit, 'work.option_explicit'),
    h('label', { class: 'field' }, h('span', { class: 'label', t: 'work.option_rewrite' }), rewrite),
    h('label', { class: 'field' }, h('span', { class: 'label', t: 'work.option_criteria' }), criteria));
  function values() {
    let list = [];
    criteria.removeAttribute('aria-invalid');
    if (criteria.value.trim()) {
      try {
        list = JSON.parse(criteria.value);
      } catch {
        list = null;
      }
      if (!Array.isArray(list)) {
        criteria.setAttribute('aria-invalid', 'true');
        criteria.focus();
        return null;
      }
    }
    return { strength: strength.checked, criteria: list, rewrite: rewrite.value, reveal: reveal.checked, explicit: explicit.checked };
  }
  return { el, values };
}
