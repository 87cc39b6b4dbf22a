/* The tenant's policy versions: immutable rows, numbered per tenant. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "log.h"

/* A column by name: statements.sql and this file disagreeing is a bug. */
static int column(const PGresult *res, const char *name)
{
    int at = PQfnumber(res, name);
    if (at < 0) {
        log_msg(LOG_ERROR, "a policy statement's result has no column '%s' (statements.sql)", name);
        abort();
    }
    return at;
}

static const char *text(const PGresult *res, int row, const char *name)
{
    return PQgetvalue(res, row, column(res, name));
}

static bool is_null(const PGresult *res, int row, const char *name)
{
    return PQgetisnull(res, row, column(res, name));
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

static void int_text(int64_t v, char out[24])
{
    snprintf(out, 24, "%lld", (long long)v);
}

enum db_status db_policy_current(struct db *db, int64_t tenant_id, int cached_version, int *version,
                                 char **document)
{
    char tenant[24], cached[24];
    int_text(tenant_id, tenant);
    int_text(cached_version, cached);
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
    int_text(tenant_id, tenant);
    int_text(version, wanted);
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
    int_text(tenant_id, tenant);
    int_text(if_match, expected);
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
    int_text(tenant_id, tenant);
    int_text(before, below);
    int_text(limit, most);
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

enum db_status db_cases_replay(struct db *db, int64_t tenant_id, const struct db_replay_filter *filter,
                               int page_size, db_replay_fn fn, void *cls)
{
    char tenant[24], limit[24], position[64] = "-infinity", after_id[40] = "00000000-0000-0000-0000-000000000000";
    int_text(tenant_id, tenant);
    int_text(page_size, limit);
    for (;;) {
        const char *const params[] = { tenant, filter->from, filter->to, position, after_id,
                                       filter->category, filter->sku, filter->channel, limit };
        enum db_status status;
        PGresult *res = db_exec(db, STMT_CASES_REPLAY_PAGE, 9, params, &status);
        if (res == NULL)
            return status;
        int n = PQntuples(res);
        int stopped = 0;
        for (int i = 0; i < n && stopped == 0; i++) {
            struct db_replay_row row = {
                .case_id = text(res, i, "case_id"),
                .request = text(res, i, "request"),
                .inputs = is_null(res, i, "inputs") ? NULL : text(res, i, "inputs"),
                .history = text(res, i, "history"),
                .tier = text(res, i, "tier"),
                .primary_action = text(res, i, "primary_action"),
                .currency = text(res, i, "currency"),
                .category = text(res, i, "category"),
                .sku = text(res, i, "sku"),
                .policy_version = atoi(text(res, i, "policy_version")),
                .decided_at = strtoll(text(res, i, "decided_at"), NULL, 10),
                .remedy_cost = strtoll(text(res, i, "remedy_cost"), NULL, 10),
                .full_return_cost = strtoll(text(res, i, "full_return_cost"), NULL, 10),
            };
            stopped = fn(&row, cls);
        }
        if (n > 0) {
            snprintf(position, sizeof(position), "%s", text(res, n - 1, "position"));
            snprintf(after_id, sizeof(after_id), "%s", text(res, n - 1, "case_id"));
        }
        PQclear(res);
        if (stopped != 0)
            return DB_ERROR;
        if (n < page_size)
            return DB_OK;
    }
}
