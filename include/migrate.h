/*
 * migrate.h - applies the numbered migrations compiled into the binary (sql/NNN_name.sql).
 *
 * Under a PostgreSQL advisory lock (so that several prefd processes starting together take
 * turns), each pending migration runs in its own transaction together with the row recording
 * it in schema_migrations; an error rolls it back and stops. A database that already has
 * migrations this binary does not know is reported but accepted (a newer prefd ran).
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include "prefd.h"

struct db;

/* status 0: the schema is current (applied says how many ran now); -1: message says why. */
typedef void (*migrate_done_fn)(int status, int applied, const char *message, void *arg);

void migrate_run(struct db *db, migrate_done_fn fn, void *arg);

/* Highest migration version compiled in. */
int migrate_latest(void);

#endif
