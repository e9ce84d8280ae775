/*
 * qv.h - validation of query strings with messages that name the parameter, shaped like jsonv.h.
 *
 * A struct qv collects the first problem; every reader is a no-op after a failure, so a handler
 * reads all its parameters and checks once:
 *
 *   static const char *const known[] = { "format", "since", "until", NULL };
 *   struct qv q;
 *   qv_init(&q, r, known);                 (an unknown parameter fails here)
 *   int format = qv_enum(&q, "format", formats, 0);
 *   qv_timestamp(&q, "since", since, sizeof(since), false, &since_us);
 *   if (qv_reply(&q))
 *           return;
 *
 * Every failure is answered as 400 bad_request with {"details": {"parameter": name}}; the
 * message names the parameter and what it must be. An empty value (`?since=`) counts as absent.
 */
#ifndef QV_H
#define QV_H

#include "prefd.h"

struct req;

struct qv {
        struct req *req;
        const char *const *known; /* NULL-terminated: the parameters this endpoint takes */
        bool failed;
        char param[64];  /* the parameter that failed */
        char param2[64]; /* and the other one, when a pair of them disagrees */
        char message[320];
};

/* Starts reading r's query string; a parameter not in `known` is a failure at once. */
void qv_init(struct qv *q, struct req *r, const char *const *known);

/* One of the NULL-terminated names: its index, or `absent` when not given (or failed). */
int qv_enum(struct qv *q, const char *name, const char *const *names, int absent);
/* true or false; *out keeps its value when absent. */
void qv_bool(struct qv *q, const char *name, bool *out);
/* A whole number in [min, max]; true when present and valid, *out untouched otherwise. */
bool qv_int(struct qv *q, const char *name, long long min, long long max, long long *out);
/* A finite number in [min, max]. */
bool qv_number(struct qv *q, const char *name, double min, double max, double *out);
/* Text of at most len-1 bytes (valid UTF-8, as every decoded value); "" when absent. */
bool qv_text(struct qv *q, const char *name, char *out, size_t len);
/*
 * An RFC 3339 timestamp or a date (jv_is_timestamp) in out; *us its instant in microseconds.
 * A plain date means its UTC midnight; with `day_end` (for "until") it means the end of that
 * day, so that until=2024-05-01 covers the whole of May 1st.
 */
bool qv_timestamp(struct qv *q, const char *name, char *out, size_t len, bool day_end, int64_t *us);
/* Fails when from_us is after to_us (since after until; call it only when both were given),
 * with "parameters": [from, to] in the details beside "parameter": from. */
void qv_order(struct qv *q, const char *from, int64_t from_us, const char *to, int64_t to_us);
/* The list parameters ?limit= (1..1000, default 100) and ?cursor= (0 when absent), into the
 * request's page (req.h). */
void qv_page(struct qv *q);

/* Records a failure by hand (printf-style message). */
void qv_fail(struct qv *q, const char *name, const char *fmt, ...) PREFD_PRINTF(3, 4);

/* After a failure: replies 400 and returns true. Otherwise returns false and sends nothing. */
bool qv_reply(const struct qv *q) PREFD_MUSTCHECK;

#endif
