/* The helpdesk connectors' settings: one row per tenant and connector. */
#include <stdlib.h>
#include <string.h>

#include "db_connectors.h"
#include "db_internal.h"

enum db_status db_connector_settings_get(struct db *db, int64_t tenant_id, const char *connector, char **settings,
                                         char **secrets)
{
    *settings = NULL;
    *secrets = NULL;
    char tenant[24];
    db_int_text(tenant_id, tenant);
    const char *const params[] = { tenant, connector };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_CONNECTOR_SETTINGS_GET, 2, params, &status);
    if (res == NULL)
        return status;
    if (PQntuples(res) == 1) {
        *settings = strdup(PQgetvalue(res, 0, db_column(res, "settings")));
        *secrets = strdup(PQgetvalue(res, 0, db_column(res, "secrets")));
        if (*settings == NULL || *secrets == NULL) {
            free(*settings);
            free(*secrets);
            *settings = *secrets = NULL;
            status = DB_ERROR;
        }
    }
    PQclear(res);
    return status;
}

struct put_ctx {
    const char *const *params; /* the statement's five */
    db_connector_accept_fn accept;
    void *cls;
};

static enum db_status put_in_transaction(struct db *db, void *cls)
{
    struct put_ctx *ctx = cls;
    enum db_status status;
    PGresult *res = db_exec(db, STMT_CONNECTOR_SETTINGS_PUT, 5, ctx->params, &status);
    if (res == NULL)
        return status;
    bool accepted = ctx->accept(PQgetvalue(res, 0, db_column(res, "secrets")), ctx->cls);
    PQclear(res);
    return accepted ? DB_OK : DB_SETTLED;
}

enum db_status db_connector_settings_put(struct db **db, int64_t tenant_id, const char *connector,
                                         const char *settings, const char *set_secrets, const char *clear_secrets,
                                         db_connector_accept_fn accept, void *cls)
{
    char tenant[24];
    db_int_text(tenant_id, tenant);
    const char *const params[] = { tenant, connector, settings, set_secrets, clear_secrets };
    struct put_ctx ctx = { params, accept, cls };
    return db_run_transaction(db, "READ COMMITTED", put_in_transaction, &ctx);
}
