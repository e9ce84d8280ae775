/*
 * api_qualification.c - an admin qualifies or resets a rater's qualification by hand (issue 17),
 * recorded with the admin and the reason: POST /api/v1/projects/{slug}/raters/{name}/qualification.
 *
 * The decision and its record are sql/functions/prefd_qualify.sql; the automatic path (control
 * pairs first, decided by the last of them) is prefd_gate.sql and prefd_votes.sql.
 */
#include "api.h"

#include "app.h"
#include "db.h"
#include "jsonv.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static const char qualify_sql[] = "SELECT * "
                                  "FROM prefd_qualify($1, $2, $3, $4::bigint, $5)";

static const struct req_status qualify_status[] = {
        { "ok", 0, NULL, NULL },
        { "no_project", 404, "not_found", "no project \"{}\"" },
        { "no_rater", 404, "not_found", "no user \"{}\"" },
        { "off", 409, "conflict",
          "project \"{}\" asks for no qualification (set \"qualification\" first)" },
        { NULL, 0, NULL, NULL },
};

static void qualified(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        const char *status = db_res_value(res, 0, 0);
        /* every status names the project but no_rater, which names the rater */
        const char *named = req_param(r, strcmp(status, "no_rater") == 0 ? 1 : 0);
        if (req_reply_status(r, qualify_status, status, named))
                return;
        log_info(r->id, "msg=qualification slug=%s rater=%s action=%s by=%s", LOGQ(req_param(r, 0)),
                 LOGQ(req_param(r, 1)), LOGQ(json_string_value(json_object_get(r->json, "action"))),
                 LOGQ(r->user.name));
        req_reply_json_text(r, 200, db_res_value(res, 0, 1), db_res_length(res, 0, 1));
}

void api_qualification_set(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        jv_keys(&v, (const char *const[]){ "action", "reason", NULL });
        const char *action =
            jv_enum(&v, "action", JV_REQUIRED, (const char *const[]){ "qualify", "reset", NULL });
        const char *reason = jv_string(&v, "reason", JV_OPTIONAL, 0, 2000);
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        const char *params[] = { req_param(r, 0), req_param(r, 1), action, r->user.id_text,
                                 reason };
        req_db(r, qualify_sql, 5, params, qualified);
}
