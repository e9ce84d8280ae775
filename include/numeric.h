/*
 * numeric.h - the numerical kernels the rating fits share (rank.c, stylefit.c): dense symmetric
 * positive definite linear algebra on small row-major matrices, and sorted-sample quantiles.
 *
 * Matrices are m x m, row-major, m at most a few thousand; a symmetric matrix is read from its
 * lower triangle. The O(m^3) work (factorisation, inverse) is organised as dot products of
 * contiguous rows, four rows against one at a time, in 2-wide vectors (the GCC/Clang vector
 * extension: SSE2 on any x86-64, NEON on arm64), which keeps it within a small factor of the
 * machine's peak without a BLAS: a Cholesky factorisation of m = 250 is about 2.6 million
 * multiply-adds, 1-2 ms on one core.
 *
 * Pure computation: no I/O, no globals, no allocation except where a function says so; any
 * thread.
 */
#ifndef NUMERIC_H
#define NUMERIC_H

#include "prefd.h"

/* sum_k a[k] b[k] */
double num_dot(const double *a, const double *b, size_t len);

/* y[k] += alpha x[k] */
void num_axpy(double *y, double alpha, const double *x, size_t len);

/* d[k] += c (a[k] - b[k])^2 */
void num_add_sqdiff(double *d, const double *a, const double *b, double c, size_t len);

/* d[i] += sum_p c[p] (x[ra[p] m + i] - x[rb[p] m + i])^2 for i < m: the same sum as
 * num_add_sqdiff over the rows ra[p], rb[p] of x (m columns), for many pairs at once, columns in
 * blocks held in registers. */
void num_pairs_sqdiff(double *d, const double *x, size_t m, const uint32_t *ra, const uint32_t *rb,
                      const double *c, size_t npairs);

/* In place: the lower triangle of a (symmetric positive definite) becomes L with a = L L^T (the
 * upper triangle is not touched). Returns -1 when a pivot is not positive and finite (a is then
 * partly overwritten). */
int num_chol(double *a, size_t m) PREFD_MUSTCHECK;

/* Solves L L^T x = b in place (b becomes x), lo from num_chol. */
void num_chol_solve(const double *lo, size_t m, double *b);

/* x = (L L^T)^-1, full and symmetric, lo from num_chol; tmp is m x m scratch. m^3 / 3
 * multiply-adds. */
void num_chol_inverse(const double *lo, size_t m, double *x, double *tmp);

/* c = a b a for symmetric a, b (full storage, m x m); c full and symmetric; tmp is m x m scratch.
 * 1.5 m^3 multiply-adds. */
void num_sym_product(const double *a, const double *b, size_t m, double *c, double *tmp);

/* Sorts v[0..len) ascending. */
void num_sort(double *v, size_t len);

/* numpy's default ("linear") quantile q in [0, 1] of sorted v[0..len), len >= 1. */
double num_quantile(const double *v, size_t len, double q);

#endif
