/*
 * api_prefs.c - PATCH /api/v1/me: the caller's own preferences. {"explicit_opt_out": bool}: a
 * rater who opts out is not given the work of projects marked "explicit" (prefd_may_rate).
 * Answers the preferences as stored.
 */
#include "api.h"

#include "db.h"
#include "jsonv.h"

#include <stdio.h>
#include <string.h>

/* $1 the caller, $2 the new opt-out or NULL (unchanged). */
static const char prefs_sql[] = "UPDATE users "
                                "SET no_explicit = coalesce($2::boolean, no_explicit) "
                                "WHERE id = $1 "
                                "RETURNING no_explicit";

static void saved(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        req_reply_json(
            r, 200,
            json_pack("{s:b}", "explicit_opt_out", strcmp(db_res_value(res, 0, 0), "t") == 0));
}

void api_prefs_update(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        bool opt_out = false;
        jv_keys(&v, (const char *const[]){ "explicit_opt_out", NULL });
        bool given = jv_bool(&v, "explicit_opt_out", JV_OPTIONAL, &opt_out);
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        const char *params[] = { r->user.id_text, given ? (opt_out ? "true" : "false") : NULL };
        req_db(r, prefs_sql, 2, params, saved);
}
