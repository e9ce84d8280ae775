/*
 * cmd_upload.h - streamed JSON Lines uploads: upload (prompts and responses) and import-votes
 * (historical votes). Both report accepted / unchanged / rejected and every rejected line.
 */
#ifndef PREFCTL_CMD_UPLOAD_H
#define PREFCTL_CMD_UPLOAD_H

#include "ctl.h"

/* Terminated by an entry whose name is NULL. */
extern const struct ctl_cmd cmd_upload_cmds[];

#endif
