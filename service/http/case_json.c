/* Cases in and decisions out, in the contract's shape. */
#include "case_json.h"

#include <stddef.h>
#include <string.h>

#include "handlers.h"
#include "validate.h"

enum {
    MAX_AMOUNT = 100000000000LL, /* 1e11 minor units: a billion dollars, far below overflow */
    MAX_QUANTITY = 1000,
};

/* How the carrier proved delivery (order.shipment.delivery_confirmation). */
static const char *const DELIVERY_CONFIRMATION_NAMES[] = { "signature", "photo", "scan" };

/* A case request as validated: the engine's case, and the facts it does
 * not decide on (delivery evidence, the listing's promise). Those are
 * checked here and kept only in the stored request JSON, where the
 * evidence pack reads them; the shipment's times are read once more here,
 * for the rules across fields. */
struct case_request {
    struct eng_case c;
    struct {
        const char *carrier, *tracking_number, *ship_to_country; /* NULL when not given */
        int64_t shipped_at, delivered_at;                         /* Unix seconds; 0 when not given */
        int delivery_confirmation;                                /* unused when absent or null */
    } shipment;
    const char *product_description;
};

#define AT(member) offsetof(struct case_request, c.member)
#define FACT_AT(member) offsetof(struct case_request, member)
#define ENUM_OF(names) (names), (int)(sizeof(names) / sizeof(names[0]))

static const struct field_spec CASE_FIELDS[] = {
    { "ticket_id", FIELD_STRING, false, AT(ticket_id), 1, 128, NULL, 0, NULL },
    { "channel", FIELD_ENUM, false, AT(channel), 0, 0, ENUM_OF(ENG_CHANNEL_NAMES), "amazon" },
    { "marketplace", FIELD_STRING, false, AT(marketplace), 2, 8, NULL, 0, NULL },
    { "order", FIELD_OBJECT, true, 0, 0, 0, NULL, 0, NULL },
    { "order.order_id", FIELD_STRING, true, AT(order.order_id), 1, 64, NULL, 0, NULL },
    { "order.sku", FIELD_STRING, true, AT(order.sku), 1, 128, NULL, 0, NULL },
    { "order.currency", FIELD_CURRENCY, true, AT(order.currency), 0, 0, NULL, 0, NULL },
    { "order.item_price", FIELD_INT, true, AT(order.item_price), 0, MAX_AMOUNT, NULL, 0, NULL },
    { "order.quantity", FIELD_INT, false, AT(order.quantity), 1, MAX_QUANTITY, NULL, 0, "1" },
    { "order.shipping_paid", FIELD_INT, false, AT(order.shipping_paid), 0, MAX_AMOUNT, NULL, 0, "0" },
    { "order.unit_cost", FIELD_INT, false, AT(order.unit_cost), 0, MAX_AMOUNT, NULL, 0, "-1" },
    { "order.fulfillment", FIELD_ENUM, false, AT(order.fulfillment), 0, 0, ENUM_OF(ENG_FULFILLMENT_NAMES), "FBM" },
    { "order.customized", FIELD_BOOL, false, AT(order.customized), 0, 0, NULL, 0, "false" },
    { "order.shipped", FIELD_BOOL, false, AT(order.shipped), 0, 0, NULL, 0, "true" },
    { "order.ordered_at", FIELD_TIME, false, AT(order.ordered_at), 0, 0, NULL, 0, NULL },
    /* what the seller's marketplace says; order.shipment.delivered_at is the carrier's proof */
    { "order.delivered_at", FIELD_TIME, false, AT(order.delivered_at), 0, 0, NULL, 0, NULL },
    { "order.shipment", FIELD_OBJECT, false, 0, 0, 0, NULL, 0, NULL },
    { "order.shipment.carrier", FIELD_STRING, false, FACT_AT(shipment.carrier), 1, 64, NULL, 0, NULL },
    { "order.shipment.tracking_number", FIELD_TOKEN, false, FACT_AT(shipment.tracking_number), 1, 64, NULL, 0,
      NULL },
    { "order.shipment.shipped_at", FIELD_TIME, false, FACT_AT(shipment.shipped_at), 0, 0, NULL, 0, NULL },
    { "order.shipment.delivered_at", FIELD_TIME, false, FACT_AT(shipment.delivered_at), 0, 0, NULL, 0, NULL },
    /* null: delivered with no proof, as when absent */
    { "order.shipment.delivery_confirmation", FIELD_ENUM, false, FACT_AT(shipment.delivery_confirmation), 0, 0,
      ENUM_OF(DELIVERY_CONFIRMATION_NAMES), NULL },
    { "order.shipment.ship_to_country", FIELD_COUNTRY, false, FACT_AT(shipment.ship_to_country), 0, 0, NULL, 0,
      NULL },
    { "order.product_description", FIELD_STRING, false, FACT_AT(product_description), 1, 4000, NULL, 0, NULL },
    { "buyer", FIELD_OBJECT, true, 0, 0, 0, NULL, 0, NULL },
    { "buyer.buyer_id", FIELD_STRING, true, AT(buyer.buyer_id), 1, 128, NULL, 0, NULL },
    { "buyer.name", FIELD_STRING, false, AT(buyer.name), 0, 128, NULL, 0, NULL },
    /* absent: the message's own language, else en (eng_decide) */
    { "buyer.language", FIELD_LANGUAGE, false, AT(buyer.language), 0, 0, NULL, 0, NULL },
    { "issue", FIELD_OBJECT, true, 0, 0, 0, NULL, 0, NULL },
    /* one of category and message is required (case_from_json) */
    { "issue.category", FIELD_ENUM, false, AT(issue.category), 0, 0, ENUM_OF(ENG_CATEGORY_NAMES), NULL },
    /* its length limit is triage's, a 422 (triage_check_message) */
    { "issue.message", FIELD_STRING, false, AT(issue.message), 1, TRIAGE_MESSAGE_SHAPE_MAX, NULL, 0, NULL },
    { "issue.description", FIELD_STRING, false, AT(issue.description), 0, 4000, NULL, 0, NULL },
    { "issue.delay_days", FIELD_INT, false, AT(issue.delay_days), -365, 3650, NULL, 0, "0" },
    { "issue.items_affected", FIELD_INT, false, AT(issue.items_affected), 1, MAX_QUANTITY, NULL, 0, "1" },
    { "signals", FIELD_OBJECT, false, 0, 0, 0, NULL, 0, NULL },
    { "signals.review", FIELD_OBJECT, false, 0, 0, 0, NULL, 0, NULL },
    { "signals.review.type", FIELD_ENUM, false, AT(signals.review_type), 0, 0,
      ENUM_OF(ENG_REVIEW_TYPE_NAMES), "none" },
    { "signals.review.rating", FIELD_INT, false, AT(signals.review_rating), 1, 5, NULL, 0, "0" },
    { "signals.a_to_z_claim", FIELD_BOOL, false, AT(signals.a_to_z_claim), 0, 0, NULL, 0, "false" },
    { "signals.chargeback", FIELD_BOOL, false, AT(signals.chargeback), 0, 0, NULL, 0, "false" },
    { "signals.return_requested", FIELD_BOOL, false, AT(signals.return_requested), 0, 0, NULL, 0, "false" },
};

bool triage_check_message(json_t *errors, const char *field, const char *message)
{
    if (message == NULL || strlen(message) <= ENG_TRIAGE_TEXT_MAX)
        return true;
    validate_error_unprocessable(errors, field, "must be at most %d bytes (UTF-8): triage reads no more",
                                 ENG_TRIAGE_TEXT_MAX);
    return false;
}

/* The shipment's times against each other and the order's: appends a
 * problem naming the later field for each that cannot be. */
static void check_shipment_times(const struct case_request *request, json_t *errors)
{
    int64_t ordered = request->c.order.ordered_at;
    int64_t shipped = request->shipment.shipped_at, delivered = request->shipment.delivered_at;
    if (shipped != 0 && ordered != 0 && shipped < ordered)
        validate_error(errors, "order.shipment.shipped_at", "must not be before order.ordered_at");
    if (delivered != 0 && shipped != 0 && delivered < shipped)
        validate_error(errors, "order.shipment.delivered_at", "must not be before order.shipment.shipped_at");
    if (delivered != 0 && ordered != 0 && delivered < ordered)
        validate_error(errors, "order.shipment.delivered_at", "must not be before order.ordered_at");
    if ((shipped != 0 || delivered != 0) && !request->c.order.shipped)
        validate_error(errors, "order.shipped", "must be true when order.shipment gives a shipped or delivered time");
}

bool case_from_json(const json_t *body, struct eng_case *c, json_t *errors)
{
    struct case_request request;
    memset(&request, 0, sizeof(request));
    size_t before = json_array_size(errors);
    bool shaped = validate_json(body, CASE_FIELDS, sizeof(CASE_FIELDS) / sizeof(CASE_FIELDS[0]), &request, errors);
    *c = request.c;
    /* What the issue says, checked with the shape: one of category and
     * message, and a message triage can read. */
    const json_t *issue = json_object_get(body, "issue");
    bool has_category = json_object_get(issue, "category") != NULL;
    bool neither = json_is_object(issue) && !has_category && json_object_get(issue, "message") == NULL;
    if (neither) {
        validate_error_unprocessable(errors, "issue.category", "is required when issue.message is absent");
        validate_error_unprocessable(errors, "issue.message", "is required when issue.category is absent");
    }
    bool readable = triage_check_message(errors, "issue.message", c->issue.message);
    /* refused whether or not the problem could be appended: with none
     * appended (no memory) the caller answers 500 */
    if (!shaped || neither || !readable || json_array_size(errors) != before)
        return false;
    /* Rules across fields. */
    if (c->issue.items_affected > c->order.quantity)
        validate_error(errors, "issue.items_affected", "must not exceed order.quantity (%lld)",
                       (long long)c->order.quantity);
    if (c->order.delivered_at != 0 && c->order.ordered_at != 0 && c->order.delivered_at < c->order.ordered_at)
        validate_error(errors, "order.delivered_at", "must not be before order.ordered_at");
    if (c->order.delivered_at != 0 && !c->order.shipped)
        validate_error(errors, "order.shipped", "must be true when order.delivered_at is given");
    check_shipment_times(&request, errors);
    if (json_array_size(errors) != before)
        return false;
    /* The buyer's words: read for signals always, for the category when
     * the request names none (an explicit category always wins). */
    if (c->issue.message != NULL) {
        if (eng_triage(c->issue.message, strlen(c->issue.message), &c->triage) != 0)
            return false; /* no memory: no problem to name, so the caller answers 500 */
        if (!has_category) {
            c->issue.category = c->triage.category;
            c->category_from_message = true;
        }
    }
    return true;
}

json_t *triage_to_json(const struct eng_triage *t, const char *message, enum eng_category category,
                       bool from_message, const char *requested_language)
{
    /* every part or none: a signal the decision acted on is never left out */
    json_t *matched = json_array(), *signals = json_array();
    bool complete = matched != NULL && signals != NULL;
    for (int i = 0; complete && from_message && i < t->n_matched; i++)
        complete = json_array_append_new(matched, json_stringn(message + t->matched[i].offset, t->matched[i].length))
                   == 0;
    for (int s = 0; complete && s < TRIAGE_SIGNAL_COUNT; s++)
        if (t->signals & ENG_TRIAGE_SIGNAL_BIT(s))
            complete = json_array_append_new(signals, json_pack("{s:s, s:s%}", "code", ENG_TRIAGE_SIGNAL_NAMES[s],
                                                                "matched", message + t->signal_matched[s].offset,
                                                                (size_t)t->signal_matched[s].length))
                       == 0;
    if (!complete) {
        json_decref(matched);
        json_decref(signals);
        return NULL;
    }
    /* The language: the request's, when it names one of ours; else the
     * message's own, when its script or words tell it. */
    bool fell_back = true;
    enum eng_language language = requested_language ? eng_language_resolve(requested_language, &fell_back) : LANG_EN;
    const char *source = "request";
    if (fell_back) {
        language = t->language;
        source = t->read && t->language_known ? "message" : NULL;
    }
    return json_pack("{s:s, s:s, s:f, s:b, s:o, s:o, s:o, s:o}", "category", ENG_CATEGORY_NAMES[category],
                     "source", from_message ? "message" : "request", "confidence", from_message ? t->confidence : 1.0,
                     "uncertain", from_message && t->uncertain, "language",
                     source ? json_string(ENG_LANGUAGE_TAGS[language]) : json_null(), "language_source",
                     source ? json_string(source) : json_null(), "matched", matched, "signals", signals);
}

#define REPLY_AT(member) offsetof(struct reply_check_request, member)
static const struct field_spec REPLY_CHECK_FIELDS[] = {
    { "channel", FIELD_ENUM, true, REPLY_AT(channel), 0, 0, ENUM_OF(ENG_CHANNEL_NAMES), NULL },
    { "language", FIELD_LANGUAGE, false, REPLY_AT(language), 0, 0, NULL, 0, "en" },
    { "body", FIELD_STRING, true, REPLY_AT(body), 1, 20000, NULL, 0, NULL },
    /* the case the reply is about (limits as in CASE_FIELDS; case ids as the store makes them) */
    { "order_id", FIELD_STRING, false, REPLY_AT(order_id), 1, 64, NULL, 0, NULL },
    { "sku", FIELD_STRING, false, REPLY_AT(sku), 1, 128, NULL, 0, NULL },
    { "ticket_id", FIELD_STRING, false, REPLY_AT(ticket_id), 1, 128, NULL, 0, NULL },
    { "case_id", FIELD_STRING, false, REPLY_AT(case_id), 1, 64, NULL, 0, NULL },
};

bool reply_check_from_json(const json_t *body, struct reply_check_request *out, json_t *errors)
{
    memset(out, 0, sizeof(*out));
    return validate_json(body, REPLY_CHECK_FIELDS, sizeof(REPLY_CHECK_FIELDS) / sizeof(REPLY_CHECK_FIELDS[0]),
                         out, errors);
}

/* ---- out ---- */

static json_t *signals_to_json(const struct eng_signal *items, int n)
{
    json_t *array = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(array, json_pack("{s:s, s:s}", "code", items[i].code, "detail", items[i].detail));
    return array;
}

json_t *guard_result_to_json(const struct eng_guard_result *g)
{
    return json_pack("{s:b, s:o}", "passed", g->passed, "violations",
                     signals_to_json(g->violations, g->n_violations));
}

static json_t *actions_to_json(const struct eng_remedy *r)
{
    json_t *array = json_array();
    for (int i = 0; i < r->n_actions; i++) {
        const struct eng_action_item *a = &r->actions[i];
        json_t *item = json_pack("{s:s}", "type", ENG_ACTION_NAMES[a->type]);
        bool money = a->type == ACT_FULL_REFUND || a->type == ACT_PARTIAL_REFUND || a->type == ACT_RETURN_REFUND
                     || a->type == ACT_CANCEL_REFUND || a->type == ACT_COUPON;
        if (money)
            json_object_set_new(item, "amount", json_integer(a->amount));
        if (a->percent > 0 && a->type != ACT_FULL_REFUND && a->type != ACT_RETURN_REFUND
            && a->type != ACT_CANCEL_REFUND)
            json_object_set_new(item, "percent", json_integer(a->percent));
        json_array_append_new(array, item);
    }
    return array;
}

static json_t *breakdown_to_json(const struct eng_remedy *r)
{
    json_t *array = json_array();
    for (int i = 0; i < r->n_breakdown; i++)
        json_array_append_new(array, json_pack("{s:s, s:I}", "item", r->breakdown[i].item,
                                               "amount", (json_int_t)r->breakdown[i].amount));
    return array;
}

static json_t *alternative_to_json(const struct eng_remedy *r)
{
    return json_pack("{s:s, s:o, s:I, s:b, s:b, s:I}", "primary", ENG_ACTION_NAMES[r->primary],
                     "actions", actions_to_json(r), "refund_amount", (json_int_t)r->refund_amount,
                     "keep_item", r->keep_item, "return_required", r->return_required,
                     "cost", (json_int_t)r->cost);
}

static json_t *code_or_null(const char *code)
{
    return code != NULL ? json_string(code) : json_null();
}

/* The SKU's compensation against its budget: the rate as a fraction,
 * rounded to millionths (exact integer division, no libm). */
static json_t *budget_to_json(const struct eng_decision *d)
{
    long double rate = (long double)d->budget.compensation / (long double)d->budget.revenue;
    int64_t millionths = (int64_t)(rate * 1000000.0L + 0.5L);
    return json_pack("{s:f, s:i, s:b, s:o}", "sku_cost_rate", (double)millionths / 1e6, "budget_percent",
                     d->budget.percent, "over", d->budget.over, "rule", code_or_null(d->budget.rule));
}

static json_t *account_health_to_json(const struct eng_decision *d)
{
    return json_pack("{s:s, s:o, s:o}", "order_defect_rate_status",
                     ENG_HEALTH_STATUS_NAMES[d->account_health.order_defect_rate], "rule",
                     code_or_null(d->account_health.rule), "trigger", code_or_null(d->account_health.trigger));
}

json_t *decision_to_json(const struct eng_case *c, const struct eng_decision *d, const char *case_id,
                         const char *created_at)
{
    const struct eng_remedy *r = &d->remedy;
    json_t *alternatives = json_array();
    for (int i = 0; i < d->n_alternatives; i++)
        json_array_append_new(alternatives, alternative_to_json(&d->alternatives[i]));

    json_t *remedy = json_pack("{s:s, s:o, s:I, s:b, s:b, s:o}", "primary", ENG_ACTION_NAMES[r->primary],
                               "actions", actions_to_json(r), "refund_amount", (json_int_t)r->refund_amount,
                               "keep_item", r->keep_item, "return_required", r->return_required,
                               "alternatives", alternatives);
    json_t *cost = json_pack("{s:s, s:I, s:I, s:I, s:o, s:I, s:s}", "currency", c->order.currency->code,
                             "remedy", (json_int_t)r->cost, "full_return", (json_int_t)d->full_return.cost,
                             "savings", (json_int_t)(d->full_return.cost - r->cost),
                             "breakdown", breakdown_to_json(r), "unit_cost", (json_int_t)d->unit_cost,
                             "unit_cost_source", d->unit_cost_source);
    const struct eng_history *h = &d->history;
    json_t *history = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                                "cases_90d", (json_int_t)h->cases_90d,
                                "same_category_90d", (json_int_t)h->same_category_90d,
                                "refunded_90d", (json_int_t)h->refunded_90d,
                                "cases_365d", (json_int_t)h->cases_365d,
                                "refunded_amount_365d", (json_int_t)h->refunded_amount_365d,
                                "spent_365d", (json_int_t)h->spent_365d,
                                "not_received_365d", (json_int_t)h->not_received_365d,
                                "abuse_confirmed", (json_int_t)h->abuse_confirmed);
    json_t *abuse = json_pack("{s:s, s:i, s:o, s:o}", "risk", ENG_RISK_NAMES[d->risk], "score", d->abuse_score,
                              "signals", signals_to_json(d->signals, d->n_signals), "history", history);
    json_t *compliance = guard_result_to_json(&d->compliance);
    if (compliance != NULL)
        json_object_set_new(compliance, "channel", json_string(ENG_CHANNEL_NAMES[c->channel]));
    json_t *reply = json_pack("{s:s, s:s, s:s, s:o}", "language", ENG_LANGUAGE_TAGS[d->language],
                              "subject", d->subject, "body", d->body, "compliance", compliance);
    if (reply != NULL && d->language_fell_back) {
        json_object_set_new(reply, "requested_language", json_string(c->buyer.language));
        json_object_set_new(reply, "language_fallback", json_true());
    }
    char when[32];
    validate_format_time(d->respond_by, when);
    json_t *deadlines = json_pack("{s:s}", "respond_by", when);
    if (deadlines != NULL && d->a_to_z_respond_by != 0) {
        validate_format_time(d->a_to_z_respond_by, when);
        json_object_set_new(deadlines, "a_to_z_respond_by", json_string(when));
    }
    if (deadlines != NULL && d->chargeback_respond_by != 0) {
        validate_format_time(d->chargeback_respond_by, when);
        json_object_set_new(deadlines, "chargeback_respond_by", json_string(when));
    }

    json_t *out = json_object();
    if (out == NULL)
        goto fail;
    if (case_id != NULL) {
        json_object_set_new(out, "case_id", json_string(case_id));
        json_object_set_new(out, "created_at", json_string(created_at));
    }
    json_object_set_new(out, "responsibility", json_string(ENG_RESPONSIBILITY_NAMES[d->responsibility]));
    json_object_set_new(out, "tier", json_string(ENG_TIER_NAMES[d->tier]));
    if (remedy == NULL || cost == NULL || abuse == NULL || reply == NULL || deadlines == NULL)
        goto fail;
    json_object_set_new(out, "remedy", remedy);
    json_object_set_new(out, "cost", cost);
    json_object_set_new(out, "abuse", abuse);
    json_object_set_new(out, "reply", reply);
    json_object_set_new(out, "deadlines", deadlines);
    json_object_set_new(out, "policy_version", json_integer(d->policy_version));
    /* present when known (revenue imported; orders imported) */
    json_t *budget = d->budget.known ? budget_to_json(d) : NULL;
    json_t *health = d->account_health.known ? account_health_to_json(d) : NULL;
    if ((d->budget.known && budget == NULL) || (d->account_health.known && health == NULL)) {
        json_decref(budget);
        json_decref(health);
        json_decref(out);
        return NULL;
    }
    json_t *triage = triage_to_json(&c->triage, c->issue.message, c->issue.category, c->category_from_message,
                                    c->buyer.language);
    if (triage == NULL) {
        json_decref(budget);
        json_decref(health);
        json_decref(out);
        return NULL;
    }
    json_object_set_new(out, "triage", triage);
    if (budget != NULL)
        json_object_set_new(out, "budget", budget);
    if (health != NULL)
        json_object_set_new(out, "account_health", health);
    return out;
fail:
    json_decref(out);
    json_decref(remedy);
    json_decref(cost);
    json_decref(abuse);
    json_decref(reply);
    json_decref(deadlines);
    return NULL;
}

/* ---- a case from validated request to response, without the database ---- */

int case_evaluate(const struct eng_case *request_case, const struct db_cost_settings *costs,
                  const struct eng_history *history, int64_t now, const char *case_id, const char *created_at,
                  struct eng_decision *d, json_t **response)
{
    struct eng_case c = *request_case; /* costs_apply fills the SKU's costs in */
    struct eng_policy policy;
    *response = NULL;
    costs_apply(costs, &c, &policy);
    if (eng_decide(&c, &policy, history, now, d) != 0)
        return -1;
    *response = decision_to_json(&c, d, case_id, created_at);
    return 0;
}
