/* The gorgias suite (issue #12): the note, tags and widget rendered from a
 * decision (pure), GET /v1/connectors/zendesk/template and POST
 * /v1/connectors/gorgias/events end to end. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_json.h"
#include "connector_note.h"
#include "db.h"
#include "engine.h"
#include "harness.h"

/* ---- the note: pure, from real decisions ---- */

enum { NOTE_NOW = 1767225600 }; /* 2026-01-01T00:00:00Z */
static const char DELIVERY_ID[] = "6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f";

/* Nothing recorded: the settings a new tenant has. */
static void costs_unset(struct db_cost_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->landed_cost_percent = s->outbound_postage_percent = s->return_postage_percent = -1;
    s->handling_percent = s->resale_percent = s->return_insurance = -1;
    s->unit_cost = s->outbound_postage = s->return_postage = s->handling = -1;
    s->sku_resale_percent = s->sku_compensation_budget_percent = -1;
}

/* One case per tier, decided by the engine as POST /v1/cases decides it. */
static const struct tier_case {
    const char *tier;
    const char *body;
    int64_t abuse_confirmed; /* the buyer's history: earlier abuse confirmed */
} TIER_CASES[] = {
    { "top",
      "{\"ticket_id\":\"4811\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-1\",\"sku\":\"MUG-1\","
      "\"currency\":\"USD\",\"item_price\":2599,\"shipping_paid\":499},\"buyer\":{\"buyer_id\":\"B1\","
      "\"name\":\"Jane\",\"language\":\"en\"},\"issue\":{\"category\":\"wrong_item\"}}",
      0 },
    { "goodwill",
      "{\"ticket_id\":\"4812\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-2\",\"sku\":\"MUG-2\","
      "\"currency\":\"EUR\",\"item_price\":2599,\"shipping_paid\":499},\"buyer\":{\"buyer_id\":\"B2\","
      "\"name\":\"Jana\",\"language\":\"de\"},\"issue\":{\"category\":\"minor_defect\"}}",
      0 },
    { "courtesy",
      "{\"ticket_id\":\"4813\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-3\",\"sku\":\"MUG-3\","
      "\"currency\":\"JPY\",\"item_price\":2599},\"buyer\":{\"buyer_id\":\"B3\","
      "\"language\":\"ja\"},\"issue\":{\"category\":\"usage_question\"}}",
      0 },
    { "firm",
      "{\"ticket_id\":\"4814\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-4\",\"sku\":\"MUG-4\","
      "\"currency\":\"GBP\",\"item_price\":2599},\"buyer\":{\"buyer_id\":\"B4\",\"language\":\"fr\"},"
      "\"issue\":{\"category\":\"lost_in_transit\",\"message\":\"It never arrived. I will leave a 1-star review "
      "and file a chargeback.\"}}",
      3 },
};
enum { TIER_CASE_COUNT = (int)(sizeof(TIER_CASES) / sizeof(TIER_CASES[0])) };

/* The decision POST /v1/cases answers for a case body (new reference). */
static json_t *decide_json(const char *body_text, int64_t abuse_confirmed, const char *case_id)
{
    json_error_t error;
    json_t *body = json_loads(body_text, 0, &error);
    ck_assert_msg(body != NULL, "%s", error.text);
    json_t *errors = json_array();
    struct eng_case c;
    ck_assert(case_from_json(body, &c, errors));
    struct eng_history history = { 0 };
    history.abuse_confirmed = abuse_confirmed;
    history.cases_90d = abuse_confirmed * 3;
    history.same_category_90d = abuse_confirmed;
    history.not_received_365d = abuse_confirmed;
    struct db_cost_settings costs;
    costs_unset(&costs);
    struct eng_decision *d = malloc(sizeof(*d));
    ck_assert_ptr_nonnull(d);
    json_t *decision = NULL;
    ck_assert_int_eq(case_evaluate(&c, &costs, &history, NOTE_NOW, case_id, "2026-01-01T00:00:00Z", d, &decision), 0);
    ck_assert_ptr_nonnull(decision);
    free(d);
    json_decref(errors);
    json_decref(body); /* the decision holds copies, not the body's strings */
    return decision;
}

static bool ends_with(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && memcmp(text + n - m, suffix, m) == 0;
}

static bool tags_contain(const json_t *tags, const char *tag)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
        if (strcmp(json_string_value(t), tag) == 0)
            return true;
    return false;
}

/* Zendesk's tags: lowercase ASCII, digits and underscores, no spaces. */
static void assert_zendesk_tags(const json_t *tags)
{
    ck_assert(json_is_array(tags));
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *s = json_string_value(t);
        ck_assert_ptr_nonnull(s);
        ck_assert(s[0] != '\0');
        for (const char *p = s; *p != '\0'; p++)
            ck_assert_msg((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_', "tag %s", s);
    }
}

static void money_as(int64_t minor, const char *currency, enum eng_language lang, char out[64])
{
    ck_assert(eng_money_format(minor, eng_currency_find(currency), lang, out, 64));
}

/* Every tier in every language: the note names the amount as the
 * language writes it, carries the reply as decided and ends with the
 * delivery line; the tags, the Update Ticket body and the widget agree. */
START_TEST(test_note_every_tier_and_language)
{
    const struct tier_case *tc = &TIER_CASES[_i];
    json_t *decision = decide_json(tc->body, tc->abuse_confirmed, "c-note-1");
    ck_assert_str_eq(json_string_value(json_object_get(decision, "tier")), tc->tier);
    const json_t *remedy = json_object_get(decision, "remedy");
    int64_t refund = json_integer_value(json_object_get(remedy, "refund_amount"));
    const char *currency = json_string_value(json_object_get(json_object_get(decision, "cost"), "currency"));
    const char *reply_body = json_string_value(json_object_get(json_object_get(decision, "reply"), "body"));
    char tier_tag[32], last_line[96];
    snprintf(tier_tag, sizeof(tier_tag), "redress_%s", tc->tier);
    snprintf(last_line, sizeof(last_line), "\nRedress delivery %s", DELIVERY_ID);
    char *english = connector_note_text(decision, "en", DELIVERY_ID);
    ck_assert_ptr_nonnull(english);

    for (int lang = 0; lang < LANG_COUNT; lang++) {
        const char *tag = ENG_LANGUAGE_TAGS[lang];
        char *text = connector_note_text(decision, tag, DELIVERY_ID);
        ck_assert_ptr_nonnull(text);
        ck_assert_msg(ends_with(text, last_line), "%s: %s", tag, text);
        ck_assert(strstr(text, reply_body) != NULL);
        ck_assert(strstr(text, "(null)") == NULL);
        ck_assert(strstr(text, "c-note-1") != NULL);
        char money[64], full_return[64];
        money_as(json_integer_value(json_object_get(json_object_get(decision, "cost"), "full_return")), currency,
                 (enum eng_language)lang, full_return);
        ck_assert_msg(strstr(text, full_return) != NULL, "%s lacks %s", tag, full_return);
        if (refund > 0) {
            money_as(refund, currency, (enum eng_language)lang, money);
            ck_assert_msg(strstr(text, money) != NULL, "%s lacks %s", tag, money);
        }
        /* the labels are the language's own: only English reads as English */
        ck_assert(lang == LANG_EN ? strcmp(text, english) == 0 : strcmp(text, english) != 0);

        json_t *update = connector_note_zendesk_update(decision, tag, DELIVERY_ID);
        ck_assert_ptr_nonnull(update);
        json_t *comment = json_object_get(json_object_get(update, "ticket"), "comment");
        ck_assert_str_eq(json_string_value(json_object_get(comment, "body")), text);
        ck_assert(json_is_false(json_object_get(comment, "public")));
        json_t *tags = json_object_get(json_object_get(update, "ticket"), "additional_tags");
        assert_zendesk_tags(tags);
        ck_assert(tags_contain(tags, "redress"));
        ck_assert(tags_contain(tags, tier_tag));
        json_decref(update);

        json_t *widget = connector_widget(decision, tag);
        ck_assert_ptr_nonnull(widget);
        ck_assert_str_eq(json_string_value(json_object_get(widget, "tier")), tc->tier);
        ck_assert_str_eq(json_string_value(json_object_get(widget, "case_id")), "c-note-1");
        ck_assert_str_eq(json_string_value(json_object_get(widget, "remedy")),
                         json_string_value(json_object_get(remedy, "primary")));
        json_t *amount = json_object_get(widget, "amount");
        ck_assert_int_eq(json_integer_value(json_object_get(amount, "value")), refund);
        ck_assert_str_eq(json_string_value(json_object_get(amount, "currency")), currency);
        money_as(refund, currency, (enum eng_language)lang, money);
        ck_assert_str_eq(json_string_value(json_object_get(amount, "display")), money);
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(widget, "reply"), "text")), reply_body);
        ck_assert(json_is_boolean(json_object_get(json_object_get(widget, "compliance"), "passed")));
        char *dumped = json_dumps(widget, JSON_COMPACT);
        ck_assert(strstr(dumped, "http") == NULL); /* link-free */
        free(dumped);
        json_decref(widget);
        free(text);
    }
    free(english);
    json_decref(decision);
}
END_TEST

/* Amounts by the currency's exponent: yen have no minor unit. */
START_TEST(test_note_money_by_exponent)
{
    json_t *decision = decide_json(TIER_CASES[0].body, 0, NULL);
    json_t *cost = json_object_get(decision, "cost");
    json_object_set_new(cost, "currency", json_string("JPY"));
    json_object_set_new(json_object_get(decision, "remedy"), "refund_amount", json_integer(2599));
    json_t *widget = connector_widget(decision, "en");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(widget, "amount"), "display")), "¥2,599");
    json_decref(widget);
    widget = connector_widget(decision, "ja");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(widget, "amount"), "display")), "2,599円");
    json_decref(widget);
    json_object_set_new(cost, "currency", json_string("EUR"));
    widget = connector_widget(decision, "de");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(widget, "amount"), "display")), "25,99 €");
    json_decref(widget);
    char *text = connector_note_text(decision, "fr", DELIVERY_ID);
    ck_assert_msg(strstr(text, "Remboursement : 25,99 €") != NULL, "%s", text);
    free(text);
    json_decref(decision);
}
END_TEST

/* The firm case's message threatens and mentions a hazard, and the history
 * is abusive: every tag the decision calls for, in the note too. */
START_TEST(test_note_tags_from_decision)
{
    json_t *decision = decide_json(TIER_CASES[3].body, TIER_CASES[3].abuse_confirmed, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(decision, "abuse"), "risk")), "high");
    json_t *tags = connector_note_tags(decision);
    assert_zendesk_tags(tags);
    ck_assert(tags_contain(tags, "redress"));
    ck_assert(tags_contain(tags, "redress_firm"));
    ck_assert(tags_contain(tags, "redress_risk_high"));
    ck_assert(tags_contain(tags, "redress_threat"));
    ck_assert(tags_contain(tags, "redress_manual_review")); /* firm: a person decides */
    ck_assert(!tags_contain(tags, "redress_safety"));
    json_decref(tags);
    char *text = connector_note_text(decision, "en", DELIVERY_ID);
    ck_assert_msg(strstr(text, "Buyer's risk: high") != NULL, "%s", text);
    ck_assert(strstr(text, "- abuse confirmed before (") != NULL);
    ck_assert(strstr(text, "- threatens a negative review: \"") != NULL);
    free(text);

    /* a hazard in the message */
    json_decref(decision);
    decision = decide_json("{\"order\":{\"order_id\":\"113-5\",\"sku\":\"CHG-1\",\"currency\":\"USD\","
                           "\"item_price\":2599},\"buyer\":{\"buyer_id\":\"B5\"},\"issue\":{\"message\":"
                           "\"The charger caught fire on the first day, it is defective.\"}}",
                           0, NULL);
    tags = connector_note_tags(decision);
    ck_assert(tags_contain(tags, "redress_safety"));
    ck_assert(!tags_contain(tags, "redress_threat"));
    json_decref(tags);
    text = connector_note_text(decision, "en", DELIVERY_ID);
    ck_assert_msg(strstr(text, "- SAFETY: mentions a hazard: \"") != NULL, "%s", text);
    free(text);

    /* a plain goodwill case: no more than its tier */
    json_decref(decision);
    decision = decide_json(TIER_CASES[1].body, 0, NULL);
    tags = connector_note_tags(decision);
    ck_assert_int_eq(json_array_size(tags), 2);
    ck_assert(tags_contain(tags, "redress_goodwill"));
    json_decref(tags);
    json_t *widget = connector_widget(decision, "en");
    ck_assert(json_is_false(json_object_get(widget, "manual_review")));
    json_decref(widget);

    /* the decision asks for a person: manual_review among the actions */
    json_array_append_new(json_object_get(json_object_get(decision, "remedy"), "actions"),
                          json_pack("{s:s}", "type", "manual_review"));
    tags = connector_note_tags(decision);
    ck_assert(tags_contain(tags, "redress_manual_review"));
    json_decref(tags);
    widget = connector_widget(decision, "en");
    ck_assert(json_is_true(json_object_get(widget, "manual_review")));
    json_decref(widget);
    text = connector_note_text(decision, "en", DELIVERY_ID);
    ck_assert(strstr(text, "Manual review: a person confirms before any money moves.") != NULL);
    free(text);
    json_decref(decision);
}
END_TEST

/* Calls every rendering on a damaged decision: none may crash; all answer
 * unless the tier is gone. */
static void render_all(const json_t *decision, bool readable)
{
    char *text = connector_note_text(decision, "de", DELIVERY_ID);
    json_t *update = connector_note_zendesk_update(decision, "ja", DELIVERY_ID);
    json_t *tags = connector_note_tags(decision);
    json_t *widget = connector_widget(decision, "zh-Hant");
    ck_assert(readable == (text != NULL));
    ck_assert(readable == (update != NULL));
    ck_assert(readable == (widget != NULL));
    ck_assert_ptr_nonnull(tags);
    ck_assert(tags_contain(tags, "redress"));
    if (readable)
        ck_assert(ends_with(text, DELIVERY_ID));
    free(text);
    json_decref(update);
    json_decref(tags);
    json_decref(widget);
}

/* Each member of the decision, at every depth, removed in turn and then
 * replaced by a value of the wrong type. */
static void damage_each_member(json_t *root, json_t *node, int depth)
{
    if (depth > 6)
        return;
    if (json_is_array(node)) {
        size_t i;
        json_t *item;
        json_array_foreach(node, i, item)
            damage_each_member(root, item, depth + 1);
        return;
    }
    if (!json_is_object(node))
        return;
    /* the keys first: putting a member back moves it to the end */
    json_t *keys = json_array();
    const char *key;
    json_t *value;
    json_object_foreach(node, key, value)
        json_array_append_new(keys, json_string(key));
    size_t i;
    json_t *name;
    json_array_foreach(keys, i, name) {
        const char *member = json_string_value(name);
        bool tier = node == root && strcmp(member, "tier") == 0;
        json_t *kept = json_incref(json_object_get(node, member));
        json_object_del(node, member);
        render_all(root, !tier);
        json_object_set_new(node, member, json_is_string(kept) ? json_integer(7) : json_string("seven"));
        render_all(root, !tier);
        json_object_set(node, member, kept);
        damage_each_member(root, kept, depth + 1);
        json_decref(kept);
    }
    json_decref(keys);
}

START_TEST(test_note_missing_members)
{
    json_t *decision = decide_json(TIER_CASES[3].body, TIER_CASES[3].abuse_confirmed, "c-note-2");
    damage_each_member(decision, decision, 0);
    render_all(decision, true);
    /* not a decision at all */
    json_t *odd = json_string("top");
    render_all(odd, false);
    render_all(NULL, false);
    json_decref(odd);
    json_t *unknown_tier = json_pack("{s:s}", "tier", "platinum");
    render_all(unknown_tier, false);
    json_decref(unknown_tier);
    json_decref(decision);
}
END_TEST

/* The note language: any tag we have no labels for is English. */
START_TEST(test_note_language_fallback)
{
    json_t *decision = decide_json(TIER_CASES[1].body, 0, NULL);
    char *english = connector_note_text(decision, "en", DELIVERY_ID);
    const char *others[] = { NULL, "", "ko", "EN", "de-CH", "zh" };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        char *text = connector_note_text(decision, others[i], DELIVERY_ID);
        ck_assert_str_eq(text, english);
        free(text);
    }
    ck_assert(strncmp(english, "Redress suggests: Goodwill", 26) == 0);
    free(english);
    char *german = connector_note_text(decision, "de", DELIVERY_ID);
    ck_assert_msg(strncmp(german, "Redress empfiehlt: Kulanz", 25) == 0, "%s", german);
    free(german);
    json_decref(decision);
}
END_TEST

/* ---- GET /v1/connectors/zendesk/template ---- */

static struct th_server srv;
static char tenant_name[64], api_key[APIKEY_LEN + 1], auth_header[TH_AUTH_HEADER_SIZE];

static void http_setup(void)
{
    th_server_start(&srv, th_conninfo(), NULL);
    th_tenant_with_auth(th_conninfo(), tenant_name, api_key, auth_header);
}

static void http_teardown(void)
{
    th_server_stop(&srv);
}

static void request_json(const char *auth, const char *method, const char *path, const char *body,
                         const char *const *more_headers, struct th_response *r)
{
    const char *headers[8] = { auth, "Content-Type: application/json" };
    size_t n = 2;
    for (size_t i = 0; more_headers != NULL && more_headers[i] != NULL && n < 7; i++)
        headers[n++] = more_headers[i];
    headers[n] = NULL;
    th_request(srv.port, method, path, headers, body, body != NULL ? strlen(body) : 0, r);
}

static void put_settings(const char *auth, const char *connector, const char *body)
{
    char path[64];
    snprintf(path, sizeof(path), "/v1/connectors/%s", connector);
    struct th_response r;
    request_json(auth, "PUT", path, body, NULL, &r);
    ck_assert_msg(r.status == 200, "PUT %s: %ld %s", path, r.status, r.body);
    th_response_free(&r);
}

static bool warned(const json_t *answer, const char *setting)
{
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(answer, "warnings"), i, w)
        if (strcmp(json_string_value(json_object_get(w, "setting")), setting) == 0)
            return true;
    return false;
}

/* Before anything is set: the fixed members, no fields, every warning. */
START_TEST(test_template_defaults)
{
    struct th_response r;
    request_json(auth_header, "GET", "/v1/connectors/zendesk/template", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *body = json_object_get(r.json, "body");
    static const char *const expected[][2] = {
        { "ticket_id", "{{ticket.id}}" }, { "subject", "{{ticket.title}}" },
        { "latest_comment", "{{ticket.latest_comment}}" },
        { "requester_name", "{{ticket.requester.name}}" }, { "requester_email", "{{ticket.requester.email}}" },
        { "current_user_email", "{{current_user.email}}" }, { "tags", "{{ticket.tags}}" },
        { "via", "{{ticket.via}}" }, { "updated_at", "{{ticket.updated_at_with_timestamp}}" },
    };
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        ck_assert_str_eq(json_string_value(json_object_get(body, expected[i][0])), expected[i][1]);
    /* no {{ticket.description}}: on a new ticket it repeats the first
     * comment and doubles the body toward its 64 KiB limit */
    ck_assert_int_eq(json_object_size(body), sizeof(expected) / sizeof(expected[0]) + 1);
    ck_assert_ptr_null(json_object_get(body, "description"));
    ck_assert_int_eq(json_object_size(json_object_get(body, "fields")), 0);
    ck_assert(json_is_false(json_object_get(r.json, "ready")));
    ck_assert(warned(r.json, "field_map.order_id") && warned(r.json, "field_map.sku"));
    ck_assert(warned(r.json, "field_map.item_price") && warned(r.json, "field_map.currency"));
    ck_assert(!warned(r.json, "field_map.category")); /* optional: triage reads the comment */
    ck_assert(warned(r.json, "enabled") && warned(r.json, "webhook_secret_set"));
    json_t *webhook = json_object_get(json_object_get(r.json, "setup"), "webhook");
    ck_assert_str_eq(json_string_value(json_object_get(webhook, "endpoint_path")), "/v1/connectors/zendesk/events");
    ck_assert_str_eq(json_string_value(json_object_get(webhook, "method")), "POST");
    /* only comments the buyer sees are the conversation: an agent's
     * internal note must not fire the webhook */
    json_t *all = json_object_get(json_object_get(json_object_get(r.json, "setup"), "trigger"), "all");
    ck_assert_str_eq(json_string_value(json_array_get(all, 0)), "Comment | Is | Public");
    /* and only tickets with an order: the order id field, not mapped yet */
    ck_assert_int_eq(json_array_size(all), 3);
    ck_assert_str_eq(json_string_value(json_array_get(all, 2)),
                     "Ticket field (the order id field of settings.field_map.order_id) | Is present");
    th_response_free(&r);
}
END_TEST

/* The seller's field map names the custom ticket fields in the body. */
START_TEST(test_template_from_field_map)
{
    put_settings(auth_header, "zendesk", "{\"subdomain\":\"acme\",\"api_user\":\"agent@acme.example\","
                                         "\"field_map\":{\"order_id\":360001234567,\"sku\":360001234568,"
                                         "\"category\":42}}");
    struct th_response r;
    request_json(auth_header, "GET", "/v1/connectors/zendesk/template", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *fields = json_object_get(json_object_get(r.json, "body"), "fields");
    ck_assert_int_eq(json_object_size(fields), 3);
    ck_assert_str_eq(json_string_value(json_object_get(fields, "order_id")), "{{ticket.ticket_field_360001234567}}");
    ck_assert_str_eq(json_string_value(json_object_get(fields, "sku")), "{{ticket.ticket_field_360001234568}}");
    ck_assert_str_eq(json_string_value(json_object_get(fields, "category")), "{{ticket.ticket_field_42}}");
    ck_assert(!warned(r.json, "field_map.order_id") && !warned(r.json, "field_map.sku"));
    ck_assert(warned(r.json, "field_map.item_price") && warned(r.json, "field_map.currency"));
    ck_assert(!warned(r.json, "subdomain") && !warned(r.json, "api_user"));
    /* the trigger leaves out Redress's own updates, made as the API user */
    char *setup = json_dumps(json_object_get(r.json, "setup"), JSON_COMPACT);
    ck_assert(strstr(setup, "Current user | Is not | agent@acme.example") != NULL);
    /* it fires only on tickets whose mapped order id field is present */
    ck_assert(strstr(setup, "\"Ticket field 360001234567 | Is present\"") != NULL);
    free(setup);
    th_response_free(&r);

    /* another tenant sees its own defaults, not this map */
    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    request_json(other_auth, "GET", "/v1/connectors/zendesk/template", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_object_size(json_object_get(json_object_get(r.json, "body"), "fields")), 0);
    th_response_free(&r);
    request_json(NULL, "GET", "/v1/connectors/zendesk/template", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 401);
    th_response_free(&r);
}
END_TEST

/* ---- POST /v1/connectors/gorgias/events ---- */

static const char GORGIAS_ON[] = "{\"enabled\":true,\"field_map\":{\"order_id\":\"Order number\",\"item_price\":"
                                 "\"Price\"},\"widget_language\":\"de\"}";

/* An event as the README's integration body renders it. */
static void gorgias_event(char *out, size_t size, const char *ticket_id, const char *message_id, const char *text,
                          const char *from_agent)
{
    snprintf(out, size,
             "{\"ticket_id\":\"%s\",\"subject\":\"Scratched lid\",\"language\":\"en\",\"sales_channel\":\"shopify\","
             "\"customer\":{\"email\":\"Jane@Example.com\",\"name\":\"Jane\"},"
             "\"message\":{\"id\":\"%s\",\"text\":\"%s\",\"from_agent\":\"%s\","
             "\"created_at\":\"2026-01-07T13:00:00.123456\"},"
             "\"custom_fields\":{\"Order number\":\"#1001\",\"sku\":\"MUG-01\",\"Price\":\"25.99\","
             "\"currency\":\"usd\",\"Other\":\"ignored\"}}",
             ticket_id, message_id, text, from_agent);
}

static void post_event(const char *auth, const char *body, struct th_response *r)
{
    request_json(auth, "POST", "/v1/connectors/gorgias/events", body, NULL, r);
}

/* The case's messages as GET /v1/cases/{id} lists them (new reference). */
static json_t *case_messages(const char *auth, const char *case_id)
{
    char path[96];
    snprintf(path, sizeof(path), "/v1/cases/%s", case_id);
    struct th_response r;
    request_json(auth, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *messages = json_incref(json_object_get(r.json, "messages"));
    th_response_free(&r);
    return messages;
}

START_TEST(test_gorgias_event_makes_case_and_widget)
{
    put_settings(auth_header, "gorgias", GORGIAS_ON);
    char body[2048];
    gorgias_event(body, sizeof(body), "7001", "m1", "The lid arrived with a small scratch.", "False");
    struct th_response r;
    post_event(auth_header, body, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "case_created");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "ticket_id")), "7001");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "tier")), "goodwill");
    json_t *amount = json_object_get(r.json, "amount");
    ck_assert_str_eq(json_string_value(json_object_get(amount, "currency")), "USD");
    /* the widget speaks the tenant's widget language; the reply the buyer's */
    char display[64];
    ck_assert(eng_money_format(json_integer_value(json_object_get(amount, "value")), eng_currency_find("USD"),
                               LANG_DE, display, sizeof(display)));
    ck_assert_str_eq(json_string_value(json_object_get(amount, "display")), display);
    ck_assert(strncmp(json_string_value(json_object_get(r.json, "summary")), "Kulanz", 6) == 0);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "reply"), "language")), "en");
    ck_assert(json_is_true(json_object_get(json_object_get(r.json, "compliance"), "passed")));
    char case_id[64];
    snprintf(case_id, sizeof(case_id), "%s", json_string_value(json_object_get(r.json, "case_id")));
    char *first = strdup(r.body);
    th_response_free(&r);

    /* the case as recorded: the order from the mapped custom fields, the
     * customer's message as message 1 */
    char path[96];
    snprintf(path, sizeof(path), "/v1/cases/%s", case_id);
    request_json(auth_header, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *order = json_object_get(json_object_get(r.json, "request"), "order");
    ck_assert_str_eq(json_string_value(json_object_get(order, "order_id")), "#1001");
    ck_assert_int_eq(json_integer_value(json_object_get(order, "item_price")), 2599);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(r.json, "request"), "buyer"),
                                                       "buyer_id")),
                     "jane@example.com");
    json_t *messages = json_object_get(r.json, "messages");
    ck_assert_int_eq(json_array_size(messages), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(messages, 0), "from")), "buyer");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(messages, 0), "channel")), "gorgias");
    th_response_free(&r);

    /* the same event again: the same answer, nothing new written */
    post_event(auth_header, body, &r);
    ck_assert_int_eq(r.status, 200);
    char replayed[8];
    ck_assert(th_header(&r, "Idempotent-Replayed", replayed, sizeof(replayed)));
    json_t *was = json_loads(first, 0, NULL);
    ck_assert_msg(json_equal(was, r.json), "first %s\nthen %s", first, r.body);
    json_decref(was);
    free(first);
    th_response_free(&r);
    messages = case_messages(auth_header, case_id);
    ck_assert_int_eq(json_array_size(messages), 1);
    json_decref(messages);
}
END_TEST

/* Later messages of the ticket: on its case, in order; an agent's is the
 * seller's, checked by the compliance guard (a warning, never a refusal). */
START_TEST(test_gorgias_follow_ups_in_order)
{
    put_settings(auth_header, "gorgias", GORGIAS_ON);
    char body[2048];
    struct th_response r;
    gorgias_event(body, sizeof(body), "7002", "m1", "The lid arrived with a small scratch.", "false");
    post_event(auth_header, body, &r);
    ck_assert_int_eq(r.status, 201);
    char case_id[64];
    snprintf(case_id, sizeof(case_id), "%s", json_string_value(json_object_get(r.json, "case_id")));
    th_response_free(&r);

    gorgias_event(body, sizeof(body), "7002", "m2",
                  "So sorry! Email me at help@myshop.example and leave us a 5-star review.", "True");
    post_event(auth_header, body, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "message_recorded");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "case_id")), case_id);
    json_t *message = json_object_get(r.json, "message");
    ck_assert_str_eq(json_string_value(json_object_get(message, "from")), "seller");
    ck_assert(json_is_false(json_object_get(json_object_get(message, "compliance"), "passed")));
    th_response_free(&r);
    /* a retry of it: the same answer, no second message */
    post_event(auth_header, body, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "message"), "from")), "seller");
    th_response_free(&r);

    gorgias_event(body, sizeof(body), "7002", "m3", "Thanks, a partial refund is fine.", "False");
    post_event(auth_header, body, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "message"), "from")), "buyer");
    ck_assert(json_object_get(json_object_get(r.json, "message"), "compliance") == NULL);
    th_response_free(&r);

    json_t *messages = case_messages(auth_header, case_id);
    ck_assert_int_eq(json_array_size(messages), 3);
    static const char *const senders[] = { "buyer", "seller", "buyer" };
    for (size_t i = 0; i < 3; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(messages, i), "from")), senders[i]);
    ck_assert(strstr(json_string_value(json_object_get(json_array_get(messages, 2), "text")), "partial") != NULL);
    json_decref(messages);
}
END_TEST

/* Each bad field is named; a missing mapped field by the seller's name. */
START_TEST(test_gorgias_bad_fields_named)
{
    put_settings(auth_header, "gorgias", GORGIAS_ON);
    static const struct {
        const char *body;
        long status;
        const char *field;
    } CASES[] = {
        { "{\"ticket_id\":\"x1\",\"customer\":{\"email\":\"a@b.example\"},\"message\":{\"text\":\"hi\"}}", 400,
          "ticket_id" },
        { "{\"ticket_id\":\"1\",\"message\":{\"text\":\"hi\"}}", 400, "customer" },
        { "{\"ticket_id\":\"1\",\"customer\":{\"email\":\"a@b.example\"},\"message\":{\"text\":\"hi\","
          "\"from_agent\":\"maybe\"}}", 400, "message.from_agent" },
        { "{\"ticket_id\":\"1\",\"customer\":{\"email\":\"a@b.example\"},\"message\":{\"text\":\"hi\"},"
          "\"surprise\":1}", 400, "surprise" },
        { "{\"ticket_id\":\"1\",\"customer\":{\"email\":\"a@b.example\"},\"message\":{\"text\":\"hi\"},"
          "\"custom_fields\":{\"sku\":7}}", 400, "custom_fields" },
        { "{\"ticket_id\":\"8001\",\"customer\":{\"email\":\"a@b.example\"},\"message\":{\"text\":\"broken\"},"
          "\"custom_fields\":{\"sku\":\"S\",\"Price\":\"1.00\",\"currency\":\"EUR\"}}", 422,
          "custom_fields.Order number" },
        { "{\"ticket_id\":\"8002\",\"customer\":{\"email\":\"a@b.example\"},\"message\":{\"text\":\"broken\"},"
          "\"custom_fields\":{\"Order number\":\"1\",\"sku\":\"S\",\"Price\":\"1.005\",\"currency\":\"EUR\"}}", 422,
          "custom_fields.Price" },
        { "{\"ticket_id\":\"8003\",\"customer\":{\"email\":\"a@b.example\"},\"message\":{\"text\":\"broken\"},"
          "\"custom_fields\":{\"Order number\":\"1\",\"sku\":\"S\",\"Price\":\"1\",\"currency\":\"XXX\"}}", 422,
          "custom_fields.currency" },
        { "{\"ticket_id\":\"8004\",\"customer\":{\"email\":\"a@b.example\"},\"message\":{\"text\":\"\"},"
          "\"custom_fields\":{\"Order number\":\"1\",\"sku\":\"S\",\"Price\":\"1\",\"currency\":\"EUR\"}}", 422,
          "message.text" },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        struct th_response r;
        post_event(auth_header, CASES[i].body, &r);
        ck_assert_msg(r.status == CASES[i].status, "case %zu: %ld %s", i, r.status, r.body);
        bool named = false;
        size_t j;
        json_t *e;
        json_array_foreach(json_object_get(r.json, "errors"), j, e)
            named |= strcmp(json_string_value(json_object_get(e, "field")), CASES[i].field) == 0;
        ck_assert_msg(named, "case %zu: %s not named in %s", i, CASES[i].field, r.body);
        th_response_free(&r);
    }
}
END_TEST

/* A ticket with no order (every order custom field empty or absent) is no
 * error: 200 ignored and nothing written, so its first message with an
 * order later still makes the case. */
START_TEST(test_gorgias_no_order_is_ignored)
{
    put_settings(auth_header, "gorgias", GORGIAS_ON);
    static const char *const NO_ORDER[] = {
        "{\"ticket_id\":\"7010\",\"customer\":{\"email\":\"jane@example.com\"},\"message\":{\"id\":\"m0\","
        "\"text\":\"Do you ship to Norway?\"}}",
        "{\"ticket_id\":\"7010\",\"customer\":{\"email\":\"jane@example.com\"},\"message\":{\"id\":\"m1\","
        "\"text\":\"Where is my parcel?\"},\"custom_fields\":{\"Order number\":\"\",\"sku\":\"\",\"Price\":\"\","
        "\"currency\":\"\",\"category\":\"damaged_in_transit\"}}",
    };
    struct th_response r;
    for (size_t i = 0; i < sizeof(NO_ORDER) / sizeof(NO_ORDER[0]); i++) {
        post_event(auth_header, NO_ORDER[i], &r);
        ck_assert_msg(r.status == 200, "%zu: %ld %s", i, r.status, r.body);
        ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "ignored");
        const char *reason = json_string_value(json_object_get(r.json, "reason"));
        ck_assert_msg(strstr(reason, "no order on this ticket") != NULL && strstr(reason, "custom_fields.Order number"),
                      "%s", reason);
        ck_assert_ptr_null(json_object_get(r.json, "case_id"));
        th_response_free(&r);
    }
    char body[2048];
    gorgias_event(body, sizeof(body), "7010", "m2", "The lid arrived with a small scratch.", "false");
    post_event(auth_header, body, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    char case_id[64];
    snprintf(case_id, sizeof(case_id), "%s", json_string_value(json_object_get(r.json, "case_id")));
    th_response_free(&r);
    json_t *messages = case_messages(auth_header, case_id);
    ck_assert_int_eq(json_array_size(messages), 1);
    json_decref(messages);
}
END_TEST

/* Gorgias' ticket_message_created fires for internal notes too: one
 * (message.public false) is ignored on any ticket and recorded nowhere. */
START_TEST(test_gorgias_internal_note_is_ignored)
{
    put_settings(auth_header, "gorgias", GORGIAS_ON);
    static const char NOTE_FMT[] =
        "{\"ticket_id\":\"%s\",\"customer\":{\"email\":\"jane@example.com\"},\"message\":{\"id\":\"%s\","
        "\"text\":\"Customer sounds like a reseller, check before refunding.\",\"from_agent\":\"True\","
        "\"public\":\"%s\"},\"custom_fields\":{\"Order number\":\"#1001\",\"sku\":\"MUG-01\",\"Price\":\"25.99\","
        "\"currency\":\"usd\"}}";
    char body[2048];
    struct th_response r;
    /* on a ticket with no case: no case */
    snprintf(body, sizeof(body), NOTE_FMT, "7020", "n1", "False");
    post_event(auth_header, body, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "ignored");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r.json, "reason")), "internal note"));
    th_response_free(&r);
    /* the customer's message then makes the case, as the ticket's first */
    gorgias_event(body, sizeof(body), "7020", "m1", "The lid arrived with a small scratch.", "false");
    post_event(auth_header, body, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    char case_id[64];
    snprintf(case_id, sizeof(case_id), "%s", json_string_value(json_object_get(r.json, "case_id")));
    th_response_free(&r);
    /* on the linked ticket: no message; a public agent reply is one */
    snprintf(body, sizeof(body), NOTE_FMT, "7020", "n2", "false");
    post_event(auth_header, body, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "ignored");
    th_response_free(&r);
    snprintf(body, sizeof(body), NOTE_FMT, "7020", "m2", "True");
    post_event(auth_header, body, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "message_recorded");
    th_response_free(&r);
    json_t *messages = case_messages(auth_header, case_id);
    ck_assert_int_eq(json_array_size(messages), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(messages, 1), "from")), "seller");
    json_decref(messages);
}
END_TEST

/* Not enabled: refused, nothing recorded; another tenant's ticket of the
 * same id is its own. */
START_TEST(test_gorgias_disabled_and_tenants_apart)
{
    char body[2048];
    struct th_response r;
    gorgias_event(body, sizeof(body), "7003", "m1", "The lid arrived with a small scratch.", "false");
    post_event(auth_header, body, &r);
    ck_assert_int_eq(r.status, 503);
    ck_assert(strstr(r.body, "not enabled") != NULL);
    th_response_free(&r);
    put_settings(auth_header, "gorgias", "{\"enabled\":false}");
    post_event(auth_header, body, &r);
    ck_assert_int_eq(r.status, 503);
    th_response_free(&r);

    put_settings(auth_header, "gorgias", GORGIAS_ON);
    post_event(auth_header, body, &r);
    ck_assert_int_eq(r.status, 201);
    char case_id[64];
    snprintf(case_id, sizeof(case_id), "%s", json_string_value(json_object_get(r.json, "case_id")));
    th_response_free(&r);

    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    post_event(other_auth, body, &r);
    ck_assert_int_eq(r.status, 503); /* its own connector is off */
    th_response_free(&r);
    put_settings(other_auth, "gorgias", GORGIAS_ON);
    post_event(other_auth, body, &r);
    ck_assert_int_eq(r.status, 201); /* its own case, not a replay of the first tenant's */
    ck_assert_str_ne(json_string_value(json_object_get(r.json, "case_id")), case_id);
    th_response_free(&r);
    char path[96];
    snprintf(path, sizeof(path), "/v1/cases/%s", case_id);
    request_json(other_auth, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);

    /* an agent opening a ticket: no case on the agent's words */
    gorgias_event(body, sizeof(body), "7004", "m1", "Hello, following up on your order.", "True");
    post_event(auth_header, body, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "ignored");
    th_response_free(&r);
}
END_TEST

Suite *gorgias_suite(void)
{
    Suite *s = suite_create("gorgias");
    TCase *note = tcase_create("note");
    tcase_add_loop_test(note, test_note_every_tier_and_language, 0, TIER_CASE_COUNT);
    tcase_add_test(note, test_note_money_by_exponent);
    tcase_add_test(note, test_note_tags_from_decision);
    tcase_add_test(note, test_note_missing_members);
    tcase_add_test(note, test_note_language_fallback);
    suite_add_tcase(s, note);

    TCase *tmpl = tcase_create("template");
    tcase_add_checked_fixture(tmpl, http_setup, http_teardown);
    tcase_set_timeout(tmpl, 60);
    tcase_add_test(tmpl, test_template_defaults);
    tcase_add_test(tmpl, test_template_from_field_map);
    suite_add_tcase(s, tmpl);

    TCase *events = tcase_create("events");
    tcase_add_checked_fixture(events, http_setup, http_teardown);
    tcase_set_timeout(events, 60);
    tcase_add_test(events, test_gorgias_event_makes_case_and_widget);
    tcase_add_test(events, test_gorgias_follow_ups_in_order);
    tcase_add_test(events, test_gorgias_bad_fields_named);
    tcase_add_test(events, test_gorgias_no_order_is_ignored);
    tcase_add_test(events, test_gorgias_internal_note_is_ignored);
    tcase_add_test(events, test_gorgias_disabled_and_tenants_apart);
    suite_add_tcase(s, events);
    return s;
}
