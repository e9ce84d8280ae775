// md.js - a small, safe Markdown renderer for text the server sends raw (the project guidelines):
// headings, paragraphs with line breaks, lists (nested by indentation), block quotes, fenced and
// indented code, rules, pipe tables, and inline code, strong, emphasis, strike-through and links
// (http, https, mailto only). It builds DOM nodes with textContent: no HTML in the text is ever
// interpreted, so `<script>` stays the visible text "<script>".
import { h, safeUrl } from './dom.js';

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}>\s?/;
const ITEM = /^( *)([-*+]|\d{1,9}[.)])(\s+|$)/;
const TABLE_SEP = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

// --- inline ---

const INLINE = [
  { re: /\\([!-/:-@[-`{-~])/y, make: (m) => m[1] },
  { re: /(`+)([\s\S]*?[^`])\1(?!`)/y, make: (m) => h('code', null, m[2].replace(/^ (.*) $/, '$1')) },
  { re: /\*\*(?=\S)([\s\S]*?\S)\*\*/y, make: (m) => h('strong', null, inline(m[1])) },
  { re: /__(?=\S)([\s\S]*?\S)__(?!\w)/y, make: (m) => h('strong', null, inline(m[1])) },
  { re: /~~(?=\S)([\s\S]*?\S)~~/y, make: (m) => h('del', null, inline(m[1])) },
  { re: /\*(?=[^\s*])([\s\S]*?[^\s*])\*/y, make: (m) => h('em', null, inline(m[1])) },
  { re: /_(?=[^\s_])([\s\S]*?[^\s_])_(?!\w)/y, make: (m) => h('em', null, inline(m[1])) },
  {
    re: /\[([^\]]*)\]\(\s*<?((?:[^\s()<>]|\([^\s()<>]*\))*)>?(?:\s+"[^"]*")?\s*\)/y,
    make: (m) => {
      const url = safeUrl(m[2]);
      if (!url) return h('span', { class: 'inert-link' }, inline(m[1]));
      const external = !url.startsWith('#');
      return h('a', { href: url, target: external ? '_blank' : null,
        rel: external ? 'noopener noreferrer nofollow' : null }, inline(m[1]));
    },
  },
  {
    re: /<(https?:\/\/[^\s<>]+)>/y,
    make: (m) => h('a', { href: m[1], target: '_blank', rel: 'noopener noreferrer nofollow' }, m[1]),
  },
];
const STARTERS = '\\`*_~[<';

/** Inline Markdown of one block of text to nodes; newlines become line breaks. */
export function inline(text) {
  const out = [];
  let buf = '';
  const flush = () => {
    if (!buf) return;
    buf.split('\n').forEach((part, i) => {
      if (i > 0) out.push(h('br'));
      if (part) out.push(part);
    });
    buf = '';
  };
  let i = 0;
  outer: while (i < text.length) {
    const c = text[i];
    // `_` and `*` open emphasis only at the start of a word (snake_case and O(n1*n2) stay as
    // written, as the server's renderer does)
    if (STARTERS.includes(c) && !((c === '_' || c === '*') && i > 0 && /\w/.test(text[i - 1]))) {
      for (const { re, make } of INLINE) {
        re.lastIndex = i;
        const m = re.exec(text);
        if (m) {
          flush();
          out.push(make(m));
          i = re.lastIndex;
          continue outer;
        }
      }
    }
    buf += c;
    i += 1;
  }
  flush();
  return out;
}

// --- blocks ---

function splitRow(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === '|') { cur += '|'; i += 1; continue; }
    if (s[i] === '|') { cells.push(cur.trim()); cur = ''; continue; }
    cur += s[i];
  }
  cells.push(cur.trim());
  return cells;
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) ||
    ITEM.test(line);
}

function blocks(lines, opts) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i += 1; continue; }
    let m;
    if ((m = FENCE.exec(line))) {
      const fence = m[1];
      const body = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence)) body.push(lines[i++]);
      i += 1;
      out.push(h('pre', { tabindex: 0 }, h('code', { class: m[2] ? `language-${m[2]}` : null },
        body.join('\n'))));
      continue;
    }
    if (/^( {4}|\t)/.test(line)) {
      const body = [];
      while (i < lines.length && (/^( {4}|\t)/.test(lines[i]) || !lines[i].trim())) {
        body.push(lines[i++].replace(/^( {4}|\t)/, ''));
      }
      while (body.length && !body[body.length - 1].trim()) body.pop();
      out.push(h('pre', { tabindex: 0 }, h('code', null, body.join('\n'))));
      continue;
    }
    if ((m = HEADING.exec(line))) {
      const level = Math.min(6, m[1].length + (opts.shift || 0));
      out.push(h(`h${level}`, null, inline(m[2] || '')));
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      out.push(h('hr'));
      i += 1;
      continue;
    }
    if (QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && lines[i].trim() && (QUOTE.test(lines[i]) || !startsBlock(lines[i]))) {
        body.push(lines[i++].replace(QUOTE, ''));
      }
      out.push(h('blockquote', null, blocks(body, opts)));
      continue;
    }
    if ((m = ITEM.exec(line))) {
      const indent = m[1].length;
      const ordered = /\d/.test(m[2]);
      const list = h(ordered ? 'ol' : 'ul');
      if (ordered && parseInt(m[2], 10) !== 1) list.setAttribute('start', String(parseInt(m[2], 10)));
      let loose = false;
      while (i < lines.length) {
        const im = ITEM.exec(lines[i]);
        if (!im || im[1].length !== indent || /\d/.test(im[2]) !== ordered) break;
        const inner = im[1].length + im[2].length + (im[3] ? Math.min(im[3].length, 4) : 1);
        const body = [lines[i].slice(inner)];
        i += 1;
        while (i < lines.length) {
          const next = lines[i];
          if (!next.trim()) {
            // a blank line continues the item only when indented content follows
            if (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1]) &&
                lines[i + 1].search(/\S/) > indent) {
              body.push('');
              loose = true;
              i += 1;
              continue;
            }
            break;
          }
          const nim = ITEM.exec(next);
          if (nim && nim[1].length <= indent) break;
          if (!nim && next.search(/\S/) <= indent && startsBlock(next)) break;
          body.push(next.replace(new RegExp(`^ {0,${inner}}`), ''));
          i += 1;
        }
        const content = blocks(body, opts);
        const li = h('li');
        if (!loose && content.length && content[0].localName === 'p') {
          li.append(...content[0].childNodes, ...content.slice(1));
        } else {
          li.append(...content);
        }
        list.append(li);
        if (i < lines.length && !lines[i].trim() && i + 1 < lines.length) {
          const after = ITEM.exec(lines[i + 1]);
          if (after && after[1].length === indent) { loose = true; i += 1; }
        }
      }
      out.push(list);
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]) &&
        lines[i + 1].includes('-')) {
      const head = splitRow(line);
      const rows = [];
      i += 2;
      while (i < lines.length && lines[i].trim() && lines[i].includes('|')) rows.push(splitRow(lines[i++]));
      out.push(h('div', { class: 'table-wrap' }, h('table', null,
        h('thead', null, h('tr', null, head.map((c) => h('th', null, inline(c))))),
        h('tbody', null, rows.map((r) => h('tr', null, head.map((_, k) => h('td', null, inline(r[k] || '')))))))));
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() && (para.length === 0 || !startsBlock(lines[i]))) {
      para.push(lines[i++].trim());
    }
    out.push(h('p', null, inline(para.join('\n'))));
  }
  return out;
}

/**
 * Markdown text to a DocumentFragment. opts.shift moves headings down (# becomes h(1+shift)) so
 * that they fit under the page's own headings.
 */
export function markdown(text, opts = {}) {
  const frag = document.createDocumentFragment();
  const lines = String(text || '').replace(/\r\n?/g, '\n').split('\n');
  frag.append(...blocks(lines, opts));
  return frag;
}
