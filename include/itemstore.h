/*
 * itemstore.h - how an upload's checked item lines (api_items.c) become items, responses and
 * comparisons: the storing steps of the upload's bulk kind (bulk.h).
 *
 * A checked record is {line, id, prompt, category, language, metadata?, gold?, gold_reason?,
 * digest, responses: [{model, text, style}]} (style: the answer's features as an integer[]
 * literal, style.h; digest: hex SHA-256 of the line's canonical JSON). A line
 * whose id is stored already with the same digest is unchanged, with another digest rejected
 * (code "conflict"); a line repeating an earlier line's id is unchanged or rejected (code
 * "duplicate") the same way. Every pair of a new item's responses is a comparison, with its
 * model pair's next turn (turns.h). Memory: one batch, plus the project's models and pairs.
 */
#ifndef ITEMSTORE_H
#define ITEMSTORE_H

#include "bulk.h"

void itemstore_open(struct bulk *b);
void itemstore_store(struct bulk *b, json_t *batch);
void itemstore_close(struct bulk *b);
void itemstore_free(void *state);

#endif
