/*
 * cmd_projects.c - projects: list (a table, every page), create and update (a JSON body built
 * from flags, or read with --from), show (readable or --json), and progress.
 */
#include "cmd_projects.h"

#include "args.h"
#include "buf.h"
#include "list.h"
#include "net.h"
#include "table.h"
#include "text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GUIDELINES_FILE ((size_t)4 << 20)
#define MAX_FROM_FILE       ((size_t)16 << 20)

static const char *const rationale_choices[] = { "off", "optional", "required", NULL };
static const char *const status_choices[] = { "active", "paused", "closed", NULL };
static const char *const schedule_choices[] = { "coverage", "active", NULL };

/* The fields of a project in the order `projects show` prints them; others follow. */
static const char *const project_keys[] = { "slug",       "title",         "status",
                                            "outcomes",   "flags",         "rationale",
                                            "overlap",    "lease_seconds", "gold_rate",
                                            "raters",     "reviewers",     "guidelines_version",
                                            "created_at", "updated_at",    NULL };

static const char *const progress_keys[] = {
        "prompts",        "control_prompts",    "models", "comparisons", "votes", "target_votes",
        "imported_votes", "active_assignments", "raters", NULL
};

static bool listed(const char *const *keys, const char *key)
{
        for (; *keys; keys++)
                if (strcmp(*keys, key) == 0)
                        return true;
        return false;
}

/* Adds a "key:" / value row; empty arrays show as "(none)". */
static void kv_row(struct table *t, const char *key, const json_t *v)
{
        table_cellf(t, "%s:", key);
        if (json_is_array(v) && json_array_size(v) == 0)
                table_cell(t, "(none)");
        else
                table_cell_json(t, v);
}

/* Adds the keys of obj as "key: value" rows, those in order first, the rest after. */
static void kv_rows(struct table *t, const json_t *obj, const char *const *order,
                    const char *const *skip)
{
        const char *key;
        json_t *v;
        for (const char *const *k = order; *k; k++)
                if ((v = json_object_get(obj, *k)))
                        kv_row(t, *k, v);
        json_object_foreach((json_t *)obj, key, v)
        {
                if (!listed(order, key) && !(skip && listed(skip, key)))
                        kv_row(t, key, v);
        }
}

static void kv_init(struct table *t)
{
        table_init(t);
        table_col(t, NULL, TABLE_LEFT);
        table_col(t, NULL, TABLE_LEFT);
}

static int print_project(struct ctl *ctl, const json_t *p)
{
        static const char *const skip[] = { "guidelines", NULL };
        struct table t;
        kv_init(&t);
        kv_rows(&t, p, project_keys, skip);
        int rc = ctl_print_table(ctl, &t);
        table_fini(&t);
        if (rc != 0)
                return -1;
        const char *g = json_string_value(json_object_get(p, "guidelines"));
        if (!g)
                return 0;
        fputs("guidelines:\n", stdout);
        if (!*g)
                fputs("  (none)\n", stdout);
        /* Each line indented by two spaces. */
        while (*g) {
                const char *nl = strchr(g, '\n');
                size_t n = nl ? (size_t)(nl - g) : strlen(g);
                char *line = strndup(g, n);
                if (!line)
                        return ctl_oom(ctl);
                if (*line)
                        fputs("  ", stdout);
                text_put(stdout, line, TEXT_MULTILINE);
                fputc('\n', stdout);
                free(line);
                g += n + (nl ? 1 : 0);
        }
        return 0;
}

/* ---- projects list ---- */

static const struct args_opt list_opts[] = { { "json", ARGS_FLAG, 0 }, { NULL, 0, 0 } };

static void project_row(struct table *t, const json_t *p)
{
        table_cell_json(t, json_object_get(p, "slug"));
        table_cell_json(t, json_object_get(p, "title"));
        table_cell_json(t, json_object_get(p, "status"));
        table_cell_json(t, json_object_get(p, "overlap"));
}

static int projects_list(struct ctl *ctl, const struct args *a)
{
        static const struct list_col cols[] = { { "slug", TABLE_LEFT },
                                                { "title", TABLE_LEFT },
                                                { "status", TABLE_LEFT },
                                                { "overlap", TABLE_RIGHT },
                                                { NULL, 0 } };
        return list_print(ctl, a, "/api/v1/projects", cols, project_row);
}

/* ---- projects create / update ---- */

static const struct args_opt save_opts[] = {
        { "title", ARGS_VALUE, 0 },
        { "guidelines-file", ARGS_VALUE, 0 },
        { "overlap", ARGS_VALUE, 0 },
        { "outcomes", ARGS_VALUE, 0 },
        { "flags", ARGS_VALUE, 0 },
        { "rationale", ARGS_VALUE, 0 },
        { "lease-seconds", ARGS_VALUE, 0 },
        { "gold-rate", ARGS_VALUE, 0 },
        { "raters", ARGS_VALUE, 0 },
        { "reviewers", ARGS_VALUE, 0 },
        { "status", ARGS_VALUE, 0 },
        { "from", ARGS_VALUE, 0 },
        { "json", ARGS_FLAG, 0 },
        { "schedule", ARGS_VALUE, 0 },
        { NULL, 0, 0 },
};

/* "a, b,,c" -> ["a", "b", "c"]; "" -> []. */
static json_t *comma_list(const char *s)
{
        json_t *arr = json_array();
        while (arr && *s) {
                const char *end = strchr(s, ',');
                size_t n = end ? (size_t)(end - s) : strlen(s);
                const char *b = s, *e = s + n;
                while (b < e && (*b == ' ' || *b == '\t'))
                        b++;
                while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
                        e--;
                if (e > b && json_array_append_new(arr, json_stringn(b, (size_t)(e - b))) != 0) {
                        json_decref(arr);
                        return NULL;
                }
                s += n + (end ? 1 : 0);
        }
        return arr;
}

/* Sets body[key] = v (stolen); -1 on a NULL v. */
static int set(struct ctl *ctl, json_t *body, const char *key, json_t *v)
{
        if (!v || json_object_set_new(body, key, v) != 0)
                return ctl_oom(ctl);
        return 0;
}

/* Sets body[key] to make(the text of option opt), when given: UTF-8 or a usage error. */
static int set_text(struct ctl *ctl, json_t *body, const struct args *a, const char *opt,
                    const char *key, json_t *(*make)(const char *s))
{
        const char *s = args_get(a, opt);
        if (!s)
                return 0;
        if (!text_utf8(s, strlen(s)))
                return ctl_usage(ctl, "--%s: not valid UTF-8", opt);
        return set(ctl, body, key, make(s));
}

/* Sets body[key] to the string value of option opt, when given. */
static int set_string(struct ctl *ctl, json_t *body, const struct args *a, const char *opt,
                      const char *key)
{
        return set_text(ctl, body, a, opt, key, json_string);
}

/* Sets body[key] to the comma-separated list of option opt, when given. */
static int set_list(struct ctl *ctl, json_t *body, const struct args *a, const char *opt,
                    const char *key)
{
        return set_text(ctl, body, a, opt, key, comma_list);
}

/* The project body from --from and the flags (flags win). slug: set it (create), or NULL. */
static int project_body(struct ctl *ctl, const struct args *a, const char *slug, bool create,
                        json_t **out)
{
        json_t *body = NULL;
        char *text = NULL;
        size_t len;
        long n;
        double d;
        const char *s;
        *out = NULL;
        if (args_choice(ctl, a, "rationale", rationale_choices) != 0 ||
            args_choice(ctl, a, "status", status_choices) != 0 ||
            args_choice(ctl, a, "schedule", schedule_choices) != 0)
                return -1;
        if ((s = args_get(a, "from"))) {
                json_error_t e;
                if (ctl_read_file(ctl, s, MAX_FROM_FILE, &text, &len) != 0)
                        return -1;
                body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
                free(text);
                text = NULL;
                if (!body)
                        return ctl_usage(ctl, "--from %s: invalid JSON: %s (line %d)", s, e.text,
                                         e.line);
                if (!json_is_object(body)) {
                        json_decref(body);
                        return ctl_usage(ctl, "--from %s: not a JSON object", s);
                }
        } else if (!(body = json_object())) {
                return ctl_oom(ctl);
        }
        if (slug && !text_utf8(slug, strlen(slug))) {
                ctl_usage(ctl, "the SLUG is not valid UTF-8");
                goto fail;
        }
        if ((slug && set(ctl, body, "slug", json_string(slug)) != 0) ||
            set_string(ctl, body, a, "title", "title") != 0)
                goto fail;
        if ((s = args_get(a, "guidelines-file"))) {
                if (ctl_read_file(ctl, s, MAX_GUIDELINES_FILE, &text, &len) != 0)
                        goto fail;
                bool utf8 = text_utf8(text, len);
                json_t *g = utf8 ? json_stringn(text, len) : NULL;
                free(text);
                if (!utf8) {
                        ctl_usage(ctl, "--guidelines-file %s: not UTF-8 text", s);
                        goto fail;
                }
                if (!g) {
                        ctl_oom(ctl);
                        goto fail;
                }
                if (set(ctl, body, "guidelines", g) != 0)
                        goto fail;
        }
        n = -1;
        if (args_long(ctl, a, "overlap", 1, 1000000, &n) != 0 ||
            (n >= 0 && set(ctl, body, "overlap", json_integer(n)) != 0))
                goto fail;
        n = -1;
        if (args_long(ctl, a, "lease-seconds", 1, 100000000, &n) != 0 ||
            (n >= 0 && set(ctl, body, "lease_seconds", json_integer(n)) != 0))
                goto fail;
        d = -1;
        if (args_double(ctl, a, "gold-rate", 0, 1, &d) != 0 ||
            (d >= 0 && set(ctl, body, "gold_rate", json_real(d)) != 0))
                goto fail;
        if (set_list(ctl, body, a, "outcomes", "outcomes") != 0 ||
            set_list(ctl, body, a, "flags", "flags") != 0 ||
            set_list(ctl, body, a, "reviewers", "reviewers") != 0)
                goto fail;
        s = args_get(a, "raters");
        if (s && strcmp(s, "all") == 0) {
                if (set(ctl, body, "raters", json_string("all")) != 0)
                        goto fail;
        } else if (set_list(ctl, body, a, "raters", "raters") != 0) {
                goto fail;
        }
        if (set_string(ctl, body, a, "rationale", "rationale") != 0 ||
            set_string(ctl, body, a, "status", "status") != 0 ||
            set_string(ctl, body, a, "schedule", "schedule") != 0)
                goto fail;
        if (create && !json_is_string(json_object_get(body, "slug"))) {
                ctl_usage(ctl, "a project needs a SLUG (an argument, or \"slug\" in --from)");
                goto fail;
        }
        if (create && !json_object_get(body, "title")) {
                ctl_usage(ctl, "a project needs a title: --title TITLE");
                goto fail;
        }
        if (!create && json_object_size(body) == 0) {
                ctl_usage(ctl, "nothing to change: give at least one option");
                goto fail;
        }
        *out = body;
        return 0;
fail:
        json_decref(body);
        return -1;
}

static int save(struct ctl *ctl, const struct args *a, bool create)
{
        const char *slug = a->npos > 0 ? a->pos[0] : NULL;
        json_t *body = NULL, *p = NULL;
        struct buf path = BUF_INIT;
        struct net_resp resp = { .body = BUF_INIT };
        char *text = NULL;
        int rc = -1;
        if (project_body(ctl, a, create ? slug : NULL, create, &body) != 0)
                goto out;
        if (create)
                buf_adds(&path, "/api/v1/projects");
        else
                buf_path(&path, "/api/v1/projects/%s", slug);
        if (buf_check(&path) != 0 || !(text = json_dumps(body, JSON_COMPACT))) {
                ctl_oom(ctl);
                goto out;
        }
        struct net_req req = { .method = create ? "POST" : "PATCH",
                               .path = buf_str(&path),
                               .content_type = "application/json",
                               .body = text,
                               .body_len = strlen(text) };
        if (net_perform(ctl, &req, &resp) != 0)
                goto out;
        if (resp.status < 200 || resp.status >= 300) {
                net_fail_status(ctl, &resp);
                goto out;
        }
        if (args_has(a, "json")) {
                rc = ctl_print_raw(ctl, resp.body.data, resp.body.len);
                goto out;
        }
        if (net_parse(ctl, &resp, &p) != 0)
                goto out;
        rc = print_project(ctl, p);
out:
        json_decref(p);
        json_decref(body);
        free(text);
        buf_fini(&resp.body);
        buf_fini(&path);
        return rc;
}

static int projects_create(struct ctl *ctl, const struct args *a)
{
        return save(ctl, a, true);
}

static int projects_update(struct ctl *ctl, const struct args *a)
{
        if (args_has(a, "from") && a->npos == 0)
                return ctl_usage(ctl, "update needs the project's SLUG");
        return save(ctl, a, false);
}

/* ---- projects show, progress ---- */

static const struct args_opt show_opts[] = { { "json", ARGS_FLAG, 0 }, { NULL, 0, 0 } };

/* GETs /api/v1/projects/SLUG[suffix]; prints it raw with --json, else through show. */
static int get_and_show(struct ctl *ctl, const struct args *a, const char *suffix,
                        int (*show)(struct ctl *ctl, const json_t *v))
{
        struct buf path = BUF_INIT;
        struct net_resp resp = { .body = BUF_INIT };
        json_t *v = NULL;
        int rc = -1;
        buf_path(&path, "/api/v1/projects/%s", a->pos[0]);
        buf_adds(&path, suffix);
        if (buf_check(&path) != 0) {
                ctl_oom(ctl);
                goto out;
        }
        if (net_get(ctl, buf_str(&path), &resp) != 0)
                goto out;
        if (args_has(a, "json")) {
                rc = ctl_print_raw(ctl, resp.body.data, resp.body.len);
                goto out;
        }
        if (net_parse(ctl, &resp, &v) != 0)
                goto out;
        if (!json_is_object(v)) {
                ctl_fail(ctl, CTL_EXIT_SERVER, "the server's answer is not a JSON object");
                goto out;
        }
        rc = show(ctl, v);
out:
        json_decref(v);
        buf_fini(&resp.body);
        buf_fini(&path);
        return rc;
}

static int projects_show(struct ctl *ctl, const struct args *a)
{
        return get_and_show(ctl, a, "", print_project);
}

static int show_progress(struct ctl *ctl, const json_t *v)
{
        json_t *votes = json_object_get(v, "votes");
        json_t *target = json_object_get(v, "target_votes");
        struct table t;
        kv_init(&t);
        kv_rows(&t, v, progress_keys, NULL);
        if (json_is_number(votes) && json_is_number(target) && json_number_value(target) > 0) {
                table_cell(&t, "complete:");
                table_cellf(&t, "%.1f%% of the target votes",
                            100.0 * json_number_value(votes) / json_number_value(target));
        }
        int rc = ctl_print_table(ctl, &t);
        table_fini(&t);
        return rc;
}

static int progress(struct ctl *ctl, const struct args *a)
{
        return get_and_show(ctl, a, "/progress", show_progress);
}

#define SAVE_HELP                                                                                  \
        "  --title TEXT              the project's title\n"                                        \
        "  --guidelines-file FILE    the rater guidelines (Markdown) from FILE (- for stdin)\n"    \
        "  --overlap N               how many different raters judge each comparison\n"            \
        "  --outcomes LIST           the raters' choices, from a,b,tie,both_bad (a and b "         \
        "needed)\n"                                                                                \
        "  --flags LIST              the flags raters may set on an answer, e.g. unsafe,biased\n"  \
        "                            ('' for none)\n"                                              \
        "  --rationale MODE          off | optional | required\n"                                  \
        "  --schedule S              coverage | active (active sampling; see API.md)\n"            \
        "  --lease-seconds N         how long a rater holds an assignment\n"                       \
        "  --gold-rate X             share (0 to 1) of control pairs shown to raters\n"            \
        "  --raters all|LIST         who may rate: everybody, or these user names\n"               \
        "  --reviewers LIST          user names who may review others' votes\n"                    \
        "  --status STATUS           active | paused | closed\n"                                   \
        "  --from FILE               start from this JSON body (- for stdin); the options\n"       \
        "                            above override its fields\n"                                  \
        "  --json                    print the server's answer as JSON\n"                          \
        "LIST is comma-separated. The server validates the values (see server/API.md).\n"

const struct ctl_cmd cmd_projects_cmds[] = {
        { "projects list", "[--json]", "list the projects (every page)",
          "Prints a table: slug, title, status, overlap.\n"
          "  --json    print the projects as one JSON array\n",
          list_opts, 0, 0, projects_list },
        { "projects create", "SLUG --title TITLE [options] | --from FILE [options]",
          "create a project (admin)", "Options:\n" SAVE_HELP, save_opts, 0, 1, projects_create },
        { "projects update", "SLUG [options]", "change a project's settings (admin)",
          "Changes only the fields given. A changed guidelines text gets a new version.\n"
          "Options:\n" SAVE_HELP,
          save_opts, 1, 1, projects_update },
        { "projects show", "SLUG [--json]", "show a project's settings and guidelines",
          "  --json    print the server's answer as JSON\n", show_opts, 1, 1, projects_show },
        { "progress", "PROJECT [--json]",
          "a project's progress: prompts, votes, target (admin, "
          "analyst)",
          "Prints \"key: value\" lines: prompts, control_prompts, models, comparisons, votes,\n"
          "target_votes, imported_votes, active_assignments, raters, and the share of the\n"
          "target reached.\n"
          "  --json    print the server's answer as JSON\n",
          show_opts, 1, 1, progress },
        { NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
