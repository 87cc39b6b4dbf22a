/* The conversation on a case: messages recorded under the case's lock,
 * numbered per case, and read back in order. */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_internal.h"
#include "db_messages.h"
#include "log.h"

void db_message_cleanup(struct db_message *m)
{
    free(m->compliance);
    free(m->response_body);
    free(m->replay_body);
    m->compliance = m->response_body = m->replay_body = NULL;
}

struct message_ctx {
    const char *tenant;
    const char *case_id;
    struct db_message *m;
    db_message_render_fn render;
    void *cls;
};

/* The key's answer to this request: true when it settles it (m->result
 * says how). */
static bool key_settles(const PGresult *res, struct db_message *m, enum db_status *status)
{
    char replay_case_id[40];
    switch (db_key_claim_read(res, m->request_hash, &m->replay_body, replay_case_id, sizeof(replay_case_id),
                              status)) {
    case KEY_NEW:
        return false;
    case KEY_IN_FLIGHT:
        m->result = MESSAGE_KEY_IN_FLIGHT;
        return true;
    case KEY_MISMATCH:
        m->result = MESSAGE_KEY_MISMATCH;
        return true;
    case KEY_REPLAY:
        m->result = MESSAGE_REPLAYED;
        return true;
    }
    return false;
}

/* message_case's row, rendered while the result is alive (its strings are
 * borrowed by the callback). */
static int render_with_case(const PGresult *res, struct message_ctx *ctx)
{
    int ticket = db_column(res, "ticket_id");
    const struct db_message_case kase = {
        .channel = PQgetvalue(res, 0, db_column(res, "channel")),
        .order_id = PQgetvalue(res, 0, db_column(res, "order_id")),
        .sku = PQgetvalue(res, 0, db_column(res, "sku")),
        .ticket_id = PQgetisnull(res, 0, ticket) ? NULL : PQgetvalue(res, 0, ticket),
    };
    return ctx->render(ctx->m, &kase, ctx->cls);
}

/* Two round trips: [BEGIN, key claim, case lock and read, next number],
 * then the insert with COMMIT. */
static enum db_status message_in_transaction(struct db *db, void *cls)
{
    struct message_ctx *ctx = cls;
    struct db_message *m = ctx->m;
    m->result = MESSAGE_RECORDED;
    const char *const key[] = { ctx->tenant, m->idempotency_key };
    const char *const case_key[] = { ctx->tenant, ctx->case_id };
    struct db_call calls[3];
    int n = 0, claim = -1;
    if (m->idempotency_key != NULL) {
        claim = n;
        calls[n++] = (struct db_call){ STMT_IDEMPOTENCY_CLAIM, 2, key, NULL, DB_OK };
    }
    int kase = n;
    calls[n++] = (struct db_call){ STMT_MESSAGE_CASE, 2, case_key, NULL, DB_OK };
    int next = n;
    calls[n++] = (struct db_call){ STMT_MESSAGE_NEXT_SEQ, 2, case_key, NULL, DB_OK };
    enum db_status status = db_exec_many(db, calls, n);
    char seq[24] = "";
    if (status == DB_OK) {
        if (claim >= 0 && key_settles(calls[claim].result, m, &status))
            status = status == DB_OK ? DB_SETTLED : status;
        else if (PQntuples(calls[kase].result) != 1)
            status = DB_NOT_FOUND;
        else if (render_with_case(calls[kase].result, ctx) != 0 || m->response_body == NULL || m->channel == NULL)
            status = DB_ERROR;
        else
            snprintf(seq, sizeof(seq), "%s", PQgetvalue(calls[next].result, 0, db_column(calls[next].result, "seq")));
    }
    for (int i = 0; i < n; i++)
        PQclear(calls[i].result);
    if (status != DB_OK)
        return status;

    char hash[2 + 64 + 1];
    db_bytea_text(m->request_hash, 32, hash);
    const char *const params[] = {
        ctx->tenant, ctx->case_id, seq, m->message_id, m->from, m->at, m->channel, m->text, m->compliance,
        m->idempotency_key, hash, m->response_body,
    };
    PGresult *res = db_exec_commit(db, STMT_MESSAGE_INSERT, 12, params, &status);
    if (res == NULL)
        return db_write_failure(db, status);
    PQclear(res);
    return DB_OK;
}

enum db_status db_message_record(struct db **db, int64_t tenant_id, const char *case_id, struct db_message *m,
                                 db_message_render_fn render, void *cls)
{
    if (!crypto_uuid_valid(case_id))
        return DB_NOT_FOUND;
    char tenant[24];
    db_int_text(tenant_id, tenant);
    struct message_ctx ctx = { tenant, case_id, m, render, cls };
    enum db_status status = db_run_transaction(db, "READ COMMITTED", message_in_transaction, &ctx);
    if (status == DB_SETTLED)
        return DB_OK; /* m->result says how the key settled it */
    if (status != DB_COMMIT_UNKNOWN)
        return status;
    /* As for outcomes: a 2xx only for a message that is really recorded. */
    const char *const case_key[] = { tenant, case_id };
    const char *const message_key[] = { tenant, m->message_id };
    bool landed;
    status = db_landed_after_lost_commit(db, (struct db_call){ STMT_CASE_LOCK, 2, case_key, NULL, DB_OK },
                                         (struct db_call){ STMT_MESSAGE_EXISTS, 2, message_key, NULL, DB_OK },
                                         &landed);
    log_msg(LOG_WARN, "commit of message %s (case %s) was interrupted; it %s", m->message_id, case_id,
            status != DB_OK ? "could not be told whether it was recorded"
            : landed        ? "was recorded"
                            : "was not recorded");
    return status == DB_OK && landed ? DB_OK : DB_UNAVAILABLE;
}

enum db_status db_case_messages(struct db *db, int64_t tenant_id, const char *case_id, char **json_out)
{
    *json_out = NULL;
    if (!crypto_uuid_valid(case_id))
        return DB_NOT_FOUND;
    char tenant[24];
    db_int_text(tenant_id, tenant);
    const char *const params[] = { tenant, case_id };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_CASE_MESSAGES, 2, params, &status);
    if (res == NULL)
        return status;
    *json_out = strdup(PQgetvalue(res, 0, db_column(res, "messages")));
    PQclear(res);
    return *json_out != NULL ? DB_OK : DB_ERROR;
}
