/* The outbox of the helpdesk connectors: the worker's claim, its results,
 * how long it may sleep, and the tenant's listing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "db_outbox.h"

void db_outbox_claim_cleanup(struct db_outbox_claim *c)
{
    free(c->ticket_id);
    free(c->payload);
    c->ticket_id = c->payload = NULL;
}

enum db_status db_outbox_claim(struct db *db, unsigned lease_s, struct db_outbox_claim *out)
{
    memset(out, 0, sizeof(*out));
    char lease[24];
    db_int_text(lease_s, lease);
    const char *const params[] = { lease };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_OUTBOX_CLAIM, 1, params, &status);
    if (res == NULL)
        return status;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return DB_NOT_FOUND;
    }
    out->tenant_id = strtoll(PQgetvalue(res, 0, db_column(res, "tenant_id")), NULL, 10);
    snprintf(out->delivery_id, sizeof(out->delivery_id), "%s", PQgetvalue(res, 0, db_column(res, "delivery_id")));
    snprintf(out->connector, sizeof(out->connector), "%s", PQgetvalue(res, 0, db_column(res, "connector")));
    out->ticket_id = strdup(PQgetvalue(res, 0, db_column(res, "ticket_id")));
    out->payload = strdup(PQgetvalue(res, 0, db_column(res, "payload")));
    out->attempts = atoi(PQgetvalue(res, 0, db_column(res, "attempts")));
    out->check_first = PQgetvalue(res, 0, db_column(res, "check_first"))[0] == 't';
    out->age_s = strtod(PQgetvalue(res, 0, db_column(res, "age_s")), NULL);
    PQclear(res);
    if (out->ticket_id == NULL || out->payload == NULL) {
        /* Claimed but unreadable: its lease runs out and it is claimed again. */
        db_outbox_claim_cleanup(out);
        return DB_ERROR;
    }
    return DB_OK;
}

enum db_status db_outbox_record(struct db *db, int64_t tenant_id, const char *delivery_id, int attempts,
                                const struct db_outbox_result *result)
{
    char tenant[24], status_text[24], retry[32], attempts_text[24];
    db_int_text(tenant_id, tenant);
    db_int_text(result->last_status, status_text);
    db_int_text(attempts, attempts_text);
    snprintf(retry, sizeof(retry), "%.3f", result->retry_in_s > 0 ? result->retry_in_s : 0.0);
    const char *const params[] = {
        tenant, delivery_id, result->state, result->last_status > 0 ? status_text : NULL, result->last_error,
        result->unsure ? "true" : "false", retry, attempts_text,
    };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_OUTBOX_RECORD, (int)(sizeof(params) / sizeof(params[0])), params, &status);
    if (res != NULL && strcmp(PQcmdTuples(res), "0") == 0)
        status = DB_NOT_FOUND; /* settled meanwhile, or claimed again after the lease ran out */
    PQclear(res);
    return status;
}

enum db_status db_outbox_push_back(struct db *db, int64_t tenant_id, const char *connector, const char *delivery_id,
                                   double delay_s)
{
    char tenant[24], delay[32];
    db_int_text(tenant_id, tenant);
    snprintf(delay, sizeof(delay), "%.3f", delay_s > 0 ? delay_s : 0.0);
    const char *const params[] = { tenant, connector, delivery_id, delay };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_OUTBOX_PUSH_BACK, (int)(sizeof(params) / sizeof(params[0])), params, &status);
    PQclear(res);
    return status;
}

enum db_status db_outbox_next_due(struct db *db, int64_t *wait_ms)
{
    *wait_ms = 0;
    enum db_status status;
    PGresult *res = db_exec(db, STMT_OUTBOX_NEXT_DUE, 0, NULL, &status);
    if (res == NULL)
        return status;
    int column = db_column(res, "wait_ms");
    if (PQgetisnull(res, 0, column)) {
        status = DB_NOT_FOUND;
    } else {
        long long ms = strtoll(PQgetvalue(res, 0, column), NULL, 10);
        *wait_ms = ms > 0 ? ms : 0;
    }
    PQclear(res);
    return status;
}

void db_delivery_row_cleanup(struct db_delivery_row *r)
{
    free(r->ticket_id);
    free(r->last_error);
    r->ticket_id = r->last_error = NULL;
}

enum db_status db_deliveries_list(struct db *db, int64_t tenant_id, const char *connector, const char *state,
                                  const char *after, int limit, struct db_delivery_row **rows, int *n)
{
    *rows = NULL;
    *n = 0;
    char tenant[24], limit_text[24];
    db_int_text(tenant_id, tenant);
    db_int_text(limit, limit_text);
    const char *const params[] = { tenant, connector, state, after, limit_text };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_DELIVERIES_PAGE, 5, params, &status);
    if (res == NULL)
        return status;
    int count = PQntuples(res);
    if (count == 0) {
        PQclear(res);
        return DB_OK;
    }
    const int c_delivery = db_column(res, "delivery_id"), c_case = db_column(res, "case_id"),
              c_ticket = db_column(res, "ticket_id"), c_state = db_column(res, "state"),
              c_attempts = db_column(res, "attempts"), c_status = db_column(res, "last_status"),
              c_error = db_column(res, "last_error"), c_next = db_column(res, "next_attempt_at"),
              c_created = db_column(res, "created_at"), c_delivered = db_column(res, "delivered_at");
    struct db_delivery_row *out = calloc((size_t)count, sizeof(*out));
    if (out == NULL) {
        PQclear(res);
        return DB_ERROR;
    }
    for (int i = 0; i < count; i++) {
        struct db_delivery_row *r = &out[i];
        snprintf(r->delivery_id, sizeof(r->delivery_id), "%s", PQgetvalue(res, i, c_delivery));
        snprintf(r->case_id, sizeof(r->case_id), "%s", PQgetvalue(res, i, c_case));
        snprintf(r->state, sizeof(r->state), "%s", PQgetvalue(res, i, c_state));
        snprintf(r->next_attempt_at, sizeof(r->next_attempt_at), "%s", PQgetvalue(res, i, c_next));
        snprintf(r->created_at, sizeof(r->created_at), "%s", PQgetvalue(res, i, c_created));
        snprintf(r->delivered_at, sizeof(r->delivered_at), "%s", PQgetvalue(res, i, c_delivered));
        r->attempts = atoi(PQgetvalue(res, i, c_attempts));
        r->last_status = PQgetisnull(res, i, c_status) ? 0 : atoi(PQgetvalue(res, i, c_status));
        r->ticket_id = strdup(PQgetvalue(res, i, c_ticket));
        r->last_error = PQgetisnull(res, i, c_error) ? NULL : strdup(PQgetvalue(res, i, c_error));
        if (r->ticket_id == NULL || (!PQgetisnull(res, i, c_error) && r->last_error == NULL))
            status = DB_ERROR;
    }
    PQclear(res);
    *rows = out;
    *n = count;
    return status;
}

enum db_status db_delivery_exists(struct db *db, int64_t tenant_id, const char *connector, const char *delivery_id)
{
    char tenant[24];
    db_int_text(tenant_id, tenant);
    const char *const params[] = { tenant, connector, delivery_id };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_DELIVERY_EXISTS, 3, params, &status);
    if (res == NULL)
        return status;
    if (PQntuples(res) == 0)
        status = DB_NOT_FOUND;
    PQclear(res);
    return status;
}
