/*
 * fit.h - small pieces both model fits use (rank.c's Bradley-Terry and Davidson, stylefit.c's
 * contextual Bradley-Terry).
 */
#ifndef FIT_H
#define FIT_H

#include "prefd.h"

struct rank_model;

/* Formats a message into err (errlen bytes; nothing when err is NULL). */
void fit_seterr(char *err, size_t errlen, const char *fmt, ...) PREFD_PRINTF(3, 4);
/* The largest |v[i]| of m values (0 for none); NaN when one is NaN. */
double fit_max_abs(const double *v, size_t m);

/*
 * Runs fn on n work items (item k at (char *)items + k * stride): item 0 on this thread, the
 * others on threads of their own, joined before it returns; an item whose thread cannot be
 * started runs on this thread afterwards.
 */
void fit_parallel(void *items, size_t n, size_t stride, void (*fn)(void *item));

/*
 * The flags of a fitted model: size its component's number of models, won and lost the
 * outcomes that count for it, anchor the anchor model (or -1) and i its index.
 */
unsigned fit_model_flags(size_t size, double won, double lost, long anchor, size_t i);
/*
 * Ranks as the arena reports them: 1 + the models of the same component whose interval lies
 * wholly above this one's. n models.
 */
void fit_rank_models(struct rank_model *models, size_t n);

#endif
