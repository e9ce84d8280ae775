/*
 * main.c - prefctl, the command-line client of prefd: global options, the table of commands,
 * help, dispatch and the exit status.
 *
 *   prefctl [global options] COMMAND [arguments and options]
 *
 * Global options may also come after the command. Each command lives in a cmd_*.c file that
 * exports its struct ctl_cmd entries; this file only finds the one asked for, parses its
 * options, fills struct ctl (the settings every command receives) and runs it.
 */
#include "args.h"
#include "cmd_export.h"
#include "cmd_learn.h"
#include "cmd_projects.h"
#include "cmd_rankings.h"
#include "cmd_upload.h"
#include "cmd_users.h"
#include "ctl.h"
#include "net.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every command, in the order of `prefctl --help`. */
static const struct ctl_cmd *const cmd_tables[] = {
        cmd_projects_cmds,
        cmd_upload_cmds,
        cmd_rankings_cmds,
        cmd_export_cmds,
        cmd_users_cmds,
        cmd_learn_cmds,
        NULL,
};

static const char global_help[] =
    "Global options (before or after the command):\n"
    "  --url URL         the server (default: $PREFD_URL, else " CTL_DEFAULT_URL ")\n"
    "  --token TOKEN     the API token (default: $PREFD_TOKEN; prefer the variable: a command\n"
    "                    line is visible to other users of the machine)\n"
    "  --cacert FILE     trust the CA certificate(s) in this PEM file for https\n"
    "  --insecure        do not verify the server's certificate (says so on stderr)\n"
    "  --timeout SECS    give up when connecting takes longer, or when no data has moved\n"
    "                    for this long (default 60; 0: never)\n"
    "  -h, --help        this help; `prefctl COMMAND --help` for a command\n"
    "  --version         prefctl's version\n";

static const char exit_help[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  a local failure (a file that cannot be read or written)\n"
    "  2  usage error: unknown command or option, missing argument, bad value\n"
    "  3  network or TLS error: cannot connect, certificate rejected, timeout\n"
    "  4  the server answered an error (HTTP 4xx or 5xx); its code and message are shown\n"
    "  5  upload or import-votes with rejected lines (nothing stored, or with --partial only\n"
    "     the valid lines)\n"
    "  130  interrupted (export)\n";

static void main_help(FILE *f)
{
        fputs("prefctl - the command-line client of prefd, pairwise preference rating of AI "
              "model outputs\n\n"
              "usage: prefctl [global options] COMMAND [arguments] [options]\n\nCommands:\n",
              f);
        for (const struct ctl_cmd *const *t = cmd_tables; *t; t++)
                for (const struct ctl_cmd *c = *t; c->name; c++)
                        fprintf(f, "  %-18s %s\n", c->name, c->summary);
        fputc('\n', f);
        fputs(global_help, f);
        fputc('\n', f);
        fputs(exit_help, f);
        fputs("\nSettings: PREFD_URL and PREFD_TOKEN. API reference: server/API.md.\n", f);
}

static void cmd_help(const struct ctl_cmd *c)
{
        printf("usage: prefctl %s %s\n\n%s.\n", c->name, c->synopsis, c->summary);
        if (c->help && *c->help)
                printf("\n%s", c->help);
        printf("\nGlobal options: --url, --token, --cacert, --insecure, --timeout "
               "(see prefctl --help).\n");
}

/* Length of the first word of a command name ("projects" of "projects list"). */
static size_t first_word(const char *name)
{
        const char *sp = strchr(name, ' ');
        return sp ? (size_t)(sp - name) : strlen(name);
}

/* The command named by argv[0] (and argv[1] for a two-word name); *words set to 1 or 2. */
static const struct ctl_cmd *find_cmd(int argc, char **argv, int *words)
{
        for (const struct ctl_cmd *const *t = cmd_tables; *t; t++) {
                for (const struct ctl_cmd *c = *t; c->name; c++) {
                        size_t n = first_word(c->name);
                        if (strlen(argv[0]) != n || strncmp(c->name, argv[0], n) != 0)
                                continue;
                        if (!c->name[n]) {
                                *words = 1;
                                return c;
                        }
                        if (argc > 1 && strcmp(argv[1], c->name + n + 1) == 0) {
                                *words = 2;
                                return c;
                        }
                }
        }
        return NULL;
}

/* True when word starts a two-word command ("projects", "users"). */
static bool is_group(const char *word)
{
        for (const struct ctl_cmd *const *t = cmd_tables; *t; t++)
                for (const struct ctl_cmd *c = *t; c->name; c++)
                        if (c->name[first_word(c->name)] && first_word(c->name) == strlen(word) &&
                            strncmp(c->name, word, strlen(word)) == 0)
                                return true;
        return false;
}

static void group_help(FILE *f, const char *group)
{
        fprintf(f, "usage: prefctl %s COMMAND ...\n\nCommands:\n", group);
        for (const struct ctl_cmd *const *t = cmd_tables; *t; t++)
                for (const struct ctl_cmd *c = *t; c->name; c++)
                        if (strncmp(c->name, group, strlen(group)) == 0 &&
                            c->name[strlen(group)] == ' ')
                                fprintf(f, "  prefctl %s %s\n      %s\n", c->name, c->synopsis,
                                        c->summary);
}

/* Counts the global options before the command: argv[1..*end) ; -1 on an unknown option. */
static int leading_globals(struct ctl *ctl, int argc, char **argv, int *end)
{
        int i = 1;
        while (i < argc && argv[i][0] == '-' && argv[i][1] != '\0') {
                const char *s = argv[i];
                const struct args_opt *o = NULL;
                if (strcmp(s, "--") == 0)
                        return ctl_usage(ctl, "a command is needed before \"--\"");
                for (const struct args_opt *g = args_global; g->name; g++) {
                        size_t n = strlen(g->name);
                        if ((s[1] == '-' && strncmp(s + 2, g->name, n) == 0 &&
                             (s[2 + n] == '\0' || s[2 + n] == '=')) ||
                            (s[1] != '-' && s[2] == '\0' && g->short_name == s[1]))
                                o = g;
                }
                if (!o)
                        return ctl_usage(ctl, "unknown option \"%s\" (before the command)", s);
                i++;
                if (o->kind == ARGS_VALUE && !strchr(s, '=')) {
                        if (i >= argc)
                                return ctl_usage(ctl, "option --%s needs a value", o->name);
                        i++;
                }
        }
        *end = i;
        return 0;
}

/* Runs prefctl; returns the exit status. */
static int run(struct ctl *ctl, int argc, char **argv)
{
        struct args a;
        char **rest = NULL;
        int lead_end, words = 0, nrest = 0;
        int rc = -1;
        if (leading_globals(ctl, argc, argv, &lead_end) != 0)
                goto out;
        /* Only global options: help or version, else a command is missing. */
        if (lead_end == argc) {
                const struct args_opt *const tables[] = { args_global, NULL };
                if (args_parse(ctl, &a, tables, argc - 1, argv + 1) != 0)
                        goto out;
                if (args_has(&a, "version")) {
                        printf("prefctl %s (libcurl %s)\n", PREFD_VERSION,
                               curl_version_info(CURLVERSION_NOW)->version);
                        rc = 0;
                } else if (args_has(&a, "help")) {
                        main_help(stdout);
                        rc = 0;
                } else {
                        main_help(stderr);
                        ctl->exit_code = CTL_EXIT_USAGE;
                }
                goto out;
        }
        const struct ctl_cmd *cmd = find_cmd(argc - lead_end, argv + lead_end, &words);
        if (!cmd) {
                const char *word = argv[lead_end];
                const char *next = lead_end + 1 < argc ? argv[lead_end + 1] : NULL;
                if (is_group(word) && next &&
                    (strcmp(next, "--help") == 0 || strcmp(next, "-h") == 0)) {
                        group_help(stdout, word);
                        rc = 0;
                        goto out;
                }
                if (is_group(word)) {
                        if (next)
                                ctl_fail(ctl, CTL_EXIT_USAGE, "unknown command \"%s %s\"", word,
                                         next);
                        else
                                ctl_fail(ctl, CTL_EXIT_USAGE, "\"%s\" needs a command", word);
                        group_help(stderr, word);
                        goto out;
                }
                ctl_usage(ctl, "unknown command \"%s\"", word);
                goto out;
        }
        ctl->cmd = cmd->name;
        /* The command's words and options, then the global options that came before it. */
        int after = lead_end + words;
        rest = calloc((size_t)argc, sizeof(*rest));
        if (!rest) {
                ctl_oom(ctl);
                goto out;
        }
        for (int i = after; i < argc; i++)
                rest[nrest++] = argv[i];
        for (int i = 1; i < lead_end; i++)
                rest[nrest++] = argv[i];
        const struct args_opt *const tables[] = { cmd->opts, args_global, NULL };
        if (args_parse(ctl, &a, tables, nrest, rest) != 0)
                goto out;
        if (args_has(&a, "help")) {
                cmd_help(cmd);
                rc = 0;
                goto out;
        }
        if ((int)a.npos < cmd->min_args) {
                ctl_usage(ctl, "missing argument; usage: prefctl %s %s", cmd->name, cmd->synopsis);
                goto out;
        }
        if ((int)a.npos > cmd->max_args) {
                ctl_usage(ctl, "unexpected argument \"%s\"", a.pos[cmd->max_args]);
                goto out;
        }
        if (ctl_configure(ctl, &a, true) != 0)
                goto out;
        if (!(ctl->net = net_new(ctl)))
                goto out;
        rc = cmd->run(ctl, &a);
out:
        free(rest);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                if (rc == 0)
                        ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot write standard output");
                rc = -1;
        }
        if (rc == 0)
                return CTL_EXIT_OK;
        return ctl->exit_code != CTL_EXIT_OK ? ctl->exit_code : CTL_EXIT_LOCAL;
}

int main(int argc, char **argv)
{
        struct ctl ctl = { .exit_code = CTL_EXIT_OK };
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fputs("prefctl: cannot initialise libcurl\n", stderr);
                return CTL_EXIT_LOCAL;
        }
        int status = run(&ctl, argc, argv);
        ctl_fini(&ctl);
        curl_global_cleanup();
        return status;
}
