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
void api_items_get(struct req *r);

/* api_import.c: POST .../votes/import */
void api_import_votes(struct req *r);
/* api_export.c: GET .../votes, every format */
void api_export_votes(struct req *r);

/* api_prefs.c: the caller's own preferences */
void api_prefs_update(struct req *r);

/* api_exposure.c: sensitive content seen per rater and day */
void api_exposure_get(struct req *r);

/* api_scores.c: scores per answer */
void api_scores_get(struct req *r);

/* api_rankings.c: Bradley-Terry leaderboard and win-rate matrix */
void api_rankings_leaderboard(struct req *r);
void api_rankings_matrix(struct req *r);

/* api_quality.c: quality statistics */
void api_quality_raters(struct req *r);
void api_quality_agreement(struct req *r);
void api_quality_flags(struct req *r);

/* api_exclusions.c: exclusions from rankings */
void api_exclusions_list(struct req *r);
void api_exclusions_add(struct req *r);
void api_exclusions_undo(struct req *r);

/* api_reviews.c: review of other raters' votes */
void api_reviews_next(struct req *r);
void api_reviews_submit(struct req *r);

/* Issue 17: raters learn (api_feedback.c, api_qualification.c, api_me.c) */
void api_feedback_mine(struct req *r);
void api_feedback_unread(struct req *r);
void api_feedback_reply(struct req *r);
void api_feedback_given(struct req *r);
void api_qualification_set(struct req *r);
void api_me_stats(struct req *r);
void api_me_guidelines(struct req *r);
void api_me_guidelines_ack(struct req *r);

/* api_rating.c: the rater's loop */
void api_rating_next(struct req *r);
void api_rating_vote(struct req *r);
void api_rating_skip(struct req *r);
void api_rating_renew(struct req *r);
void api_rating_undo(struct req *r);

/* api_markdown.c: Markdown rendered as answers are (the guidelines preview) */
void api_markdown_render(struct req *r);

/* api_web.c: the web client's pages and assets */
void api_web_page(struct req *r);
void api_web_asset(struct req *r);

#endif
