/* test_style.c - the style features of answers, counted from their CommonMark structure. */
#include "style.h"
#include "t.h"

#include <string.h>

static struct style of(const char *s)
{
        struct style st = { { -1, -1, -1, -1 } };
        CHECK(style_of(s, strlen(s), &st) == 0);
        return st;
}

static void expect(const char *s, int length, int headers, int lists, int bold)
{
        struct style st = of(s);
        CHECK_INT(st.f[STYLE_LENGTH], length);
        CHECK_INT(st.f[STYLE_HEADERS], headers);
        CHECK_INT(st.f[STYLE_LISTS], lists);
        CHECK_INT(st.f[STYLE_BOLD], bold);
}

static void test_plain(void)
{
        expect("", 0, 0, 0, 0);
        expect("hello world", 11, 0, 0, 0);
        /* code points, not bytes: é is 2 bytes, 中 3, the emoji 4 */
        expect("\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", 3, 0, 0, 0);
}

static void test_headers(void)
{
        expect("# One\n\n## Two\n", 14, 2, 0, 0);
        /* setext headings count like ATX ones */
        expect("Title\n=====\n\nSub\n---\n", 21, 2, 0, 0);
        /* not headings: no space after #, inside a code fence, escaped */
        expect("#nope\n\n```\n# code\n```\n\n\\# escaped\n", 34, 0, 0, 0);
}

static void test_lists(void)
{
        expect("- a\n- b\n- c\n", 12, 0, 3, 0);
        expect("1. one\n2. two\n", 14, 0, 2, 0);
        /* nested items count too */
        expect("- a\n  - b\n  - c\n- d\n", 20, 0, 4, 0);
        /* a dash inside a paragraph line is no list */
        expect("a - b - c", 9, 0, 0, 0);
}

static void test_bold(void)
{
        expect("**a** and __b__ but *c* and `**d**`", 35, 0, 0, 2);
        /* unclosed is literal text */
        expect("**open", 6, 0, 0, 0);
}

static void test_mixed(void)
{
        const char *s = "# Plan\n\n- **first** step\n- second\n\n## Notes\n\n**Done.**\n";
        struct style st = of(s);
        CHECK(st.f[STYLE_LENGTH] == (int)strlen(s));
        CHECK(st.f[STYLE_HEADERS] == 2);
        CHECK(st.f[STYLE_LISTS] == 2);
        CHECK(st.f[STYLE_BOLD] == 2);
        char text[STYLE_TEXT_MAX];
        style_text(&st, text);
        CHECK(strcmp(text, "{55,2,2,2}") == 0);
        CHECK(strcmp(style_names[STYLE_LISTS], "lists") == 0);
}

int main(void)
{
        RUN(plain);
        RUN(headers);
        RUN(lists);
        RUN(bold);
        RUN(mixed);
        T_DONE();
}
