/*
 * fit.h - small pieces both model fits use (rank.c's Bradley-Terry and Davidson, stylefit.c's
 * contextual Bradley-Terry).
 */
#ifndef FIT_H
#define FIT_H

#include "prefd.h"

/* Formats a message into err (errlen bytes; nothing when err is NULL). */
void fit_seterr(char *err, size_t errlen, const char *fmt, ...) PREFD_PRINTF(3, 4);
/* The largest |v[i]| of m values (0 for none); NaN when one is NaN. */
double fit_max_abs(const double *v, size_t m);

#endif
