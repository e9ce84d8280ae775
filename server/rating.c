/*
 * rating.c - the rating loop's batchers; see rating.h.
 */
#include "rating.h"

#include "router.h"

#include <stdio.h>
#include <stdlib.h>

/* Batches in the database at once, per kind, and elements in one batch. */
#define INFLIGHT  1
#define BATCH_MAX 64

static const char nexts_sql[] = "SELECT i, status, token, expires_at, prompt, left_text, "
                                "right_text, guidelines_version, done, remaining, "
                                "to_json(outcomes), to_json(flags), rationale, project_status, "
                                "role, extra "
                                "FROM prefd_nexts($1::jsonb, $2::text[])";

static const char skips_sql[] = "SELECT i, status, message "
                                "FROM prefd_skips($1::jsonb, $2::text[])";

static const char votes_sql[] = "SELECT i, status, vote_id, message, gold, gold_reason, field, "
                                "models "
                                "FROM prefd_votes($1::jsonb, $2::text[])";

struct rating *rating_new(struct db *db)
{
        /* The roles the rating routes are open to, as a SQL array. */
        char roles[64];
        size_t used = 0;
        roles[used++] = '{';
        for (int role = ROLE_RATER; role <= ROLE_ADMIN; role++)
                if (ROLES_RATING & ROLE_BIT(role))
                        used += (size_t)snprintf(roles + used, sizeof(roles) - used, "%s%s",
                                                 used > 1 ? "," : "",
                                                 req_role_name((enum user_role)role));
        snprintf(roles + used, sizeof(roles) - used, "}");
        struct rating *g = calloc(1, sizeof(*g));
        if (!g || !(g->nexts = batch_new(db, nexts_sql, roles, INFLIGHT, BATCH_MAX)) ||
            !(g->votes = batch_new(db, votes_sql, roles, INFLIGHT, BATCH_MAX)) ||
            !(g->skips = batch_new(db, skips_sql, roles, INFLIGHT, BATCH_MAX))) {
                rating_free(g);
                return NULL;
        }
        return g;
}

void rating_free(struct rating *g)
{
        if (!g)
                return;
        batch_free(g->nexts);
        batch_free(g->votes);
        batch_free(g->skips);
        free(g);
}
