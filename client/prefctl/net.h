/*
 * net.h - prefd's HTTP API over libcurl: one easy handle per run (connections are reused
 * between requests), bodies from memory or streamed from a file, answers kept in memory or
 * streamed to a sink, and the API's error replies turned into one line and exit status 4.
 *
 * Every request carries "Authorization: Bearer TOKEN" when a token is set, speaks HTTP/1.1,
 * does not follow redirects (a token is never sent elsewhere), verifies certificates unless
 * --insecure, and gives up after ctl->timeout seconds connecting or without any byte moving.
 */
#ifndef PREFCTL_NET_H
#define PREFCTL_NET_H

#include "buf.h"
#include "ctl.h"

#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

struct meter;

/* One exchange. Unset fields are zero. */
struct net_req {
        const char *method;       /* "GET", "POST", "PATCH" */
        const char *path;         /* "/api/v1/...", escaped, with its query */
        const char *content_type; /* of the body; NULL for none */
        const char *body;         /* a body in memory (body_len bytes), or */
        size_t body_len;
        FILE *upload;            /* a body streamed from this file (borrowed) */
        const char *upload_name; /* its name, for messages */
        int64_t upload_size;     /* its size, or -1: sent chunked */
        /* Receives a 2xx answer's body as it arrives; 0 to go on, -1 (reported) to stop. NULL:
         * the answer is kept in net_resp.body. Error answers are always kept in memory. */
        int (*sink)(void *arg, const char *data, size_t len);
        void *sink_arg;
        struct meter *meter; /* progress of the upload, or of the sink's download; borrowed */
        volatile sig_atomic_t *cancel; /* when it becomes non-zero, the transfer stops */
};

struct net_resp {
        long status;     /* HTTP status */
        struct buf body; /* the answer's body unless a sink took it */
};

struct net *net_new(struct ctl *ctl);
void net_free(struct net *n);

/*
 * Performs the exchange. 0 when the server answered (any status; resp->body owned by the
 * caller, buf_fini it), -1 when it could not (network or TLS failure: exit 3; a sink, read or
 * cancel failure as they reported it).
 */
int net_perform(struct ctl *ctl, const struct net_req *req, struct net_resp *resp) PREFD_MUSTCHECK;

/* Reports a non-2xx answer: "prefctl: 404 not_found: no project "x"" (exit 4); returns -1. */
int net_fail_status(struct ctl *ctl, const struct net_resp *resp);

/* Parses an answer body as JSON; -1 (exit 4) when it is not. *out owned by caller. */
int net_parse(struct ctl *ctl, const struct net_resp *resp, json_t **out) PREFD_MUSTCHECK;

/*
 * A JSON call: method and path, an optional JSON body (borrowed). On a 2xx answer, *out (when
 * out is not NULL) is the parsed answer, owned by caller, or NULL for an empty one (204). Any
 * other answer is reported and gives -1.
 */
int net_json(struct ctl *ctl, const char *method, const char *path, json_t *body,
             json_t **out) PREFD_MUSTCHECK;

/* A GET whose answer must be 2xx: 0 with resp->body (buf_fini it), else reported, -1. */
int net_get(struct ctl *ctl, const char *path, struct net_resp *resp) PREFD_MUSTCHECK;

/*
 * A listing: GETs path and every following page (limit=1000, cursor=next_cursor) and returns
 * all "items" in one array (owned by caller).
 */
int net_list(struct ctl *ctl, const char *path, json_t **items) PREFD_MUSTCHECK;

#endif
