/*
 * linediff.c - the line diff of two texts; see linediff.h.
 */
#include "linediff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct lines {
        const char **start;
        size_t *len;
        size_t n;
};

static int split(const char *text, struct lines *out)
{
        size_t n = 1;
        for (const char *p = text; *p; p++)
                n += *p == '\n';
        out->start = malloc(n * sizeof(*out->start));
        out->len = malloc(n * sizeof(*out->len));
        out->n = 0;
        if (!out->start || !out->len)
                return -1;
        const char *p = text;
        while (*p) {
                const char *e = strchr(p, '\n');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                out->start[out->n] = p;
                out->len[out->n++] = len;
                p += len + (e != NULL);
        }
        return 0;
}

static bool same_line(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
        return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

static int emit(json_t *out, const char *op, const char *s, size_t len)
{
        return json_array_append_new(out, json_pack("{s:s, s:s%}", "op", op, "text", s, len));
}

json_t *linediff(const char *old_text, const char *new_text)
{
        struct lines a = { 0 }, b = { 0 };
        json_t *out = json_array();
        uint32_t *t = NULL;
        int rc = -1;
        if (!out || split(old_text, &a) != 0 || split(new_text, &b) != 0)
                goto out;
        size_t pre = 0, suf = 0;
        while (pre < a.n && pre < b.n && same_line(&a, pre, &b, pre))
                pre++;
        while (suf < a.n - pre && suf < b.n - pre &&
               same_line(&a, a.n - 1 - suf, &b, b.n - 1 - suf))
                suf++;
        for (size_t i = 0; i < pre; i++)
                if (emit(out, "same", a.start[i], a.len[i]) != 0)
                        goto out;
        size_t n = a.n - pre - suf, m = b.n - pre - suf;
        if ((double)(n + 1) * (double)(m + 1) <= (double)LINEDIFF_MAX_CELLS &&
            (t = calloc((n + 1) * (m + 1), sizeof(*t)))) {
                /* t[i][j]: the longest common subsequence of a's lines i.. and b's lines j.. */
                for (size_t i = n; i-- > 0;)
                        for (size_t j = m; j-- > 0;)
                                t[i * (m + 1) + j] =
                                    same_line(&a, pre + i, &b, pre + j)
                                        ? t[(i + 1) * (m + 1) + j + 1] + 1
                                        : (t[(i + 1) * (m + 1) + j] > t[i * (m + 1) + j + 1]
                                               ? t[(i + 1) * (m + 1) + j]
                                               : t[i * (m + 1) + j + 1]);
                size_t i = 0, j = 0;
                while (i < n || j < m) {
                        int e;
                        if (i < n && j < m && same_line(&a, pre + i, &b, pre + j)) {
                                e = emit(out, "same", a.start[pre + i], a.len[pre + i]);
                                i++, j++;
                        } else if (j < m &&
                                   (i == n || t[i * (m + 1) + j + 1] >= t[(i + 1) * (m + 1) + j])) {
                                e = emit(out, "added", b.start[pre + j], b.len[pre + j]);
                                j++;
                        } else {
                                e = emit(out, "removed", a.start[pre + i], a.len[pre + i]);
                                i++;
                        }
                        if (e != 0)
                                goto out;
                }
        } else {
                for (size_t i = 0; i < n; i++)
                        if (emit(out, "removed", a.start[pre + i], a.len[pre + i]) != 0)
                                goto out;
                for (size_t j = 0; j < m; j++)
                        if (emit(out, "added", b.start[pre + j], b.len[pre + j]) != 0)
                                goto out;
        }
        for (size_t k = 0; k < suf; k++)
                if (emit(out, "same", b.start[b.n - suf + k], b.len[b.n - suf + k]) != 0)
                        goto out;
        rc = 0;
out:
        free(t);
        free(a.start);
        free(a.len);
        free(b.start);
        free(b.len);
        if (rc != 0) {
                json_decref(out);
                return NULL;
        }
        return out;
}
