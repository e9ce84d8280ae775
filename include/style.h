/*
 * style.h - the style features of one answer, for style-controlled rankings (stylefit.h):
 * counted once per answer, at upload (api_items.c, on the worker pool) or in the background for
 * answers stored before (stylefill.h), and kept in responses.style.
 *
 * The features of a text, parsed as CommonMark by libcmark (default options, as the rating page
 * renders it):
 *   length   Unicode code points of the text as uploaded (the Markdown source, not the rendering);
 *   headers  heading nodes, ATX (`# x`) and setext (`x` underlined by `===` or `---`) alike;
 *   lists    list item nodes, in bullet and ordered lists, nested ones included;
 *   bold     strong emphasis nodes (`**x**`, `__x__`).
 * Code blocks and code spans hide their contents: `# x` inside a fence is no header.
 * Pure: no state, safe on any thread.
 */
#ifndef STYLE_H
#define STYLE_H

#include "prefd.h"

#include <stdint.h>

#define STYLE_FEATURES 4
#define STYLE_TEXT_MAX 64 /* "{length,headers,lists,bold}" with its NUL */

enum style_feature { STYLE_LENGTH, STYLE_HEADERS, STYLE_LISTS, STYLE_BOLD };

struct style {
        int32_t f[STYLE_FEATURES]; /* indexed by enum style_feature */
};

/* The feature names, in order: "length", "headers", "lists", "bold". */
extern const char *const style_names[STYLE_FEATURES];

/* The features of len bytes of UTF-8 text into *out. 0, or -1 when out of memory. */
int style_of(const char *text, size_t len, struct style *out) PREFD_MUSTCHECK;

/* The features as a PostgreSQL integer[] literal ("{12,0,3,1}") into out (STYLE_TEXT_MAX). */
void style_text(const struct style *s, char *out);

#endif
