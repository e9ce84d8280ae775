/*
 * cmd_learn.c - raters learn (issue 17): qualify, reviews, reply, mystats; see cmd_learn.h.
 * Tables for people, --json for programs (the server's answer as it is).
 */
#include "cmd_learn.h"

#include "args.h"
#include "buf.h"
#include "list.h"
#include "net.h"
#include "table.h"
#include "text.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const struct args_opt qualify_opts[] = {
        { "reset", ARGS_FLAG, 0 },
        { "reason", ARGS_VALUE, 0 },
        { "json", ARGS_FLAG, 0 },
        { NULL, 0, 0 },
};

static int learn_qualify(struct ctl *ctl, const struct args *a)
{
        struct buf path = BUF_INIT;
        json_t *body = json_pack("{s:s}", "action", args_has(a, "reset") ? "reset" : "qualify");
        json_t *answer = NULL;
        int rc = -1;
        const char *reason = args_get(a, "reason");
        buf_path(&path, "/api/v1/projects/%s/raters/%s/qualification", a->pos[0], a->pos[1]);
        if (!body || buf_check(&path) != 0 ||
            (reason && json_object_set_new(body, "reason", json_string(reason)) != 0)) {
                ctl_oom(ctl);
                goto out;
        }
        if (net_json(ctl, "POST", buf_str(&path), body, &answer) != 0)
                goto out;
        if (args_has(a, "json")) {
                rc = ctl_print_json(ctl, answer);
                goto out;
        }
        fputs("rater ", stdout);
        text_put(stdout, a->pos[1], TEXT_LINE);
        printf(": %s (attempt %lld, %lld of %lld answered right)\n",
               json_string_value(json_object_get(answer, "state")),
               (long long)json_integer_value(json_object_get(answer, "attempt")),
               (long long)json_integer_value(json_object_get(answer, "correct")),
               (long long)json_integer_value(json_object_get(answer, "answered")));
        rc = 0;
out:
        json_decref(body);
        json_decref(answer);
        buf_fini(&path);
        return rc;
}

static const struct args_opt json_opts[] = { { "json", ARGS_FLAG, 0 }, { NULL, 0, 0 } };

static void review_row(struct table *t, const json_t *x)
{
        table_cell_json(t, json_object_get(x, "review_id"));
        table_cell_json(t, json_object_get(x, "vote_id"));
        table_cell_json(t, json_object_get(x, "verdict"));
        table_cell_json(t, json_object_get(x, "reviewer"));
        table_cell_json(t, json_object_get(x, "comment"));
        table_cell_json(t, json_object_get(json_object_get(x, "reply"), "text"));
}

static int learn_reviews(struct ctl *ctl, const struct args *a)
{
        static const struct list_col cols[] = {
                { "review", TABLE_RIGHT },
                { "vote", TABLE_RIGHT },
                { "verdict", TABLE_LEFT },
                { "reviewer", TABLE_LEFT },
                { "comment", TABLE_LEFT },
                { "reply", TABLE_LEFT },
                { NULL, 0 },
        };
        struct buf path = BUF_INIT;
        buf_adds(&path, "/api/v1/me/reviews");
        buf_query(&path, "project", a->pos[0]);
        int rc = buf_check(&path) != 0 ? ctl_oom(ctl)
                                       : list_print(ctl, a, buf_str(&path), cols, review_row);
        buf_fini(&path);
        return rc;
}

static const struct args_opt no_opts[] = { { NULL, 0, 0 } };

static int learn_reply(struct ctl *ctl, const struct args *a)
{
        struct buf path = BUF_INIT;
        json_t *body = json_pack("{s:s}", "text", a->pos[1]);
        int rc = -1;
        buf_path(&path, "/api/v1/reviews/%s/reply", a->pos[0]);
        if (!body || buf_check(&path) != 0) {
                ctl_oom(ctl);
                goto out;
        }
        if (net_json(ctl, "POST", buf_str(&path), body, NULL) != 0)
                goto out;
        fputs("replied to review ", stdout);
        text_put(stdout, a->pos[0], TEXT_LINE);
        fputc('\n', stdout);
        rc = 0;
out:
        json_decref(body);
        buf_fini(&path);
        return rc;
}

static const char *const stat_keys[] = { "votes",     "median_seconds", "tie_rate",
                                         "left_rate", "gold_accuracy",  "agreement",
                                         "accuracy",  "weight",         NULL };

static int learn_mystats(struct ctl *ctl, const struct args *a)
{
        struct buf path = BUF_INIT;
        json_t *s = NULL;
        struct table t;
        int rc = -1;
        table_init(&t);
        buf_path(&path, "/api/v1/me/projects/%s/stats", a->pos[0]);
        if (buf_check(&path) != 0) {
                ctl_oom(ctl);
                goto out;
        }
        if (net_json(ctl, "GET", buf_str(&path), NULL, &s) != 0)
                goto out;
        if (args_has(a, "json")) {
                rc = ctl_print_json(ctl, s);
                goto out;
        }
        table_col(&t, "measure", TABLE_LEFT);
        table_col(&t, "you", TABLE_RIGHT);
        table_col(&t, "project median", TABLE_RIGHT);
        for (const char *const *k = stat_keys; *k; k++) {
                table_cell(&t, *k);
                table_cell_json(&t, json_object_get(s, *k));
                table_cell_json(&t, json_object_get(json_object_get(s, "project_median"), *k));
        }
        if (ctl_print_table(ctl, &t) != 0)
                goto out;
        size_t i;
        const json_t *w;
        json_array_foreach(json_object_get(s, "warnings"), i, w)
        {
                fputs("warning: ", stdout);
                text_put(stdout, json_string_value(json_object_get(w, "message")), TEXT_LINE);
                fputc('\n', stdout);
        }
        rc = 0;
out:
        table_fini(&t);
        json_decref(s);
        buf_fini(&path);
        return rc;
}

const struct ctl_cmd cmd_learn_cmds[] = {
        { "qualify", "PROJECT RATER [--reset] [--reason TEXT] [--json]",
          "qualify a rater by hand, or reset their qualification (admin)",
          "  --reset          start a new attempt from nothing answered instead\n"
          "  --reason TEXT    recorded with the decision\n"
          "  --json           the qualification and its history as JSON\n",
          qualify_opts, 2, 2, learn_qualify },
        { "reviews", "PROJECT [--json]", "the reviews of your votes in a project, newest first",
          "Prints a table: review, vote, verdict, reviewer (a pseudonym), comment, reply.\n"
          "Reading them marks them read.\n"
          "  --json    the reviews as one JSON array\n",
          json_opts, 1, 1, learn_reviews },
        { "reply", "REVIEW TEXT", "answer a review of your vote (once)", "", no_opts, 2, 2,
          learn_reply },
        { "mystats", "PROJECT [--json]",
          "your quality numbers in a project beside the project's median rater",
          "  --json    the server's answer as JSON\n", json_opts, 1, 1, learn_mystats },
        { NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
