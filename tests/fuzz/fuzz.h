/*
 * fuzz.h - what every libFuzzer target (tests/fuzz/fuzz_*.c) shares: the entry point's
 * prototype, a check that stops the run with a message (libFuzzer keeps the input that did it),
 * and a way to split an input into a few pieces, so that incremental parsers are fed the same
 * bytes in different chunks and must agree with themselves.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined by `make fuzz`, run by tests/fuzz/run.sh.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__,        \
                                #cond);                                                            \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/* The first byte of the input picks a chunk size (1 to 64) for feeding the rest. */
static inline size_t fuzz_step(const uint8_t **data, size_t *size)
{
        if (*size == 0)
                return 1;
        size_t step = (size_t)(**data % 64) + 1;
        (*data)++;
        (*size)--;
        return step;
}

/* A NUL-terminated copy (owned by caller). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (!s)
                abort();
        for (size_t i = 0; i < size; i++)
                s[i] = (char)data[i];
        s[size] = '\0';
        return s;
}

#endif
