// run.mjs - prefd's web client in a real browser (headless Debian Chromium via playwright-core):
// login, rating with the keyboard (votes checked in the database), hostile answers rendered inert,
// the messages of every failure, both languages, the leaderboard picture, the admin page with an
// upload that has a bad line, quality control (rater statistics and warnings, agreement,
// exclusions and their undoing, flagged answers, reviews, reliability-weighted rankings), a 360 px
// screen, no console error or CSP violation anywhere, the home page's progress, the leaderboard
// on a 390 px phone, its filters and downloads, axe-core and a Tab walk on every page in both
// languages, and screenshots of the main pages (and the rating page on a phone) into
// client/web/screenshots/.
//
//   PREFD_BIN=build/prefd PREFD_TEST_PGDIR=... PREFD_TEST_TMP=... node tests/e2e/browser/run.mjs [scenario...]
//
// Run by `sh tests/run.sh browser` (part of `make test`), which starts the PostgreSQL cluster.
// Exit status 0 when every scenario passed, 1 otherwise (each failure printed with its reason).
import fs from 'node:fs';
import path from 'node:path';

import { Api, Browser, DATA, PGDIR, Prefd, TMP, TOP, cli, newDatabase, psql } from './harness.mjs';

const SHOTS = process.env.PREFD_SCREENSHOTS || path.join(TOP, 'client', 'web', 'screenshots');
const MODELS = ['bard', 'claude-v1', 'gpt-3.5-turbo', 'gpt-4', 'vicuna-13b'];
const PASSWORDS = { admin: 'admin-password', rater: 'rater-password', analyst: 'analyst-password', rater2: 'rater2-password',
  reviewer: 'reviewer-password' };
const T = 10000; // default wait for one step

// ---------------------------------------------------------------- small helpers

class Failure extends Error {}

function check(cond, message) {
  if (!cond) throw new Failure(message);
}

function eq(actual, expected, message) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Failure(`${message}: expected ${e}, got ${a}`);
}

const env = {}; // filled by setup(): server, api, db, browser, page

async function login(name) {
  const { page } = env;
  await page.goto(`${env.server.url}/`);
  const current = await page.evaluate(() => fetch('/api/v1/me').then((r) => (r.ok ? r.json() : null)));
  if (current && current.name === name) return;
  if (current) {
    await page.click('#logout');
    await page.waitForSelector('input[name=username]', { timeout: T });
  }
  await page.waitForSelector('input[name=username]', { timeout: T });
  await page.fill('input[name=username]', name);
  await page.fill('input[name=password]', PASSWORDS[name]);
  await page.press('input[name=password]', 'Enter');
  await page.waitForSelector('.who-name', { timeout: T });
  eq(await page.textContent('.who-name'), name, 'logged-in user shown in the header');
}

/** The assignment id on screen (data-assignment of the comparison). */
async function assignmentId() {
  return env.page.getAttribute('.comparison', 'data-assignment', { timeout: T });
}

/** Waits until the comparison on screen is a different one than `before`. */
async function nextShown(before) {
  await env.page.waitForFunction((id) => {
    const c = document.querySelector('.comparison');
    return c && c.dataset.assignment !== id && !c.closest('[aria-busy=true]');
  }, before, { timeout: T });
}

async function shot(name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await env.page.mouse.move(1, 799); // no hover effects
  await env.page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

/** The votes of one rater in one project, oldest first. */
function votesOf(rater, slug) {
  return psql(env.db, `SELECT v.choice, v.elapsed_ms, array_to_string(v.flags_left, ','),
      array_to_string(v.flags_right, ','), v.rationale
    FROM votes v JOIN users u ON u.id = v.rater_id JOIN projects p ON p.id = v.project_id
    WHERE u.name = '${rater}' AND p.slug = '${slug}' ORDER BY v.id`);
}

// ---------------------------------------------------------------- set-up

const HOSTILE_GUIDELINES = [
  '## Rules',
  '',
  '- Judge **correctness** first.',
  '- <script>window.__pwned = "guidelines"</script> is text here.',
  '- [a bad link](javascript:window.__pwned="link") stays inert.',
  '',
  '```',
  'code <b>stays</b> code',
  '```',
].join('\n');

const HOSTILE_ITEM = {
  id: 'hostile-1',
  prompt: 'Show me <script>window.__pwned = "prompt"</script> a table',
  model_a: 'model-x',
  response_a: [
    'Here: <img src=x onerror="window.__pwned=\'img\'"> and <script>alert(1)</script>',
    '',
    '[click me](javascript:alert(document.cookie)) and <a href="javascript:alert(2)">raw</a>',
    '',
    '| name | value |',
    '|------|-------|',
    '| `a`  | **1** |',
    '| b    | 2     |',
    '',
    '```python',
    'print("<script>")',
    '```',
  ].join('\n'),
  model_b: 'model-y',
  response_b: '<svg onload="window.__pwned=\'svg\'"></svg><iframe src="javascript:alert(3)"></iframe>\n\n1. one\n2. two\n\n![pixel](http://example.invalid/p.png)',
};

async function setup() {
  const db = newDatabase('browser');
  env.db = db.name;
  const tokens = {};
  for (const [name, role] of [['admin', 'admin'], ['rater', 'rater'], ['analyst', 'analyst'], ['rater2', 'rater']]) {
    tokens[name] = cli(db.url, ['user', 'add', name, '--role', role, '--password-stdin'], `${PASSWORDS[name]}\n`);
  }
  env.server = await new Prefd(db.url).start();
  env.api = new Api(env.server.url, tokens.admin);
  env.raterApi = new Api(env.server.url, tokens.rater2);
  const { api } = env;

  const demo = JSON.parse(fs.readFileSync(path.join(DATA, 'project.json'), 'utf8'));
  await api.must(201, 'POST', '/api/v1/projects', { json: { ...demo, overlap: 3 } });
  await api.must(200, 'POST', `/api/v1/projects/${demo.slug}/items`, { raw: fs.readFileSync(path.join(DATA, 'items.jsonl')) });
  env.demo = demo.slug;

  await api.must(201, 'POST', '/api/v1/projects', { json: {
    slug: 'hostile', title: 'Hostile answers', guidelines: HOSTILE_GUIDELINES, outcomes: ['a', 'b'],
    flags: ['unsafe'], rationale: 'required' } });
  await api.must(200, 'POST', '/api/v1/projects/hostile/items', { raw: JSON.stringify(HOSTILE_ITEM) });

  await api.must(201, 'POST', '/api/v1/projects', { json: { slug: 'gold', title: 'Control pairs', gold_rate: 1, rationale: 'off' } });
  await api.must(200, 'POST', '/api/v1/projects/gold/items', { raw: JSON.stringify({
    id: 'gold-1', prompt: 'What is 2 + 2?', model_a: 'm1', response_a: '4', model_b: 'm2', response_b: '5',
    gold: 'model_a', gold_reason: 'Two plus two is four.' }) });

  await api.must(201, 'POST', '/api/v1/projects', { json: { slug: 'errors', title: 'Failure messages', rationale: 'off' } });
  await api.must(200, 'POST', '/api/v1/projects/errors/items', { raw: fs.readFileSync(path.join(DATA, 'items.jsonl')).toString().split('\n').slice(0, 3).join('\n') });

  // Historical votes make a real leaderboard, when the import endpoint exists.
  const imp = await api.request('POST', `/api/v1/projects/${demo.slug}/votes/import`, { raw: fs.readFileSync(path.join(DATA, 'votes.jsonl')) });
  env.imported = imp.status === 200;

  env.browser = await new Browser().launch();
  env.page = env.browser.page;
}

// ---------------------------------------------------------------- quality-control data

// Project "qc": four models, 30 comparisons in two categories and 6 control pairs, judged by three
// raters of different habits (overlap 3, so all of them judge every comparison) and open to one
// reviewer. The true quality of an answer is written in its text as [q=N].
const QC = 'qc';
const QC_MODELS = ['qc-model-alpha', 'qc-model-beta', 'qc-model-gamma', 'qc-model-delta'];
const QC_RATERS = ['careful', 'hasty', 'lefty'];
const QC_GOLD = 6;

function qcItems() {
  const items = [];
  for (let i = 0; i < 30; i++) {
    const a = i % 4;
    const b = (i + 1 + (i % 3)) % 4;
    const q = (m) => 100 * (4 - m) + ((i * 37 + m * 11) % 60);
    items.push({ id: `qc-${i}`, prompt: `Question ${i}: which answer is better?`, category: i % 2 ? 'writing' : 'math',
      model_a: QC_MODELS[a], response_a: `Answer ${i}a [q=${q(a)}]`, model_b: QC_MODELS[b], response_b: `Answer ${i}b [q=${q(b)}]` });
  }
  for (let i = 0; i < QC_GOLD; i++) {
    items.push({ id: `qc-gold-${i}`, prompt: `Control ${i}: which answer is right?`, category: 'math',
      model_a: QC_MODELS[0], response_a: `Right ${i} [q=900]`, model_b: QC_MODELS[3], response_b: `Wrong ${i} [q=1]`,
      gold: 'model_a', gold_reason: 'The first answer is right.' });
  }
  return items;
}

const quality = (side) => Number(/\[q=(\d+)\]/.exec(side.text)[1]);

// How each rater answers assignment a (the n-th they get): a vote body, or null to skip it.
const QC_HABITS = {
  // the better answer, after 15 to 25 s, flagging the worse one with a reason
  careful(a, n) {
    const better = quality(a.left) > quality(a.right) ? 'a' : 'b';
    const worse = better === 'a' ? 'b' : 'a';
    return { choice: better, elapsed_ms: 15000 + ((n * 997) % 10000),
      flags: { a: [], b: [], [worse]: ['factually_wrong'] }, rationale: `Answer ${worse.toUpperCase()} is wrong (${n}).` };
  },
  // the worse answer, in under a second
  hasty(a) {
    return { choice: quality(a.left) > quality(a.right) ? 'b' : 'a', elapsed_ms: 700 };
  },
  // always the left answer; skips its first two comparisons, flags the right answer of the next five
  lefty(a, n) {
    if (n < 2) return null;
    return { choice: 'a', elapsed_ms: 6000 + ((n * 389) % 3000), flags: { a: [], b: n < 7 ? ['unsafe'] : [] } };
  },
};

let qcReady = null;

/** Creates project qc and its votes once (the scenarios that need it call this). */
function qcData() {
  qcReady ||= (async () => {
    const { api } = env;
    const clients = {};
    for (const name of [...QC_RATERS, 'reviewer']) {
      // only the reviewer logs in with a password; the raters vote with their tokens
      const u = await api.must(201, 'POST', '/api/v1/users', { json: { name, role: 'rater', password: PASSWORDS[name] } });
      clients[name] = new Api(env.server.url, u.token);
    }
    await api.must(201, 'POST', '/api/v1/projects', { json: { slug: QC, title: 'Quality control', overlap: 3, gold_rate: 1,
      rationale: 'optional', flags: ['unsafe', 'factually_wrong'], reviewers: ['reviewer'] } });
    await api.must(200, 'POST', `/api/v1/projects/${QC}/items`, { raw: qcItems().map((x) => JSON.stringify(x)).join('\n') });
    for (const name of QC_RATERS) {
      const rater = clients[name];
      for (let n = 0; ; n++) {
        const next = await rater.must([200, 204], 'GET', `/api/v1/projects/${QC}/next`);
        if (!next) break;
        const body = QC_HABITS[name](next, n);
        if (body) await rater.must(201, 'POST', `/api/v1/assignments/${next.id}/vote`, { json: body });
        else await rater.must(204, 'POST', `/api/v1/assignments/${next.id}/skip`, { json: {} });
      }
    }
  })();
  return qcReady;
}

// The numbers as the page writes them in English.
const fmtN = (x, opts) => (x === null || x === undefined ? '–' : new Intl.NumberFormat('en', opts).format(x));
const fmtPct = (x) => fmtN(x, { style: 'percent', maximumFractionDigits: 0, minimumFractionDigits: 0 });

/** A rater's row of the quality page, from GET .../raters. */
function raterCells(r) {
  return {
    votes: fmtN(r.votes),
    median: r.median_seconds === null ? '–' : `${fmtN(r.median_seconds, { maximumFractionDigits: 1 })} s`,
    tie_rate: fmtPct(r.tie_rate),
    left_rate: fmtPct(r.left_rate),
    gold: r.gold_seen ? `${fmtPct(r.gold_accuracy)} of ${r.gold_seen}` : '–',
    agreement: fmtPct(r.agreement),
    accuracy: fmtPct(r.accuracy),
    weight: fmtN(r.weight, { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    reviews: `${r.reviews.agree} / ${r.reviews.disagree}`,
    skips: fmtN(r.skips),
    flags: fmtN(r.flags),
    status: r.excluded ? 'excluded' : 'counted',
  };
}

/** The rater rows on screen: name, warning codes, the warned cells and every cell's text. */
function raterRows() {
  return env.page.$$eval('.qc-raters tbody tr[data-rater]', (rows) => rows.map((tr) => ({
    rater: tr.dataset.rater,
    warnings: tr.dataset.warnings || '',
    warned: [...tr.querySelectorAll('td.qc-warn')].map((td) => `${td.dataset.col}:${td.dataset.warn}`).sort().join(' '),
    lines: [...tr.querySelectorAll('.qc-warning')].map((li) => li.textContent),
    cells: Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map((td) => [td.dataset.col, td.textContent.trim()])),
  })));
}

/** Every item of a paged list of project qc (`what`, `limit` a page), following next_cursor. */
async function qcList(what, limit) {
  const items = [];
  for (let cursor = null; ;) {
    const body = await env.api.must(200, 'GET', `/api/v1/projects/${QC}/${what}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    items.push(...body.items);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return items;
}

/** GET .../raters, every page (two raters a page), by name. */
async function qcRaters() {
  return Object.fromEntries((await qcList('raters', 2)).map((r) => [r.rater, r]));
}

/** Waits until the quality page shows rater name's status as want (excluded or counted). */
async function raterStatus(name, want) {
  await env.page.waitForFunction(([n, w]) => {
    const td = document.querySelector(`.qc-raters tr[data-rater="${n}"] td[data-col=status]`);
    return td && td.textContent.trim() === w;
  }, [name, want], { timeout: T });
}

// ---------------------------------------------------------------- scenarios

const scenarios = {};

scenarios.login = async () => {
  const { page, server } = env;
  await page.goto(`${server.url}/`);
  await page.waitForSelector('form.login-form input[name=username]', { timeout: T });
  check(await page.$('input[name=password][type=password]'), 'a password input');
  await page.fill('input[name=username]', 'rater');
  await page.fill('input[name=password]', 'not-the-password');
  await page.press('input[name=password]', 'Enter');
  await page.waitForSelector('.form-msg:not(:empty)', { timeout: T });
  check(/wrong/i.test(await page.textContent('.form-msg')), 'a wrong password says so');
  await page.fill('input[name=password]', PASSWORDS.rater);
  await page.press('input[name=password]', 'Enter');
  await page.waitForSelector('.project-card', { timeout: T });
  const slugs = await page.$$eval('.project-card', (els) => els.map((e) => e.dataset.slug));
  check(slugs.includes(env.demo), `the rater lands on their projects (saw ${slugs})`);
  check(await page.$(`.project-card[data-slug="${env.demo}"] a[href="/rate/${env.demo}"]`), 'a start-rating link');
  check(!(await page.$('a[href^="/leaderboard/"]')), 'no leaderboard link for a rater');
  // After a reload the page recovers the CSRF token from GET /me: a state change works.
  await page.reload();
  await page.waitForSelector('.project-card', { timeout: T });
  const csrf = await page.evaluate(async () => {
    const m = await (await fetch('/api/v1/me')).json();
    return m.csrf_token;
  });
  check(csrf && csrf.length > 10, 'GET /me gives the csrf_token after a reload');
};

scenarios.rating = async () => {
  const { page, server, demo } = env;
  await login('rater');
  await page.goto(`${server.url}/rate/${demo}`);
  await page.waitForSelector('.comparison [data-side="left"] .answer-body', { timeout: T });
  check(await page.$('[data-side="right"] .answer-body'), 'the right answer');
  eq(await page.$$eval('[data-choice]', (b) => b.map((x) => x.dataset.choice)), ['a', 'b', 'tie', 'both_bad'], 'choice buttons');
  check((await page.textContent('.guidelines-body')).includes('How to judge'), 'the guidelines are shown');
  check(await page.$('.guidelines-body h4'), 'guidelines Markdown rendered (a heading)');
  check(await page.$('.guidelines-body strong'), 'guidelines Markdown rendered (bold)');
  const text = await page.textContent('body');
  for (const m of MODELS) check(!text.includes(m), `no model name on the page (found ${m})`);
  const progress0 = await page.textContent('#rate-progress-text');
  check(/0 done/.test(progress0), `progress starts at 0 (${progress0})`);
  await page.keyboard.press('g'); // close the guidelines
  check(!(await page.$eval('#guidelines', (d) => d.open)), 'G toggles the guidelines');

  // 1: left better, after a short wait so that elapsed_ms is measurable
  await page.waitForTimeout(150);
  let id = await assignmentId();
  await page.keyboard.press('1');
  await nextShown(id);
  // 2 with a flag on the right answer
  id = await assignmentId();
  await page.check('[data-side="right"] input[data-flag="factually_wrong"]');
  await page.keyboard.press('2');
  await nextShown(id);
  // 3 with a rationale: typing digits in the box does not vote; Esc leaves it
  id = await assignmentId();
  await page.check('[data-side="left"] input[data-flag="unsafe"]');
  await page.fill('#rationale', 'Both 3 fine');
  await page.focus('#rationale');
  await page.keyboard.type(' 1234');
  eq(await assignmentId(), id, 'keys typed in the rationale do not vote');
  await page.keyboard.press('Escape');
  await page.keyboard.press('3');
  await nextShown(id);
  // 4, then s skips
  id = await assignmentId();
  await page.keyboard.press('4');
  await nextShown(id);
  id = await assignmentId();
  await page.keyboard.press('s');
  await nextShown(id);
  const progress = await page.textContent('#rate-progress-text');
  check(/^4 done/.test(progress), `progress after 4 votes (${progress})`);

  const votes = votesOf('rater', demo);
  eq(votes.map((v) => v[0]), ['a', 'b', 'tie', 'both_bad'], 'the stored choices');
  check(Number(votes[0][1]) >= 100, `elapsed_ms measured (${votes[0][1]})`);
  eq([votes[1][2], votes[1][3]], ['', 'factually_wrong'], 'flags of the second vote');
  eq([votes[2][2], votes[2][3], votes[2][4]], ['unsafe', '', 'Both 3 fine 1234'], 'flags and rationale of the third vote');
  eq(psql(env.db, "SELECT count(*) FROM assignments a JOIN users u ON u.id = a.rater_id WHERE u.name = 'rater' AND a.state = 'skipped'"),
    [['1']], 'one skipped assignment');
  const prog = await env.api.must(200, 'GET', `/api/v1/projects/${demo}/progress`);
  check(prog.votes >= 4, `progress counts the votes (${prog.votes})`);

  await page.reload(); // the same comparison, without the last vote's status message
  await page.waitForSelector('.comparison [data-side="left"] .answer-body', { timeout: T });
  await shot('rating');
};

scenarios.hostile = async () => {
  const { page, server, browser } = env;
  await login('rater');
  const dialogs = browser.dialogs.length;
  await page.goto(`${server.url}/rate/hostile`);
  await page.waitForSelector('.comparison [data-side="left"] .answer-body', { timeout: T });
  await page.waitForTimeout(300); // give any injected handler a chance to fire
  eq(browser.dialogs.length, dialogs, 'no dialog fired');
  eq(await page.evaluate(() => window.__pwned === undefined), true, 'no injected code ran');
  const bad = await page.evaluate(() => {
    const out = [];
    const roots = document.querySelectorAll('.comparison, .guidelines');
    for (const root of roots) {
      for (const el of root.querySelectorAll('*')) {
        if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'IMG', 'svg'].includes(el.tagName)) out.push(`<${el.tagName}>`);
        for (const a of el.attributes) {
          if (/^on/i.test(a.name)) out.push(`${el.tagName}[${a.name}]`);
          if (/^\s*javascript:/i.test(a.value)) out.push(`${el.tagName}[${a.name}=${a.value}]`);
        }
      }
    }
    return out;
  });
  eq(bad, [], 'no script, iframe, image, handler or javascript: URL in the answers or guidelines');
  check((await page.textContent('.guidelines-body')).includes('<script>'), 'guidelines show <script> as text');
  check(await page.$('.guidelines-body .inert-link'), 'the javascript: link in the guidelines is inert');
  // which answer is left is random
  check(await page.$('.answer .inert-link'), 'the javascript: link in the answer is inert');
  check(await page.$('.answer table th'), 'a Markdown table in an answer becomes a table');
  check(await page.$('.answer pre code'), 'a code block in an answer');
  check(await page.$('.answer ol li'), 'a numbered list in an answer');
  check(await page.$('.answer .img-note'), 'a remote image becomes its alternative text');
  check((await page.textContent('.prompt-body')).includes('a table'), 'the prompt is shown');

  // Only the project's outcomes; rationale required.
  eq(await page.$$eval('[data-choice]', (b) => b.map((x) => x.dataset.choice)), ['a', 'b'], 'only the project outcomes');
  const id = await assignmentId();
  await page.keyboard.press('3');
  await page.keyboard.press('4');
  await page.keyboard.press('1');
  await page.waitForSelector('[data-kind="rate.rationale_missing"]', { timeout: T });
  eq(await assignmentId(), id, 'no vote without the required rationale');
  eq(await page.evaluate(() => document.activeElement.id), 'rationale', 'focus moves to the rationale');
  await page.keyboard.type('Left is readable.');
  await page.keyboard.press('Escape');
  await page.keyboard.press('1');
  await page.waitForSelector('[data-kind="rate.done"]', { timeout: T });
  const v = votesOf('rater', 'hostile');
  eq(v.map((x) => [x[0], x[4]]), [['a', 'Left is readable.']], 'the hostile vote with its rationale');
  check((await page.textContent('.rate-notice')).includes('Nothing is left'), 'the 204 message');

  // the panel draws the server's guidelines_html, never the source text
  await page.route('**/api/v1/projects/hostile', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    await route.fulfill({ response: res, json: { ...body, guidelines: '**the source, not shown**',
      guidelines_html: `${body.guidelines_html}<p>from guidelines_html</p>` } });
  });
  await page.reload();
  await page.waitForSelector('[data-kind="rate.done"]', { timeout: T });
  await page.waitForFunction(() => (document.querySelector('.guidelines-body') || {}).textContent?.includes('from guidelines_html'),
    null, { timeout: T });
  const shown = await page.textContent('.guidelines-body');
  check(!shown.includes('the source, not shown'), 'the guidelines source is not what is shown');
  check(shown.includes('<script>window.__pwned = "guidelines"</script>'), 'raw HTML in guidelines_html shows as text');
  eq(await page.$$eval('.guidelines-body script', (x) => x.length), 0, 'no script element from the guidelines');
  check(await page.$('.guidelines-body strong'), 'emphasis in the guidelines rendered');
  eq(await page.evaluate(() => window.__pwned === undefined), true, 'no injected code ran from the guidelines');
  await page.unroute('**/api/v1/projects/hostile');
};

scenarios.gold = async () => {
  const { page, server } = env;
  await login('rater');
  await page.goto(`${server.url}/rate/gold`);
  await page.waitForSelector('.comparison [data-side="left"]', { timeout: T });
  await page.keyboard.press('3'); // a tie misses the known answer
  await page.waitForSelector('[data-kind="gold"]', { timeout: T });
  const text = await page.textContent('[data-kind="gold"]');
  check(/expected answer was “(A|B) is better”/.test(text), `the expected answer is shown (${text})`);
  check(text.includes('Two plus two is four.'), 'the reason is shown');
  check(await page.$('.comparison'), 'the comparison stays visible with the feedback');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-kind="rate.done"]', { timeout: T });
};

scenarios.failures = async () => {
  const { page, server } = env;
  await login('rater');
  // a project that does not exist: the message alone, no empty progress or guidelines above it
  await page.goto(`${server.url}/rate/nope`);
  await page.waitForSelector('.notice-error', { timeout: T });
  eq(await page.$eval('.rate-head .progress-wrap', (e) => e.hidden), true, 'no progress for a missing project');
  eq(await page.$$eval('.rate-page .guidelines:not([hidden])', (e) => e.length), 0, 'no guidelines for a missing project');

  await page.goto(`${server.url}/rate/errors`);
  await page.waitForSelector('.comparison', { timeout: T });

  // 503 and network failure: a message, nothing saved, the retry works
  let id = await assignmentId();
  await page.route('**/api/v1/assignments/*/vote', (route) => route.fulfill({
    status: 503, contentType: 'application/json', body: '{"error":{"code":"unavailable","message":"db down"}}' }));
  await page.keyboard.press('1');
  await page.waitForSelector('[data-kind="rate.unavailable"]', { timeout: T });
  await page.unroute('**/api/v1/assignments/*/vote');
  await page.route('**/api/v1/assignments/*/vote', (route) => route.abort('connectionrefused'));
  await page.click('[data-kind="rate.unavailable"] button');
  await page.waitForSelector('[data-kind="rate.unavailable"]', { timeout: T });
  eq(votesOf('rater', 'errors').length, 0, 'nothing stored while the server is away');
  await page.unroute('**/api/v1/assignments/*/vote');
  await page.click('[data-kind="rate.unavailable"] button');
  await nextShown(id);
  eq(votesOf('rater', 'errors').map((v) => v[0]), ['a'], 'the retried vote is stored once');

  // the vote is saved but the next comparison cannot be loaded: a different message
  id = await assignmentId();
  await page.route('**/api/v1/projects/errors/next', (route) => route.fulfill({
    status: 503, contentType: 'application/json', body: '{"error":{"code":"unavailable","message":"db down"}}' }));
  await page.keyboard.press('3');
  await page.waitForSelector('[data-kind="rate.unavailable_next"]', { timeout: T });
  await page.unroute('**/api/v1/projects/errors/next');
  await page.click('[data-kind="rate.unavailable_next"] button');
  await nextShown(id);
  eq(votesOf('rater', 'errors').map((v) => v[0]), ['a', 'tie'], 'the vote before the failed load is stored');

  // the lease ran out meanwhile but nobody took the place: the vote still counts (a 410, when
  // someone did, is in the worksafe scenario)
  id = await assignmentId();
  psql(env.db, `UPDATE assignments SET expires_at = issued_at + interval '1 millisecond' WHERE token = '${id}'`);
  await page.keyboard.press('2');
  await nextShown(id);
  eq(votesOf('rater', 'errors').map((v) => v[0]), ['a', 'tie', 'b'], 'the vote on a lapsed lease is stored');

  // 401: the session ended; the login form comes back and so does the page
  psql(env.db, "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = 'rater')");
  await page.keyboard.press('1');
  await page.waitForSelector('.login .notice-warn', { timeout: T });
  check((await page.textContent('.login .notice-warn')).includes('session has expired'), 'the expired session is explained');
  await page.fill('input[name=username]', 'rater');
  await page.fill('input[name=password]', PASSWORDS.rater);
  await page.press('input[name=password]', 'Enter');
  await page.waitForSelector('.comparison', { timeout: T });
  id = await assignmentId();
  await page.keyboard.press('1');
  await nextShown(id);
  eq(votesOf('rater', 'errors').length, 4, 'voting works again after logging in');

  // 409 on next: a paused project (the comparison already on screen may still be answered)
  await env.api.must(200, 'PATCH', '/api/v1/projects/errors', { json: { status: 'paused' } });
  await page.keyboard.press('1');
  await page.waitForSelector('[data-kind="rate.inactive"]', { timeout: T });
  check(!(await page.$('.comparison')), 'no comparison while the project is paused');
  await env.api.must(200, 'PATCH', '/api/v1/projects/errors', { json: { status: 'active' } });

  // 404: no such project
  await page.goto(`${server.url}/rate/no-such-project`);
  await page.waitForSelector('[data-kind="rate.no_project"]', { timeout: T });
};

scenarios.language = async () => {
  const { page, server, demo } = env;
  await login('rater');
  await page.goto(`${server.url}/rate/${demo}`);
  await page.waitForSelector('[data-choice="a"]', { timeout: T });
  eq(await page.getAttribute('html', 'lang'), 'en', 'lang starts English');
  check((await page.textContent('[data-choice="a"]')).includes('A is better'), 'English button');
  const prompt = await page.textContent('.prompt-body');
  await page.selectOption('#lang', 'zh-CN');
  eq(await page.getAttribute('html', 'lang'), 'zh-CN', 'lang follows the switch');
  check((await page.textContent('[data-choice="a"]')).includes('A 更好'), 'the buttons are in Chinese');
  check((await page.textContent('#logout')).includes('退出'), 'the header is in Chinese');
  check((await page.textContent('#rate-progress-text')).includes('已完成'), 'the progress is in Chinese');
  eq(await page.textContent('.prompt-body'), prompt, 'the prompt is shown as written');
  await page.reload();
  await page.waitForSelector('[data-choice="a"]', { timeout: T });
  eq(await page.getAttribute('html', 'lang'), 'zh-CN', 'the language is remembered after a reload');
  check((await page.textContent('[data-choice="b"]')).includes('B 更好'), 'still Chinese after the reload');
  eq(await page.inputValue('#lang'), 'zh-CN', 'the switch shows the language');
  // every page has the switch; the home page too
  await page.goto(`${server.url}/`);
  await page.waitForSelector('.project-card', { timeout: T });
  check((await page.textContent('h1')).includes('我的项目'), 'the home page is in Chinese');
  await page.selectOption('#lang', 'en');
  check((await page.textContent('h1')).includes('Your projects'), 'back to English');
  eq(await page.getAttribute('html', 'lang'), 'en', 'lang back to en');
};

// Guidelines as the pages draw them (the server's markdown.c rendering, POST /markdown as the
// admin page's preview asks it, through answer.js's guidelinesBody), the Chinese texts of the
// API's error codes, and the string table, run in the page.
scenarios.modules = async () => {
  const { page, server } = env;
  await login('admin');
  await page.goto(`${server.url}/`);
  await page.waitForSelector('#lang', { timeout: T });
  const out = await page.evaluate(async () => {
    const { guidelinesBody } = await import('/static/answer.js');
    const { post } = await import('/static/api.js');
    const render = async (text) => {
      const { body } = await post('/markdown', { text });
      const div = document.createElement('div');
      div.append(...guidelinesBody(body.html, 'admin.preview_empty'));
      return div.innerHTML.replace(/\n/g, '');
    };
    const cases = {
      heading: '# Title\n\ntext',
      list: '- one\n- **two**\n  - nested\n\n1. first\n2. second',
      code: '```js\nlet a = "<b>";\n```',
      table: '| a | b |\n|---|:-:|\n| `x` | 2 |',
      links: '[ok](https://example.com/x) [bad](javascript:alert(1)) [data](data:text/html,hi) <https://a.example>',
      html: '<script>alert(1)</script> <img src=x onerror=alert(1)> & "quotes"',
      inline: 'snake_case_name and *em* and _em_ and \\*not em\\*',
      intraword: 'O(n1*n2) for n1*n2 cells and a*b*c',
      quote: '> quoted\n> more',
      empty: '  ',
    };
    const got = {};
    for (const [k, text] of Object.entries(cases)) got[k] = await render(text);
    return got;
  });
  eq(out.heading, '<h3>Title</h3><p>text</p>', 'heading (two levels down)');
  eq(out.list, '<ul><li>one</li><li><strong>two</strong><ul><li>nested</li></ul></li></ul><ol><li>first</li><li>second</li></ol>', 'lists');
  eq(out.code, '<pre tabindex="0"><code class="language-js">let a = "&lt;b&gt;";</code></pre>', 'fenced code');
  eq(out.table, '<div class="table-wrap"><table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td><code>x</code></td><td>2</td></tr></tbody></table></div>', 'table');
  eq(out.links, '<p><a href="https://example.com/x" target="_blank" rel="noopener noreferrer nofollow">ok</a> ' +
    '<a class="inert-link">bad</a> <a class="inert-link">data</a> ' +
    '<a href="https://a.example/" target="_blank" rel="noopener noreferrer nofollow">https://a.example</a></p>', 'links');
  eq(out.html, '<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; &amp; "quotes"</p>', 'HTML stays text');
  eq(out.intraword, '<p>O(n1*n2) for n1*n2 cells and a*b*c</p>', 'intraword asterisks stay as written');
  eq(out.inline, '<p>snake_case_name and <em>em</em> and <em>em</em> and *not em*</p>', 'inline');
  eq(out.quote, '<blockquote><p>quoted<br>more</p></blockquote>', 'block quote');
  eq(out.empty, '<p class="muted" data-i18n="admin.preview_empty">Nothing to preview.</p>', 'nothing to show');

  // the API's error codes in Chinese: the known ones translated (a field named), others not
  const errs = await page.evaluate(async () => {
    const { ApiError, errorMessage } = await import('/static/api.js');
    const { setLang } = await import('/static/i18n.js');
    const msg = (status, code, details) => errorMessage(new ApiError(status, code, `server says ${code}`, details));
    const cases = () => ({
      validation: msg(422, 'validation_failed', { field: 'overlap' }),
      validation_other: msg(422, 'validation_failed', { field: 'no_such_field' }),
      validation_plain: msg(422, 'validation_failed'),
      bad_param: msg(400, 'bad_request', { parameter: 'limit' }),
      gone: msg(410, 'gone'),
      conflict: msg(409, 'conflict'),
      unknown: msg(409, 'some_new_code'),
      limited: errorMessage(new ApiError(429, 'rate_limited', 'slow down', null, null, '42')),
    });
    setLang('zh-CN');
    const zh = cases();
    setLang('en');
    return { zh, en: cases() };
  });
  eq(errs.zh.validation, '“重叠数”一项未被接受，请检查后重试。', 'validation_failed with a known field, in Chinese');
  eq(errs.zh.validation_other, '“no_such_field”一项未被接受，请检查后重试。', 'validation_failed with another field');
  eq(errs.zh.validation_plain, '提交的内容未被接受，请检查后重试。', 'validation_failed without a field');
  eq(errs.zh.bad_param, '请求参数“limit”有误。', 'bad_request naming its parameter');
  eq(errs.zh.gone, '已过期：这项任务的保留时间已到，请重新获取。', 'gone (an expired lease) in Chinese');
  check(!/server says/.test(errs.zh.conflict), `conflict in Chinese (${errs.zh.conflict})`);
  eq(errs.zh.unknown, '冲突：server says some_new_code', 'an unknown code keeps the server\'s message');
  eq(errs.zh.limited, '尝试次数过多，请在 42 秒后重试。', 'rate_limited with Retry-After');
  eq(errs.en.validation, 'Not accepted: server says validation_failed', 'English shows the server\'s message');
  eq(errs.en.conflict, 'Conflict: server says conflict', 'English conflict');
  await page.click('#logout'); // the login scenario starts logged out
  await page.waitForSelector('input[name=username]', { timeout: T });

  // every string in both languages, with the same {placeholders}
  const src = fs.readFileSync(path.join(TOP, 'client', 'web', 'static', 'i18n.js'), 'utf8');
  const table = src.slice(src.indexOf('const STRINGS = {'), src.indexOf('\n};\n') + 3);
  const STRINGS = new Function(`${table}; return STRINGS;`)(); // eslint-disable-line no-new-func
  const bad = [];
  for (const [k, v] of Object.entries(STRINGS)) {
    if (!Array.isArray(v) || v.length !== 2 || !v[0] || !v[1]) bad.push(`${k}: not two strings`);
    else {
      const ph = (x) => (x.match(/\{\w+\}/g) || []).sort().join();
      if (ph(v[0]) !== ph(v[1])) bad.push(`${k}: placeholders differ`);
    }
  }
  check(Object.keys(STRINGS).length > 200, `the string table was read (${Object.keys(STRINGS).length} strings)`);
  eq(bad, [], 'the string table');

  // every error code the server answers with has its Chinese text
  const at = src.indexOf('const API_ERRORS_ZH = {');
  const ZH = new Function(`${src.slice(at, src.indexOf('\n};\n', at) + 3)}; return API_ERRORS_ZH;`)(); // eslint-disable-line no-new-func
  const codes = new Set();
  for (const f of fs.readdirSync(path.join(TOP, 'server')).filter((n) => n.endsWith('.c'))) {
    const c = fs.readFileSync(path.join(TOP, 'server', f), 'utf8');
    for (const m of c.matchAll(/(?:req_reply_error|early_error|fail)\(\s*[^,()]+,\s*\d{3},\s*"([a-z_]+)"/g)) codes.add(m[1]);
    for (const m of c.matchAll(/\{ "[a-z_]+", \d{3}, "([a-z_]+)"/g)) codes.add(m[1]);
  }
  check(codes.size >= 15, `the server's error codes were read (${[...codes].join(', ')})`);
  eq([...codes].filter((c) => !(c in ZH)).sort(), [], 'every error code of the server has a Chinese text');
};

/** API.md-shaped leaderboard and matrix from votes.jsonl, for when the endpoints are missing. */
function fixtures() {
  const votes = fs.readFileSync(path.join(DATA, 'votes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const fit = fs.readFileSync(path.join(TOP, 'tests', 'fixtures', 'bt', 'vicuna80-bradleyterry2.csv'), 'utf8').trim().split('\n').slice(1)
    .map((l) => l.split(','));
  const models = fit.map((r) => r[0]);
  const idx = Object.fromEntries(models.map((m, i) => [m, i]));
  const n = models.length;
  const counts = models.map(() => Array(n).fill(0));
  const wins = models.map(() => Array(n).fill(0));
  const per = models.map(() => ({ votes: 0, wins: 0, losses: 0, ties: 0 }));
  for (const v of votes) {
    const a = idx[v.model_a];
    const b = idx[v.model_b];
    counts[a][b] += 1; counts[b][a] += 1;
    per[a].votes += 1; per[b].votes += 1;
    if (v.winner === 'model_a') { wins[a][b] += 1; per[a].wins += 1; per[b].losses += 1; }
    else if (v.winner === 'model_b') { wins[b][a] += 1; per[b].wins += 1; per[a].losses += 1; }
    else { wins[a][b] += 0.5; wins[b][a] += 0.5; per[a].ties += 1; per[b].ties += 1; }
  }
  const rating = fit.map((r) => Number(r[2]));
  const se = fit.map((r) => Number(r[3]) * 400 / Math.LN10);
  const lb = {
    project: env.demo, votes: votes.length, computed_at: '2026-01-01T00:00:00Z',
    method: { model: 'bradley-terry', ties: 'half', ci: 'sandwich', rounds: null, scale: 400, base: 10, init: 1000, anchor: null },
    models: models.map((m, i) => ({ model: m, rank: 0, rating: rating[i], ci_low: rating[i] - 1.96 * se[i], ci_high: rating[i] + 1.96 * se[i],
      votes: per[i].votes, wins: per[i].wins, losses: per[i].losses, ties: per[i].ties, both_bad: 0,
      win_rate: (per[i].wins + per[i].ties / 2) / per[i].votes })),
    position_bias: { left: 3211, right: 3025, tie: 804 },
    components: 1,
  };
  for (const m of lb.models) m.rank = 1 + lb.models.filter((o) => o.ci_low > m.ci_high).length;
  const matrix = {
    models,
    counts,
    observed: counts.map((row, i) => row.map((c, j) => (c ? wins[i][j] / c : null))),
    predicted: models.map((_, i) => models.map((__, j) => 1 / (1 + 10 ** ((rating[j] - rating[i]) / 400)))),
  };
  return { lb, matrix };
}

scenarios.leaderboard = async () => {
  const { page, server, demo } = env;
  await login('analyst');
  const real = await env.api.get(`/api/v1/projects/${demo}/leaderboard`);
  const realMatrix = await env.api.get(`/api/v1/projects/${demo}/matrix`);
  let expected;
  if (real.status === 200 && realMatrix.status === 200 && env.imported) {
    expected = real.body;
  } else {
    console.log(`    PENDING: leaderboard ${real.status}, matrix ${realMatrix.status}, vote import ${env.imported ? 'ok' : 'missing'}: ` +
      'the page is checked against API.md-shaped fixtures');
    const fx = fixtures();
    expected = fx.lb;
    await page.route('**/api/v1/projects/*/leaderboard*', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(fx.lb) }));
    await page.route('**/api/v1/projects/*/matrix*', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(fx.matrix) }));
  }
  const n = expected.models.length;
  check(n >= 2, `the leaderboard has models (${n})`);
  await page.goto(`${server.url}/leaderboard/${demo}`);
  await page.waitForSelector('table.leaderboard tbody tr', { timeout: 30000 });
  eq(await page.$$eval('table.leaderboard tbody tr', (r) => r.length), n, 'one table row per model');
  eq(await page.$$eval('table.leaderboard tbody tr', (r) => r.map((x) => x.dataset.model)), expected.models.map((m) => m.model), 'models in rank order');
  eq(await page.$$eval('svg.rating-chart .ci-bar', (r) => r.length), n, 'one interval bar per model in the SVG chart');
  eq(await page.$$eval('svg.rating-chart .point', (r) => r.length), n, 'one rating dot per model');
  // bars are ordered like the ratings: the best model's dot is furthest right
  const xs = await page.$$eval('svg.rating-chart .point', (c) => c.map((x) => Number(x.getAttribute('cx'))));
  check(xs[0] >= Math.max(...xs) - 0.01, 'the first model has the highest rating in the chart');
  await page.waitForSelector('table.heatmap td.cell', { timeout: T });
  eq(await page.$$eval('table.heatmap td.cell', (c) => c.length), n * n, 'an n × n heatmap');
  const filled = await page.$$eval('table.heatmap td.cell:not(.diag):not(.empty)', (c) => c.length);
  check(filled > 0, 'heatmap cells with win rates');
  await page.check('input[value=predicted]');
  eq(await page.$$eval('table.heatmap td.cell:not(.diag):not(.empty)', (c) => c.length), n * n - n, 'predicted cells fill the matrix');
  await page.check('input[value=observed]');

  // downloads: every format, with the cookie session
  const links = await page.$$eval('.downloads a:not([data-format=leaderboard-csv])', (a) => a.map((x) => x.getAttribute('href')));
  eq(links, ['jsonl', 'csv', 'arena', 'dpo'].map((f) => `/api/v1/projects/${demo}/votes?format=${f}`), 'export links');
  const exp = await page.request.get(`${server.url}${links[1]}`);
  if (exp.status() === 404) console.log('    PENDING: GET .../votes?format= answers 404');
  else eq(exp.status(), 200, 'the CSV export downloads with the cookie session');

  // a filter goes to the API and into the address
  const asked = page.waitForRequest((r) => r.url().includes('/leaderboard?') && r.url().includes('ties=exclude'), { timeout: T });
  await page.click('details.filters summary');
  await page.selectOption('#f-ties', 'exclude');
  await page.fill('#f-min_votes', '10');
  await page.click('form.filters-form button[type=submit]');
  await asked;
  await page.waitForSelector('table.leaderboard tbody tr', { timeout: T });
  check(page.url().includes('ties=exclude') && page.url().includes('min_votes=10'), `filters kept in the address (${page.url()})`);
  await page.reload();
  await page.waitForSelector('table.leaderboard tbody tr', { timeout: T });
  eq(await page.inputValue('#f-ties'), 'exclude', 'filters restored from the address');
  await page.click('form.filters-form button.btn-quiet'); // reset
  await page.waitForFunction(() => !location.search, null, { timeout: T });
  await page.waitForSelector('table.leaderboard tbody tr', { timeout: T });
  await page.click('details.filters summary'); // closed again for the screenshot
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('leaderboard');
  await page.unroute('**/api/v1/projects/*/leaderboard*');
  await page.unroute('**/api/v1/projects/*/matrix*');
};

scenarios.weights = async () => {
  const { page, server } = env;
  await qcData();
  await login('analyst');
  const plain = await env.api.must(200, 'GET', `/api/v1/projects/${QC}/leaderboard`);
  const weighted = await env.api.must(200, 'GET', `/api/v1/projects/${QC}/leaderboard?weights=reliability`);
  eq([plain.method.weights, weighted.method.weights], ['none', 'reliability'], 'the API names the weights');
  check(weighted.models.some((m) => plain.models.find((x) => x.model === m.model).rating !== m.rating),
    'reliability weights change the ratings (the hasty rater picks the worse answer)');
  const ratings = () => page.$$eval('table.leaderboard tbody tr', (rows) => rows.map((r) => [r.dataset.model, r.children[2].textContent]));
  const expect = (lb) => lb.models.map((m) => [m.model, fmtN(m.rating, { minimumFractionDigits: 1, maximumFractionDigits: 1 })]);

  await page.goto(`${server.url}/leaderboard/${QC}`);
  await page.waitForSelector('table.leaderboard tbody tr', { timeout: T });
  check(await page.isChecked('input[name=weights][value=none]'), 'plain votes by default');
  check((await page.textContent('.lb-summary')).includes('votes: plain'), 'the method says plain votes');
  eq(await ratings(), expect(plain), 'the plain ratings');
  check(await page.$(`a[href="/quality/${QC}"]`), 'a link to the quality page');

  const asked = page.waitForRequest((r) => r.url().includes('/leaderboard?') && r.url().includes('weights=reliability'), { timeout: T });
  await page.check('input[name=weights][value=reliability]');
  await asked;
  await page.waitForFunction(() => document.querySelector('.lb-summary').textContent.includes('reliability-weighted'), null, { timeout: T });
  eq(await ratings(), expect(weighted), 'the weighted ratings');
  check(page.url().includes('weights=reliability'), `the weights kept in the address (${page.url()})`);
  check((await page.textContent('.weights .hint')).includes('reliability weight'), 'the choice is explained');
  eq(await page.textContent('.filters summary .muted'), '(none set: defaults)', 'the weights are not counted as a filter');
  await page.reload();
  await page.waitForSelector('table.leaderboard tbody tr', { timeout: T });
  check(await page.isChecked('input[name=weights][value=reliability]'), 'the weights restored from the address');
  eq(await ratings(), expect(weighted), 'the weighted ratings after a reload');

  const back = page.waitForRequest((r) => r.url().includes('/leaderboard') && !r.url().includes('weights='), { timeout: T });
  await page.check('input[name=weights][value=none]');
  await back;
  await page.waitForFunction(() => !location.search, null, { timeout: T });
  await page.waitForFunction(() => document.querySelector('.lb-summary').textContent.includes('votes: plain'), null, { timeout: T });
};

// Fragility on the demo leaderboard: the checkbox asks the API, the table says how many votes each
// order rests on, the same numbers as the API's; weights turn it off (the API refuses both).
// Rater work (issue 14): a conversation with a system prompt, sensitive text behind a warning,
// scores per answer, strength by Shift+1 and by mouse, a rewrite required when both are bad, and
// the models revealed after each vote.
const WORK_CHAT = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello.' }, { role: 'user', content: 'What is 2+2?' }];

scenarios.work = async () => {
  const { page, server, api } = env;
  await api.must(201, 'POST', '/api/v1/projects', { json: {
    slug: 'work', title: 'Rater work', rationale: 'off', strength: true, reveal: true,
    rewrite: 'required_when_both_bad',
    criteria: [{ name: 'correctness', scale: 5, labels: { en: 'Correctness', zh: '正确性' }, required: true }] } });
  const items = [{ id: 'chat', messages: WORK_CHAT, sensitive: true, responses: [{ model: 'w1', text: 'Four.' }, { model: 'w2', text: '5' }] },
    { id: 'p2', prompt: 'Name a colour.', responses: [{ model: 'w1', text: 'Blue.' }, { model: 'w2', text: 'Seven.' }] },
    { id: 'p3', prompt: 'Say hi.', responses: [{ model: 'w1', text: 'Bye.' }, { model: 'w2', text: 'No.' }] }];
  await api.must(200, 'POST', '/api/v1/projects/work/items', { raw: items.map((x) => JSON.stringify(x)).join('\n') });
  await login('rater');
  await page.goto(`${server.url}/rate/work`);
  const seen = [];
  for (let step = 0; step < 3; step++) {
    await page.waitForSelector('.comparison [data-side="left"] .answer-body', { timeout: T });
    const id = await assignmentId();
    const prompt = (await page.textContent('.prompt-body')).trim();
    seen.push(prompt);
    if (prompt === 'What is 2+2?') {
      eq(await page.$$eval('.transcript .turn', (t) => t.map((x) => x.dataset.role)), ['system', 'user', 'assistant'], 'the transcript');
      check(!(await page.$eval('.turn-system', (d) => d.open)), 'the system prompt is collapsed');
      eq(await page.$$eval('.sensitive-cover', (c) => c.length), 2, 'both answers behind a content warning');
      await page.click('[data-side="left"] .reveal-sensitive');
      eq(await page.$$eval('.sensitive-cover', (c) => c.length), 1, 'one answer revealed');
    } else {
      check(!(await page.$('.transcript')), 'no transcript for a plain prompt');
    }
    await page.selectOption('select[data-side="a"][data-criterion="correctness"]', String(step + 3));
    await page.selectOption('select[data-side="b"][data-criterion="correctness"]', '1');
    if (step === 0) {
      // keyboard: Shift+1 = A is much better
      await page.click('.prompt-body');
      await page.keyboard.press('Shift+Digit1');
    } else if (step === 1) {
      // mouse: slightly better, then B
      await page.click('input[name=strength][value="1"]');
      await page.click('[data-choice="b"]');
    } else {
      // both bad needs a rewrite: refused first, then written from answer A
      await page.click('[data-choice="both_bad"]');
      await page.waitForSelector('.notice[data-kind="work.rewrite_missing"]', { timeout: T });
      eq(await assignmentId(), id, 'no vote without the rewrite');
      await page.click('[data-rewrite-from="left"]');
      await page.fill('#rewrite', 'A good answer.');
      await page.click('[data-choice="both_bad"]');
    }
    await page.waitForSelector('.notice[data-kind="reveal"]', { timeout: T });
    const shown = [await page.textContent('.reveal .model-a'), await page.textContent('.reveal .model-b')];
    eq(shown.slice().sort(), ['w1', 'w2'], 'the models revealed after the vote');
    if (step < 2) {
      await page.keyboard.press('Enter'); // Continue has the focus
      await nextShown(id);
    }
  }
  const rows = psql(env.db, "SELECT v.choice, coalesce(v.strength::text, ''), v.scores->'a'->>'correctness', coalesce(v.rewrite, '') "
    + "FROM votes v JOIN projects p ON p.id = v.project_id WHERE p.slug = 'work' ORDER BY v.id");
  eq(rows, [['a', '3', '3', ''], ['b', '1', '4', ''], ['both_bad', '', '5', 'A good answer.']], 'the stored votes');
  await shot('work');

  // staff pages: the leaderboard's scores per criterion, exposure on the quality page, the
  // rewrite as a difference on the review page, the options in the admin editor
  await login('admin');
  await page.goto(`${server.url}/leaderboard/work`);
  await page.waitForSelector('.scores-table tbody tr', { timeout: T });
  eq((await page.$$eval('.scores-table tbody tr', (r) => r.map((x) => x.dataset.model))).sort(), ['w1', 'w2'], 'the scores table');
  await page.goto(`${server.url}/quality/work`);
  await page.waitForSelector('table.exposure tbody tr', { timeout: T });
  eq(await page.$$eval('table.exposure tbody tr', (r) => r.map((x) => [x.dataset.rater, x.cells[2].textContent])), [['rater', '1 / 3']],
    'exposure: one sensitive comparison of three');
  await page.goto(`${server.url}/review/work`);
  let diffSeen = false;
  for (let i = 0; i < 3 && !diffSeen; i++) {
    await page.waitForSelector('.comparison[data-vote]', { timeout: T });
    if (await page.$('.review-work .diff')) {
      diffSeen = true;
      const chat = (await page.textContent('.prompt-body')).includes('2+2');
      eq(await page.$$eval('.transcript .turn', (t) => t.length), chat ? 3 : 0, 'the review page shows the conversation');
      check((await page.textContent('.review-work .diff ins')).includes('good answer'), 'the rewrite shown as insertions');
    } else {
      const before = await page.getAttribute('.comparison', 'data-vote');
      await page.keyboard.press('y');
      await page.waitForFunction((v) => { const c = document.querySelector('.comparison'); return !c || c.dataset.vote !== v; }, before, { timeout: T });
    }
  }
  check(diffSeen, 'the review page shows the rewrite against the answer');
  await page.goto(`${server.url}/admin#project=work`);
  await page.waitForSelector('.work-options input[name=strength]', { timeout: T });
  check(await page.isChecked('.work-options input[name=strength]'), 'the editor shows strength on');
  eq(await page.inputValue('.work-options select[name=rewrite]'), 'required_when_both_bad', 'the editor shows the rewrite rule');
  await page.check('.work-options input[name=explicit]');
  await page.click('.project-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('.project-form .form-msg').textContent.trim() !== '', null, { timeout: T });
  const saved = await api.must(200, 'GET', '/api/v1/projects/work');
  eq([saved.explicit, saved.strength, saved.criteria.length], [true, true, 1], 'the editor saved explicit and kept the rest');
};

scenarios.fragility = async () => {
  const { page, server, demo } = env;
  await login('analyst');
  const api = await env.api.must(200, 'GET', `/api/v1/projects/${demo}/leaderboard?robustness=true`);
  await page.goto(`${server.url}/leaderboard/${demo}`);
  await page.waitForSelector('table.leaderboard tbody tr', { timeout: T });
  check(!(await page.$('table.leaderboard td.flip')), 'no fragility column by default');
  const asked = page.waitForRequest((r) => r.url().includes('/leaderboard?') && r.url().includes('robustness=true'), { timeout: T });
  await page.check('#robustness');
  await asked;
  await page.waitForSelector('table.leaderboard td.flip', { timeout: T });
  const cells = await page.$$eval('table.leaderboard tbody tr', (rows) => rows.map((r) => [r.dataset.model, r.querySelector('td.flip').textContent]));
  const byModel = Object.fromEntries(api.models.map((m) => [m.model, m.flip]));
  let found = 0;
  for (const [model, text] of cells) {
    const flip = byModel[model];
    if (!flip) eq(text, '–', `${model}: rated last, nothing below it`);
    else if (flip.votes == null) check(text.includes('no set of votes found'), `${model}: ${text}`);
    else {
      found++;
      check(text.startsWith(`holds unless ${fmtN(flip.votes)} votes`), `${model}: "${text}" says ${flip.votes} votes`);
    }
  }
  check(found >= 1, 'some order rests on a countable number of votes');
  check(page.url().includes('robustness=true'), `kept in the address (${page.url()})`);
  await page.evaluate(() => document.querySelector('table.leaderboard').scrollIntoView());
  await shot('leaderboard-fragility');
  await page.check('input[name=weights][value=reliability]');
  await page.waitForFunction(() => !document.querySelector('table.leaderboard td.flip'), null, { timeout: T });
  check(await page.isDisabled('#robustness'), 'fragility is off with weighted votes');
  await page.check('input[name=weights][value=none]');
  await page.waitForFunction(() => !location.search, null, { timeout: T });
};

scenarios.quality = async () => {
  const { page, server } = env;
  await qcData();
  await login('admin');
  await page.goto(`${server.url}/admin`);
  await page.click(`.projects-table tr[data-slug="${QC}"] a[href="/quality/${QC}"]`);
  await page.waitForSelector('.qc-raters tbody tr', { timeout: T });

  // every rater with the numbers of GET .../raters, warnings marked where the API puts them
  let api = await qcRaters();
  eq(Object.keys(api).sort(), [...QC_RATERS].sort(), 'the raters of the project');
  const codes = (r) => r.warnings.map((w) => w.code).sort();
  // Which answer is left is random, so the careful and the hasty rater (who never tie) get a side
  // bias warning only in the rare run where chance put the better answer on one side often
  // enough: the API's rule, re-derived here.
  const fair = (r) => Math.abs(r.left_rate - 0.5) <= 2.576 * Math.sqrt(0.25 / r.votes);
  const chance = (r) => (fair(r) ? [] : ['side_bias']);
  eq([api.careful.tie_rate, api.hasty.tie_rate], [0, 0], 'the careful and the hasty rater decide every comparison');
  eq(codes(api.careful), chance(api.careful), `the careful rater's warnings (left rate ${api.careful.left_rate})`);
  eq(codes(api.hasty), ['fast', 'gold', ...chance(api.hasty)].sort(), 'the hasty rater is too fast and misses the control pairs');
  check(codes(api.lefty).includes('side_bias'), `the left-only rater has a side bias (${codes(api.lefty)})`);
  check(api.careful.weight > api.hasty.weight, `the careful rater weighs more (${api.careful.weight} > ${api.hasty.weight})`);
  eq([api.careful.gold_seen, api.hasty.gold_seen, api.hasty.gold_accuracy], [QC_GOLD, QC_GOLD, 0], 'the control pairs seen and missed');
  eq(api.lefty.skips, 2, 'the skips of the left-only rater');
  const rows = await raterRows();
  eq(rows.map((r) => r.rater), Object.keys(api), 'the rows in the order of the API');
  for (const row of rows) {
    const r = api[row.rater];
    eq(row.cells, raterCells(r), `the numbers of ${row.rater}`);
    eq(row.warnings, r.warnings.map((w) => w.code).join(' '), `the warnings of ${row.rater}`);
    const columns = { fast: 'median', side_bias: 'left_rate', gold: 'gold' };
    eq(row.warned, r.warnings.map((w) => `${columns[w.code]}:${w.code}`).sort().join(' '), `the warned cells of ${row.rater}`);
  }
  const fast = api.hasty.warnings.find((w) => w.code === 'fast');
  const hastyLines = rows.find((r) => r.rater === 'hasty').lines;
  check(hastyLines.some((l) => l.includes('too fast') && l.includes(`median ${fmtN(fast.value, { maximumFractionDigits: 1 })} s`) &&
    l.includes(`below ${fmtN(fast.threshold, { maximumFractionDigits: 1 })} s`)), `the fast warning with its numbers (${hastyLines})`);
  eq(await page.getAttribute('.qc-raters tr[data-rater="hasty"] .qc-warning[data-warning=fast]', 'title'), fast.message,
    "the server's message on the warning");
  check((await page.textContent('.qc-page')).includes('over at least 10 timed votes'), 'the thresholds are explained');

  // agreement, overall and per category
  const agreement = await env.api.must(200, 'GET', `/api/v1/projects/${QC}/agreement`);
  check(agreement.units > 0 && agreement.alpha !== null, `agreement is defined (${JSON.stringify(agreement)})`);
  const two = { minimumFractionDigits: 2, maximumFractionDigits: 2 };
  eq(await page.$$eval('.qc-figures > div', (d) => d.map((x) => [x.dataset.figure, x.querySelector('dd').textContent])),
    [['alpha', fmtN(agreement.alpha, two)], ['percent', fmtPct(agreement.percent)], ['units', fmtN(agreement.units)]], 'the agreement figures');
  eq(await page.$$eval('.qc-categories tbody tr', (rows) => rows.map((r) => [r.dataset.category,
    ...[...r.querySelectorAll('td')].map((td) => td.textContent)])),
  Object.keys(agreement.by_category).sort().map((c) => [c, fmtN(agreement.by_category[c].alpha, two),
    fmtPct(agreement.by_category[c].percent), fmtN(agreement.by_category[c].units)]), 'the agreement per category');

  // flagged answers: a first page, then the rest with "More", in the API's order
  const flagged = await qcList('flags', 7);
  check(flagged.length > 20, `more flagged answers than one page (${flagged.length})`);
  const shownFlagged = () => page.$$eval('.flagged', (li) => li.map((x) => `${x.dataset.prompt}/${x.dataset.model}`));
  eq((await shownFlagged()).length, 20, 'one page of flagged answers');
  await page.click('[data-action=more]');
  await page.waitForFunction((n) => document.querySelectorAll('.flagged').length === n, flagged.length, { timeout: T });
  eq(await shownFlagged(), flagged.map((f) => `${f.prompt_id}/${f.model}`), 'every flagged answer, most flagged first');
  check(!(await page.$('[data-action=more]')), 'no "More" after the last page');
  const top = flagged[0];
  const topText = await page.textContent('.flagged');
  check(topText.includes(`votes flagging it: ${top.votes}`) && topText.includes(top.response), `the most flagged answer (${topText})`);

  // excluding a rater needs a reason; then their votes leave the rankings, until undone
  const lbBefore = await env.api.must(200, 'GET', `/api/v1/projects/${QC}/leaderboard`);
  const hastyRow = '.qc-raters tr[data-rater="hasty"]';
  const hastyForm = '.qc-raters tr[data-exclude-for="hasty"] form.exclude-form';
  await page.click(`${hastyRow} [data-action=exclude]`);
  eq(await page.evaluate(() => document.activeElement.name), 'reason', 'the reason has the focus');
  await page.click(`${hastyForm} button[type=submit]`);
  await page.waitForSelector(`${hastyForm} input[name=reason][aria-invalid=true]`, { timeout: T });
  eq((await env.api.must(200, 'GET', `/api/v1/projects/${QC}/exclusions`)).items, [], 'no exclusion without a reason');
  await page.fill(`${hastyForm} input[name=reason]`, 'Answers in under a second');
  await page.press(`${hastyForm} input[name=reason]`, 'Enter');
  await raterStatus('hasty', 'excluded');
  api = await qcRaters();
  eq(api.hasty.excluded, true, 'the API says the rater is excluded');
  let ex = (await env.api.must(200, 'GET', `/api/v1/projects/${QC}/exclusions`)).items;
  eq(ex.map((e) => [e.rater, e.reason, e.by, e.undone_at]), [['hasty', 'Answers in under a second', 'admin', null]], 'the exclusion');
  const exRow = `.qc-exclusions tr[data-exclusion="${ex[0].id}"]`;
  await page.waitForSelector(`${exRow}[data-state=standing]`, { timeout: T });
  const exText = await page.textContent(exRow);
  check(exText.includes('all votes of hasty') && exText.includes('Answers in under a second') && exText.includes('admin'),
    `the exclusion is listed (${exText})`);
  const lbExcluded = await env.api.must(200, 'GET', `/api/v1/projects/${QC}/leaderboard`);
  eq(lbExcluded.votes, lbBefore.votes - api.hasty.votes, 'the rankings leave the votes out');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('quality');

  await page.click(`${exRow} [data-action=undo]`);
  await page.waitForSelector(`${exRow}[data-state=undone]`, { timeout: T });
  await raterStatus('hasty', 'counted');
  check((await page.textContent(exRow)).includes('undone by admin'), 'who undid it');
  eq((await qcRaters()).hasty.excluded, false, 'the API says the rater counts again');
  ex = (await env.api.must(200, 'GET', `/api/v1/projects/${QC}/exclusions`)).items;
  eq([ex[0].undone_by, typeof ex[0].undone_at], ['admin', 'string'], 'the undone exclusion keeps who and when');
  eq((await env.api.must(200, 'GET', `/api/v1/projects/${QC}/leaderboard`)).votes, lbBefore.votes, 'the votes count again');

  // the row's own button undoes a standing exclusion too
  await page.click(`${hastyRow} [data-action=exclude]`);
  await page.fill(`${hastyForm} input[name=reason]`, 'Second look');
  await page.click(`${hastyForm} button[type=submit]`);
  await raterStatus('hasty', 'excluded');
  await page.click(`${hastyRow} [data-action=include]`);
  await raterStatus('hasty', 'counted');
  eq((await env.api.must(200, 'GET', `/api/v1/projects/${QC}/exclusions`)).items.map((e) => [e.reason, e.undone_by]),
    [['Answers in under a second', 'admin'], ['Second look', 'admin']], 'both exclusions undone');

  // one vote by its id; an unknown id is explained
  const [[voteId]] = psql(env.db, `SELECT v.id FROM votes v JOIN users u ON u.id = v.rater_id JOIN projects p ON p.id = v.project_id
    WHERE u.name = 'careful' AND p.slug = '${QC}' AND NOT v.is_gold ORDER BY v.id LIMIT 1`);
  await page.fill('.vote-exclude-form input[name=vote_id]', '999999999');
  await page.fill('.vote-exclude-form input[name=reason]', 'Typo test');
  await page.click('.vote-exclude-form button[type=submit]');
  await page.waitForSelector('.vote-exclude-form .notice-error', { timeout: T });
  check((await page.textContent('.vote-exclude-form .notice-error')).includes('Not found'), 'an unknown vote is not found');
  await page.fill('.vote-exclude-form input[name=vote_id]', voteId);
  await page.fill('.vote-exclude-form input[name=reason]', 'Copied answer');
  await page.click('.vote-exclude-form button[type=submit]');
  await page.waitForFunction((id) => [...document.querySelectorAll('.qc-exclusions tr[data-state=standing]')]
    .some((r) => r.textContent.includes(`vote ${id}`)), voteId, { timeout: T });
  ex = (await env.api.must(200, 'GET', `/api/v1/projects/${QC}/exclusions`)).items;
  const voteEx = ex.find((e) => e.vote_id === Number(voteId));
  check(voteEx && voteEx.reason === 'Copied answer' && !voteEx.undone_at, `the vote exclusion through the API (${JSON.stringify(ex)})`);
  eq(psql(env.db, `SELECT excluded FROM votes WHERE id = ${voteId}`), [['t']], 'the vote is excluded');
  await page.click(`.qc-exclusions tr[data-exclusion="${voteEx.id}"] [data-action=undo]`);
  await page.waitForSelector(`.qc-exclusions tr[data-exclusion="${voteEx.id}"][data-state=undone]`, { timeout: T });
  eq(psql(env.db, `SELECT excluded FROM votes WHERE id = ${voteId}`), [['f']], 'the vote counts again');

  // the thresholds in the project editor decide the warnings
  await page.goto(`${server.url}/admin#project=${QC}`);
  await page.waitForSelector('form.project-form[data-mode=edit] input[name=qc_min_seconds]', { timeout: T });
  eq([await page.inputValue('input[name=qc_min_seconds]'), await page.inputValue('input[name=qc_min_gold_accuracy]')], ['4', '0.7'],
    'the thresholds in the editor');
  check(await page.$('input[name=qc_min_seconds][aria-describedby]'), 'the threshold has a hint');
  const below = String(api.hasty.median_seconds / 2);
  await page.fill('input[name=qc_min_seconds]', below);
  await page.click('form.project-form button[type=submit]');
  await page.waitForSelector('form.project-form .notice-ok', { timeout: T });
  eq((await env.api.must(200, 'GET', `/api/v1/projects/${QC}`)).qc_min_seconds, Number(below), 'the threshold is saved');
  await page.goto(`${server.url}/quality/${QC}`);
  await page.waitForSelector('.qc-raters tbody tr', { timeout: T });
  eq(await page.getAttribute('.qc-raters tr[data-rater="hasty"]', 'data-warnings'), ['gold', ...chance(api.hasty)].join(' '),
    'no longer too fast below the new threshold');
  await env.api.must(200, 'PATCH', `/api/v1/projects/${QC}`, { json: { qc_min_seconds: 4 } });

  // the page in Chinese
  await page.reload();
  await page.waitForSelector('.qc-raters tbody tr', { timeout: T });
  await page.selectOption('#lang', 'zh-CN');
  check((await page.textContent('#qc-raters-h')).includes('评审员'), 'the headings are in Chinese');
  check((await page.textContent('.qc-raters tr[data-rater="hasty"] .qc-warning[data-warning=fast]')).includes('过快'),
    'the warnings are named in Chinese');
  check((await page.textContent('.qc-raters thead')).includes('中位用时'), 'the columns are in Chinese');
  await page.selectOption('#lang', 'en');
  check((await page.textContent('#qc-raters-h')).includes('Raters'), 'back to English');

  // analysts read the same page, without the admin's actions
  await login('analyst');
  await page.goto(`${server.url}/`);
  await page.click(`.project-card[data-slug="${QC}"] a[href="/quality/${QC}"]`);
  await page.waitForSelector('.qc-raters tbody tr', { timeout: T });
  eq((await raterRows()).map((r) => r.cells), Object.values(await qcRaters()).map(raterCells), 'the analyst sees the same numbers');
  await page.waitForSelector('.qc-exclusions tbody tr', { timeout: T });
  eq(await page.$$eval('.qc-page [data-action]:not([data-action=more]), .vote-exclude-form', (e) => e.length), 0,
    'no exclude or undo for an analyst');
};

scenarios.review = async () => {
  const { page, server } = env;
  await qcData();
  // a rater who is not a reviewer has no way in
  await login('rater');
  await page.waitForSelector(`.project-card[data-slug="${QC}"]`, { timeout: T });
  check(await page.$(`.project-card[data-slug="${QC}"] a[href="/rate/${QC}"]`), 'the rater may rate the project');
  eq(await page.$$eval('a[href^="/review/"]', (a) => a.length), 0, 'no review link for a rater who is not a reviewer');
  await page.goto(`${server.url}/review/${QC}`);
  await page.waitForSelector('[data-kind="review.not_reviewer"]', { timeout: T });

  await login('reviewer');
  await page.click(`.project-card[data-slug="${QC}"] a[href="/review/${QC}"]`);
  await page.waitForSelector('.comparison[data-vote] [data-side="right"] .answer-body', { timeout: T });
  const text = await page.textContent('body');
  for (const m of QC_MODELS) check(!text.includes(m), `no model name on the review page (found ${m})`);
  for (const r of QC_RATERS) check(!text.includes(r), `no rater name on the review page (found ${r})`);

  /** The vote on screen as the page shows it, and as stored. */
  const shown = async () => {
    const id = await page.getAttribute('.comparison', 'data-vote');
    const [row] = psql(env.db, `SELECT v.choice, array_to_string(v.flags_left, ','), array_to_string(v.flags_right, ','), v.rationale,
        i.prompt, u.name FROM votes v JOIN items i ON i.id = v.item_id JOIN users u ON u.id = v.rater_id WHERE v.id = ${id}`);
    const ui = await page.evaluate(() => ({
      choice: document.querySelector('.choice-shown').dataset.choice,
      chosen: [...document.querySelectorAll('.answer.chosen')].map((a) => a.dataset.side),
      left: [...document.querySelectorAll('[data-side=left] [data-flag]')].map((f) => f.dataset.flag).join(','),
      right: [...document.querySelectorAll('[data-side=right] [data-flag]')].map((f) => f.dataset.flag).join(','),
      rationale: (document.querySelector('.rationale-text') || { textContent: '' }).textContent,
      prompt: document.querySelector('.prompt-body').textContent.trim(),
    }));
    eq(ui, { choice: row[0], chosen: { a: ['left'], b: ['right'] }[row[0]] || [], left: row[1], right: row[2], rationale: row[3],
      prompt: row[4] }, `vote ${id} as stored`);
    return { id, rater: row[5] };
  };
  const first = await shown();

  // keys typed in the comment do not judge; Esc leaves it, N disagrees
  await page.fill('#review-comment', 'Both are fine ');
  await page.focus('#review-comment');
  await page.keyboard.type('yes no');
  eq(await page.getAttribute('.comparison', 'data-vote'), first.id, 'keys typed in the comment do not judge');
  await page.keyboard.press('Escape');
  await page.keyboard.press('n');
  await page.waitForFunction((id) => {
    const c = document.querySelector('.comparison');
    return c && c.dataset.vote !== id;
  }, first.id, { timeout: T });
  eq(psql(env.db, `SELECT verdict, comment FROM reviews WHERE vote_id = ${first.id}`), [['disagree', 'Both are fine yes no']], 'the stored disagreement');

  const second = await shown();
  await page.click('[data-verdict=agree]');
  await page.waitForFunction((id) => {
    const c = document.querySelector('.comparison');
    return c && c.dataset.vote !== id;
  }, second.id, { timeout: T });
  eq(psql(env.db, `SELECT verdict, comment FROM reviews WHERE vote_id = ${second.id}`), [['agree', '']], 'the stored agreement');

  // the reviewed raters' numbers, in the API and on the quality page
  const reviewed = {};
  for (const [who, verdict] of [[first.rater, 'disagree'], [second.rater, 'agree']]) {
    reviewed[who] ||= { agree: 0, disagree: 0 };
    reviewed[who][verdict] += 1;
  }
  const api = await qcRaters();
  for (const r of QC_RATERS) eq(api[r].reviews, reviewed[r] || { agree: 0, disagree: 0 }, `the reviews of ${r}'s votes`);

  // in Chinese; on a narrow screen
  await page.selectOption('#lang', 'zh-CN');
  check((await page.textContent('[data-verdict=agree]')).includes('同意'), 'the verdicts in Chinese');
  await page.selectOption('#lang', 'en');
  await page.setViewportSize({ width: 360, height: 740 });
  try {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    check(w <= 360, `no sideways scrolling at 360 px on the review page (${w} px)`);
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  // when every other vote is reviewed, the page says so
  psql(env.db, `INSERT INTO reviews (vote_id, reviewer_id, verdict)
    SELECT v.id, u.id, 'agree' FROM votes v JOIN projects p ON p.id = v.project_id, users u
     WHERE p.slug = '${QC}' AND u.name = 'reviewer' AND NOT v.is_gold
       AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.vote_id = v.id AND r.reviewer_id = u.id)`);
  await page.reload();
  await page.waitForSelector('[data-kind="review.done"]', { timeout: T });
  check(!(await page.$('.comparison')), 'no vote on screen');

  await login('admin');
  await page.goto(`${server.url}/quality/${QC}`);
  await page.waitForSelector('.qc-raters tbody tr', { timeout: T });
  eq((await raterRows()).map((r) => [r.rater, r.cells.reviews]), Object.values(await qcRaters()).map((r) => [r.rater, raterCells(r).reviews]),
    'the reviews on the quality page');
};

// Issue 17: the unread badge, the page of reviews of one's votes (a reply stored), the own quality
// page, the guideline-change notice with its diff, and a failed qualification, in both languages.
scenarios.learn = async () => {
  const { page, server, api } = env;
  await api.must(201, 'POST', '/api/v1/projects', { json: { slug: 'learn', title: 'Learning', overlap: 2, rationale: 'off',
    guidelines: '# Learn\nJudge correctness.\nIgnore length.' } });
  await api.must(200, 'POST', '/api/v1/projects/learn/items', { raw: [0, 1, 2, 3].map((i) => JSON.stringify({ id: `l${i}`,
    prompt: `Learning question ${i}?`, model_a: 'lm1', response_a: `First answer ${i}`, model_b: 'lm2', response_b: `Second answer ${i}` })).join('\n') });
  await login('rater');
  await page.goto(`${server.url}/rate/learn`);
  for (let k = 0; k < 2; k++) {
    const before = await assignmentId();
    await page.keyboard.press('1');
    await nextShown(before);
  }
  // an admin reviews both votes, one with a comment
  const comments = ['Good catch.', 'The second answer was correct: check the numbers.'];
  for (const [k, verdict] of [[0, 'agree'], [1, 'disagree']]) {
    const v = await api.must(200, 'GET', '/api/v1/projects/learn/review/next');
    await api.must(201, 'POST', `/api/v1/votes/${v.vote_id}/review`, { json: { verdict, comment: comments[k] } });
  }
  await page.reload();
  await page.waitForSelector('#nav .badge-unread[data-unread="2"]', { timeout: T });
  check((await page.textContent('#nav [data-learn="learn.nav_reviews"]')).includes('2 unread'), 'the badge says 2 unread');
  await page.click('#nav [data-learn="learn.nav_reviews"]');
  await page.waitForSelector('.my-review', { timeout: T });
  eq(await page.$$eval('.my-review', (a) => a.map((x) => [x.dataset.verdict, x.dataset.read])), [['disagree', 'false'], ['agree', 'false']],
    'both reviews, newest first, new');
  check((await page.textContent('.my-review[data-verdict="disagree"] .comment-text')) === comments[1], 'the comment is shown');
  const text = await page.textContent('main');
  for (const m of ['lm1', 'lm2', 'admin']) check(!text.includes(m), `no model or reviewer name on the page (found ${m})`);
  check(!(await page.$('#nav .badge-unread')), 'the badge goes once the reviews are read');
  await page.fill('.my-review[data-verdict="disagree"] textarea', 'I checked: the first one cites the source.');
  await page.click('.my-review[data-verdict="disagree"] .my-reply-form button');
  await page.waitForSelector('.my-review[data-verdict="disagree"] .my-reply[data-replied="true"]', { timeout: T });
  eq(psql(env.db, "SELECT reply FROM reviews WHERE comment = 'The second answer was correct: check the numbers.'"),
    [['I checked: the first one cites the source.']], 'the stored reply');
  await page.selectOption('#lang', 'zh-CN');
  check((await page.textContent('h1')).includes('我的投票复核'), 'the reviews page in Chinese');
  check((await page.textContent('.my-review[data-verdict="disagree"] header')).includes('不同意你的投票'), 'the verdict in Chinese');
  check((await page.textContent('#nav')).includes('我的复核'), 'the header link in Chinese');
  await shot('my-reviews');
  await page.selectOption('#lang', 'en');

  // the own quality page
  await page.click('#nav [data-learn="learn.nav_stats"]');
  await page.waitForSelector('.my-stats tr[data-metric="votes"]', { timeout: T });
  eq(await page.textContent('.my-stats tr[data-metric="votes"] td[data-col="mine"]'), '2', 'my votes');

  // the guidelines change: the notice with its diff before the next comparison, in both languages
  await api.must(200, 'PATCH', '/api/v1/projects/learn', { json: { guidelines: '# Learn\nJudge correctness and safety.\nIgnore length.' } });
  await page.goto(`${server.url}/rate/learn`);
  await page.waitForSelector('.comparison', { timeout: T }); // the one held from before comes back
  await page.keyboard.press('1');
  await page.waitForSelector('.guideline-notice', { timeout: T });
  check(!(await page.$('.comparison')), 'no comparison before the notice is acknowledged');
  eq(await page.$$eval('.guideline-notice .diff-line', (a) => a.map((x) => [x.dataset.op, x.querySelector('.diff-text').textContent])),
    [['same', '# Learn'], ['added', 'Judge correctness and safety.'], ['removed', 'Judge correctness.'], ['same', 'Ignore length.']], 'the diff');
  await page.selectOption('#lang', 'zh-CN');
  check((await page.textContent('.guideline-notice h2')).includes('评审指南已更新'), 'the notice in Chinese');
  check((await page.textContent('#guidelines-ack')).includes('我已阅读变更'), 'the button in Chinese');
  await page.selectOption('#lang', 'en');
  check((await page.textContent('.guideline-notice h2')).includes('The guidelines changed'), 'the notice in English');
  await shot('guideline-notice');
  await page.click('#guidelines-ack');
  await page.waitForSelector('.comparison', { timeout: T });
  eq(psql(env.db, "SELECT a.version, a.from_version FROM guideline_acks a JOIN users u ON u.id = a.rater_id WHERE u.name = 'rater'"),
    [['2', '1']], 'the acknowledgement is recorded with the version');

  // a failed qualification says when to try again
  await api.must(201, 'POST', '/api/v1/projects', { json: { slug: 'exam', title: 'Exam', rationale: 'off',
    qualification: { gold: 1, min_accuracy: 1, retry_after_hours: 2 } } });
  await api.must(200, 'POST', '/api/v1/projects/exam/items', { raw: [JSON.stringify({ id: 'e0', prompt: 'What is 3 + 3?', model_a: 'e1',
    response_a: '6', model_b: 'e2', response_b: '7', gold: 'model_a', gold_reason: 'Three and three make six.' }),
  JSON.stringify({ id: 'e1', prompt: 'An ordinary question', model_a: 'e1', response_a: 'x', model_b: 'e2', response_b: 'y' })].join('\n') });
  await page.goto(`${server.url}/rate/exam`);
  await page.waitForSelector('.comparison [data-side="left"]', { timeout: T });
  await page.keyboard.press('3'); // a tie misses the known answer
  await page.waitForSelector('[data-kind="gold"]', { timeout: T });
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-kind="learn.not_qualified"]', { timeout: T });
  check((await page.textContent('[data-kind="learn.not_qualified"]')).includes('try again'), 'the retry time is said');
  await page.selectOption('#lang', 'zh-CN');
  check((await page.textContent('[data-kind="learn.not_qualified"]')).includes('重试'), 'in Chinese too');
  await page.selectOption('#lang', 'en');

  // the review page's filters, kept in the address
  await login('admin');
  await page.goto(`${server.url}/review/learn?rater=rater`);
  await page.waitForSelector('.comparison[data-vote]', { timeout: T });
  const vid = await page.getAttribute('.comparison', 'data-vote');
  eq(psql(env.db, `SELECT u.name FROM votes v JOIN users u ON u.id = v.rater_id WHERE v.id = ${vid}`), [['rater']], 'a vote of that rater');
  eq(await page.inputValue('#review-rater'), 'rater', 'the rater filter is shown');
  await page.selectOption('#review-filter', 'flagged');
  await page.click('.review-filters button[type=submit]');
  await page.waitForSelector('[data-kind="review.done"]', { timeout: T });
  check(page.url().includes('filter=flagged') && page.url().includes('rater=rater'), `the filters in the address (${page.url()})`);
  await page.selectOption('#lang', 'zh-CN');
  check((await page.textContent('.review-filters')).includes('带标记的投票'), 'the filters in Chinese');
  await page.selectOption('#lang', 'en');
};

scenarios.admin = async () => {
  const { page, server } = env;
  await login('admin');
  await page.goto(`${server.url}/admin`);
  await page.waitForSelector('.projects-table tbody tr', { timeout: T });
  check(await page.$(`.projects-table tr[data-slug="${env.demo}"] progress`), 'project progress bars');

  // create a project through the form, with a guidelines preview
  await page.click('a[href="#new"]');
  await page.waitForSelector('form.project-form[data-mode=create]', { timeout: T });
  await page.fill('input[name=slug]', 'webadmin');
  await page.fill('input[name=title]', 'Made in the browser');
  const previewAsked = page.waitForResponse((r) => r.url().endsWith('/api/v1/markdown') && r.request().method() === 'POST',
    { timeout: T });
  await page.fill('textarea[name=guidelines]', '# Be fair\n\n- **read** both\n- <script>x</script>');
  eq((await previewAsked).status(), 200, 'the preview is the server\'s rendering (POST /markdown)');
  await page.waitForSelector('.preview h3', { timeout: T });
  check(await page.$('.preview li strong'), 'the preview renders emphasis');
  check((await page.textContent('.preview')).includes('<script>'), 'the preview shows raw HTML as text');
  eq(await page.$$eval('.preview script', (s) => s.length), 0, 'no script in the preview');
  await page.uncheck('input[name=outcomes][value=both_bad]');
  await page.fill('input[name=overlap]', '2');
  await page.click('form.project-form button[type=submit]');
  await page.waitForSelector('form.project-form[data-mode=edit]', { timeout: T });
  const p = await env.api.must(200, 'GET', '/api/v1/projects/webadmin');
  eq([p.title, p.overlap, p.outcomes, p.guidelines.startsWith('# Be fair')], ['Made in the browser', 2, ['a', 'b', 'tie'], true], 'the created project');

  // edit: status and gold rate (PATCH sends only what changed)
  await page.selectOption('select[name=status]', 'paused');
  await page.fill('input[name=gold_rate]', '0.1');
  await page.click('form.project-form button[type=submit]');
  await page.waitForSelector('form.project-form .notice-ok', { timeout: T });
  const p2 = await env.api.must(200, 'GET', '/api/v1/projects/webadmin');
  eq([p2.status, p2.gold_rate, p2.guidelines_version], ['paused', 0.1, 1], 'the edited project (guidelines version unchanged)');

  // the schedule: a select, coverage by default, active sent as a PATCH of that field alone
  eq(await page.inputValue('select[name=schedule]'), 'coverage', 'the schedule starts as coverage');
  await page.selectOption('select[name=schedule]', 'active');
  await page.click('form.project-form button[type=submit]');
  let schedule = '';
  for (const until = Date.now() + T; schedule !== 'active' && Date.now() < until;) {
    schedule = (await env.api.must(200, 'GET', '/api/v1/projects/webadmin')).schedule;
    if (schedule !== 'active') await new Promise((r) => setTimeout(r, 100));
  }
  eq(schedule, 'active', 'the schedule was saved');

  // a validation error names its field
  await page.fill('input[name=overlap]', '0');
  await page.click('form.project-form button[type=submit]');
  await page.waitForSelector('form.project-form input[name=overlap][aria-invalid=true]', { timeout: T });
  check((await page.textContent('form.project-form .form-msg')).includes('overlap'), 'the server\'s message in English');
  // in Chinese: the known code and its field in Chinese; an unknown code keeps the server's words
  await page.selectOption('#lang', 'zh-CN');
  await page.click('form.project-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('form.project-form .form-msg').textContent.includes('重叠数'), null, { timeout: T });
  eq(await page.textContent('form.project-form .form-msg'), '“重叠数”一项未被接受，请检查后重试。', 'a validation error in Chinese');
  await page.route('**/api/v1/projects/webadmin', (route) => (route.request().method() === 'PATCH'
    ? route.fulfill({ status: 409, contentType: 'application/json', body: '{"error":{"code":"brand_new_code","message":"words of the server"}}' })
    : route.fallback()));
  await page.fill('input[name=overlap]', '2');
  await page.fill('input[name=title]', 'Made in the browser!');
  await page.click('form.project-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('form.project-form .form-msg').textContent.includes('words of the server'), null, { timeout: T });
  eq(await page.textContent('form.project-form .form-msg'), '冲突：words of the server', 'an unknown code: the server\'s message');
  await page.unroute('**/api/v1/projects/webadmin');
  // a real conflict: a project of that slug exists
  await page.goto(`${server.url}/admin#new`);
  await page.waitForSelector('form.project-form[data-mode=create]', { timeout: T });
  await page.fill('input[name=slug]', 'webadmin');
  await page.fill('input[name=title]', 'Twice');
  await page.click('form.project-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('form.project-form .form-msg').textContent.includes('冲突'), null, { timeout: T });
  eq(await page.textContent('form.project-form .form-msg'), '操作与当前状态冲突（内容已存在、已被处理或项目已暂停），请刷新后重试。',
    'the server\'s 409 conflict in Chinese');
  await page.selectOption('#lang', 'en');
  await page.goto(`${server.url}/admin#project=webadmin`);
  await page.waitForSelector('form.project-form[data-mode=edit]', { timeout: T });

  // upload with one bad line: all-or-nothing 422 with the line's error, then partial
  const lines = [
    JSON.stringify({ id: 'w1', prompt: 'One?', responses: [{ model: 'x', text: 'a' }, { model: 'y', text: 'b' }] }),
    JSON.stringify({ id: 'w2', prompt: '', responses: [{ model: 'x', text: 'a' }, { model: 'y', text: 'b' }] }),
    JSON.stringify({ id: 'w3', prompt: 'Three?', responses: [{ model: 'x', text: 'a' }, { model: 'y', text: 'b' }] }),
  ].join('\n');
  const file = { name: 'items.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(lines) };
  await page.setInputFiles('form.upload-form input[type=file]', file);
  await page.click('form.upload-form button[type=submit]');
  await page.waitForSelector('.upload-report [data-result=rejected]', { timeout: T });
  eq(await page.$$eval('.errors-table tbody tr', (r) => r.map((x) => x.dataset.line)), ['2'], 'the bad line is reported');
  check((await page.textContent('.errors-table tbody')).includes('w2'), 'with its id');
  await page.check('form.upload-form input[name=partial]');
  await page.click('form.upload-form button[type=submit]');
  await page.waitForSelector('.upload-report [data-result=stored]', { timeout: T });
  check((await page.textContent('.upload-report')).includes('Accepted 2'), 'partial upload stores the good lines');
  eq(await page.$eval('.upload-progress', (p) => p.value), 1, 'the progress bar is full');
  await page.waitForSelector('.projects-table tr[data-slug="webadmin"]', { timeout: T });
  await page.goto(`${server.url}/admin#project=${env.demo}`);
  await page.waitForSelector('form.project-form[data-mode=edit]', { timeout: T });
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('admin');

  // users: create (token shown once), role, disable/enable, password, new token
  await page.click('#tab-users');
  await page.waitForSelector('.users-table tbody tr', { timeout: T });
  await page.fill('form.user-form input[name=name]', 'newrater');
  await page.selectOption('form.user-form select[name=role]', 'rater');
  await page.fill('form.user-form input[name=password]', 'newrater-pass');
  await page.click('form.user-form button[type=submit]');
  await page.waitForSelector('.token-box input[data-token]', { timeout: T });
  const token = await page.inputValue('.token-box input[data-token]');
  const asNew = new Api(server.url, token);
  eq((await asNew.get('/api/v1/me')).body.name, 'newrater', 'the shown token works');
  const row = '.users-table tr[data-user="newrater"]';
  await page.waitForSelector(row, { timeout: T });
  await page.selectOption(`${row} select[name=role]`, 'analyst');
  await page.waitForFunction(() => document.body.textContent.includes('has a new role'), null, { timeout: T });
  eq((await asNew.get('/api/v1/me')).body.role, 'analyst', 'the role changed');
  await page.click(`${row} button[data-action=toggle]`);
  await page.waitForFunction(() => document.body.textContent.includes('is disabled'), null, { timeout: T });
  eq((await asNew.get('/api/v1/me')).status, 401, 'a disabled user is locked out');
  await page.click(`${row} button[data-action=toggle]`);
  await page.waitForFunction(() => document.body.textContent.includes('is enabled'), null, { timeout: T });
  await page.click(`${row} button[data-action=password]`);
  await page.fill(`${row} input[name=password]`, 'another-pass-1');
  await page.press(`${row} input[name=password]`, 'Enter');
  await page.waitForFunction(() => document.body.textContent.includes('password of newrater was changed'), null, { timeout: T });
  await page.click(`${row} button[data-action=token]`);
  await page.click(`${row} button[data-action=token]`);
  await page.waitForFunction((old) => {
    const i = document.querySelector('.token-box input[data-token]');
    return i && i.value !== old;
  }, token, { timeout: T });
  eq((await asNew.get('/api/v1/me')).status, 401, 'the old token stopped working');
  const login2 = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'newrater', password: 'another-pass-1' }) });
  eq(login2.status, 200, 'the reset password works');
};

scenarios.narrow = async () => {
  const { page, server, demo } = env;
  await login('rater');
  await page.setViewportSize({ width: 360, height: 740 });
  try {
    for (const url of [`/rate/${demo}`, '/']) {
      await page.goto(server.url + url);
      await page.waitForSelector(url === '/' ? '.project-card' : 'section[data-side="left"]', { timeout: T });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      check(width <= 360, `no sideways scrolling at 360 px on ${url} (page is ${width} px wide)`);
    }
    await page.goto(`${server.url}/rate/${demo}`);
    await page.waitForSelector('section[data-side="left"]', { timeout: T });
    await page.click('.ab-button[data-show="right"]');
    const left = await page.$eval('section[data-side="left"]', (e) => e.getBoundingClientRect().toJSON());
    const right = await page.$eval('section[data-side="right"]', (e) => e.getBoundingClientRect().toJSON());
    check(left.height === 0 && right.height > 0 && right.width <= 360, 'one answer at a time on a narrow screen, switched by A/B');
    await login('admin');
    await page.goto(`${server.url}/admin`);
    await page.waitForSelector('.projects-table tbody tr', { timeout: T });
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    check(w <= 360, `no sideways scrolling at 360 px on /admin (${w} px)`);
    await qcData();
    await page.goto(`${server.url}/quality/${QC}`);
    await page.waitForSelector('.qc-raters tbody tr', { timeout: T });
    const wq = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wq <= 360, `no sideways scrolling at 360 px on the quality page (${wq} px)`);
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
};

scenarios.logout = async () => {
  const { page, server } = env;
  await login('rater');
  await page.click('#logout');
  await page.waitForSelector('input[name=username]', { timeout: T });
  eq(await page.evaluate(() => fetch('/api/v1/me').then((r) => r.status)), 401, 'the session is gone after logging out');
  await page.goto(`${server.url}/admin`);
  await page.waitForSelector('input[name=username]', { timeout: T });
};

// ---------------------------------------------------------------- issue 12: the rater's pages

// Hostile and tricky texts: every word must reach the rater, nothing may run.
const TRICKY = [
  {
    id: 'tricky-html',
    prompt: 'How do I put items in a box with <div>? Use $x_1 + x_2$ items.',
    response_a: [
      'Wrap them in a `<div>` element, e.g. `<div class="box">...</div>`.',
      '',
      'Or write <div class="box">boxcontent</div> directly, and <b>boldtag</b> too.',
      '<script>window.__pwned = "tricky"</script>',
      '<img src=x onerror="window.__pwned=\'img2\'"> imgtail',
      '',
      'Entities &amp; &lt;tag&gt; &copy; stay as typed.',
    ].join('\n'),
    response_b: [
      'The cost is O(n1*n2) for n1*n2 cells; snake_case_name and my_var_2 and 2*3*4 stay.',
      '',
      'Maths: $E = mc^2$ and $$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$$ and prices $5 or $6.',
      '',
      'Bad TeX $\\href{javascript:alert(1)}{clickme}$ and $\\frac{1}{$ end.',
      '',
      '```',
      'a *b* _c_ <i>d</i>',
      '```',
    ].join('\n'),
  },
];

/** The words of a text as a rater must see them: maths and markup characters left out. */
function visibleWords(text) {
  return text.replace(/\$\$[^$]*\$\$|\$[^$\s][^$]*?[^\s\\]\$(?!\d)/g, ' ')
    .replace(/`/g, ' ').split(/\s+/).filter((w) => w && !/^(```|#+|[-*>]|\d+\.)$/.test(w));
}

async function fidelityChecks(where) {
  const { page } = env;
  await page.waitForTimeout(300); // give any injected handler a chance to fire
  eq(await page.evaluate(() => window.__pwned === undefined), true, `${where}: no injected code ran`);
  eq(await page.$$eval('.comparison script, .comparison iframe, .comparison img', (x) => x.length), 0, `${where}: no script or image`);
  eq(await page.$$eval('.comparison *', (els) => els.filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name) ||
    /^\s*javascript:/i.test(a.value))).length), 0, `${where}: no handlers or javascript: URLs`);
  await page.waitForSelector('.comparison .maths .katex', { timeout: T });
  const item = TRICKY[0];
  const shown = await page.evaluate(() => {
    const out = {};
    for (const sec of document.querySelectorAll('.comparison .answer')) {
      out[sec.dataset.side] = { text: sec.querySelector('.rendered').innerText, raw: sec.querySelector('.as-written').textContent,
        ems: [...sec.querySelectorAll('.rendered em')].map((e) => e.textContent),
        tex: [...sec.querySelectorAll('.maths')].map((m) => m.dataset.tex) };
    }
    out.prompt = document.querySelector('.comparison .prompt-body').innerText;
    return out;
  });
  const sides = Object.values(shown).filter((s) => typeof s === 'object');
  for (const resp of [item.response_a, item.response_b]) {
    const s = sides.find((x) => x.raw === resp);
    check(s, `${where}: an answer's "as written" text is exactly the text uploaded`);
    for (const w of visibleWords(resp)) check(s.text.includes(w), `${where}: the word ${JSON.stringify(w)} is visible (shown: ${JSON.stringify(s.text)})`);
    eq(s.ems, [], `${where}: nothing turned into italics by accident`);
  }
  const maths = sides.flatMap((s) => s.tex);
  check(maths.includes('E = mc^2') && maths.some((t) => t.includes('\\sum')), `${where}: inline and display maths rendered (${maths})`);
  check(!maths.some((t) => t.startsWith('5')), `${where}: prices are not maths`);
  check(shown.prompt.includes('<div>') && shown.prompt.includes('items'), `${where}: the prompt's tag is visible text`);
  eq(await page.$$eval('.comparison .katex a, .comparison .katex [href]', (x) => x.length), 0, `${where}: \\href is not trusted`);
  // the "as written" view by keyboard: W shows both answers as written, W again renders them
  await page.focus('.comparison');
  await page.keyboard.press('w');
  eq(await page.$$eval('.comparison pre.as-written', (p) => p.map((x) => !x.hidden && x.getBoundingClientRect().height > 0)), [true, true],
    `${where}: W shows both answers as written`);
  await page.keyboard.press('w');
  const toggle = '.comparison [data-side="left"] .as-written-toggle';
  await page.focus(toggle);
  await page.keyboard.press('Enter');
  eq(await page.getAttribute(toggle, 'aria-pressed'), 'true', `${where}: the toggle is a pressed button`);
  check(await page.isVisible('.comparison [data-side="left"] pre.as-written'), `${where}: the left answer as written`);
  await page.keyboard.press('Enter');
  check(await page.isVisible('.comparison [data-side="left"] .rendered'), `${where}: and rendered again`);
}

scenarios.fidelity = async () => {
  const { page, server, api } = env;
  await api.must(201, 'POST', '/api/v1/projects', { json: { slug: 'tricky', title: 'Tricky texts', rationale: 'optional', reviewers: ['rater2'] } });
  await api.must(200, 'POST', '/api/v1/projects/tricky/items', { raw: TRICKY.map((t) => JSON.stringify({ ...t, model_a: 'ma', model_b: 'mb' })).join('\n') });
  await login('rater');
  await page.goto(`${server.url}/rate/tricky`);
  await page.waitForSelector('.comparison .answer-body', { timeout: T });
  await fidelityChecks('rating page');
  await page.selectOption('#lang', 'zh-CN');
  check((await page.textContent('.as-written-toggle')).includes('原文'), 'the toggle in Chinese');
  await page.selectOption('#lang', 'en');
  await page.fill('#rationale', 'B explains the cost.');
  await page.keyboard.press('Escape');
  await page.keyboard.press('2');
  await page.waitForSelector('[data-kind="rate.done"]', { timeout: T });

  // the review page: the same texts; the rater's choice and rationale above the answers
  await login('admin');
  await page.goto(`${server.url}/review/tricky`);
  await page.waitForSelector('.comparison .answer-body', { timeout: T });
  await fidelityChecks('review page');
  const order = await page.evaluate(() => {
    const vote = document.querySelector('.review-vote').getBoundingClientRect();
    const answers = document.querySelector('.comparison .answers').getBoundingClientRect();
    return { above: vote.bottom <= answers.top + 1, rationale: document.querySelector('.rationale-text').textContent,
      choice: document.querySelector('.choice-shown').dataset.choice };
  });
  eq(order, { above: true, rationale: 'B explains the cost.', choice: 'b' }, 'the rater\'s vote above the answers');
};

/** The checked flags and the rationale on screen, flags by answer text. */
async function draftOnScreen() {
  return env.page.evaluate(() => {
    const flags = {};
    for (const sec of document.querySelectorAll('.comparison .answer')) {
      flags[sec.querySelector('.as-written').textContent] = [...sec.querySelectorAll('input:checked')].map((b) => b.value);
    }
    return { flags, rationale: document.querySelector('#rationale').value };
  });
}

function safeItems(n) {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ id: `safe-${i}`, prompt: `Safe question ${i}?`,
    model_a: 'ma', response_a: `Safe answer ${i} from the first model.`, model_b: 'mb', response_b: `Safe answer ${i} from the second model.` })).join('\n');
}

scenarios.worksafe = async () => {
  const { page, server, api } = env;
  await api.must(201, 'POST', '/api/v1/projects', { json: { slug: 'safe', title: 'Safe work', rationale: 'optional',
    flags: ['unsafe', 'factually_wrong'], lease_seconds: 10 } });
  await api.must(200, 'POST', '/api/v1/projects/safe/items', { raw: safeItems(3) });
  await login('rater');
  await page.goto(`${server.url}/rate/safe`);
  await page.waitForSelector('.comparison', { timeout: T });
  eq(await page.textContent('#rate-progress-text'), '0 done · 3 left', 'a fresh project counts the comparison on screen');

  // the draft survives a reload, a session expiry with re-login, and losing the assignment
  await page.check('.comparison [data-side="right"] input[value="factually_wrong"]');
  await page.fill('#rationale', 'Half written');
  const want = await draftOnScreen();
  await page.reload();
  await page.waitForSelector('[data-kind="rate.draft_restored"]', { timeout: T });
  eq(await draftOnScreen(), want, 'the draft after a reload');
  psql(env.db, "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = 'rater')");
  await page.focus('.comparison');
  await page.keyboard.press('3');
  await page.waitForSelector('.login .notice-warn', { timeout: T });
  await page.fill('input[name=username]', 'rater');
  await page.fill('input[name=password]', PASSWORDS.rater);
  await page.press('input[name=password]', 'Enter');
  await page.waitForSelector('[data-kind="rate.draft_restored"]', { timeout: T });
  eq(await draftOnScreen(), want, 'the draft after the session expired and the rater logged in again');
  eq(votesOf('rater', 'safe').length, 0, 'no vote stored so far');

  // losing the assignment (a project of one comparison, so that the same one comes back)
  await api.must(201, 'POST', '/api/v1/projects', { json: { slug: 'safe-one', title: 'One comparison', rationale: 'optional', flags: ['unsafe'] } });
  await api.must(200, 'POST', '/api/v1/projects/safe-one/items', { raw: safeItems(1) });
  await page.goto(`${server.url}/rate/safe-one`);
  await page.waitForSelector('.comparison', { timeout: T });
  await page.check('.comparison [data-side="left"] input[value="unsafe"]');
  await page.fill('#rationale', 'Kept across a lost lease');
  const one = await draftOnScreen();
  // the lease runs out and another rater takes the place: the vote is refused (410)
  const lost = await assignmentId();
  psql(env.db, `UPDATE assignments SET expires_at = issued_at + interval '1 millisecond' WHERE token = '${lost}'`);
  let other = null; // the place is freed within a second or two
  for (let i = 0; i < 30 && !other; i++) {
    const r = await env.raterApi.get('/api/v1/projects/safe-one/next');
    if (r.status === 200) other = r.body;
    else await new Promise((ok) => setTimeout(ok, 200));
  }
  check(other, 'another rater gets the lapsed comparison');
  await page.focus('.comparison');
  await page.keyboard.press('1');
  await page.waitForSelector('[data-kind="rate.done"]', { timeout: T });
  eq(votesOf('rater', 'safe-one').length, 0, 'the vote on the lost assignment is not stored');
  // the draft is still kept for that comparison (the rater is not given it again, so it is
  // restored only if it comes back, as after a reload or a re-login above)
  const kept = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('prefd.draft.'))
    .map((k) => JSON.parse(localStorage.getItem(k)).rationale));
  check(kept.includes('Kept across a lost lease'), `the draft is kept after the 410 (${kept})`);
  await page.goto(`${server.url}/rate/safe`);
  await page.waitForSelector('[data-kind="rate.draft_restored"]', { timeout: T });

  // the lease is renewed while the rater is at the page; the time left shows when it is short
  let id = await assignmentId();
  await page.route('**/api/v1/assignments/*/renew', (route) => route.abort('connectionrefused'));
  await page.waitForSelector('.time-left:not([hidden])', { timeout: 12000 });
  check(/\d+ s more|given back|could not keep/i.test(await page.textContent('.time-left')), 'the time left is shown');
  await page.unroute('**/api/v1/assignments/*/renew');
  await page.mouse.move(30, 30);
  await page.waitForSelector('.time-left[hidden]', { state: 'attached', timeout: 12000 });
  for (let i = 0; i < 6; i++) {
    await page.mouse.move(40 + i, 40);
    await page.waitForTimeout(1000);
  }
  eq(await assignmentId(), id, 'the same comparison after longer than its lease');
  eq(psql(env.db, `SELECT expires_at > now() + interval '3 seconds' FROM assignments WHERE token = '${id}'`), [['t']], 'its lease was renewed');

  // the vote, then undo with U: the comparison comes back with its flags and rationale, the vote is undone
  await page.focus('.comparison');
  await page.keyboard.press('1');
  await nextShown(id);
  eq(await page.textContent('#rate-progress-text'), '1 done · 2 left', 'progress after the vote');
  check(await page.isVisible('.undo-button'), 'the undo button after a vote');
  const voteId = psql(env.db, "SELECT max(v.id) FROM votes v JOIN projects p ON p.id = v.project_id WHERE p.slug = 'safe'")[0][0];
  await page.keyboard.press('u');
  await page.waitForSelector('[data-kind="rate.undone"]', { timeout: T });
  eq(await draftOnScreen(), want, 'the undone comparison with its flags and rationale');
  eq(await page.textContent('#rate-progress-text'), '0 done · 3 left', 'progress after the undo');
  eq(psql(env.db, `SELECT undone_at IS NOT NULL FROM votes WHERE id = ${voteId}`), [['t']], 'the vote is recorded as undone');
  check(await page.isHidden('.undo-button'), 'no undo button without a vote to undo');
  // the button does the same
  id = await assignmentId();
  await page.click('[data-choice=b]');
  await nextShown(id);
  await page.click('.undo-button');
  await page.waitForSelector('[data-kind="rate.undone"]', { timeout: T });
  await page.selectOption('#lang', 'zh-CN');
  check((await page.textContent('[data-kind="rate.undone"]')).includes('撤销'), 'the undo message in Chinese');
  await page.selectOption('#lang', 'en');

  // the progress stays in view while the answers scroll
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  const top = await page.$eval('.rate-head', (e) => e.getBoundingClientRect().top);
  check(top >= 0 && top < 5, `the progress stays at the top while scrolling (${top})`);
};

scenarios.shortcuts = async () => {
  const { page, server } = env;
  await login('rater');
  // a vote to review (admins may review any project)
  await env.api.must(201, 'POST', '/api/v1/projects', { json: { slug: 'keys', title: 'Keys', rationale: 'off' } });
  await env.api.must(200, 'POST', '/api/v1/projects/keys/items', { raw: safeItems(2) });
  const a = await env.raterApi.must(200, 'GET', '/api/v1/projects/keys/next');
  await env.raterApi.must(201, 'POST', `/api/v1/assignments/${a.id}/vote`, { json: { choice: 'a', elapsed_ms: 5000 } });
  for (const [url, keys] of [[`/rate/${env.demo}`, ['1', '2', '3', '4', 'S', 'U', 'W', 'A', 'B', 'G', 'Esc', '?']],
    ['/review/keys', ['Y', 'N', 'W', 'G', 'Esc', '?']]]) {
    if (url.startsWith('/review')) await login('admin');
    await page.goto(server.url + url);
    await page.waitForSelector('.comparison', { timeout: T });
    for (const lang of ['en', 'zh-CN']) {
      await page.selectOption('#lang', lang);
      await page.focus('.comparison');
      await page.keyboard.press('?');
      await page.waitForSelector('dialog.keys-dialog[open]', { timeout: T });
      const list = await page.$$eval('dialog.keys-dialog[open] dt', (d) => d.map((x) => [...x.querySelectorAll('kbd')].map((k) => k.textContent)).flat());
      eq(list, keys, `${url}: every shortcut listed (${lang})`);
      const title = await page.textContent('dialog.keys-dialog[open] h2');
      eq(title, lang === 'en' ? 'Keyboard shortcuts' : '键盘快捷键', `${url}: the overlay in ${lang}`);
      // focus stays in the overlay, and the page's keys do nothing while it is open
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press('Tab');
        check(await page.evaluate(() => !!document.activeElement.closest('dialog[open]')), `${url}: focus stays in the overlay`);
      }
      const before = await page.getAttribute('.comparison', url.startsWith('/rate') ? 'data-assignment' : 'data-vote');
      await page.keyboard.press(url.startsWith('/rate') ? '1' : 'y');
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog.keys-dialog[open]', { state: 'detached', timeout: T }).catch(() => {});
      check(!(await page.$('dialog.keys-dialog[open]')), `${url}: Esc closes the overlay`);
      eq(await page.getAttribute('.comparison', url.startsWith('/rate') ? 'data-assignment' : 'data-vote'), before, `${url}: no vote while the overlay was open`);
    }
    await page.selectOption('#lang', 'en');
    // the button opens it too (keyboard: focus and Enter)
    await page.focus('.keys-button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog.keys-dialog[open]', { timeout: T });
    await page.keyboard.press('Enter'); // the focused Close button
    check(!(await page.$('dialog.keys-dialog[open]')), `${url}: Close closes the overlay`);
    eq(await page.evaluate(() => document.activeElement.classList.contains('keys-button')), true, `${url}: focus goes back to the button`);
  }
};

/** What Tab reaches from the top of the page (up to n stops): class or id of each focused element. */
async function tabStops(n) {
  const { page } = env;
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  const out = [];
  for (let i = 0; i < n; i++) {
    await page.keyboard.press('Tab');
    out.push(await page.evaluate(() => {
      const e = document.activeElement;
      return `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].join('.')}[${e.dataset.show || e.dataset.choice || e.dataset.action || ''}]`;
    }));
  }
  return out;
}

scenarios.phone = async () => {
  const { page, server } = env;
  await login('rater');
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await page.goto(`${server.url}/rate/${env.demo}`);
    await page.waitForSelector('.comparison [data-side="left"] .answer-body', { timeout: T });
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    check(w <= 390, `no sideways scrolling at 390 px (${w} px)`);
    const vis = () => page.evaluate(() => [...document.querySelectorAll('.comparison .answer')].map((a) => [a.dataset.side, a.getBoundingClientRect().height > 0]));
    eq(await vis(), [['left', true], ['right', false]], 'one answer at a time on a phone');
    // the A/B control by keyboard
    await page.focus('.ab-button[data-show="right"]');
    await page.keyboard.press('Enter');
    eq(await vis(), [['left', false], ['right', true]], 'the B control shows answer B');
    eq(await page.getAttribute('.ab-button[data-show="right"]', 'aria-pressed'), 'true', 'B is pressed');
    await page.focus('.comparison');
    await page.keyboard.press('a');
    eq(await vis(), [['left', true], ['right', false]], 'key A shows answer A');
    // the vote bar at the bottom of the screen, while the answer is scrolled
    for (const y of [0, 400]) {
      await page.evaluate((yy) => window.scrollTo(0, yy), y);
      const bar = await page.$eval('.choices', (e) => e.getBoundingClientRect().toJSON());
      check(bar.bottom <= 844 + 1 && bar.top < 844 && bar.top > 844 - 260, `the vote bar is at the bottom of the screen (top ${bar.top}, scrolled ${y})`);
    }
    const head = await page.$eval('.rate-head', (e) => e.getBoundingClientRect().top);
    check(head >= 0 && head < 5, `progress in view on a phone (${head})`);
    // every control of the page is reachable with Tab
    const stops = (await tabStops(40)).join(' ');
    for (const want of ['.keys-button', '.ab-button[left]', '.ab-button[right]', '.as-written-toggle', 'textarea#rationale',
      '.choice-a[a]', '.choice-b[b]', '.choice-tie[tie]', '.choice-both_bad[both_bad]', '[skip]']) {
      check(stops.includes(want), `Tab reaches ${want} (${stops})`);
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
};

// ---------------------------------------------------------------- issue 12: home, leaderboard, admin, accessibility

/** Waits until the page module has drawn (main no longer busy). */
async function settled() {
  await env.page.waitForFunction(() => !document.getElementById('main').hasAttribute('aria-busy'), null, { timeout: 30000 });
}

// Nobody logged in: no "Log out" button ([hidden] beats .btn's display), on the login form.
scenarios.shell = async () => {
  const { page, server } = env;
  await login('rater');
  check(await page.isVisible('#logout'), 'Log out shows for a logged-in user');
  await page.click('#logout');
  await page.waitForSelector('input[name=username]', { timeout: T });
  check(await page.isHidden('#logout'), 'no Log out button when nobody is logged in');
  eq(await page.$eval('#logout', (b) => getComputedStyle(b).display), 'none', 'the hidden button takes no room');
  await page.goto(`${server.url}/admin`);
  await page.waitForSelector('input[name=username]', { timeout: T });
  check(await page.isHidden('#logout'), 'no Log out button on a page that asks to log in');
};

// Each project card shows the rater's own progress, the numbers of the API.
scenarios.home = async () => {
  const { page, demo } = env;
  await login('rater');
  await page.waitForSelector(`.project-card[data-slug="${demo}"] .card-progress`, { timeout: T });
  const listed = await page.evaluate(() => fetch('/api/v1/projects?limit=1000').then((r) => r.json()));
  const p = listed.items.find((x) => x.slug === demo);
  check(p && p.progress, 'GET /projects gives the caller\'s progress');
  const shown = await page.$eval(`.project-card[data-slug="${demo}"] .card-progress`, (e) =>
    [e.dataset.done, e.dataset.remaining, e.textContent]);
  eq(shown.slice(0, 2), [String(p.progress.done), String(p.progress.remaining)], 'the card shows the API\'s progress');
  check(shown[2].includes(`${p.progress.done} done`) && shown[2].includes('left'), `the card says it in words (${shown[2]})`);
  await page.selectOption('#lang', 'zh-CN');
  check((await page.textContent(`.project-card[data-slug="${demo}"] .card-progress`)).includes('已完成'), 'in Chinese too');
  await page.selectOption('#lang', 'en');
};

// Dates follow the language switch, both ways (leaderboard summary, users table, exclusions).
scenarios.dates = async () => {
  const { page, server, demo } = env;
  await login('admin');
  await page.goto(`${server.url}/leaderboard/${demo}`);
  await page.waitForSelector('.lb-summary [data-i18n="lb.computed"]', { timeout: 30000 });
  const en1 = await page.textContent('.lb-summary [data-i18n="lb.computed"]');
  check(/Computed/.test(en1) && !/年/.test(en1), `English date (${en1})`);
  await page.selectOption('#lang', 'zh-CN');
  const zh = await page.textContent('.lb-summary [data-i18n="lb.computed"]');
  check(/年/.test(zh) && !/Computed|Dec/.test(zh), `Chinese date after the switch (${zh})`);
  await page.selectOption('#lang', 'en');
  const en2 = await page.textContent('.lb-summary [data-i18n="lb.computed"]');
  check(!/年/.test(en2) && /Computed/.test(en2), `English again after switching back (${en2})`);
  await page.goto(`${server.url}/admin#users`);
  await page.waitForSelector('.users-table time', { timeout: T });
  await page.selectOption('#lang', 'zh-CN');
  check((await page.textContent('.users-table tbody time')).includes('年'), 'user dates in Chinese');
  await page.selectOption('#lang', 'en');
  check(!(await page.textContent('.users-table tbody time')).includes('年'), 'user dates back in English');
};

// The leaderboard on a 390 × 844 phone: every dot of the chart and the whole table on screen.
scenarios.lbphone = async () => {
  const { page, server, demo } = env;
  await login('analyst');
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await page.goto(`${server.url}/leaderboard/${demo}`);
    await page.waitForSelector('svg.rating-chart .point', { timeout: 30000 });
    await settled();
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    check(w <= 390, `no sideways scrolling on the leaderboard at 390 px (${w} px)`);
    const dots = await page.$$eval('svg.rating-chart .point, svg.rating-chart .value, svg.rating-chart .label', (c) =>
      c.map((x) => { const r = x.getBoundingClientRect(); return [x.closest('g').dataset.model, r.left, r.right]; }));
    check(dots.length >= 10, 'the chart has its dots');
    for (const [model, l, r] of dots) check(l >= 0 && r <= 390, `${model}'s dot, label and value are on screen (${l.toFixed(0)}–${r.toFixed(0)})`);
    const cells = await page.$$eval('table.leaderboard th, table.leaderboard td', (c) =>
      c.filter((x) => x.offsetParent).map((x) => [x.textContent, x.getBoundingClientRect().right]));
    for (const [text, r] of cells) check(r <= 390, `the table cell "${text}" fits the width (${r.toFixed(0)})`);
    const label = await page.$eval('table.leaderboard tbody td[data-label="Rating"]', (td) => getComputedStyle(td, '::before').content);
    check(label.includes('Rating'), `each figure is labelled on a phone (${label})`);
    // the README's phone-sized picture of the rating page
    await login('rater');
    await page.goto(`${server.url}/rate/${demo}`);
    await page.waitForSelector('[data-side="left"] .answer-body', { timeout: T });
    await settled();
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('rating-phone');
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
};

// Filters: category and language offer the project's values, downloads follow the filters, an
// "until" day is covered whole, since after until is an error; the leaderboard as CSV.
scenarios.lbfilters = async () => {
  const { page, server, demo } = env;
  await login('analyst');
  await page.goto(`${server.url}/leaderboard/${demo}`);
  await page.waitForSelector('table.leaderboard tbody tr', { timeout: 30000 });
  await settled();
  const facets = await env.api.must(200, 'GET', `/api/v1/projects/${demo}/facets`);
  eq(await page.$$eval('#f-category option', (o) => o.map((x) => x.value).filter(Boolean)), facets.categories, 'category choices are the project\'s');
  eq(await page.$$eval('#f-language option', (o) => o.map((x) => x.value).filter(Boolean)), facets.languages, 'language choices are the project\'s');
  eq(await page.$eval('#f-category', (e) => e.tagName), 'SELECT', 'category is a choice, not free text');
  const cat = facets.categories[0];
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  await page.click('details.filters summary');
  await page.selectOption('#f-category', cat);
  await page.fill('#f-until', today);
  const asked = page.waitForRequest((r) => r.url().includes('/leaderboard?') && r.url().includes(`category=${cat}`), { timeout: T });
  await page.click('form.filters-form button[type=submit]');
  const req = new URL((await asked).url());
  eq(req.searchParams.get('until'), `${tomorrow}T00:00:00Z`, 'an until day is covered up to the next midnight (until is exclusive)');
  await page.waitForSelector('table.leaderboard tbody tr', { timeout: T });
  await settled();
  const lb = await env.api.must(200, 'GET', `/api/v1/projects/${demo}/leaderboard?category=${cat}`);
  const shownVotes = await page.$$eval('table.leaderboard tbody tr', (r) => r.length);
  eq(shownVotes, lb.models.length, 'the filtered board (today\'s votes all count)');
  const links = await page.$$eval('.downloads a', (a) => a.map((x) => new URL(x.href)));
  const hrefs = await page.$$eval('.downloads a', (a) => a.map((x) => x.getAttribute('href')));
  for (const href of hrefs) {
    const u = new URL(href, server.url);
    eq([u.searchParams.get('category'), u.searchParams.get('until')], [cat, `${tomorrow}T00:00:00Z`], `the download ${href} follows the filters`);
  }
  check(links.length === 5 && hrefs[0].includes('/leaderboard?') && hrefs[0].includes('format=csv'), 'a leaderboard CSV next to the votes');
  check((await page.textContent('.downloads-note')).includes(`category=${cat}`), 'the downloads say which filters apply');
  const csv = await page.request.get(`${server.url}${hrefs[0]}`);
  eq(csv.status(), 200, 'the leaderboard CSV downloads');
  check(/csv/.test(csv.headers()['content-type'] || ''), `it is CSV (${csv.headers()['content-type']})`);
  const csvText = await csv.text();
  for (const m of lb.models) check(csvText.includes(m.model), `the CSV has ${m.model}`);
  const votes = await page.request.get(`${server.url}${hrefs[2]}`);
  eq(votes.status(), 200, 'the filtered votes CSV downloads');
  const all = await page.request.get(`${server.url}/api/v1/projects/${demo}/votes?format=csv`);
  check((await votes.text()).split('\n').length < (await all.text()).split('\n').length, 'the filtered export has fewer votes than all');
  // since after until: an error on the page, no request
  let sent = 0;
  const count = (r) => { if (r.url().includes('/leaderboard?')) sent += 1; };
  page.on('request', count);
  await page.fill('#f-since', today);
  await page.fill('#f-until', '2020-01-01');
  await page.click('form.filters-form button[type=submit]');
  await page.waitForSelector('.lb-msg .notice-error', { timeout: T });
  check((await page.textContent('.lb-msg')).includes('after'), 'since after until is shown as an error');
  eq(await page.getAttribute('#f-since', 'aria-invalid'), 'true', 'the since field is marked');
  page.off('request', count);
  eq(sent, 0, 'no board is asked for with since after until');
  eq((await env.api.get(`/api/v1/projects/${demo}/leaderboard?since=${today}&until=2020-01-01`)).status, 400, 'the API refuses it too');
  await page.fill('#f-since', '');
  await page.fill('#f-until', '');
  await page.click('form.filters-form button.btn-quiet');
  await page.waitForFunction(() => !location.search, null, { timeout: T });
  await settled();
  // heat-map column headers are one line each
  const heads = await page.$$eval('table.heatmap thead th.col-head span', (s) => s.map((x) => [x.textContent, x.getClientRects().length]));
  for (const [name, lines] of heads) eq(lines, 1, `the heat-map header ${name} is not broken`);
};

// Upload report: every line's problem in line order, no "accepted" for a refused upload; the
// password field's red border goes once a retry succeeds.
scenarios.adminreport = async () => {
  const { page, server, demo } = env;
  await login('admin');
  await page.goto(`${server.url}/admin#project=${demo}`);
  await page.waitForSelector('form.upload-form', { timeout: T });
  const good = (id) => JSON.stringify({ id, prompt: `Prompt ${id}?`, responses: [{ model: 'x', text: 'a' }, { model: 'y', text: 'b' }] });
  const lines = [
    JSON.stringify({ id: 'r1', prompt: 'P?', responses: [{ model: 'x' }, { model: 'y', text: 'b' }] }),
    good('r2'),
    JSON.stringify({ id: 'r2', prompt: 'Other?', responses: [{ model: 'x', text: 'a' }, { model: 'y', text: 'b' }] }),
    good('r4'),
    '{not json',
  ].join('\n');
  await page.setInputFiles('form.upload-form input[type=file]', { name: 'r.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(lines) });
  await page.click('form.upload-form button[type=submit]');
  await page.waitForSelector('.upload-report [data-result=rejected]', { timeout: T });
  const order = await page.$$eval('.errors-table tbody tr', (r) => r.map((x) => Number(x.dataset.line)));
  check(order.length >= 2, `several lines reported (${order})`);
  eq(order, [...order].sort((a, b) => a - b), 'the report is in line order');
  const head = await page.textContent('.upload-report [data-result=rejected]');
  check(!/Accepted/.test(head) && /valid/.test(head) && /Nothing was stored/.test(head), `a refused upload says nothing was accepted (${head})`);
  eq(psql(env.db, `SELECT count(*) FROM items i JOIN projects j ON j.id = i.project_id WHERE j.slug = '${demo}' AND i.ext_id IN ('r2', 'r4')`)[0][0], '0', 'and stored nothing');

  await page.goto(`${server.url}/admin#users`);
  await page.waitForSelector('form.user-form', { timeout: T });
  await page.fill('form.user-form input[name=name]', 'borderuser');
  await page.fill('form.user-form input[name=password]', 'short');
  await page.click('form.user-form button[type=submit]');
  await page.waitForSelector('form.user-form input[name=password][aria-invalid=true]', { timeout: T });
  await page.fill('form.user-form input[name=password]', 'long-enough-password');
  await page.click('form.user-form button[type=submit]');
  await page.waitForSelector('.token-box input[data-token]', { timeout: T });
  eq(await page.$$eval('form.user-form [aria-invalid]', (e) => e.length), 0, 'no stale red border after the retry succeeded');
};

// axe-core on every page in both languages (serious and critical violations fail), and every
// control of each page reachable with Tab (a tab list and a radio group count as one stop).
const A11Y_PAGES = [
  ['anon', '/', 'input[name=username]'],
  ['rater', '/', '.project-card'],
  ['rater', `/rate/vicuna80`, '[data-side="right"]'],
  ['rater', '/rate/nope', '.notice-error'],
  ['reviewer', `/review/${QC}`, '.comparison, .notice'],
  ['analyst', '/leaderboard/vicuna80', 'table.leaderboard tbody tr'],
  ['admin', `/quality/${QC}`, '.qc-raters tbody tr'],
  ['admin', '/admin', '.projects-table tbody tr'],
  ['admin', '/admin#users', '.users-table tbody tr'],
  ['admin', '/admin#project=vicuna80', '.items-table tbody tr'],
];

async function unreachedByTab() {
  const { page } = env;
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  const seen = [];
  let outside = 0; // Tab passes through the browser's own UI once between the last and first control
  for (let i = 0; i < 400; i++) {
    await page.keyboard.press('Tab');
    const key = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      if (!el.dataset.tabMark) el.dataset.tabMark = String(Math.random()).slice(2);
      return el.dataset.tabMark;
    });
    if (key === null) {
      outside += 1;
      if (outside > 3) break;
      continue;
    }
    if (seen.includes(key)) break;
    seen.push(key);
  }
  return page.evaluate((marks) => {
    const reached = new Set(marks);
    const missing = [];
    const sel = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
    for (const el of document.querySelectorAll(sel)) {
      if (el.disabled || el.closest('[hidden], [inert]') || !(el.offsetWidth || el.offsetHeight || el.getClientRects().length)) continue;
      if (getComputedStyle(el).visibility === 'hidden') continue;
      if (el.type === 'hidden') continue;
      if (reached.has(el.dataset.tabMark)) continue;
      if (el.getAttribute('role') === 'tab' && el.parentElement.querySelector('[role=tab][tabindex="0"]')) continue; // roving tab list
      if (el.type === 'radio' && document.querySelector(`input[type=radio][name="${CSS.escape(el.name)}"][data-tab-mark]`) &&
          [...document.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`)].some((r) => reached.has(r.dataset.tabMark))) continue;
      if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY') continue;
      if (el.classList.contains('file-input') && reached.has(el.dataset.tabMark)) continue;
      missing.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.name ? `[name=${el.name}]` : ''} "${(el.textContent || el.value || '').trim().slice(0, 30)}"`);
    }
    return missing;
  }, seen);
}

scenarios.a11y = async () => {
  const { page, server } = env;
  await qcData();
  const problems = [];
  let who = null;
  for (const lang of ['en', 'zh-CN']) {
    for (const [user, url, ready] of A11Y_PAGES) {
      if (user !== who) {
        if (user === 'anon') {
          await page.goto(`${server.url}/`);
          if (await page.evaluate(() => fetch('/api/v1/me').then((r) => r.ok))) {
            await page.click('#logout');
            await page.waitForSelector('input[name=username]', { timeout: T });
          }
        } else {
          await login(user);
        }
        who = user;
      }
      await page.goto(`${server.url}/`);
      await page.evaluate((l) => localStorage.setItem('prefd.lang', l), lang);
      await page.goto(server.url + url);
      await page.waitForSelector(ready, { timeout: 30000 });
      await settled();
      eq(await page.getAttribute('html', 'lang'), lang, `the page ${url} is in ${lang}`);
      for (const v of await env.browser.axe(page)) problems.push(`${lang} ${user} ${url}: ${v}`);
      if (lang === 'en') for (const m of await unreachedByTab()) problems.push(`${lang} ${user} ${url}: not reachable by Tab: ${m}`);
    }
  }
  await page.goto(`${server.url}/`);
  await page.evaluate(() => localStorage.setItem('prefd.lang', 'en'));
  check(problems.length === 0, `accessibility problems:\n      ${problems.join('\n      ')}`);
};

// A flagged excerpt on the quality page is rendered like an answer: Markdown drawn, raw HTML
// shown as text and inert.
scenarios.flagmd = async () => {
  const { page, server, api, raterApi } = env;
  await api.must(201, 'POST', '/api/v1/projects', { json: { slug: 'flagmd', title: 'Flagged Markdown', flags: ['unsafe'], rationale: 'off' } });
  await api.must(200, 'POST', '/api/v1/projects/flagmd/items', { raw: JSON.stringify({ id: 'fm-1', prompt: 'List two things',
    model_a: 'ma', response_a: '**Bold** claim:\n\n1. first <b>tag</b>\n2. second',
    model_b: 'mb', response_b: 'plain `code_with_underscores` and <img src=x onerror="window.__pwned=1">' }) });
  const next = await raterApi.must(200, 'GET', '/api/v1/projects/flagmd/next');
  await raterApi.must(201, 'POST', `/api/v1/assignments/${next.id}/vote`, { json: { choice: 'tie', elapsed_ms: 9000,
    flags: { a: ['unsafe'], b: ['unsafe'] } } });
  await login('analyst');
  await page.goto(`${server.url}/quality/flagmd`);
  await page.waitForSelector('.flagged .excerpt', { timeout: T });
  const ex = await page.$$eval('.flagged', (li) => li.map((x) => {
    const e = x.querySelector('.excerpt');
    return { model: x.dataset.model, strong: e.querySelectorAll('strong').length, items: e.querySelectorAll('ol li').length,
      code: e.querySelectorAll('code').length, tags: e.querySelectorAll('b, img').length, text: e.textContent };
  }));
  const a = ex.find((x) => x.model === 'ma');
  const b = ex.find((x) => x.model === 'mb');
  check(a && b, 'both flagged answers listed');
  eq([a.strong, a.items, a.tags], [1, 2, 0], 'Markdown rendered in the excerpt, the <b> tag not made an element');
  check(a.text.includes('<b>tag</b>'), `the raw tag shown as text (${a.text})`);
  eq([b.code, b.tags], [1, 0], 'code rendered, no <img> element');
  check(b.text.includes('code_with_underscores') && b.text.includes('<img src=x'), `every character visible (${b.text})`);
  eq(await page.evaluate(() => window.__pwned === undefined), true, 'nothing ran');
};

// Admin items: listed with their votes, searched by id or prompt, paged; deleting the project
// says first what happens to its votes, and then it is gone from the lists (its votes kept).
scenarios.items = async () => {
  const { page, server, api } = env;
  await api.must(201, 'POST', '/api/v1/projects', { json: { slug: 'itemsweb', title: 'Items in the browser', rationale: 'off' } });
  const rows = [];
  for (let i = 1; i <= 60; i++) {
    rows.push(JSON.stringify({ id: `it-${i}`, prompt: i === 42 ? 'The needle question' : `Question ${i}`, category: 'c',
      responses: [{ model: 'x', text: 'a' }, { model: 'y', text: 'b' }] }));
  }
  await api.must(200, 'POST', '/api/v1/projects/itemsweb/items', { raw: rows.join('\n') });
  const next = await env.raterApi.must(200, 'GET', '/api/v1/projects/itemsweb/next');
  await env.raterApi.must(201, 'POST', `/api/v1/assignments/${next.id}/vote`, { json: { choice: 'a', elapsed_ms: 5000 } });
  await login('admin');
  await page.goto(`${server.url}/admin#project=itemsweb`);
  await page.waitForSelector('.items-table tbody tr', { timeout: T });
  eq(await page.$$eval('.items-table tbody tr', (r) => r.length), 50, 'a first page of 50 items');
  await page.click('[data-action=more-items]');
  await page.waitForFunction(() => document.querySelectorAll('.items-table tbody tr').length === 60, null, { timeout: T });
  check(await page.isHidden('[data-action=more-items]').catch(() => true), 'no "more" after the last page');
  const voted = psql(env.db, `SELECT i.ext_id FROM votes v JOIN items i ON i.id = v.item_id JOIN projects p ON p.id = v.project_id
    WHERE p.slug = 'itemsweb'`)[0][0];
  eq(await page.textContent(`.items-table tr[data-item="${voted}"] td.num`), '1', 'the voted item shows its vote');
  await page.fill('.items-search input', 'NEEDLE');
  await page.press('.items-search input', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('.items-table tbody tr').length === 1, null, { timeout: T });
  eq(await page.getAttribute('.items-table tbody tr', 'data-item'), 'it-42', 'the search finds the prompt');
  await page.fill('.items-search input', 'it-7');
  await page.press('.items-search input', 'Enter');
  await page.waitForFunction(() => document.querySelector('.items-table tbody tr')?.dataset.item === 'it-7', null, { timeout: T });

  // deleting an item: the first press says what happens to its votes, the second does it
  await page.fill('.items-search input', voted);
  await page.press('.items-search input', 'Enter');
  // (a substring search: "it-1" also finds it-10 to it-19)
  await page.waitForFunction((id) => {
    const ids = [...document.querySelectorAll('.items-table tbody tr')].map((r) => r.dataset.item);
    return ids.includes(id) && ids.every((x) => x.includes(id));
  }, voted, { timeout: T });
  await page.click(`.items-table tr[data-item="${voted}"] [data-action=delete-item]`);
  const itemNote = await page.textContent(`.items-table tr[data-item="${voted}"] .confirm-note`);
  check(/1 votes are kept/.test(itemNote) && /rankings/.test(itemNote), `the item's confirmation states what happens to its vote (${itemNote})`);
  eq((await api.get('/api/v1/projects/itemsweb/items?q=' + voted)).body.items.filter((x) => x.id === voted).length, 1, 'nothing deleted by the first press');
  await page.click(`.items-table tr[data-item="${voted}"] [data-action=delete-item]`);
  await page.waitForFunction((id) => !document.querySelector(`.items-table tr[data-item="${id}"]`), voted, { timeout: T });
  check((await page.textContent('.items-section .form-msg')).includes(`Item ${voted} was deleted; its 1 votes are kept`), 'the page says what happened');
  eq((await api.get('/api/v1/projects/itemsweb/items?q=' + voted)).body.items.filter((x) => x.id === voted).length, 0, 'the item is no longer listed');
  eq((await api.get('/api/v1/projects/itemsweb/leaderboard')).body.votes, 0, 'its vote left the rankings');

  // deleting the project: the first press says what happens to its votes, the second does it
  await page.click('[data-action=delete-project]');
  const note = await page.textContent('.danger-zone .confirm-note');
  check(/votes are kept/.test(note), `the confirmation states what happens to the votes (${note})`);
  check(await api.must(200, 'GET', '/api/v1/projects/itemsweb'), 'nothing deleted by the first press');
  await page.click('[data-action=delete-project]');
  await page.waitForSelector('.projects-table', { timeout: T });
  await page.waitForFunction(() => !document.querySelector('.projects-table tr[data-slug="itemsweb"]'), null, { timeout: T });
  check((await page.textContent('#panel-projects')).includes('1 votes are kept') ||
    (await page.textContent('#panel-projects')).includes('votes are kept'), 'the page says the votes were kept');
  eq((await api.get('/api/v1/projects/itemsweb')).status, 404, 'the project is gone');
  eq(psql(env.db, `SELECT count(*) FROM votes v JOIN projects p ON p.id = v.project_id WHERE p.title = 'Items in the browser'`)[0][0], '1',
    'its vote is kept in the database');
};

// ---------------------------------------------------------------- main

async function main() {
  if (!PGDIR) {
    console.error('run.mjs: PREFD_TEST_PGDIR is not set; run it through `sh tests/run.sh browser` (or make test)');
    process.exit(2);
  }
  const wanted = process.argv.slice(2);
  const order = ['modules', 'login', 'rating', 'work', 'hostile', 'gold', 'failures', 'language', 'leaderboard', 'weights', 'fragility', 'quality',
    'review', 'learn', 'admin', 'narrow', 'fidelity', 'worksafe', 'shortcuts', 'phone', 'logout',
    'shell', 'home', 'dates', 'lbphone', 'lbfilters', 'adminreport', 'flagmd', 'items', 'a11y'];
  const names = wanted.length ? order.filter((n) => wanted.includes(n)) : order;
  const t0 = Date.now();
  let passed = 0;
  let failed = 0;
  try {
    await setup();
  } catch (err) {
    console.error(`browser tests: set-up failed: ${err.stack || err}`);
    if (env.server) console.error(env.server.log().slice(-3000));
    await env.browser?.close().catch(() => {});
    await env.server?.stop();
    process.exit(1);
  }
  console.log(`  set-up ${((Date.now() - t0) / 1000).toFixed(1)} s (prefd on ${env.server.url}, database ${env.db})`);
  for (const name of names) {
    const s0 = Date.now();
    const before = env.browser.problems.length;
    try {
      await scenarios[name]();
      const csp = await env.browser.cspViolations();
      const problems = env.browser.problems.slice(before).concat(csp.map((c) => `CSP violation: ${c}`));
      check(problems.length === 0, `console errors or CSP violations:\n      ${problems.join('\n      ')}`);
      passed += 1;
      console.log(`  ok    ${name} (${((Date.now() - s0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed += 1;
      console.log(`  FAIL  ${name} (${((Date.now() - s0) / 1000).toFixed(1)} s): ${err instanceof Failure ? err.message : err.stack || err}`);
      const file = path.join(TMP, `browser-fail-${name}.png`);
      await env.page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.log(`        page ${env.page.url()}, screenshot ${file}`);
      for (const pr of env.browser.problems.slice(before)) console.log(`        ${pr}`);
    }
  }
  await env.browser.close();
  const code = await env.server.stop();
  if (code !== 0) {
    failed += 1;
    console.log(`  FAIL  prefd exited with ${code}:\n${env.server.log().slice(-3000)}`);
  }
  console.log(`  browser tests took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
