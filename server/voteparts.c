/*
 * voteparts.c - shapes of criteria, conversations and the extra parts of a vote; see
 * voteparts.h.
 */
#include "voteparts.h"

#include "markdown.h"

#include <stdlib.h>
#include <string.h>

static const char *const criterion_fields[] = { "name", "scale", "labels", "required", NULL };

void voteparts_criteria(struct jv *v)
{
        json_t *list = json_object_get(v->obj, "criteria");
        if (v->failed || !list)
                return;
        if (!json_is_array(list) || json_array_size(list) > VOTEPARTS_MAX_CRITERIA) {
                jv_fail(v, "criteria", "\"criteria\" must be an array of at most %d objects",
                        VOTEPARTS_MAX_CRITERIA);
                return;
        }
        size_t i, j;
        json_t *c, *d;
        json_array_foreach(list, i, c)
        {
                if (!json_is_object(c)) {
                        jv_fail(v, "criteria",
                                "criteria[%zu] must be an object {\"name\", \"scale\", "
                                "\"labels\"?, \"required\"?}",
                                i);
                        return;
                }
                struct jv cv = JV_INIT(c);
                long long scale;
                bool required;
                jv_keys(&cv, criterion_fields);
                const char *name = jv_string(&cv, "name", JV_REQUIRED, 1, 32);
                if (name && !jv_is_label(name))
                        jv_fail(&cv, "name",
                                "\"name\" must be lower-case letters, digits and _, starting "
                                "with a letter");
                jv_int(&cv, "scale", JV_REQUIRED, 2, VOTEPARTS_MAX_SCALE, &scale);
                jv_bool(&cv, "required", JV_OPTIONAL, &required);
                json_t *labels = json_object_get(c, "labels");
                if (!cv.failed && labels) {
                        const char *lang;
                        json_t *text;
                        if (!json_is_object(labels))
                                jv_fail(&cv, "labels",
                                        "\"labels\" must be an object of language -> text");
                        json_object_foreach(labels, lang, text)
                        {
                                if (cv.failed)
                                        break;
                                if (strlen(lang) < 1 || strlen(lang) > 35 ||
                                    !json_is_string(text) || json_string_length(text) < 1 ||
                                    json_string_length(text) > 100)
                                        jv_fail(&cv, "labels",
                                                "\"labels\" must map language tags to texts of "
                                                "1 to 100 bytes");
                        }
                }
                if (cv.failed) {
                        jv_fail(v, "criteria", "criteria[%zu]: %s", i, cv.message);
                        return;
                }
                json_array_foreach(list, j, d)
                {
                        if (j < i &&
                            strcmp(json_string_value(json_object_get(d, "name")), name) == 0) {
                                jv_fail(v, "criteria", "\"criteria\" names \"%s\" twice", name);
                                return;
                        }
                }
        }
}

static const char *const role_names[] = { "system", "user", "assistant", NULL };

const char *voteparts_messages(struct jv *v, size_t max_text)
{
        json_t *list = json_object_get(v->obj, "messages");
        if (v->failed || !list)
                return NULL;
        if (!json_is_array(list) || json_array_size(list) < 1 || json_array_size(list) > 1000) {
                jv_fail(v, "messages",
                        "\"messages\" must be an array of 1 to 1000 {\"role\", \"content\"} "
                        "objects");
                return NULL;
        }
        size_t i;
        json_t *m;
        const char *last = NULL;
        json_array_foreach(list, i, m)
        {
                if (!json_is_object(m)) {
                        jv_fail(v, "messages",
                                "messages[%zu] must be an object {\"role\", "
                                "\"content\"}",
                                i);
                        return NULL;
                }
                struct jv mv = JV_INIT(m);
                jv_keys(&mv, (const char *const[]){ "role", "content", NULL });
                const char *role = jv_enum(&mv, "role", JV_REQUIRED, role_names);
                const char *content = jv_string(&mv, "content", JV_REQUIRED, 0, max_text);
                if (!mv.failed && strcmp(role, "system") == 0 && i > 0)
                        jv_fail(&mv, "role", "a system message may only come first");
                if (mv.failed) {
                        jv_fail(v, "messages", "messages[%zu]: %s", i, mv.message);
                        return NULL;
                }
                last = strcmp(role, "user") == 0 ? content : NULL;
        }
        if (!last || !last[0]) {
                jv_fail(v, "messages",
                        "\"messages\" must end with a user turn that is not empty (the answers "
                        "are the next assistant turn)");
                return NULL;
        }
        return last;
}

/* One side's flags: names, or {"flag", "quote"} objects. */
static void flags_side(struct jv *v, json_t *list, const char *side, json_t *names, json_t *quotes)
{
        if (!list || json_is_null(list))
                return;
        if (!json_is_array(list) || json_array_size(list) > 32) {
                jv_fail(v, "flags", "flags.%s must be an array of at most 32 flags", side);
                return;
        }
        size_t i, j;
        json_t *e, *n;
        json_array_foreach(list, i, e)
        {
                const char *flag = json_string_value(e);
                if (json_is_object(e)) {
                        struct jv fv = JV_INIT(e);
                        jv_keys(&fv, (const char *const[]){ "flag", "quote", NULL });
                        flag = jv_string(&fv, "flag", JV_REQUIRED, 1, 32);
                        const char *quote = jv_string(&fv, "quote", JV_OPTIONAL, 1, 2000);
                        if (fv.failed) {
                                jv_fail(v, "flags", "flags.%s[%zu]: %s", side, i, fv.message);
                                return;
                        }
                        if (quote)
                                json_array_append_new(
                                    quotes, json_pack("{s:s, s:s}", "flag", flag, "quote", quote));
                }
                if (!flag || !jv_is_label(flag)) {
                        jv_fail(v, "flags",
                                "flags.%s[%zu] must be a flag name or {\"flag\", \"quote\"}", side,
                                i);
                        return;
                }
                bool seen = false;
                json_array_foreach(names, j, n) seen |= strcmp(json_string_value(n), flag) == 0;
                if (!seen)
                        json_array_append_new(names, json_string(flag));
        }
}

static void scores_side(struct jv *v, json_t *side, const char *name)
{
        if (!side)
                return;
        if (!json_is_object(side)) {
                jv_fail(v, "scores", "scores.%s must be an object of criterion -> integer", name);
                return;
        }
        const char *key;
        json_t *val;
        json_object_foreach(side, key, val)
        {
                if (!jv_is_label(key) || !json_is_integer(val) || json_integer_value(val) < 1 ||
                    json_integer_value(val) > VOTEPARTS_MAX_SCALE) {
                        jv_fail(v, "scores",
                                "scores.%s.%s must be an integer from 1 to the criterion's scale",
                                name, key);
                        return;
                }
        }
}

void voteparts_vote(struct jv *v, json_t *elem)
{
        long long strength;
        if (jv_int(v, "strength", JV_OPTIONAL, 1, 3, &strength))
                json_object_set_new(elem, "strength", json_integer((json_int_t)strength));
        const char *rewrite = jv_string(v, "rewrite", JV_OPTIONAL, 1, 200000);
        if (rewrite)
                json_object_set_new(elem, "rewrite", json_string(rewrite));
        json_t *scores = json_object_get(v->obj, "scores");
        if (!v->failed && scores && !json_is_null(scores)) {
                if (!json_is_object(scores)) {
                        jv_fail(v, "scores",
                                "\"scores\" must be an object {\"a\": {...}, \"b\": {...}}");
                } else {
                        struct jv sv = JV_INIT(scores);
                        jv_keys(&sv, (const char *const[]){ "a", "b", NULL });
                        if (sv.failed)
                                jv_fail(v, "scores", "scores: %s", sv.message);
                        scores_side(v, json_object_get(scores, "a"), "a");
                        scores_side(v, json_object_get(scores, "b"), "b");
                        if (!v->failed)
                                json_object_set(elem, "scores", scores);
                }
        }
        json_t *flags = json_object_get(v->obj, "flags");
        if (v->failed || !flags || json_is_null(flags))
                return;
        if (!json_is_object(flags)) {
                jv_fail(v, "flags", "\"flags\" must be an object {\"a\": [...], \"b\": [...]}");
                return;
        }
        struct jv fv = JV_INIT(flags);
        jv_keys(&fv, (const char *const[]){ "a", "b", NULL });
        if (fv.failed) {
                jv_fail(v, "flags", "flags: %s", fv.message);
                return;
        }
        json_t *left = json_array(), *right = json_array();
        json_t *ql = json_array(), *qr = json_array();
        flags_side(v, json_object_get(flags, "a"), "a", left, ql);
        flags_side(v, json_object_get(flags, "b"), "b", right, qr);
        json_object_set_new(elem, "flags_left", left);
        json_object_set_new(elem, "flags_right", right);
        if (json_array_size(ql) + json_array_size(qr) > 0)
                json_object_set_new(elem, "quotes", json_pack("{s:o, s:o}", "a", ql, "b", qr));
        else {
                json_decref(ql);
                json_decref(qr);
        }
}

void voteparts_render_messages(json_t *messages)
{
        size_t i;
        json_t *m;
        json_array_foreach(messages, i, m)
        {
                json_t *content = json_object_get(m, "content");
                char *html =
                    markdown_to_html(json_string_value(content), json_string_length(content));
                json_object_set_new(m, "html", json_string(html ? html : ""));
                free(html);
        }
}
