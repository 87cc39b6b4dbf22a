/* The tenant's policy versions: immutable rows, numbered per tenant. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "log.h"

static const char *text(const PGresult *res, int row, const char *name)
{
    return PQgetvalue(res, row, db_column(res, name));
}

static bool is_null(const PGresult *res, int row, const char *name)
{
    return PQgetisnull(res, row, db_column(res, name));
}

/* A copy of a text column (caller frees), NULL for SQL NULL; *failed on
 * allocation failure. */
static char *copy_or_null(const PGresult *res, int row, const char *name, bool *failed)
{
    if (is_null(res, row, name))
        return NULL;
    char *copy = strdup(text(res, row, name));
    if (copy == NULL)
        *failed = true;
    return copy;
}

void db_policy_version_cleanup(struct db_policy_version *v)
{
    free(v->document);
    free(v->note);
    v->document = v->note = NULL;
}

enum db_status db_policy_current(struct db *db, int64_t tenant_id, int cached_version, int *version,
                                 char **document)
{
    char tenant[24], cached[24];
    db_int_text(tenant_id, tenant);
    db_int_text(cached_version, cached);
    const char *const params[] = { tenant, cached };
    *document = NULL;
    enum db_status status;
    PGresult *res = db_exec(db, STMT_POLICY_CURRENT, 2, params, &status);
    if (res == NULL)
        return status;
    bool failed = false;
    *version = atoi(text(res, 0, "version"));
    *document = copy_or_null(res, 0, "document", &failed);
    PQclear(res);
    return failed ? DB_ERROR : DB_OK;
}

static enum db_status version_one(struct db *db, const char *tenant, struct db_policy_version *out)
{
    const char *const params[] = { tenant };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_TENANT_CREATED_AT, 1, params, &status);
    if (res == NULL)
        return status;
    if (PQntuples(res) == 1) {
        out->version = 1;
        snprintf(out->created_at, sizeof(out->created_at), "%s", text(res, 0, "created_at"));
    } else {
        status = DB_NOT_FOUND;
    }
    PQclear(res);
    return status;
}

enum db_status db_policy_get(struct db *db, int64_t tenant_id, int version, struct db_policy_version *out)
{
    memset(out, 0, sizeof(*out));
    if (version < 0)
        return DB_NOT_FOUND;
    char tenant[24], wanted[24];
    db_int_text(tenant_id, tenant);
    db_int_text(version, wanted);
    if (version == 1)
        return version_one(db, tenant, out);
    const char *const params[] = { tenant, wanted };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_POLICY_VERSION_GET, 2, params, &status);
    if (res == NULL)
        return status;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return version == 0 ? version_one(db, tenant, out) : DB_NOT_FOUND;
    }
    bool failed = false;
    out->version = atoi(text(res, 0, "version"));
    out->document = copy_or_null(res, 0, "document", &failed);
    out->note = copy_or_null(res, 0, "note", &failed);
    snprintf(out->created_by, sizeof(out->created_by), "%s", is_null(res, 0, "created_by") ? "" : text(res, 0, "created_by"));
    snprintf(out->created_at, sizeof(out->created_at), "%s", text(res, 0, "created_at"));
    PQclear(res);
    if (failed) {
        db_policy_version_cleanup(out);
        return DB_ERROR;
    }
    return DB_OK;
}

/* The primary key of policy_versions (migrations/0006_policy.sql): a
 * concurrent writer of the same version took it. */
static const char VERSION_CONSTRAINT[] = "policy_versions_pkey";

enum db_status db_policy_insert(struct db *db, int64_t tenant_id, int if_match, const char *document,
                                const char *note, const char *created_by, struct db_policy_version *out)
{
    char tenant[24], expected[24];
    db_int_text(tenant_id, tenant);
    db_int_text(if_match, expected);
    const char *const params[] = { tenant, expected, document, note, created_by };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_POLICY_INSERT, 5, params, &status);
    if (res == NULL) {
        if (status == DB_CONFLICT && strcmp(db->conflict_constraint, VERSION_CONSTRAINT) != 0) {
            log_msg(LOG_ERROR, "unexpected conflict on %s", db->conflict_constraint);
            return DB_ERROR;
        }
        return status; /* DB_CONFLICT: the other writer won */
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        return DB_CONFLICT; /* if_match is not the current version */
    }
    out->version = atoi(text(res, 0, "version"));
    snprintf(out->created_at, sizeof(out->created_at), "%s", text(res, 0, "created_at"));
    PQclear(res);
    return DB_OK;
}

enum db_status db_policy_list(struct db *db, int64_t tenant_id, int before, int limit,
                              struct db_policy_version **out, int *count)
{
    *out = NULL;
    *count = 0;
    char tenant[24], below[24], most[24];
    db_int_text(tenant_id, tenant);
    db_int_text(before, below);
    db_int_text(limit, most);
    const char *const params[] = { tenant, below, most };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_POLICY_VERSIONS_LIST, 3, params, &status);
    if (res == NULL)
        return status;
    int n = PQntuples(res);
    struct db_policy_version *versions = n > 0 ? calloc((size_t)n, sizeof(*versions)) : NULL;
    bool failed = n > 0 && versions == NULL;
    for (int i = 0; !failed && i < n; i++) {
        struct db_policy_version *v = &versions[i];
        v->version = atoi(text(res, i, "version"));
        v->note = copy_or_null(res, i, "note", &failed);
        snprintf(v->created_by, sizeof(v->created_by), "%s", is_null(res, i, "created_by") ? "" : text(res, i, "created_by"));
        snprintf(v->created_at, sizeof(v->created_at), "%s", text(res, i, "created_at"));
    }
    PQclear(res);
    if (failed) {
        for (int i = 0; versions != NULL && i < n; i++)
            db_policy_version_cleanup(&versions[i]);
        free(versions);
        return DB_ERROR;
    }
    *out = versions;
    *count = n;
    return DB_OK;
}

/* The replay page's columns, by name, looked up once per page. */
struct replay_columns {
    int case_id, position, request, has_inputs, sku_currency, tier, primary_action, currency, category, sku;
    int policy_version, decided_at, remedy_cost, full_return_cost;
    int history[DB_REPLAY_HISTORY_COUNT], inputs[DB_REPLAY_INPUT_COUNT], account[DB_REPLAY_ACCOUNT_COUNT];
};

static void replay_columns_find(const PGresult *res, struct replay_columns *at)
{
#define FIND(member) at->member = db_column(res, #member);
    FIND(case_id) FIND(position) FIND(request) FIND(has_inputs) FIND(tier) FIND(primary_action) FIND(currency)
    FIND(category) FIND(sku) FIND(policy_version) FIND(decided_at) FIND(remedy_cost) FIND(full_return_cost)
#undef FIND
    at->sku_currency = db_column(res, "input_sku_currency");
    int i = 0;
#define HISTORY(name) at->history[i++] = db_column(res, "history_" #name);
    DB_REPLAY_HISTORY(HISTORY)
#undef HISTORY
    i = 0;
#define INPUT(name) at->inputs[i++] = db_column(res, "input_" #name);
    DB_REPLAY_INPUT_NUMBERS(INPUT)
#undef INPUT
    i = 0;
#define ACCOUNT(name) at->account[i++] = db_column(res, "account_" #name);
    DB_REPLAY_ACCOUNT_NUMBERS(ACCOUNT)
#undef ACCOUNT
}

static const char *value_or_null(const PGresult *res, int row, int at)
{
    return PQgetisnull(res, row, at) ? NULL : PQgetvalue(res, row, at);
}

/* Ask for the page after (position, after_id) without waiting for it. */
static enum db_status replay_page_send(struct db *db, const char *const params[9])
{
    if (PQsendQueryPrepared(db->conn, db_stmt_name(STMT_CASES_REPLAY_PAGE), 9, params, NULL, NULL, 0) == 1)
        return DB_OK;
    log_msg(LOG_WARN, "statement %s could not be sent: %s", db_stmt_name(STMT_CASES_REPLAY_PAGE),
            PQerrorMessage(db->conn));
    return db_classify(db, NULL);
}

/* The answer to replay_page_send: the page (caller PQclear()s it), or NULL
 * with *status. Reads until libpq has nothing more, so the connection is
 * free afterwards either way. */
static PGresult *replay_page_receive(struct db *db, enum db_status *status)
{
    PGresult *page = NULL, *res;
    *status = DB_OK;
    while ((res = PQgetResult(db->conn)) != NULL) {
        if (page == NULL && *status == DB_OK && PQresultStatus(res) == PGRES_TUPLES_OK) {
            page = res;
            continue;
        }
        if (*status == DB_OK) {
            *status = db_classify(db, res);
            if (*status == DB_ERROR)
                log_msg(LOG_ERROR, "statement %s failed: %s", db_stmt_name(STMT_CASES_REPLAY_PAGE),
                        PQresultErrorMessage(res));
        }
        PQclear(res);
    }
    if (page == NULL && *status == DB_OK)
        *status = db_classify(db, NULL); /* no answer at all: the connection went */
    if (*status != DB_OK) {
        PQclear(page);
        return NULL;
    }
    return page;
}

enum db_status db_cases_replay(struct db *db, int64_t tenant_id, const struct db_replay_filter *filter,
                               int page_size, db_replay_page_fn prepare, db_replay_page_fn replay, void *cls)
{
    char tenant[24], limit[24], position[64] = "-infinity", after_id[40] = "00000000-0000-0000-0000-000000000000";
    db_int_text(tenant_id, tenant);
    db_int_text(page_size, limit);
    const char *const params[] = { tenant, filter->from, filter->to, position, after_id,
                                   filter->category, filter->sku, filter->channel, limit };
    _Static_assert(sizeof(params) / sizeof(params[0]) == 9, "the statement's nine parameters");
    struct db_replay_row *rows = calloc((size_t)page_size, sizeof(*rows));
    enum db_status status = rows == NULL ? DB_ERROR : db_flush_begin(db);
    if (status == DB_OK)
        status = replay_page_send(db, params);
    PGresult *res = status == DB_OK ? replay_page_receive(db, &status) : NULL;
    while (res != NULL) {
        int n = PQntuples(res);
        struct replay_columns at;
        replay_columns_find(res, &at); /* an empty page describes its columns too */
        for (int i = 0; i < n && i < page_size; i++) {
            struct db_replay_row *row = &rows[i];
            row->case_id = PQgetvalue(res, i, at.case_id);
            row->request = PQgetvalue(res, i, at.request);
            row->has_inputs = PQgetvalue(res, i, at.has_inputs)[0] == 't';
            for (int k = 0; k < DB_REPLAY_HISTORY_COUNT; k++)
                row->history[k] = value_or_null(res, i, at.history[k]);
            for (int k = 0; k < DB_REPLAY_INPUT_COUNT; k++)
                row->inputs[k] = value_or_null(res, i, at.inputs[k]);
            for (int k = 0; k < DB_REPLAY_ACCOUNT_COUNT; k++)
                row->account[k] = value_or_null(res, i, at.account[k]);
            row->sku_currency = value_or_null(res, i, at.sku_currency);
            row->tier = PQgetvalue(res, i, at.tier);
            row->primary_action = PQgetvalue(res, i, at.primary_action);
            row->currency = PQgetvalue(res, i, at.currency);
            row->category = PQgetvalue(res, i, at.category);
            row->sku = PQgetvalue(res, i, at.sku);
            row->policy_version = atoi(PQgetvalue(res, i, at.policy_version));
            row->decided_at = strtoll(PQgetvalue(res, i, at.decided_at), NULL, 10);
            row->remedy_cost = strtoll(PQgetvalue(res, i, at.remedy_cost), NULL, 10);
            row->full_return_cost = strtoll(PQgetvalue(res, i, at.full_return_cost), NULL, 10);
        }
        if (n > 0 && prepare(rows, n, cls) != 0)
            status = DB_ERROR;
        /* A full page may have a successor: ask for it now, so that the
         * server reads it while this one is replayed. */
        bool more = status == DB_OK && n == page_size;
        if (more) {
            snprintf(position, sizeof(position), "%s", PQgetvalue(res, n - 1, at.position));
            snprintf(after_id, sizeof(after_id), "%s", PQgetvalue(res, n - 1, at.case_id));
            status = replay_page_send(db, params);
            more = status == DB_OK;
        }
        if (status == DB_OK && n > 0 && replay(rows, n, cls) != 0)
            status = DB_ERROR;
        PQclear(res);
        res = NULL;
        if (more) {
            enum db_status received;
            res = replay_page_receive(db, &received); /* also when the replay failed: the connection must be free */
            if (status == DB_OK)
                status = received;
            if (status != DB_OK) {
                PQclear(res);
                res = NULL;
            }
        }
    }
    free(rows);
    return status;
}
