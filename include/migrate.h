/*
 * migrate.h - brings the database up to the schema compiled into the binary: the numbered
 * migrations (sql/NNN_name.sql: tables, indexes, constraints) and the functions
 * (sql/functions/NAME.sql: one file per function, with the triggers that call it).
 *
 * Under a PostgreSQL advisory lock (so that several prefd processes starting together take
 * turns), each pending migration runs in its own transaction together with the row recording
 * it in schema_migrations; an error rolls it back and stops. A database that already has
 * migrations this binary does not know is reported but accepted (a newer prefd ran).
 *
 * Then the functions: when the SHA-256 of the function files differs from the one recorded in
 * schema_functions, one transaction drops the schema MIGRATE_SCHEMA, makes it again from the files
 * (sql/functions/types.sql first, then the others by name) and records the new digest. So a
 * function changes in one place, one diff, and a function removed from the tree is gone from
 * the database too. Nothing outside that schema may depend on it but the triggers its files
 * make again; prefd's connections have it on their search_path, after public.
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include "prefd.h"

/* The schema of the functions, and the search path prefd's connections use to reach them. */
#define MIGRATE_SCHEMA      "prefd_functions"
#define MIGRATE_SEARCH_PATH "public, " MIGRATE_SCHEMA

struct db;

/* status 0: the schema is current (applied says how many ran now); -1: message says why. */
typedef void (*migrate_done_fn)(int status, int applied, const char *message, void *arg);

void migrate_run(struct db *db, migrate_done_fn fn, void *arg);

/* Highest migration version compiled in. */
int migrate_latest(void);
/* How many migrations are compiled in (versions may leave gaps: 001-005, then 010). */
int migrate_count(void);

#endif
