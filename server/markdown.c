/*
 * markdown.c - safe Markdown rendering with libcmark; see markdown.h.
 */
#include "markdown.h"

#include <cmark.h>
#include <jansson.h>
#include <stdlib.h>

char *markdown_to_html(const char *text, size_t len)
{
        /* CMARK_OPT_UNSAFE is not given: raw HTML and unsafe URLs are left out. */
        return cmark_markdown_to_html(text, len, CMARK_OPT_HARDBREAKS | CMARK_OPT_VALIDATE_UTF8);
}

json_t *markdown_rendered(const char *text, size_t len)
{
        char *html = markdown_to_html(text, len);
        json_t *o = json_pack("{s:s%, s:s}", "text", text, len, "html", html ? html : "");
        free(html);
        return o;
}
