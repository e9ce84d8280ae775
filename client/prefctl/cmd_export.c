/*
 * cmd_export.c - export: GET /api/v1/projects/{slug}/votes?format=..., written as it arrives
 * (memory stays bounded). With -o FILE the data goes to a temporary file beside FILE, which is
 * renamed over FILE only when the whole export arrived; on any failure, and on SIGINT or
 * SIGTERM, it is removed and FILE is left as it was.
 *
 * The one piece of static state in prefctl is here: the flag the signal handler sets (a signal
 * handler can reach nothing else). The transfer polls it and stops.
 */
#include "cmd_export.h"

#include "args.h"
#include "buf.h"
#include "meter.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
        (void)sig;
        interrupted = 1;
}

static const struct args_opt export_opts[] = {
        { "format", ARGS_VALUE, 'f' }, { "output", ARGS_VALUE, 'o' }, { "category", ARGS_VALUE, 0 },
        { "language", ARGS_VALUE, 0 }, { "since", ARGS_VALUE, 0 },    { "until", ARGS_VALUE, 0 },
        { "quiet", ARGS_FLAG, 'q' },   { "rewrites", ARGS_FLAG, 0 },  { NULL, 0, 0 },
};

static const char *const format_choices[] = {
        "jsonl", "csv", "arena", "dpo", "sft", "scores", NULL
};
static const char *const filters[] = { "category", "language", "since", "until", NULL };

/* Where the data goes. */
struct output {
        struct ctl *ctl;
        FILE *f;          /* stdout or the temporary file */
        const char *name; /* for messages */
        char *tmp;        /* owned: the temporary file's path, or NULL for stdout */
};

static int write_sink(void *arg, const char *data, size_t len)
{
        struct output *o = arg;
        if (fwrite(data, 1, len, o->f) != len)
                return ctl_fail(o->ctl, CTL_EXIT_LOCAL, "cannot write %s: %s", o->name,
                                strerror(errno));
        return 0;
}

/* Creates the temporary file beside path: DIR/.BASE.XXXXXX, with the umask's permissions. */
static int open_temp(struct ctl *ctl, struct output *o, const char *path)
{
        struct buf b = BUF_INIT;
        const char *slash = strrchr(path, '/');
        if (slash)
                buf_add(&b, path, (size_t)(slash - path) + 1);
        buf_printf(&b, ".%s.XXXXXX", slash ? slash + 1 : path);
        if (buf_check(&b) != 0)
                return ctl_oom(ctl);
        o->tmp = b.data; /* the buffer's memory becomes the output's */
        int fd = mkstemp(o->tmp);
        if (fd < 0) {
                ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot create a file beside %s: %s", path,
                         strerror(errno));
                free(o->tmp);
                o->tmp = NULL;
                return -1;
        }
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(fd, 0666 & ~mask) != 0 || !(o->f = fdopen(fd, "wb"))) {
                ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot write %s: %s", o->tmp, strerror(errno));
                close(fd);
                unlink(o->tmp);
                free(o->tmp);
                o->tmp = NULL;
                return -1;
        }
        return 0;
}

/* Flushes the output; for a file, syncs, closes and renames it over path. */
static int finish_output(struct ctl *ctl, struct output *o, const char *path)
{
        if (!o->tmp) {
                if (fflush(o->f) != 0)
                        return ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot write standard output: %s",
                                        strerror(errno));
                return 0;
        }
        bool ok = fflush(o->f) == 0 && fsync(fileno(o->f)) == 0;
        int e = errno;
        ok = (fclose(o->f) == 0) && ok;
        o->f = NULL;
        if (!ok)
                return ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot write %s: %s", path, strerror(e));
        if (rename(o->tmp, path) != 0)
                return ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot rename %s to %s: %s", o->tmp, path,
                                strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        return 0;
}

/* Removes a temporary file left by a failure. */
static void drop_output(struct output *o)
{
        if (!o->tmp)
                return;
        if (o->f)
                fclose(o->f);
        unlink(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
        o->f = NULL;
}

static int export_votes(struct ctl *ctl, const struct args *a)
{
        const char *format = args_get(a, "format");
        const char *path = args_get(a, "output");
        struct output o = { .ctl = ctl, .f = stdout, .name = "standard output" };
        struct buf url = BUF_INIT;
        struct net_resp resp = { .body = BUF_INIT };
        struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
        struct meter meter;
        int rc = -1;
        if (args_choice(ctl, a, "format", format_choices) != 0)
                return -1;
        if (!format)
                format = "jsonl";
        if (path && (!*path || strcmp(path, "-") == 0))
                path = NULL;
        buf_path(&url, "/api/v1/projects/%s/votes", a->pos[0]);
        buf_query(&url, "format", format);
        if (args_has(a, "rewrites"))
                buf_query(&url, "rewrites", "true");
        for (const char *const *f = filters; *f; f++)
                buf_query(&url, *f, args_get(a, *f));
        if (buf_check(&url) != 0) {
                ctl_oom(ctl);
                goto out_url;
        }
        if (path) {
                if (open_temp(ctl, &o, path) != 0)
                        goto out_url;
                o.name = path;
        }
        /* Progress only on a terminal, and not into the data when stdout is the terminal. */
        bool show = !args_has(a, "quiet") && ctl->err_tty && (path || !isatty(STDOUT_FILENO));
        meter_init(&meter, show ? METER_BAR : METER_OFF, "export", "received", -1);
        interrupted = 0;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        struct net_req req = { .method = "GET",
                               .path = buf_str(&url),
                               .sink = write_sink,
                               .sink_arg = &o,
                               .meter = &meter,
                               .cancel = &interrupted };
        int got = net_perform(ctl, &req, &resp);
        bool ok = got == 0 && resp.status >= 200 && resp.status < 300;
        meter_finish(&meter, ok);
        if (got != 0)
                goto out;
        if (!ok) {
                net_fail_status(ctl, &resp);
                goto out;
        }
        if (finish_output(ctl, &o, path) != 0)
                goto out;
        rc = 0;
out:
        drop_output(&o);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        buf_fini(&resp.body);
out_url:
        buf_fini(&url);
        return rc;
}

const struct ctl_cmd cmd_export_cmds[] = {
        { "export",
          "PROJECT [--format jsonl|csv|arena|dpo|sft|scores] [--rewrites] [-o FILE] [filters]",
          "stream every vote of a project (admin, analyst)",
          "Formats (see server/API.md):\n"
          "  jsonl   one JSON object per vote (default): vote_id, created_at, prompt_id,\n"
          "          category, language, model_a, model_b, winner, flags_a, flags_b,\n"
          "          rationale, elapsed_ms, rater, guidelines_version, source\n"
          "  csv     the same fields as CSV\n"
          "  arena   the Chatbot Arena battle layout\n"
          "  dpo     {prompt, chosen, rejected, chosen_model, rejected_model} per decided vote\n"
          "          (TRL's conversational layout for conversations; strength when given)\n"
          "  sft     the prompt (or messages) and the rater's rewrite as the answer\n"
          "  scores  one row per scored answer: vote_id, prompt_id, model, rater, scores\n"
          "Projects with strength, criteria, rewrites or conversations add strength, scores,\n"
          "rewrite, flag_quotes and messages to jsonl and csv.\n"
          "Options:\n"
          "  -f, --format FORMAT           one of the above\n"
          "  --rewrites                    dpo: the rewrite chosen over the answer it improved\n"
          "  -o, --output FILE             write FILE (complete or not at all: a temporary\n"
          "                                file is renamed on success) instead of stdout\n"
          "  --category C, --language L    only votes on prompts of this category/language\n"
          "  --since TIME, --until TIME    only votes cast in this range (RFC 3339)\n"
          "  -q, --quiet                   no progress on stderr\n"
          "The data streams through; memory use does not grow with the export. Progress\n"
          "(bytes, rate) shows on a terminal.\n",
          export_opts, 1, 1, export_votes },
        { NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
