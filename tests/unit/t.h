/*
 * t.h - the unit-test harness: a handful of macros, no framework.
 *
 * A test file defines `static void test_x(void)` functions and lists them in main() with RUN(x).
 * CHECK records a failure and goes on; REQUIRE stops the current test. The process exits non-zero
 * when any check failed, and prints one line per failure with file:line.
 */
#ifndef T_H
#define T_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failures;
static int t_checks;
static const char *t_current;

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                t_checks++;                                                                        \
                if (!(cond)) {                                                                     \
                        t_failures++;                                                              \
                        fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__,       \
                                t_current, #cond);                                                 \
                }                                                                                  \
        } while (0)

#define REQUIRE(cond)                                                                              \
        do {                                                                                       \
                t_checks++;                                                                        \
                if (!(cond)) {                                                                     \
                        t_failures++;                                                              \
                        fprintf(stderr, "%s:%d: %s: requirement failed: %s\n", __FILE__, __LINE__, \
                                t_current, #cond);                                                 \
                        return;                                                                    \
                }                                                                                  \
        } while (0)

#define CHECK_STR(a, b)                                                                            \
        do {                                                                                       \
                const char *t_a_ = (a), *t_b_ = (b);                                               \
                t_checks++;                                                                        \
                if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {                                   \
                        t_failures++;                                                              \
                        fprintf(stderr, "%s:%d: %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__,       \
                                t_current, t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");        \
                }                                                                                  \
        } while (0)

#define CHECK_INT(a, b)                                                                            \
        do {                                                                                       \
                long long t_a_ = (long long)(a), t_b_ = (long long)(b);                            \
                t_checks++;                                                                        \
                if (t_a_ != t_b_) {                                                                \
                        t_failures++;                                                              \
                        fprintf(stderr, "%s:%d: %s: %s == %lld, expected %lld\n", __FILE__,        \
                                __LINE__, t_current, #a, t_a_, t_b_);                              \
                }                                                                                  \
        } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
        do {                                                                                       \
                double t_a_ = (a), t_b_ = (b);                                                     \
                t_checks++;                                                                        \
                if (!(fabs(t_a_ - t_b_) <= (tol))) {                                               \
                        t_failures++;                                                              \
                        fprintf(stderr, "%s:%d: %s: %s == %.10g, expected %.10g (tol %g)\n",       \
                                __FILE__, __LINE__, t_current, #a, t_a_, t_b_, (double)(tol));     \
                }                                                                                  \
        } while (0)

#define RUN(name)                                                                                  \
        do {                                                                                       \
                t_current = #name;                                                                 \
                test_##name();                                                                     \
        } while (0)

#define T_DONE()                                                                                   \
        do {                                                                                       \
                fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__, t_checks, t_failures);     \
                return t_failures ? 1 : 0;                                                         \
        } while (0)

#endif
