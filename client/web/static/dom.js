// dom.js - building the page without innerHTML: h() makes elements from a tag, attributes and
// children (strings become text nodes; `t: key` or `t: [key, vars]` binds translated text,
// `tAttrs: {attr: key}` translated attributes), svg() the same in the SVG namespace, and safeHtml() turns
// the server's rendered Markdown (the `html` fields) into an inert fragment through an allow-list.

import { bind, bindAttr } from './i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') {
      for (const [dk, dv] of Object.entries(v)) if (dv !== null && dv !== undefined) el.dataset[dk] = dv;
    }
    else if (k === 'text') el.textContent = v;
    else if (k === 't') (Array.isArray(v) ? bind(el, v[0], v[1]) : bind(el, v));
    else if (k === 'tAttrs') {
      for (const [a, key] of Object.entries(v)) {
        if (Array.isArray(key)) bindAttr(el, a, key[0], key[1]);
        else bindAttr(el, a, key);
      }
    }
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' ||
             k === 'required' || k === 'multiple' || k === 'open') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Appends children: nodes, strings (as text), arrays, skipping null/false. */
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** h('button', {class: 'x', onclick: fn}, 'text', child...) */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** The same for SVG elements. */
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Removes every child; appends the given ones. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A <time> showing s (an RFC 3339 time) in the page's language; a language switch re-formats it. */
export function dateText(s, attrs) {
  return h('time', { datetime: s || null, ...attrs, t: ['common.date', { d: { date: s } }] });
}

let uid = 0;
/** A fresh id for label/aria wiring. */
export function newId(prefix) {
  uid += 1;
  return `${prefix || 'id'}-${uid}`;
}

/** True when keyboard shortcuts must not fire: the user is typing somewhere. */
export function typingIn(target) {
  if (!target || !(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target.tagName === 'TEXTAREA' || target.tagName === 'SELECT') return true;
  if (target.tagName === 'INPUT') {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file']
      .includes(target.type);
  }
  return false;
}

// --- the server's rendered Markdown ---

const ALLOWED = new Set(['p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li',
  'pre', 'code', 'blockquote', 'em', 'strong', 'b', 'i', 'a', 'del', 's', 'sup', 'sub', 'span',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'dl', 'dt', 'dd', 'kbd']);
// Dropped with everything inside them.
const DROPPED = new Set(['script', 'style', 'iframe', 'object', 'embed', 'template', 'noscript',
  'svg', 'math', 'link', 'meta', 'base', 'form', 'input', 'button', 'textarea', 'select',
  'frame', 'frameset', 'audio', 'video', 'source', 'track', 'canvas', 'title', 'head']);

/** A link target that may be followed: http(s), mailto, or a fragment. */
export function safeUrl(href) {
  if (!href) return null;
  const s = href.trim();
  if (s.startsWith('#')) return s;
  try {
    const u = new URL(s, location.origin);
    if (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:') return u.href;
  } catch (_) { /* not a URL */ }
  return null;
}

function copyClean(src, out) {
  for (const node of src.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      out.append(document.createTextNode(node.nodeValue));
      continue;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) continue; // comments ("raw HTML omitted") and such
    const tag = node.localName;
    if (DROPPED.has(tag)) continue;
    if (tag === 'img') {
      // Remote images are not loaded (privacy, CSP): the alternative text stands in.
      const alt = node.getAttribute('alt') || '';
      out.append(h('span', { class: 'img-note' }, `[${alt || 'image'}]`));
      continue;
    }
    if (!ALLOWED.has(tag)) {
      copyClean(node, out); // unknown wrapper: keep its content only
      continue;
    }
    const el = document.createElement(tag);
    if (tag === 'a') {
      const url = safeUrl(node.getAttribute('href'));
      if (url) {
        el.setAttribute('href', url);
        if (!url.startsWith('#')) {
          el.setAttribute('target', '_blank');
          el.setAttribute('rel', 'noopener noreferrer nofollow');
        }
      } else {
        el.className = 'inert-link';
      }
    } else if (tag === 'ol' && /^\d+$/.test(node.getAttribute('start') || '')) {
      el.setAttribute('start', node.getAttribute('start'));
    } else if (tag === 'code' && /^language-[\w+#.-]+$/.test(node.getAttribute('class') || '')) {
      el.className = node.getAttribute('class');
    }
    copyClean(node, el);
    out.append(el);
  }
}

// A paragraph made of lines "| a | b |" with a "|---|---|" second line becomes a table
// (the server's CommonMark has no tables; answers often contain them).
const SEP = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

function splitLines(p) {
  const lines = [[]];
  for (const n of [...p.childNodes]) {
    if (n.nodeType === Node.ELEMENT_NODE && n.localName === 'br') lines.push([]);
    else lines[lines.length - 1].push(n);
  }
  return lines.map((nodes) => {
    // trim the newline the renderer puts after <br>
    if (nodes.length && nodes[0].nodeType === Node.TEXT_NODE) {
      nodes[0] = document.createTextNode(nodes[0].nodeValue.replace(/^\n/, ''));
    }
    return nodes;
  });
}

function lineText(nodes) {
  return nodes.map((n) => n.textContent).join('');
}

function cellsOf(nodes) {
  const cells = [[]];
  for (const n of nodes) {
    if (n.nodeType !== Node.TEXT_NODE) {
      cells[cells.length - 1].push(n);
      continue;
    }
    const parts = n.nodeValue.split('|');
    parts.forEach((part, i) => {
      if (i > 0) cells.push([]);
      if (part) cells[cells.length - 1].push(document.createTextNode(part));
    });
  }
  // leading and trailing pipes leave empty cells at the ends
  if (cells.length > 1 && !lineText(cells[0]).trim()) cells.shift();
  if (cells.length > 1 && !lineText(cells[cells.length - 1]).trim()) cells.pop();
  return cells;
}

function upgradeTables(root) {
  for (const p of [...root.querySelectorAll('p')]) {
    if (!p.textContent.includes('|')) continue;
    const lines = splitLines(p);
    if (lines.length < 2 || !SEP.test(lineText(lines[1]))) continue;
    if (!lines.every((l, i) => i === 1 || lineText(l).includes('|'))) continue;
    const row = (nodes, tag) => h('tr', null, cellsOf(nodes).map((c) => {
      const cell = h(tag, null, c);
      const first = cell.firstChild;
      const last = cell.lastChild;
      if (first && first.nodeType === Node.TEXT_NODE) first.nodeValue = first.nodeValue.trimStart();
      if (last && last.nodeType === Node.TEXT_NODE) last.nodeValue = last.nodeValue.trimEnd();
      return cell;
    }));
    const table = h('table', null,
      h('thead', null, row(lines[0], 'th')),
      h('tbody', null, lines.slice(2).filter((l) => lineText(l).trim()).map((l) => row(l, 'td'))));
    p.replaceWith(h('div', { class: 'table-wrap' }, table));
  }
}

/**
 * The server's rendered Markdown as an inert fragment: parsed by DOMParser (which runs nothing and
 * loads nothing), then copied through an allow-list of tags and attributes.
 */
export function safeHtml(html) {
  const doc = new DOMParser().parseFromString(`<!doctype html><body>${html || ''}`, 'text/html');
  const frag = document.createDocumentFragment();
  const holder = h('div');
  copyClean(doc.body, holder);
  upgradeTables(holder);
  for (const pre of holder.querySelectorAll('pre')) pre.tabIndex = 0; // scrollable by keyboard
  frag.append(...holder.childNodes);
  return frag;
}
