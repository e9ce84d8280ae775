// drafts.js - the flags and rationale a rater has chosen or written but not yet sent, kept in
// localStorage so that they survive a session expiry and re-login, a reload, and a lease that ran
// out (410): the same comparison coming back restores them. A draft is keyed by the user, the
// project and the comparison's texts (not the assignment id, which changes when the comparison is
// given out again, nor the side, which is drawn anew); flags are kept per answer text for the
// same reason. Drafts older than a day are dropped; a sent vote removes its draft.
const PREFIX = 'prefd.draft.';
const MAX_AGE_MS = 24 * 3600 * 1000;

/** A short stable digest of a string (two FNV-1a 32-bit hashes). */
export function digest(s) {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** The storage key of the draft for assignment a (prompt, left, right) of user in project. */
export function draftKey(userId, slug, a) {
  const texts = [a.left.text || '', a.right.text || ''].sort();
  return `${PREFIX}${userId}.${slug}.${digest(`${a.prompt.text || ''}\u0000${texts[0]}\u0000${texts[1]}`)}`;
}

function prune() {
  const now = Date.now();
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (!k || !k.startsWith(PREFIX)) continue;
      let at = 0;
      try { at = JSON.parse(localStorage.getItem(k)).at || 0; } catch (_) { at = 0; }
      if (now - at > MAX_AGE_MS) localStorage.removeItem(k);
    }
  } catch (_) { /* storage disabled */ }
}

/** The stored draft {rationale, flags: {digest(text): [flag]}} or null. */
export function loadDraft(key) {
  prune();
  try {
    const d = JSON.parse(localStorage.getItem(key));
    return d && typeof d === 'object' ? d : null;
  } catch (_) {
    return null;
  }
}

/** Stores a draft; an empty one (no rationale, no flags) removes it. */
export function saveDraft(key, draft) {
  const empty = !(draft.rationale && draft.rationale.trim()) &&
    !Object.values(draft.flags || {}).some((f) => f.length);
  try {
    if (empty) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify({ ...draft, at: Date.now() }));
  } catch (_) { /* storage full or disabled: the page still works */ }
}

export function dropDraft(key) {
  try { localStorage.removeItem(key); } catch (_) { /* storage disabled */ }
}
