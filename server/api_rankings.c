/*
 * api_rankings.c - GET .../leaderboard and GET .../matrix: Bradley-Terry ratings with intervals
 * and ranks, and the win-rate matrix, from maintained outcome counts, never from a scan of all
 * votes.
 *
 * The counts come from the process's vote index (tally.h), brought up to date first (one indexed
 * query when nothing changed). A process whose index for the project is not loaded yet answers an
 * unfiltered ranking from the pair totals the vote transactions keep, and loads the index in the
 * background; a filtered ranking waits for the load. The fit (rank.h) runs on a worker thread,
 * since a bootstrap can take a while; the reply is built back on the loop.
 *
 * A model is listed when it has at least one counted vote (and min_votes). win_rate is
 * (wins + ties / 2) / votes, a "both bad" vote counting as neither a win nor a tie.
 */
#include "api.h"

#include "app.h"
#include "db.h"
#include "buf.h"
#include "jsonv.h"
#include "log.h"
#include "qv.h"
#include "rank.h"
#include "reliability.h"
#include "stylefit.h"
#include "tally.h"
#include "u64map.h"
#include "work.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The query options of both endpoints. */
struct lb_params {
        struct rank_opts opts;
        const char *ties, *both_bad, *ci; /* names as given (static strings) */
        char anchor[256];
        char category[128], language[64], since[64], until[64];
        bool has_since, has_until;
        int64_t since_us, until_us; /* microseconds since 1970, when given */
        long long min_votes;
        bool reliability;    /* weights=reliability */
        const char *weights; /* its name as given (static string) */
        bool robustness;     /* robustness=true: the fragility of each adjacent order */
        bool style;          /* style=control */
        bool csv;            /* format=csv (leaderboard) */
        bool strength;       /* strength=weight: a strength-k win counts k half-wins */
};

struct model_list {
        int64_t *ids;
        char **names;
        size_t n;
};

struct lb_job {
        struct req *req;
        bool matrix;
        struct lb_params p;
        int64_t project_id;
        struct model_list models; /* the project's models, until the counts arrive */
        size_t n;                 /* models in the fit */
        int64_t *ids;             /* per model index */
        char **names;             /* per model index */
        struct rank_pair *pairs;  /* the fit's input (weighted by reliability when asked) */
        size_t npairs;
        struct rank_pair *shown; /* weighted fits: the plain counts the reply shows */
        size_t nshown;
        double left, right, tied, votes;
        struct tally_weight *weights; /* weights=reliability: per rater */
        size_t nweights;
        int rc;
        char err[256];
        struct rank_result result;
        struct tally_filter filter; /* as counted (times); the strings point into p */
        json_t **flip_votes;        /* robustness: per model, the vote ids of its flip */
        /* style=control: the votes with known features (fit indices), the plain fit beside */
        struct stylefit_vote *svotes;
        size_t nsvotes, missing;
        struct stylefit_coef coef[STYLEFIT_FEATURES];
        struct rank_result plain;
};

_Static_assert(TALLY_STYLE == STYLEFIT_FEATURES, "the vote index keeps the fit's features");

static void models_free(struct model_list *m);

static void job_free(void *p)
{
        struct lb_job *j = p;
        models_free(&j->models);
        for (size_t i = 0; j->names && i < j->n; i++)
                free(j->names[i]);
        free(j->names);
        free(j->ids);
        free(j->pairs);
        free(j->shown);
        free(j->weights);
        for (size_t i = 0; j->flip_votes && i <= j->n; i++) /* + the cell owners at n */
                json_decref(j->flip_votes[i]);
        free(j->flip_votes);
        free(j->svotes);
        rank_result_fini(&j->result);
        rank_result_fini(&j->plain);
        free(j);
}

/* --- options --- */

static const char *const known_params[] = {
        "ties",     "both_bad",   "ci",    "rounds", "seed",          "category",
        "language", "since",      "until", "anchor", "anchor_rating", "min_votes",
        "weights",  "robustness", "style", "format", "strength",      NULL
};

static int parse_params(struct req *r, struct lb_params *p)
{
        static const char *const ties_names[] = { "half", "davidson", "exclude", NULL };
        static const enum rank_ties ties_values[] = { RANK_TIES_HALF, RANK_TIES_DAVIDSON,
                                                      RANK_TIES_EXCLUDE };
        static const char *const bb_names[] = { "tie", "exclude", NULL };
        static const enum rank_both_bad bb_values[] = { RANK_BOTH_BAD_TIE, RANK_BOTH_BAD_EXCLUDE };
        static const char *const ci_names[] = { "sandwich", "bootstrap", "none", NULL };
        static const enum rank_ci ci_values[] = { RANK_CI_SANDWICH, RANK_CI_BOOTSTRAP,
                                                  RANK_CI_NONE };
        static const char *const weights_names[] = { "none", "reliability", NULL };
        static const char *const style_names[] = { "none", "control", NULL };
        static const char *const format_names[] = { "json", "csv", NULL };
        static const char *const strength_names[] = { "none", "weight", NULL };
        rank_opts_default(&p->opts);
        struct qv q;
        qv_init(&q, r, known_params);
        int ties = qv_enum(&q, "ties", ties_names, 0);
        int bb = qv_enum(&q, "both_bad", bb_names, 0);
        int ci = qv_enum(&q, "ci", ci_names, 0);
        int weights = qv_enum(&q, "weights", weights_names, 0);
        int style = qv_enum(&q, "style", style_names, 0);
        int strength = qv_enum(&q, "strength", strength_names, 0);
        long long rounds = p->opts.rounds, seed = (long long)p->opts.seed, minv = 0;
        qv_bool(&q, "robustness", &p->robustness);
        qv_int(&q, "rounds", RANK_ROUNDS_MIN, RANK_ROUNDS_MAX, &rounds);
        qv_int(&q, "seed", 0, 9007199254740991LL, &seed);
        qv_number(&q, "anchor_rating", -1e9, 1e9, &p->opts.anchor_rating);
        qv_int(&q, "min_votes", 0, 1000000000000LL, &minv);
        qv_text(&q, "anchor", p->anchor, sizeof(p->anchor));
        qv_text(&q, "category", p->category, sizeof(p->category));
        qv_text(&q, "language", p->language, sizeof(p->language));
        p->has_since = qv_timestamp(&q, "since", p->since, sizeof(p->since), false, &p->since_us);
        p->has_until = qv_timestamp(&q, "until", p->until, sizeof(p->until), false, &p->until_us);
        if (p->has_since && p->has_until)
                qv_order(&q, "since", p->since_us, "until", p->until_us);
        p->ties = ties_names[ties];
        p->both_bad = bb_names[bb];
        p->ci = ci_names[ci];
        p->weights = weights_names[weights];
        p->opts.ties = ties_values[ties];
        p->opts.both_bad = bb_values[bb];
        p->opts.ci = ci_values[ci];
        p->csv = qv_enum(&q, "format", format_names, 0) == 1;
        p->strength = strength == 1;
        p->opts.rounds = (unsigned)rounds;
        p->opts.seed = (uint64_t)seed;
        p->min_votes = minv;
        p->reliability = weights == 1;
        p->style = style == 1;
        if (p->strength && (p->robustness || p->style))
                qv_fail(&q, "strength",
                        "strength=weight weighs the counts: it does not combine with "
                        "robustness=true or style=control");
        p->opts.model_se = false; /* not reported */
        p->opts.robustness = p->robustness;
        if (p->robustness && p->reliability)
                qv_fail(&q, "robustness",
                        "robustness=true counts votes, not weights: drop weights=reliability");
        if (p->robustness && p->style)
                qv_fail(&q, "robustness",
                        "robustness=true is computed for the plain Bradley-Terry fit: drop "
                        "style=control");
        if (p->style && p->opts.ties == RANK_TIES_DAVIDSON)
                qv_fail(&q, "style",
                        "style=control counts ties as half a win or excludes them: use "
                        "ties=half or ties=exclude");
        return qv_reply(&q) ? -1 : 0;
}

/* --- the fit --- */

static void fit_run(void *arg)
{
        struct lb_job *j = arg;
        if (!j->p.style) {
                j->rc = rank_fit(j->n, j->pairs, j->npairs, &j->p.opts, &j->result, j->err,
                                 sizeof(j->err));
                return;
        }
        j->rc = stylefit_fit(j->n, j->svotes, j->nsvotes, &j->p.opts, &j->result, j->coef, j->err,
                             sizeof(j->err));
        if (j->rc != 0)
                return;
        struct rank_opts o = j->p.opts; /* the same votes without style control: rating_plain */
        o.ci = RANK_CI_NONE;
        char err[256];
        if (rank_fit(j->n, j->pairs, j->npairs, &o, &j->plain, err, sizeof(err)) != 0) {
                j->rc = -1;
                snprintf(j->err, sizeof(j->err), "%s", err);
        }
}

static double round_to(double x, double unit)
{
        return round(x / unit) * unit;
}

static void now_rfc3339(char *out, size_t len)
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000) % 1000);
}

struct order_key {
        unsigned rank;
        double rating;
        const char *name;
        size_t index;
};

static int by_rank(const void *a, const void *b)
{
        const struct order_key *x = a, *y = b;
        if (x->rank != y->rank)
                return x->rank < y->rank ? -1 : 1;
        if (x->rating != y->rating)
                return x->rating > y->rating ? -1 : 1;
        return strcmp(x->name, y->name);
}

/* Model indices in leaderboard order: rank, then rating (descending), then name. */
static size_t *leaderboard_order(const struct lb_job *j)
{
        struct order_key *keys = malloc(j->n * sizeof(*keys) + 1);
        size_t *order = malloc(j->n * sizeof(size_t) + 1);
        if (keys && order) {
                for (size_t i = 0; i < j->n; i++)
                        keys[i] = (struct order_key){ j->result.models[i].rank,
                                                      j->result.models[i].rating, j->names[i], i };
                qsort(keys, j->n, sizeof(*keys), by_rank);
                for (size_t i = 0; i < j->n; i++)
                        order[i] = keys[i].index;
        } else {
                free(order);
                order = NULL;
        }
        free(keys);
        return order;
}

static json_t *flags_json(unsigned flags)
{
        static const struct {
                unsigned bit;
                const char *name;
        } names[] = { { RANK_FLAG_NO_WINS, "no_wins" },
                      { RANK_FLAG_NO_LOSSES, "no_losses" },
                      { RANK_FLAG_PRIOR, "prior" },
                      { RANK_FLAG_ISOLATED, "isolated" },
                      { RANK_FLAG_ANCHOR, "anchor" } };
        json_t *a = json_array();
        for (size_t i = 0; i < ARRAY_LEN(names); i++)
                if (flags & names[i].bit)
                        json_array_append_new(a, json_string(names[i].name));
        return a;
}

static json_t *method_json(const struct lb_job *j)
{
        const struct rank_opts *o = &j->p.opts;
        bool boot = o->ci == RANK_CI_BOOTSTRAP;
        json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:f, s:f, s:f, s:o}", "model",
                              o->ties == RANK_TIES_DAVIDSON ? "davidson" : "bradley-terry", "ties",
                              j->p.ties, "both_bad", j->p.both_bad, "ci", j->p.ci, "rounds",
                              boot ? json_integer(o->rounds) : json_null(), "seed",
                              boot ? json_integer((json_int_t)o->seed) : json_null(), "scale",
                              o->scale, "base", o->base, "init", o->init, "anchor",
                              j->p.anchor[0] ? json_string(j->p.anchor) : json_null());
        if (j->p.anchor[0])
                json_object_set_new(m, "anchor_rating", json_real(o->anchor_rating));
        if (o->ties == RANK_TIES_DAVIDSON)
                json_object_set_new(m, "tie_strength", json_real(j->result.tie_strength));
        json_object_set_new(m, "weights", json_string(j->p.weights));
        json_object_set_new(m, "robustness", json_boolean(j->p.robustness));
        json_object_set_new(m, "style", json_string(j->p.style ? "control" : "none"));
        json_object_set_new(m, "strength", json_string(j->p.strength ? "weight" : "none"));
        return m;
}

static json_t *filters_json(const struct lb_job *j)
{
        json_t *f = json_object();
        const char *const keys[] = { "category", "language", "since", "until" };
        const char *const vals[] = { j->p.category, j->p.language, j->p.since, j->p.until };
        for (size_t i = 0; i < ARRAY_LEN(keys); i++)
                if (vals[i][0])
                        json_object_set_new(f, keys[i], json_string(vals[i]));
        if (j->p.min_votes)
                json_object_set_new(f, "min_votes", json_integer(j->p.min_votes));
        return f;
}

/* style=control: the coefficients and what the fit counted. */
static json_t *style_json(const struct lb_job *j)
{
        json_t *features = json_array();
        for (size_t k = 0; k < STYLEFIT_FEATURES; k++) {
                const struct stylefit_coef *c = &j->coef[k];
                json_array_append_new(
                    features,
                    json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:b}", "name",
                              stylefit_feature_names[k], "coef", round_to(c->beta, 1e-6), "ci_low",
                              round_to(c->ci_low, 1e-6), "ci_high", round_to(c->ci_high, 1e-6),
                              "se", round_to(c->se, 1e-6), "mean", round_to(c->mean, 1e-6), "sd",
                              round_to(c->sd, 1e-6), "constant", c->constant));
        }
        return json_pack("{s:o, s:I, s:I, s:f}", "features", features, "votes",
                         (json_int_t)j->nsvotes, "votes_without_features", (json_int_t)j->missing,
                         "penalty", STYLEFIT_L2);
}

/* A model's flip against the model rated just below it: null for the last of its component. */
static json_t *flip_json(const struct lb_job *j, size_t i)
{
        const struct rank_flip *f = &j->result.flips[i];
        if (f->below < 0)
                return json_null();
        json_t *ids =
            j->flip_votes && j->flip_votes[i] ? json_incref(j->flip_votes[i]) : json_array();
        return json_pack(
            "{s:s, s:o, s:o, s:o, s:I}", "below", j->names[f->below], "votes",
            f->found ? json_integer((json_int_t)llround(f->votes)) : json_null(), "share",
            f->found && j->votes > 0 ? json_real(round_to(f->votes / j->votes, 1e-9)) : json_null(),
            "vote_ids", ids, "predicted", (json_int_t)llround(f->predicted));
}

/* A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
static void csv_field(struct buf *b, const char *s)
{
        if (strpbrk(s, ",\"\r\n") == NULL) {
                buf_str(b, s);
                return;
        }
        buf_str(b, "\"");
        for (const char *c = s; *c; c++) {
                buf_put(b, c, 1);
                if (*c == '"')
                        buf_put(b, c, 1); /* doubled */
        }
        buf_str(b, "\"");
}

/* format=csv: one row per model, in rank order, the numbers of the JSON answer. */
static void reply_leaderboard_csv(struct req *r, struct lb_job *j, const size_t *order)
{
        struct buf b = { 0 };
        buf_str(&b, "rank,model,rating,ci_low,ci_high,votes,wins,losses,ties,both_bad,win_rate"
                    "\r\n");
        for (size_t k = 0; order && k < j->n; k++) {
                size_t i = order[k];
                const struct rank_model *m = &j->result.models[i];
                char row[512];
                snprintf(row, sizeof(row), "%d,", (int)m->rank);
                buf_str(&b, row);
                csv_field(&b, j->names[i]);
                snprintf(row, sizeof(row), ",%.4f,%.4f,%.4f,%lld,%lld,%lld,%lld,%lld,%.6f\r\n",
                         round_to(m->rating, 1e-4), round_to(m->ci_low, 1e-4),
                         round_to(m->ci_high, 1e-4), llround(m->n), llround(m->wins),
                         llround(m->losses), llround(m->ties), llround(m->both_bad),
                         m->n > 0 ? round_to((m->wins + m->ties / 2) / m->n, 1e-6) : 0);
                buf_str(&b, row);
        }
        if (b.oom) {
                buf_fini(&b);
                req_reply_oom(r);
                return;
        }
        req_reply_raw(r, 200, "text/csv; charset=utf-8", b.data, b.len);
        buf_fini(&b);
}

static void reply_leaderboard(struct req *r, struct lb_job *j)
{
        if (j->p.csv) {
                size_t *ord = leaderboard_order(j);
                reply_leaderboard_csv(r, j, ord);
                free(ord);
                return;
        }
        char now[64];
        now_rfc3339(now, sizeof(now));
        size_t *order = leaderboard_order(j);
        json_t *models = json_array();
        for (size_t k = 0; order && k < j->n; k++) {
                size_t i = order[k];
                const struct rank_model *m = &j->result.models[i];
                json_t *e = json_pack(
                    "{s:s, s:i, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:f}", "model", j->names[i],
                    "rank", (int)m->rank, "rating", round_to(m->rating, 1e-4), "ci_low",
                    round_to(m->ci_low, 1e-4), "ci_high", round_to(m->ci_high, 1e-4), "votes",
                    (json_int_t)llround(m->n), "wins", (json_int_t)llround(m->wins), "losses",
                    (json_int_t)llround(m->losses), "ties", (json_int_t)llround(m->ties),
                    "both_bad", (json_int_t)llround(m->both_bad), "win_rate",
                    m->n > 0 ? round_to((m->wins + m->ties / 2) / m->n, 1e-6) : 0);
                if (j->result.components > 1)
                        json_object_set_new(e, "component", json_integer(m->component));
                if (m->flags)
                        json_object_set_new(e, "flags", flags_json(m->flags));
                if (j->result.flips)
                        json_object_set_new(e, "flip", flip_json(j, i));
                if (j->p.style)
                        json_object_set_new(e, "rating_plain",
                                            json_real(round_to(j->plain.models[i].rating, 1e-4)));
                json_array_append_new(models, e);
        }
        free(order);
        json_t *body = json_pack(
            "{s:s, s:I, s:s, s:o, s:o, s:{s:I, s:I, s:I}, s:I, s:o, s:i, s:b}", "project",
            req_param(r, 0), "votes", (json_int_t)llround(j->votes), "computed_at", now, "method",
            method_json(j), "models", models, "position_bias", "left", (json_int_t)llround(j->left),
            "right", (json_int_t)llround(j->right), "tie", (json_int_t)llround(j->tied),
            "components", (json_int_t)j->result.components, "filters", filters_json(j),
            "iterations", (int)j->result.iterations, "converged", j->result.converged);
        if (j->p.style)
                json_object_set_new(body, "style", style_json(j));
        req_reply_json(r, 200, body);
}

static void reply_matrix(struct req *r, struct lb_job *j)
{
        size_t n = j->n;
        size_t *order = leaderboard_order(j);
        double *wins = calloc(n * n + 1, sizeof(double)); /* wins[i*n+j]: i over j, ties half */
        double *count = calloc(n * n + 1, sizeof(double));
        if (!order || !wins || !count) {
                free(order);
                free(wins);
                free(count);
                req_reply_oom(r);
                return;
        }
        bool bb_tie = j->p.opts.both_bad == RANK_BOTH_BAD_TIE;
        const struct rank_pair *pairs = j->shown ? j->shown : j->pairs;
        size_t npairs = j->shown ? j->nshown : j->npairs;
        for (size_t k = 0; k < npairs; k++) {
                const struct rank_pair *p = &pairs[k];
                double t = p->ties + (bb_tie ? p->both_bad : 0);
                double total = p->a_wins + p->b_wins + t;
                wins[p->a * n + p->b] += p->a_wins + t / 2;
                wins[p->b * n + p->a] += p->b_wins + t / 2;
                count[p->a * n + p->b] += total;
                count[p->b * n + p->a] += total;
        }
        json_t *names = json_array(), *counts = json_array(), *observed = json_array(),
               *predicted = json_array();
        for (size_t a = 0; a < n; a++) {
                size_t i = order[a];
                json_array_append_new(names, json_string(j->names[i]));
                json_t *cr = json_array(), *orow = json_array(), *prow = json_array();
                for (size_t b = 0; b < n; b++) {
                        size_t k = order[b];
                        double c = count[i * n + k];
                        json_array_append_new(cr, json_integer((json_int_t)llround(c)));
                        json_array_append_new(
                            orow, i != k && c > 0 ? json_real(round_to(wins[i * n + k] / c, 1e-6))
                                                  : json_null());
                        bool comparable = i != k && j->result.models[i].component ==
                                                        j->result.models[k].component;
                        json_array_append_new(
                            prow, comparable
                                      ? json_real(round_to(rank_predict(&j->result, i, k), 1e-6))
                                      : json_null());
                }
                json_array_append_new(counts, cr);
                json_array_append_new(observed, orow);
                json_array_append_new(predicted, prow);
        }
        free(order);
        free(wins);
        free(count);
        req_reply_json(r, 200,
                       json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "project", req_param(r, 0),
                                 "models", names, "counts", counts, "observed", observed,
                                 "predicted", predicted, "filters", filters_json(j)));
}

/* A weighted fit reports the plain counts of every model. */
static void show_plain_counts(struct lb_job *j)
{
        for (size_t i = 0; i < j->result.n; i++) {
                struct rank_model *m = &j->result.models[i];
                m->wins = m->losses = m->ties = m->both_bad = m->n = 0;
        }
        for (size_t k = 0; k < j->nshown; k++) {
                const struct rank_pair *p = &j->shown[k];
                struct rank_model *a = &j->result.models[p->a], *b = &j->result.models[p->b];
                a->wins += p->a_wins;
                a->losses += p->b_wins;
                b->wins += p->b_wins;
                b->losses += p->a_wins;
                a->ties += p->ties;
                b->ties += p->ties;
                a->both_bad += p->both_bad;
                b->both_bad += p->both_bad;
        }
        for (size_t i = 0; i < j->result.n; i++) {
                struct rank_model *m = &j->result.models[i];
                m->n = m->wins + m->losses + m->ties + m->both_bad;
        }
}

/* Rows (cell, vote id) of prefd_flip_votes: each cell's votes go to the model whose flip it is. */
static void flips_read(struct req *r, const struct db_res *res)
{
        struct lb_job *j = r->state;
        if (req_db_failed(r, res))
                return;
        json_t *owner = j->flip_votes[j->n]; /* cell -> model, parked there by fetch_flips */
        for (int row = 0; row < db_res_nrows(res); row++) {
                size_t cell = (size_t)db_res_int(res, row, 0);
                size_t i = (size_t)json_integer_value(json_array_get(owner, cell));
                json_array_append_new(j->flip_votes[i], json_integer(db_res_int(res, row, 1)));
        }
        reply_leaderboard(r, j);
}

/*
 * The votes fragility names (sql/functions/prefd_flip_votes.sql): $1 the project, $2 the cells
 * as JSON, $3 to $6 the filters (NULL: none), $7 both_bad counted as a tie.
 */
static const char flip_votes_sql[] = "SELECT cell, vote_id "
                                     "FROM prefd_flip_votes($1, $2::jsonb, $3, $4, $5::bigint, "
                                     "$6::bigint, $7::boolean)";

/* robustness: looks up the votes of every flip's cells (the most recent ones of each pair and
 * outcome, under the same filters), then replies. */
static void fetch_flips(struct req *r, struct lb_job *j)
{
        json_t *cells = json_array(), *owner = json_array();
        j->flip_votes = calloc(j->n + 1, sizeof(json_t *));
        if (!cells || !owner || !j->flip_votes) {
                json_decref(cells);
                json_decref(owner);
                req_reply_oom(r);
                return;
        }
        for (size_t i = 0; i < j->n; i++) {
                const struct rank_flip *f = &j->result.flips[i];
                j->flip_votes[i] = json_array();
                for (size_t q = 0; f->found && q < f->nremovals; q++) {
                        const struct rank_removal *rm = &f->removals[q];
                        int64_t a = j->ids[rm->a], b = j->ids[rm->b];
                        json_array_append_new(
                            cells,
                            json_pack("{s:I, s:I, s:I, s:o, s:I}", "cell",
                                      (json_int_t)json_array_size(cells), "lo",
                                      (json_int_t)MIN(a, b), "hi", (json_int_t)MAX(a, b), "winner",
                                      rm->kind == 2 ? json_null()
                                                    : json_integer(rm->kind == 0 ? a : b),
                                      "n", (json_int_t)llround(rm->count)));
                        json_array_append_new(owner, json_integer((json_int_t)i));
                }
        }
        j->flip_votes[j->n] = owner;
        if (json_array_size(cells) == 0) {
                json_decref(cells);
                reply_leaderboard(r, j);
                return;
        }
        char project[24], since[24], until[24];
        char *text = json_dumps(cells, JSON_COMPACT);
        json_decref(cells);
        snprintf(project, sizeof(project), "%lld", (long long)j->project_id);
        snprintf(since, sizeof(since), "%lld", (long long)j->filter.since_us);
        snprintf(until, sizeof(until), "%lld", (long long)j->filter.until_us);
        const char *params[] = { project,
                                 text,
                                 j->p.category[0] ? j->p.category : NULL,
                                 j->p.language[0] ? j->p.language : NULL,
                                 j->filter.has_since ? since : NULL,
                                 j->filter.has_until ? until : NULL,
                                 j->p.opts.both_bad == RANK_BOTH_BAD_TIE ? "true" : "false" };
        if (!text) {
                req_reply_oom(r);
                return;
        }
        req_db(r, flip_votes_sql, 7, params, flips_read);
        free(text);
}

static void fit_done(void *arg)
{
        struct lb_job *j = arg;
        struct req *r = j->req;
        if (j->rc != 0) {
                log_error(r->id, "msg=rank_fit_failed detail=%s", LOGQ(j->err));
                req_reply_error(r, 500, "internal", NULL, "the ranking could not be computed: %s",
                                j->err);
                return;
        }
        if (!j->result.converged)
                log_warn(r->id, "msg=rank_fit_not_converged iterations=%u detail=%s",
                         j->result.iterations, LOGQ(j->err));
        if (j->shown)
                show_plain_counts(j);
        if (j->matrix)
                reply_matrix(r, j);
        else if (j->result.flips)
                fetch_flips(r, j);
        else
                reply_leaderboard(r, j);
}

/* --- the counts --- */

static bool filtered(const struct lb_params *p)
{
        return p->category[0] || p->language[0] || p->since[0] || p->until[0];
}

static int find_id(const int64_t *ids, size_t n, int64_t id)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (ids[mid] == id)
                        return (int)mid;
                if (ids[mid] < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

/* The pairs of counts among the kept models, indexed densely (keep[] maps an id index to a fit
 * index + 1); adds their votes to the position bias when bias is set. */
static size_t dense_pairs(struct lb_job *j, const int64_t *all_ids, size_t nm, const int *keep,
                          const struct tally_pair *counts, size_t nc, struct rank_pair *out,
                          bool bias)
{
        size_t k = 0;
        for (size_t i = 0; i < nc; i++) {
                const struct tally_pair *c = &counts[i];
                int a = find_id(all_ids, nm, c->lo), b = find_id(all_ids, nm, c->hi);
                if (a < 0 || b < 0 || !keep[a] || !keep[b])
                        continue;
                out[k++] = (struct rank_pair){ .a = (uint32_t)(keep[a] - 1),
                                               .b = (uint32_t)(keep[b] - 1),
                                               .a_wins = c->lo_wins,
                                               .b_wins = c->hi_wins,
                                               .ties = c->ties,
                                               .both_bad = c->both_bad };
                if (bias) {
                        j->left += c->left_wins;
                        j->right += c->right_wins;
                        j->tied += c->ties + c->both_bad;
                        j->votes += c->lo_wins + c->hi_wins + c->ties + c->both_bad;
                }
        }
        return k;
}

/*
 * Builds the fit's input from the project's models (ids ascending, names) and the counts per
 * pair: keeps the models with counted votes (and min_votes), indexes them densely. A weighted
 * fit (counts weighted, shown plain) keeps and reports by the plain counts.
 */
static int build_input(struct lb_job *j, const int64_t *all_ids, char *const *all_names, size_t nm,
                       const struct tally_pair *counts, size_t nc, const struct tally_pair *shown,
                       size_t ns)
{
        double *total = calloc(nm + 1, sizeof(double));
        int *keep = calloc(nm + 1, sizeof(int));
        j->pairs = calloc(nc + 1, sizeof(struct rank_pair));
        j->ids = calloc(nm + 1, sizeof(int64_t));
        j->names = calloc(nm + 1, sizeof(char *));
        int rc = -1;
        if (!total || !keep || !j->pairs || !j->ids || !j->names)
                goto out;
        for (size_t i = 0; i < ns; i++) {
                int a = find_id(all_ids, nm, shown[i].lo), b = find_id(all_ids, nm, shown[i].hi);
                double n = shown[i].lo_wins + shown[i].hi_wins + shown[i].ties + shown[i].both_bad;
                if (a >= 0 && b >= 0) {
                        total[a] += n;
                        total[b] += n;
                }
        }
        for (size_t i = 0, k = 0; i < nm; i++) {
                if (total[i] <= 0 || total[i] < (double)j->p.min_votes)
                        continue;
                keep[i] = (int)++k;
                j->ids[k - 1] = all_ids[i];
                if (!(j->names[k - 1] = strdup(all_names[i])))
                        goto out;
                j->n = k;
        }
        j->npairs = dense_pairs(j, all_ids, nm, keep, counts, nc, j->pairs, shown == counts);
        if (shown != counts) {
                if (!(j->shown = calloc(ns + 1, sizeof(struct rank_pair))))
                        goto out;
                j->nshown = dense_pairs(j, all_ids, nm, keep, shown, ns, j->shown, true);
        }
        rc = 0;
out:
        free(total);
        free(keep);
        return rc;
}

/* Resolves the anchor and runs the fit on a worker (or answers an empty ranking). */
static void fit(struct req *r, struct lb_job *j)
{
        j->p.opts.anchor = -1;
        if (j->p.anchor[0]) {
                for (size_t i = 0; i < j->n; i++)
                        if (strcmp(j->names[i], j->p.anchor) == 0)
                                j->p.opts.anchor = (long)i;
                if (j->p.opts.anchor < 0) {
                        req_reply_error(r, 400, "bad_request", NULL,
                                        "anchor \"%s\" is not a model with counted votes here",
                                        j->p.anchor);
                        return;
                }
        }
        if (j->n == 0) {
                /* Nothing to fit yet: an empty ranking. */
                j->result.converged = true;
                fit_done(j);
                return;
        }
        if (work_submit(r->app->work, fit_run, fit_done, j) != 0)
                req_reply_error(r, 503, "unavailable", NULL, "the server is shutting down");
}

static void models_free(struct model_list *m)
{
        for (size_t i = 0; i < m->n; i++)
                free(m->names[i]);
        free(m->names);
        free(m->ids);
        memset(m, 0, sizeof(*m));
}

static void counted(struct req *r, struct lb_job *j, const struct tally_pair *counts, size_t nc,
                    const struct tally_pair *shown, size_t ns)
{
        int rc = build_input(j, j->models.ids, j->models.names, j->models.n, counts, nc, shown, ns);
        models_free(&j->models);
        if (rc != 0) {
                req_reply_oom(r);
                return;
        }
        fit(r, j);
}

/* Adds one outcome (weight w) of the pair (lo, hi) to the pair list, lo < hi fit indices. */
static int pair_add(struct u64map *at, struct rank_pair *pairs, size_t *np, uint32_t lo,
                    uint32_t hi, enum tally_outcome o, double w)
{
        uint32_t k;
        uint64_t key = (uint64_t)lo << 32 | hi;
        if (!u64map_get(at, key, &k)) {
                k = (uint32_t)(*np)++;
                pairs[k] = (struct rank_pair){ .a = lo, .b = hi };
                if (u64map_put(at, key, k) != 0)
                        return -1;
        }
        struct rank_pair *p = &pairs[k];
        *(o == TALLY_LO     ? &p->a_wins
          : o == TALLY_HI   ? &p->b_wins
          : o == TALLY_TIED ? &p->ties
                            : &p->both_bad) += w;
        return 0;
}

/*
 * style=control: the votes with known features, the models they involve (min_votes on their
 * plain counts), each vote with fit indices and features, the same votes aggregated for the plain
 * fit (weighted as asked; shown unweighted), and the position bias.
 */
static void style_counted(struct req *r, struct lb_job *j, const struct tally_filter *f)
{
        struct tally_vote *v = NULL;
        int64_t *tids = NULL;
        size_t nv, ntm, nm = j->models.n;
        struct u64map at = { 0 }, shown_at = { 0 };
        double *total = NULL;
        int *keep = NULL, *fit_of = NULL;
        bool ok = false;
        if (tally_votes(r->app->tally, j->project_id, f, &v, &nv, &tids, &ntm, &j->missing) != 0)
                goto oom;
        total = calloc(nm + 1, sizeof(double));
        keep = calloc(nm + 1, sizeof(int));
        fit_of = calloc(ntm + 1, sizeof(int)); /* tally index -> fit index + 1 */
        j->ids = calloc(nm + 1, sizeof(int64_t));
        j->names = calloc(nm + 1, sizeof(char *));
        j->svotes = calloc(nv + 1, sizeof(*j->svotes));
        j->pairs = calloc(nv + 1, sizeof(struct rank_pair));
        if (f->weights)
                j->shown = calloc(nv + 1, sizeof(struct rank_pair));
        if (!total || !keep || !fit_of || !j->ids || !j->names || !j->svotes || !j->pairs ||
            (f->weights && !j->shown))
                goto oom;
        for (size_t k = 0; k < nv; k++) {
                int a = find_id(j->models.ids, nm, tids[v[k].lo]);
                int b = find_id(j->models.ids, nm, tids[v[k].hi]);
                if (a >= 0 && b >= 0) {
                        total[a]++;
                        total[b]++;
                }
        }
        for (size_t i = 0; i < nm; i++) {
                if (total[i] <= 0 || total[i] < (double)j->p.min_votes)
                        continue;
                keep[i] = (int)++j->n;
                j->ids[j->n - 1] = j->models.ids[i];
                if (!(j->names[j->n - 1] = strdup(j->models.names[i])))
                        goto oom;
        }
        for (size_t t = 0; t < ntm; t++) {
                int a = find_id(j->models.ids, nm, tids[t]);
                fit_of[t] = a >= 0 ? keep[a] : 0;
        }
        for (size_t k = 0; k < nv; k++) {
                const struct tally_vote *x = &v[k];
                int a = fit_of[x->lo], b = fit_of[x->hi];
                if (!a || !b)
                        continue;
                j->votes++;
                if (x->outcome == TALLY_LO || x->outcome == TALLY_HI)
                        *((x->outcome == TALLY_LO) == x->left_is_lo ? &j->left : &j->right) += 1;
                else
                        j->tied++;
                if (j->shown && pair_add(&shown_at, j->shown, &j->nshown, (uint32_t)(a - 1),
                                         (uint32_t)(b - 1), x->outcome, 1) != 0)
                        goto oom;
                if (!(x->weight > 0))
                        continue; /* weighs nothing: in the counts, not in the fits */
                /* as shown: a is the left answer (the arena's model_a), so that the features'
                 * differences centre near 0 over votes whose sides were drawn at random */
                struct stylefit_vote *sv = &j->svotes[j->nsvotes++];
                bool lo_left = x->left_is_lo;
                enum stylefit_outcome lo_won = lo_left ? STYLEFIT_A : STYLEFIT_B;
                enum stylefit_outcome hi_won = lo_left ? STYLEFIT_B : STYLEFIT_A;
                *sv = (struct stylefit_vote){ .a = (uint32_t)((lo_left ? a : b) - 1),
                                              .b = (uint32_t)((lo_left ? b : a) - 1),
                                              .outcome = x->outcome == TALLY_LO   ? lo_won
                                                         : x->outcome == TALLY_HI ? hi_won
                                                         : x->outcome == TALLY_TIED
                                                             ? STYLEFIT_TIE
                                                             : STYLEFIT_BOTH_BAD,
                                              .weight = x->weight };
                memcpy(sv->fa, lo_left ? x->style_lo : x->style_hi, sizeof(sv->fa));
                memcpy(sv->fb, lo_left ? x->style_hi : x->style_lo, sizeof(sv->fb));
                if (pair_add(&at, j->pairs, &j->npairs, (uint32_t)(a - 1), (uint32_t)(b - 1),
                             x->outcome, x->weight) != 0)
                        goto oom;
        }
        ok = true;
oom:
        free(v);
        free(tids);
        free(total);
        free(keep);
        free(fit_of);
        u64map_fini(&at);
        u64map_fini(&shown_at);
        if (!ok) {
                req_reply_oom(r);
                return;
        }
        models_free(&j->models);
        fit(r, j);
}

static void synced(int status, const char *message, void *arg)
{
        struct lb_job *j = arg;
        struct req *r = j->req;
        if (status != 0) {
                req_reply_error(r, 503, "unavailable", NULL,
                                "the vote index could not be brought up to date: %s", message);
                return;
        }
        struct tally_filter f = { .category = j->p.category[0] ? j->p.category : NULL,
                                  .language = j->p.language[0] ? j->p.language : NULL,
                                  .has_since = j->p.has_since,
                                  .has_until = j->p.has_until,
                                  .since_us = j->p.since_us,
                                  .until_us = j->p.until_us,
                                  .weights = j->weights,
                                  .nweights = j->nweights,
                                  .strength_weight = j->p.strength };
        j->filter = f;
        if (j->p.style) {
                style_counted(r, j, &f);
                return;
        }
        struct tally_pair *counts, *shown = NULL;
        size_t nc, ns = 0;
        if (tally_count(r->app->tally, j->project_id, &f, &counts, &nc) != 0) {
                req_reply_oom(r);
                return;
        }
        if (f.weights || f.strength_weight) {
                f.weights = NULL;
                f.nweights = 0;
                f.strength_weight = false;
                if (tally_count(r->app->tally, j->project_id, &f, &shown, &ns) != 0) {
                        free(counts);
                        req_reply_oom(r);
                        return;
                }
        }
        counted(r, j, counts, nc, shown ? shown : counts, shown ? ns : nc);
        free(counts);
        free(shown);
}

struct model_key {
        int64_t id;
        char *name;
};

static int by_id(const void *a, const void *b)
{
        int64_t x = ((const struct model_key *)a)->id, y = ((const struct model_key *)b)->id;
        return x < y ? -1 : x > y;
}

/* Models by ascending id, for find_id. */
static int sort_models(struct model_list *m)
{
        struct model_key *keys = malloc(m->n * sizeof(*keys) + 1);
        if (!keys)
                return -1;
        for (size_t i = 0; i < m->n; i++)
                keys[i] = (struct model_key){ m->ids[i], m->names[i] };
        qsort(keys, m->n, sizeof(*keys), by_id);
        for (size_t i = 0; i < m->n; i++) {
                m->ids[i] = keys[i].id;
                m->names[i] = keys[i].name;
        }
        free(keys);
        return 0;
}

static void warmed(int status, const char *message, void *arg)
{
        /* The background load's outcome is logged by tally.c; nobody waits for it. */
}

/* "lo,hi,lo_wins,hi_wins,ties,both_bad,left_wins,right_wins;..." into counts (malloc'd). */
static int parse_totals(const char *text, struct tally_pair **out, size_t *n)
{
        size_t cap = 1;
        for (const char *p = text; *p; p++)
                cap += *p == ';';
        struct tally_pair *c = calloc(cap, sizeof(*c));
        if (!c)
                return -1;
        size_t k = 0;
        const char *p = text;
        while (*p && k < cap) {
                long long v[8];
                char *end;
                for (int f = 0; f < 8; f++) {
                        v[f] = strtoll(p, &end, 10);
                        p = *end ? end + 1 : end;
                }
                c[k++] = (struct tally_pair){ .lo = v[0],
                                              .hi = v[1],
                                              .lo_wins = (double)v[2],
                                              .hi_wins = (double)v[3],
                                              .ties = (double)v[4],
                                              .both_bad = (double)v[5],
                                              .left_wins = (double)v[6],
                                              .right_wins = (double)v[7] };
        }
        *out = c;
        *n = k;
        return 0;
}

static void totals_read(struct req *r, const struct db_res *res)
{
        struct lb_job *j = r->state;
        if (req_db_failed(r, res))
                return;
        struct tally_pair *counts;
        size_t nc;
        if (parse_totals(db_res_value(res, 0, 0), &counts, &nc) != 0) {
                req_reply_oom(r);
                return;
        }
        counted(r, j, counts, nc, counts, nc);
        free(counts);
}

/* weights=reliability: keeps the raters' weights, then counts from the index like a filter. */
static void weighed(struct req *r, void *arg, int status, const struct tally_weight *w, size_t n)
{
        struct lb_job *j = arg;
        if (status != 0) {
                req_reply_error(r, 503, "unavailable", NULL,
                                "the raters' reliability could not be computed");
                return;
        }
        if (!(j->weights = malloc(n * sizeof(*w) + 1))) {
                req_reply_oom(r);
                return;
        }
        if (n)
                memcpy(j->weights, w, n * sizeof(*w));
        j->nweights = n;
        tally_sync(r->app->tally, j->project_id, synced, j);
}

/*
 * The pair totals the vote transactions keep (one row per shard), added up per model pair, as
 * text: "lo,hi,lo_wins,hi_wins,ties,both_bad,left_wins,right_wins" per pair, joined by ';'.
 */
static const char pair_totals_sql[] =
    "SELECT coalesce(string_agg(concat_ws(',', model_lo, model_hi, lo_wins, hi_wins, ties, "
    "both_bad, left_wins, right_wins), ';'), '') "
    "FROM (SELECT model_lo, model_hi, sum(lo_wins) AS lo_wins, sum(hi_wins) AS hi_wins, "
    "sum(ties) AS ties, sum(both_bad) AS both_bad, sum(left_wins) AS left_wins, "
    "sum(right_wins) AS right_wins "
    "FROM pair_totals "
    "WHERE project_id = $1 "
    "GROUP BY model_lo, model_hi) t";

/* Rows: kind -1 the project, kind 0 its models (in no order). */
static void models_read(struct req *r, const struct db_res *res)
{
        struct lb_job *j = r->state;
        if (req_db_failed(r, res))
                return;
        int rows = db_res_nrows(res), prow = -1;
        for (int i = 0; i < rows && prow < 0; i++)
                if (db_res_int(res, i, 0) == -1)
                        prow = i;
        if (prow < 0) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        j->project_id = db_res_int(res, prow, 1);
        j->models.ids = calloc((size_t)rows + 1, sizeof(int64_t));
        j->models.names = calloc((size_t)rows + 1, sizeof(char *));
        if (!j->models.ids || !j->models.names) {
                req_reply_oom(r);
                return;
        }
        for (int i = 0; i < rows; i++) {
                if (db_res_int(res, i, 0) != 0)
                        continue;
                j->models.ids[j->models.n] = db_res_int(res, i, 1);
                if (!(j->models.names[j->models.n++] = strdup(db_res_value(res, i, 2)))) {
                        req_reply_oom(r);
                        return;
                }
        }
        if (sort_models(&j->models) != 0) {
                req_reply_oom(r);
                return;
        }
        struct tally *t = r->app->tally;
        if (j->p.reliability) {
                reliability_weights(r, j->project_id, weighed, j);
                return;
        }
        if (filtered(&j->p) || j->p.style || j->p.strength || tally_ready(t, j->project_id)) {
                tally_sync(t, j->project_id, synced, j);
                return;
        }
        /* A cold process: the totals the vote transactions keep, while the index loads. */
        tally_sync(t, j->project_id, warmed, NULL);
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)j->project_id);
        const char *params[] = { id };
        req_db(r, pair_totals_sql, 1, params, totals_read);
}

/* The project and its models (sql/functions/prefd_rank_models.sql): $1 the slug. */
static const char models_sql[] = "SELECT kind, id, name "
                                 "FROM prefd_rank_models($1)";

static void start(struct req *r, bool matrix)
{
        struct lb_job *j = calloc(1, sizeof(*j));
        if (!j) {
                req_reply_oom(r);
                return;
        }
        j->req = r;
        j->matrix = matrix;
        req_set_state(r, j, job_free);
        req_db_may_lag(r); /* rankings: a standby's copy will do */
        if (parse_params(r, &j->p) != 0)
                return;
        if (matrix && j->p.csv) {
                req_reply_error(r, 400, "bad_request", json_pack("{s:s}", "parameter", "format"),
                                "format=csv is offered by the leaderboard, not the matrix");
                return;
        }
        if (matrix) { /* the plain model's win rates: no intervals, fragility or style */
                j->p.opts.ci = RANK_CI_NONE;
                j->p.opts.robustness = false;
                j->p.style = false;
        }
        const char *params[] = { req_param(r, 0) };
        req_db(r, models_sql, 1, params, models_read);
}

void api_rankings_leaderboard(struct req *r)
{
        start(r, false);
}

void api_rankings_matrix(struct req *r)
{
        start(r, true);
}
