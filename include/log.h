/*
 * log.h - one line per event on stderr, as key=value pairs:
 *
 *   ts=2026-11-23T18:00:00.123Z level=info req=8f3a21c0 msg=access status=200 ms=1.42
 *
 * Callers write the key=value part themselves with printf formatting; values that may hold
 * spaces, quotes or newlines go through log_quote(). libevent's own messages are bridged here
 * (log_init installs the callback); db.c bridges libpq's notices.
 * Thread-safe: each line is written with a single write(2).
 */
#ifndef LOG_H
#define LOG_H

#include "prefd.h"

enum log_level {
        LOG_DEBUG, /* per-query detail, off unless asked for */
        LOG_INFO,  /* access lines, start-up, state changes */
        LOG_WARN,  /* something failed and was handled (reconnects, rejected input) */
        LOG_ERROR, /* something failed that an operator should look at */
};

/* Sets the lowest level written and hooks libevent's log into ours. */
void log_init(enum log_level min);
/* Parses "debug|info|warn|error"; -1 when unknown. */
int log_level_parse(const char *s);
bool log_enabled(enum log_level level);

/* Writes one line. `req` is the request id or NULL; `fmt` renders the key=value pairs. */
void log_write(enum log_level level, const char *req, const char *fmt, ...) PREFD_PRINTF(3, 4);

#define log_debug(req, ...) log_write(LOG_DEBUG, req, __VA_ARGS__)
#define log_info(req, ...)  log_write(LOG_INFO, req, __VA_ARGS__)
#define log_warn(req, ...)  log_write(LOG_WARN, req, __VA_ARGS__)
#define log_error(req, ...) log_write(LOG_ERROR, req, __VA_ARGS__)

/*
 * Renders `s` as a log value into buf: unchanged when it is a plain token, else double-quoted
 * with \" \\ \n \r \t escaped, control bytes and bytes that are not UTF-8 as \xNN; truncated
 * to fit (never inside a character). Returns buf.
 */
const char *log_quote(char *buf, size_t size, const char *s);

/* A log_quote into a fresh stack buffer of 256 bytes, for use as a printf argument. */
#define LOGQ(s) log_quote((char[256]){ 0 }, 256, (s))

#endif
