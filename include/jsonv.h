/*
 * jsonv.h - validation of JSON request bodies with messages that name the field.
 *
 * A struct jv collects the first problem; every getter is a no-op after a failure, so a handler
 * reads all its fields and checks once:
 *
 *   struct jv v = JV_INIT(r->json);
 *   jv_keys(&v, (const char *[]){ "name", "role", "password", NULL });
 *   const char *name = jv_string(&v, "name", JV_REQUIRED, 1, 64);
 *   if (v.failed)
 *           return jv_reply(r, &v);
 *
 * Strings are borrowed from the JSON object (valid while it lives).
 */
#ifndef JSONV_H
#define JSONV_H

#include "prefd.h"
#include "req.h"

#include <jansson.h>

#define JV_REQUIRED true
#define JV_OPTIONAL false

struct jv {
        json_t *obj; /* borrowed: the object being read */
        bool failed;
        char field[64]; /* the field that failed, "" for the whole body */
        char message[256];
};

#define JV_INIT(o)                                                                                 \
        {                                                                                          \
                .obj = (o)                                                                         \
        }

/* Fails on any key not in the NULL-terminated list. */
void jv_keys(struct jv *v, const char *const *allowed);
/* True when the key is present (also when null). */
bool jv_has(const struct jv *v, const char *key);

/* A string of minlen..maxlen Unicode characters; NULL when absent (or failed). */
const char *jv_string(struct jv *v, const char *key, bool required, size_t minlen, size_t maxlen);
/* One of the NULL-terminated choices; NULL when absent. */
const char *jv_enum(struct jv *v, const char *key, bool required, const char *const *choices);
/* An integer in [min, max]; returns true when present and valid. */
bool jv_int(struct jv *v, const char *key, bool required, long long min, long long max,
            long long *out);
/* A number in [min, max]. */
bool jv_number(struct jv *v, const char *key, bool required, double min, double max, double *out);
bool jv_bool(struct jv *v, const char *key, bool required, bool *out);
/*
 * An array of distinct strings each matching `pattern` rules of a label (lower-case identifier,
 * [a-z][a-z0-9_]{0,31}) when labels is true, else 1..maxlen bytes; at most maxitems. Borrowed.
 */
json_t *jv_string_array(struct jv *v, const char *key, bool required, size_t maxitems, bool labels,
                        size_t maxlen);

/* Records a failure by hand (printf-style message). */
void jv_fail(struct jv *v, const char *key, const char *fmt, ...) PREFD_PRINTF(3, 4);

/* Replies 422 validation_failed with {"details": {"field": ...}}. */
void jv_reply(struct req *r, const struct jv *v);

/* True for a label: [a-z][a-z0-9_]{0,31}. */
bool jv_is_label(const char *s);

/*
 * True for an RFC 3339 timestamp (2024-05-01T12:00:00Z, with optional fraction and a Z or
 * +hh:mm offset) or, when date_ok, a plain date (2024-05-01, meaning its UTC midnight). The
 * date must exist in the Gregorian calendar (no 2024-02-30, no 2023-02-29).
 */
bool jv_is_timestamp(const char *s, bool date_ok);
/* The same, also giving the instant in microseconds since 1970 (UTC) in *us. */
bool jv_parse_timestamp(const char *s, bool date_ok, int64_t *us);

#endif
