// answer.js - a text as the server rendered it (an answer, a prompt, guidelines): the Markdown
// rendered by the server's markdown.c, made inert by safeHtml, with its maths typeset; an
// answer also keeps its exact text "as written". Used by the rating and review pages, the
// guideline notice, the rater's reviews and the rater-work parts.
import { h, safeHtml } from './dom.js';
import { renderMaths } from './maths.js';

/** An answer or prompt from the server's rendered Markdown; an empty one says so. */
export function answerBody(html) {
  if (!html || !html.trim()) return h('p', { class: 'empty-answer', t: 'rate.empty_answer' });
  return safeHtml(html);
}

/**
 * One answer's (or the prompt's) text: the rendered Markdown with its maths, and the exact text
 * as written in a monospace block, with the button that switches between them (aria-pressed).
 * Returns {body, toggle, setWritten(bool), isWritten()}.
 */
export function answerContent(part, cls, sideLetter) {
  const rendered = h('div', { class: 'rendered' }, answerBody(part.html));
  renderMaths(rendered);
  const written = h('pre', { class: 'as-written', tabindex: 0, hidden: true }, part.text || '');
  const body = h('div', { class: `md ${cls}` }, rendered, written);
  const toggle = h('button', { type: 'button', class: 'btn btn-quiet btn-small as-written-toggle', 'aria-pressed': 'false',
    tAttrs: sideLetter ? { 'aria-label': ['rate.as_written_label', { side: sideLetter }] } : {} },
  h('span', { t: 'rate.as_written' }));
  function setWritten(on) {
    written.hidden = !on;
    rendered.hidden = on;
    toggle.setAttribute('aria-pressed', on ? 'true' : 'false');
  }
  toggle.addEventListener('click', () => setWritten(written.hidden));
  return { body, toggle, setWritten, isWritten: () => !written.hidden };
}

/**
 * Guidelines from the server's rendering (guidelines_html) with their maths, each heading two
 * levels down (# becomes h3) so they sit under the page's own headings, as the nodes to put in
 * a .md element; an empty text shows emptyKey's message.
 */
export function guidelinesBody(html, emptyKey) {
  if (!html || !html.trim()) return [h('p', { class: 'muted', t: emptyKey })];
  const holder = h('div', null, safeHtml(html));
  for (const head of holder.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const moved = document.createElement(`h${Math.min(6, Number(head.localName[1]) + 2)}`);
    moved.append(...head.childNodes);
    head.replaceWith(moved);
  }
  renderMaths(holder);
  return [...holder.childNodes];
}

/** The prompt, rendered, with its maths. */
export function promptBody(part) {
  const el = h('div', { class: 'md prompt-body' }, answerBody(part.html));
  renderMaths(el);
  return el;
}
