/*
 * test_linediff.c - the line diff of the guideline-change notice.
 */
#include "linediff.h"

#include "t.h"

/* The diff as one string: " line", "-line", "+line" joined by |. */
static char *show(const char *a, const char *b)
{
        static char buf[4096];
        json_t *d = linediff(a, b);
        buf[0] = '\0';
        if (!d)
                return buf;
        size_t i;
        json_t *e;
        json_array_foreach(d, i, e)
        {
                const char *op = json_string_value(json_object_get(e, "op"));
                size_t used = strlen(buf);
                snprintf(buf + used, sizeof(buf) - used, "%s%c%s", i ? "|" : "",
                         op[0] == 's'   ? ' '
                         : op[0] == 'a' ? '+'
                                        : '-',
                         json_string_value(json_object_get(e, "text")));
        }
        json_decref(d);
        return buf;
}

static void test_cases(void)
{
        CHECK(strcmp(show("", ""), "") == 0);
        CHECK(strcmp(show("a\nb\nc", "a\nb\nc"), " a| b| c") == 0);
        CHECK(strcmp(show("a\nb\nc", "a\nx\nc"), " a|+x|-b| c") == 0);
        CHECK(strcmp(show("", "new"), "+new") == 0);
        CHECK(strcmp(show("old", ""), "-old") == 0);
        CHECK(strcmp(show("a\nb\nc\nd", "b\nc\nd\ne"), "-a| b| c| d|+e") == 0);
        CHECK(strcmp(show("x\na\ny\nb\nz", "a\nq\nb"), "-x| a|+q|-y| b|-z") == 0);
        /* a trailing newline ends the last line, it makes no empty one */
        CHECK(strcmp(show("a\n", "a\nb\n"), " a|+b") == 0);
}

int main(void)
{
        RUN(cases);
        T_DONE();
}
