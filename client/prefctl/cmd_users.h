/*
 * cmd_users.h - accounts: users add|list|disable|enable|token (admin; token also for oneself).
 */
#ifndef PREFCTL_CMD_USERS_H
#define PREFCTL_CMD_USERS_H

#include "ctl.h"

/* Terminated by an entry whose name is NULL. */
extern const struct ctl_cmd cmd_users_cmds[];

#endif
