/*
 * sample.c - the set-up of sample.h's draws: log factorials, Poisson tables and constants,
 * alias tables.
 */
#include "sample.h"

double sample_log_factorial(double k)
{
        static const double tab[10] = {
                0.08106146679532726,  0.04134069595540929, 0.02767792568499834,
                0.02079067210376509,  0.01664469118982119, 0.01387612882307075,
                0.01189670994589177,  0.01041126526197209, 0.009255462182712733,
                0.008330563433362871,
        };
        double fc;

        if (k < 10) {
                fc = tab[(int)k];
        } else {
                double r = 1.0 / (k + 1), r2 = r * r;

                fc = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 * r2) * r2) * r;
        }
        return (k + 0.5) * log(k + 1) - (k + 1) + 0.918938533204672742 + fc;
}

void sample_ptable_range(double lam, uint64_t *lo, size_t *len)
{
        double sd = sqrt(lam), a = floor(lam - 12 * sd - 5), b = ceil(lam + 12 * sd + 12);

        *lo = a > 0 ? (uint64_t)a : 0;
        *len = (size_t)(b - (double)*lo) + 1;
}

void sample_ptable_build(double lam, uint64_t lo, size_t len, double *cdf, uint32_t *guide)
{
        double loglam = log(lam), p, sum = 0;
        size_t i = 0;

        p = exp(-lam + (double)lo * loglam - sample_log_factorial((double)lo));
        for (size_t k = 0; k < len; k++) {
                sum += p;
                cdf[k] = sum;
                p *= lam / ((double)(lo + k) + 1);
        }
        for (size_t k = 0; k < len; k++)
                cdf[k] /= sum;
        cdf[len - 1] = 1;
        for (size_t j = 0; j < len; j++) {
                while (cdf[i] < (double)j / (double)len)
                        i++;
                guide[j] = (uint32_t)i;
        }
}

void sample_poisson_setup(struct sample_poisson *c, double lam)
{
        c->lam = lam;
        if (lam < 10) {
                c->b = exp(-lam);
                return;
        }
        c->b = 0.931 + 2.53 * sqrt(lam);
        c->a = -0.059 + 0.02483 * c->b;
        c->vr = 0.9277 - 3.6224 / (c->b - 2);
        c->loglam = log(lam);
}

void sample_alias_build(const double *w, size_t k, double *prob, uint32_t *alias, uint32_t *work)
{
        uint32_t *small = work, *large = work + k;
        size_t ns = 0, nl = 0;
        double total = 0;

        for (size_t i = 0; i < k; i++)
                total += w[i];
        for (size_t i = 0; i < k; i++) {
                prob[i] = w[i] * (double)k / total;
                alias[i] = (uint32_t)i;
                if (prob[i] < 1)
                        small[ns++] = (uint32_t)i;
                else
                        large[nl++] = (uint32_t)i;
        }
        while (ns > 0 && nl > 0) {
                uint32_t s = small[--ns], g = large[nl - 1];

                alias[s] = g;
                prob[g] -= 1 - prob[s];
                if (prob[g] < 1) {
                        nl--;
                        small[ns++] = g;
                }
        }
        while (nl > 0)
                prob[large[--nl]] = 1;
        while (ns > 0)
                prob[small[--ns]] = 1;
}
