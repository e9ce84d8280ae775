/*
 * api.h - the request handlers of the HTTP API, one source file per resource (server/api_*.c);
 * router.c's table maps them to paths. Each handler validates, starts its work and returns; it
 * answers exactly once (req.h).
 */
#ifndef API_H
#define API_H

#include "req.h"

/* api_health.c: /healthz, /readyz, /metrics */
void api_health_live(struct req *r);
void api_health_ready(struct req *r);
void api_health_metrics(struct req *r);

/* api_session.c: browser login and the caller's identity */
void api_session_login(struct req *r);
void api_session_logout(struct req *r);
void api_session_me(struct req *r);

/* api_users.c: accounts and API tokens */
/* INSERT of a user with its first token: $1 name, $2 role, $3 password hash, $4 token hash. */
extern const char *const api_users_insert_sql;
/* True for a valid user name: letters, digits, _ . @ - (not first), at most 64. */
bool api_users_valid_name(const char *s);
void api_users_create(struct req *r);
void api_users_list(struct req *r);
void api_users_update(struct req *r);
void api_users_token(struct req *r);

/* api_projects.c: projects, their settings and progress */
void api_projects_create(struct req *r);
void api_projects_list(struct req *r);
void api_projects_get(struct req *r);
void api_projects_update(struct req *r);
void api_projects_progress(struct req *r);

/* api_items.c: streamed upload of prompts and responses */
void api_items_upload(struct req *r);
/* GET .../facets: the project's categories and languages */
void api_items_facets(struct req *r);
/* GET .../items: admins list and search the items, paged */
void api_items_list(struct req *r);
/* DELETE /api/v1/projects/{slug}: closed, renamed, kept */
void api_items_delete_project(struct req *r);
/* DELETE .../items/{id}: withdrawn, votes kept and excluded */
void api_items_delete(struct req *r);

/* api_votes.c: votes in bulk */
void api_votes_import(struct req *r);
void api_votes_export(struct req *r);

/* api_rankings.c: Bradley-Terry leaderboard and win-rate matrix */
void api_rankings_leaderboard(struct req *r);
void api_rankings_matrix(struct req *r);

/* api_quality.c: quality control */
struct tally_weight;
/* Receives reliability weights (status 0) or a failure (-1): w borrowed for the call. */
typedef void (*api_weights_fn)(struct req *r, void *arg, int status, const struct tally_weight *w,
                               size_t n);
/* Computes the reliability weight of every rater of a project (quality.h). */
void api_quality_weights(struct req *r, int64_t project, api_weights_fn fn, void *arg);
void api_quality_raters(struct req *r);
void api_quality_agreement(struct req *r);
void api_quality_flags(struct req *r);
void api_quality_exclusions(struct req *r);
void api_quality_exclude(struct req *r);
void api_quality_unexclude(struct req *r);
void api_quality_review_next(struct req *r);
void api_quality_review(struct req *r);

/* api_rating.c: the rater's loop */
void api_rating_next(struct req *r);
void api_rating_vote(struct req *r);
void api_rating_skip(struct req *r);
void api_rating_renew(struct req *r);
void api_rating_undo(struct req *r);

/* api_web.c: the web client's pages and assets */
void api_web_page(struct req *r);
void api_web_asset(struct req *r);

#endif
