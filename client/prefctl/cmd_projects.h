/*
 * cmd_projects.h - the project commands: projects list|create|update|show, and progress.
 */
#ifndef PREFCTL_CMD_PROJECTS_H
#define PREFCTL_CMD_PROJECTS_H

#include "ctl.h"

/* Terminated by an entry whose name is NULL. */
extern const struct ctl_cmd cmd_projects_cmds[];

#endif
