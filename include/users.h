/*
 * users.h - what the API and the command line share about accounts: the rule for names and the
 * statements that create a user and issue a token (sql/functions/prefd_user_add.sql and
 * prefd_token_issue.sql).
 */
#ifndef USERS_H
#define USERS_H

#include "prefd.h"

/* $1 name, $2 role, $3 password hash or NULL, $4 hex SHA-256 of the first token -> id, name,
 * role; a unique violation (DB_UNIQUE_VIOLATION) when the name is taken. */
extern const char *const users_add_sql;
/* $1 name, $2 hex SHA-256 of the new token -> user_id, no row when there is no such user. */
extern const char *const users_token_sql;

/* The description of a valid name, for messages. */
#define USERS_NAME_RULE "letters, digits and _ . @ - (not first), up to 64"

/* True for a user name: 1..64 of [A-Za-z0-9_.@-], starting with a letter or digit. */
bool users_valid_name(const char *s);

#endif
