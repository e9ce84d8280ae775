// myreviews.js - the page /myreviews/{slug} (issue 17): the reviews of the rater's own votes in a
// project, newest first (GET /me/reviews?project=): the comparison as they saw it, their choice,
// the reviewer's verdict and comment (the reviewer by pseudonym), and a reply, once per review
// (POST /reviews/{id}/reply). Reading a page marks its reviews read; new ones are marked "new".
import { answerBody } from './answer.js';
import { ApiError, errorMessage, get, post } from './api.js';
import { h, replace } from './dom.js';
import { fmtDate } from './i18n.js';

export async function render(main, ctx) {
  const slug = ctx.params[0];
  ctx.setTitle('learn.reviews_title');
  const list = h('div', { class: 'my-reviews' });
  const more = h('div', { class: 'actions' });
  replace(main, h('div', { class: 'myreviews-page', dataset: { slug } },
    h('h1', { t: 'learn.reviews_title' }),
    h('p', { class: 'muted', t: 'learn.reviews_intro' }), list, more));

  function replyPart(x) {
    if (x.reply) {
      return h('div', { class: 'my-reply', dataset: { replied: 'true' } },
        h('strong', { t: 'learn.your_reply' }), ' ', h('span', { class: 'my-reply-text' }, x.reply.text));
    }
    const id = `reply-${x.review_id}`;
    const area = h('textarea', { id, class: 'input', rows: 2, maxlength: 5000 });
    const send = h('button', { type: 'button', class: 'btn', t: 'learn.reply_send' });
    const box = h('div', { class: 'my-reply-form' }, h('label', { for: id, t: 'learn.reply_label' }), area, h('div', { class: 'actions' }, send));
    send.addEventListener('click', async () => {
      const text = area.value.trim();
      if (!text) { area.focus(); return; }
      send.disabled = true;
      try {
        const { body } = await post(`/reviews/${x.review_id}/reply`, { text });
        replace(box, replyPart({ ...x, reply: body.reply }));
        ctx.announce('learn.reply_sent');
      } catch (err) {
        send.disabled = false;
        if (err instanceof ApiError && err.status === 401) { ctx.sessionExpired(); return; }
        if (err instanceof ApiError && err.status === 409) ctx.announce('learn.reply_conflict', null, 'error');
        else ctx.announceText(errorMessage(err), 'error');
      }
    });
    return box;
  }

  function item(x) {
    const side = (name, key) => h('div', { class: `answer${x.choice === key ? ' chosen' : ''}`, dataset: { side: name } },
      h('h3', { t: name === 'left' ? 'outcome.a' : 'outcome.b' }), h('div', { class: 'md answer-body' }, answerBody(x[name].html)));
    return h('article', { class: `card my-review verdict-${x.verdict}`, dataset: { review: String(x.review_id), verdict: x.verdict, read: String(x.read) } },
      h('header', { class: 'my-review-head' },
        h('strong', { t: x.verdict === 'agree' ? 'learn.verdict_agree' : 'learn.verdict_disagree' }), ' ',
        x.read ? null : h('span', { class: 'badge badge-unread', t: 'learn.new' }), ' ',
        h('span', { class: 'muted', t: ['learn.review_by', { who: x.reviewer, when: fmtDate(x.created_at) }] })),
      h('p', { class: 'my-review-comment' }, h('strong', { t: 'learn.comment' }), ' ',
        x.comment ? h('span', { class: 'comment-text' }, x.comment) : h('span', { class: 'muted', t: 'learn.no_comment' })),
      h('details', { class: 'my-review-vote' },
        h('summary', null, h('span', { t: 'learn.your_choice' }), ' ', h('span', { class: 'choice-shown', dataset: { choice: x.choice }, t: `outcome.${x.choice}` })),
        h('div', { class: 'md prompt-body' }, answerBody(x.prompt.html)),
        h('div', { class: 'comparison' }, side('left', 'a'), side('right', 'b')),
        x.rationale ? h('p', { class: 'rationale-text' }, x.rationale) : null),
      replyPart(x));
  }

  async function load(cursor) {
    const { body } = await get('/me/reviews', { project: slug, cursor, limit: 20 });
    if (!cursor && body.items.length === 0) list.append(h('p', { class: 'notice notice-info', dataset: { kind: 'learn.reviews_none' }, t: 'learn.reviews_none' }));
    for (const x of body.items) list.append(item(x));
    replace(more, body.next_cursor ? h('button', { type: 'button', class: 'btn', t: 'learn.more', onclick: () => load(body.next_cursor) }) : null);
    for (const b of document.querySelectorAll('#nav .badge-unread')) b.remove(); // read now
  }
  await load(null);
}
