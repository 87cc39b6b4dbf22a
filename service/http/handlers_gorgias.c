/* POST /v1/connectors/gorgias/events: what Gorgias' HTTP integration sends
 * on ticket_created / ticket_message_created (the body template of the
 * README's configuration), answered with the sidebar widget's JSON.
 *
 * Who may send: the tenant's API key (the integration's Authorization
 * header). The connector must be enabled (else 503 connectors-disabled, as
 * the Zendesk events answer).
 *
 * What it makes:
 * - the first event of a ticket (from the customer): a case, decided as
 *   POST /v1/cases decides it, and in its transaction the ticket's link to
 *   it and the customer's message as message 1: 201, the widget;
 * - a later event on a linked ticket: its message on that case, from the
 *   buyer, or from the seller when an agent wrote it (checked by the
 *   compliance guard, a warning never a refusal): 200, the case's widget
 *   with the message;
 * - an internal note (message.public false: Gorgias' ticket_message_created
 *   fires for notes between agents too, which the customer never sees):
 *   nothing (200, ignored), on any ticket: it is no message of the
 *   conversation;
 * - an agent's message on a ticket that has no case yet, or a first event
 *   whose order custom fields are all empty (no order on the ticket:
 *   pre-sales, "where is my parcel"): nothing (200, ignored): a decision
 *   is made on the customer's words about an order. Some order fields set
 *   and others missing stays a 422.
 * A retried event (the same ticket, message and body) answers what the
 * first did (200, Idempotent-Replayed) and writes nothing. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "case_json.h"
#include "connector_note.h"
#include "crypto.h"
#include "db_messages.h"
#include "handlers.h"
#include "log.h"
#include "validate.h"

static const char CONNECTOR[] = "gorgias";
/* The longest message taken: the guard and triage read a message whole. */
enum { GORGIAS_MESSAGE_MAX = 20000 };
_Static_assert((int)GORGIAS_MESSAGE_MAX <= (int)ENG_GUARD_TEXT_MAX, "the guard must read a whole message");
_Static_assert((int)GORGIAS_MESSAGE_MAX <= (int)TRIAGE_MESSAGE_SHAPE_MAX, "triage must take a whole message");

/* ---- the event, described once ---- */

/* The custom fields the seller maps (settings' field_map names them; an
 * unmapped one is looked for under its own name), and the case member each
 * fills. */
enum gorgias_field { GF_ORDER_ID, GF_SKU, GF_ITEM_PRICE, GF_CURRENCY, GF_CATEGORY, GF_COUNT };
static const struct {
    const char *name;      /* field_map.<name>; the custom field's default name */
    const char *case_path; /* the case JSON's member (validator errors are renamed back) */
    bool mappable;         /* category has no field_map entry: only its own name */
    bool required;         /* category is optional: triage reads the message */
} GORGIAS_FIELDS[GF_COUNT] = {
    [GF_ORDER_ID] = { "order_id", "order.order_id", true, true },
    [GF_SKU] = { "sku", "order.sku", true, true },
    [GF_ITEM_PRICE] = { "item_price", "order.item_price", true, true },
    [GF_CURRENCY] = { "currency", "order.currency", true, true },
    [GF_CATEGORY] = { "category", "issue.category", false, false },
};
enum { CUSTOM_FIELD_MAX = 256 }; /* bytes of one custom field's value */

/* Jinja renders a Python bool as True / False; JSON writers as true / false. */
static const char *const BOOL_NAMES[] = { "false", "true", "False", "True" };
#define BOOL_TRUE(index) ((index) % 2 == 1)
static const char *const SALES_CHANNELS[] = { "shopify", "amazon", "other" };

struct gorgias_event {
    const char *ticket_id, *subject, *language, *customer_email, *customer_name;
    const char *message_id, *message_text, *message_at;
    int from_agent; /* index into BOOL_NAMES (BOOL_TRUE) */
    int message_public; /* index into BOOL_NAMES: false for an internal note (Gorgias' TicketMessage.public) */
    int sales_channel;
};

#define GE_AT(member) offsetof(struct gorgias_event, member)
#define GE_ENUM(names) (names), (int)(sizeof(names) / sizeof(names[0]))
static const struct field_spec EVENT_FIELDS[] = {
    { "ticket_id", FIELD_STRING, true, GE_AT(ticket_id), 1, 20, NULL, 0, NULL },
    { "subject", FIELD_STRING, false, GE_AT(subject), 0, 1024, NULL, 0, NULL },
    { "language", FIELD_STRING, false, GE_AT(language), 0, 35, NULL, 0, NULL },
    { "sales_channel", FIELD_ENUM, false, GE_AT(sales_channel), 0, 0, GE_ENUM(SALES_CHANNELS), "shopify" },
    { "customer", FIELD_OBJECT, true, 0, 0, 0, NULL, 0, NULL },
    { "customer.email", FIELD_STRING, true, GE_AT(customer_email), 3, 128, NULL, 0, NULL },
    { "customer.name", FIELD_STRING, false, GE_AT(customer_name), 0, 128, NULL, 0, NULL },
    { "message", FIELD_OBJECT, true, 0, 0, 0, NULL, 0, NULL },
    { "message.id", FIELD_STRING, false, GE_AT(message_id), 0, 64, NULL, 0, NULL },
    { "message.text", FIELD_STRING, true, GE_AT(message_text), 0, GORGIAS_MESSAGE_MAX, NULL, 0, NULL },
    { "message.from_agent", FIELD_ENUM, false, GE_AT(from_agent), 0, 0, GE_ENUM(BOOL_NAMES), "false" },
    /* optional: integrations configured before it was in the README's form */
    { "message.public", FIELD_ENUM, false, GE_AT(message_public), 0, 0, GE_ENUM(BOOL_NAMES), "true" },
    { "message.created_at", FIELD_STRING, false, GE_AT(message_at), 0, 64, NULL, 0, NULL },
};
enum { EVENT_FIELD_COUNT = sizeof(EVENT_FIELDS) / sizeof(EVENT_FIELDS[0]) };

/* The event, validated: custom_fields is checked apart, since its member
 * names are the seller's (field_map), not ours. */
static bool event_from_json(const json_t *body, struct gorgias_event *ev, json_t *errors)
{
    memset(ev, 0, sizeof(*ev));
    json_t *fixed = json_copy((json_t *)(uintptr_t)body); /* shallow: the strings stay the body's */
    if (fixed == NULL) {
        validate_error(errors, "(body)", "out of memory");
        return false;
    }
    json_object_del(fixed, "custom_fields");
    bool valid = validate_json(fixed, EVENT_FIELDS, EVENT_FIELD_COUNT, ev, errors);
    json_decref(fixed);
    const json_t *custom = json_object_get(body, "custom_fields");
    if (custom != NULL && !json_is_object(custom)) {
        validate_error(errors, "custom_fields", "must be an object: custom field name -> value");
        valid = false;
    }
    const char *name;
    const json_t *value;
    json_object_foreach((json_t *)(uintptr_t)custom, name, value)
        if (!json_is_string(value) || strlen(json_string_value(value)) > CUSTOM_FIELD_MAX) {
            validate_error(errors, "custom_fields", "%.64s: must be a string of at most %d bytes", name,
                           (int)CUSTOM_FIELD_MAX);
            valid = false;
        }
    for (const char *p = valid ? ev->ticket_id : ""; *p; p++)
        if (!isdigit((unsigned char)*p)) {
            validate_error(errors, "ticket_id", "must be the Gorgias ticket's id ({{ticket.id}}): digits");
            valid = false;
            break;
        }
    return valid;
}

/* ---- the case the first event makes ---- */

/* The custom field that carries f, as the seller named it. */
static const char *field_name(const json_t *settings, enum gorgias_field f)
{
    const char *mapped = GORGIAS_FIELDS[f].mappable
                             ? json_string_value(json_object_get(json_object_get(settings, "field_map"),
                                                                 GORGIAS_FIELDS[f].name))
                             : NULL;
    return mapped != NULL ? mapped : GORGIAS_FIELDS[f].name;
}

/* The error path of a custom field: custom_fields.<its name>. */
static void custom_field_path(const json_t *settings, enum gorgias_field f, char *out, size_t size)
{
    snprintf(out, size, "custom_fields.%s", field_name(settings, f));
}

/* The case JSON of an event (new reference), or NULL with the reasons in
 * errors: the order from the mapped custom fields (custom, the body's
 * custom_fields), the customer as the buyer (by e-mail, lower-cased), the
 * message as the buyer's words, which triage reads when no category is
 * given. The language is Gorgias' guess, taken when it is one of ours. */
static json_t *event_case(const struct gorgias_event *ev, const json_t *custom, const json_t *settings,
                          json_t *errors)
{
    const char *value[GF_COUNT];
    char path[96];
    bool complete = true;
    for (int f = 0; f < GF_COUNT; f++) {
        value[f] = json_string_value(json_object_get(custom, field_name(settings, f)));
        if (value[f] != NULL && value[f][0] == '\0')
            value[f] = NULL;
        if (value[f] == NULL && GORGIAS_FIELDS[f].required) {
            custom_field_path(settings, f, path, sizeof(path));
            validate_error_unprocessable(errors, path, "is needed: the custom field that carries the %s (field_map.%s"
                                         " names it) is missing or empty", GORGIAS_FIELDS[f].name,
                                         GORGIAS_FIELDS[f].name);
            complete = false;
        }
    }
    char currency[4] = "";
    const struct eng_currency *cur = NULL;
    if (value[GF_CURRENCY] != NULL) {
        for (size_t i = 0; i < 3 && value[GF_CURRENCY][i] != '\0'; i++)
            currency[i] = (char)toupper((unsigned char)value[GF_CURRENCY][i]);
        if (strlen(value[GF_CURRENCY]) != 3 || (cur = eng_currency_find(currency)) == NULL) {
            custom_field_path(settings, GF_CURRENCY, path, sizeof(path));
            validate_error_unprocessable(errors, path, "must be an ISO 4217 code Redress supports, such as EUR");
            complete = false;
        }
    }
    int64_t price = 0;
    if (cur != NULL && value[GF_ITEM_PRICE] != NULL
        && eng_money_parse(value[GF_ITEM_PRICE], cur->exponent, &price) != NULL) {
        custom_field_path(settings, GF_ITEM_PRICE, path, sizeof(path));
        validate_error_unprocessable(errors, path, "must be a decimal amount with at most %d decimals, such as %s",
                                     cur->exponent, cur->exponent == 0 ? "1200" : "12.50");
        complete = false;
    }
    if (!complete)
        return NULL;
    char buyer[130];
    snprintf(buyer, sizeof(buyer), "%s", ev->customer_email);
    for (char *p = buyer; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    json_t *issue = json_object(), *buyer_json = json_pack("{s:s}", "buyer_id", buyer);
    json_t *kase = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:I}, s:o, s:o}", "ticket_id", ev->ticket_id, "channel",
                             SALES_CHANNELS[ev->sales_channel], "order", "order_id", value[GF_ORDER_ID], "sku",
                             value[GF_SKU], "currency", currency, "item_price", (json_int_t)price, "buyer",
                             buyer_json, "issue", issue);
    if (kase == NULL) {
        validate_error(errors, "(body)", "out of memory");
        return NULL;
    }
    if (ev->customer_name != NULL && ev->customer_name[0] != '\0')
        json_object_set_new(buyer_json, "name", json_string(ev->customer_name));
    bool fell_back = true;
    if (ev->language != NULL && ev->language[0] != '\0')
        eng_language_resolve(ev->language, &fell_back);
    if (!fell_back)
        json_object_set_new(buyer_json, "language", json_string(ev->language));
    if (value[GF_CATEGORY] != NULL) {
        char category[64];
        snprintf(category, sizeof(category), "%s", value[GF_CATEGORY]);
        for (char *p = category; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        json_object_set_new(issue, "category", json_string(category));
    }
    if (ev->message_text[0] != '\0')
        json_object_set_new(issue, "message", json_string(ev->message_text));
    return kase;
}

/* The case validator's errors under the event's names, into errors. */
static void rename_case_errors(const json_t *settings, json_t *case_errors, json_t *errors)
{
    static const struct { const char *case_path, *event_name; } OTHERS[] = {
        { "ticket_id", "ticket_id" },        { "buyer.buyer_id", "customer.email" },
        { "buyer.name", "customer.name" },   { "buyer.language", "language" },
        { "issue.message", "message.text" }, { "issue", "message.text" },
    };
    size_t i;
    json_t *error;
    json_array_foreach(case_errors, i, error) {
        const char *field = json_string_value(json_object_get(error, "field"));
        char renamed[96] = "";
        for (int f = 0; field != NULL && f < GF_COUNT && renamed[0] == '\0'; f++)
            if (strcmp(field, GORGIAS_FIELDS[f].case_path) == 0)
                custom_field_path(settings, f, renamed, sizeof(renamed));
        for (size_t o = 0; field != NULL && o < sizeof(OTHERS) / sizeof(OTHERS[0]) && renamed[0] == '\0'; o++)
            if (strcmp(field, OTHERS[o].case_path) == 0)
                snprintf(renamed, sizeof(renamed), "%s", OTHERS[o].event_name);
        if (renamed[0] != '\0')
            json_object_set_new(error, "field", json_string(renamed));
        json_array_append(errors, error);
    }
}

/* The message's time: Gorgias writes ISO 8601 without a zone
 * ("2026-01-07T13:00:00.123456", UTC); now when it is not a time. */
static void event_time(const char *text, int64_t now, char at[32])
{
    int64_t t;
    char zoned[72];
    bool known = false;
    if (text != NULL && text[0] != '\0') {
        known = validate_parse_time(text, &t);
        if (!known) {
            snprintf(zoned, sizeof(zoned), "%sZ", text);
            known = validate_parse_time(zoned, &t);
        }
    }
    validate_format_time(known && t > 0 ? t : now, at);
}

/* ---- the answer: the widget ---- */

/* The widget for a case's decision (text as stored), in the tenant's
 * widget language, with what this event did (new reference; NULL: no
 * memory or an unreadable decision). message: what was recorded, or NULL. */
static json_t *widget_answer(const char *decision_text, const json_t *settings, const char *action,
                             const char *ticket_id, const char *message_text)
{
    json_t *decision = json_loads(decision_text, 0, NULL);
    json_t *widget = decision != NULL
                         ? connector_widget(decision, json_string_value(json_object_get(settings, "widget_language")))
                         : NULL;
    json_decref(decision);
    if (widget == NULL)
        return NULL;
    json_t *message = message_text != NULL ? json_loads(message_text, 0, NULL) : NULL;
    if (json_object_set_new(widget, "action", json_string(action)) != 0
        || json_object_set_new(widget, "ticket_id", json_string(ticket_id)) != 0
        || (message_text != NULL && (message == NULL || json_object_set(widget, "message", message) != 0))) {
        json_decref(widget);
        widget = NULL;
    }
    json_decref(message);
    return widget;
}

static enum MHD_Result reply_widget(struct http_request *req, unsigned status, json_t *widget, bool replayed)
{
    if (widget == NULL) {
        log_msg(LOG_ERROR, "request %s: the Gorgias widget could not be made", req->request_id);
        return http_reply_problem(req, PROBLEM_INTERNAL, "the widget could not be made");
    }
    if (replayed)
        http_add_header(req, "Idempotent-Replayed", "true");
    return http_reply_json(req, status, widget);
}

/* ---- a later message on a linked ticket (db_message_render_fn) ---- */

struct message_ctx {
    const char *request_id;
    const char *case_id;
};

/* What is stored and replayed of a message: its id, sender, time, channel
 * and, for the seller's, the compliance guard's finding (as POST
 * /v1/cases/{id}/messages checks it: the case's marketplace rules, its own
 * identifiers not contact details). */
static int render_message(struct db_message *m, const struct db_message_case *kase, void *cls)
{
    const struct message_ctx *ctx = cls;
    json_t *compliance;
    if (messages_compliance(m, kase, ctx->request_id, ctx->case_id, &compliance) != 0)
        return -1;
    json_t *message = messages_brief_json(m, compliance);
    int rc = messages_store(m, compliance, message);
    json_decref(message);
    json_decref(compliance);
    return rc;
}

/* ---- the handler ---- */

struct event_ctx {
    struct http_request *req;
    const struct gorgias_event *ev;
    const json_t *custom;   /* the body's custom_fields (may be NULL) */
    const json_t *settings; /* the connector's, as GET shows them */
    char key[192];          /* the event's idempotency key */
    uint8_t request_hash[CRYPTO_SHA256_LEN];
    int64_t now;
};

/* Whether a replayed answer is a message's (render_message) rather than
 * the decision of the case the same key made. */
static bool stored_message(const char *stored)
{
    json_t *answer = json_loads(stored, 0, NULL);
    bool message = json_object_get(answer, "message_id") != NULL;
    json_decref(answer);
    return message;
}

static enum MHD_Result record_message(struct event_ctx *e, const char *case_id)
{
    struct http_request *req = e->req;
    const struct gorgias_event *ev = e->ev;
    if (ev->message_text[0] == '\0')
        return http_reply_problem(req, PROBLEM_UNPROCESSABLE, "message.text: is empty, so there is no message to"
                                  " record on the ticket's case");
    char message_id[CRYPTO_UUID_STRLEN + 1], at[32];
    event_time(ev->message_at, e->now, at);
    struct db_message m = {
        .message_id = message_id,
        .from = BOOL_TRUE(ev->from_agent) ? "seller" : "buyer",
        .at = at,
        .channel = CONNECTOR,
        .text = ev->message_text,
        .idempotency_key = e->key,
    };
    memcpy(m.request_hash, e->request_hash, sizeof(m.request_hash));
    if (crypto_uuid_v4(message_id) != 0)
        return http_reply_problem(req, PROBLEM_INTERNAL, "no randomness for identifiers");
    struct message_ctx ctx = { req->request_id, case_id };
    enum db_status status = db_message_record(&req->db, req->tenant.id, case_id, &m, render_message, &ctx);
    char *request = NULL, *decision = NULL, *outcomes = NULL;
    if (status == DB_OK && (m.result == MESSAGE_RECORDED || m.result == MESSAGE_REPLAYED))
        status = db_case_get(req->db, req->tenant.id, case_id, &request, &decision, &outcomes);
    enum MHD_Result result;
    if (status != DB_OK) {
        result = http_reply_db_error(req, status);
    } else if (m.result == MESSAGE_KEY_IN_FLIGHT) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_IN_FLIGHT,
                                    "this Gorgias event is being recorded by an earlier delivery: retry");
    } else if (m.result == MESSAGE_KEY_MISMATCH) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_MISMATCH,
                                    "this Gorgias message was first received with a different body");
    } else if (m.result == MESSAGE_REPLAYED && !stored_message(m.replay_body)) {
        /* the key is the first event's, which made the case: its answer */
        result = reply_widget(req, 200, widget_answer(m.replay_body, e->settings, "case_created", ev->ticket_id, NULL),
                              true);
    } else {
        bool replayed = m.result == MESSAGE_REPLAYED;
        if (!replayed)
            log_msg(LOG_INFO, "request %s: Gorgias ticket %s: a %s message recorded on case %s", req->request_id,
                    ev->ticket_id, m.from, case_id);
        result = reply_widget(req, 200, widget_answer(decision, e->settings, "message_recorded", ev->ticket_id,
                                                      replayed ? m.replay_body : m.response_body),
                              replayed);
    }
    free(request);
    free(decision);
    free(outcomes);
    db_message_cleanup(&m);
    return result;
}

/* Why an event makes no case although its ticket has none (out, true):
 * every order custom field is empty or absent, so there is no order. */
static bool no_order(const json_t *custom, const json_t *settings, char *out, size_t size)
{
    int used = snprintf(out, size, "no order on this ticket (");
    int listed = 0;
    for (int f = 0; f < GF_COUNT; f++) {
        if (!GORGIAS_FIELDS[f].required)
            continue;
        const char *value = json_string_value(json_object_get(custom, field_name(settings, f)));
        if (value != NULL && value[0] != '\0')
            return false;
        if (used > 0 && (size_t)used < size)
            used += snprintf(out + used, size - (size_t)used, "%scustom_fields.%s", listed++ > 0 ? ", " : "",
                             field_name(settings, f));
    }
    if (used > 0 && (size_t)used < size)
        snprintf(out + used, size - (size_t)used, " are empty)");
    return true;
}

static enum MHD_Result record_case(struct event_ctx *e)
{
    struct http_request *req = e->req;
    const struct gorgias_event *ev = e->ev;
    char ignored[512];
    if (no_order(e->custom, e->settings, ignored, sizeof(ignored)))
        return http_reply_json(req, 200, json_pack("{s:s, s:s, s:s}", "action", "ignored", "ticket_id",
                                                   ev->ticket_id, "reason", ignored));
    json_t *errors = json_array(), *case_errors = json_array();
    json_t *kase = errors != NULL ? event_case(ev, e->custom, e->settings, errors) : NULL;
    struct eng_case c;
    bool valid = kase != NULL && case_errors != NULL && case_from_json(kase, &c, case_errors);
    if (!valid && case_errors != NULL)
        rename_case_errors(e->settings, case_errors, errors);
    json_decref(case_errors);
    if (!valid) {
        json_decref(kase);
        if (json_array_size(errors) == 0) {
            json_decref(errors);
            return http_reply_problem(req, PROBLEM_INTERNAL, "the case could not be read (out of memory)");
        }
        log_msg(LOG_INFO, "request %s: Gorgias ticket %s cannot become a case as sent", req->request_id,
                ev->ticket_id);
        return http_reply_invalid(req, errors);
    }
    json_decref(errors);

    char message_id[CRYPTO_UUID_STRLEN + 1], at[32];
    event_time(ev->message_at, e->now, at);
    const char *text = ev->message_text[0] != '\0' ? ev->message_text : NULL;
    const struct db_case_ticket ticket = {
        .connector = CONNECTOR,
        .ticket_id = ev->ticket_id,
        .message_id = text != NULL ? message_id : NULL,
        .message_at = at,
        .message_channel = CONNECTOR,
        .message_text = text,
        .delivery_id = NULL, /* Gorgias shows the answer itself: nothing owed */
    };
    if (crypto_uuid_v4(message_id) != 0) {
        json_decref(kase);
        return http_reply_problem(req, PROBLEM_INTERNAL, "no randomness for identifiers");
    }
    const struct case_record in = { kase, e->key, e->request_hash, &ticket };
    char case_id[CRYPTO_UUID_STRLEN + 1];
    struct db_case_new rec;
    enum db_status status = cases_record(req, &c, &in, e->now, case_id, &rec);
    json_decref(kase);
    enum MHD_Result result;
    if (status != DB_OK) {
        result = http_reply_db_error(req, status);
    } else if (rec.result == CASE_KEY_IN_FLIGHT) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_IN_FLIGHT,
                                    "this Gorgias event is being recorded by an earlier delivery: retry");
    } else if (rec.result == CASE_KEY_MISMATCH) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_MISMATCH,
                                    "this Gorgias message was first received with a different body");
    } else if (rec.result == CASE_TICKET_TAKEN) {
        /* Another event of the ticket made its case meanwhile: this one is
         * a message on it. */
        char linked[40];
        status = db_case_ticket_lookup(req->db, req->tenant.id, CONNECTOR, ev->ticket_id, linked);
        result = status == DB_OK ? record_message(e, linked) : http_reply_db_error(req, status);
    } else if (rec.result == CASE_REPLAYED) {
        result = reply_widget(req, 200, widget_answer(rec.replay_body, e->settings, "case_created", ev->ticket_id,
                                                      NULL),
                              true);
    } else {
        log_msg(LOG_INFO, "request %s: Gorgias ticket %s became case %s", req->request_id, ev->ticket_id, case_id);
        char location[64];
        snprintf(location, sizeof(location), "/v1/cases/%s", case_id);
        http_add_header(req, MHD_HTTP_HEADER_LOCATION, location);
        result = reply_widget(req, 201, widget_answer(rec.response_body, e->settings, "case_created", ev->ticket_id,
                                                      NULL),
                              false);
    }
    db_case_new_cleanup(&rec);
    return result;
}

/* The event's idempotency key: the ticket and its message (Gorgias' id of
 * the message when the body carries it, else a digest of its time and
 * text); what it names: the route and the canonical body. */
static int event_identity(const json_t *body, const struct gorgias_event *ev, struct event_ctx *e)
{
    char *canonical = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    if (canonical == NULL)
        return -1;
    size_t prefix_len = strlen("POST /v1/connectors/gorgias/events\n");
    size_t n = prefix_len + strlen(canonical);
    char *named = malloc(n + 1);
    if (named == NULL) {
        free(canonical);
        return -1;
    }
    memcpy(named, "POST /v1/connectors/gorgias/events\n", prefix_len);
    memcpy(named + prefix_len, canonical, n - prefix_len + 1);
    free(canonical);
    int rc = crypto_sha256(named, n, e->request_hash);
    free(named);
    if (rc != 0)
        return -1;
    if (ev->message_id != NULL && ev->message_id[0] != '\0' && idempotency_key_valid(ev->message_id)) {
        snprintf(e->key, sizeof(e->key), "gorgias:%s:message:%s", ev->ticket_id, ev->message_id);
        return 0;
    }
    size_t text_len = strlen(ev->message_text), at_len = ev->message_at != NULL ? strlen(ev->message_at) : 0;
    char *both = malloc(at_len + 1 + text_len + 1);
    if (both == NULL)
        return -1;
    memcpy(both, ev->message_at != NULL ? ev->message_at : "", at_len);
    both[at_len] = '\n';
    memcpy(both + at_len + 1, ev->message_text, text_len + 1);
    uint8_t digest[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    rc = crypto_sha256(both, at_len + 1 + text_len, digest);
    free(both);
    if (rc != 0)
        return -1;
    crypto_hex(digest, sizeof(digest), hex);
    snprintf(e->key, sizeof(e->key), "gorgias:%s:text:%s", ev->ticket_id, hex);
    return 0;
}

enum MHD_Result handle_gorgias_events(struct http_request *req)
{
    enum db_status status;
    json_t *settings = connectors_settings(req->db, req->tenant.id, CONNECTOR, &status);
    if (settings == NULL)
        return http_reply_db_error(req, status);
    if (!json_is_true(json_object_get(settings, "enabled"))) {
        json_decref(settings);
        return http_reply_problem(req, PROBLEM_CONNECTORS_DISABLED,
                                  "the gorgias connector is not enabled for this tenant: PUT /v1/connectors/gorgias");
    }
    struct gorgias_event ev;
    json_t *errors = json_array();
    if (errors == NULL) {
        json_decref(settings);
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    }
    if (!event_from_json(req->json, &ev, errors)) {
        json_decref(settings);
        return http_reply_invalid(req, errors);
    }
    json_decref(errors);
    struct event_ctx e = { .req = req, .ev = &ev, .custom = json_object_get(req->json, "custom_fields"),
                           .settings = settings, .now = (int64_t)time(NULL) };
    if (event_identity(req->json, &ev, &e) != 0) {
        json_decref(settings);
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    }
    char case_id[40];
    enum MHD_Result result;
    if (!BOOL_TRUE(ev.message_public)) {
        json_decref(settings);
        return http_reply_json(req, 200, json_pack("{s:s, s:s, s:s}", "action", "ignored", "ticket_id", ev.ticket_id,
                                                   "reason", "an internal note: notes between agents are no message"
                                                   " of the conversation"));
    }
    status = db_case_ticket_lookup(req->db, req->tenant.id, CONNECTOR, ev.ticket_id, case_id);
    if (status == DB_OK) {
        result = record_message(&e, case_id);
    } else if (status != DB_NOT_FOUND) {
        result = http_reply_db_error(req, status);
    } else if (BOOL_TRUE(ev.from_agent)) {
        json_t *answer = json_pack("{s:s, s:s, s:s}", "action", "ignored", "ticket_id", ev.ticket_id, "reason",
                                   "an agent's message on a ticket with no case yet: Redress decides on the"
                                   " customer's words");
        result = http_reply_json(req, 200, answer);
    } else {
        result = record_case(&e);
    }
    json_decref(settings);
    return result;
}
