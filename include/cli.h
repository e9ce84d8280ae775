/*
 * cli.h - prefd's administrative commands, run against the database with the same event loop
 * and db.c as the server, then exiting:
 *
 *   prefd migrate                          apply pending migrations, then exit
 *   prefd user add NAME --role ROLE [--password-stdin]
 *                                          create a user; print its API token on stdout
 *   prefd user token NAME                  issue a new API token (the old one stops working)
 *
 * Each returns the process exit status: 0 success, 1 failure (message on stderr), 2 usage.
 */
#ifndef CLI_H
#define CLI_H

struct app;

int cli_migrate(struct app *app);
int cli_user(struct app *app, int argc, char **argv);

#endif
