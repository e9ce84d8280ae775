// leaderboard.js - /leaderboard/{slug} for admins and analysts: the ranking table, a chart of the
// ratings with their intervals (SVG), the win-rate heatmap (GET .../matrix), the API's filters, the
// choice of plain or reliability-weighted votes, style control (ratings with the answers' length
// and Markdown taken out, the coefficients beside) and fragility (how many votes would have to go
// to swap each model with the one below it) - all kept in the page's query string, so a view can
// be shared - and links to every export.
import { ApiError, apiPath, errorMessage, get } from './api.js';
import { h, newId, replace, svg } from './dom.js';
import { bind, fmtNumber, fmtPercent, label, t } from './i18n.js';
import { scoresTables } from './ratework.js';

// The API's query parameters, with their input kinds and choices.
const FILTERS = [
  { name: 'ties', kind: 'select', options: ['half', 'davidson', 'exclude'] },
  { name: 'both_bad', kind: 'select', options: ['tie', 'exclude'] },
  { name: 'ci', kind: 'select', options: ['sandwich', 'bootstrap', 'none'] },
  { name: 'rounds', kind: 'number', min: 1, max: 100000, bootstrap: true },
  { name: 'seed', kind: 'number', min: 0, bootstrap: true },
  { name: 'category', kind: 'facet', facet: 'categories' },
  { name: 'language', kind: 'facet', facet: 'languages' },
  { name: 'since', kind: 'date' },
  { name: 'until', kind: 'date' },
  { name: 'min_votes', kind: 'number', min: 0 },
  { name: 'anchor', kind: 'model' },
  { name: 'anchor_rating', kind: 'number', step: 'any' },
];
// How votes weigh in the fit: all alike, or by their rater's reliability weight.
const WEIGHTS = ['none', 'reliability'];
// Whether the answers' style is controlled for.
const STYLES = ['none', 'control'];
const EXPORTS = ['jsonl', 'csv', 'arena', 'dpo'];
const EXT = { jsonl: 'jsonl', csv: 'csv', arena: 'jsonl', dpo: 'jsonl' };
// The filters the exports take (API.md, "Exports"); the leaderboard's CSV takes them all.
const EXPORT_FILTERS = ['category', 'language', 'since', 'until'];

/** The day after YYYY-MM-DD, as YYYY-MM-DD (UTC). */
function nextDay(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * Dates in the form are days; the API takes RFC 3339 times, `until` exclusive: a day picked as
 * "until" is covered whole, up to the start of the next day.
 */
function toApi(name, value) {
  if (name === 'since' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00Z`;
  if (name === 'until' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return `${nextDay(value)}T00:00:00Z`;
  return value;
}

/** The form's day for an `until` of the address (the day before an exclusive midnight). */
function untilDay(v) {
  const m = /^(\d{4}-\d{2}-\d{2})T00:00:00Z$/.exec(v);
  if (!m) return v.slice(0, 10);
  const d = new Date(`${m[1]}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

function niceStep(span, target) {
  const raw = span / Math.max(target, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm >= 5 ? 10 : norm >= 2 ? 5 : norm >= 1 ? 2 : 1) * mag;
}

/** The ratings chart: one row per model, its interval as a bar and its rating as a dot. */
export function ratingChart(models, fit) {
  // drawn at the width of its box (900 when unknown), so a phone sees every dot without scrolling
  const width = Math.round(Math.min(Math.max(fit || 900, 280), 900));
  const rowH = 26;
  const left = Math.min(150, Math.round(width * 0.34));
  const right = width < 500 ? 44 : 64;
  const top = 26;
  const maxChars = Math.max(Math.floor((left - 14) / 7.2), 6);
  const height = top + rowH * models.length + 12;
  const lows = models.map((m) => (m.ci_low ?? m.rating));
  const highs = models.map((m) => (m.ci_high ?? m.rating));
  let lo = Math.min(...lows);
  let hi = Math.max(...highs);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 900; hi = 1100; }
  if (hi - lo < 1) { lo -= 10; hi += 10; }
  const step = niceStep(hi - lo, 6);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const x = (v) => left + ((v - lo) / (hi - lo)) * (width - left - right);
  const titleId = newId('chart-title');
  const descId = newId('chart-desc');
  const chart = svg('svg', { class: 'rating-chart', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-labelledby': `${titleId} ${descId}`, preserveAspectRatio: 'xMinYMin meet' });
  chart.append(svg('title', { id: titleId, t: 'lb.chart_title' }));
  chart.append(svg('desc', { id: descId }, models.map((m) =>
    `${m.model}: ${fmtNumber(m.rating, { maximumFractionDigits: 1 })}`).join('; ')));
  const every = width < 500 && (hi - lo) / step > 4 ? 2 : 1; // fewer tick labels when narrow
  for (let v = lo, k = 0; v <= hi + step / 2; v += step, k++) {
    chart.append(svg('line', { class: 'grid', x1: x(v), x2: x(v), y1: top - 6, y2: height - 8 }));
    if (k % every === 0) {
      chart.append(svg('text', { class: 'tick', x: x(v), y: top - 12, 'text-anchor': 'middle' },
        fmtNumber(v, { maximumFractionDigits: 0 })));
    }
  }
  models.forEach((m, i) => {
    const y = top + i * rowH + rowH / 2;
    const name = m.model.length > maxChars ? `${m.model.slice(0, maxChars - 1)}…` : m.model;
    const g = svg('g', { class: 'row', dataset: { model: m.model } });
    g.append(svg('title', null, `${m.model}: ${fmtNumber(m.rating, { maximumFractionDigits: 1 })}` +
      (m.ci_low != null ? ` (${fmtNumber(m.ci_low, { maximumFractionDigits: 1 })} – ${fmtNumber(m.ci_high, { maximumFractionDigits: 1 })})` : '')));
    g.append(svg('text', { class: 'label', x: left - 10, y: y + 4, 'text-anchor': 'end' }, name));
    const x1 = x(m.ci_low ?? m.rating);
    const x2 = x(m.ci_high ?? m.rating);
    g.append(svg('rect', { class: 'ci-bar', x: x1, y: y - 5, width: Math.max(x2 - x1, 1.5), height: 10, rx: 3,
      dataset: { model: m.model } }));
    g.append(svg('circle', { class: 'point', cx: x(m.rating), cy: y, r: 5 }));
    g.append(svg('text', { class: 'value', x: width - right + 8, y: y + 4 },
      fmtNumber(m.rating, { maximumFractionDigits: 0 })));
    chart.append(g);
  });
  return chart;
}

function heatColor(v) {
  // blue when the row model wins, red when it loses; transparent around one half
  const a = Math.min(Math.abs(v - 0.5) * 1.6, 0.8);
  return v >= 0.5 ? `rgba(36, 86, 201, ${a.toFixed(3)})` : `rgba(201, 52, 36, ${a.toFixed(3)})`;
}

/** The heatmap: row model's win rate against the column model (observed or predicted). */
export function heatmap(matrix, which) {
  const { models } = matrix;
  const values = matrix[which] || [];
  const counts = matrix.counts || [];
  const table = h('table', { class: 'heatmap', dataset: { which } },
    h('caption', { class: 'sr-only', t: which === 'predicted' ? 'lb.heat_caption_predicted' : 'lb.heat_caption' }),
    h('thead', null, h('tr', null, h('th', { scope: 'col', class: 'corner', t: 'lb.heat_corner' }),
      models.map((m) => h('th', { scope: 'col', class: 'col-head' }, h('span', null, m))))));
  const body = h('tbody');
  models.forEach((row, i) => {
    const tr = h('tr', null, h('th', { scope: 'row' }, row));
    models.forEach((col, j) => {
      const n = (counts[i] && counts[i][j]) || 0;
      const v = values[i] ? values[i][j] : null;
      const td = h('td', { class: 'cell', dataset: { row, col } });
      if (i === j) {
        td.classList.add('diag');
        td.textContent = '·';
      } else if (v === null || v === undefined || (which === 'observed' && n === 0)) {
        td.classList.add('empty');
        bind(td, 'lb.heat_none');
        td.title = t('lb.heat_cell_none', { row, col });
      } else {
        td.textContent = fmtPercent(v);
        td.style.backgroundColor = heatColor(v);
        td.title = t('lb.heat_cell', { row, col, rate: fmtPercent(v, 1), n });
      }
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(body);
  return table;
}

export async function render(main, ctx) {
  const slug = ctx.params[0];
  const path = encodeURIComponent(slug);
  ctx.setTitle('lb.title');
  if (ctx.user.role === 'rater') {
    replace(main, h('h1', { t: 'lb.title' }), h('p', { class: 'notice notice-warn', role: 'alert', t: 'lb.staff_only' }));
    return;
  }
  const title = h('h1', { t: 'lb.title' });
  const summary = h('div', { class: 'lb-summary' });
  const tableBox = h('div', { class: 'table-wrap' });
  const chartBox = h('div', { class: 'chart-box' });
  const heatBox = h('div', { class: 'table-wrap heat-wrap' });
  const msg = h('div', { class: 'lb-msg', 'aria-live': 'polite' });
  const params = new URLSearchParams(location.search);
  let lastModels = [];
  let matrix = null;
  let which = 'observed';
  let weights = WEIGHTS.includes(params.get('weights')) ? params.get('weights') : WEIGHTS[0];
  let style = STYLES.includes(params.get('style')) ? params.get('style') : STYLES[0];
  let robustness = params.get('robustness') === 'true';
  const styleBox = h('div', { class: 'table-wrap style-box' });

  // --- the filter form ---
  const inputs = {};
  const fields = FILTERS.map((f) => {
    const id = `f-${f.name}`;
    let input;
    if (f.kind === 'select') {
      input = h('select', { id, name: f.name },
        h('option', { value: '', t: 'lb.default' }),
        f.options.map((o) => h('option', { value: o, t: `lb.opt.${f.name}.${o}` })));
    } else if (f.kind === 'model') {
      input = h('select', { id, name: f.name }, h('option', { value: '', t: 'lb.no_anchor' }));
    } else if (f.kind === 'facet') {
      input = h('select', { id, name: f.name }, h('option', { value: '', t: 'lb.any' }));
    } else {
      input = h('input', { id, name: f.name, type: f.kind === 'number' ? 'number' : f.kind,
        min: f.min, max: f.max, step: f.step, inputmode: f.kind === 'number' ? 'decimal' : null });
    }
    const v = params.get(f.name);
    if (v) {
      if (f.kind === 'model' || f.kind === 'facet') input.append(h('option', { value: v }, v));
      input.value = f.name === 'until' ? untilDay(v) : (f.kind === 'date' ? v.slice(0, 10) : v);
    }
    inputs[f.name] = input;
    return h('div', { class: `field field-${f.name}`, dataset: { bootstrap: f.bootstrap ? 'yes' : null } },
      h('label', { for: id, t: `lb.f.${f.name}` }), input);
  });
  const syncBootstrap = () => {
    const on = inputs.ci.value === 'bootstrap';
    for (const f of FILTERS.filter((x) => x.bootstrap)) {
      inputs[f.name].disabled = !on;
      inputs[f.name].closest('.field').classList.toggle('off', !on);
    }
  };
  inputs.ci.addEventListener('change', syncBootstrap);
  syncBootstrap();
  const form = h('form', { class: 'filters-form' },
    h('div', { class: 'filter-grid' }, fields),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', t: 'lb.apply' }),
      h('button', { type: 'button', class: 'btn btn-quiet', t: 'lb.reset', onclick: () => {
        for (const i of Object.values(inputs)) i.value = '';
        syncBootstrap();
        load();
      } })));
  const activeText = h('span', { class: 'muted' });
  const filterBox = h('details', { class: 'filters card', open: FILTERS.some((f) => params.get(f.name)) },
    h('summary', null, h('span', { t: 'lb.filters' }), ' ', activeText), form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load();
  });

  const which_ = ['observed', 'predicted'].map((w) => {
    const id = `heat-${w}`;
    const radio = h('input', { type: 'radio', name: 'heat-which', id, value: w, checked: w === which });
    radio.addEventListener('change', () => {
      which = w;
      drawHeat();
    });
    return h('label', { for: id, class: 'radio' }, radio, ' ', h('span', { t: `lb.heat_${w}` }));
  });

  const weightsBox = h('div', { class: 'weights' },
    h('div', { class: 'radios', role: 'radiogroup', 'aria-labelledby': 'weights-l', 'aria-describedby': 'weights-hint' },
      h('span', { id: 'weights-l', class: 'label', t: 'lb.weights_label' }), ' ',
      WEIGHTS.map((w) => {
        const id = `weights-${w}`;
        const radio = h('input', { type: 'radio', name: 'weights', id, value: w, checked: w === weights });
        radio.addEventListener('change', () => {
          weights = w;
          if (weights !== WEIGHTS[0]) robustness = false;
          syncScrutiny();
          load();
        });
        return h('label', { for: id, class: 'radio' }, radio, ' ', h('span', { t: `lb.weights.${w}` }));
      })),
    h('p', { id: 'weights-hint', class: 'hint', t: 'lb.weights_hint' }));

  // style control and fragility: they exclude each other and weights exclude fragility (the
  // server says why); the page keeps the choices consistent instead
  const styleRadios = STYLES.map((v) => {
    const id = `style-${v}`;
    const radio = h('input', { type: 'radio', name: 'style', id, value: v, checked: v === style });
    radio.addEventListener('change', () => {
      style = v;
      if (style === 'control') robustness = false;
      syncScrutiny();
      load();
    });
    return h('label', { for: id, class: 'radio' }, radio, ' ', h('span', { t: `lb.style.${v}` }));
  });
  const robustBox = h('input', { type: 'checkbox', id: 'robustness', checked: robustness });
  robustBox.addEventListener('change', () => {
    robustness = robustBox.checked;
    if (robustness) style = 'none';
    syncScrutiny();
    load();
  });
  const syncScrutiny = () => {
    for (const r of styleRadios) r.querySelector('input').checked = r.querySelector('input').value === style;
    robustBox.checked = robustness;
    robustBox.disabled = weights !== WEIGHTS[0];
  };
  const scrutinyBox = h('div', { class: 'weights scrutiny' },
    h('div', { class: 'radios', role: 'radiogroup', 'aria-labelledby': 'style-l', 'aria-describedby': 'style-hint' },
      h('span', { id: 'style-l', class: 'label', t: 'lb.style_label' }), ' ', styleRadios),
    h('p', { id: 'style-hint', class: 'hint', t: 'lb.style_hint' }),
    h('div', { class: 'radios' },
      h('label', { for: 'robustness', class: 'radio' }, robustBox, ' ', h('span', { t: 'lb.robustness' }))),
    h('p', { class: 'hint', t: 'lb.robustness_hint' }));
  syncScrutiny();

  // the links follow the filters applied (drawDownloads, at every load)
  const boardCsv = h('a', { class: 'btn', download: `${slug}-leaderboard.csv`, dataset: { format: 'leaderboard-csv' } },
    h('span', { t: 'lb.export.leaderboard_csv' }));
  const voteLinks = EXPORTS.map((f) => h('a', { class: 'btn', download: `${slug}-votes-${f}.${EXT[f]}`, dataset: { format: f } },
    h('span', { t: `lb.export.${f}` })));
  const downloadsNote = h('p', { class: 'hint downloads-note' });
  const downloads = h('ul', { class: 'downloads' },
    h('li', null, boardCsv, ' ', h('span', { class: 'muted', t: 'lb.export_hint.leaderboard_csv' })),
    EXPORTS.map((f, i) => h('li', null, voteLinks[i], ' ', h('span', { class: 'muted', t: `lb.export_hint.${f}` }))));
  function drawDownloads(q) {
    const vq = {};
    for (const k of EXPORT_FILTERS) if (q[k] !== undefined) vq[k] = q[k];
    voteLinks.forEach((a, i) => { a.href = apiPath(`/projects/${path}/votes`, { format: EXPORTS[i], ...vq }); });
    boardCsv.href = apiPath(`/projects/${path}/leaderboard`, { ...q, format: 'csv' });
    const n = Object.keys(vq).length;
    if (n) bind(downloadsNote, 'lb.downloads_filtered', { filters: Object.entries(vq).map(([k, v]) => `${k}=${v}`).join(', ') });
    else bind(downloadsNote, 'lb.downloads_all');
  }

  const scoresBox = h('div', { class: 'scores-box' });
  let hasCriteria = false; // the project scores answers: the scores per criterion are shown
  replace(main, h('div', { class: 'lb-page', dataset: { slug } },
    h('div', { class: 'page-head' }, title,
      h('div', { class: 'actions' },
        h('a', { class: 'btn btn-quiet', href: `/quality/${path}`, t: 'home.quality' }),
        h('a', { class: 'btn btn-quiet', href: '/', t: 'nav.projects' }))),
    summary, weightsBox, scrutinyBox, filterBox, msg,
    h('section', { class: 'card', 'aria-labelledby': 'chart-h' },
      h('h2', { id: 'chart-h', t: 'lb.chart' }), h('p', { class: 'hint', t: 'lb.chart_hint' }), chartBox),
    h('section', { class: 'card', 'aria-labelledby': 'table-h' },
      h('h2', { id: 'table-h', t: 'lb.table' }), tableBox, styleBox),
    scoresBox,
    h('section', { class: 'card', 'aria-labelledby': 'heat-h' },
      h('h2', { id: 'heat-h', t: 'lb.heatmap' }),
      h('div', { class: 'radios', role: 'radiogroup', tAttrs: { 'aria-label': 'lb.heatmap' } }, which_),
      h('p', { class: 'hint', t: 'lb.heat_hint' }), heatBox),
    h('section', { class: 'card', 'aria-labelledby': 'dl-h' },
      h('h2', { id: 'dl-h', t: 'lb.downloads' }), downloadsNote, downloads)));

  function query() {
    const q = {};
    for (const f of FILTERS) {
      const input = inputs[f.name];
      if (!input.disabled && input.value !== '') q[f.name] = toApi(f.name, input.value);
    }
    return q;
  }

  /** The filters and the weights, as the API and the address take them. */
  function request() {
    const q = query();
    if (weights !== WEIGHTS[0]) q.weights = weights;
    if (style !== STYLES[0]) q.style = style;
    if (robustness) q.robustness = 'true';
    return q;
  }

  /** "holds unless 3 votes are dropped", for a model and the one rated just below it. */
  function flipText(flip) {
    if (!flip) return h('span', { class: 'muted' }, '–');
    if (flip.votes == null) return h('span', { t: ['lb.flip_none', { below: flip.below }] });
    const share = fmtPercent(flip.share, flip.share < 0.001 ? 3 : 2);
    return h('span', { title: t('lb.flip_title', { below: flip.below, ids: flip.vote_ids.join(', ') }),
      t: [flip.votes === 1 ? 'lb.flip_one' : 'lb.flip', { n: flip.votes, share, below: flip.below }] });
  }

  function drawStyle(lb) {
    if (!lb.style) {
      replace(styleBox);
      return;
    }
    const st = lb.style;
    const num = (v) => fmtNumber(v, { maximumFractionDigits: 3, minimumFractionDigits: 3 });
    replace(styleBox,
      h('h3', { t: 'lb.style_coefs' }),
      h('p', { class: 'hint', t: ['lb.style_coefs_hint', { votes: st.votes, without: st.votes_without_features }] }),
      h('table', { class: 'style-coefs' },
        h('caption', { class: 'sr-only', t: 'lb.style_coefs' }),
        h('thead', null, h('tr', null, ['lb.col.feature', 'lb.col.coef', 'lb.col.ci']
          .map((k, i) => h('th', { scope: 'col', class: i ? 'num' : null, t: k })))),
        h('tbody', null, st.features.map((f) => h('tr', { dataset: { feature: f.name } },
          h('th', { scope: 'row', t: `lb.feature.${f.name}` }),
          h('td', { class: 'num' }, f.constant ? h('span', { class: 'muted', t: 'lb.constant' }) : num(f.coef)),
          h('td', { class: 'num ci' }, f.constant ? '–' : `${num(f.ci_low)} – ${num(f.ci_high)}`))))));
  }

  function drawTable(lb) {
    const lab = (k) => ({ 'data-label': `lb.col.${k}` });
    const rows = lb.models.map((m) => h('tr', { dataset: { model: m.model } },
      h('td', { class: 'num rank', tAttrs: lab('rank') }, fmtNumber(m.rank)),
      h('th', { scope: 'row', class: 'model' }, m.model,
        m.component != null && lb.components > 1 ? h('span', { class: 'badge' }, `#${m.component}`) : null),
      h('td', { class: 'num', tAttrs: lab('rating') }, fmtNumber(m.rating, { maximumFractionDigits: 1, minimumFractionDigits: 1 })),
      h('td', { class: 'num ci', tAttrs: lab('ci') }, m.ci_low != null && m.ci_high != null
        ? `${fmtNumber(m.ci_low, { maximumFractionDigits: 1, minimumFractionDigits: 1 })} – ${fmtNumber(m.ci_high, { maximumFractionDigits: 1, minimumFractionDigits: 1 })}`
        : '–'),
      h('td', { class: 'num', tAttrs: lab('votes') }, fmtNumber(m.votes)),
      h('td', { class: 'num', tAttrs: lab('win_rate') }, fmtPercent(m.win_rate, 1)),
      h('td', { class: 'num muted wltb', tAttrs: lab('wltb') }, `${fmtNumber(m.wins)} / ${fmtNumber(m.losses)} / ${fmtNumber(m.ties)} / ${fmtNumber(m.both_bad)}`),
      lb.style ? h('td', { class: 'num plain', tAttrs: lab('plain') }, fmtNumber(m.rating_plain, { maximumFractionDigits: 1, minimumFractionDigits: 1 })) : null,
      lb.method && lb.method.robustness ? h('td', { class: 'flip', tAttrs: lab('flip') }, flipText(m.flip)) : null));
    const cols = ['lb.col.rank', 'lb.col.model', 'lb.col.rating', 'lb.col.ci', 'lb.col.votes', 'lb.col.win_rate', 'lb.col.wltb'];
    if (lb.style) cols.push('lb.col.plain');
    if (lb.method && lb.method.robustness) cols.push('lb.col.flip');
    replace(tableBox, h('table', { class: 'leaderboard' },
      h('caption', { class: 'sr-only', t: 'lb.table' }),
      h('thead', null, h('tr', null,
        cols.map((k, i) => h('th', { scope: 'col', class: i === 1 || k === 'lb.col.flip' ? null : 'num', t: k })))),
      h('tbody', null, rows)));
  }

  function drawSummary(lb) {
    const m = lb.method || {};
    const pb = lb.position_bias || {};
    replace(summary,
      h('p', null, h('span', { t: ['lb.summary', { votes: lb.votes, models: lb.models.length }] }), ' ',
        h('span', { class: 'muted', t: ['lb.computed', { at: { date: lb.computed_at } }] })),
      h('p', { class: 'muted', t: ['lb.method', {
        model: label('lb.model', m.model || 'bradley-terry'),
        ties: label('lb.opt.ties', m.ties || 'half'),
        ci: label('lb.opt.ci', m.ci || 'none'),
        weights: label('lb.weights', m.weights || WEIGHTS[0]),
      }] }),
      m.style === 'control' ? h('p', { class: 'muted', t: 'lb.method_style' }) : null,
      pb.left != null ? h('p', { class: 'muted', t: ['lb.bias', { left: pb.left, right: pb.right, tie: pb.tie }] }) : null,
      lb.components > 1 ? h('p', { class: 'notice notice-warn', role: 'status', t: ['lb.components', { n: lb.components }] }) : null);
  }

  function drawAnchor(models) {
    const sel = inputs.anchor;
    const keep = sel.value;
    replace(sel, h('option', { value: '', t: 'lb.no_anchor' }), models.map((m) => h('option', { value: m.model }, m.model)));
    sel.value = keep;
  }

  function drawChart() {
    replace(chartBox, lastModels.length ? ratingChart(lastModels, chartBox.clientWidth) : h('p', { class: 'muted', t: 'lb.empty' }));
  }
  let chartWidth = 0;
  new ResizeObserver(() => {
    if (!chartBox.isConnected || Math.abs(chartBox.clientWidth - chartWidth) < 8) return;
    chartWidth = chartBox.clientWidth;
    if (lastModels.length) drawChart();
  }).observe(chartBox);

  function drawHeat() {
    if (!matrix) return;
    replace(heatBox, matrix.models && matrix.models.length ? heatmap(matrix, which) : h('p', { class: 'muted', t: 'lb.empty' }));
  }

  window.addEventListener('langchange', () => {
    drawChart();
    drawHeat();
  }, { signal: ctx.signal });

  /** The project's categories and languages, as the choices of their filters. */
  async function loadFacets() {
    try {
      const { body } = await get(`/projects/${path}/facets`);
      for (const f of FILTERS.filter((x) => x.kind === 'facet')) {
        const sel = inputs[f.name];
        const keep = sel.value;
        const values = [...new Set([...(body[f.facet] || []), ...(keep ? [keep] : [])])];
        replace(sel, h('option', { value: '', t: 'lb.any' }), values.map((v) => h('option', { value: v }, v)));
        sel.value = keep;
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      /* without facets the filters offer "any" and the address's value */
    }
  }

  /** A form mistake the API would refuse too: since after until. */
  function formProblem() {
    for (const i of Object.values(inputs)) i.removeAttribute('aria-invalid');
    const { since, until } = inputs;
    if (since.value && until.value && since.value > until.value) {
      since.setAttribute('aria-invalid', 'true');
      until.setAttribute('aria-invalid', 'true');
      return 'lb.since_after_until';
    }
    return null;
  }

  async function load() {
    const problem = formProblem();
    if (problem) {
      filterBox.open = true;
      replace(msg, h('p', { class: 'notice notice-error', role: 'alert', dataset: { field: 'since' }, t: problem }));
      return;
    }
    const n = Object.keys(query()).length;
    const q = request();
    drawDownloads(q);
    const url = new URL(location.href);
    url.search = new URLSearchParams(q).toString();
    if (n) bind(activeText, 'lb.filters_active', { n });
    else bind(activeText, 'lb.filters_none');
    history.replaceState(null, '', url);
    replace(msg, h('p', { class: 'loading', t: 'common.loading' }));
    main.querySelector('.lb-page').setAttribute('aria-busy', 'true');
    try {
      const mq = { ...q }; /* the matrix is the plain model's */
      delete mq.style;
      delete mq.robustness;
      const [lbRes, mxRes] = await Promise.all([
        get(`/projects/${path}/leaderboard`, q),
        get(`/projects/${path}/matrix`, mq),
      ]);
      if (ctx.signal.aborted) return;
      replace(msg);
      const lb = lbRes.body;
      matrix = mxRes.body;
      lastModels = lb.models || [];
      drawSummary(lb);
      drawAnchor(lastModels);
      if (!lastModels.length) {
        replace(tableBox, h('p', { class: 'muted', t: 'lb.empty' }));
      } else {
        drawTable(lb);
      }
      drawStyle(lb);
      if (hasCriteria) {
        const sq = {};
        for (const k of ['category', 'language', 'since', 'until']) if (q[k] !== undefined) sq[k] = q[k];
        const sc = await get(`/projects/${path}/scores`, sq);
        if (ctx.signal.aborted) return;
        replace(scoresBox, scoresTables(sc.body));
      }
      drawChart();
      drawHeat();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        ctx.sessionExpired();
        return;
      }
      const f = err instanceof ApiError && err.details && err.details.field;
      if (f && inputs[f]) inputs[f].setAttribute('aria-invalid', 'true');
      replace(msg, h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(err)));
    } finally {
      const page = main.querySelector('.lb-page');
      if (page) page.removeAttribute('aria-busy');
    }
  }

  try {
    const { body } = await get(`/projects/${path}`);
    title.removeAttribute('data-i18n');
    title.textContent = body.title;
    ctx.setTitle('lb.page_title', { title: body.title });
    hasCriteria = Array.isArray(body.criteria) && body.criteria.length > 0;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(main, h('h1', { t: 'lb.title' }), h('p', { class: 'notice notice-error', role: 'alert', t: ['rate.no_project', { slug }] }));
      return;
    }
    throw err;
  }
  await loadFacets();
  await load();
}
