/*
 * tally.h - an in-memory index of each project's counted votes, for rankings filtered by
 * category, language and time.
 *
 * Why: counts per (model pair, category, language, day) kept in PostgreSQL hold about one row per
 * vote (there are far more such cells than votes), so a filtered ranking read from them costs as
 * much as a scan of the votes. Here each counted vote (rated, not a control pair, or imported) is
 * 16 bytes in a time-sorted array, and the index keeps outcome totals per (category, language,
 * pair): a category/language filter adds up those totals; a time window also walks the votes
 * inside it (binary search to its ends), never the others.
 *
 * Staying current without locks: every rated vote and every import records the transaction that
 * wrote it (xid8). A sync reads, in one snapshot S, xmin(S) (the oldest transaction still in
 * progress) and the rows written by transactions >= the previous watermark W, then sets W =
 * xmin(S). Rows of transactions older than W were all committed before an earlier snapshot and
 * have been read; rows read twice are recognised by id. So a sync started after a vote's commit
 * always includes it, whichever process committed it; when nothing changed it costs one small
 * indexed query. A request arriving during a sync waits for the next one. Votes that stop or
 * start counting without being written (exclusions) bump the project's counts_epoch, and a sync
 * that sees a new epoch reads the project again from the start.
 *
 * Weighted counts (rater reliability) walk the votes instead of the totals.
 *
 * Style. A vote whose two answers' style features are known (responses.style: length, headers,
 * list items, bold) keeps them beside it, 32 bytes more; tally_votes hands the matching votes
 * with their features to a style-controlled fit. Rated votes take them from the answers they
 * were shown, imported votes from the uploaded item's answers of the two models (when the import
 * named an uploaded item).
 *
 * Memory is bounded by PREFD_INDEX_MEMORY: least recently used projects are dropped and rebuilt
 * when asked for again. Loop thread only.
 *
 * Files: tally.c the index (adding, counting, memory), tally_sync.c the sync from the change
 * feed; tally_index.h their shared representation, for those two only.
 */
#ifndef TALLY_H
#define TALLY_H

#include "prefd.h"

struct db;
struct tally;

/* Counts of one model pair (lower model id first). */
struct tally_pair {
        int64_t lo, hi; /* model ids */
        double lo_wins, hi_wins, ties, both_bad;
        double left_wins, right_wins; /* decided votes by side shown */
};

/* A rater's weight (votes of raters not listed, and imported votes, weigh 1). */
struct tally_weight {
        int64_t rater; /* user id */
        double weight;
};

struct tally_filter {
        const char *category; /* NULL: any */
        const char *language; /* NULL: any */
        bool has_since, has_until;
        int64_t since_us, until_us;         /* [since, until) in microseconds since 1970 (UTC) */
        const struct tally_weight *weights; /* NULL: every vote weighs 1 */
        size_t nweights;
        bool strength_weight; /* a decided vote of strength k counts k half-wins (issue 14) */
};

/* Outcome codes of tally_add. */
enum tally_choice { TALLY_LEFT, TALLY_RIGHT, TALLY_TIE, TALLY_BOTH_BAD };

#define TALLY_STYLE 4 /* style features per answer */

/* The style features of a vote's two answers. */
struct tally_style {
        float left[TALLY_STYLE], right[TALLY_STYLE];
};

/* Outcomes of tally_votes, by model: the lower id won, the higher, a tie, both bad. */
enum tally_outcome { TALLY_LO, TALLY_HI, TALLY_TIED, TALLY_BAD };

/* One vote with the style features of both answers (lower model id first). */
struct tally_vote {
        uint32_t lo, hi; /* indices into the models array of tally_votes */
        uint8_t outcome; /* enum tally_outcome */
        bool left_is_lo; /* the lower model's answer was shown on the left */
        float weight;    /* by the filter's weights */
        float style_lo[TALLY_STYLE], style_hi[TALLY_STYLE];
};

struct tally *tally_new(struct db *db, size_t max_bytes);
void tally_free(struct tally *t);

typedef void (*tally_done_fn)(int status, const char *message, void *arg);

/*
 * Brings project `project`'s index up to date with every vote committed before this call, then
 * calls fn (status 0, or -1 with a message when the database failed) from the loop.
 */
void tally_sync(struct tally *t, int64_t project, tally_done_fn fn, void *arg);

/*
 * The counts of the indexed votes that match f, per model pair: call it right after tally_sync
 * succeeded. *out is malloc'd (owned by caller), *n its length. Returns 0, or -1 when the project
 * has no index or memory ran out.
 */
int tally_count(struct tally *t, int64_t project, const struct tally_filter *f,
                struct tally_pair **out, size_t *n);

/* True when the project's index has been loaded (and not dropped since). */
bool tally_ready(const struct tally *t, int64_t project);

/*
 * The indexed votes that match f and whose answers' style features are known, each with its
 * features: call it right after tally_sync succeeded. *out (malloc'd, n of them) index into
 * *models (malloc'd, the model ids, nmodels of them); *missing counts the matching votes left
 * out because a feature is unknown. Returns 0, or -1 when the project has no index or memory ran
 * out. O(matching votes).
 */
int tally_votes(struct tally *t, int64_t project, const struct tally_filter *f,
                struct tally_vote **out, size_t *n, int64_t **models, size_t *nmodels,
                size_t *missing);

/*
 * Adds one vote to a project's index (sync does this; tests feed it directly). rater is the
 * user id of a rated vote, 0 for an imported one; style NULL when the features are not known.
 */
int tally_add(struct tally *t, int64_t project, int64_t left, int64_t right,
              enum tally_choice choice, const char *category, const char *language, int64_t at_us,
              int64_t rater, const struct tally_style *style) PREFD_MUSTCHECK;

/* Bytes the index holds now (all projects). */
size_t tally_bytes(const struct tally *t);

#endif
