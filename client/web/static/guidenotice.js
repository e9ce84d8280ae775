// guidenotice.js - the guideline-change notice of the rating page (issue 17): when `next`
// answers 409 guidelines_changed, the change since the version the rater knew is shown as a line
// diff of the Markdown, with the guidelines of now below; "I have read the change" records the
// acknowledgement (POST .../guidelines/ack) and the rating goes on.
import { answerBody } from './answer.js';
import { get, post } from './api.js';
import { h, replace } from './dom.js';
import { bind } from './i18n.js';

/** Shows the notice in box; onDone() runs once the acknowledgement is recorded. */
export async function showGuidelineNotice(box, slug, onDone) {
  const path = encodeURIComponent(slug);
  const { body: g } = await get(`/me/projects/${path}/guidelines`);
  const lines = g.diff.map((d) => h('div', { class: `diff-line diff-${d.op}`, dataset: { op: d.op } },
    h('span', { class: 'diff-mark', 'aria-hidden': 'true' }, d.op === 'added' ? '+' : d.op === 'removed' ? '−' : ' '),
    d.op === 'same' ? null : h('span', { class: 'sr-only', t: d.op === 'added' ? 'learn.guidelines_added' : 'learn.guidelines_removed' }),
    h('span', { class: 'diff-text' }, d.text || '\u00a0')));
  const ack = h('button', { type: 'button', class: 'btn btn-primary', id: 'guidelines-ack', t: 'learn.guidelines_ack' });
  const panel = h('section', { class: 'card guideline-notice', role: 'alertdialog', 'aria-labelledby': 'guideline-notice-title',
    dataset: { version: String(g.version), known: String(g.known) } },
  h('h2', { id: 'guideline-notice-title', t: 'learn.guidelines_title' }),
  h('p', { t: ['learn.guidelines_intro', { version: g.version, known: g.known }] }),
  h('div', { class: 'diff', role: 'list' }, lines),
  h('details', { class: 'guidelines-now' }, h('summary', { t: 'learn.guidelines_full' }),
    h('div', { class: 'md' }, answerBody(g.guidelines.html))),
  h('div', { class: 'actions' }, ack));
  replace(box, panel);
  ack.focus();
  ack.addEventListener('click', async () => {
    ack.disabled = true;
    try {
      await post(`/me/projects/${path}/guidelines/ack`, { version: g.version });
    } catch (err) {
      ack.disabled = false;
      throw err;
    }
    replace(box, bind(h('p', { class: 'notice notice-info', role: 'status', dataset: { kind: 'learn.guidelines_acked' } }),
      'learn.guidelines_acked'));
    onDone();
  });
}
