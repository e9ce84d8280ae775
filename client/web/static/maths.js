// maths.js - maths in model and prompt text: `$$...$$` (display) and `$...$` (inline) in the text of
// rendered answers become KaTeX (vendored from npm under static/vendor/katex/, served by prefd;
// loaded only when a page has maths). Only text nodes outside code, pre, kbd and links are looked
// at, so nothing the server escaped can become markup. KaTeX runs with trust false (no \href,
// \url, \includegraphics, \htmlClass...), throwOnError false (bad TeX shows as red source text),
// strict 'ignore' and small size and macro-expansion limits; it builds DOM nodes itself (styles are
// set through the CSSOM, which the page's CSP allows). A `$` that does not delimit maths (prices:
// "$5 or $6") is left alone: the opening `$` must be followed, and the closing one preceded, by a
// non-space, and the closing one must not be followed by a digit.
const SKIP = new Set(['CODE', 'PRE', 'KBD', 'A', 'SCRIPT', 'STYLE', 'TEXTAREA']);
const MATH = /\$\$([^$]+?)\$\$|(?<![\\$\w])\$(?=[^\s$])((?:[^$\n\\]|\\[^\n])+?)(?<=[^\s\\])\$(?![\d$])/g;
const OPTIONS = { throwOnError: false, trust: false, strict: 'ignore', maxSize: 20, maxExpand: 200,
  output: 'htmlAndMathml' };

let katexReady = null;

function loadKatex() {
  katexReady ||= (async () => {
    if (!document.querySelector('link[data-katex]')) {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = '/static/vendor/katex/katex.css';
      link.dataset.katex = '';
      document.head.append(link);
    }
    const mod = await import('./vendor/katex/katex.js');
    return mod.default;
  })();
  return katexReady;
}

function textNodes(root) {
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode(n) {
      for (let p = n.parentNode; p && p !== root; p = p.parentNode) {
        if (SKIP.has(p.nodeName)) return NodeFilter.FILTER_REJECT;
      }
      MATH.lastIndex = 0;
      return MATH.test(n.nodeValue) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
    },
  });
  for (let n = walker.nextNode(); n; n = walker.nextNode()) out.push(n);
  return out;
}

/** True when the text has something that would be rendered as maths. */
export function hasMaths(text) {
  MATH.lastIndex = 0;
  return MATH.test(text || '');
}

/**
 * Renders the maths in root's text in place (resolves when done). On any failure to load
 * KaTeX the text stays as it is: the words are never lost.
 */
export async function renderMaths(root) {
  const nodes = textNodes(root);
  if (!nodes.length) return;
  let katex;
  try {
    katex = await loadKatex();
  } catch (_) {
    return; // left as text
  }
  for (const node of nodes) {
    if (!node.isConnected && !root.contains(node)) continue;
    const text = node.nodeValue;
    const frag = document.createDocumentFragment();
    let last = 0;
    MATH.lastIndex = 0;
    for (let m = MATH.exec(text); m; m = MATH.exec(text)) {
      if (m.index > last) frag.append(text.slice(last, m.index));
      const display = m[1] !== undefined;
      const span = document.createElement('span');
      span.className = display ? 'maths maths-display' : 'maths';
      span.dataset.tex = display ? m[1] : m[2];
      try {
        katex.render(display ? m[1] : m[2], span, { ...OPTIONS, displayMode: display });
      } catch (_) {
        span.textContent = m[0];
      }
      frag.append(span);
      last = MATH.lastIndex;
    }
    if (last < text.length) frag.append(text.slice(last));
    node.replaceWith(frag);
  }
}
