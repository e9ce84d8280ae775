/*
 * voteparts.h - the parts of rater work beyond the choice (issue 14): the shape of a project's
 * "criteria" option, of an item's "messages" (a conversation), and of a vote's "strength",
 * "scores", "rewrite" and flags with quoted passages. Shapes only: what a project takes (its
 * criteria's scales, whether it takes a strength or a rewrite) is checked by prefd_votes.
 */
#ifndef VOTEPARTS_H
#define VOTEPARTS_H

#include "jsonv.h"

#include <stddef.h>

/* Criteria per project and their scales. */
#define VOTEPARTS_MAX_CRITERIA 16
#define VOTEPARTS_MAX_SCALE    10

/* Validates the project field "criteria" of v's object, when present. */
void voteparts_criteria(struct jv *v);

/*
 * Validates the item field "messages" of v's object (system, user and assistant turns, ending
 * with a user turn, each content at most max_text bytes). Returns the last user turn's content
 * (borrowed), NULL when absent or failed.
 */
const char *voteparts_messages(struct jv *v, size_t max_text);

/* Adds "html" (the Markdown rendered safely) to each message of a messages array (borrowed). */
void voteparts_render_messages(json_t *messages);

/*
 * Validates the vote fields "flags", "strength", "scores" and "rewrite" of v's object and adds
 * what prefd_votes reads to elem: flags_left and flags_right (names), quotes ({"a": [{"flag",
 * "quote"}], "b": [...]}, only when some flag has a quote), strength, scores, rewrite.
 */
void voteparts_vote(struct jv *v, json_t *elem);

#endif
