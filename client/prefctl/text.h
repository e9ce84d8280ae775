/*
 * text.h - UTF-8 for a terminal: display width and safe output.
 *
 * Everything prefctl prints that came from the server (model names, messages, titles) goes
 * through text_put, so that a name holding an escape sequence cannot drive the terminal. The
 * width rules are those of a terminal: East Asian wide and fullwidth characters count 2,
 * combining marks and zero-width characters 0, anything else 1. A byte that is not valid UTF-8
 * and a control character count 1 and are printed as '?'.
 */
#ifndef PREFCTL_TEXT_H
#define PREFCTL_TEXT_H

#include "prefd.h"

#include <stdio.h>

/* True when s[0..n) is valid UTF-8 without NUL bytes (what JSON strings may hold here). */
bool text_utf8(const char *s, size_t n);

/* Display width of the UTF-8 string s (its first n bytes). */
size_t text_width_n(const char *s, size_t n);
size_t text_width(const char *s);

/* How text_put treats line breaks. */
enum text_mode {
        TEXT_LINE,      /* one line: newline and tab become '?' too */
        TEXT_MULTILINE, /* newline and tab pass through */
};

/* Writes s to f with control characters and invalid bytes replaced by '?'. */
void text_put(FILE *f, const char *s, enum text_mode mode);

/* Writes n spaces. */
void text_pad(FILE *f, size_t n);

/* Formats a byte count for people: "512 B", "12.3 KiB", "4.1 GiB". */
void text_bytes(char *out, size_t size, double bytes);

#endif
