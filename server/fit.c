/*
 * fit.c - what the two model fits share (fit.h).
 */
#include "fit.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

void fit_seterr(char *err, size_t errlen, const char *fmt, ...)
{
        if (!err || errlen == 0)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

double fit_max_abs(const double *v, size_t m)
{
        double r = 0;
        for (size_t i = 0; i < m; i++) {
                if (isnan(v[i]))
                        return NAN;
                r = MAX(r, fabs(v[i]));
        }
        return r;
}
