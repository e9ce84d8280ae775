/*
 * active_refresh.h - keeps the active-sampling weights of every project with schedule "active"
 * current (active.h has the rule; sql/014_active_schedule.sql the table `next` draws from).
 *
 * Every PREFD_ACTIVE_REFRESH (a timer on the loop), one cycle at a time: the projects with
 * schedule "active" and status "active" (one query), then for each in turn its model pairs with
 * comparisons (one query), its counted votes from the vote index (tally_sync, tally_count: every
 * vote, no filter), the fit with covariance and active_weights() on a worker thread, and the
 * weights written by prefd_pair_weights_save. A project whose counted votes did not change since
 * this process last wrote its weights (and whose pairs did not change) is skipped. Nothing of this
 * runs on a request's path.
 *
 * Several processes (issue 15's nodes) refresh the same projects: the save function lets one of
 * them write at a time and skips a refresh from no more votes than the stored one, and any
 * weights are harmless, since every promise of `next` is kept by prefd_nexts whatever pair is
 * drawn.
 *
 * Loop thread only.
 */
#ifndef ACTIVE_REFRESH_H
#define ACTIVE_REFRESH_H

#include "prefd.h"

struct app;
struct active_refresh;

/* Starts the timer (app borrowed; it must outlive the refresher). NULL when out of memory. */
struct active_refresh *active_refresh_new(struct app *app);
/* Stops the timer and starts nothing more; a cycle under way ends at its next step. */
void active_refresh_stop(struct active_refresh *a);
/* After the database pools and the worker pool are freed. NULL is a no-op. */
void active_refresh_free(struct active_refresh *a);

#endif
