/* test_markdown.c - hostile answers render inert. */
#include "markdown.h"
#include "t.h"

#include <stdlib.h>

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
                CHECK(strstr(h, "<script") == NULL);
                CHECK(strstr(h, "onerror=") == NULL);
                CHECK(strstr(h, "javascript:") == NULL);
                CHECK(strstr(h, "<iframe") == NULL);
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

int main(void)
{
        RUN(inert);
        RUN(markdown);
        T_DONE();
}
