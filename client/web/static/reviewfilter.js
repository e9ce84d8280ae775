// reviewfilter.js - the review page's filters (issue 17): to one rater, to votes against the
// majority, to missed control pairs, to flagged votes. Kept in the address (?rater=&filter=) so a
// filtered queue can be bookmarked; review.js sends them with review/next.
import { h } from './dom.js';

const FILTERS = ['', 'disagreement', 'gold_wrong', 'flagged'];

/** The filters in the address, as review/next's query. */
export function reviewQuery() {
  const q = new URLSearchParams(location.search);
  return { rater: q.get('rater') || undefined, filter: q.get('filter') || undefined };
}

/** The form that changes them (a GET form: the page reloads with the new address). */
export function reviewFilterForm() {
  const now = reviewQuery();
  const select = h('select', { name: 'filter', id: 'review-filter' },
    FILTERS.map((f) => h('option', { value: f, selected: (now.filter || '') === f, t: `learn.filter.${f || 'all'}` })));
  const rater = h('input', { name: 'rater', id: 'review-rater', class: 'input', value: now.rater || '', autocomplete: 'off',
    tAttrs: { placeholder: 'learn.filter.rater_any' } });
  return h('form', { class: 'review-filters', method: 'get' },
    h('label', { for: 'review-filter', t: 'learn.filter.label' }), select,
    h('label', { for: 'review-rater', t: 'learn.filter.rater' }), rater,
    h('button', { type: 'submit', class: 'btn', t: 'learn.filter.apply' }));
}
