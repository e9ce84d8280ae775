/*
 * stylefill.h - the style features (style.h) of answers stored before prefd counted them at
 * upload, filled in the background.
 *
 * Once the schema is current, and again every STYLEFILL_IDLE_SECONDS while nothing is missing,
 * the filler reads up to STYLEFILL_BATCH answers whose responses.style is NULL (the partial index
 * responses_style_missing finds them), counts their features on the worker pool and writes them
 * in one statement; batch after batch, one at a time, until none is left. The projects whose
 * answers got features then have their counts_epoch raised once, so every prefd's vote index
 * (tally.c) reloads them with the features and style-controlled rankings count those votes.
 * Nothing runs on the loop but reading the rows and sending the statements. Several prefd
 * processes may fill at once: a row is written only while its style is still NULL.
 */
#ifndef STYLEFILL_H
#define STYLEFILL_H

#include "prefd.h"

#define STYLEFILL_BATCH        200 /* answers per batch (each up to max_text bytes) */
#define STYLEFILL_IDLE_SECONDS 60  /* between looks while nothing is missing */

struct app;
struct stylefill;

/* The filler of app (borrowed: it outlives the filler). NULL when out of memory. */
struct stylefill *stylefill_new(struct app *app);

/* Starts the first sweep (once the schema is current); later calls do nothing. */
void stylefill_start(struct stylefill *sf);

/* Frees the filler once the database pools are gone (no callback can come). NULL is a no-op. */
void stylefill_free(struct stylefill *sf);

#endif
