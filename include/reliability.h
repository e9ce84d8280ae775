/*
 * reliability.h - the reliability weight of every rater of a project, for weighted rankings
 * (weights=reliability): the project's rated votes read by qvotes.h, the fit of quality.h run on
 * a worker, so the weights are the numbers the raters statistics report.
 */
#ifndef RELIABILITY_H
#define RELIABILITY_H

#include "prefd.h"

struct req;
struct tally_weight;

/* Receives the weights (status 0) or a failure (-1): w borrowed for the call. */
typedef void (*reliability_fn)(struct req *r, void *arg, int status, const struct tally_weight *w,
                               size_t n);

/* Computes the weights of project's raters for r; fn runs once, on the loop thread. */
void reliability_weights(struct req *r, int64_t project, reliability_fn fn, void *arg);

#endif
