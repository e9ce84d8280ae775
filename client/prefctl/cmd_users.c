/*
 * cmd_users.c - users: add (prints the new token alone on stdout), list (every page), disable,
 * enable, token (prints the new token). A token is printed only by the commands made to print
 * one; a password is read from standard input, never from the command line.
 */
#include "cmd_users.h"

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

#define MAX_PASSWORD 4096

static const char *const role_choices[] = { "admin", "analyst", "rater", NULL };

/* Prints the "token" of an answer alone on a line. */
static int print_token(struct ctl *ctl, const json_t *answer)
{
        const char *token = json_string_value(json_object_get(answer, "token"));
        if (!token)
                return ctl_fail(ctl, CTL_EXIT_SERVER, "the server's answer holds no token");
        text_put(stdout, token, TEXT_LINE);
        fputc('\n', stdout);
        return 0;
}

/* Reads the password: the first line of standard input, without its line end. */
static int read_password(struct ctl *ctl, char **out)
{
        char *text = NULL;
        size_t len;
        *out = NULL;
        if (ctl_read_file(ctl, "-", MAX_PASSWORD, &text, &len) != 0)
                return -1;
        if (memchr(text, '\0', len)) {
                free(text);
                return ctl_usage(ctl, "--password-stdin: the password holds a NUL byte");
        }
        text[strcspn(text, "\r\n")] = '\0';
        if (!*text) {
                free(text);
                return ctl_usage(ctl, "--password-stdin: standard input holds no password");
        }
        *out = text;
        return 0;
}

static const struct args_opt add_opts[] = {
        { "role", ARGS_VALUE, 0 },
        { "password-stdin", ARGS_FLAG, 0 },
        { NULL, 0, 0 },
};

static int users_add(struct ctl *ctl, const struct args *a)
{
        const char *role = args_get(a, "role");
        char *password = NULL;
        json_t *body = NULL, *answer = NULL;
        int rc = -1;
        if (!role)
                return ctl_usage(ctl, "users add needs --role admin|analyst|rater");
        if (args_choice(ctl, a, "role", role_choices) != 0)
                return -1;
        if (args_has(a, "password-stdin") && read_password(ctl, &password) != 0)
                return -1;
        body = json_pack("{s:s, s:s}", "name", a->pos[0], "role", role);
        if (!body || (password && json_object_set_new(body, "password", json_string(password)))) {
                ctl_oom(ctl);
                goto out;
        }
        if (net_json(ctl, "POST", "/api/v1/users", body, &answer) != 0)
                goto out;
        rc = print_token(ctl, answer);
out:
        if (password) {
                memset(password, 0, strlen(password));
                free(password);
        }
        json_decref(body);
        json_decref(answer);
        return rc;
}

static const struct args_opt list_opts[] = { { "json", ARGS_FLAG, 0 }, { NULL, 0, 0 } };

static void user_row(struct table *t, const json_t *u)
{
        table_cell_json(t, json_object_get(u, "name"));
        table_cell_json(t, json_object_get(u, "role"));
        table_cell(t, json_is_true(json_object_get(u, "disabled")) ? "disabled" : "active");
        table_cell_json(t, json_object_get(u, "created_at"));
}

static int users_list(struct ctl *ctl, const struct args *a)
{
        static const struct list_col cols[] = { { "name", TABLE_LEFT },
                                                { "role", TABLE_LEFT },
                                                { "status", TABLE_LEFT },
                                                { "created", TABLE_LEFT },
                                                { NULL, 0 } };
        return list_print(ctl, a, "/api/v1/users", cols, user_row);
}

static const struct args_opt no_opts[] = { { NULL, 0, 0 } };

static int set_disabled(struct ctl *ctl, const char *name, bool disabled)
{
        struct buf path = BUF_INIT;
        json_t *body = json_pack("{s:b}", "disabled", disabled);
        int rc = -1;
        buf_path(&path, "/api/v1/users/%s", name);
        if (!body || buf_check(&path) != 0) {
                ctl_oom(ctl);
                goto out;
        }
        if (net_json(ctl, "PATCH", buf_str(&path), body, NULL) != 0)
                goto out;
        fputs("user ", stdout);
        text_put(stdout, name, TEXT_LINE);
        printf(" %s\n", disabled ? "disabled" : "enabled");
        rc = 0;
out:
        json_decref(body);
        buf_fini(&path);
        return rc;
}

static int users_disable(struct ctl *ctl, const struct args *a)
{
        return set_disabled(ctl, a->pos[0], true);
}

static int users_enable(struct ctl *ctl, const struct args *a)
{
        return set_disabled(ctl, a->pos[0], false);
}

static int users_token(struct ctl *ctl, const struct args *a)
{
        struct buf path = BUF_INIT;
        json_t *answer = NULL;
        int rc = -1;
        buf_path(&path, "/api/v1/users/%s/token", a->pos[0]);
        if (buf_check(&path) != 0) {
                ctl_oom(ctl);
                goto out;
        }
        if (net_json(ctl, "POST", buf_str(&path), NULL, &answer) != 0)
                goto out;
        rc = print_token(ctl, answer);
out:
        json_decref(answer);
        buf_fini(&path);
        return rc;
}

const struct ctl_cmd cmd_users_cmds[] = {
        { "users add", "NAME --role admin|analyst|rater [--password-stdin]",
          "create a user; prints its API token alone on stdout (admin)",
          "  --role ROLE         admin, analyst or rater\n"
          "  --password-stdin    read a password for browser login from the first line of\n"
          "                      standard input (without it the user logs in by token only)\n"
          "The token is shown once: the server keeps only its hash.\n",
          add_opts, 1, 1, users_add },
        { "users list", "[--json]", "list the users (admin)",
          "Prints a table: name, role, status, created.\n"
          "  --json    the users as one JSON array\n",
          list_opts, 0, 0, users_list },
        { "users disable", "NAME", "disable a user: its tokens and sessions stop working (admin)",
          "", no_opts, 1, 1, users_disable },
        { "users enable", "NAME", "enable a disabled user again (admin)", "", no_opts, 1, 1,
          users_enable },
        { "users token", "NAME", "issue a new API token, printed alone (admin, or the user)",
          "The user's older tokens stop working.\n", no_opts, 1, 1, users_token },
        { NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
