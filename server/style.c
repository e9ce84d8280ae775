/*
 * style.c - the style features of one answer from its CommonMark structure; see style.h.
 */
#include "style.h"

#include <cmark.h>
#include <stdio.h>

const char *const style_names[STYLE_FEATURES] = { "length", "headers", "lists", "bold" };

/* Code points of valid UTF-8: every byte that is not a continuation byte starts one. */
static int32_t code_points(const char *text, size_t len)
{
        int64_t n = 0;
        for (size_t i = 0; i < len; i++)
                n += ((unsigned char)text[i] & 0xC0) != 0x80;
        return n > INT32_MAX ? INT32_MAX : (int32_t)n;
}

int style_of(const char *text, size_t len, struct style *out)
{
        *out = (struct style){ { 0 } };
        out->f[STYLE_LENGTH] = code_points(text, len);
        cmark_node *doc = cmark_parse_document(text, len, CMARK_OPT_DEFAULT);
        cmark_iter *it = doc ? cmark_iter_new(doc) : NULL;
        if (!it) {
                cmark_node_free(doc);
                return -1;
        }
        cmark_event_type ev;
        while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
                if (ev != CMARK_EVENT_ENTER)
                        continue;
                switch (cmark_node_get_type(cmark_iter_get_node(it))) {
                case CMARK_NODE_HEADING:
                        out->f[STYLE_HEADERS]++;
                        break;
                case CMARK_NODE_ITEM:
                        out->f[STYLE_LISTS]++;
                        break;
                case CMARK_NODE_STRONG:
                        out->f[STYLE_BOLD]++;
                        break;
                default:
                        break;
                }
        }
        cmark_iter_free(it);
        cmark_node_free(doc);
        return 0;
}

void style_text(const struct style *s, char *out)
{
        snprintf(out, STYLE_TEXT_MAX, "{%d,%d,%d,%d}", (int)s->f[0], (int)s->f[1], (int)s->f[2],
                 (int)s->f[3]);
}
