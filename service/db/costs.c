/* The seller's cost settings, tenant-wide and per SKU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

/* cost_settings' columns are read by name (statements.sql names them after
 * the fields). */
static bool unset(const PGresult *res, const char *name) { return PQgetisnull(res, 0, db_column(res, name)); }
static const char *text(const PGresult *res, const char *name) { return PQgetvalue(res, 0, db_column(res, name)); }

static int int_or_unset(const PGresult *res, const char *name)
{
    return unset(res, name) ? -1 : atoi(text(res, name));
}

static int64_t amount_or_unset(const PGresult *res, const char *name)
{
    return unset(res, name) ? -1 : strtoll(text(res, name), NULL, 10);
}

void db_cost_settings_from_result(const PGresult *res, struct db_cost_settings *out)
{
#define PERCENT(field) out->field = int_or_unset(res, #field)
#define AMOUNT(field) out->field = amount_or_unset(res, #field)
    PERCENT(landed_cost_percent);
    PERCENT(outbound_postage_percent);
    PERCENT(return_postage_percent);
    PERCENT(handling_percent);
    PERCENT(resale_percent);
    out->return_insurance = unset(res, "return_insurance") ? -1 : strcmp(text(res, "return_insurance"), "t") == 0;
    snprintf(out->sku_currency, sizeof(out->sku_currency), "%s", unset(res, "sku_currency") ? "" : text(res, "sku_currency"));
    AMOUNT(unit_cost);
    AMOUNT(outbound_postage);
    AMOUNT(return_postage);
    AMOUNT(handling);
    PERCENT(sku_resale_percent);
    PERCENT(sku_compensation_budget_percent);
#undef PERCENT
#undef AMOUNT
}

enum db_status db_cost_settings_get(struct db *db, int64_t tenant_id, const char *sku, struct db_cost_settings *out)
{
    char tenant[24];
    db_int_text(tenant_id, tenant);
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
    db_int_text(v, buf);
    return buf;
}

enum db_status db_tenant_costs_put(struct db *db, int64_t tenant_id, const struct db_cost_settings *in)
{
    char tenant[24], a[24], b[24], c[24], d[24], e[24];
    db_int_text(tenant_id, tenant);
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
    char tenant[24], a[24], b[24], c[24], d[24], e[24], f[24];
    db_int_text(tenant_id, tenant);
    const char *const params[] = {
        tenant, sku, in->sku_currency, text_or_null(in->unit_cost, a), text_or_null(in->outbound_postage, b),
        text_or_null(in->return_postage, c), text_or_null(in->handling, d), text_or_null(in->sku_resale_percent, e),
        text_or_null(in->sku_compensation_budget_percent, f),
    };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_SKU_COSTS_UPSERT, 9, params, &status);
    PQclear(res);
    return status;
}
