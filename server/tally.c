/*
 * tally.c - the in-memory index of counted votes per project; see tally.h.
 */
#include "tally.h"

#include "db.h"
#include "log.h"
#include "u64map.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEED_CHUNK 10000 /* rows per statement while loading: parsed on the loop, a few ms each */
#define EMPTY      UINT64_MAX

/* Grows *arr (of elem bytes) to hold n + 1 elements. */
static int reserve(void **arr, size_t *cap, size_t n, size_t elem)
{
        if (n < *cap)
                return 0;
        size_t c = *cap ? *cap * 2 : 64;
        void *p = realloc(*arr, c * elem);
        if (!p)
                return -1;
        *arr = p;
        *cap = c;
        return 0;
}

/* Grows *arr to hold at least n elements, exactly n when it must grow. */
static int reserve_exact(void **arr, size_t *cap, size_t n, size_t elem)
{
        if (n <= *cap)
                return 0;
        void *p = realloc(*arr, n * elem);
        if (!p)
                return -1;
        *arr = p;
        *cap = n;
        return 0;
}

/* --- a project's index --- */

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

static size_t project_bytes(const struct project *p)
{
        return p->recs_cap *
                   (sizeof(struct rec) + (p->rec_rater ? 4 : 0) + (p->rec_style ? 4 : 0)) +
               p->cps_cap * (sizeof(struct cell_pair) + 4) +
               p->styles_cap * sizeof(struct style_pair) +
               p->pair_totals_cap * sizeof(struct totals) + u64map_bytes(&p->cp_map) +
               u64map_bytes(&p->pair_map) + u64map_bytes(&p->model_map) +
               u64map_bytes(&p->seen_map) + p->pairs_cap * 8 + p->models_cap * 8 +
               p->seen_cap * sizeof(struct seen) + 1024;
}

size_t tally_bytes(const struct tally *t)
{
        size_t n = 0;
        for (size_t i = 0; i < t->nprojects; i++)
                n += project_bytes(t->projects[i]);
        return n;
}

/* Frees everything the index holds; the project's identity and waiters stay. */
static void project_clear(struct project *p)
{
        free(p->models);
        u64map_fini(&p->model_map);
        free(p->raters);
        u64map_fini(&p->rater_map);
        p->raters = NULL;
        p->nraters = p->raters_cap = 0;
        free(p->pairs);
        u64map_fini(&p->pair_map);
        free(p->pair_totals);
        p->pair_totals = NULL;
        p->pair_totals_cap = 0;
        for (size_t i = 0; i < p->ncells; i++) {
                free(p->cells[i].category);
                free(p->cells[i].language);
                free(p->cells[i].cps);
        }
        free(p->cells);
        json_object_clear(p->cell_map);
        free(p->recs);
        free(p->rec_rater);
        free(p->rec_style);
        p->rec_rater = p->rec_style = NULL;
        free(p->styles);
        p->styles = NULL;
        p->nstyles = p->styles_cap = 0;
        free(p->cps);
        u64map_fini(&p->cp_map);
        free(p->seen_votes);
        u64map_fini(&p->seen_map);
        free(p->seen_imports);
        free(p->todo);
        p->models = NULL;
        p->pairs = NULL;
        p->cells = NULL;
        p->recs = NULL;
        p->cps = NULL;
        p->seen_votes = NULL;
        p->seen_imports = NULL;
        p->todo = NULL;
        p->nmodels = p->models_cap = p->npairs = p->pairs_cap = p->ncells = p->cells_cap = 0;
        p->nrecs = p->recs_cap = p->ncps = p->cps_cap = p->nseen = p->seen_cap = 0;
        p->nimports = p->imports_cap = p->ntodo = p->todo_cap = p->todo_at = 0;
        p->sorted = true;
        p->loaded = false;
        p->watermark = 0;
}

static void project_free(struct project *p)
{
        if (!p)
                return;
        project_clear(p);
        json_decref(p->cell_map);
        free(p);
}

static struct project *find(struct tally *t, int64_t id)
{
        for (size_t i = 0; i < t->nprojects; i++)
                if (t->projects[i]->id == id)
                        return t->projects[i];
        return NULL;
}

static struct project *get(struct tally *t, int64_t id)
{
        struct project *p = find(t, id);
        if (p)
                return p;
        if (reserve((void **)&t->projects, &t->projects_cap, t->nprojects, sizeof(p)) != 0)
                return NULL;
        p = calloc(1, sizeof(*p));
        if (!p || !(p->cell_map = json_object())) {
                free(p);
                return NULL;
        }
        p->tally = t;
        p->id = id;
        p->sorted = true;
        t->projects[t->nprojects++] = p;
        return p;
}

static int model_index(struct project *p, int64_t id, uint32_t *out)
{
        if (u64map_get(&p->model_map, (uint64_t)id, out))
                return 0;
        if (reserve((void **)&p->models, &p->models_cap, p->nmodels, sizeof(int64_t)) != 0)
                return -1;
        *out = (uint32_t)p->nmodels;
        p->models[p->nmodels++] = id;
        return u64map_put(&p->model_map, (uint64_t)id, *out);
}

static int rater_index(struct project *p, int64_t id, uint32_t *out)
{
        if (id == 0) {
                *out = 0;
                return 0;
        }
        if (u64map_get(&p->rater_map, (uint64_t)id, out))
                return 0;
        if (p->nraters == 0) { /* index 0 stands for imported votes */
                if (reserve((void **)&p->raters, &p->raters_cap, 0, sizeof(int64_t)) != 0)
                        return -1;
                p->raters[p->nraters++] = 0;
        }
        if (reserve((void **)&p->raters, &p->raters_cap, p->nraters, sizeof(int64_t)) != 0)
                return -1;
        *out = (uint32_t)p->nraters;
        p->raters[p->nraters++] = id;
        return u64map_put(&p->rater_map, (uint64_t)id, *out);
}

static int cell_index(struct project *p, const char *category, const char *language, uint16_t *out)
{
        char key[512];
        snprintf(key, sizeof(key), "%s\x1f%s", category, language);
        json_t *at = json_object_get(p->cell_map, key);
        if (at) {
                *out = (uint16_t)json_integer_value(at);
                return 0;
        }
        if (p->ncells >= UINT16_MAX ||
            reserve((void **)&p->cells, &p->cells_cap, p->ncells, sizeof(*p->cells)) != 0)
                return -1;
        struct cellname *c = &p->cells[p->ncells];
        *c = (struct cellname){ 0 };
        c->category = strdup(category);
        c->language = strdup(language);
        if (!c->category || !c->language) {
                free(c->category);
                free(c->language);
                return -1;
        }
        *out = (uint16_t)p->ncells;
        json_object_set_new(p->cell_map, key, json_integer((json_int_t)p->ncells++));
        return 0;
}

static void count_choice(struct totals *c, enum tally_choice choice, bool left_is_lo)
{
        switch (choice) {
        case TALLY_LEFT:
                c->left_wins++;
                *(left_is_lo ? &c->lo_wins : &c->hi_wins) += 1;
                break;
        case TALLY_RIGHT:
                c->right_wins++;
                *(left_is_lo ? &c->hi_wins : &c->lo_wins) += 1;
                break;
        case TALLY_TIE:
                c->ties++;
                break;
        case TALLY_BOTH_BAD:
                c->both_bad++;
                break;
        }
}

/* Grows the parallel array *a (elements of 4 bytes) from old_cap to cap, zeroing the new part. */
static int grow_parallel(uint32_t **a, size_t old_cap, size_t cap)
{
        uint32_t *q = realloc(*a, cap * sizeof(**a));
        if (!q)
                return -1;
        memset(q + old_cap, 0, (cap - old_cap) * sizeof(*q));
        *a = q;
        return 0;
}

/* The parallel arrays follow recs_cap (from old); one that is needed for the first time is made,
 * zero for the votes before. */
static int parallel_follow(struct project *p, size_t old, bool rater, bool style)
{
        if ((p->rec_rater ? p->recs_cap != old : rater) &&
            grow_parallel(&p->rec_rater, p->rec_rater ? old : 0, p->recs_cap) != 0)
                return -1;
        if ((p->rec_style ? p->recs_cap != old : style) &&
            grow_parallel(&p->rec_style, p->rec_style ? old : 0, p->recs_cap) != 0)
                return -1;
        return 0;
}

/* Room for one more vote in recs and the parallel arrays. */
static int recs_reserve(struct project *p, bool rater, bool style)
{
        size_t old = p->recs_cap;
        if (reserve((void **)&p->recs, &p->recs_cap, p->nrecs, sizeof(struct rec)) != 0)
                return -1;
        return parallel_follow(p, old, rater, style);
}

/* Room for exactly n votes in all (when there is less). */
static int recs_reserve_exact(struct project *p, size_t n)
{
        size_t old = p->recs_cap;
        if (reserve_exact((void **)&p->recs, &p->recs_cap, n, sizeof(struct rec)) != 0)
                return -1;
        return parallel_follow(p, old, false, false);
}

static uint32_t rec_rater(const struct project *p, size_t i)
{
        return p->rec_rater ? p->rec_rater[i] : 0;
}

static uint32_t rec_style(const struct project *p, size_t i)
{
        return p->rec_style ? p->rec_style[i] : 0;
}

static int add(struct project *p, int64_t left, int64_t right, enum tally_choice choice,
               const char *category, const char *language, int64_t at, int64_t rater_id,
               const struct tally_style *style, int strength)
{
        uint32_t a, b, pair, cp, rater;
        uint16_t cell;
        if (left == right || model_index(p, left, &a) != 0 || model_index(p, right, &b) != 0 ||
            cell_index(p, category, language, &cell) != 0 || rater_index(p, rater_id, &rater) != 0)
                return -1;
        bool left_is_lo = left < right;
        uint32_t lo = left_is_lo ? a : b, hi = left_is_lo ? b : a;
        uint64_t key = (uint64_t)lo << 32 | hi;
        if (!u64map_get(&p->pair_map, key, &pair)) {
                if (p->npairs >= PAIRS_MAX ||
                    reserve((void **)&p->pairs, &p->pairs_cap, p->npairs, sizeof(*p->pairs)) != 0)
                        return -1;
                if (reserve((void **)&p->pair_totals, &p->pair_totals_cap, p->npairs,
                            sizeof(*p->pair_totals)) != 0)
                        return -1;
                pair = (uint32_t)p->npairs;
                p->pair_totals[pair] = (struct totals){ 0 };
                p->pairs[p->npairs].lo = lo;
                p->pairs[p->npairs++].hi = hi;
                if (u64map_put(&p->pair_map, key, pair) != 0)
                        return -1;
        }
        key = (uint64_t)cell << 32 | pair;
        if (!u64map_get(&p->cp_map, key, &cp)) {
                struct cellname *cn = &p->cells[cell];
                if (reserve((void **)&p->cps, &p->cps_cap, p->ncps, sizeof(*p->cps)) != 0 ||
                    reserve((void **)&cn->cps, &cn->cps_cap, cn->ncps, sizeof(*cn->cps)) != 0)
                        return -1;
                cp = (uint32_t)p->ncps;
                p->cps[p->ncps++] = (struct cell_pair){ .pair = pair, .cell = cell };
                if (u64map_put(&p->cp_map, key, cp) != 0)
                        return -1;
                cn->cps[cn->ncps++] = cp;
        }
        if (recs_reserve(p, rater != 0, style != NULL) != 0)
                return -1;
        uint32_t style_at = 0;
        if (style) {
                if (reserve((void **)&p->styles, &p->styles_cap, p->nstyles, sizeof(*p->styles)) !=
                    0)
                        return -1;
                struct style_pair *sp = &p->styles[p->nstyles++];
                memcpy(sp->lo, left_is_lo ? style->left : style->right, sizeof(sp->lo));
                memcpy(sp->hi, left_is_lo ? style->right : style->left, sizeof(sp->hi));
                style_at = (uint32_t)p->nstyles;
        }
        if (p->nrecs && at < p->recs[p->nrecs - 1].at)
                p->sorted = false;
        if (p->rec_rater)
                p->rec_rater[p->nrecs] = rater;
        if (p->rec_style)
                p->rec_style[p->nrecs] = style_at;
        p->recs[p->nrecs++] = (struct rec){ .at = at,
                                            .pair = pair,
                                            .cell = cell,
                                            .choice = (unsigned)choice,
                                            .left_is_lo = left_is_lo,
                                            .strength = (unsigned)(strength & 3) };
        count_choice(&p->cps[cp].n, choice, left_is_lo);
        count_choice(&p->pair_totals[pair], choice, left_is_lo);
        return 0;
}

bool tally_ready(const struct tally *t, int64_t project)
{
        for (size_t i = 0; i < t->nprojects; i++)
                if (t->projects[i]->id == project)
                        return t->projects[i]->loaded;
        return false;
}

int tally_add(struct tally *t, int64_t project, int64_t left, int64_t right,
              enum tally_choice choice, const char *category, const char *language, int64_t at_us,
              int64_t rater, const struct tally_style *style)
{
        struct project *p = get(t, project);
        return p ? add(p, left, right, choice, category, language, at_us, rater, style, 0) : -1;
}

/* --- counting --- */

/*
 * Sorts the votes by time in place: introsort (quicksort on the median of three, heapsort past a
 * depth of 2 log2 n, insertion sort below 16). In place because glibc's qsort takes a buffer as
 * large as the array (72 MB for three million votes) for its merge sort.
 */
static void rec_swap(struct project *p, size_t i, size_t j)
{
        struct rec t = p->recs[i];
        p->recs[i] = p->recs[j];
        p->recs[j] = t;
        if (p->rec_rater) {
                uint32_t x = p->rec_rater[i];
                p->rec_rater[i] = p->rec_rater[j];
                p->rec_rater[j] = x;
        }
        if (p->rec_style) {
                uint32_t x = p->rec_style[i];
                p->rec_style[i] = p->rec_style[j];
                p->rec_style[j] = x;
        }
}

static int64_t rec_at(const struct project *p, size_t i)
{
        return p->recs[i].at;
}

/* heap of [base, base + n) */
static void sift_down(struct project *p, size_t base, size_t n, size_t i)
{
        for (;;) {
                size_t c = 2 * i + 1;
                if (c >= n)
                        return;
                if (c + 1 < n && rec_at(p, base + c + 1) > rec_at(p, base + c))
                        c++;
                if (rec_at(p, base + c) <= rec_at(p, base + i))
                        return;
                rec_swap(p, base + i, base + c);
                i = c;
        }
}

/* sorts [lo, lo + n) */
static void sort_by_time(struct project *p, size_t lo, size_t n, unsigned depth)
{
        while (n > 16) {
                if (depth-- == 0) {
                        for (size_t i = n / 2; i-- > 0;)
                                sift_down(p, lo, n, i);
                        for (size_t k = n; k-- > 1;) {
                                rec_swap(p, lo, lo + k);
                                sift_down(p, lo, k, 0);
                        }
                        return;
                }
                int64_t a = rec_at(p, lo), b = rec_at(p, lo + n / 2), c = rec_at(p, lo + n - 1);
                int64_t pivot =
                    a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
                size_t i = lo, j = lo + n - 1;
                for (;;) { /* Hoare partition */
                        while (rec_at(p, i) < pivot)
                                i++;
                        while (rec_at(p, j) > pivot)
                                j--;
                        if (i >= j)
                                break;
                        rec_swap(p, i++, j--);
                }
                /* [lo, j] <= pivot <= (j, lo + n): recurse into the smaller side */
                size_t left = j + 1 - lo, right = n - left;
                if (left < right) {
                        sort_by_time(p, lo, left, depth);
                        lo = j + 1;
                        n = right;
                } else {
                        sort_by_time(p, j + 1, right, depth);
                        n = left;
                }
        }
        for (size_t i = lo + 1; i < lo + n; i++)
                for (size_t k = i; k > lo && rec_at(p, k - 1) > rec_at(p, k); k--)
                        rec_swap(p, k - 1, k);
}

static void sort_recs(struct project *p)
{
        unsigned depth = 0;
        for (size_t n = p->nrecs; n > 1; n >>= 1)
                depth += 2;
        sort_by_time(p, 0, p->nrecs, depth);
        p->sorted = true;
}

/* First record at or after `at` (recs sorted). */
static size_t lower_bound(const struct project *p, int64_t at)
{
        size_t lo = 0, hi = p->nrecs;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (p->recs[mid].at < at)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* strength=weight: a decided vote of strength k counts k half-wins (one without counts 1). */
static double strength_factor(const struct tally_filter *f, const struct rec *r)
{
        if (!f->strength_weight || !r->strength ||
            (r->choice != TALLY_LEFT && r->choice != TALLY_RIGHT))
                return 1;
        return r->strength / 2.0;
}

static void count_rec(struct tally_pair *out, const struct rec *r, double w)
{
        struct tally_pair *x = &out[r->pair];
        switch (r->choice) {
        case TALLY_LEFT:
                x->left_wins += w;
                *(r->left_is_lo ? &x->lo_wins : &x->hi_wins) += w;
                break;
        case TALLY_RIGHT:
                x->right_wins += w;
                *(r->left_is_lo ? &x->hi_wins : &x->lo_wins) += w;
                break;
        case TALLY_TIE:
                x->ties += w;
                break;
        default:
                x->both_bad += w;
                break;
        }
}

static void add_totals(struct tally_pair *x, const struct totals *c)
{
        x->lo_wins += c->lo_wins;
        x->hi_wins += c->hi_wins;
        x->ties += c->ties;
        x->both_bad += c->both_bad;
        x->left_wins += c->left_wins;
        x->right_wins += c->right_wins;
}

/* What a filter selects: the cells it keeps, each rater's weight (NULL: all 1) and the window of
 * the time-sorted votes (all of them without since/until). */
struct scan {
        bool *cell_ok;
        double *weight;
        size_t from, to;
};

static void scan_fini(struct scan *sc)
{
        free(sc->cell_ok);
        free(sc->weight);
}

static int scan_init(struct project *p, const struct tally_filter *f, bool window, struct scan *sc)
{
        sc->cell_ok = calloc(p->ncells + 1, sizeof(bool));
        sc->weight = f->weights ? malloc((p->nraters + 1) * sizeof(double)) : NULL;
        if (!sc->cell_ok || (f->weights && !sc->weight)) {
                scan_fini(sc);
                return -1;
        }
        for (size_t k = 0; sc->weight && k <= p->nraters; k++)
                sc->weight[k] = 1;
        for (size_t k = 0; sc->weight && k < f->nweights; k++) {
                uint32_t at;
                if (u64map_get(&p->rater_map, (uint64_t)f->weights[k].rater, &at))
                        sc->weight[at] = f->weights[k].weight;
        }
        for (size_t c = 0; c < p->ncells; c++)
                sc->cell_ok[c] = (!f->category || strcmp(f->category, p->cells[c].category) == 0) &&
                                 (!f->language || strcmp(f->language, p->cells[c].language) == 0);
        sc->from = 0;
        sc->to = p->nrecs;
        if (window && (f->has_since || f->has_until)) {
                if (!p->sorted) {
                        sort_recs(p);
                }
                sc->from = f->has_since ? lower_bound(p, f->since_us) : 0;
                sc->to = f->has_until ? lower_bound(p, f->until_us) : p->nrecs;
        }
        return 0;
}

int tally_count(struct tally *t, int64_t project, const struct tally_filter *f,
                struct tally_pair **out, size_t *n)
{
        struct project *p = find(t, project);
        *out = NULL;
        *n = 0;
        if (!p)
                return -1;
        p->last_used = ++t->clock;
        bool walk = f->has_since || f->has_until || f->weights || f->strength_weight;
        struct tally_pair *sums = calloc(p->npairs + 1, sizeof(*sums));
        struct scan sc;
        if (!sums || scan_init(p, f, walk, &sc) != 0) {
                free(sums);
                return -1;
        }
        if (!walk && !f->category && !f->language) {
                /* No filter: the maintained totals per pair. */
                for (size_t i = 0; i < p->npairs; i++)
                        add_totals(&sums[i], &p->pair_totals[i]);
        } else if (!walk) {
                /* Category and language only: the maintained totals of the matching cells. */
                for (size_t c = 0; c < p->ncells; c++) {
                        const struct cellname *cn = &p->cells[c];
                        for (size_t k = 0; sc.cell_ok[c] && k < cn->ncps; k++) {
                                const struct cell_pair *cp = &p->cps[cn->cps[k]];
                                add_totals(&sums[cp->pair], &cp->n);
                        }
                }
        } else {
                /* A time window or weights: the votes themselves (inside the window). */
                for (size_t i = sc.from; i < sc.to; i++)
                        if (sc.cell_ok[p->recs[i].cell])
                                count_rec(sums, &p->recs[i],
                                          (sc.weight ? sc.weight[rec_rater(p, i)] : 1) *
                                              strength_factor(f, &p->recs[i]));
        }
        scan_fini(&sc);
        size_t k = 0;
        for (size_t i = 0; i < p->npairs; i++) {
                struct tally_pair *x = &sums[i];
                if (x->lo_wins + x->hi_wins + x->ties + x->both_bad <= 0)
                        continue;
                x->lo = p->models[p->pairs[i].lo];
                x->hi = p->models[p->pairs[i].hi];
                sums[k++] = *x;
        }
        *out = sums;
        *n = k;
        return 0;
}

int tally_votes(struct tally *t, int64_t project, const struct tally_filter *f,
                struct tally_vote **out, size_t *n, int64_t **models, size_t *nmodels,
                size_t *missing)
{
        struct project *p = find(t, project);
        *out = NULL;
        *models = NULL;
        *n = *nmodels = *missing = 0;
        if (!p)
                return -1;
        p->last_used = ++t->clock;
        struct scan sc;
        if (scan_init(p, f, true, &sc) != 0)
                return -1;
        size_t cap = 0;
        for (size_t i = sc.from; i < sc.to; i++)
                cap += sc.cell_ok[p->recs[i].cell] && rec_style(p, i);
        struct tally_vote *v = malloc((cap + 1) * sizeof(*v));
        int64_t *ids = malloc((p->nmodels + 1) * sizeof(*ids));
        if (!v || !ids) {
                free(v);
                free(ids);
                scan_fini(&sc);
                return -1;
        }
        if (p->nmodels)
                memcpy(ids, p->models, p->nmodels * sizeof(*ids));
        size_t k = 0;
        for (size_t i = sc.from; i < sc.to; i++) {
                const struct rec *r = &p->recs[i];
                if (!sc.cell_ok[r->cell])
                        continue;
                uint32_t style = rec_style(p, i);
                if (!style) {
                        (*missing)++;
                        continue;
                }
                const struct style_pair *sp = &p->styles[style - 1];
                struct tally_vote *x = &v[k++];
                bool lo_won = (r->choice == TALLY_LEFT) == (r->left_is_lo != 0);
                x->lo = p->pairs[r->pair].lo;
                x->hi = p->pairs[r->pair].hi;
                x->outcome = r->choice == TALLY_TIE        ? TALLY_TIED
                             : r->choice == TALLY_BOTH_BAD ? TALLY_BAD
                             : lo_won                      ? TALLY_LO
                                                           : TALLY_HI;
                x->left_is_lo = r->left_is_lo;
                x->weight = (float)(sc.weight ? sc.weight[rec_rater(p, i)] : 1);
                memcpy(x->style_lo, sp->lo, sizeof(x->style_lo));
                memcpy(x->style_hi, sp->hi, sizeof(x->style_hi));
        }
        scan_fini(&sc);
        *out = v;
        *n = k;
        *models = ids;
        *nmodels = p->nmodels;
        return 0;
}

/* --- keeping current --- */

static void sync_step(struct project *p);

static void finish_sync(struct project *p, int status, const char *message)
{
        struct tally *t = p->tally;
        struct waiter *w = p->waiting;
        p->waiting = NULL;
        p->phase = SYNC_IDLE;
        p->ntodo = p->todo_at = 0;
        if (status == 0) {
                /* Forget what the new watermark already covers. */
                p->watermark = p->next_watermark;
                p->epoch = p->next_epoch;
                size_t k = 0;
                u64map_fini(&p->seen_map);
                for (size_t i = 0; i < p->nseen; i++)
                        if (p->seen_votes[i].txid >= p->watermark) {
                                p->seen_votes[k++] = p->seen_votes[i];
                                if (u64map_put(&p->seen_map, (uint64_t)p->seen_votes[i].id, 1) != 0)
                                        status = -1;
                        }
                p->nseen = k;
                k = 0;
                for (size_t i = 0; i < p->nimports; i++)
                        if (p->seen_imports[i].txid >= p->watermark)
                                p->seen_imports[k++] = p->seen_imports[i];
                p->nimports = k;
                p->loaded = status == 0;
                if (!p->sorted) {
                        /* Sorted once here, so that no request pays for it. */
                        sort_recs(p);
                }
                if (status != 0)
                        message = "out of memory";
        }
        if (status != 0) {
                /* A half-read index is worthless: start over next time. */
                log_warn(NULL, "msg=tally_sync_failed project=%lld detail=%s", (long long)p->id,
                         LOGQ(message));
                project_clear(p);
        }
        p->last_used = ++t->clock;
        while (w) {
                struct waiter *next = w->next;
                w->fn(status, message, w->arg);
                free(w);
                w = next;
        }
        /* Requests that came during this sync need one that started after them. */
        if (p->queued) {
                p->waiting = p->queued;
                p->queued = NULL;
                if (!p->loaded)
                        p->watermark = 0;
                sync_step(p);
                return;
        }
        /* Over budget: drop the least recently used idle projects. */
        while (tally_bytes(t) > t->max_bytes && t->nprojects > 1) {
                size_t victim = t->nprojects;
                for (size_t i = 0; i < t->nprojects; i++) {
                        struct project *q = t->projects[i];
                        if (q != p && q->phase == SYNC_IDLE && !q->waiting && !q->queued &&
                            (victim == t->nprojects ||
                             q->last_used < t->projects[victim]->last_used))
                                victim = i;
                }
                if (victim == t->nprojects)
                        break;
                log_info(NULL, "msg=tally_evicted project=%lld",
                         (long long)t->projects[victim]->id);
                project_free(t->projects[victim]);
                t->projects[victim] = t->projects[--t->nprojects];
        }
}

static enum tally_choice choice_of(const char *s)
{
        return s[0] == 'a'                   ? TALLY_LEFT
               : s[0] == 'b' && s[1] == '\0' ? TALLY_RIGHT
               : s[0] == 't'                 ? TALLY_TIE
                                             : TALLY_BOTH_BAD;
}

/* "{chars,headers,lists,bold}" (an integer[] as text) into f; false when absent or malformed. */
static bool parse_style(const char *text, float *f)
{
        const char *q = text;
        if (!q || *q++ != '{')
                return false;
        for (int k = 0; k < TALLY_STYLE; k++) {
                char *end;
                long v = strtol(q, &end, 10);
                if (end == q || v < 0 || *end != (k + 1 < TALLY_STYLE ? ',' : '}'))
                        return false;
                f[k] = (float)v;
                q = end + 1;
        }
        return *q == '\0';
}

/* The style of a row whose answers' features are in columns col, col + 1 (NULL when either is
 * not known). */
static const struct tally_style *row_style(const struct db_res *res, int row, int col,
                                           struct tally_style *st)
{
        if (db_res_isnull(res, row, col) || db_res_isnull(res, row, col + 1) ||
            !parse_style(db_res_value(res, row, col), st->left) ||
            !parse_style(db_res_value(res, row, col + 1), st->right))
                return NULL;
        return st;
}

static void imported_read(const struct db_res *res, void *arg)
{
        struct project *p = arg;
        if (db_res_status(res) != DB_OK) {
                finish_sync(p, -1, db_res_message(res));
                return;
        }
        int rows = db_res_nrows(res);
        for (int i = 0; i < rows; i++) {
                struct tally_style st;
                if (add(p, db_res_int(res, i, 1), db_res_int(res, i, 2),
                        choice_of(db_res_value(res, i, 3)), db_res_value(res, i, 4),
                        db_res_value(res, i, 5), db_res_int(res, i, 6), 0,
                        row_style(res, i, 7, &st), 0) != 0) {
                        finish_sync(p, -1, "out of memory");
                        return;
                }
        }
        if (rows == FEED_CHUNK) {
                p->import_after = db_res_int(res, rows - 1, 0);
        } else {
                /* This import is in: remember it, go to the next. */
                const struct pending_import *s = &p->todo[p->todo_at];
                if (reserve((void **)&p->seen_imports, &p->imports_cap, p->nimports,
                            sizeof(struct seen)) != 0) {
                        finish_sync(p, -1, "out of memory");
                        return;
                }
                p->seen_imports[p->nimports++] = (struct seen){ .id = s->id, .txid = s->txid };
                if (++p->todo_at < p->ntodo)
                        p->import_after = p->todo[p->todo_at].first_id - 1;
        }
        sync_step(p);
}

static void feed_read(const struct db_res *res, void *arg)
{
        struct project *p = arg;
        if (db_res_status(res) != DB_OK) {
                finish_sync(p, -1, db_res_message(res));
                return;
        }
        int rows = db_res_nrows(res), votes = 0;
        /* Exclusions changed what counts since this index was read: read it all again. */
        for (int i = 0; i < rows && p->after_id == 0 && p->loaded; i++) {
                if (db_res_value(res, i, 0)[0] == 'x' && db_res_int(res, i, 2) != p->epoch) {
                        log_info(NULL, "msg=tally_reload project=%lld reason=epoch",
                                 (long long)p->id);
                        struct waiter *w = p->waiting;
                        p->waiting = NULL;
                        project_clear(p);
                        p->waiting = w;
                        p->phase = SYNC_IDLE;
                        sync_step(p);
                        return;
                }
        }
        for (int i = 0; i < rows; i++) {
                const char *kind = db_res_value(res, i, 0);
                if (kind[0] == 'x') {
                        if (p->after_id == 0) {
                                p->next_watermark = strtoull(db_res_value(res, i, 1), NULL, 10);
                                p->next_epoch = db_res_int(res, i, 2);
                        }
                        continue;
                }
                uint64_t txid = strtoull(db_res_value(res, i, 8), NULL, 10);
                int64_t id = db_res_int(res, i, 1);
                if (kind[0] == 'i') {
                        bool known = false;
                        for (size_t k = 0; k < p->nimports && !known; k++)
                                known = p->seen_imports[k].id == id;
                        if (known)
                                continue;
                        if (reserve((void **)&p->todo, &p->todo_cap, p->ntodo, sizeof(*p->todo)) !=
                            0) {
                                finish_sync(p, -1, "out of memory");
                                return;
                        }
                        p->todo[p->ntodo++] =
                            (struct pending_import){ .id = id,
                                                     .txid = txid,
                                                     .first_id = db_res_int(res, i, 2),
                                                     .last_id = db_res_int(res, i, 3),
                                                     .votes = db_res_int(res, i, 9) };
                        continue;
                }
                votes++;
                p->after_id = id;
                uint32_t one;
                if (u64map_get(&p->seen_map, (uint64_t)id, &one))
                        continue; /* read by an earlier sync */
                struct tally_style st;
                if (add(p, db_res_int(res, i, 2), db_res_int(res, i, 3),
                        choice_of(db_res_value(res, i, 4)), db_res_value(res, i, 5),
                        db_res_value(res, i, 6), db_res_int(res, i, 7), db_res_int(res, i, 9),
                        row_style(res, i, 10, &st),
                        db_res_isnull(res, i, 12) ? 0 : (int)db_res_int(res, i, 12)) != 0 ||
                    reserve((void **)&p->seen_votes, &p->seen_cap, p->nseen, sizeof(struct seen)) !=
                        0 ||
                    u64map_put(&p->seen_map, (uint64_t)id, 1) != 0) {
                        finish_sync(p, -1, "out of memory");
                        return;
                }
                p->seen_votes[p->nseen++] = (struct seen){ .id = id, .txid = txid };
        }
        if (votes < FEED_CHUNK) {
                p->phase = SYNC_IMPORT; /* all rated votes are in */
                if (p->ntodo)
                        p->import_after = p->todo[0].first_id - 1;
                /* the imports' votes are counted: room for exactly them, no doubling */
                size_t more = 0;
                for (size_t k = 0; k < p->ntodo; k++)
                        more += p->todo[k].votes > 0 ? (size_t)p->todo[k].votes : 0;
                if (recs_reserve_exact(p, p->nrecs + more) != 0) {
                        finish_sync(p, -1, "out of memory");
                        return;
                }
        }
        sync_step(p);
}

/* The changes since the mark (sql/functions/prefd_tally_feed.sql). */
static const char feed_sql[] = "SELECT * FROM prefd_tally_feed($1, $2::xid8, $3, $4)";
/* One import's votes (sql/functions/prefd_tally_imported.sql). */
static const char imported_sql[] = "SELECT * FROM prefd_tally_imported($1, $2, $3, $4, $5)";

/* Issues the next statement of the sync in progress, or ends it. */
static void sync_step(struct project *p)
{
        char project[24], mark[24], after[24], chunk[24], first[24], last[24], import[24];
        snprintf(project, sizeof(project), "%lld", (long long)p->id);
        snprintf(chunk, sizeof(chunk), "%d", FEED_CHUNK);
        if (p->phase == SYNC_IDLE) {
                p->phase = SYNC_FEED;
                p->after_id = 0;
                p->ntodo = p->todo_at = 0;
                p->import_after = 0;
        }
        if (p->phase == SYNC_FEED) {
                snprintf(mark, sizeof(mark), "%llu", (unsigned long long)p->watermark);
                snprintf(after, sizeof(after), "%lld", (long long)p->after_id);
                const char *params[] = { project, mark, after, chunk };
                /* One statement, one snapshot: its xmin and the rows written since the mark. */
                db_query(p->tally->db, feed_sql, 4, params, feed_read, p);
                return;
        }
        if (p->todo_at < p->ntodo) {
                const struct pending_import *s = &p->todo[p->todo_at];
                snprintf(import, sizeof(import), "%lld", (long long)s->id);
                snprintf(first, sizeof(first), "%lld", (long long)p->import_after);
                snprintf(last, sizeof(last), "%lld", (long long)s->last_id);
                const char *params[] = { project, import, first, last, chunk };
                db_query(p->tally->db, imported_sql, 5, params, imported_read, p);
                return;
        }
        finish_sync(p, 0, NULL);
}

void tally_sync(struct tally *t, int64_t project, tally_done_fn fn, void *arg)
{
        struct project *p = get(t, project);
        struct waiter *w = malloc(sizeof(*w));
        if (!p || !w) {
                free(w);
                fn(-1, "out of memory", arg);
                return;
        }
        w->fn = fn;
        w->arg = arg;
        if (p->phase != SYNC_IDLE) {
                w->next = p->queued;
                p->queued = w;
                return;
        }
        w->next = NULL;
        p->waiting = w;
        if (!p->loaded)
                p->watermark = 0;
        sync_step(p);
}

struct tally *tally_new(struct db *db, size_t max_bytes)
{
        struct tally *t = calloc(1, sizeof(*t));
        if (t) {
                t->db = db;
                t->max_bytes = max_bytes;
        }
        return t;
}

void tally_free(struct tally *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->nprojects; i++)
                project_free(t->projects[i]);
        free(t->projects);
        free(t);
}
