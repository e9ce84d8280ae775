// diff.js - a word-level difference of two texts (longest common subsequence of words and
// spaces), as <del>/<ins> runs: the review page shows a rewrite against the answer it improved.
// Texts beyond DIFF_MAX tokens each are shown whole (removed, then added) rather than compared.
import { h } from './dom.js';

const DIFF_MAX = 3000;

function tokens(s) {
  return s.match(/\s+|[^\s]+/g) || [];
}

/** [[op, text]...] with op '=' | '-' | '+'. */
export function diffWords(before, after) {
  const a = tokens(before);
  const b = tokens(after);
  if (a.length > DIFF_MAX || b.length > DIFF_MAX) return [['-', before], ['+', after]];
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const len = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i * w + j] = a[i] === b[j] ? len[(i + 1) * w + j + 1] + 1 : Math.max(len[(i + 1) * w + j], len[i * w + j + 1]);
    }
  }
  const out = [];
  const push = (op, t) => {
    if (out.length && out[out.length - 1][0] === op) out[out.length - 1][1] += t;
    else out.push([op, t]);
  };
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { push('=', a[i]); i++; j++; } else if (len[(i + 1) * w + j] >= len[i * w + j + 1]) { push('-', a[i]); i++; } else { push('+', b[j]); j++; }
  }
  while (i < n) push('-', a[i++]);
  while (j < m) push('+', b[j++]);
  return out;
}

/** The difference as an element. */
export function diffView(before, after) {
  return h('div', { class: 'diff' }, diffWords(before, after).map(([op, t]) => {
    if (op === '-') return h('del', null, t);
    if (op === '+') return h('ins', null, t);
    return t;
  }));
}
