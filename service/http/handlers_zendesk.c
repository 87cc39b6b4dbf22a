/* POST /v1/connectors/zendesk/events: what a Zendesk trigger's webhook
 * sends (the body GET /v1/connectors/zendesk/template gives), verified and
 * turned into a case, or into a message on the ticket's case.
 *
 * Who may send: the tenant's API key (the webhook's bearer token) AND
 * Zendesk's signature, X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(
 * webhook secret, X-Zendesk-Webhook-Signature-Timestamp + raw body)), the
 * timestamp within 5 minutes of now either way (a replayed capture is
 * refused). Without REDRESS_SECRET_KEY, the connector enabled and its
 * webhook secret set, nothing is accepted (503 connectors-disabled, no
 * Retry-After: waiting does not change it).
 *
 * What it makes:
 * - the first event of a ticket: a case (as POST /v1/cases decides it), in
 *   its transaction the ticket's link to it, the comment received as
 *   message 1 (from the buyer) and the internal note owed to the ticket
 *   (the outbox row the delivery worker sends): 201 case_created;
 * - a later event on a linked ticket: its comment as a message on that
 *   case, from the buyer when the requester wrote it, else from the seller
 *   (checked by the compliance guard, a warning never a refusal); no new
 *   note: 200 message_recorded;
 * - Redress's own note coming back (it updates the ticket, which may fire
 *   the trigger again; recognised by its last line, exactly "Redress
 *   delivery <uuid>"), an event with no comment on a linked ticket, an
 *   agent's comment on a ticket with no case yet (a case opens on the
 *   buyer's own words), or a ticket with no order on it (every mapped
 *   order field empty: pre-sales, "where is my parcel"): nothing, 200
 *   ignored. Not 4xx: Zendesk does not retry those, and many of them can
 *   trip its webhook circuit breaker.
 * A retried event (Zendesk retries with the same body) answers what the
 * first one did (200, Idempotent-Replayed) and writes nothing; while the
 * first is still being recorded, 409 (Zendesk retries 409). The event's
 * key is the ticket, its update time and the comment, all in the signed
 * body: never X-Zendesk-Webhook-Invocation-Id, which the signature does
 * not cover. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "case_json.h"
#include "connector_note.h"
#include "connectors.h"
#include "crypto.h"
#include "db_messages.h"
#include "handlers.h"
#include "log.h"
#include "validate.h"

static const char CONNECTOR[] = "zendesk";
/* How far the signature's timestamp may be from now, either way. */
enum { SIGNATURE_WINDOW_S = 300 };
/* The line that ends every note Redress writes (connector_note_text),
 * followed by the delivery's uuid. */
static const char OWN_NOTE_MARKER[] = "Redress delivery ";
/* A comment longer than this is refused: the compliance guard and triage
 * must read a recorded message whole (and the body limit is 64 KiB). */
enum { COMMENT_MAX = 20000 };
_Static_assert((int)COMMENT_MAX <= (int)ENG_GUARD_TEXT_MAX, "the guard must read a whole comment");
_Static_assert((int)COMMENT_MAX <= (int)TRIAGE_MESSAGE_SHAPE_MAX, "triage must take a whole comment");

/* ---- the event, described once ---- */

/* The ticket fields the seller maps (settings' field_map, the event's
 * `fields`), in one table: the name in both, and where the case takes it. */
enum mapped_field { MAPPED_ORDER_ID, MAPPED_SKU, MAPPED_ITEM_PRICE, MAPPED_CURRENCY, MAPPED_CATEGORY, MAPPED_COUNT };
static const struct {
    const char *name;      /* field_map.<name>, fields.<name> */
    const char *case_path; /* the case JSON's member it fills (errors of the validator are renamed back) */
    bool required;         /* category is optional: triage reads the comment */
} MAPPED[MAPPED_COUNT] = {
    [MAPPED_ORDER_ID] = { "order_id", "order.order_id", true },
    [MAPPED_SKU] = { "sku", "order.sku", true },
    [MAPPED_ITEM_PRICE] = { "item_price", "order.item_price", true },
    [MAPPED_CURRENCY] = { "currency", "order.currency", true },
    [MAPPED_CATEGORY] = { "category", "issue.category", false },
};

struct zendesk_event {
    const char *ticket_id, *subject, *description, *latest_comment, *requester_name, *requester_email,
        *current_user_email, *tags, *via, *updated_at;
    const char *fields[MAPPED_COUNT]; /* NULL: not in the event */
};

#define EV_AT(member) offsetof(struct zendesk_event, member)
#define EV_TEXT(path, member, max) { path, FIELD_STRING, false, EV_AT(member), 0, max, NULL, 0, NULL }
static const struct field_spec EVENT_FIELDS[] = {
    { "ticket_id", FIELD_STRING, true, EV_AT(ticket_id), 1, 20, NULL, 0, NULL },
    EV_TEXT("subject", subject, 1024),
    EV_TEXT("description", description, TRIAGE_MESSAGE_SHAPE_MAX),
    EV_TEXT("latest_comment", latest_comment, TRIAGE_MESSAGE_SHAPE_MAX),
    EV_TEXT("requester_name", requester_name, 256),
    EV_TEXT("requester_email", requester_email, 254),
    EV_TEXT("current_user_email", current_user_email, 254),
    EV_TEXT("tags", tags, 4096),
    EV_TEXT("via", via, 128),
    EV_TEXT("updated_at", updated_at, 64),
    { "fields", FIELD_OBJECT, false, 0, 0, 0, NULL, 0, NULL },
    { "fields.order_id", FIELD_STRING, false, EV_AT(fields[MAPPED_ORDER_ID]), 0, 256, NULL, 0, NULL },
    { "fields.sku", FIELD_STRING, false, EV_AT(fields[MAPPED_SKU]), 0, 256, NULL, 0, NULL },
    { "fields.item_price", FIELD_STRING, false, EV_AT(fields[MAPPED_ITEM_PRICE]), 0, 256, NULL, 0, NULL },
    { "fields.currency", FIELD_STRING, false, EV_AT(fields[MAPPED_CURRENCY]), 0, 256, NULL, 0, NULL },
    { "fields.category", FIELD_STRING, false, EV_AT(fields[MAPPED_CATEGORY]), 0, 256, NULL, 0, NULL },
};
enum { EVENT_FIELD_COUNT = sizeof(EVENT_FIELDS) / sizeof(EVENT_FIELDS[0]) };

/* ---- the signature ---- */

/* Why an event was not verified (NULL: it was). */
static const char *signature_problem(const struct http_request *req, const char *secret, int64_t now)
{
    const char *signature = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
                                                        "X-Zendesk-Webhook-Signature");
    const char *stamp = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
                                                    "X-Zendesk-Webhook-Signature-Timestamp");
    if (signature == NULL || stamp == NULL)
        return "send X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp (the webhook's"
               " signing secret is the connector's webhook_secret)";
    int64_t signed_at;
    if (!validate_parse_time(stamp, &signed_at))
        return "X-Zendesk-Webhook-Signature-Timestamp: must be an RFC 3339 time";
    if (signed_at < now - SIGNATURE_WINDOW_S || signed_at > now + SIGNATURE_WINDOW_S)
        return "X-Zendesk-Webhook-Signature-Timestamp: more than 5 minutes from now (a replay, or a clock far off)";
    const void *const parts[] = { stamp, req->body.data != NULL ? req->body.data : "" };
    const size_t lens[] = { strlen(stamp), req->body.len };
    uint8_t mac[CRYPTO_SHA256_LEN];
    char expected[CRYPTO_BASE64_LEN(CRYPTO_SHA256_LEN) + 1];
    if (crypto_hmac_sha256(secret, strlen(secret), parts, lens, 2, mac) != 0)
        return "the signature could not be computed";
    crypto_base64(mac, sizeof(mac), expected);
    /* The length is public (a digest's); the bytes are compared in constant time. */
    if (strlen(signature) != strlen(expected) || !crypto_equal(signature, expected, strlen(expected)))
        return "X-Zendesk-Webhook-Signature: does not match the body under the connector's webhook_secret";
    return NULL;
}

/* ---- the case the first event makes ---- */

/* Zendesk's {{ticket.updated_at_with_timestamp}} ("2013-12-12T05:35Z",
 * with or without seconds) as RFC 3339 into at; now when it is neither. */
static void event_time(const char *text, int64_t now, char at[32])
{
    int64_t t;
    char with_seconds[32];
    size_t n = text != NULL ? strlen(text) : 0;
    if (n == 17 && text[16] == 'Z') {
        snprintf(with_seconds, sizeof(with_seconds), "%.16s:00Z", text);
        text = with_seconds;
    }
    validate_format_time(text != NULL && validate_parse_time(text, &t) && t > 0 ? t : now, at);
}

/* The ticket field a mapped value comes from, as the seller named it. */
static json_int_t mapped_ticket_field(const json_t *settings, enum mapped_field f)
{
    return json_integer_value(json_object_get(json_object_get(settings, "field_map"), MAPPED[f].name));
}

/* Rename the case validator's errors to the event's names (order.sku is
 * fields.sku to the seller), into errors. */
static void rename_case_errors(json_t *case_errors, json_t *errors)
{
    static const struct { const char *case_path, *event_name; } OTHERS[] = {
        { "ticket_id", "ticket_id" },
        { "buyer.buyer_id", "requester_email" },
        { "buyer.name", "requester_name" },
        { "issue.message", "latest_comment" },
        { "issue", "latest_comment" },
    };
    size_t i;
    json_t *error;
    json_array_foreach(case_errors, i, error) {
        const char *field = json_string_value(json_object_get(error, "field"));
        char renamed[64] = "";
        for (int f = 0; field != NULL && f < MAPPED_COUNT && renamed[0] == '\0'; f++)
            if (strcmp(field, MAPPED[f].case_path) == 0)
                snprintf(renamed, sizeof(renamed), "fields.%s", MAPPED[f].name);
        for (size_t o = 0; field != NULL && o < sizeof(OTHERS) / sizeof(OTHERS[0]) && renamed[0] == '\0'; o++)
            if (strcmp(field, OTHERS[o].case_path) == 0)
                snprintf(renamed, sizeof(renamed), "%s", OTHERS[o].event_name);
        if (renamed[0] != '\0')
            json_object_set_new(error, "field", json_string(renamed));
        json_array_append(errors, error);
    }
}

/* The case JSON an event makes (new reference), or NULL with the reasons
 * in errors. The seller's mapped ticket fields carry the order; the
 * requester is the buyer (by e-mail, lower-cased); the comment (or, on a
 * ticket with none yet, its description) is the buyer's message that
 * triage reads when no category is mapped. The marketplace channel is
 * "other": Zendesk is where the conversation happens, not where the
 * order was placed. */
static json_t *event_case(const struct zendesk_event *ev, const json_t *settings, const char *message,
                          json_t *errors)
{
    const char *value[MAPPED_COUNT];
    bool mapped_ok = true;
    for (int f = 0; f < MAPPED_COUNT; f++) {
        char field[32];
        snprintf(field, sizeof(field), "fields.%s", MAPPED[f].name);
        json_int_t ticket_field = mapped_ticket_field(settings, f);
        value[f] = ev->fields[f] != NULL && ev->fields[f][0] != '\0' ? ev->fields[f] : NULL;
        if (value[f] == NULL && MAPPED[f].required) {
            if (ticket_field == 0)
                validate_error_unprocessable(errors, field, "is needed and the connector's field_map names no"
                                             " ticket field for it: set field_map.%s", MAPPED[f].name);
            else
                validate_error_unprocessable(errors, field, "ticket field %lld is empty on ticket %s (or missing"
                                             " from the webhook's body: see GET /v1/connectors/zendesk/template)",
                                             (long long)ticket_field, ev->ticket_id);
            mapped_ok = false;
        }
    }
    char currency[8] = "";
    const struct eng_currency *cur = NULL;
    if (value[MAPPED_CURRENCY] != NULL) {
        snprintf(currency, sizeof(currency), "%s", value[MAPPED_CURRENCY]);
        for (char *p = currency; *p; p++)
            *p = (char)toupper((unsigned char)*p); /* dropdown values are lower case in Zendesk */
        if (strlen(value[MAPPED_CURRENCY]) != 3 || (cur = eng_currency_find(currency)) == NULL) {
            validate_error_unprocessable(errors, "fields.currency", "ticket field %lld: must be an ISO 4217 code"
                                         " Redress supports, such as EUR", (long long)mapped_ticket_field(settings,
                                                                                           MAPPED_CURRENCY));
            mapped_ok = false;
        }
    }
    int64_t price = 0;
    if (cur != NULL && value[MAPPED_ITEM_PRICE] != NULL
        && eng_money_parse(value[MAPPED_ITEM_PRICE], cur->exponent, &price) != NULL) {
        validate_error_unprocessable(errors, "fields.item_price", "ticket field %lld: must be a decimal amount with"
                                     " at most %d decimals, such as %s", (long long)mapped_ticket_field(settings,
                                                                                      MAPPED_ITEM_PRICE),
                                     cur->exponent, cur->exponent == 0 ? "1200" : "12.50");
        mapped_ok = false;
    }
    if (!mapped_ok)
        return NULL;
    char buyer[256];
    snprintf(buyer, sizeof(buyer), "%s", ev->requester_email != NULL ? ev->requester_email : "");
    for (char *p = buyer; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    json_t *order = json_pack("{s:s, s:s, s:s, s:I}", "order_id", value[MAPPED_ORDER_ID], "sku", value[MAPPED_SKU],
                              "currency", currency, "item_price", (json_int_t)price);
    json_t *buyer_json = json_pack("{s:s}", "buyer_id", buyer);
    json_t *issue = json_object();
    json_t *kase = json_pack("{s:s, s:s, s:o, s:o, s:o}", "ticket_id", ev->ticket_id, "channel", "other", "order",
                             order, "buyer", buyer_json, "issue", issue);
    if (kase == NULL) {
        validate_error(errors, "(body)", "out of memory");
        return NULL;
    }
    if (ev->requester_name != NULL && ev->requester_name[0] != '\0')
        json_object_set_new(buyer_json, "name", json_string(ev->requester_name));
    if (value[MAPPED_CATEGORY] != NULL) {
        char category[64];
        snprintf(category, sizeof(category), "%s", value[MAPPED_CATEGORY]);
        for (char *p = category; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        json_object_set_new(issue, "category", json_string(category));
    }
    if (message != NULL)
        json_object_set_new(issue, "message", json_string(message));
    return kase;
}

/* ---- answers ---- */

/* The answer to the event that made a case (new reference), the same for
 * the first event and its replays: the decision is the case's own. */
static json_t *case_created_answer(const char *ticket_id, const char *decision_text)
{
    json_t *decision = json_loads(decision_text, 0, NULL);
    const char *case_id = json_string_value(json_object_get(decision, "case_id"));
    json_t *answer = case_id != NULL ? json_pack("{s:s, s:s, s:s, s:O}", "action", "case_created", "case_id",
                                                 case_id, "ticket_id", ticket_id, "decision", decision)
                                     : NULL;
    json_decref(decision);
    return answer;
}

static enum MHD_Result reply_answer(struct http_request *req, unsigned status, json_t *answer, bool replayed)
{
    if (answer == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "the answer could not be made");
    const char *case_id = json_string_value(json_object_get(answer, "case_id"));
    if (case_id != NULL) {
        char location[64];
        snprintf(location, sizeof(location), "/v1/cases/%s", case_id);
        http_add_header(req, MHD_HTTP_HEADER_LOCATION, location);
    }
    if (replayed)
        http_add_header(req, "Idempotent-Replayed", "true");
    return http_reply_json(req, status, answer);
}

/* A stored answer replayed: a message's is ours already; a case's key
 * stored the decision, which is answered as when it was made. */
static enum MHD_Result reply_replay(struct http_request *req, const char *ticket_id, const char *stored)
{
    json_t *answer = json_loads(stored, 0, NULL);
    if (answer != NULL && json_object_get(answer, "action") == NULL) {
        json_decref(answer);
        answer = case_created_answer(ticket_id, stored);
    }
    return reply_answer(req, 200, answer, true);
}

static enum MHD_Result reply_ignored(struct http_request *req, const char *ticket_id, const char *case_id,
                                     const char *reason)
{
    json_t *answer = json_pack("{s:s, s:s, s:s}", "action", "ignored", "ticket_id", ticket_id, "reason", reason);
    if (answer != NULL && case_id != NULL)
        json_object_set_new(answer, "case_id", json_string(case_id));
    return http_reply_json(req, 200, answer);
}

/* ---- the outbox row's payload (db_outbox_payload_fn) ---- */

struct payload_ctx {
    const char *language;
    const char *request_id;
};

static char *note_payload(const char *response_body, const char *delivery_id, void *cls)
{
    const struct payload_ctx *ctx = cls;
    json_t *decision = json_loads(response_body, 0, NULL);
    json_t *update = decision != NULL ? connector_note_zendesk_update(decision, ctx->language, delivery_id) : NULL;
    char *text = update != NULL ? json_dumps(update, JSON_COMPACT) : NULL;
    if (text == NULL)
        log_msg(LOG_ERROR, "request %s: the Zendesk note could not be made", ctx->request_id);
    json_decref(update);
    json_decref(decision);
    return text;
}

/* ---- a later comment on a linked ticket (db_message_render_fn) ---- */

struct comment_ctx {
    const char *request_id;
    const char *case_id;
    const char *ticket_id;
};

/* A comment as stored and answered (db_message_render_fn), checked as
 * POST /v1/cases/{id}/messages checks a seller's message. */
static int render_comment(struct db_message *m, const struct db_message_case *kase, void *cls)
{
    const struct comment_ctx *ctx = cls;
    json_t *compliance;
    if (messages_compliance(m, kase, ctx->request_id, ctx->case_id, &compliance) != 0)
        return -1;
    json_t *answer = json_pack("{s:s, s:s, s:s, s:o}", "action", "message_recorded", "case_id", ctx->case_id,
                               "ticket_id", ctx->ticket_id, "message", messages_brief_json(m, compliance));
    int rc = messages_store(m, compliance, answer);
    json_decref(answer);
    json_decref(compliance);
    return rc;
}

/* ---- the handler ---- */

/* SHA-256 of three texts one after the other, without a copy. */
static int sha256_parts(const char *a, const char *b, const char *c, uint8_t out[CRYPTO_SHA256_LEN])
{
    struct crypto_sha256_stream *s = crypto_sha256_begin();
    if (s == NULL)
        return -1;
    if (crypto_sha256_update(s, a, strlen(a)) != 0 || crypto_sha256_update(s, b, strlen(b)) != 0
        || crypto_sha256_update(s, c, strlen(c)) != 0) {
        crypto_sha256_free(s);
        return -1;
    }
    return crypto_sha256_end(s, out);
}

/* What an event's key names: the route and the canonical body (key order
 * and white space do not count), so a retry matches and another body
 * under the same key does not. */
static int event_request_hash(const json_t *body, uint8_t out[CRYPTO_SHA256_LEN])
{
    char *canonical = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = canonical != NULL ? sha256_parts("POST /v1/connectors/zendesk/events", "\n", canonical, out) : -1;
    free(canonical);
    return rc;
}

/* The event's idempotency key: the ticket, its update time and the
 * comment (a retry sends the same body). Only signed text makes it: the
 * X-Zendesk-Webhook-Invocation-Id header is outside the signature, so a
 * replayed capture with a new invocation id would be a new event. */
static int event_key(const struct zendesk_event *ev, char *key, size_t size)
{
    const char *stamp = ev->updated_at != NULL ? ev->updated_at : "";
    const char *comment = ev->latest_comment != NULL ? ev->latest_comment : "";
    uint8_t hash[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    if (sha256_parts(stamp, "\n", comment, hash) != 0)
        return -1;
    crypto_hex(hash, sizeof(hash), hex);
    snprintf(key, size, "zendesk:ticket:%s:%s", ev->ticket_id, hex);
    return 0;
}

/* Whether a comment is Redress's own note: its last non-empty line (less
 * trailing white space) is exactly the marker and a delivery's uuid. A
 * buyer quoting "Redress delivery" anywhere else is still the buyer. */
static bool own_note(const char *comment)
{
    size_t end = strlen(comment);
    while (end > 0 && isspace((unsigned char)comment[end - 1]))
        end--;
    size_t start = end;
    while (start > 0 && comment[start - 1] != '\n')
        start--;
    const size_t marker_len = strlen(OWN_NOTE_MARKER);
    if (end - start != marker_len + CRYPTO_UUID_STRLEN || strncmp(comment + start, OWN_NOTE_MARKER, marker_len) != 0)
        return false;
    char uuid[CRYPTO_UUID_STRLEN + 1];
    memcpy(uuid, comment + start + marker_len, CRYPTO_UUID_STRLEN);
    uuid[CRYPTO_UUID_STRLEN] = '\0';
    return crypto_uuid_valid(uuid);
}

/* Why the first event of a ticket makes no case (reason into out, true),
 * or false: it makes one. An agent's comment does not open a case (the
 * buyer's own words do); a ticket whose mapped order fields are all empty
 * has no order to decide on (pre-sales, "where is my parcel"), which is no
 * error of the sender: 200 ignored, not a 4xx that Zendesk never retries
 * and counts toward its webhook circuit breaker. Some present and others
 * missing stays a 422 (event_case). */
static bool first_event_ignored(const struct zendesk_event *ev, const json_t *settings, char *out, size_t size)
{
    if (ev->current_user_email != NULL && ev->current_user_email[0] != '\0'
        && (ev->requester_email == NULL || strcasecmp(ev->current_user_email, ev->requester_email) != 0)) {
        snprintf(out, size, "an agent's comment on a ticket with no case yet: a case opens on the buyer's own words");
        return true;
    }
    bool any_mapped = false;
    for (int f = 0; f < MAPPED_COUNT; f++) {
        if (!MAPPED[f].required)
            continue;
        if (ev->fields[f] != NULL && ev->fields[f][0] != '\0')
            return false;
        any_mapped = any_mapped || mapped_ticket_field(settings, f) != 0;
    }
    int used = snprintf(out, size, "no order on this ticket (");
    for (int f = 0, listed = 0; f < MAPPED_COUNT && used > 0 && (size_t)used < size; f++)
        if (MAPPED[f].required)
            used += snprintf(out + used, size - (size_t)used, "%sfields.%s", listed++ > 0 ? ", " : "", MAPPED[f].name);
    if (used > 0 && (size_t)used < size)
        snprintf(out + used, size - (size_t)used, " are empty%s)",
                 any_mapped ? "" : "; the connector's field_map names no ticket field for them");
    return true;
}

static bool ticket_id_shaped(const char *text)
{
    for (const char *p = text; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return text[0] != '\0' && text[0] != '0';
}

static enum MHD_Result record_case(struct http_request *req, const struct zendesk_event *ev, const json_t *settings,
                                   const char *key, const uint8_t request_hash[32], int64_t now)
{
    const char *comment = ev->latest_comment != NULL && ev->latest_comment[0] != '\0' ? ev->latest_comment
                          : ev->description != NULL && ev->description[0] != '\0' ? ev->description
                                                                                    : NULL;
    json_t *errors = json_array();
    if (errors == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    json_t *kase = event_case(ev, settings, comment, errors);
    json_t *case_errors = json_array();
    struct eng_case c;
    bool valid = kase != NULL && case_errors != NULL && case_from_json(kase, &c, case_errors);
    if (!valid && case_errors != NULL)
        rename_case_errors(case_errors, errors);
    json_decref(case_errors);
    if (!valid) {
        json_decref(kase);
        if (json_array_size(errors) == 0) {
            json_decref(errors);
            return http_reply_problem(req, PROBLEM_INTERNAL, "the case could not be read (out of memory)");
        }
        log_msg(LOG_INFO, "request %s: Zendesk ticket %s cannot become a case as sent", req->request_id,
                ev->ticket_id);
        return http_reply_invalid(req, errors);
    }
    json_decref(errors);

    char message_id[CRYPTO_UUID_STRLEN + 1], delivery_id[CRYPTO_UUID_STRLEN + 1], at[32];
    event_time(ev->updated_at, now, at);
    struct payload_ctx payload = { json_string_value(json_object_get(settings, "note_language")), req->request_id };
    const struct db_case_ticket ticket = {
        .connector = CONNECTOR,
        .ticket_id = ev->ticket_id,
        .message_id = comment != NULL ? message_id : NULL,
        .message_at = at,
        .message_channel = CONNECTOR,
        .message_text = comment,
        .delivery_id = delivery_id,
        .payload = note_payload,
        .payload_cls = &payload,
    };
    if (crypto_uuid_v4(message_id) != 0 || crypto_uuid_v4(delivery_id) != 0) {
        json_decref(kase);
        return http_reply_problem(req, PROBLEM_INTERNAL, "no randomness for identifiers");
    }
    const struct case_record in = { kase, key, request_hash, &ticket };
    char case_id[CRYPTO_UUID_STRLEN + 1];
    struct db_case_new rec;
    enum db_status status = cases_record(req, &c, &in, now, case_id, &rec);
    enum MHD_Result result;
    if (status != DB_OK) {
        result = http_reply_db_error(req, status);
    } else if (rec.result == CASE_KEY_IN_FLIGHT) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_IN_FLIGHT,
                                    "this Zendesk event is being recorded by an earlier delivery: retry");
    } else if (rec.result == CASE_TICKET_TAKEN) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_IN_FLIGHT,
                                    "another event of this ticket made its case meanwhile: retry, and this one is"
                                    " recorded on that case");
    } else if (rec.result == CASE_KEY_MISMATCH) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_MISMATCH,
                                    "this Zendesk event was first received with a different body");
    } else if (rec.result == CASE_REPLAYED) {
        result = reply_replay(req, ev->ticket_id, rec.replay_body);
    } else {
        log_msg(LOG_INFO, "request %s: Zendesk ticket %s became case %s (note %s owed)", req->request_id,
                ev->ticket_id, case_id, delivery_id);
        outbox_wake(); /* committed: the note goes out now, not at the worker's next poll */
        result = reply_answer(req, 201, case_created_answer(ev->ticket_id, rec.response_body), false);
    }
    db_case_new_cleanup(&rec);
    json_decref(kase);
    return result;
}

static enum MHD_Result record_comment(struct http_request *req, const struct zendesk_event *ev, const char *case_id,
                                      const char *key, const uint8_t request_hash[32], int64_t now)
{
    if (ev->latest_comment == NULL || ev->latest_comment[0] == '\0')
        return reply_ignored(req, ev->ticket_id, case_id, "no comment on this update");
    if (strlen(ev->latest_comment) > COMMENT_MAX) {
        json_t *errors = json_array();
        validate_error_unprocessable(errors, "latest_comment", "is longer than the %d bytes a message may have",
                                     (int)COMMENT_MAX);
        return http_reply_invalid(req, errors);
    }
    /* The requester writing is the buyer; anyone else updating the ticket
     * (an agent) writes for the seller. */
    bool from_buyer = ev->current_user_email != NULL && ev->requester_email != NULL
                      && ev->current_user_email[0] != '\0'
                      && strcasecmp(ev->current_user_email, ev->requester_email) == 0;
    char message_id[CRYPTO_UUID_STRLEN + 1], at[32];
    event_time(ev->updated_at, now, at);
    struct db_message m = {
        .message_id = message_id,
        .from = from_buyer ? "buyer" : "seller",
        .at = at,
        .channel = CONNECTOR,
        .text = ev->latest_comment,
        .idempotency_key = key,
    };
    memcpy(m.request_hash, request_hash, sizeof(m.request_hash));
    if (crypto_uuid_v4(message_id) != 0)
        return http_reply_problem(req, PROBLEM_INTERNAL, "no randomness for identifiers");
    struct comment_ctx ctx = { req->request_id, case_id, ev->ticket_id };
    enum db_status status = db_message_record(&req->db, req->tenant.id, case_id, &m, render_comment, &ctx);
    enum MHD_Result result;
    if (status != DB_OK) {
        result = http_reply_db_error(req, status);
    } else if (m.result == MESSAGE_KEY_IN_FLIGHT) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_IN_FLIGHT,
                                    "this Zendesk event is being recorded by an earlier delivery: retry");
    } else if (m.result == MESSAGE_KEY_MISMATCH) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_MISMATCH,
                                    "this Zendesk event was first received with a different body");
    } else if (m.result == MESSAGE_REPLAYED) {
        result = reply_replay(req, ev->ticket_id, m.replay_body);
    } else {
        log_msg(LOG_INFO, "request %s: Zendesk ticket %s: a %s comment recorded on case %s", req->request_id,
                ev->ticket_id, m.from, case_id);
        char location[64];
        snprintf(location, sizeof(location), "/v1/cases/%s", case_id);
        http_add_header(req, MHD_HTTP_HEADER_LOCATION, location);
        result = http_reply_bytes(req, 200, "application/json", m.response_body, strlen(m.response_body));
    }
    db_message_cleanup(&m);
    return result;
}

/* The connector's settings and opened webhook secret, or a reply (fail
 * closed: no key, not enabled, no secret). */
static enum MHD_Result connector_ready(struct http_request *req, json_t **settings, char **secret, bool *ready)
{
    *ready = false;
    const uint8_t *key = http_server_secret_key(req->server);
    if (key == NULL)
        return http_reply_problem(req, PROBLEM_CONNECTORS_DISABLED,
                                  "REDRESS_SECRET_KEY is not set: Zendesk events cannot be verified");
    enum db_status status;
    *settings = connectors_settings(req->db, req->tenant.id, CONNECTOR, &status);
    if (*settings == NULL)
        return http_reply_db_error(req, status);
    if (!json_is_true(json_object_get(*settings, "enabled")))
        return http_reply_problem(req, PROBLEM_CONNECTORS_DISABLED,
                                  "the zendesk connector is not enabled for this tenant: PUT /v1/connectors/zendesk");
    status = connectors_secret_open(req->db, key, req->tenant.id, CONNECTOR, "webhook_secret", secret);
    if (status == DB_NOT_FOUND)
        return http_reply_problem(req, PROBLEM_CONNECTORS_DISABLED,
                                  "the zendesk connector has no webhook_secret: PUT /v1/connectors/zendesk");
    if (status != DB_OK) {
        log_msg(LOG_ERROR, "request %s: the zendesk webhook secret could not be opened", req->request_id);
        return http_reply_problem(req, PROBLEM_CONNECTORS_DISABLED,
                                  "the zendesk webhook_secret cannot be opened with this server's"
                                  " REDRESS_SECRET_KEY: set it again");
    }
    *ready = true;
    return MHD_YES;
}

enum MHD_Result handle_zendesk_event(struct http_request *req)
{
    int64_t now = (int64_t)time(NULL);
    json_t *settings = NULL;
    char *secret = NULL;
    bool ready;
    enum MHD_Result result = connector_ready(req, &settings, &secret, &ready);
    if (!ready) {
        json_decref(settings);
        return result;
    }
    const char *unverified = signature_problem(req, secret, now);
    explicit_bzero(secret, strlen(secret));
    free(secret);
    if (unverified != NULL) {
        log_msg(LOG_WARN, "request %s: a Zendesk event refused: %s", req->request_id, unverified);
        json_decref(settings);
        return http_reply_problem(req, PROBLEM_UNAUTHORIZED, unverified);
    }

    struct zendesk_event ev;
    memset(&ev, 0, sizeof(ev));
    json_t *errors = json_array();
    if (errors == NULL) {
        json_decref(settings);
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    }
    bool valid = validate_json(req->json, EVENT_FIELDS, EVENT_FIELD_COUNT, &ev, errors);
    if (valid && !ticket_id_shaped(ev.ticket_id)) {
        validate_error(errors, "ticket_id", "must be the Zendesk ticket's id ({{ticket.id}}): digits");
        valid = false;
    }
    if (!valid) {
        json_decref(settings);
        return http_reply_invalid(req, errors);
    }
    json_decref(errors);

    /* Redress's own note on the ticket: never a message, never a case. */
    if (ev.latest_comment != NULL && own_note(ev.latest_comment)) {
        json_decref(settings);
        return reply_ignored(req, ev.ticket_id, NULL, "Redress's own note");
    }

    char key[192];
    uint8_t request_hash[CRYPTO_SHA256_LEN];
    if (event_key(&ev, key, sizeof(key)) != 0
        || event_request_hash(req->json, request_hash) != 0) {
        json_decref(settings);
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    }
    char case_id[40], ignored[256];
    enum db_status status = db_case_ticket_lookup(req->db, req->tenant.id, CONNECTOR, ev.ticket_id, case_id);
    if (status == DB_NOT_FOUND && first_event_ignored(&ev, settings, ignored, sizeof(ignored)))
        result = reply_ignored(req, ev.ticket_id, NULL, ignored);
    else if (status == DB_NOT_FOUND)
        result = record_case(req, &ev, settings, key, request_hash, now);
    else if (status == DB_OK)
        result = record_comment(req, &ev, case_id, key, request_hash, now);
    else
        result = http_reply_db_error(req, status);
    json_decref(settings);
    return result;
}
