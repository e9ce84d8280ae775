// quality.js - /quality/{slug} for admins and analysts: how each rater votes (time, ties, side,
// control pairs, agreement, estimated accuracy and reliability weight, reviews, skips, flags) with
// the server's warnings and their numbers, the agreement between raters (overall and per category),
// the exclusions from rankings, and the flagged responses (paged). Admins also exclude a rater or
// one vote, with a reason, and undo exclusions; analysts read.
import { ApiError, del, errorMessage, get, getAll, post } from './api.js';
import { dateText, h, newId, replace, safeHtml } from './dom.js';
import { fmtNumber, fmtPercent, has, label } from './i18n.js';
import { exposureTable, quoteList } from './ratework.js';

const FLAGS_PAGE = 20;
// The cell of the number each warning is about.
const WARNED_COLUMN = { fast: 'median', side_bias: 'left_rate', gold: 'gold' };

const seconds = (x) => (x === null || x === undefined ? '–' : { t: 'qc.seconds', vars: { n: fmtNumber(x, { maximumFractionDigits: 1 }) } });
const decimal = (x) => fmtNumber(x, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * A warning named in the page's language with its numbers (the server's English message is the
 * title); a warning this page does not know shows the server's code and message.
 */
function warningLine(w) {
  const attrs = { class: 'qc-warning', dataset: { warning: w.code }, title: w.message };
  if (!has(`qc.warn.${w.code}`)) {
    return h('li', attrs, h('span', { class: 'badge badge-warn' }, w.code), ' ', h('span', null, w.message));
  }
  const vars = w.code === 'fast'
    ? { value: fmtNumber(w.value, { maximumFractionDigits: 1 }), threshold: fmtNumber(w.threshold, { maximumFractionDigits: 1 }) }
    : { value: fmtPercent(w.value), threshold: fmtPercent(w.threshold) };
  return h('li', attrs, h('span', { class: 'badge badge-warn', t: `qc.warn.${w.code}` }), ' ',
    h('span', { t: [`qc.warn_detail.${w.code}`, vars] }));
}

/** A number cell: its text, or {t, vars} for a translated one. */
function cell(key, value, attrs) {
  const bound = typeof value === 'object';
  return h('td', { class: 'num', tAttrs: { 'data-label': `qc.col.${key}` }, dataset: { col: key },
    t: bound ? [value.t, value.vars] : null, ...attrs }, bound ? null : value);
}

export async function render(main, ctx) {
  const slug = ctx.params[0];
  const path = `/projects/${encodeURIComponent(slug)}`;
  const admin = ctx.user.role === 'admin';
  ctx.setTitle('qc.title');
  if (ctx.user.role === 'rater') {
    replace(main, h('h1', { t: 'qc.title' }), h('p', { class: 'notice notice-warn', role: 'alert', t: 'qc.staff_only' }));
    return;
  }

  let project;
  try {
    project = (await get(path)).body;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(main, h('h1', { t: 'qc.title' }), h('p', { class: 'notice notice-error', role: 'alert', t: ['rate.no_project', { slug }] }));
      return;
    }
    throw err;
  }
  ctx.setTitle('qc.page_title', { title: project.title });

  const msg = h('div', { class: 'qc-msg', 'aria-live': 'polite' });
  const thresholdsBox = h('p', { class: 'hint' });
  const ratersBox = h('div', { class: 'table-wrap' });
  const agreementBox = h('div');
  const exclusionsBox = h('div', { class: 'table-wrap' });
  const flaggedList = h('ol', { class: 'flagged-list' });
  const exposureBox = h('div', { class: 'table-wrap' });
  const flaggedMore = h('div', { class: 'actions' });
  const seg = encodeURIComponent(slug);
  replace(main, h('div', { class: 'qc-page', dataset: { slug } },
    h('div', { class: 'page-head' },
      h('h1', { t: ['qc.page_title', { title: project.title }] }),
      h('div', { class: 'actions' },
        h('a', { class: 'btn btn-quiet', href: `/leaderboard/${seg}`, t: 'home.leaderboard' }),
        admin ? h('a', { class: 'btn btn-quiet', href: `/admin#project=${seg}`, t: 'home.edit' }) : null)),
    h('p', { class: 'muted', t: admin ? 'qc.intro_admin' : 'qc.intro_analyst' }),
    msg,
    h('section', { class: 'card', 'aria-labelledby': 'qc-raters-h' },
      h('h2', { id: 'qc-raters-h', t: 'qc.raters' }), thresholdsBox, ratersBox,
      h('p', { class: 'hint', t: 'qc.weight_hint' })),
    h('section', { class: 'card', 'aria-labelledby': 'qc-agreement-h' },
      h('h2', { id: 'qc-agreement-h', t: 'qc.agreement' }), agreementBox,
      h('p', { class: 'hint', t: 'qc.agreement_hint' })),
    h('section', { class: 'card', 'aria-labelledby': 'qc-exclusions-h' },
      h('h2', { id: 'qc-exclusions-h', t: 'qc.exclusions' }),
      h('p', { class: 'hint', t: 'qc.exclusions_hint' }), exclusionsBox,
      admin ? voteForm() : null),
    h('section', { class: 'card', 'aria-labelledby': 'qc-exposure-h' },
      h('h2', { id: 'qc-exposure-h', t: 'work.exposure' }),
      h('p', { class: 'hint', t: 'work.exposure_hint' }), exposureBox),
    h('section', { class: 'card', 'aria-labelledby': 'qc-flagged-h' },
      h('h2', { id: 'qc-flagged-h', t: 'qc.flagged' }), flaggedList, flaggedMore)));

  function showError(err) {
    if (err instanceof ApiError && err.status === 401) {
      ctx.sessionExpired();
      return;
    }
    replace(msg, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
  }

  function done(key, vars) {
    replace(msg, h('p', { class: 'notice notice-ok', role: 'status', t: [key, vars] }));
  }

  // ================= raters =================

  function drawThresholds(th) {
    replace(thresholdsBox, h('span', { t: ['qc.thresholds', {
      min_seconds: fmtNumber(th.min_seconds, { maximumFractionDigits: 1 }), fast_min_votes: th.fast_min_votes,
      side_min_votes: th.side_min_votes, min_gold: fmtPercent(th.min_gold_accuracy), gold_min_seen: th.gold_min_seen,
    }] }));
  }

  /** The form that excludes rater r's votes, in a row of its own under theirs. */
  function excludeForm(r, row) {
    const id = newId('reason');
    const reason = h('input', { id, name: 'reason', required: true, maxlength: 2000, autocomplete: 'off' });
    const submit = h('button', { type: 'submit', class: 'btn btn-small btn-danger', t: 'qc.exclude' });
    const form = h('form', { class: 'inline exclude-form', novalidate: true },
      h('label', { for: id, t: ['qc.reason_for', { name: r.rater }] }), reason, submit,
      h('button', { type: 'button', class: 'btn btn-small btn-quiet', t: 'common.cancel', onclick: () => { formRow.remove(); } }));
    const formMsg = h('div', { class: 'form-msg', 'aria-live': 'polite' });
    const formRow = h('tr', { class: 'exclude-row', dataset: { excludeFor: r.rater } },
      h('td', { colspan: row.children.length }, form, formMsg));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!reason.value.trim()) {
        reason.setAttribute('aria-invalid', 'true');
        replace(formMsg, h('p', { class: 'notice notice-warn', role: 'alert', t: 'qc.reason_missing' }));
        reason.focus();
        return;
      }
      submit.disabled = true;
      try {
        await post(`${path}/exclusions`, { rater: r.rater, reason: reason.value.trim() });
        done('qc.rater_excluded', { name: r.rater });
        await reload();
      } catch (err) {
        submit.disabled = false;
        if (err instanceof ApiError && err.status === 401) ctx.sessionExpired();
        else replace(formMsg, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
      }
    });
    row.after(formRow);
    reason.focus();
  }

  function raterRow(r, standing) {
    const warned = {};
    for (const w of r.warnings) if (WARNED_COLUMN[w.code]) warned[WARNED_COLUMN[w.code]] = w.code;
    const mark = (col) => (warned[col] ? { class: 'num qc-warn', 'data-warn': warned[col] } : null);
    const row = h('tr', { dataset: { rater: r.rater, warnings: r.warnings.map((w) => w.code).join(' ') || null } },
      h('th', { scope: 'row' }, h('span', { class: 'mono cell-title' }, r.rater),
        r.warnings.length ? h('ul', { class: 'qc-warnings' }, r.warnings.map(warningLine)) : null),
      cell('votes', fmtNumber(r.votes)),
      cell('median', seconds(r.median_seconds), mark('median')),
      cell('tie_rate', fmtPercent(r.tie_rate)),
      cell('left_rate', fmtPercent(r.left_rate), mark('left_rate')),
      cell('gold', r.gold_seen ? { t: 'qc.gold_cell', vars: { acc: fmtPercent(r.gold_accuracy), seen: r.gold_seen } } : '–', mark('gold')),
      cell('agreement', fmtPercent(r.agreement)),
      cell('accuracy', fmtPercent(r.accuracy)),
      cell('weight', decimal(r.weight)),
      cell('reviews', `${fmtNumber(r.reviews.agree)} / ${fmtNumber(r.reviews.disagree)}`),
      cell('skips', fmtNumber(r.skips)),
      cell('flags', fmtNumber(r.flags)),
      h('td', { tAttrs: { 'data-label': 'qc.col.status' }, dataset: { col: 'status' } },
        h('span', { class: `badge ${r.excluded ? 'badge-closed' : 'badge-active'}`, t: r.excluded ? 'qc.excluded' : 'qc.counted' })));
    if (admin) {
      const actions = h('div', { class: 'actions' });
      if (!r.excluded) {
        actions.append(h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'exclude' }, t: 'qc.exclude_more',
          onclick: () => {
            const open = row.nextElementSibling;
            if (open && open.classList.contains('exclude-row')) open.querySelector('input').focus();
            else excludeForm(r, row);
          } }));
      } else if (standing) {
        actions.append(h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'include' }, t: 'qc.include',
          onclick: (ev) => undo(standing, ev.currentTarget, 'qc.rater_included', { name: r.rater }) }));
      }
      row.append(h('td', null, actions));
    }
    return row;
  }

  function drawRaters(raters, exclusions) {
    drawThresholds(raters.thresholds);
    if (!raters.items.length) {
      replace(ratersBox, h('p', { class: 'muted', t: 'qc.no_raters' }));
      return;
    }
    const standing = {};
    for (const e of exclusions) if (e.rater && !e.undone_at) standing[e.rater] = e;
    const cols = ['rater', 'votes', 'median', 'tie_rate', 'left_rate', 'gold', 'agreement', 'accuracy', 'weight',
      'reviews', 'skips', 'flags', 'status'];
    if (admin) cols.push('actions');
    replace(ratersBox, h('table', { class: 'data qc-raters' },
      h('caption', { class: 'sr-only', t: 'qc.raters' }),
      h('thead', null, h('tr', null, cols.map((k, i) => h('th', { scope: 'col', class: i && k !== 'status' && k !== 'actions' ? 'num' : null, t: `qc.col.${k}` })))),
      h('tbody', null, raters.items.map((r) => raterRow(r, standing[r.rater])))));
  }

  // ================= agreement =================

  function agreementCells(a) {
    return [
      h('td', { class: 'num', tAttrs: { 'data-label': 'qc.alpha' }, dataset: { col: 'alpha' } }, decimal(a.alpha)),
      h('td', { class: 'num', tAttrs: { 'data-label': 'qc.percent' }, dataset: { col: 'percent' } }, fmtPercent(a.percent)),
      h('td', { class: 'num', tAttrs: { 'data-label': 'qc.units' }, dataset: { col: 'units' } }, fmtNumber(a.units)),
    ];
  }

  function drawAgreement(a) {
    const cats = Object.keys(a.by_category || {}).sort();
    replace(agreementBox,
      h('dl', { class: 'qc-figures' },
        h('div', { dataset: { figure: 'alpha' } }, h('dt', { t: 'qc.alpha' }), h('dd', null, decimal(a.alpha))),
        h('div', { dataset: { figure: 'percent' } }, h('dt', { t: 'qc.percent' }), h('dd', null, fmtPercent(a.percent))),
        h('div', { dataset: { figure: 'units' } }, h('dt', { t: 'qc.units' }), h('dd', null, fmtNumber(a.units)))),
      a.alpha === null ? h('p', { class: 'muted', t: 'qc.no_agreement' }) : null,
      cats.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'data qc-categories' },
        h('caption', { t: 'qc.by_category' }),
        h('thead', null, h('tr', null, h('th', { scope: 'col', t: 'qc.col.category' }),
          ['qc.alpha', 'qc.percent', 'qc.units'].map((k) => h('th', { scope: 'col', class: 'num', t: k })))),
        h('tbody', null, cats.map((c) => h('tr', { dataset: { category: c } },
          h('th', { scope: 'row' }, c), agreementCells(a.by_category[c])))))) : null);
  }

  // ================= exclusions =================

  async function undo(e, button, okKey, vars) {
    button.disabled = true;
    try {
      await del(`${path}/exclusions/${encodeURIComponent(e.id)}`);
      done(okKey, vars);
      await reload();
    } catch (err) {
      button.disabled = false;
      showError(err);
    }
  }

  function drawExclusions(items) {
    if (!items.length) {
      replace(exclusionsBox, h('p', { class: 'muted', t: 'qc.no_exclusions' }));
      return;
    }
    const cols = ['what', 'reason', 'by', 'when', 'state'];
    if (admin) cols.push('actions');
    replace(exclusionsBox, h('table', { class: 'data qc-exclusions' },
      h('caption', { class: 'sr-only', t: 'qc.exclusions' }),
      h('thead', null, h('tr', null, cols.map((k) => h('th', { scope: 'col', t: `qc.col.${k}` })))),
      h('tbody', null, items.map((e) => {
        const what = e.rater
          ? h('span', { t: ['qc.what_rater', { name: e.rater }] })
          : h('span', { t: ['qc.what_vote', { id: String(e.vote_id) }] });
        const undone = !!e.undone_at;
        const vars = e.rater ? { name: e.rater } : { id: String(e.vote_id) };
        return h('tr', { dataset: { exclusion: e.id, state: undone ? 'undone' : 'standing' } },
          h('th', { scope: 'row' }, what),
          h('td', { tAttrs: { 'data-label': 'qc.col.reason' }, class: 'qc-reason' }, e.reason),
          h('td', { tAttrs: { 'data-label': 'qc.col.by' }, class: 'mono' }, e.by || '–'),
          h('td', { tAttrs: { 'data-label': 'qc.col.when' }, class: 'small' }, dateText(e.created_at)),
          h('td', { tAttrs: { 'data-label': 'qc.col.state' } }, undone
            ? h('span', { class: 'small', t: ['qc.undone', { who: e.undone_by || '–', when: { date: e.undone_at } }] })
            : h('span', { class: 'badge badge-closed', t: 'qc.standing' })),
          admin ? h('td', null, undone ? null : h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'undo' }, t: 'qc.undo',
            onclick: (ev) => undo(e, ev.currentTarget, e.rater ? 'qc.rater_included' : 'qc.vote_included', vars) })) : null);
      }))));
  }

  /** Admins: exclude one vote by its id. */
  function voteForm() {
    const id = newId('vote');
    const vote = h('input', { id, name: 'vote_id', type: 'number', min: 1, step: 1, required: true, inputmode: 'numeric' });
    const reason = h('input', { id: `${id}-reason`, name: 'reason', required: true, maxlength: 2000, autocomplete: 'off' });
    const formMsg = h('div', { class: 'form-msg', 'aria-live': 'polite' });
    const submit = h('button', { type: 'submit', class: 'btn btn-danger', t: 'qc.exclude' });
    const form = h('form', { class: 'vote-exclude-form', novalidate: true },
      h('h3', { t: 'qc.exclude_vote' }),
      h('div', { class: 'form-grid' },
        h('div', { class: 'field' }, h('label', { for: id, t: 'qc.f.vote_id' }), vote,
          h('p', { class: 'hint', id: `${id}-hint`, t: 'qc.h.vote_id' })),
        h('div', { class: 'field' }, h('label', { for: `${id}-reason`, t: 'qc.f.reason' }), reason)),
      formMsg, h('div', { class: 'actions' }, submit));
    vote.setAttribute('aria-describedby', `${id}-hint`);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      const bad = !/^[1-9]\d*$/.test(vote.value) ? vote : (!reason.value.trim() ? reason : null);
      if (bad) {
        bad.setAttribute('aria-invalid', 'true');
        replace(formMsg, h('p', { class: 'notice notice-warn', role: 'alert', t: bad === vote ? 'qc.vote_missing' : 'qc.reason_missing' }));
        bad.focus();
        return;
      }
      submit.disabled = true;
      try {
        const n = Number(vote.value);
        await post(`${path}/exclusions`, { vote_id: n, reason: reason.value.trim() });
        form.reset();
        replace(formMsg);
        done('qc.vote_excluded', { id: String(n) });
        await reload();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) ctx.sessionExpired();
        else replace(formMsg, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  // ================= flagged responses =================

  function flaggedItem(f) {
    const flags = Object.entries(f.flags).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return h('li', { class: 'flagged', dataset: { prompt: f.prompt_id, model: f.model } },
      h('div', { class: 'flagged-head' },
        h('span', { class: 'mono' }, f.prompt_id),
        f.category ? h('span', { class: 'badge' }, f.category) : null,
        h('span', { class: 'muted', t: ['qc.by_model', { model: f.model }] }),
        h('span', { class: 'flag-list' }, flags.map(([flag, n]) => h('span', { class: 'badge badge-warn', dataset: { flag },
          t: ['qc.flag_count', { flag: label('flag', flag), n }] }))),
        h('span', { class: 'flagged-votes', t: ['qc.flag_votes', { n: f.votes }] })),
      // rendered like the answers on the rating page: the server's HTML of the excerpt (raw HTML
      // in it shown as text)
      h('blockquote', { class: 'excerpt md' }, safeHtml(f.response_html || '')),
      quoteList(f.quotes),
      f.rationales.length ? h('details', null, h('summary', { t: ['qc.rationales', { n: f.rationales.length }] }),
        h('ul', null, f.rationales.map((r) => h('li', { class: 'rationale-text' }, r)))) : null);
  }

  async function loadFlagged(cursor) {
    const { body } = await get(`${path}/flags`, { limit: FLAGS_PAGE, cursor });
    if (!cursor && !body.items.length) replace(flaggedList, h('li', { class: 'muted', t: 'qc.no_flagged' }));
    flaggedList.append(...body.items.map(flaggedItem));
    replace(flaggedMore, body.next_cursor
      ? h('button', { type: 'button', class: 'btn', dataset: { action: 'more' }, t: 'qc.more', onclick: async (ev) => {
        const more = ev.currentTarget;
        more.disabled = true;
        try {
          await loadFlagged(body.next_cursor);
        } catch (err) {
          more.disabled = false;
          showError(err);
        }
      } })
      : null);
  }

  // ================= loading =================

  /** Raters, agreement and exclusions, which every exclusion changes. */
  async function reload() {
    const [raters, agreement, exclusions] = await Promise.all([
      getAll(`${path}/raters`), get(`${path}/agreement`).then((r) => r.body), getAll(`${path}/exclusions`)]);
    if (ctx.signal.aborted) return;
    drawRaters(raters, exclusions.items);
    drawAgreement(agreement);
    drawExclusions(exclusions.items);
  }

  replace(ratersBox, h('p', { class: 'loading', t: 'common.loading' }));
  const exposure = get(`${path}/exposure`).then((r) => replace(exposureBox, exposureTable(r.body.items)));
  await Promise.all([reload(), loadFlagged(null), exposure]);
}
