/*
 * api_web.c - the web client: its pages (one HTML shell for /, /rate/{slug}, /review/{slug},
 * /leaderboard/{slug}, /quality/{slug} and /admin) and assets under /static/, compiled in from
 * client/web/ (embedded.h). Pages carry a strict Content-Security-Policy: scripts and styles
 * only from this origin, no inline script, no framing. Assets are revalidated by ETag.
 */
#include "api.h"

#include "embedded.h"

#include <stdio.h>
#include <string.h>

#define CSP                                                                                        \
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
        "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "               \
        "frame-ancestors 'none'"

static const struct {
        const char *ext;
        const char *type;
} types[] = {
        { ".html", "text/html; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
        { ".json", "application/json" },
        { ".ico", "image/x-icon" },
        { ".woff2", "font/woff2" },
        { ".txt", "text/plain; charset=utf-8" },
};

static const char *type_of(const char *path)
{
        const char *dot = strrchr(path, '.');
        for (size_t i = 0; dot && i < ARRAY_LEN(types); i++)
                if (strcmp(dot, types[i].ext) == 0)
                        return types[i].type;
        return "application/octet-stream";
}

/* A strong validator: FNV-1a of the contents. */
static void etag_of(const struct embedded_file *f, char *out, size_t len)
{
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < f->len; i++)
                h = (h ^ f->data[i]) * 1099511628211ULL;
        snprintf(out, len, "\"%016llx\"", (unsigned long long)h);
}

static void serve(struct req *r, const char *path, bool page)
{
        const struct embedded_file *f = embedded_find(path);
        if (!f) {
                req_reply_error(r, 404, "not_found", NULL, "no such file: %s", r->path);
                return;
        }
        char etag[24];
        etag_of(f, etag, sizeof(etag));
        req_add_header(r, "ETag", etag);
        req_add_header(r, "Cache-Control", "no-cache");
        if (page) {
                req_add_header(r, "Content-Security-Policy", CSP);
                req_add_header(r, "X-Frame-Options", "DENY");
                req_add_header(r, "Referrer-Policy", "no-referrer");
        }
        const char *inm = req_header(r, "If-None-Match");
        if (inm && strcmp(inm, etag) == 0) {
                req_reply_empty(r, 304);
                return;
        }
        req_reply_raw(r, 200, type_of(path), f->data, f->len);
}

void api_web_page(struct req *r)
{
        serve(r, "client/web/index.html", true);
}

void api_web_asset(struct req *r)
{
        const char *rest = req_param(r, 0);
        char path[256];
        if (strstr(rest, "..") || strchr(rest, '\\') ||
            (size_t)snprintf(path, sizeof(path), "client/web/static/%s", rest) >= sizeof(path)) {
                req_reply_error(r, 404, "not_found", NULL, "no such file: %s", r->path);
                return;
        }
        serve(r, path, false);
}
