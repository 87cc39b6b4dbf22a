/* Issue #10, "the engine sees it": the case rollups kept by the statements
 * that record cases and outcomes (and migration 0010's backfill of them),
 * and the decision's two inputs from the account's own data: the SKU's
 * compensation against its budget, and the order defect rate's status. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_json.h"
#include "db.h"
#include "engine.h"
#include "harness.h"

static const int64_t NOW = 1795000000;

static void engine_setup(void)
{
    char err[512];
    ck_assert_msg(eng_templates_init(err, sizeof(err)) == 0, "%s", err);
}

/* ---- the engine's rules, without the database ---- */

/* A delivered Amazon order of one $5.00 item whose unit cost is known. */
static struct eng_case base_case(enum eng_category category)
{
    struct eng_case c;
    memset(&c, 0, sizeof(c));
    c.channel = CHANNEL_AMAZON;
    c.order.order_id = "113-0000000-0000001";
    c.order.sku = "SKU-B";
    c.order.currency = eng_currency_find("USD");
    c.order.item_price = 500;
    c.order.quantity = 1;
    c.order.unit_cost = 100;
    c.order.fulfillment = FULFILLMENT_FBM;
    c.order.shipped = true;
    c.order.delivered_at = NOW - 2 * 86400;
    c.buyer.buyer_id = "B1";
    c.buyer.language = "en";
    c.issue.category = category;
    c.issue.items_affected = 1;
    c.budget.sku_percent = -1;
    return c;
}

/* Missing parts whose postage makes reshipping them (25 % of the $1.00
 * landed cost + $5.20 postage = $5.45) dearer than the money back ($5.00,
 * the item kept), yet cheaper than the full return ($5.50): the rule's own
 * recommendation is reship_parts. */
static struct eng_case missing_parts_case(void)
{
    struct eng_case c = base_case(CAT_MISSING_PARTS);
    c.sku_costs.set = SKU_OUTBOUND_POSTAGE;
    c.sku_costs.outbound_postage = 520;
    return c;
}

static void set_budget(struct eng_case *c, int64_t compensation, int64_t revenue)
{
    c->budget.known = true;
    c->budget.compensation = compensation;
    c->budget.revenue = revenue;
}

static bool has_alternative(const struct eng_decision *d, enum eng_action primary)
{
    for (int i = 0; i < d->n_alternatives; i++)
        if (d->alternatives[i].primary == primary)
            return true;
    return false;
}

static struct eng_decision decision;

static void decide(const struct eng_case *c, const struct eng_policy *p)
{
    struct eng_history h;
    memset(&h, 0, sizeof(h));
    ck_assert_int_eq(eng_decide(c, p, &h, NOW, &decision), 0);
    ck_assert(decision.compliance.passed);
}

START_TEST(under_budget_keeps_the_rules_recommendation)
{
    const struct eng_policy *p = eng_policy_default(); /* budget 5 % */
    struct eng_case c = missing_parts_case();
    decide(&c, p);
    ck_assert_int_eq(decision.remedy.primary, ACT_RESHIP_PARTS);
    ck_assert_int_eq(decision.remedy.cost, 545);
    ck_assert(!decision.budget.known); /* no revenue known: nothing said */

    set_budget(&c, 500, 10000); /* exactly 5 %: not over */
    decide(&c, p);
    ck_assert(decision.budget.known);
    ck_assert(!decision.budget.over);
    ck_assert_int_eq(decision.budget.percent, 5);
    ck_assert_int_eq(decision.remedy.primary, ACT_RESHIP_PARTS);
    ck_assert_ptr_null(decision.budget.rule);

    set_budget(&c, 501, 0); /* revenue unknown: never over, not reported */
    decide(&c, p);
    ck_assert(!decision.budget.known);
    ck_assert_int_eq(decision.remedy.primary, ACT_RESHIP_PARTS);
}
END_TEST

START_TEST(over_budget_prefers_the_cheapest_equally_whole_remedy)
{
    const struct eng_policy *p = eng_policy_default();
    struct eng_case c = missing_parts_case();
    set_budget(&c, 501, 10000); /* just over 5 % */
    decide(&c, p);
    ck_assert(decision.budget.over);
    ck_assert_int_eq(decision.remedy.primary, ACT_FULL_REFUND);
    ck_assert_int_eq(decision.remedy.cost, 500);
    ck_assert(decision.remedy.keep_item); /* the same effort for the buyer */
    ck_assert_str_eq(decision.budget.rule, "over_budget_cheapest_remedy");
    ck_assert_int_eq(decision.alternatives[0].primary, ACT_RESHIP_PARTS); /* what it would have been */
    ck_assert_int_eq(decision.tier, TIER_GOODWILL);

    /* the SKU's own budget is above the rate: not over */
    c.budget.sku_percent = 6;
    decide(&c, p);
    ck_assert(!decision.budget.over);
    ck_assert_int_eq(decision.budget.percent, 6);
    ck_assert_int_eq(decision.remedy.primary, ACT_RESHIP_PARTS);

    /* a replacement ($1.00 + $5.20) is whole too, but dearer than the parts */
    c.budget.sku_percent = -1;
    struct eng_policy no_refund = *p;
    no_refund.categories[CAT_MISSING_PARTS].allowed_actions &= ~ENG_ACTION_BIT(ACT_FULL_REFUND);
    decide(&c, &no_refund);
    ck_assert_int_eq(decision.remedy.primary, ACT_RESHIP_PARTS);
    ck_assert_ptr_null(decision.budget.rule);
    ck_assert(decision.budget.over);
}
END_TEST

START_TEST(budget_rule_switched_off_decides_as_before)
{
    struct eng_policy p = *eng_policy_default();
    p.prefer_cheapest_over_budget = false;
    struct eng_case c = missing_parts_case();
    set_budget(&c, 9000, 10000);
    decide(&c, &p);
    ck_assert(decision.budget.over); /* still said */
    ck_assert_ptr_null(decision.budget.rule);
    ck_assert_int_eq(decision.remedy.primary, ACT_RESHIP_PARTS);
    ck_assert_int_eq(decision.remedy.cost, 545);
}
END_TEST

/* A top-tier seller fault already weighs both whole remedies: over budget
 * it is never moved to a lesser one (nor loses its gesture). */
START_TEST(over_budget_never_lessens_a_top_tier_fix)
{
    const struct eng_policy *p = eng_policy_default();
    for (int cat = 0; cat < CAT_COUNT; cat++) {
        struct eng_case c = base_case((enum eng_category)cat);
        decide(&c, p);
        struct eng_remedy before = decision.remedy;
        enum eng_tier tier = decision.tier;
        set_budget(&c, 10000, 10000);
        decide(&c, p);
        ck_assert(decision.budget.over);
        ck_assert_int_eq(decision.tier, tier);
        if (tier == TIER_TOP || decision.budget.rule == NULL) {
            ck_assert_msg(decision.remedy.primary == before.primary && decision.remedy.cost == before.cost,
                          "%s changed over budget", ENG_CATEGORY_NAMES[cat]);
            ck_assert_ptr_null(decision.budget.rule);
        } else {
            ck_assert(decision.remedy.cost < before.cost);
            ck_assert(decision.remedy.keep_item == before.keep_item);
        }
    }
}
END_TEST

/* The engine's inputs as POST /v1/cases makes them: the settings with the
 * account's counts, through case_evaluate (costs applied, decided, the
 * response made: its account_health must say what the decision did). */
static void settings_with_odr(struct db_cost_settings *s, int64_t defects, int64_t orders)
{
    memset(s, 0, sizeof(*s));
    s->landed_cost_percent = s->outbound_postage_percent = s->return_postage_percent = -1;
    s->handling_percent = s->resale_percent = s->return_insurance = -1;
    s->unit_cost = s->outbound_postage = s->return_postage = s->handling = -1;
    s->sku_resale_percent = s->sku_compensation_budget_percent = -1;
    s->account.odr_known = true;
    s->account.odr_defect_orders = defects;
    s->account.odr_orders = orders;
}

static void decide_with_history(const struct eng_case *request, const struct db_cost_settings *s,
                                const struct eng_history *h)
{
    json_t *response = NULL;
    ck_assert_int_eq(case_evaluate(request, s, h, NOW, NULL, NULL, &decision, &response), 0);
    ck_assert_ptr_nonnull(response);
    ck_assert(decision.compliance.passed);
    json_t *health = json_object_get(response, "account_health");
    ck_assert(decision.account_health.known == (health != NULL));
    if (health != NULL) {
        json_t *rule = json_object_get(health, "rule");
        ck_assert(decision.account_health.rule ? strcmp(json_string_value(rule), decision.account_health.rule) == 0
                                               : json_is_null(rule));
    }
    json_decref(response);
}

static void decide_with(const struct eng_case *request, const struct db_cost_settings *s)
{
    struct eng_history h;
    memset(&h, 0, sizeof(h));
    decide_with_history(request, s, &h);
}

/* A buyer who changed their mind, with an A-to-z claim: the rule alone
 * takes the item back at the buyer's expense. */
static struct eng_case claim_case(void)
{
    struct eng_case c = base_case(CAT_CHANGED_MIND);
    c.signals.a_to_z_claim = true;
    return c;
}

START_TEST(odr_status_on_each_side_of_at_risk)
{
    struct db_cost_settings s;
    struct eng_case c = claim_case();
    settings_with_odr(&s, 79, 10000); /* 0.79 %: good */
    decide_with(&c, &s);
    ck_assert(decision.account_health.known);
    ck_assert_int_eq(decision.account_health.order_defect_rate, HEALTH_GOOD);
    ck_assert_ptr_null(decision.account_health.rule);
    ck_assert_int_eq(decision.remedy.primary, ACT_RETURN_REFUND);
    ck_assert(!decision.remedy.seller_pays_return);

    settings_with_odr(&s, 80, 10000); /* 0.80 %: within 20 % of 1 %, at risk */
    decide_with(&c, &s);
    ck_assert_int_eq(decision.account_health.order_defect_rate, HEALTH_AT_RISK);
    ck_assert_str_eq(decision.account_health.rule, "favour_buyer");
    ck_assert_str_eq(decision.account_health.trigger, "a_to_z_claim");
    ck_assert_int_eq(decision.tier, TIER_TOP);
    ck_assert_int_eq(decision.remedy.primary, ACT_FULL_REFUND);
    ck_assert(decision.remedy.keep_item);
    ck_assert(!decision.remedy.return_required);
    ck_assert_int_eq(decision.remedy.refund_amount, 500);

    settings_with_odr(&s, 100, 10000); /* 1 %: bad */
    decide_with(&c, &s);
    ck_assert_int_eq(decision.account_health.order_defect_rate, HEALTH_BAD);
    ck_assert_int_eq(decision.remedy.primary, ACT_FULL_REFUND);

    settings_with_odr(&s, 0, 0); /* no orders imported: unknown, no rule */
    decide_with(&c, &s);
    ck_assert(!decision.account_health.known);
    ck_assert_int_eq(decision.remedy.primary, ACT_RETURN_REFUND);
}
END_TEST

START_TEST(odr_rule_needs_a_possible_defect)
{
    struct db_cost_settings s;
    settings_with_odr(&s, 150, 10000); /* bad */
    struct eng_case c = base_case(CAT_CHANGED_MIND);
    decide_with(&c, &s);
    ck_assert_ptr_null(decision.account_health.rule);
    ck_assert_int_eq(decision.remedy.primary, ACT_RETURN_REFUND);

    c.signals.review_type = REVIEW_PRODUCT; /* not part of the defect rate */
    c.signals.review_rating = 1;
    decide_with(&c, &s);
    ck_assert_ptr_null(decision.account_health.rule);

    c.signals.review_type = REVIEW_SELLER_FEEDBACK;
    c.signals.review_rating = 3; /* neutral feedback is no defect */
    decide_with(&c, &s);
    ck_assert_ptr_null(decision.account_health.rule);

    c.signals.review_rating = 2;
    decide_with(&c, &s);
    ck_assert_str_eq(decision.account_health.trigger, "negative_feedback");
    ck_assert_int_eq(decision.remedy.primary, ACT_FULL_REFUND);

    c = base_case(CAT_CHANGED_MIND);
    c.signals.chargeback = true;
    decide_with(&c, &s);
    ck_assert_str_eq(decision.account_health.trigger, "chargeback");
    ck_assert_int_eq(decision.remedy.primary, ACT_FULL_REFUND);
}
END_TEST

START_TEST(odr_rule_switched_off_decides_as_before)
{
    struct db_cost_settings s;
    settings_with_odr(&s, 150, 10000);
    struct eng_policy off = *eng_policy_default();
    off.favour_buyer_when_odr_at_risk = false;
    s.policy = &off;
    struct eng_case c = claim_case();
    decide_with(&c, &s);
    ck_assert_int_eq(decision.account_health.order_defect_rate, HEALTH_BAD); /* still said */
    ck_assert_ptr_null(decision.account_health.rule);
    ck_assert_int_eq(decision.remedy.primary, ACT_RETURN_REFUND);
}
END_TEST

/* No firm "no" and no abuse-based refusal; a goods fault gets the cheaper
 * of a refund and a replacement; the category's allowed actions bind. */
START_TEST(odr_rule_overrides_refusals_not_the_sellers_actions)
{
    struct db_cost_settings s;
    settings_with_odr(&s, 150, 10000);
    struct eng_case c = claim_case();
    c.order.delivered_at = NOW - 400 * 86400; /* outside the return window: firm */
    settings_with_odr(&s, 0, 0);
    decide_with(&c, &s);
    ck_assert_int_eq(decision.tier, TIER_FIRM);
    settings_with_odr(&s, 150, 10000);
    decide_with(&c, &s);
    ck_assert_int_eq(decision.tier, TIER_TOP);
    ck_assert_int_eq(decision.remedy.primary, ACT_FULL_REFUND);

    /* high abuse risk: a person would decide; the rule pays without dispute */
    c = claim_case();
    struct eng_history h = { .cases_90d = 6, .cases_365d = 6, .same_category_90d = 5, .abuse_confirmed = 1 };
    decide_with_history(&c, &s, &h);
    ck_assert_int_eq(decision.risk, RISK_HIGH);
    ck_assert_int_eq(decision.tier, TIER_TOP);
    ck_assert_int_eq(decision.remedy.primary, ACT_FULL_REFUND);

    /* minor defect (goods at fault): replacement ($1.00 + $0.50) beats the refund */
    c = base_case(CAT_MINOR_DEFECT);
    c.signals.a_to_z_claim = true;
    decide_with(&c, &s);
    ck_assert_int_eq(decision.remedy.primary, ACT_REPLACEMENT);
    ck_assert(has_alternative(&decision, ACT_FULL_REFUND));

    /* the seller allows neither: the money back against the item */
    struct eng_policy limited = *eng_policy_default();
    limited.categories[CAT_CHANGED_MIND].allowed_actions =
        ENG_ACTION_BIT(ACT_RETURN_REFUND) | ENG_ACTION_BIT(ACT_EXPLANATION);
    s.policy = &limited;
    c = claim_case();
    decide_with(&c, &s);
    ck_assert_int_eq(decision.remedy.primary, ACT_RETURN_REFUND);
    ck_assert(decision.remedy.seller_pays_return);
}
END_TEST

/* Favouring the buyer comes before the budget. */
START_TEST(odr_rule_comes_before_the_budget)
{
    struct db_cost_settings s;
    settings_with_odr(&s, 150, 10000);
    s.account.budget_known = true;
    s.account.budget_window_days = 30;
    s.account.sku_compensation = 9000;
    s.account.sku_revenue = 10000;
    struct eng_case c = missing_parts_case();
    c.signals.chargeback = true;
    decide_with(&c, &s);
    ck_assert(decision.budget.over);
    ck_assert_ptr_null(decision.budget.rule);
    ck_assert_str_eq(decision.account_health.rule, "favour_buyer");
    ck_assert_int_eq(decision.tier, TIER_TOP);

    /* sums read for another window than the policy's are not used */
    s.account.budget_window_days = 31;
    c = missing_parts_case();
    decide_with(&c, &s);
    ck_assert(!decision.budget.known);
}
END_TEST

/* ---- end to end: rollups, inputs, backfill ---- */

static struct th_server srv;
static char tenant_name[64], api_key[APIKEY_LEN + 1], auth_header[TH_AUTH_HEADER_SIZE];
static char conninfo[512];

/* Run sql with params on this test's database; the result (caller clears). */
static PGresult *sql(const char *query, int n, const char *const *params)
{
    PGconn *conn = PQconnectdb(conninfo);
    ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "%s", PQerrorMessage(conn));
    PGresult *res = PQexecParams(conn, query, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    ck_assert_msg(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", query, PQerrorMessage(conn));
    PQfinish(conn);
    return res;
}

/* One text value (row 0, column 0) of a query on the tenant ($1: its name). */
static char *sql_text(const char *query)
{
    const char *const params[] = { tenant_name };
    PGresult *res = sql(query, 1, params);
    ck_assert_int_eq(PQntuples(res), 1);
    char *text = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return text;
}

static void sql_tenant(const char *query)
{
    const char *const params[] = { tenant_name };
    PQclear(sql(query, 1, params));
}

static void e2e_setup(void)
{
    snprintf(conninfo, sizeof(conninfo), "%s", th_conninfo());
    th_server_start(&srv, conninfo, NULL);
    th_tenant_with_auth(conninfo, tenant_name, api_key, auth_header);
}

static void e2e_teardown(void)
{
    th_server_stop(&srv);
}

static void post(const char *method, const char *path, const char *body, struct th_response *r)
{
    const char *headers[] = { auth_header, "Content-Type: application/json", NULL };
    th_request(srv.port, method, path, headers, body, body ? strlen(body) : 0, r);
}

static char *case_body(const char *order_id, const char *sku, const char *category, const char *signals)
{
    static char body[1024];
    snprintf(body, sizeof(body),
             "{\"channel\":\"amazon\",\"order\":{\"order_id\":\"%s\",\"sku\":\"%s\",\"currency\":\"USD\","
             "\"item_price\":500,\"unit_cost\":100,\"delivered_at\":\"2026-11-01T10:00:00Z\"},"
             "\"buyer\":{\"buyer_id\":\"B-%s\",\"language\":\"en\"},\"issue\":{\"category\":\"%s\"}%s%s}",
             order_id, sku, order_id, category, signals ? ",\"signals\":" : "", signals ? signals : "");
    return body;
}

/* POST a case; its id in case_id, its response kept in *r. */
static void post_case(const char *body, char case_id[64], struct th_response *r)
{
    post("POST", "/v1/cases", body, r);
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    snprintf(case_id, 64, "%s", json_string_value(json_object_get(r->json, "case_id")));
}

static void post_outcome(const char *case_id, const char *body)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/cases/%s/outcome", case_id);
    struct th_response r;
    post("POST", path, body, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    th_response_free(&r);
}

static const char TENANT[] = "(SELECT id FROM tenants WHERE name = $1)";

/* The rollups: each key's values are the sums over its shards (migration
 * 0010), so tests read them as readers do. */
static const struct rollup_spec {
    const char *table, *key, *values;
} ROLLUPS[] = {
    { "case_daily", "day, currency, category, tier, responsibility, primary_action",
      "sum(cases), sum(remedy_cost), sum(full_return_cost), sum(refund_amount)" },
    { "case_sku_daily", "day, sku, currency, category",
      "sum(cases), sum(orders_with_case), sum(remedy_cost), sum(full_return_cost)" },
    { "outcome_daily", "day, currency, status, review_outcome, order_retained", "sum(cases), sum(final_refund)" },
    { "response_daily", "day", "sum(cases), sum(answered), sum(answered_within_24h)" },
    { "case_span", "span, start, currency, category, tier, responsibility, primary_action",
      "sum(cases), sum(remedy_cost), sum(full_return_cost), sum(refund_amount)" },
    { "case_sku_span", "span, start, sku, currency, category",
      "sum(cases), sum(orders_with_case), sum(remedy_cost), sum(full_return_cost)" },
};
enum { N_ROLLUPS = sizeof(ROLLUPS) / sizeof(ROLLUPS[0]) };

/* A rollup of the tenant as text, one line per key with any case (keys
 * whose cases all moved away sum to nothing), in key order. */
static char *rollup(const struct rollup_spec *r)
{
    char query[1024];
    snprintf(query, sizeof(query),
             "SELECT coalesce(string_agg(line, E'\\n' ORDER BY line), '') FROM "
             "(SELECT concat_ws(' ', %s, %s) AS line FROM %s WHERE tenant_id = %s GROUP BY %s "
             "HAVING sum(cases) <> 0) t",
             r->key, r->values, r->table, TENANT, r->key);
    return sql_text(query);
}

static long long number(const char *query)
{
    char *text = sql_text(query);
    long long v = atoll(text);
    free(text);
    return v;
}

static long long remedy_cost_of(const struct th_response *r)
{
    return json_integer_value(json_object_get(json_object_get(r->json, "cost"), "remedy"));
}

START_TEST(rollups_follow_cases_and_outcomes)
{
    char a[64], b[64], c[64];
    struct th_response ra, rb, rc;
    post_case(case_body("O-1", "SKU-R", "minor_defect", NULL), a, &ra);
    post_case(case_body("O-1", "SKU-R", "minor_defect", NULL), b, &rb); /* the same order and SKU again */
    post_case(case_body("O-2", "SKU-R", "minor_defect", NULL), c, &rc);
    long long cost = remedy_cost_of(&ra) + remedy_cost_of(&rb) + remedy_cost_of(&rc);
    char query[1024];
    snprintf(query, sizeof(query), "SELECT sum(cases) || '/' || sum(orders_with_case) || '/' || sum(remedy_cost) "
             "FROM case_sku_daily WHERE tenant_id = %s AND sku = 'SKU-R' "
             "AND day = (now() AT TIME ZONE 'UTC')::date AND currency = 'USD' AND category = 'minor_defect'", TENANT);
    char *text = sql_text(query), expected[64];
    snprintf(expected, sizeof(expected), "3/2/%lld", cost);
    ck_assert_str_eq(text, expected);
    free(text);
    snprintf(query, sizeof(query), "SELECT sum(cases) || '/' || sum(remedy_cost) || '/' || sum(refund_amount) "
             "FROM case_daily WHERE tenant_id = %s", TENANT);
    long long refunds = 0;
    const struct th_response *all[] = { &ra, &rb, &rc };
    for (int i = 0; i < 3; i++)
        refunds += json_integer_value(json_object_get(json_object_get(all[i]->json, "remedy"), "refund_amount"));
    text = sql_text(query);
    snprintf(expected, sizeof(expected), "3/%lld/%lld", cost, refunds);
    ck_assert_str_eq(text, expected);
    free(text);
    long long refund_a = json_integer_value(json_object_get(json_object_get(ra.json, "remedy"), "refund_amount"));
    th_response_free(&ra);
    th_response_free(&rb);
    th_response_free(&rc);

    snprintf(query, sizeof(query), "SELECT sum(cases) || '/' || sum(answered) || '/' || sum(answered_within_24h) "
             "FROM response_daily WHERE tenant_id = %s", TENANT);
    text = sql_text(query);
    ck_assert_str_eq(text, "3/0/0");
    free(text);

    /* an outcome, then one that replaces it */
    post_outcome(a, "{\"status\":\"accepted\",\"final_refund\":120}");
    snprintf(query, sizeof(query), "SELECT string_agg(line, ';' ORDER BY line) FROM (SELECT status || ',' || "
             "review_outcome || ',' || order_retained || ',' || sum(cases) || ',' || sum(final_refund) AS line "
             "FROM outcome_daily WHERE tenant_id = %s GROUP BY status, review_outcome, order_retained) t", TENANT);
    text = sql_text(query);
    ck_assert_str_eq(text, "accepted,none,unknown,1,120");
    free(text);
    post_outcome(a, "{\"status\":\"returned\",\"review_outcome\":\"avoided\",\"order_retained\":false}");
    text = sql_text(query);
    snprintf(expected, sizeof(expected), "accepted,none,unknown,0,0;returned,avoided,no,1,%lld", refund_a);
    ck_assert_str_eq(text, expected); /* no final_refund named: the decision's refund counts */
    free(text);
    post_outcome(b, "{\"status\":\"accepted\",\"final_refund\":0,\"order_retained\":true}");
    snprintf(query, sizeof(query), "SELECT sum(cases) || '/' || sum(answered) || '/' || sum(answered_within_24h) "
             "FROM response_daily WHERE tenant_id = %s", TENANT);
    text = sql_text(query);
    ck_assert_str_eq(text, "3/2/2"); /* answered once each, however many outcomes */
    free(text);
}
END_TEST

/* Run migration 0010's file again on this database. */
static void run_backfill(void)
{
    const char *root = getenv("REDRESS_TEST_ROOT");
    char path[1024];
    snprintf(path, sizeof(path), "%s/migrations/0010_case_rollups_backfill.sql", root ? root : ".");
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    PGconn *conn = PQconnectdb(conninfo);
    PQclear(PQexec(conn, "SET client_min_messages = warning")); /* its indexes exist: say nothing */
    PGresult *res = PQexec(conn, text);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "backfill: %s", PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
}


/* The live rollups equal what the backfill computes from the recorded rows. */
static void assert_backfill_agrees(void)
{
    char *live[N_ROLLUPS];
    for (int i = 0; i < N_ROLLUPS; i++)
        live[i] = rollup(&ROLLUPS[i]);
    run_backfill();
    for (int i = 0; i < N_ROLLUPS; i++) {
        char *filled = rollup(&ROLLUPS[i]);
        /* the backfill makes no row without a case */
        char query[256];
        snprintf(query, sizeof(query), "SELECT count(*) FROM %s WHERE tenant_id = %s AND cases = 0",
                 ROLLUPS[i].table, TENANT);
        ck_assert_int_eq(number(query), 0);
        ck_assert_msg(strlen(filled) > 0, "%s: empty", ROLLUPS[i].table);
        ck_assert_msg(strcmp(live[i], filled) == 0, "%s live:\n%s\nbackfill:\n%s", ROLLUPS[i].table, live[i],
                      filled);
        free(filled);
        free(live[i]);
    }
}

/* Its own database: the backfill rewrites every tenant's rollups. */
static void backfill_setup(void)
{
    th_database_create(conninfo, sizeof(conninfo));
    th_server_start(&srv, conninfo, NULL);
    th_tenant_with_auth(conninfo, tenant_name, api_key, auth_header);
}

START_TEST(backfill_equals_the_live_rollups)
{
    char ids[4][64];
    struct th_response r;
    const char *const categories[] = { "minor_defect", "defective", "changed_mind", "minor_defect" };
    const char *const orders[] = { "O-1", "O-1", "O-2", "O-3" };
    for (int i = 0; i < 4; i++) {
        post_case(case_body(orders[i], i == 1 ? "SKU-X" : "SKU-Y", categories[i], NULL), ids[i], &r);
        th_response_free(&r);
    }
    post_outcome(ids[0], "{\"status\":\"accepted\",\"final_refund\":150}");
    post_outcome(ids[0], "{\"status\":\"accepted\",\"final_refund\":90,\"review_outcome\":\"avoided\"}");
    post_outcome(ids[2], "{\"status\":\"declined\"}");
    assert_backfill_agrees();

    /* A case first answered after more than 24 h (its time moved back by
     * hand, the rollups realigned by the backfill), then answered live. */
    char query[256];
    snprintf(query, sizeof(query), "UPDATE cases SET created_at = created_at - interval '25 hours' "
             "WHERE tenant_id = %s AND case_id = '%s'", TENANT, ids[3]);
    sql_tenant(query);
    run_backfill();
    post_outcome(ids[3], "{\"status\":\"accepted\"}");
    snprintf(query, sizeof(query), "SELECT sum(answered) || '/' || sum(answered_within_24h) FROM response_daily "
             "WHERE tenant_id = %s", TENANT);
    char *text = sql_text(query);
    ck_assert_str_eq(text, "3/2");
    free(text);
    assert_backfill_agrees();
}
END_TEST

static const char BUDGET_SKU_COSTS[] = "{\"currency\":\"USD\",\"outbound_postage\":520}";

/* Revenue imported for the SKU: $100.00 today, and older sales just
 * outside the 30-day window; earlier compensation of $5.01 inside it. */
static void budget_rows(void)
{
    char query[1024];
    snprintf(query, sizeof(query),
             "INSERT INTO sales_daily (tenant_id, day, sku, currency, orders, units_sold, revenue) VALUES "
             "(%s, (now() AT TIME ZONE 'UTC')::date, 'SKU-B', 'USD', 10, 10, 10000), "
             "(%s, (now() AT TIME ZONE 'UTC')::date - 30, 'SKU-B', 'USD', 90, 90, 90000), "
             "(%s, (now() AT TIME ZONE 'UTC')::date, 'SKU-B', 'EUR', 90, 90, 90000)", TENANT, TENANT, TENANT);
    sql_tenant(query);
    snprintf(query, sizeof(query),
             "INSERT INTO case_sku_daily (tenant_id, day, sku, currency, category, cases, orders_with_case, "
             "remedy_cost, full_return_cost) VALUES "
             "(%s, (now() AT TIME ZONE 'UTC')::date - 29, 'SKU-B', 'USD', 'defective', 1, 1, 501, 900)", TENANT);
    sql_tenant(query);
}

START_TEST(budget_and_odr_reach_the_decision)
{
    struct th_response r;
    post("PUT", "/v1/skus/SKU-B/costs", BUDGET_SKU_COSTS, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    th_response_free(&r);
    char id[64];
    /* nothing imported: neither input is known, the rule's own remedy */
    post_case(case_body("O-B1", "SKU-B", "missing_parts", NULL), id, &r);
    ck_assert_ptr_null(json_object_get(r.json, "budget"));
    ck_assert_ptr_null(json_object_get(r.json, "account_health"));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "remedy"), "primary")), "reship_parts");
    th_response_free(&r);
    /* that case's own cost (5.45) now counts too: remove it, so the
     * numbers below are the ones set by hand */
    sql_tenant("DELETE FROM case_sku_daily WHERE tenant_id = (SELECT id FROM tenants WHERE name = $1)");

    budget_rows();
    post_case(case_body("O-B2", "SKU-B", "missing_parts", NULL), id, &r);
    json_t *budget = json_object_get(r.json, "budget");
    ck_assert_ptr_nonnull(budget);
    ck_assert(json_real_value(json_object_get(budget, "sku_cost_rate")) == 0.0501);
    ck_assert_int_eq(json_integer_value(json_object_get(budget, "budget_percent")), 5);
    ck_assert(json_is_true(json_object_get(budget, "over")));
    ck_assert_str_eq(json_string_value(json_object_get(budget, "rule")), "over_budget_cheapest_remedy");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "remedy"), "primary")), "full_refund");
    th_response_free(&r);

    /* the policy's window and the SKU's own budget */
    const char *match[] = { auth_header, "Content-Type: application/merge-patch+json", "If-Match: \"1\"", NULL };
    th_request(srv.port, "PATCH", "/v1/policy", match, "{\"costs\":{\"budget_window_days\":31}}",
               strlen("{\"costs\":{\"budget_window_days\":31}}"), &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    th_response_free(&r);
    post_case(case_body("O-B3", "SKU-B", "missing_parts", NULL), id, &r);
    budget = json_object_get(r.json, "budget");
    /* 31 days reach the $900 sold 30 days ago; this window also holds the last case's $5.00 */
    ck_assert(json_real_value(json_object_get(budget, "sku_cost_rate")) == 0.01001);
    ck_assert(json_is_false(json_object_get(budget, "over")));
    ck_assert(json_is_null(json_object_get(budget, "rule")));
    th_response_free(&r);

    /* the order defect rate: 9 defects in 1000 orders is at risk */
    char query[1024];
    snprintf(query, sizeof(query),
             "INSERT INTO health_daily (tenant_id, day, fulfillment, orders, cancelled_orders, defect_orders, "
             "negative_feedback_orders, a_to_z_orders, chargeback_orders, late_shipment_orders, "
             "seller_cancelled_orders, valid_tracking_orders) VALUES "
             "(%s, (now() AT TIME ZONE 'UTC')::date - 59, 'FBM', 600, 0, 5, 0, 5, 0, 0, 0, 600), "
             "(%s, (now() AT TIME ZONE 'UTC')::date, 'FBA', 400, 0, 4, 4, 0, 0, 0, 0, 400), "
             "(%s, (now() AT TIME ZONE 'UTC')::date - 60, 'FBM', 10, 0, 10, 10, 0, 0, 0, 0, 10)",
             TENANT, TENANT, TENANT);
    sql_tenant(query);
    post_case(case_body("O-B4", "SKU-C", "changed_mind", "{\"a_to_z_claim\":true}"), id, &r);
    json_t *health = json_object_get(r.json, "account_health");
    ck_assert_str_eq(json_string_value(json_object_get(health, "order_defect_rate_status")), "at_risk");
    ck_assert_str_eq(json_string_value(json_object_get(health, "rule")), "favour_buyer");
    ck_assert_str_eq(json_string_value(json_object_get(health, "trigger")), "a_to_z_claim");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "tier")), "top");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "remedy"), "primary")), "full_refund");
    ck_assert_ptr_null(json_object_get(r.json, "budget")); /* SKU-C sold nothing */
    th_response_free(&r);

    /* the dry run reads the same */
    post("POST", "/v1/cases?dry_run=true", case_body("O-B5", "SKU-C", "changed_mind", "{\"chargeback\":true}"), &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "account_health"), "trigger")),
                     "chargeback");
    th_response_free(&r);

    /* another tenant sees none of it */
    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(conninfo, other_name, other_key, other_auth);
    const char *other[] = { other_auth, "Content-Type: application/json", NULL };
    const char *body = case_body("O-B6", "SKU-B", "changed_mind", "{\"a_to_z_claim\":true}");
    th_request(srv.port, "POST", "/v1/cases", other, body, strlen(body), &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_ptr_null(json_object_get(r.json, "budget"));
    ck_assert_ptr_null(json_object_get(r.json, "account_health"));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "remedy"), "primary")), "return_refund");
    th_response_free(&r);
    snprintf(query, sizeof(query), "SELECT sum(cases) FROM case_daily WHERE tenant_id = %s", TENANT);
    ck_assert_int_eq(number(query), 4); /* this tenant's four recorded cases, not the other's */
}
END_TEST

/* The simulator replays with the inputs each decision used. */
START_TEST(replays_reproduce_the_account_inputs)
{
    struct th_response r;
    post("PUT", "/v1/skus/SKU-B/costs", BUDGET_SKU_COSTS, &r);
    th_response_free(&r);
    budget_rows();
    char query[1024];
    snprintf(query, sizeof(query),
             "INSERT INTO health_daily (tenant_id, day, fulfillment, orders, cancelled_orders, defect_orders, "
             "negative_feedback_orders, a_to_z_orders, chargeback_orders, late_shipment_orders, "
             "seller_cancelled_orders, valid_tracking_orders) VALUES "
             "(%s, (now() AT TIME ZONE 'UTC')::date, 'FBM', 100, 0, 2, 0, 2, 0, 0, 0, 100)", TENANT);
    sql_tenant(query);
    char id[64];
    post_case(case_body("O-S1", "SKU-B", "missing_parts", NULL), id, &r);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "remedy"), "primary")), "full_refund");
    th_response_free(&r);
    post_case(case_body("O-S2", "SKU-C", "changed_mind", "{\"a_to_z_claim\":true}"), id, &r);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "account_health"), "rule")),
                     "favour_buyer");
    th_response_free(&r);
    /* a case as recorded before issue #10 (no account inputs stored):
     * replayed with them unknown, so without the defect-rate rule, which
     * decided it: the one replay that does not reproduce its decision */
    post_case(case_body("O-S3", "SKU-C", "changed_mind", "{\"a_to_z_claim\":true}"), id, &r);
    th_response_free(&r);
    snprintf(query, sizeof(query), "UPDATE cases SET decision_inputs = decision_inputs - 'odr_orders' "
             "- 'odr_defect_orders' - 'budget_window_days' - 'budget_compensation' - 'budget_revenue' "
             "- 'sku_compensation_budget_percent' WHERE tenant_id = %s AND case_id = '%s'", TENANT, id);
    sql_tenant(query);

    post("POST", "/v1/policy/simulate", "{\"policy\":1}", &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "cases")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "fidelity_mismatches")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "cases_without_inputs")), 0);
    th_response_free(&r);
    /* both rules off: the two cases they decided change (the old one was
     * already replayed without them) */
    post("POST", "/v1/policy/simulate",
         "{\"policy\":{\"costs\":{\"prefer_cheapest_over_budget\":false},"
         "\"remedies\":{\"favour_buyer_when_odr_at_risk\":false}}}", &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "changed")), 2);
    th_response_free(&r);
}
END_TEST

Suite *budget_suite(void)
{
    Suite *s = suite_create("budget");
    TCase *engine = tcase_create("engine");
    tcase_add_checked_fixture(engine, engine_setup, NULL);
    tcase_add_test(engine, under_budget_keeps_the_rules_recommendation);
    tcase_add_test(engine, over_budget_prefers_the_cheapest_equally_whole_remedy);
    tcase_add_test(engine, budget_rule_switched_off_decides_as_before);
    tcase_add_test(engine, over_budget_never_lessens_a_top_tier_fix);
    tcase_add_test(engine, odr_status_on_each_side_of_at_risk);
    tcase_add_test(engine, odr_rule_needs_a_possible_defect);
    tcase_add_test(engine, odr_rule_switched_off_decides_as_before);
    tcase_add_test(engine, odr_rule_overrides_refusals_not_the_sellers_actions);
    tcase_add_test(engine, odr_rule_comes_before_the_budget);
    suite_add_tcase(s, engine);

    TCase *store = tcase_create("store");
    tcase_add_checked_fixture(store, e2e_setup, e2e_teardown);
    tcase_set_timeout(store, 120);
    tcase_add_test(store, rollups_follow_cases_and_outcomes);
    tcase_add_test(store, budget_and_odr_reach_the_decision);
    tcase_add_test(store, replays_reproduce_the_account_inputs);
    suite_add_tcase(s, store);

    TCase *backfill = tcase_create("backfill");
    tcase_add_checked_fixture(backfill, backfill_setup, e2e_teardown);
    tcase_set_timeout(backfill, 120);
    tcase_add_test(backfill, backfill_equals_the_live_rollups);
    suite_add_tcase(s, backfill);
    return s;
}
