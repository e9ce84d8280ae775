// keys.js - the keyboard help every page with shortcuts shares: `?` (or the "Keyboard shortcuts"
// button) opens a modal overlay listing the page's shortcuts in the page's language; Esc or the
// Close button closes it and gives focus back. The overlay is a native modal <dialog>, so focus
// stays inside it and the page behind it is inert while it is open.
//
//   const help = shortcuts(signal, [{ keys: ['1'], t: 'keys.rate.a' }, ...]);
//   someToolbar.append(help.button);
//
// The list is translated when it opens (and again on a language switch), so a page registers
// i18n keys, not text. Pages keep handling their own keys; `?` is taken here.
import { h, replace, typingIn } from './dom.js';
import { bind } from './i18n.js';

/**
 * Registers the page's shortcuts (list of {keys: [...], t: i18n key}); removed when signal
 * aborts. Returns {button, open(), close(), dialog}.
 */
export function shortcuts(signal, list) {
  const items = h('dl', { class: 'keys-list' });
  const close = h('button', { type: 'button', class: 'btn', t: 'keys.close', onclick: () => dialog.close() });
  const dialog = h('dialog', { class: 'keys-dialog card', 'aria-labelledby': 'keys-dialog-h' },
    h('h2', { id: 'keys-dialog-h', t: 'keys.title' }),
    items,
    h('div', { class: 'actions' }, close));
  document.body.append(dialog);
  signal.addEventListener('abort', () => dialog.remove());

  function fill() {
    replace(items, list.map((s) => [
      h('dt', null, s.keys.map((k, i) => [i ? ' ' : null, h('kbd', null, k)])),
      bind(h('dd'), s.t),
    ]));
  }

  let opener = null;
  function open() {
    if (dialog.open) return;
    opener = document.activeElement;
    fill();
    dialog.showModal();
    close.focus();
  }
  // Tab and Shift+Tab cycle inside the overlay (a modal dialog alone lets focus leave for the
  // browser's own controls)
  dialog.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Tab') return;
    const focusable = [...dialog.querySelectorAll('button, [href], [tabindex]:not([tabindex="-1"])')]
      .filter((el) => !el.disabled && !el.hidden);
    if (!focusable.length) return;
    const i = focusable.indexOf(document.activeElement);
    const next = ev.shiftKey ? (i <= 0 ? focusable.length - 1 : i - 1) : (i + 1) % focusable.length;
    ev.preventDefault();
    focusable[next].focus();
  });
  dialog.addEventListener('close', () => {
    if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus({ preventScroll: true });
    opener = null;
  });

  const button = h('button', { type: 'button', class: 'btn btn-quiet keys-button', 'aria-keyshortcuts': '?',
    'aria-haspopup': 'dialog', onclick: open }, h('span', { t: 'keys.button' }), h('kbd', null, '?'));

  document.addEventListener('keydown', (ev) => {
    if (ev.key !== '?' || ev.ctrlKey || ev.metaKey || ev.altKey || typingIn(ev.target)) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    if (dialog.open) dialog.close();
    else open();
  }, { signal, capture: true });
  // the page's own keys do nothing while the overlay is open (Esc is the dialog's own)
  document.addEventListener('keydown', (ev) => {
    if (dialog.open && ev.key !== 'Escape' && ev.key !== 'Tab' && ev.key !== 'Enter' && ev.key !== ' ') {
      ev.stopImmediatePropagation();
    }
  }, { signal, capture: true });

  return { button, open, close: () => dialog.close(), dialog };
}
