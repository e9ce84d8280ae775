// mystats.js - the page /mystats/{slug} (issue 17): the rater's own quality numbers in a project
// (GET /me/projects/{slug}/stats: the definitions of the project's quality statistics) beside the
// project's median rater, their warnings and their qualification.
import { h, replace } from './dom.js';
import { fmtNumber, fmtPercent } from './i18n.js';
import { get } from './api.js';

const ROWS = [
  ['votes', (x) => fmtNumber(x)],
  ['median_seconds', (x) => fmtNumber(x, { maximumFractionDigits: 1 })],
  ['tie_rate', fmtPercent],
  ['left_rate', fmtPercent],
  ['gold_accuracy', fmtPercent],
  ['agreement', fmtPercent],
  ['accuracy', fmtPercent],
  ['weight', (x) => fmtNumber(x, { minimumFractionDigits: 2, maximumFractionDigits: 2 })],
];

export async function render(main, ctx) {
  const slug = ctx.params[0];
  ctx.setTitle('learn.stats_title');
  const { body: s } = await get(`/me/projects/${encodeURIComponent(slug)}/stats`);
  const rows = ROWS.map(([k, fmt]) => h('tr', { dataset: { metric: k } },
    h('th', { scope: 'row', t: `learn.m.${k}` }),
    h('td', { dataset: { col: 'mine' } }, fmt(s[k])),
    h('td', { dataset: { col: 'median' } }, fmt(s.project_median[k]))));
  const q = s.qualification;
  replace(main, h('div', { class: 'mystats-page', dataset: { slug } },
    h('h1', { t: 'learn.stats_title' }),
    h('p', { class: 'muted', t: 'learn.stats_intro' }),
    q ? h('p', { class: `qualification q-${q.state}`, dataset: { state: q.state },
      t: ['learn.stats_qualification', { state: { t: `learn.q.${q.state}` }, correct: q.correct, answered: q.answered, gold: q.gold,
        min: fmtPercent(q.min_accuracy) }] }) : null,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table my-stats' },
      h('thead', null, h('tr', null, h('th', { scope: 'col', t: 'learn.stats_metric' }), h('th', { scope: 'col', t: 'learn.stats_mine' }),
        h('th', { scope: 'col', t: 'learn.stats_median' }))),
      h('tbody', null, rows))),
    h('p', { class: 'muted', t: ['learn.stats_raters', { n: s.raters }] }),
    h('h2', { t: 'learn.stats_warnings' }),
    s.warnings.length ? h('ul', { class: 'my-warnings' }, s.warnings.map((w) => h('li', { dataset: { code: w.code } },
      h('span', { t: `learn.w.${w.code}` }), ' ', h('span', { class: 'muted' }, w.message))))
      : h('p', { class: 'muted', dataset: { kind: 'learn.stats_no_warnings' }, t: 'learn.stats_no_warnings' })));
}
