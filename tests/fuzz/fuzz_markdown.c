/*
 * fuzz_markdown.c - the Markdown renderer raters' texts go through (markdown.c, libcmark).
 * Properties: the HTML is valid UTF-8 whatever the input, and nothing executable gets through:
 * no raw HTML elements (<script>, <img onerror>, <iframe> ...), no javascript:/vbscript: links.
 */
#include "fuzz.h"
#include "markdown.h"
#include "utf8.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/* The tags cmark itself writes; anything else after '<' would be raw HTML passed through. */
static const char *const tags[] = {
        "p>",
        "/p>",
        "em>",
        "/em>",
        "strong>",
        "/strong>",
        "code>",
        "/code>",
        "code class=\"",
        "pre>",
        "/pre>",
        "a href=\"",
        "/a>",
        "img src=\"",
        "br />",
        "hr />",
        "blockquote>",
        "/blockquote>",
        "ul>",
        "/ul>",
        "ol>",
        "ol start=\"",
        "/ol>",
        "li>",
        "/li>",
        "h1>",
        "h2>",
        "h3>",
        "h4>",
        "h5>",
        "h6>",
        "/h1>",
        "/h2>",
        "/h3>",
        "/h4>",
        "/h5>",
        "/h6>",
        "!-- raw HTML omitted -->",
        NULL,
};

/*
 * The URL of an attribute as a browser reads it: entities decoded (cmark writes &amp; &quot;
 * and numeric ones), tabs and line breaks dropped, lower case. Returns false for a scheme that
 * runs code or reads files.
 */
static bool safe_url(const char *v, const char *end)
{
        char url[64];
        size_t n = 0;
        for (const char *p = v; p < end && n < sizeof(url) - 1;) {
                char c = *p++;
                if (c == '&') {
                        const char *semi = memchr(p, ';', (size_t)(end - p));
                        if (!semi)
                                break;
                        if (*p == '#') {
                                long code = strtol(p + 1 + (p[1] == 'x' || p[1] == 'X'), NULL,
                                                   p[1] == 'x' || p[1] == 'X' ? 16 : 10);
                                c = code > 0 && code < 128 ? (char)code : '?';
                        } else {
                                c = strncmp(p, "amp;", 4) == 0 ? '&' : '?';
                        }
                        p = semi + 1;
                }
                if (c == '\t' || c == '\n' || c == '\r')
                        continue;
                url[n++] = (char)tolower((unsigned char)c);
        }
        url[n] = '\0';
        if (!strncmp(url, "javascript:", 11) || !strncmp(url, "vbscript:", 9) ||
            !strncmp(url, "file:", 5))
                return false;
        /* cmark lets images through as data: URLs, in links too (no script runs in them) */
        if (!strncmp(url, "data:", 5))
                return !strncmp(url + 5, "image/png", 9) || !strncmp(url + 5, "image/gif", 9) ||
                       !strncmp(url + 5, "image/jpeg", 10) || !strncmp(url + 5, "image/webp", 10);
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *html = markdown_to_html((const char *)data, size);
        FUZZ_CHECK(html != NULL);
        FUZZ_CHECK(utf8_valid(html, strlen(html)));
        for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
                bool known = false;
                for (const char *const *t = tags; *t && !known; t++)
                        known = strncmp(p + 1, *t, strlen(*t)) == 0;
                if (!known)
                        fprintf(stderr, "unexpected tag: %.40s\n", p);
                FUZZ_CHECK(known);
                bool link = strncmp(p + 1, "a href=\"", 8) == 0;
                bool img = strncmp(p + 1, "img src=\"", 9) == 0;
                if (link || img) {
                        const char *v = p + (link ? 9 : 10), *end = strchr(v, '"');
                        FUZZ_CHECK(end != NULL);
                        if (!safe_url(v, end))
                                fprintf(stderr, "unsafe URL: %.60s\n", v);
                        FUZZ_CHECK(safe_url(v, end));
                }
        }
        free(html);
        return 0;
}
