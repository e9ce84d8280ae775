// admin.js - /admin: projects (create, edit every setting with a guidelines preview, progress,
// links to their quality pages) and their items (JSON Lines upload with a progress bar and a
// per-line error report, a searchable list, deleting one item or the whole project with what
// happens to its votes said first), and users (create, role, disable/enable, reset password, new
// API token shown once). The URL's hash keeps the tab and the selected project (#users, #project=SLUG, #new).
import { guidelinesBody } from './answer.js';
import { ApiError, del, errorMessage, get, getAll, patch, post, upload } from './api.js';
import { dateText, h, newId, replace } from './dom.js';
import { bind, fmtNumber, fmtPercent } from './i18n.js';
import { workOptions } from './ratework.js';
import { allProjects } from './home.js';

const OUTCOMES = ['a', 'b', 'tie', 'both_bad'];
const STATUSES = ['active', 'paused', 'closed'];
const RATIONALES = ['off', 'optional', 'required'];
const SCHEDULES = ['coverage', 'active'];
const ROLES = ['rater', 'analyst', 'admin'];
const DEFAULT_FLAGS = ['unsafe', 'factually_wrong', 'biased', 'off_topic', 'refusal'];

/** A labelled form field; returns [wrapper, input]. */
function field(key, input, hintKey) {
  const id = input.id || newId('f');
  input.id = id;
  const hint = hintKey ? h('p', { class: 'hint', id: `${id}-hint`, t: hintKey }) : null;
  if (hint) input.setAttribute('aria-describedby', hint.id);
  return h('div', { class: `field field-${input.name || 'x'}` }, h('label', { for: id, t: key }), input, hint);
}

function list(text) {
  return String(text || '').split(/[\s,，]+/).map((s) => s.trim()).filter(Boolean);
}

function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Shows an API failure in a form's message box; marks the field the API names. */
function formError(box, form, err) {
  clearInvalid(form);
  replace(box, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
  const f = err instanceof ApiError && err.details && err.details.field;
  const input = f && form.querySelector(`[name="${CSS.escape(f)}"]`);
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

/** The form's fields are fine again: no stale red border from an earlier failure. */
function clearInvalid(form) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

function ok(box, key, vars) {
  replace(box, h('p', { class: 'notice notice-ok', role: 'status', t: [key, vars] }));
}

/** A token shown once, with a copy button. */
function tokenBox(name, token) {
  const id = newId('token');
  const out = h('input', { id, class: 'mono token', readonly: true, value: token, 'aria-describedby': `${id}-warn`,
    dataset: { token: 'shown' } });
  const copy = h('button', { type: 'button', class: 'btn', t: 'admin.copy' });
  const copied = h('span', { class: 'muted', role: 'status' });
  copy.addEventListener('click', async () => {
    out.select();
    try {
      await navigator.clipboard.writeText(token);
      bind(copied, 'admin.copied');
    } catch (_) {
      bind(copied, 'admin.copy_manual');
    }
  });
  return h('div', { class: 'token-box notice notice-ok', role: 'status' },
    h('label', { for: id, t: ['admin.token_for', { name }] }),
    h('div', { class: 'token-row' }, out, copy),
    h('p', { id: `${id}-warn`, class: 'hint', t: 'admin.token_once' }), copied);
}

export async function render(main, ctx) {
  ctx.setTitle('admin.title');
  if (ctx.user.role !== 'admin') {
    replace(main, h('h1', { t: 'admin.title' }), h('p', { class: 'notice notice-warn', role: 'alert', t: 'admin.only' }));
    return;
  }
  const { signal } = ctx;
  const tabs = {};
  const panels = {};
  const tabList = h('div', { class: 'tabs', role: 'tablist', tAttrs: { 'aria-label': 'admin.title' } });
  for (const name of ['projects', 'users']) {
    panels[name] = h('section', { id: `panel-${name}`, class: 'tab-panel', role: 'tabpanel', 'aria-labelledby': `tab-${name}`, tabindex: -1 });
    tabs[name] = h('button', { type: 'button', id: `tab-${name}`, role: 'tab', class: 'tab', 'aria-controls': `panel-${name}`,
      t: `admin.tab_${name}`, onclick: () => { location.hash = name === 'users' ? 'users' : 'projects'; } });
    tabList.append(tabs[name]);
  }
  tabList.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') return;
    const names = Object.keys(tabs);
    const i = names.findIndex((n) => tabs[n] === document.activeElement);
    const next = names[(i + (ev.key === 'ArrowRight' ? 1 : names.length - 1)) % names.length];
    tabs[next].focus();
    tabs[next].click();
  });
  replace(main, h('div', { class: 'admin-page' },
    h('div', { class: 'page-head' }, h('h1', { t: 'admin.title' })), tabList, panels.projects, panels.users));

  function selectTab(name) {
    for (const [n, tab] of Object.entries(tabs)) {
      const on = n === name;
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
      tab.tabIndex = on ? 0 : -1;
      panels[n].hidden = !on;
    }
  }

  // ================= projects =================

  const projectsBox = h('div', { class: 'table-wrap' });
  const editorBox = h('div', { class: 'editor-box' });
  const uploadBox = h('div', { class: 'upload-box' });
  const itemsBox = h('div', { class: 'items-box' });
  const projectsMsg = h('div', { 'aria-live': 'polite' });
  replace(panels.projects,
    h('div', { class: 'section-head' }, h('h2', { t: 'admin.projects' }),
      h('a', { class: 'btn btn-primary', href: '#new', t: 'admin.new_project' })),
    projectsMsg, projectsBox, editorBox, uploadBox, itemsBox);

  let projects = [];

  async function loadProjects() {
    projects = await allProjects();
    const progress = await Promise.all(projects.map((p) =>
      get(`/projects/${encodeURIComponent(p.slug)}/progress`).then((r) => r.body, () => null)));
    drawProjects(progress);
  }

  function drawProjects(progress) {
    if (!projects.length) {
      replace(projectsBox, h('p', { class: 'muted', t: 'admin.no_projects' }));
      return;
    }
    replace(projectsBox, h('table', { class: 'data projects-table' },
      h('caption', { class: 'sr-only', t: 'admin.projects' }),
      h('thead', null, h('tr', null, ['admin.col.project', 'admin.col.status', 'admin.col.progress', 'admin.col.prompts',
        'admin.col.comparisons', 'admin.col.active', 'admin.col.raters', 'admin.col.actions']
        .map((k) => h('th', { scope: 'col', t: k })))),
      h('tbody', null, projects.map((p, i) => {
        const pr = progress[i];
        const slug = encodeURIComponent(p.slug);
        const frac = pr && pr.target_votes ? Math.min(pr.votes / pr.target_votes, 1) : 0;
        return h('tr', { dataset: { slug: p.slug } },
          h('th', { scope: 'row' }, h('span', { class: 'cell-title' }, p.title), h('span', { class: 'muted mono small' }, p.slug)),
          h('td', { tAttrs: { 'data-label': 'admin.col.status' } }, h('span', { class: `badge badge-${p.status}`, t: `status.${p.status}` })),
          h('td', { class: 'progress-cell', tAttrs: { 'data-label': 'admin.col.progress' } }, pr
            ? [h('progress', { max: 1, value: frac, tAttrs: { 'aria-label': ['admin.progress_of', { title: p.title }] } }),
              h('span', { class: 'small', t: ['admin.votes_of', { votes: pr.votes, target: pr.target_votes, pct: fmtPercent(frac) }] })]
            : '–'),
          h('td', { class: 'num', tAttrs: { 'data-label': 'admin.col.prompts' } }, pr ? fmtNumber(pr.prompts) : '–'),
          h('td', { class: 'num', tAttrs: { 'data-label': 'admin.col.comparisons' } }, pr ? fmtNumber(pr.comparisons) : '–'),
          h('td', { class: 'num', tAttrs: { 'data-label': 'admin.col.active' } }, pr ? fmtNumber(pr.active_assignments) : '–'),
          h('td', { class: 'num', tAttrs: { 'data-label': 'admin.col.raters' } }, pr ? fmtNumber(pr.raters) : '–'),
          h('td', null, h('div', { class: 'actions' },
            h('a', { class: 'btn btn-small', href: `#project=${slug}`, t: 'admin.edit' }),
            h('a', { class: 'btn btn-small btn-quiet', href: `/quality/${slug}`, t: 'home.quality' }),
            h('a', { class: 'btn btn-small btn-quiet', href: `/leaderboard/${slug}`, t: 'home.leaderboard' }),
            p.status === 'active' ? h('a', { class: 'btn btn-small btn-quiet', href: `/rate/${slug}`, t: 'home.rate' }) : null)));
      }))));
  }

  function projectForm(p) {
    const create = !p;
    p = p || { title: '', guidelines: '', outcomes: OUTCOMES, flags: DEFAULT_FLAGS, rationale: 'optional', overlap: 1,
      lease_seconds: 600, schedule: 'coverage', gold_rate: 0, qc_min_seconds: 4, qc_min_gold_accuracy: 0.7, raters: 'all', reviewers: [], status: 'active' };
    const msg = h('div', { class: 'form-msg', 'aria-live': 'polite' });
    const slug = create ? h('input', { name: 'slug', required: true, pattern: '[a-z0-9][a-z0-9_-]{0,63}', autocomplete: 'off', spellcheck: 'false' }) : null;
    const title = h('input', { name: 'title', required: true, maxlength: 200, value: p.title });
    const status = h('select', { name: 'status' }, STATUSES.map((s) => h('option', { value: s, t: `status.${s}` })));
    status.value = p.status;
    const rationale = h('select', { name: 'rationale' }, RATIONALES.map((s) => h('option', { value: s, t: `rationale.${s}` })));
    rationale.value = p.rationale;
    const schedule = h('select', { name: 'schedule' }, SCHEDULES.map((s) => h('option', { value: s, t: `schedule.${s}` })));
    schedule.value = p.schedule || 'coverage';
    const overlap = h('input', { name: 'overlap', type: 'number', min: 1, max: 100, required: true, value: p.overlap });
    const lease = h('input', { name: 'lease_seconds', type: 'number', min: 10, max: 86400, required: true, value: p.lease_seconds });
    const gold = h('input', { name: 'gold_rate', type: 'number', min: 0, max: 1, step: 0.01, required: true, value: p.gold_rate });
    const qcSeconds = h('input', { name: 'qc_min_seconds', type: 'number', min: 0, max: 3600, step: 'any', required: true, value: p.qc_min_seconds });
    const qcGold = h('input', { name: 'qc_min_gold_accuracy', type: 'number', min: 0, max: 1, step: 0.01, required: true, value: p.qc_min_gold_accuracy });
    const flags = h('input', { name: 'flags', value: (p.flags || []).join(', '), autocomplete: 'off', spellcheck: 'false' });
    const outcomeBoxes = OUTCOMES.map((o) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'outcomes', value: o, checked: (p.outcomes || []).includes(o), disabled: o === 'a' || o === 'b' }),
      ' ', h('span', { t: `outcome.${o}` })));
    const allRaters = p.raters === 'all' || p.raters === undefined;
    const ratersAll = h('input', { type: 'radio', name: 'raters_mode', value: 'all', checked: allRaters });
    const ratersSome = h('input', { type: 'radio', name: 'raters_mode', value: 'list', checked: !allRaters });
    const raters = h('input', { name: 'raters', value: allRaters ? '' : (p.raters || []).join(', '), autocomplete: 'off',
      spellcheck: 'false', tAttrs: { 'aria-label': 'admin.f.raters_list' } });
    const reviewers = h('input', { name: 'reviewers', value: (p.reviewers || []).join(', '), autocomplete: 'off', spellcheck: 'false' });
    const guidelines = h('textarea', { name: 'guidelines', rows: 14, class: 'mono', value: p.guidelines || '' });
    guidelines.value = p.guidelines || '';
    // focusable: it scrolls, and a keyboard must be able to scroll it
    const preview = h('div', { class: 'md preview card', 'aria-live': 'off', id: newId('preview'), tabindex: 0, role: 'region' });
    // The server renders the preview (POST /markdown: markdown.c, as for answers and for the
    // raters' guidelines), asked 300 ms after the last key; only the latest answer is shown.
    let previewTimer = 0;
    let previewAsked = 0;
    const showPreview = (html) => replace(preview, guidelinesBody(html, 'admin.preview_empty'));
    const drawPreview = async () => {
      const asked = ++previewAsked;
      if (!guidelines.value.trim()) {
        showPreview('');
        return;
      }
      try {
        const { body } = await post('/markdown', { text: guidelines.value });
        if (asked === previewAsked) showPreview(body.html);
      } catch (err) {
        if (asked === previewAsked) replace(preview, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
      }
    };
    guidelines.addEventListener('input', () => {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(drawPreview, 300);
    });
    if (typeof p.guidelines_html === 'string') showPreview(p.guidelines_html);
    else drawPreview();
    const work = workOptions(create ? null : p);
    const syncRaters = () => { raters.disabled = ratersAll.checked; };
    ratersAll.addEventListener('change', syncRaters);
    ratersSome.addEventListener('change', syncRaters);
    syncRaters();

    const save = h('button', { type: 'submit', class: 'btn btn-primary', t: create ? 'admin.create_project' : 'admin.save' });
    const form = h('form', { class: 'project-form card', novalidate: true, dataset: { mode: create ? 'create' : 'edit' } },
      h('h3', { t: create ? 'admin.new_project' : ['admin.edit_project', { title: p.title }] }),
      h('div', { class: 'form-grid' },
        create ? field('admin.f.slug', slug, 'admin.h.slug') : null,
        field('admin.f.title', title),
        field('admin.f.status', status),
        field('admin.f.rationale', rationale),
        field('admin.f.overlap', overlap, 'admin.h.overlap'),
        field('admin.f.lease', lease, 'admin.h.lease'),
        field('admin.f.schedule', schedule, 'admin.h.schedule'),
        field('admin.f.gold_rate', gold, 'admin.h.gold_rate'),
        field('admin.f.qc_min_seconds', qcSeconds, 'admin.h.qc_min_seconds'),
        field('admin.f.qc_min_gold_accuracy', qcGold, 'admin.h.qc_min_gold_accuracy'),
        h('fieldset', { class: 'field outcomes' }, h('legend', { t: 'admin.f.outcomes' }), outcomeBoxes),
        field('admin.f.flags', flags, 'admin.h.flags'),
        h('fieldset', { class: 'field raters' }, h('legend', { t: 'admin.f.raters' }),
          h('label', { class: 'check' }, ratersAll, ' ', h('span', { t: 'admin.raters_all' })),
          h('label', { class: 'check' }, ratersSome, ' ', h('span', { t: 'admin.raters_some' })), raters),
        field('admin.f.reviewers', reviewers, 'admin.h.reviewers'),
        work.el),
      h('div', { class: 'guidelines-edit' },
        field('admin.f.guidelines', guidelines, 'admin.h.guidelines'),
        h('div', { class: 'field' }, h('span', { class: 'label', id: `${preview.id}-l`, t: 'admin.preview' }), preview)),
      msg,
      h('div', { class: 'actions' }, save, h('a', { class: 'btn btn-quiet', href: '#projects', t: 'common.cancel' })));
    preview.setAttribute('aria-labelledby', `${preview.id}-l`);

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = {
        title: title.value.trim(),
        guidelines: guidelines.value,
        status: status.value,
        rationale: rationale.value,
        overlap: Number(overlap.value),
        lease_seconds: Number(lease.value),
        schedule: schedule.value,
        gold_rate: Number(gold.value),
        qc_min_seconds: Number(qcSeconds.value),
        qc_min_gold_accuracy: Number(qcGold.value),
        outcomes: OUTCOMES.filter((o) => form.querySelector(`input[name=outcomes][value=${o}]`).checked),
        flags: list(flags.value),
        raters: ratersAll.checked ? 'all' : list(raters.value),
        reviewers: list(reviewers.value),
      };
      const options = work.values();
      if (!options) {
        replace(msg, h('p', { class: 'notice notice-error', role: 'alert', t: 'work.criteria_invalid' }));
        return;
      }
      Object.assign(body, options);
      let send = body;
      if (create) {
        send = { slug: slug.value.trim(), ...body };
      } else {
        send = {};
        for (const [k, v] of Object.entries(body)) {
          const was = k === 'raters' && p.raters === undefined ? 'all' : p[k];
          if (!sameJson(v, was)) send[k] = v;
        }
        if (!Object.keys(send).length) {
          ok(msg, 'admin.nothing_changed');
          return;
        }
      }
      save.disabled = true;
      try {
        const res = create ? await post('/projects', send) : await patch(`/projects/${encodeURIComponent(p.slug)}`, send);
        clearInvalid(form);
        ok(msg, create ? 'admin.project_created' : 'admin.project_saved', { title: res.body.title });
        await loadProjects();
        if (create) location.hash = `project=${encodeURIComponent(res.body.slug)}`;
        else Object.assign(p, res.body);
      } catch (err) {
        formError(msg, form, err);
      } finally {
        save.disabled = false;
      }
    });
    return form;
  }

  function uploadForm(p) {
    const fileId = newId('file');
    const input = h('input', { type: 'file', id: fileId, name: 'file', class: 'file-input',
      accept: '.jsonl,.ndjson,.json,application/x-ndjson,application/json', required: true });
    const fileName = h('span', { class: 'muted file-name', t: 'admin.no_file' });
    input.addEventListener('change', () => {
      const f = input.files && input.files[0];
      if (f) {
        fileName.removeAttribute('data-i18n');
        fileName.textContent = `${f.name} (${fmtNumber(f.size)} B)`;
      } else {
        bind(fileName, 'admin.no_file');
      }
    });
    const partial = h('input', { type: 'checkbox', name: 'partial' });
    const bar = h('progress', { class: 'upload-progress', max: 1, value: 0, hidden: true, tAttrs: { 'aria-label': 'admin.upload_progress' } });
    const pct = h('span', { class: 'small', 'aria-live': 'polite' });
    const report = h('div', { class: 'upload-report', 'aria-live': 'polite' });
    const send = h('button', { type: 'submit', class: 'btn btn-primary', t: 'admin.upload' });
    const form = h('form', { class: 'upload-form card', novalidate: true },
      h('h3', { t: ['admin.upload_to', { title: p.title }] }),
      h('p', { class: 'hint', t: 'admin.upload_hint' }),
      h('div', { class: 'field file-field' },
        h('span', { class: 'label', t: 'admin.f.file' }),
        h('div', { class: 'file-row' }, input, h('label', { for: fileId, class: 'btn', t: 'admin.choose_file_btn' }), fileName)),
      h('label', { class: 'check' }, partial, ' ', h('span', { t: 'admin.partial' })),
      h('div', { class: 'actions' }, send, bar, pct),
      report);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const file = input.files && input.files[0];
      if (!file) {
        replace(report, h('p', { class: 'notice notice-warn', role: 'alert', t: 'admin.choose_file' }));
        input.focus();
        return;
      }
      send.disabled = true;
      bar.hidden = false;
      bar.value = 0;
      replace(report);
      bind(pct, 'admin.uploading', { pct: fmtPercent(0) });
      try {
        const res = await upload(`/projects/${encodeURIComponent(p.slug)}/items`, file,
          partial.checked ? { partial: 'true' } : null, (f) => {
            if (f === null) bar.removeAttribute('value');
            else {
              bar.value = f;
              bind(pct, 'admin.uploading', { pct: fmtPercent(f) });
            }
          });
        bar.value = 1;
        bind(pct, 'admin.upload_done');
        showReport(res.body, false);
        loadProjects().catch(() => {});
      } catch (err) {
        bar.hidden = true;
        replace(pct);
        if (err instanceof ApiError && err.body && Array.isArray(err.body.errors)) {
          showReport(err.body, true);
        } else {
          replace(report, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
        }
      } finally {
        send.disabled = false;
      }
    });

    function showReport(r, rejected) {
      // line order, whatever order the server found them in (a line may have several problems)
      const errors = (r.errors || []).map((e, i) => [e, i]).sort((x, y) => (x[0].line - y[0].line) || (x[1] - y[1])).map((x) => x[0]);
      const rows = errors.map((e) => h('tr', { dataset: { line: e.line } },
        h('td', { class: 'num', tAttrs: { 'data-label': 'admin.col.line' } }, fmtNumber(e.line)),
        h('td', { class: 'mono', tAttrs: { 'data-label': 'admin.col.id' } }, e.id || '–'),
        h('td', { class: 'mono', tAttrs: { 'data-label': 'admin.col.code' } }, e.code),
        h('td', { tAttrs: { 'data-label': 'admin.col.message' } }, e.message)));
      replace(report,
        h('p', { class: `notice ${rejected ? 'notice-error' : (r.rejected ? 'notice-warn' : 'notice-ok')}`, role: rejected ? 'alert' : 'status',
          dataset: { result: rejected ? 'rejected' : 'stored' } },
        // nothing is stored when the upload is refused: its valid lines are "valid", not "accepted"
        h('span', { t: [rejected ? 'admin.upload_counts_refused' : 'admin.upload_counts',
          { accepted: r.accepted, unchanged: r.unchanged, rejected: r.rejected }] }),
        rejected ? [' ', h('strong', { t: 'admin.upload_nothing' })] : null),
        rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'data errors-table' },
          h('caption', { t: 'admin.line_errors' }),
          h('thead', null, h('tr', null, ['admin.col.line', 'admin.col.id', 'admin.col.code', 'admin.col.message']
            .map((k) => h('th', { scope: 'col', t: k })))),
          h('tbody', null, rows))) : null,
        r.errors_truncated ? h('p', { class: 'hint', t: 'admin.errors_truncated' }) : null);
    }
    return form;
  }

  /**
   * A two-step button: the first press shows what will happen (confirmKey) and arms it, the
   * second within 8 s does it. Returns the button and its explanation (a live region).
   */
  function confirmButton(labelKey, confirmKey, vars, action) {
    const note = h('span', { class: 'confirm-note', role: 'status' });
    const btn = h('button', { type: 'button', class: 'btn btn-small btn-danger', t: labelKey });
    let armed = 0;
    const disarm = () => {
      clearTimeout(armed);
      armed = 0;
      bind(btn, labelKey);
      replace(note);
    };
    btn.addEventListener('click', async () => {
      if (!armed) {
        bind(note, confirmKey, vars());
        bind(btn, 'admin.confirm_delete');
        armed = setTimeout(disarm, 8000);
        return;
      }
      disarm();
      btn.disabled = true;
      try {
        await action();
      } finally {
        btn.disabled = false;
      }
    });
    return [btn, note];
  }

  /** The project's items: a search over ids and prompts, pages of 50, deleting one or all. */
  function itemsSection(p) {
    const slug = encodeURIComponent(p.slug);
    const msg = h('div', { class: 'form-msg', 'aria-live': 'polite' });
    const qId = newId('items-q');
    const q = h('input', { id: qId, name: 'q', type: 'search', autocomplete: 'off', maxlength: 200 });
    const body = h('tbody');
    const more = h('div', { class: 'actions' });
    const table = h('table', { class: 'data items-table' },
      h('caption', { class: 'sr-only', t: ['admin.items_of', { title: p.title }] }),
      h('thead', null, h('tr', null, ['admin.col.id', 'admin.col.prompt', 'admin.col.category', 'admin.col.models',
        'admin.col.votes', 'admin.col.actions'].map((k) => h('th', { scope: 'col', t: k })))),
      body);
    const count = h('p', { class: 'hint items-count', 'aria-live': 'polite' });

    function fail(err) {
      if (err instanceof ApiError && err.status === 401) { ctx.sessionExpired(); return; }
      replace(msg, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
    }

    function itemRow(it) {
      const row = h('tr', { dataset: { item: it.id } });
      const [btn, note] = confirmButton('admin.delete_item', 'admin.delete_item_confirm', () => ({ id: it.id, n: it.votes }), async () => {
        try {
          const res = await del(`/projects/${slug}/items/${encodeURIComponent(it.id)}`);
          row.remove();
          ok(msg, 'admin.item_deleted', { id: it.id, n: res.body && res.body.votes_kept != null ? res.body.votes_kept : it.votes });
          loadProjects().catch(() => {});
        } catch (err) {
          fail(err);
        }
      });
      btn.dataset.action = 'delete-item';
      row.append(
        h('th', { scope: 'row', class: 'mono' }, it.id),
        h('td', { class: 'item-prompt', tAttrs: { 'data-label': 'admin.col.prompt' } },
          it.prompt.length > 160 ? `${it.prompt.slice(0, 159)}…` : it.prompt),
        h('td', { tAttrs: { 'data-label': 'admin.col.category' } }, [it.category, it.language].filter(Boolean).join(' · ') || '–'),
        h('td', { class: 'mono small', tAttrs: { 'data-label': 'admin.col.models' } }, (it.models || []).join(', ')),
        h('td', { class: 'num', tAttrs: { 'data-label': 'admin.col.votes' } }, fmtNumber(it.votes)),
        h('td', null, h('div', { class: 'actions' }, btn, note)));
      return row;
    }

    let shown = 0;
    async function page(cursor) {
      const query = { limit: 50, cursor };
      if (q.value.trim()) query.q = q.value.trim();
      const { body: res } = await get(`/projects/${slug}/items`, query);
      if (!cursor) { replace(body); shown = 0; }
      body.append(...res.items.map(itemRow));
      shown += res.items.length;
      bind(count, shown ? (res.next_cursor ? 'admin.items_shown_more' : 'admin.items_shown') : 'admin.items_none', { n: shown });
      replace(more, res.next_cursor ? h('button', { type: 'button', class: 'btn', dataset: { action: 'more-items' }, t: 'qc.more',
        onclick: () => page(res.next_cursor).catch(fail) }) : null);
    }

    const search = h('form', { class: 'inline items-search', role: 'search' },
      h('label', { for: qId, t: 'admin.items_search' }), q,
      h('button', { type: 'submit', class: 'btn btn-small', t: 'admin.search' }));
    search.addEventListener('submit', (ev) => {
      ev.preventDefault();
      replace(msg);
      page(null).catch(fail);
    });

    const [delProject, delNote] = confirmButton('admin.delete_project', 'admin.delete_project_confirm',
      () => ({ title: p.title }), async () => {
        try {
          const res = await del(`/projects/${slug}`);
          location.hash = 'projects';
          ok(projectsMsg, 'admin.project_deleted', { title: p.title, n: res.body ? res.body.votes_kept : 0 });
          await loadProjects();
        } catch (err) {
          fail(err);
        }
      });
    delProject.dataset.action = 'delete-project';
    const section = h('section', { class: 'items-section card', 'aria-labelledby': 'items-h' },
      h('h3', { id: 'items-h', t: ['admin.items_of', { title: p.title }] }),
      search, count, msg, h('div', { class: 'table-wrap' }, table), more,
      h('div', { class: 'danger-zone' }, h('h4', { t: 'admin.delete_project' }),
        h('p', { class: 'hint', t: 'admin.delete_project_hint' }), h('div', { class: 'actions' }, delProject, delNote)));
    page(null).catch(fail);
    return section;
  }

  async function showProject(slug) {
    if (slug === null) {
      replace(editorBox, projectForm(null));
      replace(uploadBox);
      replace(itemsBox);
      editorBox.querySelector('input[name=slug]').focus();
      return;
    }
    try {
      const { body } = await get(`/projects/${encodeURIComponent(slug)}`);
      replace(editorBox, projectForm(body));
      replace(uploadBox, uploadForm(body));
      replace(itemsBox, itemsSection(body));
      editorBox.querySelector('h3').scrollIntoView({ block: 'start' });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      replace(editorBox, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
      replace(uploadBox);
      replace(itemsBox);
    }
  }

  // ================= users =================

  const usersBox = h('div', { class: 'table-wrap' });
  const tokenArea = h('div', { class: 'token-area' });
  const usersMsg = h('div', { 'aria-live': 'polite' });

  function createUserForm() {
    const msg = h('div', { class: 'form-msg' });
    const name = h('input', { name: 'name', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 64 });
    const role = h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r, t: `role.${r}` })));
    const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: 8 });
    const form = h('form', { class: 'user-form card', novalidate: true },
      h('h3', { t: 'admin.new_user' }),
      h('div', { class: 'form-grid' }, field('admin.f.name', name), field('admin.f.role', role),
        field('admin.f.password', password, 'admin.h.password')),
      msg,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary', t: 'admin.create_user' })));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { name: name.value.trim(), role: role.value };
      if (password.value) body.password = password.value;
      try {
        const res = await post('/users', body);
        clearInvalid(form);
        replace(msg);
        replace(tokenArea, tokenBox(res.body.name, res.body.token));
        form.reset();
        await loadUsers();
        tokenArea.querySelector('input').focus();
      } catch (err) {
        formError(msg, form, err);
      }
    });
    return form;
  }

  async function allUsers() {
    return (await getAll('/users')).items;
  }


  async function changeUser(u, body, okKey) {
    try {
      const res = await patch(`/users/${encodeURIComponent(u.name)}`, body);
      Object.assign(u, res.body);
      ok(usersMsg, okKey, { name: u.name });
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) { ctx.sessionExpired(); return false; }
      replace(usersMsg, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
      return false;
    }
  }

  function userRow(u) {
    const row = h('tr', { dataset: { user: u.name } });
    const roleSel = h('select', { name: 'role', tAttrs: { 'aria-label': ['admin.role_of', { name: u.name }] } },
      ROLES.map((r) => h('option', { value: r, t: `role.${r}` })));
    roleSel.value = u.role;
    roleSel.addEventListener('change', async () => {
      const before = u.role;
      if (!(await changeUser(u, { role: roleSel.value }, 'admin.role_changed'))) roleSel.value = before;
    });
    const state = h('span');
    const toggle = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'toggle' } });
    const drawState = () => {
      replace(state, h('span', { class: `badge ${u.disabled ? 'badge-closed' : 'badge-active'}`, t: u.disabled ? 'admin.disabled' : 'admin.enabled' }));
      bind(toggle, u.disabled ? 'admin.enable' : 'admin.disable');
    };
    drawState();
    toggle.addEventListener('click', async () => {
      if (await changeUser(u, { disabled: !u.disabled }, u.disabled ? 'admin.user_enabled' : 'admin.user_disabled')) drawState();
    });
    const pwRow = h('div', { class: 'inline-form', hidden: true });
    const pw = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', minlength: 8,
      tAttrs: { 'aria-label': ['admin.new_password_for', { name: u.name }] } });
    const pwForm = h('form', { class: 'inline', novalidate: true }, pw,
      h('button', { type: 'submit', class: 'btn btn-small btn-primary', t: 'admin.save' }),
      h('button', { type: 'button', class: 'btn btn-small btn-quiet', t: 'common.cancel', onclick: () => { pwRow.hidden = true; } }));
    pwForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (await changeUser(u, { password: pw.value }, 'admin.password_reset')) {
        pw.value = '';
        pwRow.hidden = true;
      }
    });
    pwRow.append(pwForm);
    const pwBtn = h('button', { type: 'button', class: 'btn btn-small', t: 'admin.reset_password', dataset: { action: 'password' },
      onclick: () => { pwRow.hidden = !pwRow.hidden; if (!pwRow.hidden) pw.focus(); } });
    let armed = 0;
    const tokBtn = h('button', { type: 'button', class: 'btn btn-small', t: 'admin.new_token', dataset: { action: 'token' } });
    tokBtn.addEventListener('click', async () => {
      if (!armed) {
        bind(tokBtn, 'admin.new_token_confirm');
        tokBtn.classList.add('btn-danger');
        armed = setTimeout(() => { armed = 0; tokBtn.classList.remove('btn-danger'); bind(tokBtn, 'admin.new_token'); }, 6000);
        return;
      }
      clearTimeout(armed);
      armed = 0;
      tokBtn.classList.remove('btn-danger');
      bind(tokBtn, 'admin.new_token');
      try {
        const res = await post(`/users/${encodeURIComponent(u.name)}/token`);
        replace(usersMsg);
        replace(tokenArea, tokenBox(u.name, res.body.token));
        tokenArea.querySelector('input').focus();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) { ctx.sessionExpired(); return; }
        replace(usersMsg, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
      }
    });
    row.append(
      h('th', { scope: 'row', class: 'mono' }, u.name, u.name === ctx.user.name ? h('span', { class: 'muted', t: 'admin.you' }) : null),
      h('td', null, roleSel),
      h('td', null, state),
      h('td', { class: 'small', tAttrs: { 'data-label': 'admin.col.created' } }, dateText(u.created_at)),
      h('td', null, h('div', { class: 'actions' }, toggle, pwBtn, tokBtn, pwRow)));
    return row;
  }

  async function loadUsers() {
    const users = await allUsers();
    replace(usersBox, h('table', { class: 'data users-table' },
      h('caption', { class: 'sr-only', t: 'admin.users' }),
      h('thead', null, h('tr', null, ['admin.col.user', 'admin.col.role', 'admin.col.state', 'admin.col.created', 'admin.col.actions']
        .map((k) => h('th', { scope: 'col', t: k })))),
      h('tbody', null, users.map(userRow))));
  }

  replace(panels.users,
    h('div', { class: 'section-head' }, h('h2', { t: 'admin.users' })),
    createUserForm(), tokenArea, usersMsg, usersBox);

  // ================= routing by hash =================

  async function fromHash() {
    const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
    try {
      if (hash === 'users') {
        selectTab('users');
        return;
      }
      selectTab('projects');
      if (hash === 'new') await showProject(null);
      else if (hash.startsWith('project=')) await showProject(hash.slice(8));
      else {
        replace(editorBox);
        replace(uploadBox);
        replace(itemsBox);
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) ctx.sessionExpired();
      else replace(projectsMsg, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
    }
  }
  window.addEventListener('hashchange', fromHash, { signal });

  await Promise.all([loadProjects(), loadUsers()]);
  await fromHash();
}

