/* Cases, outcomes, buyers and idempotency keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_internal.h"
#include "engine.h"
#include "log.h"

static void int_text(int64_t v, char out[24])
{
    snprintf(out, 24, "%lld", (long long)v);
}

static void bytea_text(const uint8_t *data, size_t n, char *out)
{
    out[0] = '\\';
    out[1] = 'x';
    crypto_hex(data, n, out + 2);
}

/* Copy a column out of a result (caller frees); NULL on allocation failure. */
static char *copy_value(const PGresult *res, int row, int col)
{
    return strdup(PQgetvalue(res, row, col));
}

void db_case_new_cleanup(struct db_case_new *c)
{
    free(c->response_body);
    free(c->replay_body);
    c->response_body = c->replay_body = NULL;
}

static void history_from_result(const PGresult *res, struct eng_history *out)
{
    memset(out, 0, sizeof(*out));
    out->cases_90d = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    out->cases_365d = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    out->same_category_90d = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    out->refunded_90d = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    out->refunded_amount_365d = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    out->spent_365d = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
    out->not_received_365d = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
    out->abuse_confirmed = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
}

enum db_status db_buyer_history(struct db *db, int64_t tenant_id, const char *buyer_id, const char *category,
                                const char *currency, struct eng_history *out)
{
    char tenant[24];
    int_text(tenant_id, tenant);
    const char *const params[] = { tenant, buyer_id, category, currency };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_BUYER_HISTORY, 4, params, &status);
    if (res == NULL)
        return status;
    history_from_result(res, out);
    PQclear(res);
    return DB_OK;
}

struct create_ctx {
    struct db_case_new *c;
    db_decide_fn decide;
    void *cls;
};

/* Read the key's claim: sets c->result and returns true when the key
 * settles the request (in flight, mismatch, replay). */
static bool key_settles(const PGresult *res, struct db_case_new *c, enum db_status *status)
{
    *status = DB_OK;
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        c->result = CASE_KEY_IN_FLIGHT;
        return true;
    }
    if (PQgetisnull(res, 0, 1))
        return false;
    char expected[2 + 64 + 1];
    bytea_text(c->request_hash, 32, expected);
    if (strcmp(PQgetvalue(res, 0, 1), expected) != 0) {
        c->result = CASE_KEY_MISMATCH;
        return true;
    }
    c->result = CASE_REPLAYED;
    snprintf(c->replay_case_id, sizeof(c->replay_case_id), "%s", PQgetvalue(res, 0, 2));
    free(c->replay_body);
    c->replay_body = copy_value(res, 0, 4);
    if (c->replay_body == NULL)
        *status = DB_ERROR;
    return true;
}

/* Two round trips: [BEGIN, key claim, buyer lock, history, cost settings], then the
 * insert with COMMIT. The history statement starts after the buyer lock is
 * granted, so its snapshot holds every claim committed meanwhile. */
static enum db_status create_in_transaction(struct db *db, void *cls)
{
    struct create_ctx *ctx = cls;
    struct db_case_new *c = ctx->c;
    char tenant[24];
    int_text(c->tenant_id, tenant);
    c->result = CASE_CREATED;
    const char *const key[] = { tenant, c->idempotency_key };
    const char *const buyer[] = { tenant, c->buyer_id };
    const char *const history_params[] = { tenant, c->buyer_id, c->category, c->currency };
    const char *const cost_params[] = { tenant, c->sku };
    struct db_call calls[4];
    int n = 0, claim = -1;
    if (c->idempotency_key != NULL) {
        claim = n;
        calls[n++] = (struct db_call){ STMT_IDEMPOTENCY_CLAIM, 2, key, NULL, DB_OK };
    }
    calls[n++] = (struct db_call){ STMT_BUYER_LOCK, 2, buyer, NULL, DB_OK };
    int history_call = n;
    calls[n++] = (struct db_call){ STMT_BUYER_HISTORY, 4, history_params, NULL, DB_OK };
    int costs_call = n;
    calls[n++] = (struct db_call){ STMT_COST_SETTINGS, 2, cost_params, NULL, DB_OK };
    enum db_status status = db_exec_many(db, calls, n);
    struct eng_history history;
    struct db_cost_settings costs;
    bool settled = false;
    if (status == DB_OK) {
        if (claim >= 0)
            settled = key_settles(calls[claim].result, c, &status);
        history_from_result(calls[history_call].result, &history);
        db_cost_settings_from_result(calls[costs_call].result, &costs);
    }
    for (int i = 0; i < n; i++)
        PQclear(calls[i].result);
    if (status != DB_OK)
        return status;
    if (settled)
        return DB_SETTLED; /* write nothing, not even the buyer's last_seen */
    if (ctx->decide(&history, &costs, c, ctx->cls) != 0)
        return DB_ERROR;

    char refund[24], order_value[24], remedy_cost[24], full_return[24], hash[2 + 64 + 1];
    int_text(c->refund_amount, refund);
    int_text(c->order_value, order_value);
    int_text(c->remedy_cost, remedy_cost);
    int_text(c->full_return_cost, full_return);
    bytea_text(c->request_hash, 32, hash);
    const char *const params[] = {
        tenant, c->case_id, c->buyer_id, c->order_id, c->sku, c->channel, c->category, c->responsibility,
        c->tier, c->primary_action, c->currency, refund, order_value, remedy_cost, full_return, c->risk,
        c->request_json, c->response_body, c->created_at, c->idempotency_key, hash,
    };
    PGresult *res = db_exec_commit(db, STMT_CASE_INSERT, 21, params, &status);
    if (res == NULL)
        /* The key's primary key is the last guard against a race on it:
         * run again, and the claim will find the winner's response. */
        return status == DB_CONFLICT ? DB_SERIALIZATION : status;
    PQclear(res);
    return DB_OK;
}

enum db_status db_case_create(struct db **db, struct db_case_new *c, db_decide_fn decide, void *cls)
{
    struct create_ctx ctx = { c, decide, cls };
    enum db_status status = db_run_transaction(db, "READ COMMITTED", create_in_transaction, &ctx);
    if (status == DB_SETTLED)
        return DB_OK; /* c->result says how the key settled it */
    if (status != DB_COMMIT_UNKNOWN)
        return status;
    /* The commit may or may not have happened: ask a fresh connection. A
     * 2xx goes out only for a case that is really recorded. */
    struct db *fresh = db_thread_connection(NULL);
    if (fresh == NULL)
        return DB_UNAVAILABLE;
    *db = fresh;
    char tenant[24];
    int_text(c->tenant_id, tenant);
    const char *const params[] = { tenant, c->case_id };
    PGresult *res = db_exec(fresh, STMT_CASE_EXISTS, 2, params, &status);
    if (res == NULL)
        return status;
    bool recorded = PQntuples(res) == 1;
    PQclear(res);
    log_msg(LOG_WARN, "commit of case %s was interrupted; it %s recorded", c->case_id, recorded ? "was" : "was not");
    return recorded ? DB_OK : DB_UNAVAILABLE;
}

/* Run a statement keyed by (tenant, id) and copy the first n text
 * columns of its row (each malloc'd, caller frees). DB_NOT_FOUND when the
 * tenant has no such row. */
static enum db_status fetch_texts(struct db *db, enum db_stmt stmt, int64_t tenant_id, const char *id, int n,
                                  char **out)
{
    for (int i = 0; i < n; i++)
        out[i] = NULL;
    char tenant[24];
    int_text(tenant_id, tenant);
    const char *const params[] = { tenant, id };
    enum db_status status;
    PGresult *res = db_exec(db, stmt, 2, params, &status);
    if (res == NULL)
        return status;
    status = PQntuples(res) == 0 ? DB_NOT_FOUND : DB_OK;
    for (int i = 0; status == DB_OK && i < n; i++)
        if ((out[i] = copy_value(res, 0, i)) == NULL)
            status = DB_ERROR;
    PQclear(res);
    if (status != DB_OK)
        for (int i = 0; i < n; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    return status;
}

enum db_status db_case_get(struct db *db, int64_t tenant_id, const char *case_id, char **request_json,
                           char **decision_json, char **outcomes_json)
{
    *request_json = *decision_json = *outcomes_json = NULL;
    if (!crypto_uuid_valid(case_id))
        return DB_NOT_FOUND;
    char *texts[3];
    enum db_status status = fetch_texts(db, STMT_CASE_GET, tenant_id, case_id, 3, texts);
    *request_json = texts[0];
    *decision_json = texts[1];
    *outcomes_json = texts[2];
    return status;
}

struct outcome_ctx {
    const char *tenant;
    const char *case_id;
    struct db_outcome *o;
};

static enum db_status outcome_in_transaction(struct db *db, void *cls)
{
    struct outcome_ctx *ctx = cls;
    struct db_outcome *o = ctx->o;
    const char *const key[] = { ctx->tenant, ctx->case_id };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_CASE_LOCK, 2, key, &status); /* one writer per case */
    if (res == NULL)
        return status;
    bool found = PQntuples(res) == 1;
    PQclear(res);
    if (!found)
        return DB_NOT_FOUND;
    char final_refund[24];
    int_text(o->final_refund, final_refund);
    const char *const params[] = {
        ctx->tenant, ctx->case_id, o->status, o->final_refund >= 0 ? final_refund : NULL, o->review_outcome,
        o->order_retained < 0 ? NULL : (o->order_retained ? "true" : "false"), o->abuse_confirmed ? "true" : "false",
        o->note,
    };
    res = db_exec(db, STMT_OUTCOME_INSERT, 8, params, &status);
    if (res == NULL)
        return status;
    o->revision = atoi(PQgetvalue(res, 0, 0));
    snprintf(o->recorded_at, sizeof(o->recorded_at), "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    return DB_OK;
}

enum db_status db_outcome_record(struct db **db, int64_t tenant_id, const char *case_id, struct db_outcome *o)
{
    if (!crypto_uuid_valid(case_id))
        return DB_NOT_FOUND;
    char tenant[24];
    int_text(tenant_id, tenant);
    struct outcome_ctx ctx = { tenant, case_id, o };
    return db_run_transaction(db, "READ COMMITTED", outcome_in_transaction, &ctx);
}

enum db_status db_buyer_summary(struct db *db, int64_t tenant_id, const char *buyer_id, char **json_out)
{
    return fetch_texts(db, STMT_BUYER_SUMMARY, tenant_id, buyer_id, 1, json_out);
}

enum db_status db_idempotency_purge(struct db *db, long older_than_s, long *deleted)
{
    char seconds[24];
    int_text(older_than_s, seconds);
    const char *const params[] = { seconds };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_IDEMPOTENCY_PURGE, 1, params, &status);
    if (res == NULL)
        return status;
    *deleted = atol(PQcmdTuples(res));
    PQclear(res);
    return DB_OK;
}
