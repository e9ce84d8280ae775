/*
 * cmd_learn.h - raters learn (issue 17): qualify (an admin's decision on a rater's
 * qualification), reviews (the reviews of one's votes), reply (answer one once), mystats (one's
 * own quality numbers beside the project's median).
 */
#ifndef PREFCTL_CMD_LEARN_H
#define PREFCTL_CMD_LEARN_H

#include "ctl.h"

/* Terminated by an entry whose name is NULL. */
extern const struct ctl_cmd cmd_learn_cmds[];

#endif
