/*
 * net.c - the libcurl wrapper: one easy handle, request set-up, streaming callbacks, and the
 * translation of failures into prefctl's messages and exit statuses.
 */
#include "net.h"

#include "meter.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWER ((size_t)256 << 20) /* an answer kept in memory */
#define PAGE_LIMIT "1000"
#define MAX_PAGES  1000000

struct net {
        CURL *curl;
        char errbuf[CURL_ERROR_SIZE];
};

/* The state of one net_perform, shared with the callbacks. */
struct transfer {
        struct net *net;
        const struct net_req *req;
        struct net_resp *resp;
        bool sink_failed; /* the sink reported a failure */
        int read_errno;   /* reading the upload failed with this errno (or -1) */
        bool too_large;   /* an in-memory answer exceeded MAX_ANSWER */
        bool oom;
};

struct net *net_new(struct ctl *ctl)
{
        struct net *n = calloc(1, sizeof(*n));
        if (!n) {
                ctl_oom(ctl);
                return NULL;
        }
        n->curl = curl_easy_init();
        if (!n->curl) {
                free(n);
                ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot initialise libcurl");
                return NULL;
        }
        return n;
}

void net_free(struct net *n)
{
        if (!n)
                return;
        curl_easy_cleanup(n->curl);
        free(n);
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
        struct transfer *t = arg;
        size_t n = size * nmemb;
        long status = 0;
        curl_easy_getinfo(t->net->curl, CURLINFO_RESPONSE_CODE, &status);
        if (t->req->sink && status >= 200 && status < 300) {
                if (t->req->sink(t->req->sink_arg, data, n) != 0) {
                        t->sink_failed = true;
                        return 0;
                }
                return n;
        }
        if (n > MAX_ANSWER - t->resp->body.len) {
                t->too_large = true;
                return 0;
        }
        buf_add(&t->resp->body, data, n);
        if (buf_check(&t->resp->body) != 0) {
                t->oom = true;
                return 0;
        }
        return n;
}

static size_t on_read(char *data, size_t size, size_t nitems, void *arg)
{
        struct transfer *t = arg;
        size_t n = fread(data, 1, size * nitems, t->req->upload);
        if (n == 0 && ferror(t->req->upload)) {
                t->read_errno = errno ? errno : EIO;
                return CURL_READFUNC_ABORT;
        }
        return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
        struct transfer *t = arg;
        const struct net_req *req = t->req;
        if (req->cancel && *req->cancel)
                return 1;
        if (req->meter)
                meter_update(req->meter, req->upload ? (int64_t)ulnow : (int64_t)dlnow);
        return 0;
}

/* Sets the options of one request; -1 on a failure to build them. */
static int setup(struct ctl *ctl, struct transfer *t, struct curl_slist **headers)
{
        CURL *c = t->net->curl;
        const struct net_req *req = t->req;
        struct buf url = BUF_INIT, h = BUF_INIT;
        int rc = -1;
        curl_easy_reset(c);
        buf_adds(&url, ctl->url);
        buf_adds(&url, req->path);
        if (buf_check(&url) != 0)
                goto oom;
        /* CURLOPT_URL copies the string. */
        if (curl_easy_setopt(c, CURLOPT_URL, buf_str(&url)) != CURLE_OK) {
                ctl_usage(ctl, "cannot use the URL \"%s\"", buf_str(&url));
                goto out;
        }
        t->net->errbuf[0] = '\0';
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->net->errbuf);
        curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "prefctl/" PREFD_VERSION);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        if (ctl->timeout > 0) {
                curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, ctl->timeout);
                curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
                curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, ctl->timeout);
        }
        if (ctl->cacert)
                curl_easy_setopt(c, CURLOPT_CAINFO, ctl->cacert);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, ctl->insecure ? 0L : 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, ctl->insecure ? 0L : 2L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);

        if (ctl->token) {
                buf_printf(&h, "Authorization: Bearer %s", ctl->token);
                if (buf_check(&h) != 0 || !(*headers = curl_slist_append(*headers, buf_str(&h))))
                        goto oom;
        }
        bool has_body = req->body || req->upload || strcmp(req->method, "GET") != 0;
        if (has_body) {
                buf_reset(&h);
                buf_printf(&h, "Content-Type: %s", req->content_type ? req->content_type : "");
                struct curl_slist *l =
                    buf_check(&h) == 0 ? curl_slist_append(*headers, buf_str(&h)) : NULL;
                if (!l)
                        goto oom;
                *headers = l;
        }
        if (req->upload) {
                curl_easy_setopt(c, CURLOPT_POST, 1L);
                curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
                curl_easy_setopt(c, CURLOPT_READDATA, t);
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->upload_size);
                if (req->upload_size < 0) {
                        struct curl_slist *l =
                            curl_slist_append(*headers, "Transfer-Encoding: chunked");
                        if (!l)
                                goto oom;
                        *headers = l;
                }
        } else if (has_body) {
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        }
        if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
        rc = 0;
        goto out;
oom:
        ctl_oom(ctl);
out:
        if (h.data)
                memset(h.data, 0, h.cap); /* it held the token */
        buf_fini(&h);
        buf_fini(&url);
        return rc;
}

/* One line for a transfer that failed without an answer. */
static int report_curl(struct ctl *ctl, const struct transfer *t, CURLcode code)
{
        const char *detail = t->net->errbuf[0] ? t->net->errbuf : curl_easy_strerror(code);
        switch (code) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
                return ctl_usage(ctl, "cannot use the URL %s: %s", ctl->url, detail);
        case CURLE_PEER_FAILED_VERIFICATION:
                return ctl_fail(ctl, CTL_EXIT_NETWORK,
                                "TLS: the certificate of %s was rejected: %s (for a private CA "
                                "give its certificate with --cacert FILE)",
                                ctl->url, detail);
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_USE_SSL_FAILED:
                return ctl_fail(ctl, CTL_EXIT_NETWORK, "TLS failure with %s: %s", ctl->url, detail);
        case CURLE_OPERATION_TIMEDOUT:
                return ctl_fail(ctl, CTL_EXIT_NETWORK,
                                "timed out talking to %s: %s (--timeout sets the limit)", ctl->url,
                                detail);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
                return ctl_fail(ctl, CTL_EXIT_NETWORK, "cannot connect to %s: %s", ctl->url,
                                detail);
        default:
                return ctl_fail(ctl, CTL_EXIT_NETWORK, "network error talking to %s: %s", ctl->url,
                                detail);
        }
}

int net_perform(struct ctl *ctl, const struct net_req *req, struct net_resp *resp)
{
        struct transfer t = { .net = ctl->net, .req = req, .resp = resp };
        struct curl_slist *headers = NULL;
        int rc = -1;
        *resp = (struct net_resp){ .body = BUF_INIT };
        if (!ctl->net)
                return ctl_fail(ctl, CTL_EXIT_LOCAL, "no HTTP client");
        if (setup(ctl, &t, &headers) != 0)
                goto out;
        CURLcode code = curl_easy_perform(ctl->net->curl);
        curl_easy_getinfo(ctl->net->curl, CURLINFO_RESPONSE_CODE, &resp->status);
        if (code == CURLE_OK) {
                rc = 0;
        } else if (req->cancel && *req->cancel) {
                ctl_fail(ctl, CTL_EXIT_INTERRUPTED, "interrupted");
        } else if (t.sink_failed) {
                /* reported by the sink */
        } else if (t.read_errno) {
                ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot read %s: %s",
                         req->upload_name ? req->upload_name : "the upload",
                         strerror(t.read_errno));
        } else if (t.too_large) {
                ctl_fail(ctl, CTL_EXIT_SERVER, "the server's answer is larger than %zu MiB",
                         MAX_ANSWER >> 20);
        } else if (t.oom) {
                ctl_oom(ctl);
        } else if (resp->status >= 400 && resp->body.len > 0) {
                /* The server answered early (for example while the upload was still being
                 * sent) and closed: its answer is what counts. */
                rc = 0;
        } else {
                report_curl(ctl, &t, code);
        }
out:
        curl_easy_setopt(ctl->net->curl, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(headers);
        if (rc != 0)
                buf_fini(&resp->body);
        return rc;
}

int net_fail_status(struct ctl *ctl, const struct net_resp *resp)
{
        json_t *body = resp->body.len ? json_loadb(resp->body.data, resp->body.len, 0, NULL) : NULL;
        json_t *err = json_object_get(body, "error");
        const char *code = json_string_value(json_object_get(err, "code"));
        const char *message = json_string_value(json_object_get(err, "message"));
        if (code && message) {
                const char *hint = "";
                if (resp->status == 401)
                        hint = " (check PREFD_TOKEN or --token)";
                ctl_fail(ctl, CTL_EXIT_SERVER, "%ld %s: %s%s", resp->status, code, message, hint);
        } else if (resp->status >= 300 && resp->status < 400) {
                ctl_fail(ctl, CTL_EXIT_SERVER,
                         "HTTP %ld: the server redirects elsewhere (prefctl does not follow "
                         "redirects; check --url or PREFD_URL)",
                         resp->status);
        } else {
                ctl_fail(ctl, CTL_EXIT_SERVER,
                         "HTTP %ld: the answer is not a prefd API error (is %s a prefd server?)",
                         resp->status, ctl->url);
        }
        json_decref(body);
        return -1;
}

int net_parse(struct ctl *ctl, const struct net_resp *resp, json_t **out)
{
        json_error_t e;
        *out = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, &e);
        if (!*out)
                return ctl_fail(ctl, CTL_EXIT_SERVER, "the server's answer is not JSON: %s",
                                e.text);
        return 0;
}

int net_json(struct ctl *ctl, const char *method, const char *path, json_t *body, json_t **out)
{
        char *text = NULL;
        struct net_resp resp;
        int rc = -1;
        if (out)
                *out = NULL;
        if (body && !(text = json_dumps(body, JSON_COMPACT)))
                return ctl_oom(ctl);
        struct net_req req = { .method = method,
                               .path = path,
                               .content_type = text ? "application/json" : NULL,
                               .body = text,
                               .body_len = text ? strlen(text) : 0 };
        if (net_perform(ctl, &req, &resp) != 0)
                goto out;
        if (resp.status < 200 || resp.status >= 300) {
                net_fail_status(ctl, &resp);
                goto out_resp;
        }
        if (out && resp.body.len > 0 && net_parse(ctl, &resp, out) != 0)
                goto out_resp;
        rc = 0;
out_resp:
        buf_fini(&resp.body);
out:
        free(text);
        return rc;
}

int net_get(struct ctl *ctl, const char *path, struct net_resp *resp)
{
        struct net_req req = { .method = "GET", .path = path };
        if (net_perform(ctl, &req, resp) != 0)
                return -1;
        if (resp->status >= 200 && resp->status < 300)
                return 0;
        net_fail_status(ctl, resp);
        buf_fini(&resp->body);
        return -1;
}

int net_list(struct ctl *ctl, const char *path, json_t **items)
{
        json_t *all = json_array();
        json_t *page = NULL;
        char *cursor = NULL;
        struct buf p = BUF_INIT;
        *items = NULL;
        if (!all)
                return ctl_oom(ctl);
        for (long pages = 0;; pages++) {
                buf_reset(&p);
                buf_adds(&p, path);
                buf_query(&p, "limit", PAGE_LIMIT);
                buf_query(&p, "cursor", cursor);
                if (buf_check(&p) != 0) {
                        ctl_oom(ctl);
                        goto fail;
                }
                if (net_json(ctl, "GET", buf_str(&p), NULL, &page) != 0)
                        goto fail;
                json_t *got = json_object_get(page, "items");
                if (!json_is_array(got)) {
                        ctl_fail(ctl, CTL_EXIT_SERVER, "the server's answer has no \"items\" list");
                        goto fail;
                }
                if (json_array_extend(all, got) != 0) {
                        ctl_oom(ctl);
                        goto fail;
                }
                const char *next = json_string_value(json_object_get(page, "next_cursor"));
                if (!next)
                        break;
                if ((cursor && strcmp(cursor, next) == 0) || pages >= MAX_PAGES) {
                        ctl_fail(ctl, CTL_EXIT_SERVER, "the server's pages do not end");
                        goto fail;
                }
                free(cursor);
                if (!(cursor = strdup(next))) {
                        ctl_oom(ctl);
                        goto fail;
                }
                json_decref(page);
                page = NULL;
        }
        json_decref(page);
        free(cursor);
        buf_fini(&p);
        *items = all;
        return 0;
fail:
        json_decref(page);
        json_decref(all);
        free(cursor);
        buf_fini(&p);
        return -1;
}
