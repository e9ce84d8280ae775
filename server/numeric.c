/*
 * numeric.c - dense SPD linear algebra and quantiles for the rating fits; see numeric.h.
 *
 * The kernel is dot4(): four dot products of four rows with one shared row. Cholesky (left-looking,
 * a column at a time: each entry below the diagonal is its row's prefix dotted with the column's
 * row), the triangular inverse (columns of L^-1 by forward substitution, four columns at once) and
 * the product L^-T L^-1 (entries as dots of columns of L^-1) are all written with it, so each
 * loaded element of the shared row serves four multiply-adds.
 */
#include "numeric.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 4 doubles, and its unaligned alias for loads and stores: *(v4u *)p */
typedef double v4d __attribute__((vector_size(32)));
typedef double v4u __attribute__((vector_size(32), aligned(8), may_alias));

#define LD4(p)    (*(const v4u *)(p))
#define ST4(p, v) (*(v4u *)(p) = (v))
#define HSUM(v)   (((v)[0] + (v)[2]) + ((v)[1] + (v)[3]))

/* The hot kernels are also compiled for AVX2 and picked at load time where the CPU has it (GCC
 * on x86-64); elsewhere the same code runs in SSE2 or NEON halves. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NUM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NUM_CLONES
#endif

NUM_CLONES double num_dot(const double *a, const double *b, size_t len)
{
        v4d s0 = { 0, 0, 0, 0 }, s1 = { 0, 0, 0, 0 };
        size_t k = 0;
        double s;

        for (; k + 8 <= len; k += 8) {
                s0 += LD4(a + k) * LD4(b + k);
                s1 += LD4(a + k + 4) * LD4(b + k + 4);
        }
        s0 += s1;
        s = HSUM(s0);
        for (; k < len; k++)
                s += a[k] * b[k];
        return s;
}

/* out[r] = sum_k a_r[k] b[k], r < 4 */
NUM_CLONES static void dot4(const double *a0, const double *a1, const double *a2, const double *a3,
                            const double *b, size_t len, double *out)
{
        v4d s0 = { 0, 0, 0, 0 }, s1 = { 0, 0, 0, 0 }, s2 = { 0, 0, 0, 0 }, s3 = { 0, 0, 0, 0 };
        size_t k = 0;

        for (; k + 4 <= len; k += 4) {
                v4d bb = LD4(b + k);

                s0 += LD4(a0 + k) * bb;
                s1 += LD4(a1 + k) * bb;
                s2 += LD4(a2 + k) * bb;
                s3 += LD4(a3 + k) * bb;
        }
        out[0] = HSUM(s0);
        out[1] = HSUM(s1);
        out[2] = HSUM(s2);
        out[3] = HSUM(s3);
        for (; k < len; k++) {
                out[0] += a0[k] * b[k];
                out[1] += a1[k] * b[k];
                out[2] += a2[k] * b[k];
                out[3] += a3[k] * b[k];
        }
}

NUM_CLONES void num_axpy(double *y, double alpha, const double *x, size_t len)
{
        v4d a = { alpha, alpha, alpha, alpha };
        size_t k = 0;

        for (; k + 4 <= len; k += 4)
                ST4(y + k, LD4(y + k) + a * LD4(x + k));
        for (; k < len; k++)
                y[k] += alpha * x[k];
}

NUM_CLONES void num_add_sqdiff(double *d, const double *a, const double *b, double c, size_t len)
{
        v4d cc = { c, c, c, c };
        size_t k = 0;

        for (; k + 4 <= len; k += 4) {
                v4d v = LD4(a + k) - LD4(b + k);

                ST4(d + k, LD4(d + k) + cc * v * v);
        }
        for (; k < len; k++) {
                double v = a[k] - b[k];

                d[k] += c * v * v;
        }
}

NUM_CLONES void num_pairs_sqdiff(double *d, const double *x, size_t m, const uint32_t *ra,
                                 const uint32_t *rb, const double *c, size_t npairs)
{
        size_t i = 0;

        for (; i + 8 <= m; i += 8) {
                v4d s0 = { 0, 0, 0, 0 }, s1 = { 0, 0, 0, 0 };

                for (size_t p = 0; p < npairs; p++) {
                        const double *a = x + (size_t)ra[p] * m + i, *b = x + (size_t)rb[p] * m + i;
                        v4d cc = { c[p], c[p], c[p], c[p] };
                        v4d v0 = LD4(a) - LD4(b), v1 = LD4(a + 4) - LD4(b + 4);

                        s0 += cc * v0 * v0;
                        s1 += cc * v1 * v1;
                }
                ST4(d + i, LD4(d + i) + s0);
                ST4(d + i + 4, LD4(d + i + 4) + s1);
        }
        if (i < m)
                for (size_t p = 0; p < npairs; p++)
                        num_add_sqdiff(d + i, x + (size_t)ra[p] * m + i, x + (size_t)rb[p] * m + i,
                                       c[p], m - i);
}

int num_chol(double *a, size_t m)
{
        for (size_t j = 0; j < m; j++) {
                double *aj = a + j * m;
                double s = aj[j] - num_dot(aj, aj, j), dj, d[4];
                size_t i = j + 1;

                if (!(s > 0) || !isfinite(s))
                        return -1;
                dj = sqrt(s);
                aj[j] = dj;
                for (; i + 4 <= m; i += 4) {
                        double *r = a + i * m;

                        dot4(r, r + m, r + 2 * m, r + 3 * m, aj, j, d);
                        for (int q = 0; q < 4; q++)
                                r[(size_t)q * m + j] = (r[(size_t)q * m + j] - d[q]) / dj;
                }
                for (; i < m; i++) {
                        double *ai = a + i * m;

                        ai[j] = (ai[j] - num_dot(ai, aj, j)) / dj;
                }
        }
        return 0;
}

void num_chol_solve(const double *lo, size_t m, double *b)
{
        for (size_t i = 0; i < m; i++)
                b[i] = (b[i] - num_dot(lo + i * m, b, i)) / lo[i * m + i];
        for (size_t i = m; i-- > 0;) {
                b[i] /= lo[i * m + i];
                num_axpy(b, -b[i], lo + i * m, i);
        }
}

/*
 * Row c of u becomes column c of L^-1 (zero before c): t_c = 1 / L_cc, t_k = -(L_k[c..k) .
 * t[c..k)) / L_kk below. Four columns c0 .. c0 + 3 at once: rows of u are zero before their own
 * column, so every dot can start at c0. Then x_ij = sum_k>=i u_ik u_jk for i >= j.
 */
void num_chol_inverse(const double *lo, size_t m, double *x, double *u)
{
        memset(u, 0, m * m * sizeof *u);
        for (size_t c0 = 0; c0 < m; c0 += 4) {
                size_t nb = m - c0 < 4 ? m - c0 : 4;
                double *t[4];

                for (size_t q = 0; q < 4; q++)
                        t[q] = u + (c0 + (q < nb ? q : 0)) * m;
                for (size_t k = c0; k < m; k++) {
                        const double *lk = lo + k * m;
                        double d[4];

                        dot4(t[0] + c0, t[1] + c0, t[2] + c0, t[3] + c0, lk + c0, k - c0, d);
                        for (size_t q = 0; q < nb; q++)
                                if (k >= c0 + q)
                                        t[q][k] = ((k == c0 + q) - d[q]) / lk[k];
                }
        }
        for (size_t i = 0; i < m; i++) {
                const double *ui = u + i * m + i;
                size_t j = 0, len = m - i;
                double d[4];

                for (; j + 4 <= i + 1; j += 4) {
                        const double *r = u + j * m + i;

                        dot4(r, r + m, r + 2 * m, r + 3 * m, ui, len, d);
                        for (int q = 0; q < 4; q++)
                                x[i * m + j + (size_t)q] = d[q];
                }
                for (; j <= i; j++)
                        x[i * m + j] = num_dot(u + j * m + i, ui, len);
        }
        for (size_t j = 0; j < m; j++)
                for (size_t i = 0; i < j; i++)
                        x[i * m + j] = x[j * m + i];
}

/* tmp = a b (tmp_ij = a_i . b_j, b symmetric), then c_ij = tmp_i . a_j for j <= i (a symmetric) */
void num_sym_product(const double *a, const double *b, size_t m, double *c, double *tmp)
{
        double d[4];

        for (size_t i = 0; i < m; i++) {
                const double *ai = a + i * m;
                size_t j = 0;

                for (; j + 4 <= m; j += 4) {
                        const double *r = b + j * m;

                        dot4(r, r + m, r + 2 * m, r + 3 * m, ai, m, d);
                        memcpy(tmp + i * m + j, d, sizeof d);
                }
                for (; j < m; j++)
                        tmp[i * m + j] = num_dot(b + j * m, ai, m);
        }
        for (size_t i = 0; i < m; i++) {
                const double *ti = tmp + i * m;
                size_t j = 0;

                for (; j + 4 <= i + 1; j += 4) {
                        const double *r = a + j * m;

                        dot4(r, r + m, r + 2 * m, r + 3 * m, ti, m, d);
                        memcpy(c + i * m + j, d, sizeof d);
                }
                for (; j <= i; j++)
                        c[i * m + j] = num_dot(a + j * m, ti, m);
        }
        for (size_t j = 0; j < m; j++)
                for (size_t i = 0; i < j; i++)
                        c[i * m + j] = c[j * m + i];
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

void num_sort(double *v, size_t len)
{
        qsort(v, len, sizeof *v, cmp_double);
}

double num_quantile(const double *v, size_t len, double q)
{
        double h = (double)(len - 1) * q, fl = floor(h);
        size_t i = (size_t)fl;

        if (i + 1 >= len)
                return v[len - 1];
        return v[i] + (h - fl) * (v[i + 1] - v[i]);
}
