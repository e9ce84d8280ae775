/*
 * tally.c - the in-memory index of counted votes per project: adding, counting and memory; see
 * tally.h. tally_sync.c keeps it current.
 */
#include "tally_index.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tally_reserve(void **arr, size_t *cap, size_t n, size_t elem)
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

void tally_project_clear(struct project *p)
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
        tally_project_clear(p);
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

struct project *tally_project(struct tally *t, int64_t id)
{
        struct project *p = find(t, id);
        if (p)
                return p;
        if (tally_reserve((void **)&t->projects, &t->projects_cap, t->nprojects, sizeof(p)) != 0)
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
        if (tally_reserve((void **)&p->models, &p->models_cap, p->nmodels, sizeof(int64_t)) != 0)
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
                if (tally_reserve((void **)&p->raters, &p->raters_cap, 0, sizeof(int64_t)) != 0)
                        return -1;
                p->raters[p->nraters++] = 0;
        }
        if (tally_reserve((void **)&p->raters, &p->raters_cap, p->nraters, sizeof(int64_t)) != 0)
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
            tally_reserve((void **)&p->cells, &p->cells_cap, p->ncells, sizeof(*p->cells)) != 0)
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
        if (tally_reserve((void **)&p->recs, &p->recs_cap, p->nrecs, sizeof(struct rec)) != 0)
                return -1;
        return parallel_follow(p, old, rater, style);
}

int tally_project_reserve(struct project *p, size_t n)
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

int tally_project_add(struct project *p, int64_t left, int64_t right, enum tally_choice choice,
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
                if (p->npairs >= PAIRS_MAX || tally_reserve((void **)&p->pairs, &p->pairs_cap,
                                                            p->npairs, sizeof(*p->pairs)) != 0)
                        return -1;
                if (tally_reserve((void **)&p->pair_totals, &p->pair_totals_cap, p->npairs,
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
                if (tally_reserve((void **)&p->cps, &p->cps_cap, p->ncps, sizeof(*p->cps)) != 0 ||
                    tally_reserve((void **)&cn->cps, &cn->cps_cap, cn->ncps, sizeof(*cn->cps)) != 0)
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
                if (tally_reserve((void **)&p->styles, &p->styles_cap, p->nstyles,
                                  sizeof(*p->styles)) != 0)
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

/* Over budget: drops the least recently used idle projects. */
void tally_evict(struct tally *t, const struct project *keep)
{
        while (tally_bytes(t) > t->max_bytes && t->nprojects > 1) {
                size_t victim = t->nprojects;
                for (size_t i = 0; i < t->nprojects; i++) {
                        struct project *q = t->projects[i];
                        if (q != keep && q->phase == SYNC_IDLE && !q->waiting && !q->queued &&
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
        struct project *p = tally_project(t, project);
        return p ? tally_project_add(p, left, right, choice, category, language, at_us, rater,
                                     style, 0)
                 : -1;
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

void tally_project_sort(struct project *p)
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
                        tally_project_sort(p);
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
