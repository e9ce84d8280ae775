/*
 * cmd_rankings.h - what ML teams and analysts read: leaderboard, matrix (pairwise win rates)
 * and raters (per-rater quality statistics).
 */
#ifndef PREFCTL_CMD_RANKINGS_H
#define PREFCTL_CMD_RANKINGS_H

#include "ctl.h"

/* Terminated by an entry whose name is NULL. */
extern const struct ctl_cmd cmd_rankings_cmds[];

#endif
