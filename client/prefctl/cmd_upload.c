/*
 * cmd_upload.c - upload and import-votes: the file (or standard input) is streamed to the
 * server as application/x-ndjson, never read into memory: with Content-Length for a regular
 * file, chunked otherwise. Progress goes to stderr; the server's report to stdout:
 *
 *   items: 78 accepted, 0 unchanged, 2 rejected
 *   line 3 (id p-3): validation_failed: "prompt" must be a non-empty string
 *
 * Exit status 5 when any line was rejected: nothing was stored (the default, all-or-nothing) or
 * only the valid lines were (--partial).
 */
#include "cmd_upload.h"

#include "args.h"
#include "buf.h"
#include "meter.h"
#include "net.h"
#include "text.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* What is uploaded where. */
struct upload_kind {
        const char *what;     /* "items", "votes": the summary's first word */
        const char *path_fmt; /* buf_path format with the project's slug */
};

static const struct upload_kind items_kind = { "items", "/api/v1/projects/%s/items" };
static const struct upload_kind votes_kind = { "votes", "/api/v1/projects/%s/votes/import" };

static const struct args_opt upload_opts[] = {
        { "partial", ARGS_FLAG, 0 },
        { "json", ARGS_FLAG, 0 },
        { "quiet", ARGS_FLAG, 'q' },
        { NULL, 0, 0 },
};

static json_int_t count(const json_t *report, const char *key)
{
        return json_integer_value(json_object_get(report, key));
}

/* Prints the summary and the rejected lines; the exit status follows from them. */
static int print_report(struct ctl *ctl, const struct upload_kind *kind, const json_t *report,
                        bool stored)
{
        json_int_t accepted = count(report, "accepted"), unchanged = count(report, "unchanged"),
                   rejected = count(report, "rejected"), valid = count(report, "valid");
        const json_t *errors = json_object_get(report, "errors");
        size_t i;
        const json_t *e;
        if (stored)
                printf("%s: %" JSON_INTEGER_FORMAT " accepted, %" JSON_INTEGER_FORMAT
                       " unchanged, %" JSON_INTEGER_FORMAT " rejected\n",
                       kind->what, accepted, unchanged, rejected);
        else
                printf("%s: %" JSON_INTEGER_FORMAT " valid, %" JSON_INTEGER_FORMAT
                       " unchanged, %" JSON_INTEGER_FORMAT " rejected, none stored\n",
                       kind->what, valid, unchanged, rejected);
        json_array_foreach(errors, i, e)
        {
                const char *id = json_string_value(json_object_get(e, "id"));
                const char *code = json_string_value(json_object_get(e, "code"));
                const char *message = json_string_value(json_object_get(e, "message"));
                printf("line %" JSON_INTEGER_FORMAT, count(e, "line"));
                if (id) {
                        fputs(" (id ", stdout);
                        text_put(stdout, id, TEXT_LINE);
                        fputc(')', stdout);
                }
                fputs(": ", stdout);
                text_put(stdout, code ? code : "error", TEXT_LINE);
                fputs(": ", stdout);
                text_put(stdout, message ? message : "", TEXT_LINE);
                fputc('\n', stdout);
        }
        if (json_is_true(json_object_get(report, "errors_truncated")))
                printf("(the server listed only the first %zu rejected lines)\n",
                       json_array_size(errors));
        if (rejected == 0 && stored)
                return 0;
        json_int_t total = (stored ? accepted : valid) + unchanged + rejected;
        if (stored)
                return ctl_fail(ctl, CTL_EXIT_REJECTED,
                                "%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
                                " lines rejected; the other %" JSON_INTEGER_FORMAT " were stored",
                                rejected, total, accepted + unchanged);
        return ctl_fail(ctl, CTL_EXIT_REJECTED,
                        "%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
                        " lines rejected; nothing was stored (--partial stores the valid lines)",
                        rejected, total);
}

/* An answer shaped like the upload report. */
static bool is_report(const json_t *v)
{
        return json_is_integer(json_object_get(v, "accepted")) &&
               json_is_integer(json_object_get(v, "rejected"));
}

static int upload(struct ctl *ctl, const struct args *a, const struct upload_kind *kind)
{
        const char *slug = a->pos[0], *file = a->pos[1];
        bool is_stdin = strcmp(file, "-") == 0;
        const char *name = is_stdin ? "standard input" : file;
        FILE *f = is_stdin ? stdin : fopen(file, "rb");
        struct buf path = BUF_INIT;
        struct net_resp resp = { .body = BUF_INIT };
        json_t *report = NULL;
        struct meter meter;
        struct stat st;
        int64_t size = -1;
        int rc = -1;
        if (!f)
                return ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot open %s: %s", file, strerror(errno));
        if (fstat(fileno(f), &st) != 0) {
                ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot read %s: %s", name, strerror(errno));
                goto out;
        }
        if (S_ISDIR(st.st_mode)) {
                ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot upload %s: it is a directory", name);
                goto out;
        }
        if (S_ISREG(st.st_mode)) {
                off_t at = ftello(f);
                size = (int64_t)st.st_size - (at > 0 ? (int64_t)at : 0);
                size = MAX(size, 0);
        }
        buf_path(&path, kind->path_fmt, slug);
        if (args_has(a, "partial"))
                buf_query(&path, "partial", "true");
        if (buf_check(&path) != 0) {
                ctl_oom(ctl);
                goto out;
        }
        enum meter_mode mode = args_has(a, "quiet") ? METER_OFF
                               : ctl->err_tty       ? METER_BAR
                                                    : METER_LINES;
        meter_init(&meter, mode, "upload", "sent", size);
        struct net_req req = { .method = "POST",
                               .path = buf_str(&path),
                               .content_type = "application/x-ndjson",
                               .upload = f,
                               .upload_name = name,
                               .upload_size = size,
                               .meter = &meter };
        int sent = net_perform(ctl, &req, &resp);
        meter_finish(&meter, sent == 0 && resp.status < 300);
        if (sent != 0)
                goto out;
        bool ok = resp.status >= 200 && resp.status < 300;
        if (!ok && resp.status != 422) {
                net_fail_status(ctl, &resp);
                goto out;
        }
        /* A 422 is a report only when it carries the counts; else an ordinary error. */
        report = resp.body.len ? json_loadb(resp.body.data, resp.body.len, 0, NULL) : NULL;
        if (!is_report(report)) {
                if (!ok)
                        net_fail_status(ctl, &resp);
                else
                        ctl_fail(ctl, CTL_EXIT_SERVER,
                                 "the server's answer is not an upload "
                                 "report");
                goto out;
        }
        if (args_has(a, "json")) {
                if (ctl_print_raw(ctl, resp.body.data, resp.body.len) != 0)
                        goto out;
                json_int_t rejected = count(report, "rejected");
                if (rejected > 0 || !ok)
                        ctl_fail(ctl, CTL_EXIT_REJECTED,
                                 "%" JSON_INTEGER_FORMAT " lines rejected%s", rejected,
                                 ok ? "" : "; nothing was stored");
                else
                        rc = 0;
                goto out;
        }
        rc = print_report(ctl, kind, report, ok);
out:
        json_decref(report);
        buf_fini(&resp.body);
        buf_fini(&path);
        if (!is_stdin)
                fclose(f);
        return rc;
}

static int upload_items(struct ctl *ctl, const struct args *a)
{
        return upload(ctl, a, &items_kind);
}

static int import_votes(struct ctl *ctl, const struct args *a)
{
        return upload(ctl, a, &votes_kind);
}

#define UPLOAD_OPTIONS                                                                             \
        "Options:\n"                                                                               \
        "  --partial    store the valid lines even when some are rejected (default: a single\n"    \
        "               rejected line stores nothing)\n"                                           \
        "  --json       print the server's report as JSON instead of the summary\n"                \
        "  -q, --quiet  no progress on stderr\n"                                                   \
        "FILE is streamed, never read into memory; - reads standard input (sent chunked).\n"       \
        "Progress goes to stderr: a bar on a terminal, else a line at each 10%.\n"                 \
        "Prints the counts (accepted, unchanged, rejected) and every rejected line as\n"           \
        "\"line N (id X): CODE: message\". Exit status 5 when lines were rejected.\n"

const struct ctl_cmd cmd_upload_cmds[] = {
        { "upload", "PROJECT FILE [--partial]",
          "upload prompts and responses (JSON Lines) to a project (admin)",
          "Each line: {\"id\", \"prompt\", \"responses\": [{\"model\", \"text\"}, ...]} or one\n"
          "explicit pair {\"id\", \"prompt\", \"model_a\", \"response_a\", \"model_b\",\n"
          "\"response_b\", \"gold\"?}; see server/API.md.\n" UPLOAD_OPTIONS,
          upload_opts, 2, 2, upload_items },
        { "import-votes", "PROJECT FILE [--partial]",
          "import historical votes (JSON Lines) into a project (admin)",
          "Each line: {\"model_a\", \"model_b\", \"winner\", \"prompt_id\"?, \"rater\"?,\n"
          "\"created_at\"?, \"category\"?, \"language\"?}; winner is model_a, model_b, tie or\n"
          "both_bad. Imported votes count in rankings with source \"imported\".\n" UPLOAD_OPTIONS,
          upload_opts, 2, 2, import_votes },
        { NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
