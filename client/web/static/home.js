// home.js - where a logged-in user lands at /: the projects open to them. Whoever may rate a
// project gets a "start rating" link, its reviewers a "review" link; admins and analysts the
// leaderboards and quality pages (and admins the admin page). A rater's card shows their progress.
import { getAll } from './api.js';
import { h, replace } from './dom.js';
import { label } from './i18n.js';

/** Every project visible to the caller (follows next_cursor). */
export async function allProjects() {
  return (await getAll('/projects')).items;
}

/** The caller's own progress in project p: a bar and "N done · M left" (API.md, progress). */
function progressLine(p) {
  const done = Number(p.progress.done) || 0;
  const left = Number(p.progress.remaining) || 0;
  const total = done + left;
  return h('div', { class: 'card-progress', dataset: { done: String(done), remaining: String(left) } },
    h('progress', { max: Math.max(total, 1), value: done, tAttrs: { 'aria-label': ['home.progress_of', { title: p.title }] } }),
    h('span', { class: 'small', t: [left ? 'home.progress' : 'home.progress_finished', { done, left }] }));
}

export async function render(main, { user, setTitle }) {
  setTitle('home.title');
  const list = h('div', { class: 'project-list' }, h('p', { class: 'loading', t: 'common.loading' }));
  replace(main,
    h('div', { class: 'page-head' },
      h('h1', { t: 'home.title' }),
      user.role === 'admin' ? h('a', { class: 'btn', href: '/admin', t: 'home.manage' }) : null),
    h('p', { class: 'muted', t: user.role === 'rater' ? 'home.intro_rater' : 'home.intro_staff' }),
    list);
  const projects = await allProjects();
  if (!projects.length) {
    replace(list, h('p', { class: 'notice', t: user.role === 'admin' ? 'home.none_admin' : 'home.none' }));
    return;
  }
  // Analysts neither rate nor review, whatever a project's lists say.
  const judges = user.role !== 'analyst';
  const staff = user.role !== 'rater';
  replace(list, projects.map((p) => {
    const rate = encodeURIComponent(p.slug);
    const canRate = judges && p.may_rate;
    return h('article', { class: 'card project-card', dataset: { slug: p.slug } },
      h('div', { class: 'project-card-head' },
        h('h2', null, p.title),
        h('span', { class: `badge badge-${p.status}`, t: [`status.${p.status}`] })),
      h('p', { class: 'muted mono' }, p.slug),
      canRate && p.progress ? progressLine(p) : null,
      h('div', { class: 'actions' },
        canRate && p.status === 'active'
          ? h('a', { class: 'btn btn-primary', href: `/rate/${rate}`, t: 'home.rate' }) : null,
        canRate && p.status !== 'active'
          ? h('span', { class: 'muted', t: ['home.not_active', { status: label('status', p.status) }] }) : null,
        judges && p.may_review ? h('a', { class: 'btn', href: `/review/${rate}`, t: 'home.review' }) : null,
        staff ? h('a', { class: 'btn', href: `/leaderboard/${rate}`, t: 'home.leaderboard' }) : null,
        staff ? h('a', { class: 'btn', href: `/quality/${rate}`, t: 'home.quality' }) : null,
        user.role === 'admin' ? h('a', { class: 'btn btn-quiet', href: `/admin#project=${rate}`, t: 'home.edit' }) : null));
  }));
}
