/* Shared by the files of the database layer only. */
#ifndef REDRESS_DB_INTERNAL_H
#define REDRESS_DB_INTERNAL_H

#include <libpq-fe.h>
#include <time.h>

#include "db.h"

/* Named statements of service/db/statements.sql, prepared at connect. */
enum db_stmt {
    STMT_TENANT_ENSURE,
    STMT_API_KEY_INSERT,
    STMT_API_KEY_LOOKUP,
    STMT_IDEMPOTENCY_CLAIM,
    STMT_BUYER_LOCK,
    STMT_BUYER_HISTORY,
    STMT_CASE_INSERT,
    STMT_CASE_EXISTS,
    STMT_CASE_GET,
    STMT_CASE_LOCK,
    STMT_CASES_SEARCH,
    STMT_OUTCOME_INSERT,
    STMT_OUTCOME_NEXT_REVISION,
    STMT_OUTCOME_EXISTS,
    STMT_BUYER_SUMMARY,
    STMT_IDEMPOTENCY_PURGE,
    STMT_COST_SETTINGS,
    STMT_TENANT_COSTS_UPSERT,
    STMT_SKU_COSTS_UPSERT,
    STMT_API_KEY_TOUCH,
    STMT_API_KEY_LIST,
    STMT_API_KEY_REVOKE,
    STMT_POLICY_CURRENT,
    STMT_POLICY_VERSION_GET,
    STMT_POLICY_INSERT,
    STMT_POLICY_VERSIONS_LIST,
    STMT_TENANT_CREATED_AT,
    STMT_CASES_REPLAY_PAGE,
    /* imports (db/imports.c) */
    STMT_IMPORT_LOCK,
    STMT_IMPORT_MERGE_ORDER_LINES,
    STMT_IMPORT_MERGE_RETURNS,
    STMT_IMPORT_MERGE_EVENTS,
    STMT_IMPORT_SALES_CLEAR,
    STMT_IMPORT_SALES_ROLLUP,
    STMT_IMPORT_RETURNS_CLEAR,
    STMT_IMPORT_RETURNS_ROLLUP,
    STMT_IMPORT_HEALTH_CLEAR,
    STMT_IMPORT_HEALTH_ROLLUP,
    STMT_IMPORT_STAGE_CLEAR,
    STMT_IMPORT_RECORD,
    STMT_IMPORTS_LIST,
    STMT_IMPORT_GET,
    STMT_IMPORT_SALES_SPANS_CLEAR,
    STMT_IMPORT_SALES_SPANS,
    STMT_IMPORT_RETURNS_SPANS_CLEAR,
    STMT_IMPORT_RETURNS_SPANS,
    /* reports (db/reports.c) */
    STMT_REPORT_CASE_SUMMARY,
    STMT_REPORT_OUTCOME_SUMMARY,
    STMT_REPORT_SKUS,
    STMT_REPORT_HEALTH_DAYS,
    STMT_REPORT_RESPONSE_DAYS,
    /* case rollups and decision inputs (db/cases.c) */
    STMT_CASE_ACCOUNT,
    /* ticket links (db/cases.c) */
    STMT_CASE_TICKET_INSERT,
    STMT_CASE_TICKET_LOOKUP,
    /* outbox (db/outbox.c) */
    STMT_OUTBOX_CLAIM,
    STMT_OUTBOX_RECORD,
    STMT_OUTBOX_NEXT_DUE,
    STMT_OUTBOX_PUSH_BACK,
    STMT_DELIVERIES_PAGE,
    STMT_DELIVERY_EXISTS,
    /* connector settings (db/connectors.c) */
    STMT_CONNECTOR_SETTINGS_GET,
    STMT_CONNECTOR_SETTINGS_PUT,
    /* the conversation on a case (db/messages.c) */
    STMT_MESSAGE_CASE,
    STMT_MESSAGE_NEXT_SEQ,
    STMT_MESSAGE_INSERT,
    STMT_MESSAGE_EXISTS,
    STMT_CASE_MESSAGES,
    /* sessions (db/sessions.c) */
    STMT_SESSION_INSERT,
    STMT_SESSION_LOOKUP,
    STMT_SESSION_REVOKE,
    STMT_SESSIONS_PURGE,
    STMT_COUNT
};

struct db {
    PGconn *conn;
    bool prepared;
    struct timespec prepared_at; /* see db_set_replan_interval_ms() */
    int replans;
    /* Set by the transaction helper: the first statement carries BEGIN
     * (one round trip, pipelined) ... */
    bool begin_pending;
    char begin_sql[64];
    /* ... and db_exec_commit() sends the last one with COMMIT. */
    bool committed;
    enum db_status commit_status;
    /* COMMIT was sent and its answer never came: the transaction helper
     * must not run the work again, only check whether it landed. */
    bool commit_unknown;
    /* The connection is in a state nothing can use (a pipeline that would
     * not end): made again before the next use. */
    bool broken;
    /* The constraint behind the last DB_CONFLICT (PG_DIAG_CONSTRAINT_NAME),
     * "" if the server named none. */
    char conflict_constraint[64];
};

/** Name of a statement in statements.sql. */
const char *db_stmt_name(enum db_stmt stmt);

/** Parse statements.sql; NULL when every statement is there, else a message
 * naming what is missing (static storage). */
const char *db_statements_load(void);

/** SQL text of a statement (after db_statements_load). */
const char *db_stmt_sql(enum db_stmt stmt);

/** Run a prepared statement with text parameters. On success returns the
 * result (caller PQclear()s it) and sets *status to DB_OK; on failure
 * returns NULL with *status classified (and the error logged). */
PGresult *db_exec(struct db *db, enum db_stmt stmt, int n_params, const char *const *params,
                  enum db_status *status);

/** One statement of a pipeline, and what came back for it. */
struct db_call {
    enum db_stmt stmt;
    int n_params;
    const char *const *params;
    PGresult *result;        /* out: caller PQclear()s it; NULL on failure */
    enum db_status status;   /* out */
};

/* The most statements db_exec_many sends in one round trip. */
enum { DB_PIPELINE_MAX = 8 };

/** Run the calls in one round trip (with a pending BEGIN in front). The
 * server runs them in order, each with its own snapshot. Returns the first
 * failure, or DB_OK. */
enum db_status db_exec_many(struct db *db, struct db_call *calls, int n);

/** db_exec, then COMMIT in the same round trip (pipelined). Only inside
 * db_run_transaction; the helper then reports the commit's outcome. */
PGresult *db_exec_commit(struct db *db, enum db_stmt stmt, int n_params, const char *const *params,
                         enum db_status *status);

/** Send a pending BEGIN now (for callbacks that use libpq directly). */
enum db_status db_flush_begin(struct db *db);

/** Read a cost_settings row into out. */
void db_cost_settings_from_result(const PGresult *res, struct db_cost_settings *out);

/** Classify a failed result (NULL allowed) on this connection. */
enum db_status db_classify(struct db *db, const PGresult *res);

/** A connection of the caller's own (not a thread's), prepared, on the
 * service's connection string (db_global_init). Close with db_close. */
struct db *db_open_own(char *err, size_t err_size);

/** Open a connection with the service's settings (timeouts, name). */
PGconn *db_connect_raw(const char *conninfo, char *err, size_t err_size);

/** A result's column by name. A name the statement does not give means
 * statements.sql and its reader disagree: a bug every test would hit, so
 * it is logged and stops the program. */
int db_column(const PGresult *res, const char *name);

/** v as decimal text, for a statement's parameter. */
void db_int_text(int64_t v, char out[24]);

/* Shared by the writes that honour an Idempotency-Key (db/cases.c): cases,
 * outcomes and messages on a case. */

/** bytea as PostgreSQL's hex text ("\\x..."); out holds 2 + 2n + 1. */
void db_bytea_text(const uint8_t *data, size_t n, char *out);

/** How an idempotency_claim row settles a request. */
enum db_key_claim { KEY_NEW, KEY_IN_FLIGHT, KEY_MISMATCH, KEY_REPLAY };

/** Read an idempotency_claim row against this request's hash. For
 * KEY_REPLAY, *replay_body gets the stored response (malloc'd; on
 * allocation failure *status is DB_ERROR) and replay_case_id its case. */
enum db_key_claim db_key_claim_read(const PGresult *res, const uint8_t request_hash[32], char **replay_body,
                                    char *replay_case_id, size_t id_size, enum db_status *status);

/** A failed keyed write: a race on the key is DB_SERIALIZATION (run again,
 * the claim then replays); any other conflict is DB_ERROR. */
enum db_status db_write_failure(const struct db *db, enum db_status status);

/** After DB_COMMIT_UNKNOWN: on a fresh connection (stored in *dbp), take
 * `lock` (the lock the interrupted transaction held), then run `find`;
 * DB_OK with *landed set when find returned a row, or DB_UNAVAILABLE when
 * it cannot tell. */
enum db_status db_landed_after_lost_commit(struct db **dbp, struct db_call lock, struct db_call find,
                                           bool *landed);

#endif
