/*
 * cmd_export.h - export: every vote of a project streamed from the server to stdout or a file.
 */
#ifndef PREFCTL_CMD_EXPORT_H
#define PREFCTL_CMD_EXPORT_H

#include "ctl.h"

/* Terminated by an entry whose name is NULL. */
extern const struct ctl_cmd cmd_export_cmds[];

#endif
