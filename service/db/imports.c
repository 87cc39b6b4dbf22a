/* Imports: rows stream into a staging table with COPY on the import's own
 * connection and transaction; at the end one pipeline merges them, redoes
 * the rollups of the days they touched, clears the staging rows, records
 * the import and commits. A failure anywhere rolls all of it back. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_imports.h"
#include "db_internal.h"
#include "log.h"

/* COPY data is gathered and sent in pieces of about this size. */
enum { COPY_BUFFER_SIZE = 256 * 1024, COPY_LINE_MAX = 32 * 1024 };
_Static_assert(COPY_LINE_MAX > 16 * (2 * IMP_TEXT_MAX + 8), "a staged line with every text escaped must fit");

/* An import runs for as long as its upload: its statements may take far
 * longer than a request's 10 s, and it may wait for another import of the
 * same tenant to finish merging. */
/* While the file streams in, no statement timeout: COPY lasts as long as
 * the upload. Its merge then gets MERGE_SESSION_SQL's. Plans never depend
 * on statistics (a large import makes them stale, and ANALYZE inside the
 * transaction would hold a lock that queues every tenant's import): the
 * imports' statements are index walks by design, so sequential scans are
 * off for this connection. */
static const char IMPORT_SESSION_SQL[] =
    "SET statement_timeout = 0; SET lock_timeout = '10min'; SET work_mem = '256MB'; SET jit = off; "
    "SET enable_seqscan = off";
static const char MERGE_SESSION_SQL[] = "SET statement_timeout = '30min'";

/* What each kind stages, where, and how it merges: described once. */
struct kind_stage {
    const char *copy_sql;          /* COPY ... FROM STDIN (COPY cannot be prepared) */
    enum db_stmt merge;
    enum db_stmt rollups[6];       /* clear, recompute, clear, recompute ... */
    int n_rollups;
};

static const struct kind_stage KIND_STAGES[IMP_KIND_COUNT] = {
    [IMP_AMAZON_ALL_ORDERS] = {
        "COPY import_stage_order_lines (import_id, line, order_id, sku, purchased_at, last_updated_at, "
        "order_status, item_status, fulfillment, sales_channel, asin, quantity, currency, item_price, "
        "ship_country, cancelled) FROM STDIN",
        STMT_IMPORT_MERGE_ORDER_LINES,
        { STMT_IMPORT_SALES_CLEAR, STMT_IMPORT_SALES_ROLLUP, STMT_IMPORT_SALES_SPANS_CLEAR, STMT_IMPORT_SALES_SPANS,
          STMT_IMPORT_HEALTH_CLEAR, STMT_IMPORT_HEALTH_ROLLUP },
        6,
    },
    [IMP_AMAZON_FBA_RETURNS] = {
        "COPY import_stage_returns (import_id, line, source, return_key, order_id, sku, asin, returned_at, "
        "quantity, reason, category, status, disposition, currency, refunded_amount, a_to_z_claim) FROM STDIN",
        STMT_IMPORT_MERGE_RETURNS,
        { STMT_IMPORT_RETURNS_CLEAR, STMT_IMPORT_RETURNS_ROLLUP, STMT_IMPORT_RETURNS_SPANS_CLEAR,
          STMT_IMPORT_RETURNS_SPANS },
        4,
    },
    [IMP_AMAZON_FBM_RETURNS] = {
        "COPY import_stage_returns (import_id, line, source, return_key, order_id, sku, asin, returned_at, "
        "quantity, reason, category, status, disposition, currency, refunded_amount, a_to_z_claim) FROM STDIN",
        STMT_IMPORT_MERGE_RETURNS,
        { STMT_IMPORT_RETURNS_CLEAR, STMT_IMPORT_RETURNS_ROLLUP, STMT_IMPORT_RETURNS_SPANS_CLEAR,
          STMT_IMPORT_RETURNS_SPANS },
        4,
    },
    [IMP_EVENTS] = {
        "COPY import_stage_events (import_id, line, type, order_id, at, status, counts) FROM STDIN",
        STMT_IMPORT_MERGE_EVENTS,
        { STMT_IMPORT_HEALTH_CLEAR, STMT_IMPORT_HEALTH_ROLLUP },
        2,
    },
};

struct db_import {
    struct db *db;                 /* owned: this import's connection */
    enum imp_kind kind;
    char tenant[24], import_id[37], created_by[24], started_at[32];
    bool copying;                  /* COPY IN is open */
    char *copy;                    /* owned: COPY_BUFFER_SIZE bytes gathered */
    size_t copy_len;
};

/* ---- COPY text format: tab between fields, \N for NULL, escapes ---- */

struct line_out {
    char *p, *end;
    bool overflow;
};

static void out_char(struct line_out *o, char c)
{
    if (o->p < o->end)
        *o->p++ = c;
    else
        o->overflow = true;
}

static void out_text(struct line_out *o, const char *text)
{
    if (text == NULL) {
        out_char(o, '\\');
        out_char(o, 'N');
        return;
    }
    for (const char *s = text; *s; s++) {
        switch (*s) {
        case '\\': out_char(o, '\\'); out_char(o, '\\'); break;
        case '\t': out_char(o, '\\'); out_char(o, 't'); break;
        case '\n': out_char(o, '\\'); out_char(o, 'n'); break;
        case '\r': out_char(o, '\\'); out_char(o, 'r'); break;
        default: out_char(o, *s);
        }
    }
}

static void out_sep(struct line_out *o)
{
    out_char(o, '\t');
}

/* Optional text (NULL: empty, never SQL NULL), and the tab after it. */
static void out_field(struct line_out *o, const char *text)
{
    out_text(o, text != NULL ? text : "");
    out_sep(o);
}

static void out_int(struct line_out *o, int64_t v)
{
    char text[24];
    db_int_text(v, text);
    out_text(o, text);
}

static void out_bool(struct line_out *o, bool v)
{
    out_text(o, v ? "t" : "f");
}

/* Unix seconds as an ISO timestamp in UTC. */
static void out_time(struct line_out *o, int64_t t)
{
    time_t seconds = (time_t)t;
    struct tm tm;
    char text[40];
    if (gmtime_r(&seconds, &tm) == NULL || strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S+00", &tm) == 0) {
        o->overflow = true; /* out of range: refused as a line that does not fit */
        return;
    }
    out_text(o, text);
}

static void out_money(struct line_out *o, bool has, const char *currency, int64_t amount)
{
    out_text(o, has ? currency : NULL);
    out_sep(o);
    if (has)
        out_int(o, amount);
    else
        out_text(o, NULL);
}

static void format_record(struct line_out *o, const struct db_import *imp, const struct imp_record *r)
{
    out_text(o, imp->import_id);
    out_sep(o);
    out_int(o, r->line);
    out_sep(o);
    switch (imp->kind) {
    case IMP_AMAZON_ALL_ORDERS: {
        const struct imp_order_line *l = &r->u.order_line;
        out_field(o, l->order_id);
        out_field(o, l->sku);
        out_time(o, l->purchased_at); out_sep(o);
        out_time(o, l->last_updated_at); out_sep(o);
        out_field(o, l->order_status);
        out_field(o, l->item_status);
        out_field(o, l->fulfillment);
        out_field(o, l->sales_channel);
        out_field(o, l->asin);
        out_int(o, l->quantity); out_sep(o);
        out_money(o, l->has_price, l->currency, l->item_price); out_sep(o);
        out_field(o, l->ship_country);
        out_bool(o, l->cancelled);
        break;
    }
    case IMP_AMAZON_FBA_RETURNS:
    case IMP_AMAZON_FBM_RETURNS: {
        const struct imp_return *t = &r->u.ret;
        out_field(o, t->source);
        out_field(o, t->return_key);
        out_field(o, t->order_id);
        out_field(o, t->sku);
        out_field(o, t->asin);
        out_time(o, t->returned_at); out_sep(o);
        out_int(o, t->quantity); out_sep(o);
        out_field(o, t->reason);
        out_field(o, t->category);
        out_field(o, t->status);
        out_field(o, t->disposition);
        out_money(o, t->has_refund, t->currency, t->refunded_amount); out_sep(o);
        out_bool(o, t->a_to_z_claim);
        break;
    }
    case IMP_EVENTS: {
        const struct imp_event *e = &r->u.event;
        out_field(o, IMP_EVENT_TYPE_NAMES[e->type]);
        out_field(o, e->order_id);
        out_time(o, e->at); out_sep(o);
        out_field(o, e->status);
        out_bool(o, e->counts);
        break;
    }
    case IMP_KIND_COUNT:
        o->overflow = true;
        break;
    }
    out_char(o, '\n');
}

/* ---- the import's connection ---- */

static enum db_status exec_plain(struct db_import *imp, const char *sql, ExecStatusType expect)
{
    PGresult *res = PQexec(imp->db->conn, sql);
    enum db_status status = PQresultStatus(res) == expect ? DB_OK : db_classify(imp->db, res);
    if (status != DB_OK)
        log_msg(LOG_ERROR, "import %s: %.40s failed: %s", imp->import_id, sql,
                PQresultErrorMessage(res));
    PQclear(res);
    return status;
}

enum db_status db_import_begin(int64_t tenant_id, enum imp_kind kind, const char *import_id, const char *created_by,
                               const char *started_at, struct db_import **out)
{
    *out = NULL;
    if ((unsigned)kind >= IMP_KIND_COUNT)
        return DB_ERROR;
    struct db_import *imp = calloc(1, sizeof(*imp));
    if (imp == NULL || (imp->copy = malloc(COPY_BUFFER_SIZE)) == NULL) {
        free(imp);
        return DB_ERROR;
    }
    imp->kind = kind;
    db_int_text(tenant_id, imp->tenant);
    snprintf(imp->import_id, sizeof(imp->import_id), "%s", import_id);
    snprintf(imp->created_by, sizeof(imp->created_by), "%s", created_by != NULL ? created_by : "");
    snprintf(imp->started_at, sizeof(imp->started_at), "%s", started_at);
    char err[256];
    imp->db = db_open_own(err, sizeof(err));
    if (imp->db == NULL) {
        log_msg(LOG_WARN, "import %s: no connection: %s", import_id, err);
        db_import_free(imp);
        return DB_UNAVAILABLE;
    }
    enum db_status status = exec_plain(imp, IMPORT_SESSION_SQL, PGRES_COMMAND_OK);
    if (status == DB_OK)
        status = exec_plain(imp, "BEGIN ISOLATION LEVEL READ COMMITTED", PGRES_COMMAND_OK);
    if (status == DB_OK)
        status = exec_plain(imp, KIND_STAGES[kind].copy_sql, PGRES_COPY_IN);
    if (status != DB_OK) {
        db_import_free(imp);
        return status;
    }
    imp->copying = true;
    *out = imp;
    return DB_OK;
}

static enum db_status copy_flush(struct db_import *imp)
{
    if (imp->copy_len == 0)
        return DB_OK;
    if (PQputCopyData(imp->db->conn, imp->copy, (int)imp->copy_len) != 1) {
        log_msg(LOG_WARN, "import %s: sending rows failed: %s", imp->import_id, PQerrorMessage(imp->db->conn));
        return DB_UNAVAILABLE;
    }
    imp->copy_len = 0;
    return DB_OK;
}

enum db_status db_import_add(struct db_import *imp, const struct imp_record *record)
{
    if (!imp->copying || record->kind != imp->kind)
        return DB_ERROR;
    if (COPY_BUFFER_SIZE - imp->copy_len < COPY_LINE_MAX) {
        enum db_status status = copy_flush(imp);
        if (status != DB_OK)
            return status;
    }
    struct line_out o = { imp->copy + imp->copy_len, imp->copy + imp->copy_len + COPY_LINE_MAX, false };
    format_record(&o, imp, record);
    if (o.overflow) {
        log_msg(LOG_ERROR, "import %s: line %lld does not fit a staged row", imp->import_id, (long long)record->line);
        return DB_ERROR;
    }
    imp->copy_len = (size_t)(o.p - imp->copy);
    return DB_OK;
}

/* End COPY IN: with errormsg NULL its rows stand, else the server discards
 * them (and the transaction is then aborted). */
static enum db_status copy_end(struct db_import *imp, const char *errormsg)
{
    if (!imp->copying)
        return DB_OK;
    imp->copying = false;
    enum db_status status = errormsg == NULL ? copy_flush(imp) : DB_OK;
    if (PQputCopyEnd(imp->db->conn, status == DB_OK ? errormsg : "the import failed") != 1)
        return DB_UNAVAILABLE;
    PGresult *res;
    while ((res = PQgetResult(imp->db->conn)) != NULL) {
        if (status == DB_OK && errormsg == NULL && PQresultStatus(res) != PGRES_COMMAND_OK) {
            status = db_classify(imp->db, res);
            log_msg(LOG_ERROR, "import %s: staging failed: %s", imp->import_id, PQresultErrorMessage(res));
        }
        PQclear(res);
    }
    return status;
}

void db_import_free(struct db_import *imp)
{
    if (imp == NULL)
        return;
    if (imp->db != NULL) {
        if (imp->copying)
            copy_end(imp, "the import was abandoned");
        db_close(imp->db); /* closing rolls back whatever is open */
    }
    free(imp->copy);
    free(imp);
}

/* The imports row, in the transaction or alone. */
static enum db_status record_import(struct db_import *imp, struct db_import_summary *s, bool completed,
                                    const char *error)
{
    char bytes[24], read[24], inserted[24], updated[24], skipped[24], rejected[24];
    db_int_text(s->bytes, bytes);
    db_int_text(s->rows_read, read);
    db_int_text(completed ? s->inserted : 0, inserted);
    db_int_text(completed ? s->updated : 0, updated);
    db_int_text(completed ? s->skipped : 0, skipped);
    db_int_text(s->rejected, rejected);
    const char *params[] = {
        imp->tenant, imp->import_id, IMP_KIND_NAMES[imp->kind], completed ? "completed" : "failed",
        s->content_sha256[0] != '\0' ? s->content_sha256 : NULL, bytes, read, inserted, updated, skipped,
        rejected, s->rejected_rows != NULL ? s->rejected_rows : "[]", error,
        imp->created_by[0] != '\0' ? imp->created_by : NULL, imp->started_at,
    };
    enum db_status status;
    PGresult *res = db_exec(imp->db, STMT_IMPORT_RECORD, (int)(sizeof(params) / sizeof(params[0])), params, &status);
    if (res != NULL) {
        snprintf(s->finished_at, sizeof(s->finished_at), "%s", PQgetvalue(res, 0, db_column(res, "finished_at")));
        PQclear(res);
    }
    return status;
}

static void clear_calls(struct db_call *calls, int n)
{
    for (int i = 0; i < n; i++)
        PQclear(calls[i].result);
}

/* The tenant's lock and the merge; then the rollups of the days it touched
 * and the staging rows cleared. Two round trips. */
static enum db_status merge(struct db_import *imp, struct db_import_summary *s)
{
    const struct kind_stage *stage = &KIND_STAGES[imp->kind];
    int64_t valid = s->rows_read - s->rejected;
    enum db_status status = exec_plain(imp, MERGE_SESSION_SQL, PGRES_COMMAND_OK);
    if (status != DB_OK)
        return status;

    const char *tenant_params[] = { imp->tenant };
    const char *pair[] = { imp->tenant, imp->import_id };
    struct db_call calls[2] = {
        { .stmt = STMT_IMPORT_LOCK, .n_params = 1, .params = tenant_params },
        { .stmt = stage->merge, .n_params = 2, .params = pair },
    };
    status = db_exec_many(imp->db, calls, 2);
    if (status == DB_OK) {
        PGresult *res = calls[1].result;
        s->inserted = strtoll(PQgetvalue(res, 0, db_column(res, "inserted")), NULL, 10);
        s->updated = strtoll(PQgetvalue(res, 0, db_column(res, "updated")), NULL, 10);
        s->skipped = valid - s->inserted - s->updated;
        if (s->skipped < 0)
            s->skipped = 0;
    }
    clear_calls(calls, 2);
    if (status != DB_OK)
        return status;

    const char *import_params[] = { imp->import_id };
    struct db_call rollups[(int)(sizeof(stage->rollups) / sizeof(stage->rollups[0])) + 1];
    _Static_assert(sizeof(rollups) / sizeof(rollups[0]) <= DB_PIPELINE_MAX, "the rollups go in one round trip");
    int n = 0;
    for (int i = 0; i < stage->n_rollups; i++)
        rollups[n++] = (struct db_call){ .stmt = stage->rollups[i], .n_params = 2, .params = pair };
    rollups[n++] = (struct db_call){ .stmt = STMT_IMPORT_STAGE_CLEAR, .n_params = 1, .params = import_params };
    status = db_exec_many(imp->db, rollups, n);
    clear_calls(rollups, n);
    return status;
}

enum db_status db_import_commit(struct db_import *imp, struct db_import_summary *s)
{
    enum db_status status = copy_end(imp, NULL);
    if (status == DB_OK)
        status = merge(imp, s);
    if (status == DB_OK)
        status = record_import(imp, s, true, NULL);
    if (status == DB_OK) {
        PGresult *res = PQexec(imp->db->conn, "COMMIT");
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            status = db_classify(imp->db, res);
            /* No answer: whether it committed is unknown (the id tells). */
            if (status == DB_UNAVAILABLE || res == NULL)
                status = DB_COMMIT_UNKNOWN;
            log_msg(LOG_ERROR, "import %s: COMMIT failed: %s", imp->import_id, PQerrorMessage(imp->db->conn));
        }
        PQclear(res);
    }
    db_import_free(imp);
    return status;
}

enum db_status db_import_fail(struct db_import *imp, struct db_import_summary *s, const char *error)
{
    copy_end(imp, "the import was refused");
    enum db_status status = DB_OK;
    if (PQstatus(imp->db->conn) == CONNECTION_OK && PQtransactionStatus(imp->db->conn) != PQTRANS_IDLE)
        status = exec_plain(imp, "ROLLBACK", PGRES_COMMAND_OK);
    if (status == DB_OK)
        status = record_import(imp, s, false, error);
    db_import_free(imp);
    return status;
}

/* ---- reading ---- */

void db_import_row_cleanup(struct db_import_row *row)
{
    free(row->rejected_rows);
    free(row->error);
    row->rejected_rows = row->error = NULL;
}

static int64_t int_at(const PGresult *res, int row, const char *name)
{
    return strtoll(PQgetvalue(res, row, db_column(res, name)), NULL, 10);
}

static void text_at(const PGresult *res, int row, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s", PQgetvalue(res, row, db_column(res, name)));
}

static int row_read(const PGresult *res, int row, struct db_import_row *out)
{
    memset(out, 0, sizeof(*out));
    text_at(res, row, "import_id", out->import_id, sizeof(out->import_id));
    text_at(res, row, "kind", out->kind, sizeof(out->kind));
    text_at(res, row, "status", out->status, sizeof(out->status));
    text_at(res, row, "content_sha256", out->content_sha256, sizeof(out->content_sha256));
    text_at(res, row, "created_by", out->created_by, sizeof(out->created_by));
    text_at(res, row, "started_at", out->started_at, sizeof(out->started_at));
    text_at(res, row, "finished_at", out->finished_at, sizeof(out->finished_at));
    out->bytes = int_at(res, row, "bytes");
    out->rows_read = int_at(res, row, "rows_read");
    out->inserted = int_at(res, row, "inserted");
    out->updated = int_at(res, row, "updated");
    out->skipped = int_at(res, row, "skipped");
    out->rejected = int_at(res, row, "rejected");
    out->rejected_rows = strdup(PQgetvalue(res, row, db_column(res, "rejected_rows")));
    int error = db_column(res, "error");
    if (!PQgetisnull(res, row, error))
        out->error = strdup(PQgetvalue(res, row, error));
    return out->rejected_rows != NULL ? 0 : -1;
}

enum db_status db_imports_list(struct db *db, int64_t tenant_id, const char *after, int limit,
                               struct db_import_row **rows, int *count)
{
    *rows = NULL;
    *count = 0;
    char tenant[24], lim[24];
    db_int_text(tenant_id, tenant);
    db_int_text(limit, lim);
    const char *params[] = { tenant, after, lim };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_IMPORTS_LIST, 3, params, &status);
    if (res == NULL)
        return status;
    int n = PQntuples(res);
    if (n > 0 && (*rows = calloc((size_t)n, sizeof(**rows))) == NULL) {
        PQclear(res);
        return DB_ERROR;
    }
    for (int i = 0; i < n; i++) {
        if (row_read(res, i, &(*rows)[i]) != 0)
            status = DB_ERROR;
    }
    *count = n;
    PQclear(res);
    return status;
}

enum db_status db_import_get(struct db *db, int64_t tenant_id, const char *import_id, struct db_import_row *out)
{
    memset(out, 0, sizeof(*out));
    char tenant[24];
    db_int_text(tenant_id, tenant);
    const char *params[] = { tenant, import_id };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_IMPORT_GET, 2, params, &status);
    if (res == NULL)
        return status;
    if (PQntuples(res) == 0)
        status = DB_NOT_FOUND;
    else if (row_read(res, 0, out) != 0)
        status = DB_ERROR;
    PQclear(res);
    return status;
}
