/* The seller's cost settings: GET/PUT /v1/settings/costs (tenant-wide
 * percentages) and GET/PUT /v1/skus/{sku}/costs (per-unit amounts). The
 * engine uses them where a case carries no actual values. */
#include <string.h>

#include "handlers.h"
#include "validate.h"

void costs_apply(const struct db_cost_settings *s, struct eng_case *c, struct eng_policy *policy)
{
    *policy = s->policy != NULL ? *s->policy : *eng_policy_default();
    if (s->landed_cost_percent >= 0) policy->landed_cost_percent = s->landed_cost_percent;
    if (s->outbound_postage_percent >= 0) policy->outbound_postage_percent = s->outbound_postage_percent;
    if (s->return_postage_percent >= 0) policy->return_postage_percent = s->return_postage_percent;
    if (s->handling_percent >= 0) policy->handling_percent = s->handling_percent;
    if (s->resale_percent >= 0) policy->resale_percent = s->resale_percent;
    if (s->return_insurance >= 0) policy->return_insurance = s->return_insurance;
    memset(&c->sku_costs, 0, sizeof(c->sku_costs));
    /* SKU amounts count only in the currency they were given in. */
    if (strcmp(s->sku_currency, c->order.currency->code) != 0)
        return;
    struct eng_sku_costs *k = &c->sku_costs;
    if (s->unit_cost >= 0) { k->set |= SKU_UNIT_COST; k->unit_cost = s->unit_cost; }
    if (s->outbound_postage >= 0) { k->set |= SKU_OUTBOUND_POSTAGE; k->outbound_postage = s->outbound_postage; }
    if (s->return_postage >= 0) { k->set |= SKU_RETURN_POSTAGE; k->return_postage = s->return_postage; }
    if (s->handling >= 0) { k->set |= SKU_HANDLING; k->handling = s->handling; }
    if (s->sku_resale_percent >= 0) { k->set |= SKU_RESALE; k->resale_percent = s->sku_resale_percent; }
}

static json_t *int_or_null(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

/* ---- tenant-wide ---- */

struct tenant_costs_request {
    int64_t landed, outbound, returns, handling, resale;
    bool insurance;
};

#define TC_AT(member) offsetof(struct tenant_costs_request, member)
static const struct field_spec TENANT_COST_FIELDS[] = {
    { "landed_cost_percent", FIELD_INT, false, TC_AT(landed), 0, 1000, NULL, 0, "-1" },
    { "outbound_postage_percent", FIELD_INT, false, TC_AT(outbound), 0, 1000, NULL, 0, "-1" },
    { "return_postage_percent", FIELD_INT, false, TC_AT(returns), 0, 1000, NULL, 0, "-1" },
    { "handling_percent", FIELD_INT, false, TC_AT(handling), 0, 1000, NULL, 0, "-1" },
    { "resale_percent", FIELD_INT, false, TC_AT(resale), 0, 100, NULL, 0, "-1" },
    { "return_insurance", FIELD_BOOL, false, TC_AT(insurance), 0, 0, NULL, 0, "false" },
};

static enum MHD_Result reply_tenant_costs(struct http_request *req, unsigned status)
{
    struct db_cost_settings s;
    enum db_status st = db_cost_settings_get(req->db, req->tenant.id, "", &s);
    struct eng_policy policy;
    if (st == DB_OK)
        st = policy_current(req, &policy);
    if (st != DB_OK)
        return http_reply_db_error(req, st);
    const struct eng_policy *d = &policy; /* what a field the tenant did not set falls back to */
    json_t *custom = json_array();
    const struct { const char *name; int value; } FIELDS[] = {
        { "landed_cost_percent", s.landed_cost_percent }, { "outbound_postage_percent", s.outbound_postage_percent },
        { "return_postage_percent", s.return_postage_percent }, { "handling_percent", s.handling_percent },
        { "resale_percent", s.resale_percent }, { "return_insurance", s.return_insurance },
    };
    for (size_t i = 0; i < sizeof(FIELDS) / sizeof(FIELDS[0]); i++)
        if (FIELDS[i].value >= 0)
            json_array_append_new(custom, json_string(FIELDS[i].name));
    return http_reply_json(req, status, json_pack(
        "{s:i, s:i, s:i, s:i, s:i, s:b, s:o, s:i}",
        "landed_cost_percent", s.landed_cost_percent >= 0 ? s.landed_cost_percent : d->landed_cost_percent,
        "outbound_postage_percent", s.outbound_postage_percent >= 0 ? s.outbound_postage_percent : d->outbound_postage_percent,
        "return_postage_percent", s.return_postage_percent >= 0 ? s.return_postage_percent : d->return_postage_percent,
        "handling_percent", s.handling_percent >= 0 ? s.handling_percent : d->handling_percent,
        "resale_percent", s.resale_percent >= 0 ? s.resale_percent : d->resale_percent,
        "return_insurance", s.return_insurance >= 0 ? s.return_insurance : d->return_insurance,
        "custom", custom, "policy_version", d->version));
}

enum MHD_Result handle_tenant_costs_get(struct http_request *req)
{
    return reply_tenant_costs(req, 200);
}

enum MHD_Result handle_tenant_costs_put(struct http_request *req)
{
    struct tenant_costs_request in;
    json_t *errors = json_array();
    if (!validate_json(req->json, TENANT_COST_FIELDS, sizeof(TENANT_COST_FIELDS) / sizeof(TENANT_COST_FIELDS[0]),
                       &in, errors))
        return http_reply_invalid(req, errors);
    json_decref(errors);
    struct db_cost_settings s;
    memset(&s, 0, sizeof(s));
    s.landed_cost_percent = (int)in.landed;
    s.outbound_postage_percent = (int)in.outbound;
    s.return_postage_percent = (int)in.returns;
    s.handling_percent = (int)in.handling;
    s.resale_percent = (int)in.resale;
    s.return_insurance = json_is_boolean(json_object_get(req->json, "return_insurance")) ? in.insurance : -1;
    enum db_status st = db_tenant_costs_put(req->db, req->tenant.id, &s);
    if (st != DB_OK)
        return http_reply_db_error(req, st);
    return reply_tenant_costs(req, 200);
}

/* ---- per SKU ---- */

struct sku_costs_request {
    const struct eng_currency *currency;
    int64_t unit_cost, outbound, returns, handling, resale;
};

#define SC_AT(member) offsetof(struct sku_costs_request, member)
static const struct field_spec SKU_COST_FIELDS[] = {
    { "currency", FIELD_CURRENCY, true, SC_AT(currency), 0, 0, NULL, 0, NULL },
    { "unit_cost", FIELD_INT, false, SC_AT(unit_cost), 0, 100000000000LL, NULL, 0, "-1" },
    { "outbound_postage", FIELD_INT, false, SC_AT(outbound), 0, 100000000000LL, NULL, 0, "-1" },
    { "return_postage", FIELD_INT, false, SC_AT(returns), 0, 100000000000LL, NULL, 0, "-1" },
    { "handling", FIELD_INT, false, SC_AT(handling), 0, 100000000000LL, NULL, 0, "-1" },
    { "resale_percent", FIELD_INT, false, SC_AT(resale), 0, 100, NULL, 0, "-1" },
};

static enum MHD_Result reply_sku_costs(struct http_request *req)
{
    const char *sku = req->path_args[0];
    struct db_cost_settings s;
    enum db_status st = db_cost_settings_get(req->db, req->tenant.id, sku, &s);
    if (st != DB_OK)
        return http_reply_db_error(req, st);
    if (s.sku_currency[0] == '\0')
        return http_reply_problem(req, PROBLEM_NOT_FOUND, "no cost settings for this SKU");
    return http_reply_json(req, 200, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "sku", sku,
                                               "currency", s.sku_currency, "unit_cost", int_or_null(s.unit_cost),
                                               "outbound_postage", int_or_null(s.outbound_postage),
                                               "return_postage", int_or_null(s.return_postage),
                                               "handling", int_or_null(s.handling),
                                               "resale_percent", int_or_null(s.sku_resale_percent)));
}

enum MHD_Result handle_sku_costs_get(struct http_request *req)
{
    return reply_sku_costs(req);
}

enum MHD_Result handle_sku_costs_put(struct http_request *req)
{
    struct sku_costs_request in;
    json_t *errors = json_array();
    /* validate_json() fails closed on a NULL array; the SKU's own check
     * counts on its own, not on the array having grown. */
    bool valid = validate_json(req->json, SKU_COST_FIELDS, sizeof(SKU_COST_FIELDS) / sizeof(SKU_COST_FIELDS[0]),
                               &in, errors);
    if (strlen(req->path_args[0]) > 128) {
        validate_error(errors, "sku", "must be at most 128 bytes long");
        valid = false;
    }
    if (!valid)
        return http_reply_invalid(req, errors);
    json_decref(errors);
    struct db_cost_settings s;
    memset(&s, 0, sizeof(s));
    snprintf(s.sku_currency, sizeof(s.sku_currency), "%s", in.currency->code);
    s.unit_cost = in.unit_cost;
    s.outbound_postage = in.outbound;
    s.return_postage = in.returns;
    s.handling = in.handling;
    s.sku_resale_percent = (int)in.resale;
    enum db_status st = db_sku_costs_put(req->db, req->tenant.id, req->path_args[0], &s);
    if (st != DB_OK)
        return http_reply_db_error(req, st);
    return reply_sku_costs(req);
}
