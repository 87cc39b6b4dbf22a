/* Cases, outcomes, buyers and idempotency keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "db_internal.h"
#include "engine.h"
#include "log.h"

void db_bytea_text(const uint8_t *data, size_t n, char *out)
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

static const char *value(const PGresult *res, const char *name)
{
    return PQgetvalue(res, 0, db_column(res, name));
}

/* The idempotency keys' primary key (migrations/0002_cases.sql): the one
 * unique violation that means "a concurrent request took this key". */
static const char KEY_CONSTRAINT[] = "idempotency_keys_pkey";

/* A failed write: a race on the key runs the transaction again (the claim
 * will then find the winner's response); any other conflict, on the case's
 * own id say, is a fault and must not be retried as if it were one. */
enum db_status db_write_failure(const struct db *db, enum db_status status)
{
    if (status == DB_CONFLICT && strcmp(db->conflict_constraint, KEY_CONSTRAINT) == 0)
        return DB_SERIALIZATION;
    if (status == DB_CONFLICT)
        log_msg(LOG_ERROR, "unexpected conflict on %s", db->conflict_constraint);
    return status == DB_CONFLICT ? DB_ERROR : status;
}

void db_case_new_cleanup(struct db_case_new *c)
{
    free(c->response_body);
    free(c->replay_body);
    free(c->policy_document);
    free(c->decision_inputs);
    c->response_body = c->replay_body = c->policy_document = c->decision_inputs = NULL;
}

/* The ticket links' primary key (migrations/0014_case_tickets.sql): the
 * conflict that means "another case came of this ticket meanwhile". */
static const char TICKET_CONSTRAINT[] = "case_tickets_pkey";

/* A case from a helpdesk ticket: the case, then (with COMMIT) its link,
 * the message received and the outbox row, whose payload is made now that
 * the decision is known. Three round trips instead of two; still one
 * transaction, so the lost-COMMIT check by the case's id covers them all. */
static enum db_status insert_with_ticket(struct db *db, struct db_case_new *c, const char *tenant,
                                         const char *const *case_params, int n_case_params)
{
    const struct db_case_ticket *t = c->ticket;
    char *payload = NULL;
    if (t->delivery_id != NULL && (payload = t->payload(c->response_body, t->delivery_id, t->payload_cls)) == NULL)
        return DB_ERROR;
    enum db_status status;
    PGresult *res = db_exec(db, STMT_CASE_INSERT, n_case_params, case_params, &status);
    if (res == NULL) {
        free(payload);
        return db_write_failure(db, status);
    }
    PQclear(res);
    const char *const params[] = {
        tenant, t->connector, t->ticket_id, c->case_id, t->message_id, t->message_at, t->message_channel,
        t->message_text, t->delivery_id, payload,
    };
    res = db_exec_commit(db, STMT_CASE_TICKET_INSERT, 10, params, &status);
    free(payload);
    if (res == NULL && status == DB_CONFLICT && strcmp(db->conflict_constraint, TICKET_CONSTRAINT) == 0) {
        c->result = CASE_TICKET_TAKEN;
        return DB_SETTLED; /* rolled back: the caller records on the other case */
    }
    if (res == NULL)
        return db_write_failure(db, status);
    PQclear(res);
    return DB_OK;
}

enum db_status db_case_ticket_lookup(struct db *db, int64_t tenant_id, const char *connector, const char *ticket_id,
                                     char case_id[40])
{
    char tenant[24];
    db_int_text(tenant_id, tenant);
    const char *const params[] = { tenant, connector, ticket_id };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_CASE_TICKET_LOOKUP, 3, params, &status);
    if (res == NULL)
        return status;
    status = PQntuples(res) == 1 ? DB_OK : DB_NOT_FOUND;
    if (status == DB_OK)
        snprintf(case_id, 40, "%s", value(res, "case_id"));
    PQclear(res);
    return status;
}

/* buyer_history's row, column by name (statements.sql names them after
 * the fields). */
static void history_from_result(const PGresult *res, struct eng_history *out)
{
    memset(out, 0, sizeof(*out));
#define HISTORY_FIELD(field) out->field = strtoll(value(res, #field), NULL, 10)
    HISTORY_FIELD(cases_90d);
    HISTORY_FIELD(cases_365d);
    HISTORY_FIELD(same_category_90d);
    HISTORY_FIELD(refunded_90d);
    HISTORY_FIELD(refunded_amount_365d);
    HISTORY_FIELD(spent_365d);
    HISTORY_FIELD(not_received_365d);
    HISTORY_FIELD(abuse_confirmed);
#undef HISTORY_FIELD
}

enum db_status db_buyer_history(struct db *db, int64_t tenant_id, const char *buyer_id, const char *category,
                                const char *currency, struct eng_history *out)
{
    char tenant[24];
    db_int_text(tenant_id, tenant);
    const char *const params[] = { tenant, buyer_id, category, currency };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_BUYER_HISTORY, 4, params, &status);
    if (res == NULL)
        return status;
    history_from_result(res, out);
    PQclear(res);
    return DB_OK;
}

/* case_account's parameters: the tenant, the SKU and currency, version 1's
 * budget window (for documents that do not name one), the order defect
 * rate's window. The text buffers are the caller's. */
struct account_params {
    char tenant[24], window[24], odr_days[24];
    const char *values[5];
};

static void account_params_init(struct account_params *p, int64_t tenant_id, const char *sku, const char *currency)
{
    db_int_text(tenant_id, p->tenant);
    db_int_text(eng_policy_default()->budget_window_days, p->window);
    db_int_text(ENG_HEALTH_METRIC_INFO[HEALTH_ORDER_DEFECT_RATE].window_days, p->odr_days);
    p->values[0] = p->tenant;
    p->values[1] = sku;
    p->values[2] = currency;
    p->values[3] = p->window;
    p->values[4] = p->odr_days;
}

/* case_account's row, column by name. */
static void account_from_result(const PGresult *res, struct db_account_inputs *out)
{
    memset(out, 0, sizeof(*out));
    out->budget_known = true;
    out->budget_window_days = atoi(value(res, "window_days"));
    out->sku_compensation = strtoll(value(res, "compensation"), NULL, 10);
    out->sku_revenue = strtoll(value(res, "revenue"), NULL, 10);
    out->odr_known = true;
    out->odr_defect_orders = strtoll(value(res, "odr_defect_orders"), NULL, 10);
    out->odr_orders = strtoll(value(res, "odr_orders"), NULL, 10);
}

enum db_status db_case_account_get(struct db *db, int64_t tenant_id, const char *sku, const char *currency,
                                   struct db_account_inputs *out)
{
    struct account_params p;
    account_params_init(&p, tenant_id, sku, currency);
    enum db_status status;
    PGresult *res = db_exec(db, STMT_CASE_ACCOUNT, 5, p.values, &status);
    if (res == NULL)
        return status;
    account_from_result(res, out);
    PQclear(res);
    return DB_OK;
}

struct create_ctx {
    struct db_case_new *c;
    db_decide_fn decide;
    void *cls;
};

/* Read an idempotency_claim row against this request's hash. For
 * KEY_REPLAY, *replay_body gets the stored response (malloc'd; on
 * allocation failure *status is DB_ERROR) and replay_case_id its case. */
enum db_key_claim db_key_claim_read(const PGresult *res, const uint8_t request_hash[32], char **replay_body,
                                    char *replay_case_id, size_t id_size, enum db_status *status)
{
    *status = DB_OK;
    if (strcmp(value(res, "claimed"), "t") != 0)
        return KEY_IN_FLIGHT;
    if (PQgetisnull(res, 0, db_column(res, "request_hash")))
        return KEY_NEW;
    char expected[2 + 64 + 1];
    db_bytea_text(request_hash, 32, expected);
    if (strcmp(value(res, "request_hash"), expected) != 0)
        return KEY_MISMATCH;
    snprintf(replay_case_id, id_size, "%s", value(res, "case_id"));
    free(*replay_body);
    *replay_body = strdup(value(res, "response_body"));
    if (*replay_body == NULL)
        *status = DB_ERROR;
    return KEY_REPLAY;
}

/* Sets c->result and returns true when the key settles the request. */
static bool key_settles(const PGresult *res, struct db_case_new *c, enum db_status *status)
{
    switch (db_key_claim_read(res, c->request_hash, &c->replay_body, c->replay_case_id, sizeof(c->replay_case_id),
                              status)) {
    case KEY_NEW:
        return false;
    case KEY_IN_FLIGHT:
        c->result = CASE_KEY_IN_FLIGHT;
        return true;
    case KEY_MISMATCH:
        c->result = CASE_KEY_MISMATCH;
        return true;
    case KEY_REPLAY:
        c->result = CASE_REPLAYED;
        return true;
    }
    return false;
}

/* After DB_COMMIT_UNKNOWN: did the write land? */
struct landed_ctx {
    struct db_call calls[2]; /* the lock the interrupted transaction held, then the lookup */
    bool landed;
};

static enum db_status look_in_transaction(struct db *db, void *cls)
{
    struct landed_ctx *ctx = cls;
    enum db_status status = db_exec_many(db, ctx->calls, 2);
    if (status == DB_OK)
        ctx->landed = PQntuples(ctx->calls[1].result) == 1;
    PQclear(ctx->calls[0].result);
    PQclear(ctx->calls[1].result);
    return status == DB_OK ? DB_SETTLED : status; /* settled: roll back whatever the lock wrote */
}

/* On a fresh connection, first take the lock the interrupted transaction
 * held (granted once it has ended: committed, or rolled back when
 * PostgreSQL noticed the dropped connection), then look for the row it
 * wrote. DB_OK with *landed set, or DB_UNAVAILABLE when it cannot tell. */
enum db_status db_landed_after_lost_commit(struct db **dbp, struct db_call lock, struct db_call find,
                                           bool *landed)
{
    *landed = false;
    struct db *fresh = NULL;
    for (int attempt = 0; fresh == NULL && attempt < 5; attempt++) {
        if (attempt > 0) {
            struct timespec pause = { 0, DB_RECONNECT_BACKOFF_MS * 1000000L };
            nanosleep(&pause, NULL);
        }
        fresh = db_thread_connection(NULL);
    }
    *dbp = fresh;
    if (fresh == NULL)
        return DB_UNAVAILABLE;
    struct landed_ctx ctx = { { lock, find }, false };
    enum db_status status = db_run_transaction(dbp, "READ COMMITTED", look_in_transaction, &ctx);
    if (status != DB_SETTLED)
        return DB_UNAVAILABLE;
    *landed = ctx.landed;
    return DB_OK;
}

/* Two round trips: [BEGIN, key claim, buyer lock, history, cost settings,
 * policy version, the account's budget and defect rate], then the insert
 * (with its rollups) and COMMIT. The history statement starts after the buyer lock is
 * granted, so its snapshot holds every claim committed meanwhile. */
static enum db_status create_in_transaction(struct db *db, void *cls)
{
    struct create_ctx *ctx = cls;
    struct db_case_new *c = ctx->c;
    char tenant[24];
    db_int_text(c->tenant_id, tenant);
    c->result = CASE_CREATED;
    const char *const key[] = { tenant, c->idempotency_key };
    const char *const buyer[] = { tenant, c->buyer_id };
    const char *const history_params[] = { tenant, c->buyer_id, c->category, c->currency };
    const char *const cost_params[] = { tenant, c->sku };
    char cached_version[24];
    db_int_text(c->policy_cached_version, cached_version);
    const char *const policy_params[] = { tenant, cached_version };
    struct account_params account;
    account_params_init(&account, c->tenant_id, c->sku, c->currency);
    struct db_call calls[6];
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
    int policy_call = n;
    calls[n++] = (struct db_call){ STMT_POLICY_CURRENT, 2, policy_params, NULL, DB_OK };
    int account_call = n;
    calls[n++] = (struct db_call){ STMT_CASE_ACCOUNT, 5, account.values, NULL, DB_OK };
    enum db_status status = db_exec_many(db, calls, n);
    struct eng_history history;
    struct db_cost_settings costs;
    bool settled = false;
    if (status == DB_OK) {
        if (claim >= 0)
            settled = key_settles(calls[claim].result, c, &status);
        history_from_result(calls[history_call].result, &history);
        db_cost_settings_from_result(calls[costs_call].result, &costs);
        account_from_result(calls[account_call].result, &costs.account);
        const PGresult *policy = calls[policy_call].result;
        c->policy_version = atoi(value(policy, "version"));
        free(c->policy_document);
        c->policy_document = NULL;
        if (!PQgetisnull(policy, 0, db_column(policy, "document"))
            && (c->policy_document = strdup(value(policy, "document"))) == NULL)
            status = DB_ERROR;
    }
    for (int i = 0; i < n; i++)
        PQclear(calls[i].result);
    if (status != DB_OK)
        return status;
    if (settled)
        return DB_SETTLED; /* write nothing, not even the buyer's last_seen */
    if (ctx->decide(&history, &costs, c, ctx->cls) != 0)
        return DB_ERROR;

    char refund[24], order_value[24], remedy_cost[24], full_return[24], hash[2 + 64 + 1], policy_version[24];
    db_int_text(c->policy_version, policy_version);
    db_int_text(c->refund_amount, refund);
    db_int_text(c->order_value, order_value);
    db_int_text(c->remedy_cost, remedy_cost);
    db_int_text(c->full_return_cost, full_return);
    db_bytea_text(c->request_hash, 32, hash);
    const char *const params[] = {
        tenant, c->case_id, c->buyer_id, c->order_id, c->sku, c->channel, c->category, c->responsibility,
        c->tier, c->primary_action, c->currency, refund, order_value, remedy_cost, full_return, c->risk,
        c->request_json, c->response_body, c->created_at, c->idempotency_key, hash, policy_version,
        c->decision_inputs,
    };
    if (c->ticket != NULL)
        return insert_with_ticket(db, c, tenant, params, 23);
    PGresult *res = db_exec_commit(db, STMT_CASE_INSERT, 23, params, &status);
    if (res == NULL)
        return db_write_failure(db, status);
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
    char tenant[24];
    db_int_text(c->tenant_id, tenant);
    const char *const buyer[] = { tenant, c->buyer_id };
    const char *const key[] = { tenant, c->case_id };
    bool landed;
    status = db_landed_after_lost_commit(db, (struct db_call){ STMT_BUYER_LOCK, 2, buyer, NULL, DB_OK },
                                         (struct db_call){ STMT_CASE_EXISTS, 2, key, NULL, DB_OK }, &landed);
    log_msg(LOG_WARN, "commit of case %s was interrupted; it %s", c->case_id,
            status != DB_OK ? "could not be told whether it was recorded" : landed ? "was recorded" : "was not recorded");
    return status == DB_OK && landed ? DB_OK : DB_UNAVAILABLE;
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
    db_int_text(tenant_id, tenant);
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

void db_outcome_cleanup(struct db_outcome *o)
{
    free(o->response_body);
    free(o->replay_body);
    o->response_body = o->replay_body = NULL;
}

struct outcome_ctx {
    const char *tenant;
    const char *case_id;
    struct db_outcome *o;
    db_outcome_render_fn render;
    void *cls;
};

/* Two round trips: [BEGIN, key claim, case lock, next revision], then the
 * insert with COMMIT. The revision is counted after the case's lock is
 * granted (its own snapshot in the pipeline): one writer per case. */
static enum db_status outcome_in_transaction(struct db *db, void *cls)
{
    struct outcome_ctx *ctx = cls;
    struct db_outcome *o = ctx->o;
    o->result = OUTCOME_RECORDED;
    const char *const key[] = { ctx->tenant, o->idempotency_key };
    const char *const case_key[] = { ctx->tenant, ctx->case_id };
    struct db_call calls[3];
    int n = 0, claim = -1;
    if (o->idempotency_key != NULL) {
        claim = n;
        calls[n++] = (struct db_call){ STMT_IDEMPOTENCY_CLAIM, 2, key, NULL, DB_OK };
    }
    int lock = n;
    calls[n++] = (struct db_call){ STMT_CASE_LOCK, 2, case_key, NULL, DB_OK };
    int next = n;
    calls[n++] = (struct db_call){ STMT_OUTCOME_NEXT_REVISION, 2, case_key, NULL, DB_OK };
    enum db_status status = db_exec_many(db, calls, n);
    bool settled = false, found = false;
    if (status == DB_OK) {
        if (claim >= 0) {
            char replay_case_id[40];
            switch (db_key_claim_read(calls[claim].result, o->request_hash, &o->replay_body, replay_case_id,
                                      sizeof(replay_case_id), &status)) {
            case KEY_NEW:
                break;
            case KEY_IN_FLIGHT:
                o->result = OUTCOME_KEY_IN_FLIGHT;
                settled = true;
                break;
            case KEY_MISMATCH:
                o->result = OUTCOME_KEY_MISMATCH;
                settled = true;
                break;
            case KEY_REPLAY:
                o->result = OUTCOME_REPLAYED;
                settled = true;
                break;
            }
        }
        found = PQntuples(calls[lock].result) == 1;
        o->revision = atoi(value(calls[next].result, "revision"));
    }
    for (int i = 0; i < n; i++)
        PQclear(calls[i].result);
    if (status != DB_OK)
        return status;
    if (settled)
        return DB_SETTLED;
    if (!found)
        return DB_NOT_FOUND;
    if (ctx->render(o, ctx->cls) != 0 || o->response_body == NULL)
        return DB_ERROR;

    char revision[24], final_refund[24], hash[2 + 64 + 1];
    db_int_text(o->revision, revision);
    db_int_text(o->final_refund, final_refund);
    db_bytea_text(o->request_hash, 32, hash);
    const char *const params[] = {
        ctx->tenant, ctx->case_id, revision, o->outcome_id, o->status, o->final_refund >= 0 ? final_refund : NULL,
        o->review_outcome, o->order_retained < 0 ? NULL : (o->order_retained ? "true" : "false"),
        o->abuse_confirmed ? "true" : "false", o->note, o->recorded_at, o->idempotency_key, hash, o->response_body,
    };
    PGresult *res = db_exec_commit(db, STMT_OUTCOME_INSERT, 14, params, &status);
    if (res == NULL)
        return db_write_failure(db, status);
    PQclear(res);
    return DB_OK;
}

enum db_status db_outcome_record(struct db **db, int64_t tenant_id, const char *case_id, struct db_outcome *o,
                                 db_outcome_render_fn render, void *cls)
{
    if (!crypto_uuid_valid(case_id))
        return DB_NOT_FOUND;
    char tenant[24];
    db_int_text(tenant_id, tenant);
    struct outcome_ctx ctx = { tenant, case_id, o, render, cls };
    enum db_status status = db_run_transaction(db, "READ COMMITTED", outcome_in_transaction, &ctx);
    if (status == DB_SETTLED)
        return DB_OK; /* o->result says how the key settled it */
    if (status != DB_COMMIT_UNKNOWN)
        return status;
    /* As for cases: a 2xx only for an outcome that is really recorded. */
    const char *const case_key[] = { tenant, case_id };
    const char *const outcome_key[] = { tenant, o->outcome_id };
    bool landed;
    status = db_landed_after_lost_commit(db, (struct db_call){ STMT_CASE_LOCK, 2, case_key, NULL, DB_OK },
                                         (struct db_call){ STMT_OUTCOME_EXISTS, 2, outcome_key, NULL, DB_OK },
                                         &landed);
    log_msg(LOG_WARN, "commit of outcome %s (case %s) was interrupted; it %s", o->outcome_id, case_id,
            status != DB_OK ? "could not be told whether it was recorded" : landed ? "was recorded" : "was not recorded");
    return status == DB_OK && landed ? DB_OK : DB_UNAVAILABLE;
}

enum db_status db_buyer_summary(struct db *db, int64_t tenant_id, const char *buyer_id, char **json_out)
{
    return fetch_texts(db, STMT_BUYER_SUMMARY, tenant_id, buyer_id, 1, json_out);
}

enum db_status db_idempotency_purge(struct db *db, long older_than_s, long *deleted)
{
    char seconds[24];
    db_int_text(older_than_s, seconds);
    const char *const params[] = { seconds };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_IDEMPOTENCY_PURGE, 1, params, &status);
    if (res == NULL)
        return status;
    *deleted = atol(PQcmdTuples(res));
    PQclear(res);
    return DB_OK;
}

enum db_status db_cases_search(struct db *db, int64_t tenant_id, const struct db_case_search *search,
                               char **cases_json, char **next)
{
    *cases_json = *next = NULL;
    char tenant[24], micros[24], limit[24];
    db_int_text(tenant_id, tenant);
    db_int_text(search->cursor_micros, micros);
    db_int_text(search->limit, limit);
    const char *const params[] = { tenant,
                                   search->buyer_id,
                                   search->order_id,
                                   search->ticket_id,
                                   search->sku,
                                   search->after_cursor ? micros : NULL,
                                   search->after_cursor ? search->cursor_case_id : NULL,
                                   limit };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_CASES_SEARCH, (int)(sizeof(params) / sizeof(params[0])), params, &status);
    if (res == NULL)
        return status;
    int next_column = db_column(res, "next");
    *cases_json = strdup(PQgetvalue(res, 0, db_column(res, "cases")));
    if (!PQgetisnull(res, 0, next_column))
        *next = strdup(PQgetvalue(res, 0, next_column));
    bool failed = *cases_json == NULL || (!PQgetisnull(res, 0, next_column) && *next == NULL);
    PQclear(res);
    if (failed) {
        free(*cases_json);
        free(*next);
        *cases_json = *next = NULL;
        return DB_ERROR;
    }
    return DB_OK;
}
