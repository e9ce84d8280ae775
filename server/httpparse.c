/*
 * httpparse.c - request heads, percent-decoding, query strings and cookies; see httpparse.h.
 */
#include "httpparse.h"

#include "utf8.h"

#include <string.h>
#include <strings.h>

bool httpparse_is_tchar(unsigned char c)
{
        /* RFC 9110 token characters */
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr("!#$%&'*+-.^_`|~", c));
}

int httpparse_hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Returns the end of the line starting at p (pointing at '\n' or '\r\n'), NULL if none. */
static char *line_end(char *p, char *end)
{
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
                return NULL;
        return (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
}

static char *next_line(char *eol)
{
        return *eol == '\r' ? eol + 2 : eol + 1;
}

int httpparse_head(char *buf, size_t len, struct http_head *h, const char **reason)
{
        char *p = buf, *end = buf + len;
        memset(h, 0, sizeof(*h));
        *reason = "malformed request line";
        /* Tolerate empty lines before the request line (RFC 9112 2.2). */
        while (p < end && (*p == '\r' || *p == '\n'))
                p++;
        char *eol = line_end(p, end);
        if (!eol)
                return -1;
        char *sp1 = memchr(p, ' ', (size_t)(eol - p));
        if (!sp1 || sp1 == p)
                return -1;
        for (char *q = p; q < sp1; q++)
                if (!httpparse_is_tchar((unsigned char)*q))
                        return -1;
        char *target = sp1 + 1;
        char *sp2 = memchr(target, ' ', (size_t)(eol - target));
        if (!sp2 || sp2 == target)
                return -1;
        for (char *q = target; q < sp2; q++)
                if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f)
                        return -1;
        char *version = sp2 + 1;
        if ((size_t)(eol - version) != 8 || memcmp(version, "HTTP/1.", 7) != 0 ||
            (version[7] != '0' && version[7] != '1')) {
                *reason = "unsupported HTTP version";
                return -1;
        }
        if (*target != '/' && !(sp2 - target == 1 && *target == '*')) {
                *reason = "request target must be an absolute path";
                return -1;
        }
        h->minor = version[7] - '0';
        *sp1 = *sp2 = '\0';
        h->method = p;
        h->target = target;
        char *qm = strchr(target, '?');
        h->path = target;
        h->query = "";
        p = next_line(eol);
        *eol = '\0';

        for (;;) {
                eol = line_end(p, end);
                if (!eol) {
                        *reason = "headers not terminated";
                        return -1;
                }
                if (eol == p)
                        break; /* the blank line */
                if (*p == ' ' || *p == '\t') {
                        *reason = "folded header lines are not allowed";
                        return -1;
                }
                char *colon = memchr(p, ':', (size_t)(eol - p));
                if (!colon || colon == p) {
                        *reason = "malformed header line";
                        return -1;
                }
                for (char *q = p; q < colon; q++)
                        if (!httpparse_is_tchar((unsigned char)*q)) {
                                *reason = "malformed header name";
                                return -1;
                        }
                char *v = colon + 1, *ve = eol;
                while (v < ve && (*v == ' ' || *v == '\t'))
                        v++;
                while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                        ve--;
                for (char *q = v; q < ve; q++)
                        if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f) {
                                *reason = "control character in a header value";
                                return -1;
                        }
                if (h->nheaders == HTTPPARSE_MAX_HEADERS) {
                        *reason = "too many headers";
                        return -1;
                }
                char *nextp = next_line(eol);
                *colon = '\0';
                *ve = '\0';
                h->headers[h->nheaders].name = p;
                h->headers[h->nheaders].value = v;
                h->nheaders++;
                p = nextp;
        }
        /* Split the query only now: the path string must stay intact until here. */
        if (qm) {
                *qm = '\0';
                h->query = qm + 1;
        }
        return 0;
}

static int parse_content_length(const char *v, int64_t *out)
{
        if (!*v)
                return -1;
        int64_t n = 0;
        for (const char *p = v; *p; p++) {
                if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10)
                        return -1;
                n = n * 10 + (*p - '0');
        }
        *out = n;
        return 0;
}

/* Reads one Transfer-Encoding value into *codings and *chunked_last; -1 when malformed. */
static int read_codings(const char *v, int *codings, bool *chunked_last)
{
        const char *p = v;
        for (;;) {
                while (*p == ' ' || *p == '\t')
                        p++;
                const char *start = p;
                while (httpparse_is_tchar((unsigned char)*p))
                        p++;
                const char *end = p;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p != ',' && *p != '\0')
                        return -1; /* parameters (;q=...) or junk: no coding prefd knows has them */
                if (end > start) {
                        (*codings)++;
                        *chunked_last =
                            (size_t)(end - start) == 7 && strncasecmp(start, "chunked", 7) == 0;
                }
                if (*p == '\0')
                        return 0;
                p++;
        }
}

/* uri-host [ ":" port ]: reg-name or IPv4 characters, or an IPv6 literal in brackets. */
static bool valid_host(const char *v)
{
        const char *p = v;
        if (*p == '[') {
                p++;
                while (*p && (httpparse_hexval(*p) >= 0 || *p == ':' || *p == '.'))
                        p++;
                if (*p++ != ']')
                        return false;
        } else {
                for (; *p && *p != ':'; p++)
                        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                              (*p >= '0' && *p <= '9') || strchr("-._~%!$&'()*+,;=", *p)))
                                return false;
        }
        if (*p == ':')
                for (p++; *p; p++)
                        if (*p < '0' || *p > '9')
                                return false;
        return *p == '\0';
}

int httpparse_framing(const struct http_head *h, int64_t *content_length, bool *chunked,
                      const char **reason)
{
        int64_t cl = -1;
        int codings = 0, hosts = 0;
        bool te = false, chunked_last = false;
        for (size_t i = 0; i < h->nheaders; i++) {
                const char *name = h->headers[i].name, *v = h->headers[i].value;
                if (strcasecmp(name, "Content-Length") == 0) {
                        int64_t n;
                        if (parse_content_length(v, &n) != 0 || (cl >= 0 && n != cl)) {
                                *reason = "invalid Content-Length header";
                                return -1;
                        }
                        cl = n;
                } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
                        te = true;
                        if (read_codings(v, &codings, &chunked_last) != 0) {
                                *reason = "malformed Transfer-Encoding header";
                                return -1;
                        }
                } else if (strcasecmp(name, "Host") == 0) {
                        hosts++;
                        if (!valid_host(v)) {
                                *reason = "invalid Host header";
                                return -1;
                        }
                }
        }
        if (hosts > 1 || (hosts == 0 && h->minor == 1)) {
                *reason = hosts ? "more than one Host header"
                                : "an HTTP/1.1 request needs a Host "
                                  "header";
                return -1;
        }
        if (te) {
                if (h->minor == 0) {
                        *reason = "Transfer-Encoding in an HTTP/1.0 request";
                        return -1;
                }
                if (cl >= 0) {
                        *reason = "Content-Length and Transfer-Encoding together";
                        return -1;
                }
                if (!chunked_last) {
                        *reason = "the last transfer coding must be chunked";
                        return -1;
                }
                if (codings != 1) {
                        *reason = "only the chunked transfer coding is supported, once";
                        return -1;
                }
        }
        *content_length = cl;
        *chunked = te;
        return 0;
}

const char *httpparse_header(const struct http_head *h, const char *name)
{
        for (size_t i = 0; i < h->nheaders; i++)
                if (strcasecmp(h->headers[i].name, name) == 0)
                        return h->headers[i].value;
        return NULL;
}

long httpparse_decode(const char *in, size_t len, char *out, bool plus_is_space)
{
        size_t o = 0;
        out[0] = '\0'; /* a string even when the input is malformed */
        for (size_t i = 0; i < len; i++) {
                char c = in[i];
                if (c == '%') {
                        if (i + 2 >= len)
                                goto bad;
                        int hi = httpparse_hexval(in[i + 1]), lo = httpparse_hexval(in[i + 2]);
                        if (hi < 0 || lo < 0)
                                goto bad;
                        c = (char)(hi * 16 + lo);
                        if (c == '\0')
                                goto bad;
                        i += 2;
                } else if (c == '+' && plus_is_space) {
                        c = ' ';
                }
                out[o++] = c;
        }
        out[o] = '\0';
        return (long)o;
bad:
        out[o] = '\0';
        return -1;
}

/* One name=value parameter of a query string, as spans of it (value NULL without '='). */
struct param {
        const char *name, *name_end;
        const char *value, *end;
};

/* Reads the parameter starting at p into *q; returns where the next one starts, or NULL. */
static const char *param_next(const char *p, struct param *q)
{
        const char *amp = strchr(p, '&');
        q->name = p;
        q->end = amp ? amp : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(q->end - p));
        q->name_end = eq ? eq : q->end;
        q->value = eq ? eq + 1 : NULL;
        return amp ? amp + 1 : NULL;
}

int httpparse_query(const char *query, const char *name, char *out, size_t outlen)
{
        size_t nlen = strlen(name);
        struct param q;
        for (const char *p = query; p && *p;) {
                p = param_next(p, &q);
                if ((size_t)(q.name_end - q.name) != nlen || memcmp(q.name, name, nlen) != 0)
                        continue;
                const char *v = q.value ? q.value : q.end;
                size_t vlen = (size_t)(q.end - v);
                if (vlen >= outlen)
                        return -1;
                long n = httpparse_decode(v, vlen, out, true);
                return n < 0 || !utf8_valid(out, (size_t)n) ? -1 : 1;
        }
        return 0;
}

/* Decodes len bytes of in without keeping them: 0, or the httpparse_query_check error. */
static int check_encoded(const char *in, size_t len)
{
        struct utf8_stream u = UTF8_STREAM_INIT;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)in[i];
                if (c == '%') {
                        int hi = i + 2 < len ? httpparse_hexval(in[i + 1]) : -1;
                        int lo = hi >= 0 ? httpparse_hexval(in[i + 2]) : -1;
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                return HTTPPARSE_MALFORMED;
                        c = (unsigned char)(hi * 16 + lo);
                        i += 2;
                }
                if (!utf8_stream_byte(&u, c))
                        return HTTPPARSE_NOT_UTF8;
        }
        return utf8_stream_end(&u) ? 0 : HTTPPARSE_NOT_UTF8;
}

int httpparse_query_check(const char *query, char *bad, size_t badlen)
{
        struct param q;
        for (const char *p = query; p && *p;) {
                p = param_next(p, &q);
                int rc = check_encoded(q.name, (size_t)(q.name_end - q.name));
                if (rc == 0 && q.value)
                        rc = check_encoded(q.value, (size_t)(q.end - q.value));
                if (rc != 0) {
                        size_t n = MIN((size_t)(q.name_end - q.name), badlen - 1);
                        memcpy(bad, q.name, n);
                        bad[n] = '\0';
                        return rc;
                }
        }
        return 0;
}

void httpparse_query_names(const char *query, bool (*fn)(const char *name, size_t len, void *arg),
                           void *arg)
{
        struct param q;
        for (const char *p = query; p && *p;) {
                p = param_next(p, &q);
                if (q.name_end > q.name && !fn(q.name, (size_t)(q.name_end - q.name), arg))
                        return;
        }
}

int httpparse_cookie(const char *header, const char *name, char *out, size_t outlen)
{
        size_t nlen = strlen(name);
        const char *p = header;
        while (p && *p) {
                while (*p == ' ' || *p == ';')
                        p++;
                const char *semi = strchr(p, ';');
                const char *e = semi ? semi : p + strlen(p);
                const char *eq = memchr(p, '=', (size_t)(e - p));
                if (eq && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
                        const char *v = eq + 1;
                        size_t vlen = (size_t)(e - v);
                        if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
                                v++, vlen -= 2;
                        if (vlen >= outlen)
                                return -1;
                        memcpy(out, v, vlen);
                        out[vlen] = '\0';
                        return 1;
                }
                p = semi;
        }
        return 0;
}

bool httpparse_media_type(const char *content_type, const char *type)
{
        if (!content_type)
                return false;
        size_t n = strlen(type);
        if (strncasecmp(content_type, type, n) != 0)
                return false;
        const char *rest = content_type + n;
        while (*rest == ' ' || *rest == '\t')
                rest++;
        return *rest == '\0' || *rest == ';';
}
