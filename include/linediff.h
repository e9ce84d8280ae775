/*
 * linediff.h - the line diff of two texts (the guideline-change notice of issue 17): which
 * lines of the old text were removed, which of the new one added, and which kept, in order.
 *
 * The common first and last lines are matched directly; the lines between by a longest common
 * subsequence (dynamic programming). Cost: O(n + m) plus (n' + 1)(m' + 1) bytes and steps for
 * the n' and m' lines that differ; beyond LINEDIFF_MAX_CELLS cells the changed block is given
 * as all removed, then all added. Pure C, no I/O: run it on a worker for large texts.
 */
#ifndef LINEDIFF_H
#define LINEDIFF_H

#include "prefd.h"

#include <jansson.h>

#define LINEDIFF_MAX_CELLS (16L * 1024 * 1024)

/*
 * The diff of old_text and new_text (UTF-8, lines split at \n) as a JSON array of
 * {"op": "same" | "removed" | "added", "text": line} (owned by caller), or NULL when out of
 * memory.
 */
json_t *linediff(const char *old_text, const char *new_text);

#endif
