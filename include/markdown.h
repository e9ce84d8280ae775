/*
 * markdown.h - Markdown to HTML that is safe to insert into a page: libcmark with raw HTML
 * dropped and dangerous link schemes (javascript:, vbscript:, file:, most data:) removed.
 * Single line breaks are kept as breaks, as chat answers are written.
 */
#ifndef MARKDOWN_H
#define MARKDOWN_H

#include <stddef.h>

/* Renders len bytes of UTF-8 Markdown; returns a malloc'd string (owned by caller) or NULL. */
char *markdown_to_html(const char *text, size_t len);

/* {"text": the Markdown, "html": it rendered}, the shape the API gives texts in (owned by
 * caller; NULL when out of memory). */
struct json_t;
struct json_t *markdown_rendered(const char *text, size_t len);

#endif
