/*
 * prefd.h - the shared base every module includes: compiler attributes and a few small macros.
 *
 * Conventions (see README "Architecture"): functions that can fail return int 0 / -1 and are
 * marked PREFD_MUSTCHECK; predicates return bool; x_new/x_free and x_init/x_fini pair up and
 * freeing NULL is a no-op.
 */
#ifndef PREFD_H
#define PREFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PREFD_VERSION "0.1.0"

#define PREFD_MUSTCHECK    __attribute__((warn_unused_result))
#define PREFD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PREFD_NORETURN     __attribute__((noreturn))
#define PREFD_UNUSED       __attribute__((unused))

#define ARRAY_LEN(a)  (sizeof(a) / sizeof((a)[0]))
#define PREFD_STR_(x) #x
#define PREFD_STR(x)  PREFD_STR_(x) /* a macro's value as a string literal */
#define MIN(a, b)     ((a) < (b) ? (a) : (b))
#define MAX(a, b)     ((a) > (b) ? (a) : (b))

/* container_of: the struct that holds member `m` at address `p`. */
#define container_of(p, type, m) ((type *)((char *)(p)-offsetof(type, m)))

#endif
