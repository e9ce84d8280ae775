/*
 * markdown.c - safe and faithful Markdown rendering with libcmark; see markdown.h.
 *
 * Three steps. (1) A pass over the source protects what CommonMark would change: maths spans
 * are swapped for markers (MATH index MATH), `&` becomes AMP so no character reference is
 * decoded, and an intraword `*` becomes STAR. (2) cmark parses; raw HTML nodes are replaced by
 * text nodes (a block by a paragraph with its lines as hard breaks) and rendered without
 * CMARK_OPT_UNSAFE. (3) The markers are put back: AMP as `&amp;`, STAR as `*`, a maths span as
 * its escaped source. The markers are noncharacters that never come from the input (step 1
 * turns any into U+FFFD), and survive cmark untouched (in a link destination percent-encoded).
 */
#include "markdown.h"

#include "buf.h"
#include "utf8.h"

#include <cmark.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MARK_AMP  "\xEF\xB7\x90" /* U+FDD0 */
#define MARK_STAR "\xEF\xB7\x91" /* U+FDD1 */
#define MARK_MATH "\xEF\xB7\x92" /* U+FDD2 */
#define MARK_LEN  3

struct span {
        size_t off, len; /* a maths span of the source, delimiters included */
};

struct spans {
        struct span *v;
        size_t n, cap;
        bool oom;
};

static void spans_add(struct spans *s, size_t off, size_t len)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 16;
                struct span *v = realloc(s->v, cap * sizeof(*v));
                if (!v) {
                        s->oom = true;
                        return;
                }
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = (struct span){ off, len };
}

static bool alnum(unsigned char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool space(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The end (one past the closing `$$`) of display maths opened at i, or 0: not across a blank line.
 */
static size_t display_end(const char *t, size_t len, size_t i)
{
        for (size_t j = i + 2; j + 1 < len; j++) {
                if (t[j] == '\n' && j + 1 < len && (t[j + 1] == '\n' || t[j + 1] == '\r'))
                        return 0;
                if (t[j] == '$' && t[j + 1] == '$')
                        return j > i + 2 ? j + 2 : 0;
        }
        return 0;
}

/* The end of inline maths opened at i, or 0: on one line, no backtick, `$x$` not `$ x$`,
 * `$x $` or `$5 and $10`. */
static size_t inline_end(const char *t, size_t len, size_t i)
{
        if (i + 1 >= len || space((unsigned char)t[i + 1]) || t[i + 1] == '$')
                return 0;
        for (size_t j = i + 1; j < len; j++) {
                if (t[j] == '\n' || t[j] == '`')
                        return 0;
                if (t[j] == '$' && j > i + 1) {
                        if (space((unsigned char)t[j - 1]) || t[j - 1] == '\\')
                                continue;
                        if (j + 1 < len && t[j + 1] >= '0' && t[j + 1] <= '9')
                                continue;
                        return j + 1;
                }
        }
        return 0;
}

/* Step 1: the source with markers. */
static void protect(const char *t, size_t len, struct buf *out, struct spans *math)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)t[i];
                if (c == 0xEF && i + 2 < len && (unsigned char)t[i + 1] == 0xB7 &&
                    (unsigned char)t[i + 2] >= 0x90 && (unsigned char)t[i + 2] <= 0x92) {
                        buf_str(out, "\xEF\xBF\xBD");
                        i += 2;
                } else if (c == '\\' && i + 1 < len && t[i + 1] == '$') {
                        buf_put(out, t + i, 2);
                        i++;
                } else if (c == '$') {
                        size_t end = i + 1 < len && t[i + 1] == '$' ? display_end(t, len, i)
                                                                    : inline_end(t, len, i);
                        if (end == 0) {
                                /* `$$` that closes nothing: keep both, so the second cannot open */
                                size_t n = i + 1 < len && t[i + 1] == '$' ? 2 : 1;
                                buf_put(out, t + i, n);
                                i += n - 1;
                                continue;
                        }
                        buf_str(out, MARK_MATH);
                        buf_uint(out, math->n);
                        buf_str(out, MARK_MATH);
                        spans_add(math, i, end - i);
                        i = end - 1;
                } else if (c == '&') {
                        buf_str(out, MARK_AMP);
                } else if (c == '*' && i > 0 && i + 1 < len && alnum((unsigned char)t[i - 1]) &&
                           alnum((unsigned char)t[i + 1])) {
                        buf_str(out, MARK_STAR);
                } else {
                        buf_put(out, t + i, 1);
                }
        }
}

/* Step 2: raw HTML nodes become text. Returns -1 when out of memory. */
static int html_as_text(cmark_node *doc)
{
        cmark_node **found = NULL;
        size_t n = 0, cap = 0;
        int rc = 0;
        cmark_iter *it = cmark_iter_new(doc);
        if (!it)
                return -1;
        cmark_event_type ev;
        while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
                cmark_node *node = cmark_iter_get_node(it);
                cmark_node_type type = cmark_node_get_type(node);
                if (ev != CMARK_EVENT_ENTER ||
                    (type != CMARK_NODE_HTML_INLINE && type != CMARK_NODE_HTML_BLOCK))
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        cmark_node **v = realloc(found, cap * sizeof(*v));
                        if (!v) {
                                rc = -1;
                                goto out;
                        }
                        found = v;
                }
                found[n++] = node;
        }
        for (size_t i = 0; i < n; i++) {
                cmark_node *old = found[i];
                const char *lit = cmark_node_get_literal(old);
                lit = lit ? lit : "";
                cmark_node *repl;
                if (cmark_node_get_type(old) == CMARK_NODE_HTML_INLINE) {
                        repl = cmark_node_new(CMARK_NODE_TEXT);
                        if (!repl || !cmark_node_set_literal(repl, lit)) {
                                if (repl)
                                        cmark_node_free(repl);
                                rc = -1;
                                goto out;
                        }
                } else {
                        /* a block: its lines in one paragraph, one hard break between lines */
                        repl = cmark_node_new(CMARK_NODE_PARAGRAPH);
                        if (!repl) {
                                rc = -1;
                                goto out;
                        }
                        size_t l = strlen(lit);
                        while (l > 0 && (lit[l - 1] == '\n' || lit[l - 1] == '\r'))
                                l--;
                        size_t s = 0;
                        while (s <= l) {
                                size_t e = s;
                                while (e < l && lit[e] != '\n')
                                        e++;
                                size_t ee = e > s && lit[e - 1] == '\r' ? e - 1 : e;
                                char *line = strndup(lit + s, ee - s);
                                cmark_node *text = cmark_node_new(CMARK_NODE_TEXT);
                                if (!line || !text || !cmark_node_set_literal(text, line) ||
                                    !cmark_node_append_child(repl, text)) {
                                        free(line);
                                        if (text)
                                                cmark_node_free(text);
                                        cmark_node_free(repl);
                                        rc = -1;
                                        goto out;
                                }
                                free(line);
                                if (e < l) {
                                        cmark_node *br = cmark_node_new(CMARK_NODE_LINEBREAK);
                                        if (!br || !cmark_node_append_child(repl, br)) {
                                                if (br)
                                                        cmark_node_free(br);
                                                cmark_node_free(repl);
                                                rc = -1;
                                                goto out;
                                        }
                                }
                                s = e + 1;
                        }
                }
                if (!cmark_node_replace(old, repl)) {
                        cmark_node_free(repl);
                        rc = -1;
                        goto out;
                }
                cmark_node_free(old);
        }
out:
        cmark_iter_free(it);
        free(found);
        return rc;
}

/* A maths span as it was written, escaped for HTML; as cmark does with the rest of the text,
 * bytes that are not UTF-8 and NUL bytes become U+FFFD. */
static void put_escaped(struct buf *b, const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                size_t seq = utf8_seq((const unsigned char *)s + i, n - i);
                if (seq == 0 || s[i] == '\0') {
                        buf_str(b, "\xEF\xBF\xBD");
                        continue;
                }
                if (seq > 1) {
                        buf_put(b, s + i, seq);
                        i += seq - 1;
                        continue;
                }
                switch (s[i]) {
                case '&':
                        buf_str(b, "&amp;");
                        break;
                case '<':
                        buf_str(b, "&lt;");
                        break;
                case '>':
                        buf_str(b, "&gt;");
                        break;
                case '"':
                        buf_str(b, "&quot;");
                        break;
                default:
                        buf_put(b, s + i, 1);
                }
        }
}

/* Step 3: the markers back. */
static void restore(const char *h, const char *src, const struct spans *math, struct buf *out)
{
        for (size_t i = 0; h[i];) {
                if (strncmp(h + i, MARK_AMP, MARK_LEN) == 0) {
                        buf_str(out, "&amp;");
                        i += MARK_LEN;
                } else if (strncmp(h + i, "%EF%B7%90", 9) == 0) {
                        buf_str(out, "&amp;");
                        i += 9;
                } else if (strncmp(h + i, MARK_STAR, MARK_LEN) == 0) {
                        buf_str(out, "*");
                        i += MARK_LEN;
                } else if (strncmp(h + i, "%EF%B7%91", 9) == 0) {
                        buf_str(out, "*");
                        i += 9;
                } else if (strncmp(h + i, MARK_MATH, MARK_LEN) == 0) {
                        size_t j = i + MARK_LEN, k = 0;
                        while (h[j] >= '0' && h[j] <= '9')
                                k = k * 10 + (size_t)(h[j++] - '0');
                        if (strncmp(h + j, MARK_MATH, MARK_LEN) == 0 && k < math->n) {
                                put_escaped(out, src + math->v[k].off, math->v[k].len);
                                i = j + MARK_LEN;
                        } else {
                                buf_str(out, "\xEF\xBF\xBD");
                                i += MARK_LEN;
                        }
                } else {
                        buf_put(out, h + i, 1);
                        i++;
                }
        }
}

char *markdown_to_html(const char *text, size_t len)
{
        struct buf src = { 0 }, out = { 0 };
        struct spans math = { 0 };
        char *html = NULL, *result = NULL;
        cmark_node *doc = NULL;
        protect(text, len, &src, &math);
        if (src.oom || math.oom)
                goto out;
        /* CMARK_OPT_UNSAFE is not given: no raw HTML (there is none left) and no unsafe URLs. */
        int opts = CMARK_OPT_HARDBREAKS | CMARK_OPT_VALIDATE_UTF8;
        doc = cmark_parse_document(src.data ? src.data : "", src.len, opts);
        if (!doc || html_as_text(doc) != 0)
                goto out;
        html = cmark_render_html(doc, opts);
        if (!html)
                goto out;
        restore(html, text, &math, &out);
        buf_put(&out, "", 1);
        if (!out.oom)
                result = buf_take(&out);
out:
        if (doc)
                cmark_node_free(doc);
        free(html);
        free(math.v);
        buf_fini(&src);
        buf_fini(&out);
        return result;
}

json_t *markdown_rendered(const char *text, size_t len)
{
        char *html = markdown_to_html(text, len);
        json_t *o = json_pack("{s:s%, s:s}", "text", text, len, "html", html ? html : "");
        free(html);
        return o;
}
