// learnnav.js - the rater's links in the header (issue 17): "My reviews" with a badge counting
// the unread reviews of their votes (GET /me/reviews/unread), and "My quality". On a project's
// page (/rate, /review, /myreviews, /mystats) they lead to that project's pages; elsewhere "My
// reviews" appears when a project has unread reviews, and leads to the first of them.
import { get } from './api.js';
import { h } from './dom.js';

const PROJECT_PAGE = /^\/(?:rate|review|myreviews|mystats)\/([^/]+)\/?$/;

/** Appends the links to nav (the header's navigation), once the unread count is known. */
export async function learnNav(nav) {
  let unread;
  try {
    ({ body: unread } = await get('/me/reviews/unread'));
  } catch (_) {
    return; // the page says what failed; the header goes without the badge
  }
  const m = PROJECT_PAGE.exec(location.pathname);
  const slug = m ? decodeURIComponent(m[1]) : Object.keys(unread.projects)[0];
  if (!slug) return;
  const n = m ? unread.projects[slug] || 0 : unread.unread;
  const link = (href, key, extra) => h('a', { href, 'aria-current': location.pathname === href ? 'page' : null, dataset: { learn: key } },
    h('span', { t: key }), extra);
  const badge = n ? h('span', { class: 'badge badge-unread', dataset: { unread: String(n) }, t: ['learn.unread', { n }],
    tAttrs: { title: ['learn.unread_label', { n }] } }) : null;
  const enc = encodeURIComponent(slug);
  nav.append(link(`/myreviews/${enc}`, 'learn.nav_reviews', badge ? [' ', badge] : null));
  if (m) nav.append(link(`/mystats/${enc}`, 'learn.nav_stats'));
}
