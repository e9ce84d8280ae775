/* test_markdown.c - hostile answers render inert. */
#include "markdown.h"
#include "t.h"
#include "utf8.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static char *render(const char *s)
{
        return markdown_to_html(s, strlen(s));
}

static void test_inert(void)
{
        const char *hostile[] = {
                "<script>alert(1)</script>",    "hello <img src=x onerror=alert(1)> world",
                "[click](javascript:alert(1))", "<a href=\"javascript:alert(1)\">x</a>",
                "![x](javascript:alert(1))",    "<iframe src=\"https://evil\"></iframe>",
        };
        for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
                char *h = render(hostile[i]);
                REQUIRE(h != NULL);
                /* tags arrive as visible text, never as elements or live links */
                CHECK(strstr(h, "<script") == NULL);
                CHECK(strstr(h, "<img src=x") == NULL); /* ![x](...) may make an <img src=""> */
                CHECK(strstr(h, "href=\"javascript:") == NULL);
                CHECK(strstr(h, "src=\"javascript:") == NULL);
                CHECK(strstr(h, "<iframe") == NULL);
                CHECK(strstr(h, "<a href=\"javascript") == NULL);
                free(h);
        }
}

static void test_markdown(void)
{
        char *h = render("# Title\n\n- one\n- two\n\n```c\nint x = 1 < 2;\n```\nline1\nline2");
        REQUIRE(h != NULL);
        CHECK(strstr(h, "<h1>Title</h1>") != NULL);
        CHECK(strstr(h, "<li>one</li>") != NULL);
        CHECK(strstr(h, "<code class=\"language-c\">int x = 1 &lt; 2;") != NULL);
        CHECK(strstr(h, "line1<br />") != NULL); /* single line breaks are kept */
        free(h);
        h = render("");
        REQUIRE(h != NULL);
        CHECK_STR(h, "");
        free(h);
}

/* The text content of html, tags dropped and the five escapes decoded: what a reader sees. */
static char *visible(const char *html)
{
        char *out = malloc(strlen(html) + 1), *o = out;
        for (const char *p = html; *p;) {
                if (*p == '<') {
                        while (*p && *p != '>')
                                p++;
                        if (*p)
                                p++;
                        continue;
                }
                static const char *const esc[][2] = {
                        { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }
                };
                bool done = false;
                for (size_t i = 0; i < 4 && !done; i++)
                        if (strncmp(p, esc[i][0], strlen(esc[i][0])) == 0) {
                                *o++ = esc[i][1][0];
                                p += strlen(esc[i][0]);
                                done = true;
                        }
                if (!done && *p == '\n')
                        p++; /* layout, not text: lines are compared joined */
                else if (!done)
                        *o++ = *p++;
        }
        *o = '\0';
        return out;
}

/* No element other than the ones CommonMark itself makes, and no attribute but href/class/src/alt.
 */
static bool only_markdown_tags(const char *html)
{
        static const char *const ok[] = { "p",          "br", "em", "strong", "code", "pre",
                                          "h1",         "h2", "h3", "ul",     "ol",   "li",
                                          "blockquote", "a",  "hr", NULL };
        for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
                const char *n = p + 1 + (p[1] == '/');
                size_t len = strcspn(n, " />");
                bool found = false;
                for (size_t i = 0; ok[i] && !found; i++)
                        found = strlen(ok[i]) == len && strncmp(n, ok[i], len) == 0;
                if (!found)
                        return false;
        }
        return true;
}

static void test_raw_html_visible(void)
{
        const char *cases[][2] = {
                { "Wrap them in a `<div>` element, e.g. <div class=\"box\">...</div>",
                  "Wrap them in a <div> element, e.g. <div class=\"box\">...</div>" },
                { "before\n\n<script>alert(1)</script>\n\nafter",
                  "before<script>alert(1)</script>after" },
                { "<div>\n<p>block</p>\n</div>", "<div><p>block</p></div>" },
                { "hello <img src=x onerror=alert(1)> world",
                  "hello <img src=x onerror=alert(1)> world" },
                { "a <!-- comment --> b", "a <!-- comment --> b" },
                { "use &amp; and &lt;b&gt; and &#65; &copy;",
                  "use &amp; and &lt;b&gt; and &#65; &copy;" },
                { "Tom & Jerry <3", "Tom & Jerry <3" },
                { "O(n1*n2) and O(m1*m2)", "O(n1*n2) and O(m1*m2)" },
                { "2*3*4 = 24", "2*3*4 = 24" },
                { "snake_case_names and other_snake_case",
                  "snake_case_names and other_snake_case" },
                { "inline $a_1 * b_2 * c$ and $$\\frac{x*y}{z*w}\\\\ q$$ end",
                  "inline $a_1 * b_2 * c$ and $$\\frac{x*y}{z*w}\\\\ q$$ end" },
                { "costs $5, or $10 for two", "costs $5, or $10 for two" },
                { "\xEF\xB7\x90 marker", "\xEF\xBF\xBD marker" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *h = render(cases[i][0]);
                REQUIRE(h != NULL);
                char *v = visible(h);
                CHECK_STR(v, cases[i][1]);
                CHECK(only_markdown_tags(h));
                CHECK(strstr(h, "<em>") == NULL);
                free(v);
                free(h);
        }
}

static void test_markdown_kept(void)
{
        /* Real emphasis, links and code still render; maths is not touched in code. */
        char *h = render("**bold** and *it* and [x](http://e.org/?a=1&b=2) `x*y&z` $x$");
        REQUIRE(h != NULL);
        CHECK(strstr(h, "<strong>bold</strong>") != NULL);
        CHECK(strstr(h, "<em>it</em>") != NULL);
        CHECK(strstr(h, "href=\"http://e.org/?a=1&amp;b=2\"") != NULL);
        CHECK(strstr(h, "<code>x*y&amp;z</code>") != NULL);
        CHECK(strstr(h, "$x$") != NULL);
        free(h);
        h = render("```\n<b>&amp;</b> $HOME\n```");
        REQUIRE(h != NULL);
        CHECK(strstr(h, "<pre><code>&lt;b&gt;&amp;amp;&lt;/b&gt; $HOME\n</code></pre>") != NULL);
        free(h);
}

/* A maths span is copied as written, but never with bytes that are not UTF-8 (found by
 * fuzz_markdown): they become U+FFFD, as cmark makes them in the rest of the text. */
static void test_maths_bytes(void)
{
        static const char in[] = "a $x \xff\xfe y$ b \xe4\xb8\xad $\xe4\xb8\xad z$";
        char *h = markdown_to_html(in, sizeof(in) - 1);
        REQUIRE(h != NULL);
        CHECK(utf8_valid(h, strlen(h)));
        CHECK(strstr(h, "$x \xef\xbf\xbd\xef\xbf\xbd y$") != NULL);
        CHECK(strstr(h, "$\xe4\xb8\xad z$") != NULL);
        free(h);
        static const char nul[] = "$a\0b$";
        h = markdown_to_html(nul, sizeof(nul) - 1);
        REQUIRE(h != NULL);
        CHECK(strstr(h, "$a\xef\xbf\xbd"
                        "b$") != NULL);
        free(h);
}

int main(void)
{
        RUN(inert);
        RUN(markdown);
        RUN(raw_html_visible);
        RUN(markdown_kept);
        RUN(maths_bytes);
        T_DONE();
}
