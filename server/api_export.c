/*
 * api_export.c - GET .../votes?format=jsonl|csv|arena|dpo|sft|scores: a project's votes as a
 * download, streamed from a cursor.
 *
 * Every counted vote (rated votes on ordinary comparisons and imported votes; not control pairs),
 * oldest id first, filtered like the leaderboard. The rows come from a cursor inside a
 * repeatable-read, read-only transaction (one consistent snapshot however long the download),
 * EXPORT_FETCH at a time, and each fetch is written only once the client has taken the previous
 * ones: memory stays the same whatever the number of votes.
 */
#include "api.h"

#include "buf.h"
#include "db.h"
#include "log.h"
#include "qv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum export_format {
        EXPORT_JSONL,
        EXPORT_CSV,
        EXPORT_ARENA,
        EXPORT_DPO,
        EXPORT_SFT,
        EXPORT_SCORES
};

#define EXPORT_FETCH 2000

static const char *const format_names[] = { "jsonl", "csv", "arena", "dpo", "sft", "scores", NULL };

struct export
{
        struct req *req;
        enum export_format format;
        struct db_pin *pin;
        char slug[72];
        char category[128], language[64], since[64], until[64];
        unsigned long rows;
        bool rewrites;  /* dpo: the rewrite as chosen over the answer it improved */
        bool extended;  /* the project uses issue 14's parts: jsonl and csv carry them */
        bool streaming; /* the reply has begun */
        struct buf out; /* one fetch's formatted rows */
};

enum export_col {
        X_ID,
        X_CREATED,
        X_PROMPT_ID,
        X_CATEGORY,
        X_LANGUAGE,
        X_MODEL_A,
        X_MODEL_B,
        X_CHOICE,
        X_FLAGS_A, /* labels joined by ';' */
        X_FLAGS_B,
        X_RATIONALE,
        X_ELAPSED,
        X_RATER,
        X_GUIDELINES,
        X_SOURCE,
        X_EPOCH, /* created_at in Unix seconds */
        X_PROMPT,
        X_TEXT_A,
        X_TEXT_B,
        X_STRENGTH,
        X_SCORES, /* JSON */
        X_REWRITE,
        X_QUOTES,   /* JSON */
        X_MESSAGES, /* JSON */
};

/*
 * Whether the project uses the parts of rater work (its options, or conversations: the lookup
 * reads its items only when no option is set).
 */
static const char extended_sql[] = "SELECT p.strength "
                                   "OR p.criteria <> '[]' "
                                   "OR p.rewrite <> 'off' "
                                   "OR EXISTS (SELECT 1 FROM items i "
                                   "WHERE i.project_id = p.id AND i.messages IS NOT NULL) "
                                   "FROM projects p "
                                   "WHERE p.slug = $1";

static const char begin_sql[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/*
 * The export's cursor, columns in enum export_col's order. $1 the slug, $2 to $5 category,
 * language, since and until (NULL: any), $6 whether the rows need the texts (dpo, sft), $7
 * whether they need the item (the project is extended).
 */
static const char declare_sql[] =
    "DECLARE export NO SCROLL CURSOR FOR "
    "SELECT v.id, prefd_ts(v.created_at), v.prompt_ext, v.category, v.language, "
    "ml.name, mr.name, v.choice, array_to_string(v.flags_left, ';'), "
    "array_to_string(v.flags_right, ';'), v.rationale, v.elapsed_ms, "
    "coalesce(u.pseudonym, "
    "'x-' || substr(md5(v.project_id || ':' || v.rater_label), 1, 12)), "
    "v.guidelines_version, v.source, extract(epoch FROM v.created_at), "
    "i.prompt, ra.text, rb.text, v.strength, v.scores, v.rewrite, v.flag_quotes, "
    "i.messages "
    "FROM prefd_all_votes v "
    "JOIN models ml ON ml.id = v.model_left "
    "JOIN models mr ON mr.id = v.model_right "
    "LEFT JOIN users u ON u.id = v.rater_id "
    "LEFT JOIN items i ON ($6 OR $7) AND i.id = v.item_id "
    "LEFT JOIN responses ra ON $6 AND ra.item_id = v.item_id AND ra.model_id = v.model_left "
    "LEFT JOIN responses rb ON $6 AND rb.item_id = v.item_id AND rb.model_id = v.model_right "
    "WHERE v.project_id = (SELECT id FROM projects WHERE slug = $1) "
    "AND NOT v.is_gold "
    "AND ($2::text IS NULL OR v.category = $2) "
    "AND ($3::text IS NULL OR v.language = $3) "
    "AND ($4::timestamptz IS NULL OR v.created_at >= $4) "
    "AND ($5::timestamptz IS NULL OR v.created_at < $5) "
    "ORDER BY v.id";

static const char fetch_sql[] = "FETCH FORWARD " PREFD_STR(EXPORT_FETCH) " FROM export";

static const char *const csv_header =
    "vote_id,created_at,prompt_id,category,language,model_a,model_b,winner,flags_a,flags_b,"
    "rationale,elapsed_ms,rater,guidelines_version,source\r\n";
static const char *const csv_header_extended =
    "vote_id,created_at,prompt_id,category,language,model_a,model_b,winner,flags_a,flags_b,"
    "rationale,elapsed_ms,rater,guidelines_version,source,strength,scores,rewrite,flag_quotes,"
    "messages\r\n";

static void export_free(void *p)
{
        struct export *x = p;
        if (x->pin)
                db_unpin(x->pin); /* rolls back the read-only transaction */
        free(x->out.data);
        free(x);
}

/* A CSV field per RFC 4180: quoted when it holds a comma, quote or line break. */
static void put_csv(struct buf *b, const char *s)
{
        if (!strpbrk(s, ",\"\r\n")) {
                buf_str(b, s);
                return;
        }
        buf_put(b, "\"", 1);
        for (const char *p = s; *p; p++) {
                if (*p == '"')
                        buf_put(b, "\"", 1);
                buf_put(b, p, 1);
        }
        buf_put(b, "\"", 1);
}

static const char *winner_of(const char *choice, bool arena)
{
        if (strcmp(choice, "a") == 0)
                return "model_a";
        if (strcmp(choice, "b") == 0)
                return "model_b";
        if (strcmp(choice, "tie") == 0)
                return "tie";
        return arena ? "tie (bothbad)" : "both_bad";
}

static json_t *text_or_null(const struct db_res *r, int row, int col)
{
        return db_res_isnull(r, row, col) ? json_null() : json_string(db_res_value(r, row, col));
}

static json_t *int_or_null(const struct db_res *r, int row, int col)
{
        return db_res_isnull(r, row, col) ? json_null()
                                          : json_integer((json_int_t)db_res_int(r, row, col));
}

static json_t *flags_array(const char *joined)
{
        json_t *a = json_array();
        const char *p = joined;
        while (*p) {
                const char *end = strchr(p, ';');
                size_t n = end ? (size_t)(end - p) : strlen(p);
                json_array_append_new(a, json_stringn(p, n));
                p += n + (end ? 1 : 0);
        }
        return a;
}

static json_t *json_col(const struct db_res *r, int row, int col)
{
        json_t *v =
            db_res_isnull(r, row, col) ? NULL : json_loads(db_res_value(r, row, col), 0, NULL);
        return v ? v : json_null();
}

/* The parts of issue 14 in a jsonl row: strength, scores, rewrite, flag quotes, messages. */
static void extend_row(json_t *o, const struct db_res *r, int i)
{
        json_object_set_new(o, "strength", int_or_null(r, i, X_STRENGTH));
        json_object_set_new(o, "scores", json_col(r, i, X_SCORES));
        json_object_set_new(o, "rewrite", text_or_null(r, i, X_REWRITE));
        json_object_set_new(o, "flag_quotes", json_col(r, i, X_QUOTES));
        json_object_set_new(o, "messages", json_col(r, i, X_MESSAGES));
}

/* One JSON line (steals o). */
static void put_line(struct export *x, json_t *o)
{
        char *line = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(16)) : NULL;
        json_decref(o);
        if (!line) {
                x->out.oom = true;
                return;
        }
        buf_str(&x->out, line);
        buf_put(&x->out, "\n", 1);
        free(line);
        x->rows++;
}

/* An answer as TRL's layouts want it: the assistant's message in a conversation, else text. */
static json_t *answer(bool chat, const char *text)
{
        return chat ? json_pack("[{s:s, s:s}]", "role", "assistant", "content", text)
                    : json_string(text);
}

/* A preference pair in TRL's layout (conversational when the item has messages). */
static void dpo_line(struct export *x, const struct db_res *r, int i, json_t *messages,
                     const char *chosen, const char *rejected, const char *chosen_model,
                     const char *rejected_model)
{
        bool chat = !json_is_null(messages);
        json_t *prompt = chat ? json_incref(messages) : json_string(db_res_value(r, i, X_PROMPT));
        json_t *o = json_pack("{s:o, s:o, s:o, s:s, s:s}", "prompt", prompt, "chosen",
                              answer(chat, chosen), "rejected", answer(chat, rejected),
                              "chosen_model", chosen_model, "rejected_model", rejected_model);
        /* The rater's strength is of the answers' preference, not of a rewrite over one. */
        if (o && !x->rewrites && !db_res_isnull(r, i, X_STRENGTH))
                json_object_set_new(o, "strength", int_or_null(r, i, X_STRENGTH));
        put_line(x, o);
}

/*
 * The formats of rater work: sft (the prompt or messages, the rewrite as the answer), dpo of
 * conversations and dpo&rewrites=true (the rewrite chosen over the answer it improved; over
 * each answer when neither was better), scores (one row per scored answer).
 */
static void work_rows(struct export *x, const struct db_res *r, int i)
{
        const char *choice = db_res_value(r, i, X_CHOICE);
        bool decided = strcmp(choice, "a") == 0 || strcmp(choice, "b") == 0;
        bool a = choice[0] == 'a';
        if (x->format == EXPORT_SCORES) {
                json_t *scores = json_col(r, i, X_SCORES);
                for (int side = 0; side < 2 && json_is_object(scores); side++) {
                        json_t *s = json_object_get(scores, side ? "b" : "a");
                        if (!s || json_object_size(s) == 0)
                                continue;
                        put_line(x, json_pack("{s:I, s:o, s:s, s:o, s:O}", "vote_id",
                                              (json_int_t)db_res_int(r, i, X_ID), "prompt_id",
                                              text_or_null(r, i, X_PROMPT_ID), "model",
                                              db_res_value(r, i, side ? X_MODEL_B : X_MODEL_A),
                                              "rater", text_or_null(r, i, X_RATER), "scores", s));
                }
                json_decref(scores);
                return;
        }
        if (db_res_isnull(r, i, X_PROMPT) || db_res_isnull(r, i, X_TEXT_A) ||
            db_res_isnull(r, i, X_TEXT_B))
                return;
        json_t *messages = json_col(r, i, X_MESSAGES);
        bool chat = !json_is_null(messages);
        const char *rewrite = db_res_isnull(r, i, X_REWRITE) ? NULL : db_res_value(r, i, X_REWRITE);
        if (x->format == EXPORT_SFT && rewrite) {
                if (chat) {
                        json_t *turns = json_deep_copy(messages);
                        json_array_append_new(turns, json_pack("{s:s, s:s}", "role", "assistant",
                                                               "content", rewrite));
                        put_line(x, json_pack("{s:o, s:I, s:o}", "messages", turns, "vote_id",
                                              (json_int_t)db_res_int(r, i, X_ID), "prompt_id",
                                              text_or_null(r, i, X_PROMPT_ID)));
                } else {
                        put_line(x, json_pack("{s:s, s:s, s:I, s:o}", "prompt",
                                              db_res_value(r, i, X_PROMPT), "completion", rewrite,
                                              "vote_id", (json_int_t)db_res_int(r, i, X_ID),
                                              "prompt_id", text_or_null(r, i, X_PROMPT_ID)));
                }
        } else if (x->format == EXPORT_SFT) {
                /* a vote without a rewrite has no SFT row */
        } else if (x->rewrites) {
                for (int side = 0; rewrite && side < 2; side++) {
                        if (decided && side != (a ? 0 : 1))
                                continue;
                        dpo_line(x, r, i, messages, rewrite,
                                 db_res_value(r, i, side ? X_TEXT_B : X_TEXT_A), "rewrite",
                                 db_res_value(r, i, side ? X_MODEL_B : X_MODEL_A));
                }
        } else if (decided) {
                dpo_line(x, r, i, messages, db_res_value(r, i, a ? X_TEXT_A : X_TEXT_B),
                         db_res_value(r, i, a ? X_TEXT_B : X_TEXT_A),
                         db_res_value(r, i, a ? X_MODEL_A : X_MODEL_B),
                         db_res_value(r, i, a ? X_MODEL_B : X_MODEL_A));
        }
        json_decref(messages);
}

/* One row in the export's format (DPO rows without both texts or without a winner are left out). */
static void format_row(struct export *x, const struct db_res *r, int i)
{
        const char *choice = db_res_value(r, i, X_CHOICE);
        json_t *o = NULL;
        if (x->format == EXPORT_CSV) {
                for (int c = X_ID; c <= X_SOURCE; c++) {
                        if (c > X_ID)
                                buf_put(&x->out, ",", 1);
                        put_csv(&x->out,
                                c == X_CHOICE ? winner_of(choice, false) : db_res_value(r, i, c));
                }
                for (int c = X_STRENGTH; x->extended && c <= X_MESSAGES; c++) {
                        buf_put(&x->out, ",", 1);
                        put_csv(&x->out, db_res_value(r, i, c));
                }
                buf_put(&x->out, "\r\n", 2);
                x->rows++;
                return;
        }
        if (x->format == EXPORT_JSONL) {
                o = json_pack(
                    "{s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, "
                    "s:o, s:s}",
                    "vote_id", (json_int_t)db_res_int(r, i, X_ID), "created_at",
                    db_res_value(r, i, X_CREATED), "prompt_id", text_or_null(r, i, X_PROMPT_ID),
                    "category", db_res_value(r, i, X_CATEGORY), "language",
                    db_res_value(r, i, X_LANGUAGE), "model_a", db_res_value(r, i, X_MODEL_A),
                    "model_b", db_res_value(r, i, X_MODEL_B), "winner", winner_of(choice, false),
                    "flags_a", flags_array(db_res_value(r, i, X_FLAGS_A)), "flags_b",
                    flags_array(db_res_value(r, i, X_FLAGS_B)), "rationale",
                    db_res_value(r, i, X_RATIONALE), "elapsed_ms", int_or_null(r, i, X_ELAPSED),
                    "rater", text_or_null(r, i, X_RATER), "guidelines_version",
                    int_or_null(r, i, X_GUIDELINES), "source", db_res_value(r, i, X_SOURCE));
                if (o && x->extended)
                        extend_row(o, r, i);
        } else if (x->format == EXPORT_SFT || x->format == EXPORT_SCORES ||
                   (x->format == EXPORT_DPO && x->rewrites) ||
                   (x->format == EXPORT_DPO && !db_res_isnull(r, i, X_MESSAGES))) {
                work_rows(x, r, i);
                return;
        } else if (x->format == EXPORT_ARENA) {
                o = json_pack(
                    "{s:s, s:s, s:s, s:f, s:o, s:o, s:s}", "model_a", db_res_value(r, i, X_MODEL_A),
                    "model_b", db_res_value(r, i, X_MODEL_B), "winner", winner_of(choice, true),
                    "tstamp", db_res_double(r, i, X_EPOCH), "judge", text_or_null(r, i, X_RATER),
                    "question_id", text_or_null(r, i, X_PROMPT_ID), "language",
                    db_res_value(r, i, X_LANGUAGE));
        } else {
                bool decided = strcmp(choice, "a") == 0 || strcmp(choice, "b") == 0;
                if (!decided || db_res_isnull(r, i, X_PROMPT) || db_res_isnull(r, i, X_TEXT_A) ||
                    db_res_isnull(r, i, X_TEXT_B))
                        return;
                bool a = choice[0] == 'a';
                o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "prompt", db_res_value(r, i, X_PROMPT),
                              "chosen", db_res_value(r, i, a ? X_TEXT_A : X_TEXT_B), "rejected",
                              db_res_value(r, i, a ? X_TEXT_B : X_TEXT_A), "chosen_model",
                              db_res_value(r, i, a ? X_MODEL_A : X_MODEL_B), "rejected_model",
                              db_res_value(r, i, a ? X_MODEL_B : X_MODEL_A));
                if (o && !db_res_isnull(r, i, X_STRENGTH))
                        json_object_set_new(o, "strength", int_or_null(r, i, X_STRENGTH));
        }
        put_line(x, o);
}

static void fetch(struct export *x);

/* The connection is dead or the database failed after the stream began: cut it short. */
static void export_abort(struct export *x, const char *why)
{
        log_warn(x->req->id, "msg=export_aborted rows=%lu reason=%s", x->rows, LOGQ(why));
        req_stream_abort(x->req);
}

static void drained(struct req *r)
{
        fetch(r->state);
}

static void fetched(const struct db_res *res, void *arg)
{
        struct export *x = arg;
        struct req *r = x->req;
        if (db_res_status(res) != DB_OK) {
                if (x->streaming)
                        export_abort(x, db_res_message(res));
                else if (!req_db_failed(r, res))
                        req_reply_error(r, 500, "internal", NULL, "the export failed");
                return;
        }
        if (!x->streaming) {
                static const char *const types[] = {
                        "application/x-ndjson", "text/csv; charset=utf-8", "application/x-ndjson",
                        "application/x-ndjson", "application/x-ndjson",    "application/x-ndjson"
                };
                char disposition[160];
                snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s-%s.%s\"",
                         x->slug, format_names[x->format],
                         x->format == EXPORT_CSV ? "csv" : "jsonl");
                req_add_header(r, "Content-Disposition", disposition);
                req_stream_begin(r, 200, types[x->format]);
                x->streaming = true;
                if (x->format == EXPORT_CSV && !x->extended)
                        buf_str(&x->out, csv_header);
                else if (x->format == EXPORT_CSV)
                        buf_str(&x->out, csv_header_extended);
        }
        int rows = db_res_nrows(res);
        for (int i = 0; i < rows && !x->out.oom; i++)
                format_row(x, res, i);
        if (x->out.oom) {
                export_abort(x, "out of memory");
                return;
        }
        if (x->out.len && req_stream_write(r, x->out.data, x->out.len) != 0) {
                export_abort(x, "the client went away");
                return;
        }
        x->out.len = 0;
        if (rows < EXPORT_FETCH) {
                log_info(r->id, "msg=exported format=%s votes=%lu", format_names[x->format],
                         x->rows);
                req_stream_end(r);
                return;
        }
        /* Fetch more once the client has taken most of what is queued. */
        if (req_stream_congested(r))
                req_stream_on_drain(r, drained);
        else
                fetch(x);
}

static void fetch(struct export *x)
{
        if (!x->req->conn) {
                export_abort(x, "the client went away");
                return;
        }
        db_pin_query(x->pin, fetch_sql, 0, NULL, fetched, x);
}

static void declared(const struct db_res *res, void *arg)
{
        struct export *x = arg;
        if (req_db_failed(x->req, res))
                return;
        fetch(x);
}

static void export_begun(const struct db_res *res, void *arg)
{
        struct export *x = arg;
        if (req_db_failed(x->req, res))
                return;
        bool dpo = x->format == EXPORT_DPO || x->format == EXPORT_SFT;
        const char *params[] = { x->slug,
                                 x->category[0] ? x->category : NULL,
                                 x->language[0] ? x->language : NULL,
                                 x->since[0] ? x->since : NULL,
                                 x->until[0] ? x->until : NULL,
                                 dpo ? "true" : "false",
                                 x->extended ? "true" : "false" };
        db_pin_query(x->pin, declare_sql, 7, params, declared, x);
}

static void export_pinned(struct db_pin *pin, void *arg)
{
        struct export *x = arg;
        if (!pin) {
                req_reply_error(x->req, 503, "unavailable", NULL,
                                "the database is unavailable, try again shortly");
                return;
        }
        x->pin = pin;
        db_pin_script(pin, begin_sql, export_begun, x);
}

static void export_project(struct req *r, const struct db_res *res)
{
        struct export *x = r->state;
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", x->slug);
                return;
        }
        x->extended = strcmp(db_res_value(res, 0, 0), "t") == 0;
        db_pin(req_db_pool(r), export_pinned, x);
}

void api_export_votes(struct req *r)
{
        struct export *x = calloc(1, sizeof(*x));
        if (!x) {
                req_reply_oom(r);
                return;
        }
        x->req = r;
        req_set_state(r, x, export_free);
        req_db_may_lag(r); /* one snapshot of a standby's copy will do */
        snprintf(x->slug, sizeof(x->slug), "%s", req_param(r, 0));
        static const char *const known[] = { "format", "category", "language", "since",
                                             "until",  "rewrites", NULL };
        struct qv q;
        qv_init(&q, r, known);
        x->format = (enum export_format)qv_enum(&q, "format", format_names, EXPORT_JSONL);
        qv_text(&q, "category", x->category, sizeof(x->category));
        qv_text(&q, "language", x->language, sizeof(x->language));
        int64_t since_us = 0, until_us = 0;
        bool since = qv_timestamp(&q, "since", x->since, sizeof(x->since), false, &since_us);
        bool until = qv_timestamp(&q, "until", x->until, sizeof(x->until), false, &until_us);
        if (since && until)
                qv_order(&q, "since", since_us, "until", until_us);
        qv_bool(&q, "rewrites", &x->rewrites);
        if (x->rewrites && x->format != EXPORT_DPO)
                qv_fail(&q, "rewrites", "rewrites=true goes with format=dpo only");
        if (qv_reply(&q))
                return;
        const char *params[] = { x->slug };
        req_db(r, extended_sql, 1, params, export_project);
}
