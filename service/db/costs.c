/* The seller's cost settings, tenant-wide and per SKU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

static int int_or_unset(const PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? -1 : atoi(PQgetvalue(res, 0, col));
}

static int64_t amount_or_unset(const PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? -1 : strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

void db_cost_settings_from_result(const PGresult *res, struct db_cost_settings *out)
{
    out->landed_cost_percent = int_or_unset(res, 0);
    out->outbound_postage_percent = int_or_unset(res, 1);
    out->return_postage_percent = int_or_unset(res, 2);
    out->handling_percent = int_or_unset(res, 3);
    out->resale_percent = int_or_unset(res, 4);
    out->return_insurance = PQgetisnull(res, 0, 5) ? -1 : strcmp(PQgetvalue(res, 0, 5), "t") == 0;
    snprintf(out->sku_currency, sizeof(out->sku_currency), "%s", PQgetisnull(res, 0, 6) ? "" : PQgetvalue(res, 0, 6));
    out->unit_cost = amount_or_unset(res, 7);
    out->outbound_postage = amount_or_unset(res, 8);
    out->return_postage = amount_or_unset(res, 9);
    out->handling = amount_or_unset(res, 10);
    out->sku_resale_percent = int_or_unset(res, 11);
}

enum db_status db_cost_settings_get(struct db *db, int64_t tenant_id, const char *sku, struct db_cost_settings *out)
{
    char tenant[24];
    snprintf(tenant, sizeof(tenant), "%lld", (long long)tenant_id);
    const char *const params[] = { tenant, sku };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_COST_SETTINGS, 2, params, &status);
    if (res == NULL)
        return status;
    db_cost_settings_from_result(res, out);
    PQclear(res);
    return DB_OK;
}

/* Text of a value, or NULL (SQL NULL) when it is not set. */
static const char *text_or_null(int64_t v, char buf[24])
{
    if (v < 0)
        return NULL;
    snprintf(buf, 24, "%lld", (long long)v);
    return buf;
}

enum db_status db_tenant_costs_put(struct db *db, int64_t tenant_id, const struct db_cost_settings *in)
{
    char tenant[24], a[24], b[24], c[24], d[24], e[24];
    snprintf(tenant, sizeof(tenant), "%lld", (long long)tenant_id);
    const char *const params[] = {
        tenant, text_or_null(in->landed_cost_percent, a), text_or_null(in->outbound_postage_percent, b),
        text_or_null(in->return_postage_percent, c), text_or_null(in->handling_percent, d),
        text_or_null(in->resale_percent, e),
        in->return_insurance < 0 ? NULL : (in->return_insurance ? "true" : "false"),
    };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_TENANT_COSTS_UPSERT, 7, params, &status);
    PQclear(res);
    return status;
}

enum db_status db_sku_costs_put(struct db *db, int64_t tenant_id, const char *sku, const struct db_cost_settings *in)
{
    char tenant[24], a[24], b[24], c[24], d[24], e[24];
    snprintf(tenant, sizeof(tenant), "%lld", (long long)tenant_id);
    const char *const params[] = {
        tenant, sku, in->sku_currency, text_or_null(in->unit_cost, a), text_or_null(in->outbound_postage, b),
        text_or_null(in->return_postage, c), text_or_null(in->handling, d), text_or_null(in->sku_resale_percent, e),
    };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_SKU_COSTS_UPSERT, 8, params, &status);
    PQclear(res);
    return status;
}
