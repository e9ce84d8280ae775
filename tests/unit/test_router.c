/* test_router.c - matching paths and methods against the route table. */
#include "router.h"
#include "t.h"

#include <stdlib.h>

static void free_params(char **p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(p[i]);
}

static void test_match(void)
{
        const struct route *rt = NULL;
        char *p[4];
        size_t n;
        char allow[96];
        CHECK_INT(router_match(REQ_GET, "/api/v1/projects/vicuna80/next", &rt, p, &n, allow,
                               sizeof(allow)),
                  ROUTER_FOUND);
        REQUIRE(rt != NULL);
        CHECK_STR(rt->path, "/api/v1/projects/{slug}/next");
        CHECK_INT(n, 1);
        CHECK_STR(p[0], "vicuna80");
        free_params(p, n);

        CHECK_INT(router_match(REQ_POST, "/api/v1/assignments/a%2Fb/vote", &rt, p, &n, allow,
                               sizeof(allow)),
                  ROUTER_FOUND);
        CHECK_STR(p[0], "a/b"); /* parameters are decoded after splitting */
        free_params(p, n);

        CHECK_INT(router_match(REQ_HEAD, "/healthz", &rt, p, &n, allow, sizeof(allow)),
                  ROUTER_FOUND);
        CHECK_INT(router_match(REQ_GET, "/static/css/app.css", &rt, p, &n, allow, sizeof(allow)),
                  ROUTER_FOUND);
        CHECK_STR(p[0], "css/app.css");
        free_params(p, n);
}

static void test_misses(void)
{
        const struct route *rt = NULL;
        char *p[4];
        size_t n;
        char allow[96];
        CHECK_INT(router_match(REQ_GET, "/api/v1/nothing", &rt, p, &n, allow, sizeof(allow)),
                  ROUTER_NOT_FOUND);
        CHECK_INT(router_match(REQ_GET, "/api/v1/projects/", &rt, p, &n, allow, sizeof(allow)),
                  ROUTER_NOT_FOUND);
        CHECK_INT(router_match(REQ_GET, "/api/v1/projects//next", &rt, p, &n, allow, sizeof(allow)),
                  ROUTER_NOT_FOUND);
        CHECK_INT(router_match(REQ_PUT, "/api/v1/projects", &rt, p, &n, allow, sizeof(allow)),
                  ROUTER_BAD_METHOD);
        CHECK_STR(allow, "POST, GET, HEAD");
        CHECK_INT(router_match(REQ_GET, "/api/v1/projects/x%zz", &rt, p, &n, allow, sizeof(allow)),
                  ROUTER_BAD_PATH);
        CHECK_STR(allow, "slug");
}

static void test_not_utf8(void)
{
        const struct route *rt = NULL;
        char *p[4];
        size_t n;
        char detail[96];
        /* A parameter that is not UTF-8 once decoded is named, whatever the route. */
        CHECK_INT(router_match(REQ_GET, "/api/v1/projects/%ff", &rt, p, &n, detail, sizeof(detail)),
                  ROUTER_BAD_PATH);
        CHECK_STR(detail, "slug");
        CHECK_INT(router_match(REQ_PATCH, "/api/v1/users/%ff", &rt, p, &n, detail, sizeof(detail)),
                  ROUTER_BAD_PATH);
        CHECK_STR(detail, "name");
        CHECK_INT(router_match(REQ_POST, "/api/v1/assignments/%ff/skip", &rt, p, &n, detail,
                               sizeof(detail)),
                  ROUTER_BAD_PATH);
        CHECK_STR(detail, "id");
        CHECK_INT(router_match(REQ_DELETE, "/api/v1/projects/ok/exclusions/%c3", &rt, p, &n, detail,
                               sizeof(detail)),
                  ROUTER_BAD_PATH);
        CHECK_STR(detail, "id");
        CHECK_INT(router_match(REQ_GET, "/static/%ff", &rt, p, &n, detail, sizeof(detail)),
                  ROUTER_BAD_PATH);
        CHECK_STR(detail, "path");
        CHECK_INT(
            router_match(REQ_GET, "/api/v1/projects/%ed%a0%80", &rt, p, &n, detail, sizeof(detail)),
            ROUTER_BAD_PATH); /* a surrogate */
        /* UTF-8 passes */
        CHECK_INT(
            router_match(REQ_GET, "/api/v1/projects/caf%C3%A9", &rt, p, &n, detail, sizeof(detail)),
            ROUTER_FOUND);
        CHECK_STR(p[0], "caf\xc3\xa9");
        free_params(p, n);
}

static void test_table(void)
{
        /* Every route has a handler, a path starting with '/', and roles unless public. */
        for (size_t i = 0; i < router_count(); i++) {
                const struct route *r = router_route(i);
                CHECK(r->handler != NULL);
                CHECK(r->path[0] == '/');
                CHECK((r->flags & ROUTE_PUBLIC) || r->roles != 0);
                CHECK(!((r->flags & ROUTE_BODY_JSON) && (r->flags & ROUTE_BODY_STREAM)));
        }
}

int main(void)
{
        RUN(match);
        RUN(misses);
        RUN(not_utf8);
        RUN(table);
        T_DONE();
}
