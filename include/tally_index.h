/*
 * tally_index.h - the representation of tally.h's index, shared by its two halves and nobody
 * else: tally.c (the index: adding, counting, memory) and tally_sync.c (keeping it current from
 * PostgreSQL's change feed). Callers use tally.h only.
 *
 * A struct project holds one project's index and the state of its sync; struct tally the
 * projects. Loop thread only.
 */
#ifndef TALLY_INDEX_H
#define TALLY_INDEX_H

#include "tally.h"
#include "u64map.h"

#include <jansson.h>

/* One counted vote, 16 bytes. Its rater and style live in parallel arrays (rec_rater, rec_style)
 * that exist only once some vote has one: an imported log costs 16 bytes a vote. */
struct rec {
        int64_t at;              /* microseconds since 1970 */
        uint32_t pair : 24;      /* index into pairs (PAIRS_MAX) */
        uint32_t choice : 2;     /* enum tally_choice */
        uint32_t left_is_lo : 1; /* the lower model id was shown on the left */
        uint32_t strength : 2;   /* of a decided vote, 1..3; 0 when not given (free bits) */
        uint16_t cell;           /* index into cells */
};

#define PAIRS_MAX (1u << 24)

_Static_assert(sizeof(struct rec) == 16, "a vote is 16 bytes in the index");

struct style_pair { /* features of the lower model's answer, then the higher's */
        float lo[TALLY_STYLE], hi[TALLY_STYLE];
};

struct totals { /* outcome counts */
        uint32_t lo_wins, hi_wins, ties, both_bad, left_wins, right_wins;
};

struct cell_pair { /* totals of one (cell, pair) */
        uint32_t pair;
        uint16_t cell;
        struct totals n;
};

struct seen {
        int64_t id;
        uint64_t txid;
};

struct pending_import { /* an import found by the feed, to be read */
        int64_t id;
        uint64_t txid;
        int64_t first_id, last_id;
        int64_t votes;
};

struct waiter {
        tally_done_fn fn;
        void *arg;
        struct waiter *next;
};

enum sync_phase { SYNC_IDLE, SYNC_FEED, SYNC_IMPORT };

struct project {
        struct tally *tally;
        int64_t id;
        bool loaded;
        uint64_t watermark; /* every transaction below it has been read */
        int64_t epoch;      /* the project's counts_epoch when loaded */
        uint64_t last_used;

        int64_t *models; /* dense index -> model id */
        size_t nmodels, models_cap;
        struct u64map model_map; /* model id -> dense index */
        struct {
                uint32_t lo, hi;
        } * pairs; /* dense model indices */
        size_t npairs, pairs_cap;
        struct totals *pair_totals; /* per pair, over every cell: the unfiltered counts */
        size_t pair_totals_cap;
        struct u64map pair_map; /* (lo << 32 | hi) -> pair index */
        struct cellname {
                char *category, *language;
                uint32_t *cps; /* the cell's entries in cps */
                size_t ncps, cps_cap;
        } * cells;
        size_t ncells, cells_cap;
        json_t *cell_map; /* "category\x1flanguage" -> cell index */
        int64_t *raters;  /* rater index -> user id; index 0 is "none" */
        size_t nraters, raters_cap;
        struct u64map rater_map; /* user id -> rater index */

        struct rec *recs;
        size_t nrecs, recs_cap;
        uint32_t *rec_rater; /* recs_cap, or NULL while every vote is imported: index into raters */
        uint32_t *rec_style; /* recs_cap, or NULL while none has one: 1 + index into styles */
        struct style_pair *styles;
        size_t nstyles, styles_cap;
        bool sorted; /* recs by time */
        struct cell_pair *cps;
        size_t ncps, cps_cap;
        struct u64map cp_map; /* (cell << 32 | pair) -> cps index */

        struct seen *seen_votes; /* rated votes read whose transaction is >= watermark */
        size_t nseen, seen_cap;
        struct u64map seen_map; /* vote id -> 1 */
        struct seen *seen_imports;
        size_t nimports, imports_cap;

        /* the sync in progress */
        enum sync_phase phase;
        uint64_t next_watermark;
        int64_t next_epoch;
        int64_t after_id; /* last rated vote id read by the feed */
        struct pending_import *todo;
        size_t ntodo, todo_cap, todo_at;
        int64_t import_after;   /* last vote id read of todo[todo_at] */
        struct waiter *waiting; /* served by the sync in progress */
        struct waiter *queued;  /* arrived during it: served by the next */
};

struct tally {
        struct db *db;
        size_t max_bytes;
        struct project **projects;
        size_t nprojects, projects_cap;
        uint64_t clock;
};

/* Grows *arr (of elem bytes) to hold n + 1 elements. */
int tally_reserve(void **arr, size_t *cap, size_t n, size_t elem) PREFD_MUSTCHECK;

/* The project's entry, made (empty, not loaded) when there is none; NULL when memory ran out. */
struct project *tally_project(struct tally *t, int64_t id);

/*
 * Adds one vote to the index (rater_id 0 for an imported vote, style NULL when not known,
 * strength 0 when not given).
 */
int tally_project_add(struct project *p, int64_t left, int64_t right, enum tally_choice choice,
                      const char *category, const char *language, int64_t at, int64_t rater_id,
                      const struct tally_style *style, int strength) PREFD_MUSTCHECK;

/* Room for exactly n votes in all (when there is less). */
int tally_project_reserve(struct project *p, size_t n) PREFD_MUSTCHECK;

/* Sorts the votes by time. */
void tally_project_sort(struct project *p);

/* Frees everything the index holds; the project's identity and waiters stay. */
void tally_project_clear(struct project *p);

/* Over budget: drops the least recently used idle projects other than keep. */
void tally_evict(struct tally *t, const struct project *keep);

#endif
