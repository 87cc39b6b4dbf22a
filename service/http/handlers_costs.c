/* The seller's cost settings: GET/PUT /v1/settings/costs (tenant-wide
 * percentages) and GET/PUT /v1/skus/{sku}/costs (per-unit amounts). The
 * engine uses them where a case carries no actual values. */
#include <pthread.h>
#include <string.h>

#include "handlers.h"
#include "validate.h"

/* The tenant-wide settings are the policy's `costs` tunables of these
 * names, each stored in its db_cost_settings field (-1: not set): their
 * ranges, kinds and fallbacks come from the policy's table, so this list is
 * the one place the handler names them. */
static const struct {
    const char *name;
    size_t at; /* int in struct db_cost_settings */
} TENANT_COSTS[] = {
    { "landed_cost_percent", offsetof(struct db_cost_settings, landed_cost_percent) },
    { "outbound_postage_percent", offsetof(struct db_cost_settings, outbound_postage_percent) },
    { "return_postage_percent", offsetof(struct db_cost_settings, return_postage_percent) },
    { "handling_percent", offsetof(struct db_cost_settings, handling_percent) },
    { "resale_percent", offsetof(struct db_cost_settings, resale_percent) },
    { "return_insurance", offsetof(struct db_cost_settings, return_insurance) },
};
enum { TENANT_COST_COUNT = sizeof(TENANT_COSTS) / sizeof(TENANT_COSTS[0]) };

static const struct eng_tunable *tenant_cost_tunable(size_t i)
{
    return eng_tunable_find(POLICY_GROUP_COSTS, TENANT_COSTS[i].name); /* a test checks every name is there */
}

static int *tenant_cost_field(struct db_cost_settings *s, size_t i)
{
    return (int *)(void *)((char *)s + TENANT_COSTS[i].at);
}

static int tenant_cost_value(const struct db_cost_settings *s, size_t i)
{
    return *(const int *)(const void *)((const char *)s + TENANT_COSTS[i].at);
}

void costs_apply(const struct db_cost_settings *s, struct eng_case *c, struct eng_policy *policy)
{
    *policy = s->policy != NULL ? *s->policy : *eng_policy_default();
    for (size_t i = 0; i < TENANT_COST_COUNT; i++)
        if (tenant_cost_value(s, i) >= 0 && tenant_cost_tunable(i) != NULL)
            eng_tunable_set(policy, tenant_cost_tunable(i), tenant_cost_value(s, i));
    memset(&c->sku_costs, 0, sizeof(c->sku_costs));
    /* The account's data: the budget's sums only for the window this
     * policy names (a version written while they were read may name
     * another); the defect rate only when orders were imported. */
    const struct db_account_inputs *a = &s->account;
    c->budget.known = a->budget_known && a->budget_window_days == policy->budget_window_days;
    c->budget.compensation = a->sku_compensation;
    c->budget.revenue = a->sku_revenue;
    c->budget.sku_percent = s->sku_compensation_budget_percent;
    c->account_health.known = a->odr_known && a->odr_orders > 0;
    c->account_health.order_defect_rate =
        eng_health_status(HEALTH_ORDER_DEFECT_RATE, a->odr_defect_orders, a->odr_orders);
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

bool costs_tenant_fields_known(void)
{
    for (size_t i = 0; i < TENANT_COST_COUNT; i++)
        if (tenant_cost_tunable(i) == NULL)
            return false;
    return true;
}

static json_t *int_or_null(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

/* ---- tenant-wide ---- */

/* Validation specs from the table (built once; read-only after). */
struct tenant_costs_request {
    int64_t numbers[TENANT_COST_COUNT];
    bool flags[TENANT_COST_COUNT];
};
static struct field_spec tenant_cost_specs[TENANT_COST_COUNT];
static pthread_once_t tenant_cost_specs_once = PTHREAD_ONCE_INIT;

static void build_tenant_cost_specs(void)
{
    for (size_t i = 0; i < TENANT_COST_COUNT; i++) {
        const struct eng_tunable *t = tenant_cost_tunable(i);
        bool flag = t != NULL && t->kind == TUNABLE_BOOL;
        tenant_cost_specs[i] = (struct field_spec){
            .path = TENANT_COSTS[i].name,
            .kind = flag ? FIELD_BOOL : FIELD_INT,
            .offset = flag ? offsetof(struct tenant_costs_request, flags) + i * sizeof(bool)
                           : offsetof(struct tenant_costs_request, numbers) + i * sizeof(int64_t),
            .min = t ? t->min : 0,
            .max = t ? t->max : -1, /* unknown name: nothing is in range */
            .default_value = flag ? "false" : "-1",
        };
    }
}

static enum MHD_Result reply_tenant_costs(struct http_request *req, unsigned status)
{
    struct db_cost_settings s;
    enum db_status st = db_cost_settings_get(req->db, req->tenant.id, "", &s);
    struct eng_policy policy;
    if (st == DB_OK)
        st = policy_current(req, &policy);
    if (st != DB_OK)
        return http_reply_db_error(req, st);
    /* A field the tenant did not set shows the current policy version's. */
    json_t *body = json_object(), *custom = json_array();
    for (size_t i = 0; body != NULL && custom != NULL && i < TENANT_COST_COUNT; i++) {
        const struct eng_tunable *t = tenant_cost_tunable(i);
        int64_t value = tenant_cost_value(&s, i) >= 0 ? tenant_cost_value(&s, i) : eng_tunable_get(&policy, t);
        json_object_set_new(body, t->name, t->kind == TUNABLE_BOOL ? json_boolean(value) : json_integer(value));
        if (tenant_cost_value(&s, i) >= 0)
            json_array_append_new(custom, json_string(t->name));
    }
    if (body == NULL || custom == NULL || json_object_set_new(body, "custom", custom) != 0
        || json_object_set_new(body, "policy_version", json_integer(policy.version)) != 0) {
        json_decref(body);
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    }
    return http_reply_json(req, status, body);
}

enum MHD_Result handle_tenant_costs_get(struct http_request *req)
{
    return reply_tenant_costs(req, 200);
}

enum MHD_Result handle_tenant_costs_put(struct http_request *req)
{
    pthread_once(&tenant_cost_specs_once, build_tenant_cost_specs);
    struct tenant_costs_request in;
    json_t *errors = json_array();
    if (!validate_json(req->json, tenant_cost_specs, TENANT_COST_COUNT, &in, errors))
        return http_reply_invalid(req, errors);
    json_decref(errors);
    struct db_cost_settings s;
    memset(&s, 0, sizeof(s));
    for (size_t i = 0; i < TENANT_COST_COUNT; i++) {
        bool flag = tenant_cost_specs[i].kind == FIELD_BOOL;
        /* a flag is three-valued: true, false, or not set */
        *tenant_cost_field(&s, i) = flag ? (json_is_boolean(json_object_get(req->json, TENANT_COSTS[i].name))
                                                ? (int)in.flags[i] : -1)
                                         : (int)in.numbers[i];
    }
    enum db_status st = db_tenant_costs_put(req->db, req->tenant.id, &s);
    if (st != DB_OK)
        return http_reply_db_error(req, st);
    return reply_tenant_costs(req, 200);
}

/* ---- per SKU ---- */

struct sku_costs_request {
    const struct eng_currency *currency;
    int64_t unit_cost, outbound, returns, handling, resale, budget;
};

#define SC_AT(member) offsetof(struct sku_costs_request, member)
static const struct field_spec SKU_COST_FIELDS[] = {
    { "currency", FIELD_CURRENCY, true, SC_AT(currency), 0, 0, NULL, 0, NULL },
    { "unit_cost", FIELD_INT, false, SC_AT(unit_cost), 0, 100000000000LL, NULL, 0, "-1" },
    { "outbound_postage", FIELD_INT, false, SC_AT(outbound), 0, 100000000000LL, NULL, 0, "-1" },
    { "return_postage", FIELD_INT, false, SC_AT(returns), 0, 100000000000LL, NULL, 0, "-1" },
    { "handling", FIELD_INT, false, SC_AT(handling), 0, 100000000000LL, NULL, 0, "-1" },
    { "resale_percent", FIELD_INT, false, SC_AT(resale), 0, 100, NULL, 0, "-1" },
    /* overrides the policy's costs.compensation_budget_percent; same range */
    { "compensation_budget_percent", FIELD_INT, false, SC_AT(budget), 0, 100, NULL, 0, "-1" },
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
    return http_reply_json(req, 200, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "sku", sku,
                                               "currency", s.sku_currency, "unit_cost", int_or_null(s.unit_cost),
                                               "outbound_postage", int_or_null(s.outbound_postage),
                                               "return_postage", int_or_null(s.return_postage),
                                               "handling", int_or_null(s.handling),
                                               "resale_percent", int_or_null(s.sku_resale_percent),
                                               "compensation_budget_percent",
                                               int_or_null(s.sku_compensation_budget_percent)));
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
    s.sku_compensation_budget_percent = (int)in.budget;
    enum db_status st = db_sku_costs_put(req->db, req->tenant.id, req->path_args[0], &s);
    if (st != DB_OK)
        return http_reply_db_error(req, st);
    return reply_sku_costs(req);
}
