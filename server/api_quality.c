/*
 * api_quality.c - quality statistics: rater statistics with warnings, agreement and flagged
 * responses (exclusions: api_exclusions.c; reviews of other raters' votes: api_reviews.c).
 *
 * The statistics come from quality.h over the project's rated votes (qualityjob.h reads them
 * in chunks parsed on workers and computes on a worker), so the definitions live in one place;
 * the same numbers give the reliability weights of weighted rankings (reliability.h) and a
 * rater's own figures (api_me.c).
 */
#include "api.h"

#include "db.h"
#include "markdown.h"
#include "qualityjob.h"
#include "qvotes.h"
#include "u64map.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum info_col { I_ID, I_NAME, I_SKIPS, I_AGREE, I_DISAGREE, I_EXCLUDED, I_QUALIFICATION };

static void raters_info(struct req *r, const struct db_res *res)
{
        struct qjob *q = r->state;
        if (req_db_failed(r, res))
                return;
        long *timed = q->timed;
        json_t *items = json_array();
        int rows = db_res_nrows(res);
        long limit = r->page.limit;
        for (int row = 0; row < rows && row < limit; row++) {
                uint32_t k;
                struct quality_rater none = { .median_seconds = NAN, .accuracy = NAN, .weight = 1 };
                bool voted =
                    u64map_get(&q->v->rater_index, (uint64_t)db_res_int(res, row, I_ID), &k);
                json_t *e = qjob_rater_json(q, voted ? &q->stats[k] : &none, voted ? timed[k] : 0);
                json_object_set_new(e, "rater", json_string(db_res_value(res, row, I_NAME)));
                json_object_set_new(e, "skips", json_integer(db_res_int(res, row, I_SKIPS)));
                json_object_set_new(e, "reviews",
                                    json_pack("{s:I, s:I}", "agree",
                                              (json_int_t)db_res_int(res, row, I_AGREE), "disagree",
                                              (json_int_t)db_res_int(res, row, I_DISAGREE)));
                json_object_set_new(e, "excluded", json_boolean(db_res_bool(res, row, I_EXCLUDED)));
                json_object_set_new(
                    e, "qualification", /* issue 17 */
                    json_loads(db_res_value(res, row, I_QUALIFICATION), JSON_DECODE_ANY, NULL));
                json_array_append_new(items, e);
        }
        long long next = rows > limit ? (long long)db_res_int(res, (int)limit - 1, I_ID) : 0;
        req_reply_page(r, items, next, json_pack("{s:o}", "thresholds", qjob_thresholds(q)));
}

/* Everyone who took part (voted, skipped, or holds an assignment), a page by name and one
 * more row to tell whether another page follows. */
static const char raters_sql[] =
    "SELECT id, name, skips, agreed, disagreed, excluded, qualification "
    "FROM prefd_quality_raters($1, $2::int, $3::bigint)";

static void raters_computed(struct qjob *q)
{
        struct req *r = q->req;
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)q->project);
        const char *params[] = { id, r->page.limit_text, r->page.after_text };
        req_db(r, raters_sql, 3, params, raters_info);
}

void api_quality_raters(struct req *r)
{
        qjob_start(r, QJOB_RATERS, raters_computed);
}

/* --- GET .../agreement --- */

static json_t *agreement_json(const struct quality_agreement *a)
{
        return json_pack("{s:o, s:o, s:I}", "alpha", qjob_number(a->alpha, 1e-4), "percent",
                         qjob_number(a->percent, 1e-4), "units", (json_int_t)a->units);
}

static const char strength_sql[] = "SELECT prefd_strength_agreement($1)";

static void strength_agreed(struct req *r, const struct db_res *res)
{
        struct qjob *q = r->state;
        if (req_db_failed(r, res))
                return;
        if (!db_res_isnull(res, 0, 0))
                json_object_set_new(q->body, "strength",
                                    json_loads(db_res_value(res, 0, 0), 0, NULL));
        json_t *body = q->body;
        q->body = NULL;
        req_reply_json(r, 200, body);
}

static void agreement_computed(struct qjob *q)
{
        json_t *body = agreement_json(&q->all);
        json_t *by = json_object();
        const char *name;
        json_t *index;
        json_object_foreach(q->v->categories, name, index)
        {
                const struct quality_agreement *a = &q->by_cat[json_integer_value(index)];
                if (a->units > 0)
                        json_object_set_new(by, name, agreement_json(a));
        }
        json_object_set_new(body, "by_category", by);
        /* A project with "strength": agreement on it as an interval scale, from SQL. */
        q->body = body;
        const char *params[] = { req_param(q->req, 0) };
        req_db(q->req, strength_sql, 1, params, strength_agreed);
}

void api_quality_agreement(struct req *r)
{
        qjob_start(r, QJOB_AGREEMENT, agreement_computed);
}

/* --- GET .../flags --- */

/* Each excerpt also rendered as the rater saw it. */
static void flag_rendered(json_t *item)
{
        json_t *text = json_object_get(item, "response");
        char *html = json_is_string(text)
                         ? markdown_to_html(json_string_value(text), json_string_length(text))
                         : NULL;
        json_object_set_new(item, "response_html", html ? json_string(html) : json_null());
        free(html);
}

static void flags_read(struct req *r, const struct db_res *res)
{
        req_reply_project_page_each(r, res, flag_rendered);
}

/* Responses flagged in rated votes, most flagged first (prefd_flags_page). */
static const char flags_sql[] = "SELECT x.page_key, x.item "
                                "FROM projects p "
                                "LEFT JOIN LATERAL prefd_flags_page(p.id, $2::int, $3::bigint) x "
                                "ON true "
                                "WHERE p.slug = $1";

void api_quality_flags(struct req *r)
{
        if (req_page(r) != 0)
                return;
        req_db_may_lag(r);
        const char *params[] = { req_param(r, 0), r->page.limit_text, r->page.after_text };
        req_db(r, flags_sql, 3, params, flags_read);
}
