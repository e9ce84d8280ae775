/*
 * cmd_rankings.c - leaderboard (an aligned table, CSV or the raw JSON, with every query option
 * of the API as a flag), matrix (observed or predicted win rates, or counts, row over column)
 * and raters (per-rater statistics).
 */
#include "cmd_rankings.h"

#include "args.h"
#include "buf.h"
#include "list.h"
#include "net.h"
#include "table.h"
#include "text.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* A command-line option and the query parameter it becomes. */
struct param {
        const char *opt, *key;
};

static const struct param leaderboard_params[] = {
        { "ties", "ties" },
        { "both-bad", "both_bad" },
        { "ci", "ci" },
        { "rounds", "rounds" },
        { "seed", "seed" },
        { "category", "category" },
        { "language", "language" },
        { "since", "since" },
        { "until", "until" },
        { "anchor", "anchor" },
        { "anchor-rating", "anchor_rating" },
        { "min-votes", "min_votes" },
        { "weights", "weights" },
        { "style", "style" },
};

static const struct args_opt leaderboard_opts[] = {
        { "ties", ARGS_VALUE, 0 },
        { "both-bad", ARGS_VALUE, 0 },
        { "ci", ARGS_VALUE, 0 },
        { "rounds", ARGS_VALUE, 0 },
        { "seed", ARGS_VALUE, 0 },
        { "category", ARGS_VALUE, 0 },
        { "language", ARGS_VALUE, 0 },
        { "since", ARGS_VALUE, 0 },
        { "until", ARGS_VALUE, 0 },
        { "anchor", ARGS_VALUE, 0 },
        { "anchor-rating", ARGS_VALUE, 0 },
        { "min-votes", ARGS_VALUE, 0 },
        { "weights", ARGS_VALUE, 0 },
        { "style", ARGS_VALUE, 0 },
        { "robustness", ARGS_FLAG, 0 },
        { "json", ARGS_FLAG, 0 },
        { "csv", ARGS_FLAG, 0 },
        { NULL, 0, 0 },
};

static const char *const ties_choices[] = { "half", "davidson", "exclude", NULL };
static const char *const both_bad_choices[] = { "tie", "exclude", NULL };
static const char *const ci_choices[] = { "sandwich", "bootstrap", "none", NULL };
static const char *const weights_choices[] = { "none", "reliability", NULL };
static const char *const style_choices[] = { "none", "control", NULL };

/* GETs /api/v1/projects/SLUG/WHAT with the query options; resp->body owned by caller. */
static int get_project(struct ctl *ctl, const char *slug, const char *what, const struct args *a,
                       const struct param *params, size_t nparams, struct net_resp *resp)
{
        struct buf path = BUF_INIT;
        int rc;
        buf_path(&path, "/api/v1/projects/%s/", slug);
        buf_adds(&path, what);
        for (size_t i = 0; i < nparams; i++)
                buf_query(&path, params[i].key, args_get(a, params[i].opt));
        if (args_has(a, "robustness"))
                buf_query(&path, "robustness", "true");
        if (buf_check(&path) != 0)
                rc = ctl_oom(ctl);
        else
                rc = net_get(ctl, buf_str(&path), resp);
        buf_fini(&path);
        return rc;
}

/* The answer as a JSON object, or -1 (exit 4). */
static int parse_object(struct ctl *ctl, const struct net_resp *resp, json_t **out)
{
        if (net_parse(ctl, resp, out) != 0)
                return -1;
        if (json_is_object(*out))
                return 0;
        json_decref(*out);
        *out = NULL;
        return ctl_fail(ctl, CTL_EXIT_SERVER, "the server's answer is not a JSON object");
}

/* A real as "%.*f", or "-" when v is not a number. */
static void cell_fixed(struct table *t, const json_t *v, int decimals, double scale,
                       const char *suffix)
{
        if (json_is_number(v))
                table_cellf(t, "%.*f%s", decimals, json_number_value(v) * scale, suffix);
        else
                table_cell(t, "-");
}

/* A CSV cell: the value's text, empty for null or absent. */
static void cell_raw(struct table *t, const json_t *v)
{
        if (!v || json_is_null(v))
                table_cell(t, "");
        else
                table_cell_json(t, v);
}

/* "vicuna80: 7040 votes, bradley-terry (ties=half, ci=sandwich, ...), computed ..." */
static void leaderboard_header(struct buf *b, const json_t *lb)
{
        const json_t *method = json_object_get(lb, "method");
        const char *key;
        json_t *v;
        char *s;
        const char *project = json_string_value(json_object_get(lb, "project"));
        buf_printf(b, "%s: ", project ? project : "leaderboard");
        s = table_json_text(json_object_get(lb, "votes"));
        buf_printf(b, "%s votes", s ? s : "?");
        free(s);
        const char *model = json_string_value(json_object_get(method, "model"));
        if (model)
                buf_printf(b, ", %s", model);
        bool first = true;
        json_object_foreach((json_t *)method, key, v)
        {
                if (strcmp(key, "model") == 0 || json_is_null(v))
                        continue;
                s = table_json_text(v);
                buf_printf(b, "%s%s=%s", first ? " (" : ", ", key, s ? s : "?");
                free(s);
                first = false;
        }
        if (!first)
                buf_adds(b, ")");
        const char *at = json_string_value(json_object_get(lb, "computed_at"));
        if (at)
                buf_printf(b, ", computed %s", at);
}

/* "3 votes (0.043%) are dropped", "-" for the last model, "no set found" */
static void flip_cell(struct table *t, const json_t *flip)
{
        const json_t *votes = json_object_get(flip, "votes");
        if (!json_is_object(flip))
                table_cell(t, "-");
        else if (!json_is_integer(votes))
                table_cellf(t, "holds against %s (no set found)",
                            json_string_value(json_object_get(flip, "below")));
        else
                table_cellf(t, "%" JSON_INTEGER_FORMAT " vote%s (%.3g%%) are dropped",
                            json_integer_value(votes), json_integer_value(votes) == 1 ? "" : "s",
                            100 * json_number_value(json_object_get(flip, "share")));
}

/* The style coefficients under the table. */
static int style_table(const json_t *st)
{
        const json_t *features = json_object_get(st, "features"), *f;
        struct table t;
        size_t i;
        int rc;
        table_init(&t);
        table_col(&t, "style feature", TABLE_LEFT);
        table_col(&t, "coefficient", TABLE_RIGHT);
        table_col(&t, "95% interval", TABLE_RIGHT);
        json_array_foreach(features, i, f)
        {
                table_cell_json(&t, json_object_get(f, "name"));
                if (json_is_true(json_object_get(f, "constant"))) {
                        table_cell(&t, "constant");
                        table_cell(&t, "-");
                        continue;
                }
                cell_fixed(&t, json_object_get(f, "coef"), 3, 1, "");
                table_cellf(&t, "%.3f\u2013%.3f", json_number_value(json_object_get(f, "ci_low")),
                            json_number_value(json_object_get(f, "ci_high")));
        }
        fprintf(stdout,
                "\nstyle control: %" JSON_INTEGER_FORMAT
                " votes with known answer styles (%" JSON_INTEGER_FORMAT
                " without), log-odds per standard deviation of each feature\n",
                json_integer_value(json_object_get(st, "votes")),
                json_integer_value(json_object_get(st, "votes_without_features")));
        rc = table_print(&t, stdout);
        table_fini(&t);
        return rc;
}

static int leaderboard_table(struct ctl *ctl, const json_t *lb)
{
        const json_t *models = json_object_get(lb, "models");
        bool style = json_is_object(json_object_get(lb, "style"));
        bool robust = json_is_true(json_object_get(json_object_get(lb, "method"), "robustness"));
        const json_t *bias = json_object_get(lb, "position_bias");
        json_int_t components = json_integer_value(json_object_get(lb, "components"));
        const char *ci = json_string_value(json_object_get(json_object_get(lb, "method"), "ci"));
        bool intervals = !ci || strcmp(ci, "none") != 0; /* without, low = high = rating */
        struct buf head = BUF_INIT;
        struct table t;
        size_t i;
        const json_t *m;
        const char *key;
        json_t *v;
        int rc = -1;
        table_init(&t);
        leaderboard_header(&head, lb);
        if (json_is_object(bias) && json_object_size(bias) > 0) {
                buf_adds(&head, "\nposition bias:");
                bool first = true;
                json_object_foreach((json_t *)bias, key, v)
                {
                        char *s = table_json_text(v);
                        buf_printf(&head, "%s %s %s", first ? "" : ",", key, s ? s : "?");
                        free(s);
                        first = false;
                }
        }
        if (components > 1)
                buf_printf(&head,
                           "\nthe comparison graph has %" JSON_INTEGER_FORMAT
                           " components: ratings compare only within a component",
                           components);
        if (buf_check(&head) != 0) {
                ctl_oom(ctl);
                goto out;
        }
        table_col(&t, "rank", TABLE_RIGHT);
        table_col(&t, "model", TABLE_LEFT);
        table_col(&t, "rating", TABLE_RIGHT);
        table_col(&t, "95% interval", TABLE_RIGHT);
        table_col(&t, "votes", TABLE_RIGHT);
        table_col(&t, "win rate", TABLE_RIGHT);
        if (components > 1)
                table_col(&t, "component", TABLE_RIGHT);
        if (style)
                table_col(&t, "without style control", TABLE_RIGHT);
        if (robust)
                table_col(&t, "order holds unless", TABLE_LEFT);
        json_array_foreach(models, i, m)
        {
                const json_t *lo = json_object_get(m, "ci_low"),
                             *hi = json_object_get(m, "ci_high");
                table_cell_json(&t, json_object_get(m, "rank"));
                table_cell_json(&t, json_object_get(m, "model"));
                cell_fixed(&t, json_object_get(m, "rating"), 1, 1, "");
                if (intervals && json_is_number(lo) && json_is_number(hi))
                        table_cellf(&t, "%.1f\u2013%.1f", json_number_value(lo),
                                    json_number_value(hi));
                else
                        table_cell(&t, "-");
                table_cell_json(&t, json_object_get(m, "votes"));
                cell_fixed(&t, json_object_get(m, "win_rate"), 1, 100, "%");
                if (components > 1)
                        table_cell_json(&t, json_object_get(m, "component"));
                if (style)
                        cell_fixed(&t, json_object_get(m, "rating_plain"), 1, 1, "");
                if (robust)
                        flip_cell(&t, json_object_get(m, "flip"));
        }
        text_put(stdout, buf_str(&head), TEXT_MULTILINE);
        fputc('\n', stdout);
        if (table_print(&t, stdout) != 0 ||
            (style && style_table(json_object_get(lb, "style")) != 0)) {
                ctl_oom(ctl);
                goto out;
        }
        rc = 0;
out:
        table_fini(&t);
        buf_fini(&head);
        return rc;
}

static int leaderboard_csv(struct ctl *ctl, const json_t *lb)
{
        static const char *const cols[] = { "rank",    "model",    "rating",   "ci_low",
                                            "ci_high", "votes",    "wins",     "losses",
                                            "ties",    "both_bad", "win_rate", NULL };
        const json_t *models = json_object_get(lb, "models");
        bool component = json_integer_value(json_object_get(lb, "components")) > 1;
        bool style = json_is_object(json_object_get(lb, "style"));
        bool robust = json_is_true(json_object_get(json_object_get(lb, "method"), "robustness"));
        struct table t;
        size_t i;
        const json_t *m;
        int rc;
        table_init(&t);
        for (const char *const *c = cols; *c; c++)
                table_col(&t, *c, TABLE_LEFT);
        if (component)
                table_col(&t, "component", TABLE_LEFT);
        if (style)
                table_col(&t, "rating_plain", TABLE_LEFT);
        if (robust) {
                table_col(&t, "flip_below", TABLE_LEFT);
                table_col(&t, "flip_votes", TABLE_LEFT);
                table_col(&t, "flip_share", TABLE_LEFT);
        }
        json_array_foreach(models, i, m)
        {
                const json_t *flip = json_object_get(m, "flip");
                for (const char *const *c = cols; *c; c++)
                        cell_raw(&t, json_object_get(m, *c));
                if (component)
                        cell_raw(&t, json_object_get(m, "component"));
                if (style)
                        cell_raw(&t, json_object_get(m, "rating_plain"));
                if (robust) {
                        cell_raw(&t, json_object_get(flip, "below"));
                        cell_raw(&t, json_object_get(flip, "votes"));
                        cell_raw(&t, json_object_get(flip, "share"));
                }
        }
        rc = table_print_csv(&t, stdout);
        table_fini(&t);
        return rc == 0 ? 0 : ctl_oom(ctl);
}

static int leaderboard(struct ctl *ctl, const struct args *a)
{
        struct net_resp resp = { .body = BUF_INIT };
        json_t *lb = NULL;
        long n;
        double d;
        int rc = -1;
        if (args_choice(ctl, a, "ties", ties_choices) != 0 ||
            args_choice(ctl, a, "both-bad", both_bad_choices) != 0 ||
            args_choice(ctl, a, "ci", ci_choices) != 0 ||
            args_choice(ctl, a, "weights", weights_choices) != 0 ||
            args_choice(ctl, a, "style", style_choices) != 0 ||
            args_long(ctl, a, "rounds", 1, 100000000, &n) != 0 ||
            args_long(ctl, a, "seed", LONG_MIN, LONG_MAX, &n) != 0 ||
            args_double(ctl, a, "anchor-rating", -1e12, 1e12, &d) != 0 ||
            args_long(ctl, a, "min-votes", 0, LONG_MAX, &n) != 0)
                return -1;
        if (args_has(a, "json") && args_has(a, "csv"))
                return ctl_usage(ctl, "--json and --csv exclude each other");
        if (get_project(ctl, a->pos[0], "leaderboard", a, leaderboard_params,
                        ARRAY_LEN(leaderboard_params), &resp) != 0)
                return -1;
        if (args_has(a, "json")) {
                rc = ctl_print_raw(ctl, resp.body.data, resp.body.len);
                goto out;
        }
        if (parse_object(ctl, &resp, &lb) != 0)
                goto out;
        if (!json_is_array(json_object_get(lb, "models"))) {
                ctl_fail(ctl, CTL_EXIT_SERVER, "the leaderboard has no \"models\" list");
                goto out;
        }
        rc = args_has(a, "csv") ? leaderboard_csv(ctl, lb) : leaderboard_table(ctl, lb);
out:
        json_decref(lb);
        buf_fini(&resp.body);
        return rc;
}

/* ---- matrix ---- */

/* The leaderboard's filters and counting rules, for the same votes as a filtered board. */
static const struct param matrix_params[] = {
        { "ties", "ties" },           { "both-bad", "both_bad" }, { "category", "category" },
        { "language", "language" },   { "since", "since" },       { "until", "until" },
        { "min-votes", "min_votes" }, { "weights", "weights" },
};

static const struct args_opt matrix_opts[] = {
        { "ties", ARGS_VALUE, 0 },      { "both-bad", ARGS_VALUE, 0 },
        { "category", ARGS_VALUE, 0 },  { "language", ARGS_VALUE, 0 },
        { "since", ARGS_VALUE, 0 },     { "until", ARGS_VALUE, 0 },
        { "min-votes", ARGS_VALUE, 0 }, { "weights", ARGS_VALUE, 0 },
        { "predicted", ARGS_FLAG, 0 },  { "counts", ARGS_FLAG, 0 },
        { "json", ARGS_FLAG, 0 },       { NULL, 0, 0 },
};

static int matrix_table(struct ctl *ctl, const json_t *mx, const char *which)
{
        const json_t *models = json_object_get(mx, "models");
        const json_t *rows = json_object_get(mx, which);
        bool counts = strcmp(which, "counts") == 0;
        size_t n = json_array_size(models);
        struct table t;
        int rc = -1;
        table_init(&t);
        if (!json_is_array(models) || !json_is_array(rows) || json_array_size(rows) != n) {
                ctl_fail(ctl, CTL_EXIT_SERVER, "the matrix answer has no %zu by %zu \"%s\"", n, n,
                         which);
                goto out;
        }
        if (n + 1 > TABLE_MAX_COLS) {
                ctl_fail(ctl, CTL_EXIT_LOCAL, "%zu models are too many for a table; use --json", n);
                goto out;
        }
        table_col(&t, counts ? "comparisons" : "row beats column", TABLE_LEFT);
        for (size_t j = 0; j < n; j++) {
                const char *name = json_string_value(json_array_get(models, j));
                table_col(&t, name ? name : "?", TABLE_RIGHT);
        }
        for (size_t i = 0; i < n; i++) {
                const json_t *row = json_array_get(rows, i);
                table_cell_json(&t, json_array_get(models, i));
                for (size_t j = 0; j < n; j++) {
                        const json_t *v = json_array_get(row, j);
                        if (i == j || !json_is_number(v))
                                table_cell(&t, "-");
                        else if (counts)
                                table_cell_json(&t, v);
                        else
                                table_cellf(&t, "%.2f", json_number_value(v));
                }
        }
        if (!counts)
                printf("%s win rate of the row's model over the column's (ties count half)\n",
                       strcmp(which, "predicted") == 0 ? "predicted (fitted)" : "observed");
        else
                printf("comparisons counted per pair of models\n");
        rc = ctl_print_table(ctl, &t);
out:
        table_fini(&t);
        return rc;
}

static int matrix(struct ctl *ctl, const struct args *a)
{
        struct net_resp resp = { .body = BUF_INIT };
        json_t *mx = NULL;
        int rc = -1;
        if (args_has(a, "predicted") && args_has(a, "counts"))
                return ctl_usage(ctl, "--predicted and --counts exclude each other");
        if (get_project(ctl, a->pos[0], "matrix", a, matrix_params,
                        sizeof(matrix_params) / sizeof(matrix_params[0]), &resp) != 0)
                return -1;
        if (args_has(a, "json")) {
                rc = ctl_print_raw(ctl, resp.body.data, resp.body.len);
                goto out;
        }
        if (parse_object(ctl, &resp, &mx) != 0)
                goto out;
        rc = matrix_table(ctl, mx,
                          args_has(a, "predicted") ? "predicted"
                          : args_has(a, "counts")  ? "counts"
                                                   : "observed");
out:
        json_decref(mx);
        buf_fini(&resp.body);
        return rc;
}

/* ---- raters ---- */

static const struct args_opt raters_opts[] = { { "json", ARGS_FLAG, 0 }, { NULL, 0, 0 } };

static void rater_row(struct table *t, const json_t *r)
{
        table_cell_json(t, json_object_get(r, "rater"));
        table_cell_json(t, json_object_get(r, "votes"));
        cell_fixed(t, json_object_get(r, "median_seconds"), 1, 1, "");
        cell_fixed(t, json_object_get(r, "tie_rate"), 1, 100, "%");
        cell_fixed(t, json_object_get(r, "left_rate"), 1, 100, "%");
        table_cell_json(t, json_object_get(r, "gold_seen"));
        cell_fixed(t, json_object_get(r, "gold_accuracy"), 1, 100, "%");
        cell_fixed(t, json_object_get(r, "agreement"), 1, 100, "%");
        table_cell_json(t, json_object_get(r, "skips"));
        table_cell_json(t, json_object_get(r, "flags"));
}

static int raters(struct ctl *ctl, const struct args *a)
{
        static const struct list_col cols[] = {
                { "rater", TABLE_LEFT },
                { "votes", TABLE_RIGHT },
                { "median s", TABLE_RIGHT },
                { "tie rate", TABLE_RIGHT },
                { "left rate", TABLE_RIGHT },
                { "gold seen", TABLE_RIGHT },
                { "gold accuracy", TABLE_RIGHT },
                { "agreement", TABLE_RIGHT },
                { "skips", TABLE_RIGHT },
                { "flags", TABLE_RIGHT },
                { NULL, 0 },
        };
        struct buf path = BUF_INIT;
        buf_path(&path, "/api/v1/projects/%s/raters", a->pos[0]);
        int rc = buf_check(&path) != 0 ? ctl_oom(ctl)
                                       : list_print(ctl, a, buf_str(&path), cols, rater_row);
        buf_fini(&path);
        return rc;
}

const struct ctl_cmd cmd_rankings_cmds[] = {
        { "leaderboard", "PROJECT [options]", "model ratings with 95% intervals (admin, analyst)",
          "Prints a header line (votes, method), then a table: rank, model, rating, 95%\n"
          "interval, votes, win rate (and component when the comparison graph is split).\n"
          "Options (see server/API.md):\n"
          "  --ties half|davidson|exclude    how ties count (default half: half a win each)\n"
          "  --both-bad tie|exclude          how \"both bad\" votes count (default tie)\n"
          "  --ci sandwich|bootstrap|none    the intervals (default sandwich)\n"
          "  --rounds N                      bootstrap rounds (default 1000)\n"
          "  --seed N                        bootstrap seed\n"
          "  --category C, --language L      only votes on prompts of this category/language\n"
          "  --since TIME, --until TIME      only votes cast in this range (RFC 3339)\n"
          "  --anchor MODEL                  pin this model's rating ...\n"
          "  --anchor-rating R               ... to R (default 1000)\n"
          "  --min-votes N                   only models with at least N votes\n"
          "  --weights none|reliability      weigh each vote by its rater's reliability\n"
          "                                  (default none)\n"
          "  --style none|control            control for the answers' style (length, headers,\n"
          "                                  lists, bold): adds the rating without it and the\n"
          "                                  style coefficients\n"
          "  --robustness                    for each model, the fewest votes found whose\n"
          "                                  removal puts the model rated below it ahead\n"
          "  --json                           the server's answer as JSON\n"
          "  --csv                           CSV (RFC 4180): rank, model, rating, ci_low,\n"
          "                                  ci_high, votes, wins, losses, ties, both_bad,\n"
          "                                  win_rate [, component] [, rating_plain]\n"
          "                                  [, flip_below, flip_votes, flip_share]\n",
          leaderboard_opts, 1, 1, leaderboard },
        { "matrix", "PROJECT [--predicted | --counts] [--json] [filters]",
          "pairwise win rates, row's model over column's (admin, analyst)",
          "Prints the observed win rate of each row's model over each column's (ties count\n"
          "half); \"-\" where no comparison was counted.\n"
          "  --predicted    the rates the fitted model predicts instead\n"
          "  --counts       the number of comparisons per pair instead\n"
          "  --category C, --language L, --since TIME, --until TIME, --ties T,\n"
          "  --both-bad B, --min-votes N, --weights W\n"
          "                 the leaderboard's filters and counting rules\n"
          "  --json         the server's answer as JSON\n",
          matrix_opts, 1, 1, matrix },
        { "raters", "PROJECT [--json]", "per-rater statistics (admin, analyst)",
          "Prints a table: rater, votes, median seconds per vote, tie rate, left rate (share\n"
          "of decided votes for the left answer), control pairs seen, accuracy on them,\n"
          "agreement with the other raters' majority, skips, flags.\n"
          "  --json    the raters as one JSON array\n",
          raters_opts, 1, 1, raters },
        { NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
