/*
 * embedded.h - files compiled into the prefd binary: the migrations (sql/NNN_name.sql) and the web
 * client (client/web/). The build generates the table from the source tree (tests/lib/embed.c), so
 * a single binary carries everything it serves and applies.
 */
#ifndef EMBEDDED_H
#define EMBEDDED_H

#include <stddef.h>

struct embedded_file {
        const char *path;          /* repository-relative path, e.g. "sql/001_init.sql" */
        const unsigned char *data; /* contents, NUL-terminated (not counted in len) */
        size_t len;                /* size in bytes */
};

/* All files, sorted by path. */
extern const struct embedded_file embedded_files[];
extern const size_t embedded_count;

/* The file at `path`, or NULL. Borrowed, static storage. */
const struct embedded_file *embedded_find(const char *path);

#endif
