/*
 * markdown.h - Markdown to HTML that is safe to insert into a page, and faithful to the text a
 * model wrote: libcmark, with
 *   - raw HTML (inline and block) shown as escaped, visible text, never passed through;
 *   - character references shown as written (`&amp;` stays the five characters `&amp;`);
 *   - maths left as written: `$...$` (on one line, not opened by a space, not closed before a
 *     digit) and `$$...$$` reach the HTML unchanged (escaped), so a client can typeset them;
 *   - a `*` between two ASCII letters or digits (`O(n1*n2)`, `2*3*4`) always literal, never
 *     emphasis; intraword `_` is already literal in CommonMark (`snake_case_names`);
 *   - dangerous link schemes (javascript:, vbscript:, file:, most data:) removed.
 * Single line breaks are kept as breaks, as chat answers are written. The noncharacters
 * U+FDD0..U+FDD2 (used internally as markers) are shown as U+FFFD.
 */
#ifndef MARKDOWN_H
#define MARKDOWN_H

#include <stddef.h>

/* Renders len bytes of UTF-8 Markdown; returns a malloc'd string (owned by caller) or NULL. */
char *markdown_to_html(const char *text, size_t len);

#endif
