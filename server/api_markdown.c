/*
 * api_markdown.c - POST /api/v1/markdown (admin): a Markdown text rendered by markdown.c, the
 * renderer of answers and guidelines, so the admin page's guidelines preview shows what raters
 * will see. Rendered on the loop thread, as answers are: O(length), a few milliseconds at the
 * 200,000-character limit of guidelines.
 */
#include "api.h"

#include "jsonv.h"
#include "markdown.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void api_markdown_render(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        jv_keys(&v, (const char *const[]){ "text", NULL });
        const char *text = jv_string(&v, "text", JV_REQUIRED, 0, 200000);
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        char *html = markdown_to_html(text, strlen(text));
        json_t *body = html ? json_pack("{s:s}", "html", html) : NULL;
        free(html);
        if (!body) {
                req_reply_oom(r);
                return;
        }
        req_reply_json(r, 200, body);
}
