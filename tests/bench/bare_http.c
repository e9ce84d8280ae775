/*
 * bare_http.c - the HTTP baseline of `make bench`: libevent's own evhttp server answering every
 * request with the body prefd's /healthz gives, on one thread like prefd. What prefd's HTTP
 * serving is measured against (the same load client, the same machine, the same run).
 *
 *   bare_http PORT
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>

static void answer(struct evhttp_request *req, void *arg)
{
        struct evbuffer *body = evbuffer_new();
        evbuffer_add(body, "{\"status\":\"ok\"}\n", 16);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          "application/json");
        evhttp_send_reply(req, 200, "OK", body);
        evbuffer_free(body);
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: bare_http PORT\n");
                return 2;
        }
        struct event_base *base = event_base_new();
        struct evhttp *http = base ? evhttp_new(base) : NULL;
        if (!http || evhttp_bind_socket(http, "127.0.0.1", (unsigned short)atoi(argv[1])) != 0) {
                fprintf(stderr, "bare_http: cannot listen on 127.0.0.1:%s\n", argv[1]);
                return 1;
        }
        evhttp_set_gencb(http, answer, NULL);
        event_base_dispatch(base);
        return 0;
}
