/*
 * tally_sync.c - keeping the vote index of tally.c current from PostgreSQL's change feed: the
 * feed of rated votes and imports since a project's watermark (transaction ids), then each new
 * import's votes, FEED_CHUNK rows a statement; the scheme is in tally.h, the representation in
 * tally_index.h.
 */
#include "tally_index.h"

#include "db.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

#define FEED_CHUNK 10000 /* rows per statement while loading: parsed on the loop, a few ms each */

/* The changes since the mark (sql/functions/prefd_tally_feed.sql). */
static const char feed_sql[] = "SELECT * "
                               "FROM prefd_tally_feed($1, $2::xid8, $3, $4)";
/* One import's votes (sql/functions/prefd_tally_imported.sql). */
static const char imported_sql[] = "SELECT * "
                                   "FROM prefd_tally_imported($1, $2, $3, $4, $5)";

static void sync_step(struct project *p);

static void finish_sync(struct project *p, int status, const char *message)
{
        struct tally *t = p->tally;
        struct waiter *w = p->waiting;
        p->waiting = NULL;
        p->phase = SYNC_IDLE;
        p->ntodo = p->todo_at = 0;
        if (status == 0) {
                /* Forget what the new watermark already covers. */
                p->watermark = p->next_watermark;
                p->epoch = p->next_epoch;
                size_t k = 0;
                u64map_fini(&p->seen_map);
                for (size_t i = 0; i < p->nseen; i++)
                        if (p->seen_votes[i].txid >= p->watermark) {
                                p->seen_votes[k++] = p->seen_votes[i];
                                if (u64map_put(&p->seen_map, (uint64_t)p->seen_votes[i].id, 1) != 0)
                                        status = -1;
                        }
                p->nseen = k;
                k = 0;
                for (size_t i = 0; i < p->nimports; i++)
                        if (p->seen_imports[i].txid >= p->watermark)
                                p->seen_imports[k++] = p->seen_imports[i];
                p->nimports = k;
                p->loaded = status == 0;
                if (!p->sorted) {
                        /* Sorted once here, so that no request pays for it. */
                        tally_project_sort(p);
                }
                if (status != 0)
                        message = "out of memory";
        }
        if (status != 0) {
                /* A half-read index is worthless: start over next time. */
                log_warn(NULL, "msg=tally_sync_failed project=%lld detail=%s", (long long)p->id,
                         LOGQ(message));
                tally_project_clear(p);
        }
        p->last_used = ++t->clock;
        while (w) {
                struct waiter *next = w->next;
                w->fn(status, message, w->arg);
                free(w);
                w = next;
        }
        /* Requests that came during this sync need one that started after them. */
        if (p->queued) {
                p->waiting = p->queued;
                p->queued = NULL;
                if (!p->loaded)
                        p->watermark = 0;
                sync_step(p);
                return;
        }
        tally_evict(t, p);
}

static enum tally_choice choice_of(const char *s)
{
        return s[0] == 'a'                   ? TALLY_LEFT
               : s[0] == 'b' && s[1] == '\0' ? TALLY_RIGHT
               : s[0] == 't'                 ? TALLY_TIE
                                             : TALLY_BOTH_BAD;
}

/* "{chars,headers,lists,bold}" (an integer[] as text) into f; false when absent or malformed. */
static bool parse_style(const char *text, float *f)
{
        const char *q = text;
        if (!q || *q++ != '{')
                return false;
        for (int k = 0; k < TALLY_STYLE; k++) {
                char *end;
                long v = strtol(q, &end, 10);
                if (end == q || v < 0 || *end != (k + 1 < TALLY_STYLE ? ',' : '}'))
                        return false;
                f[k] = (float)v;
                q = end + 1;
        }
        return *q == '\0';
}

/* The style of a row whose answers' features are in columns col, col + 1 (NULL when either is
 * not known). */
static const struct tally_style *row_style(const struct db_res *res, int row, int col,
                                           struct tally_style *st)
{
        if (db_res_isnull(res, row, col) || db_res_isnull(res, row, col + 1) ||
            !parse_style(db_res_value(res, row, col), st->left) ||
            !parse_style(db_res_value(res, row, col + 1), st->right))
                return NULL;
        return st;
}

static void imported_read(const struct db_res *res, void *arg)
{
        struct project *p = arg;
        if (db_res_status(res) != DB_OK) {
                finish_sync(p, -1, db_res_message(res));
                return;
        }
        int rows = db_res_nrows(res);
        for (int i = 0; i < rows; i++) {
                struct tally_style st;
                if (tally_project_add(p, db_res_int(res, i, 1), db_res_int(res, i, 2),
                                      choice_of(db_res_value(res, i, 3)), db_res_value(res, i, 4),
                                      db_res_value(res, i, 5), db_res_int(res, i, 6), 0,
                                      row_style(res, i, 7, &st), 0) != 0) {
                        finish_sync(p, -1, "out of memory");
                        return;
                }
        }
        if (rows == FEED_CHUNK) {
                p->import_after = db_res_int(res, rows - 1, 0);
        } else {
                /* This import is in: remember it, go to the next. */
                const struct pending_import *s = &p->todo[p->todo_at];
                if (tally_reserve((void **)&p->seen_imports, &p->imports_cap, p->nimports,
                                  sizeof(struct seen)) != 0) {
                        finish_sync(p, -1, "out of memory");
                        return;
                }
                p->seen_imports[p->nimports++] = (struct seen){ .id = s->id, .txid = s->txid };
                if (++p->todo_at < p->ntodo)
                        p->import_after = p->todo[p->todo_at].first_id - 1;
        }
        sync_step(p);
}

static void feed_read(const struct db_res *res, void *arg)
{
        struct project *p = arg;
        if (db_res_status(res) != DB_OK) {
                finish_sync(p, -1, db_res_message(res));
                return;
        }
        int rows = db_res_nrows(res), votes = 0;
        /* Exclusions changed what counts since this index was read: read it all again. */
        for (int i = 0; i < rows && p->after_id == 0 && p->loaded; i++) {
                if (db_res_value(res, i, 0)[0] == 'x' && db_res_int(res, i, 2) != p->epoch) {
                        log_info(NULL, "msg=tally_reload project=%lld reason=epoch",
                                 (long long)p->id);
                        struct waiter *w = p->waiting;
                        p->waiting = NULL;
                        tally_project_clear(p);
                        p->waiting = w;
                        p->phase = SYNC_IDLE;
                        sync_step(p);
                        return;
                }
        }
        for (int i = 0; i < rows; i++) {
                const char *kind = db_res_value(res, i, 0);
                if (kind[0] == 'x') {
                        if (p->after_id == 0) {
                                p->next_watermark = strtoull(db_res_value(res, i, 1), NULL, 10);
                                p->next_epoch = db_res_int(res, i, 2);
                        }
                        continue;
                }
                uint64_t txid = strtoull(db_res_value(res, i, 8), NULL, 10);
                int64_t id = db_res_int(res, i, 1);
                if (kind[0] == 'i') {
                        bool known = false;
                        for (size_t k = 0; k < p->nimports && !known; k++)
                                known = p->seen_imports[k].id == id;
                        if (known)
                                continue;
                        if (tally_reserve((void **)&p->todo, &p->todo_cap, p->ntodo,
                                          sizeof(*p->todo)) != 0) {
                                finish_sync(p, -1, "out of memory");
                                return;
                        }
                        p->todo[p->ntodo++] =
                            (struct pending_import){ .id = id,
                                                     .txid = txid,
                                                     .first_id = db_res_int(res, i, 2),
                                                     .last_id = db_res_int(res, i, 3),
                                                     .votes = db_res_int(res, i, 9) };
                        continue;
                }
                votes++;
                p->after_id = id;
                uint32_t one;
                if (u64map_get(&p->seen_map, (uint64_t)id, &one))
                        continue; /* read by an earlier sync */
                struct tally_style st;
                if (tally_project_add(
                        p, db_res_int(res, i, 2), db_res_int(res, i, 3),
                        choice_of(db_res_value(res, i, 4)), db_res_value(res, i, 5),
                        db_res_value(res, i, 6), db_res_int(res, i, 7), db_res_int(res, i, 9),
                        row_style(res, i, 10, &st),
                        db_res_isnull(res, i, 12) ? 0 : (int)db_res_int(res, i, 12)) != 0 ||
                    tally_reserve((void **)&p->seen_votes, &p->seen_cap, p->nseen,
                                  sizeof(struct seen)) != 0 ||
                    u64map_put(&p->seen_map, (uint64_t)id, 1) != 0) {
                        finish_sync(p, -1, "out of memory");
                        return;
                }
                p->seen_votes[p->nseen++] = (struct seen){ .id = id, .txid = txid };
        }
        if (votes < FEED_CHUNK) {
                p->phase = SYNC_IMPORT; /* all rated votes are in */
                if (p->ntodo)
                        p->import_after = p->todo[0].first_id - 1;
                /* the imports' votes are counted: room for exactly them, no doubling */
                size_t more = 0;
                for (size_t k = 0; k < p->ntodo; k++)
                        more += p->todo[k].votes > 0 ? (size_t)p->todo[k].votes : 0;
                if (tally_project_reserve(p, p->nrecs + more) != 0) {
                        finish_sync(p, -1, "out of memory");
                        return;
                }
        }
        sync_step(p);
}

/* Issues the next statement of the sync in progress, or ends it. */
static void sync_step(struct project *p)
{
        char project[24], mark[24], after[24], chunk[24], first[24], last[24], import[24];
        snprintf(project, sizeof(project), "%lld", (long long)p->id);
        snprintf(chunk, sizeof(chunk), "%d", FEED_CHUNK);
        if (p->phase == SYNC_IDLE) {
                p->phase = SYNC_FEED;
                p->after_id = 0;
                p->ntodo = p->todo_at = 0;
                p->import_after = 0;
        }
        if (p->phase == SYNC_FEED) {
                snprintf(mark, sizeof(mark), "%llu", (unsigned long long)p->watermark);
                snprintf(after, sizeof(after), "%lld", (long long)p->after_id);
                const char *params[] = { project, mark, after, chunk };
                /* One statement, one snapshot: its xmin and the rows written since the mark. */
                db_query(p->tally->db, feed_sql, 4, params, feed_read, p);
                return;
        }
        if (p->todo_at < p->ntodo) {
                const struct pending_import *s = &p->todo[p->todo_at];
                snprintf(import, sizeof(import), "%lld", (long long)s->id);
                snprintf(first, sizeof(first), "%lld", (long long)p->import_after);
                snprintf(last, sizeof(last), "%lld", (long long)s->last_id);
                const char *params[] = { project, import, first, last, chunk };
                db_query(p->tally->db, imported_sql, 5, params, imported_read, p);
                return;
        }
        finish_sync(p, 0, NULL);
}

void tally_sync(struct tally *t, int64_t project, tally_done_fn fn, void *arg)
{
        struct project *p = tally_project(t, project);
        struct waiter *w = malloc(sizeof(*w));
        if (!p || !w) {
                free(w);
                fn(-1, "out of memory", arg);
                return;
        }
        w->fn = fn;
        w->arg = arg;
        if (p->phase != SYNC_IDLE) {
                w->next = p->queued;
                p->queued = w;
                return;
        }
        w->next = NULL;
        p->waiting = w;
        if (!p->loaded)
                p->watermark = 0;
        sync_step(p);
}
