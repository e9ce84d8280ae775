/*
 * log.c - key=value lines on stderr; see log.h.
 */
#include "log.h"

#include "utf8.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

static void libevent_log_cb(int severity, const char *msg)
{
        enum log_level level = severity == EVENT_LOG_DEBUG  ? LOG_DEBUG
                               : severity == EVENT_LOG_MSG  ? LOG_INFO
                               : severity == EVENT_LOG_WARN ? LOG_WARN
                                                            : LOG_ERROR;
        log_write(level, NULL, "msg=libevent detail=%s", LOGQ(msg));
}

void log_init(enum log_level min)
{
        min_level = min;
        event_set_log_callback(libevent_log_cb);
}

int log_level_parse(const char *s)
{
        for (size_t i = 0; i < ARRAY_LEN(level_names); i++)
                if (strcmp(s, level_names[i]) == 0)
                        return (int)i;
        return -1;
}

bool log_enabled(enum log_level level)
{
        return level >= min_level;
}

void log_write(enum log_level level, const char *req, const char *fmt, ...)
{
        if (level < min_level)
                return;
        char line[4096];
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        int n = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s ",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, ts.tv_nsec / 1000000, level_names[level]);
        if (req && n < (int)sizeof(line))
                n += snprintf(line + n, sizeof(line) - (size_t)n, "req=%s ", req);
        if (n < (int)sizeof(line)) {
                va_list ap;
                va_start(ap, fmt);
                n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
                va_end(ap);
        }
        if (n >= (int)sizeof(line) - 1)
                n = (int)sizeof(line) - 2;
        line[n++] = '\n';
        /* One write per line so that lines from threads never interleave. */
        ssize_t w = write(STDERR_FILENO, line, (size_t)n);
        (void)w;
}

static bool plain_token(const char *s)
{
        if (!*s)
                return false;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p >= 0x7f)
                        return false;
        return true;
}

const char *log_quote(char *buf, size_t size, const char *s)
{
        if (size < 8)
                return "\"\"";
        if (!s)
                s = "";
        if (plain_token(s) && strlen(s) < size) {
                memcpy(buf, s, strlen(s) + 1);
                return buf;
        }
        size_t o = 0;
        buf[o++] = '"';
        const unsigned char *end = (const unsigned char *)s + strlen(s);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                char esc[5] = { 0 };
                const char *src = esc;
                /* A whole UTF-8 character goes through as it is. */
                size_t l = *p >= 0x80 ? utf8_seq(p, (size_t)(end - p)) : 0;
                if (l > 1)
                        src = (const char *)p;
                else if (*p == '"' || *p == '\\')
                        esc[0] = '\\', esc[1] = (char)*p;
                else if (*p == '\n')
                        memcpy(esc, "\\n", 2);
                else if (*p == '\r')
                        memcpy(esc, "\\r", 2);
                else if (*p == '\t')
                        memcpy(esc, "\\t", 2);
                else if (*p < 0x20 || *p >= 0x7f) /* control bytes, and bytes that are not UTF-8 */
                        snprintf(esc, sizeof(esc), "\\x%02x", *p);
                else
                        esc[0] = (char)*p;
                if (src == esc)
                        l = strlen(esc);
                if (o + l + 5 > size) {
                        memcpy(buf + o, "...", 3);
                        o += 3;
                        break;
                }
                memcpy(buf + o, src, l);
                p += src == esc ? 0 : l - 1;
                o += l;
        }
        buf[o++] = '"';
        buf[o] = '\0';
        return buf;
}
