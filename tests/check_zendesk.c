/* The zendesk suite (issue #12): POST /v1/connectors/zendesk/events end to
 * end. Zendesk's signature (good, bad, missing, stale, from the future,
 * replayed), the seller's field mapping making the right case with its
 * received message and its outbox row (the note's payload and tags) in one
 * transaction, follow-up comments as messages on the same case (the
 * buyer's, an agent's with the compliance guard), Redress's own note
 * ignored, a missing mapped field refused with nothing written, a disabled
 * connector refused, one tenant's tickets invisible to another, and a lost
 * COMMIT: all of a ticket's case recorded, or none of it. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connector_note.h"
#include "crypto.h"
#include "harness.h"
#include "pgproxy.h"
#include "validate.h"

static const char SECRET_A[] = "whsec-tenant-a-5d1e";
static const char SECRET_B[] = "whsec-tenant-b-90ff";

/* The seller's ticket fields (field_map): order id, SKU, price, currency
 * and category, and the note in German. */
static const char SETTINGS_FMT[] =
    "{\"enabled\":%s,\"subdomain\":\"acme-shop\",\"api_user\":\"redress@acme.example\","
    "\"api_token\":\"TOKEN-4f9a\",\"webhook_secret\":\"%s\","
    "\"field_map\":{\"order_id\":101,\"sku\":102,\"item_price\":103,\"currency\":104,\"category\":105},"
    "\"note_language\":\"de\"}";

static struct th_server srv;
static char tenant_name[64], api_key[APIKEY_LEN + 1], auth_header[TH_AUTH_HEADER_SIZE];

static void put_settings(const char *auth, const char *enabled, const char *secret)
{
    char body[1024];
    snprintf(body, sizeof(body), SETTINGS_FMT, enabled, secret);
    const char *headers[] = { auth, "Content-Type: application/json", NULL };
    struct th_response r;
    th_request(srv.port, "PUT", "/v1/connectors/zendesk", headers, body, strlen(body), &r);
    ck_assert_msg(r.status == 200, "PUT settings: %ld %s", r.status, r.body);
    th_response_free(&r);
}

static void setup(void)
{
    /* The delivery worker runs beside the server: it may only reach
     * loopback, where nothing answers here (the outbox suite sends notes). */
    const char *extra[] = { "REDRESS_SECRET_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                            "REDRESS_ZENDESK_API_BASE=http://127.0.0.1:9", NULL };
    th_server_start(&srv, th_conninfo(), extra);
    th_tenant_with_auth(th_conninfo(), tenant_name, api_key, auth_header);
    put_settings(auth_header, "true", SECRET_A);
}

static void teardown(void)
{
    th_server_stop(&srv);
}

/* ---- events ---- */

struct event {
    const char *ticket_id, *comment, *requester_email, *current_user_email, *updated_at;
    const char *order_id, *sku, *item_price, *currency, *category; /* NULL: left out of fields */
    const char *description; /* NULL: left out (the template has none; older bodies sent it) */
};

static const struct event FIRST = {
    "1001", "The mug arrived broken, shards everywhere.", "Buyer.One@Example.COM", "buyer.one@example.com",
    "2026-11-23T02:40Z", "ORD-77", "MUG-RED", "12.50", "eur", "damaged_in_transit", NULL,
};

/* The body as C's template renders it (all values strings); malloc'd. */
static char *event_body(const struct event *e)
{
    json_t *fields = json_object();
    const char *const names[] = { "order_id", "sku", "item_price", "currency", "category" };
    const char *const values[] = { e->order_id, e->sku, e->item_price, e->currency, e->category };
    for (size_t i = 0; i < 5; i++)
        if (values[i] != NULL)
            json_object_set_new(fields, names[i], json_string(values[i]));
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "ticket_id", e->ticket_id,
                             "subject", "Broken mug", "latest_comment", e->comment, "requester_name", "Buyer One",
                             "requester_email", e->requester_email, "current_user_email", e->current_user_email,
                             "tags", "mug web", "via", "Web Form", "updated_at", e->updated_at, "fields", fields);
    ck_assert_ptr_nonnull(body);
    if (e->description != NULL)
        json_object_set_new(body, "description", json_string(e->description));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

/* base64(HMAC-SHA256(secret, timestamp + body)), as Zendesk signs. */
static void sign(const char *secret, const char *stamp, const char *body, char out[64])
{
    const void *const parts[] = { stamp, body };
    const size_t lens[] = { strlen(stamp), strlen(body) };
    uint8_t mac[CRYPTO_SHA256_LEN];
    ck_assert_int_eq(crypto_hmac_sha256(secret, strlen(secret), parts, lens, 2, mac), 0);
    crypto_base64(mac, sizeof(mac), out);
}

/* POST the body as tenant auth sends it, signed with secret at now +
 * offset_s (secret NULL: unsigned); extra is one more header or NULL. */
static void post_signed(const char *auth, const char *secret, long offset_s, const char *body, const char *extra,
                        struct th_response *r)
{
    char stamp[32], signature[64], signature_header[128], stamp_header[96];
    validate_format_time((int64_t)time(NULL) + offset_s, stamp);
    const char *headers[6] = { auth, "Content-Type: application/json", NULL, NULL, NULL, NULL };
    int n = 2;
    if (secret != NULL) {
        sign(secret, stamp, body, signature);
        snprintf(signature_header, sizeof(signature_header), "X-Zendesk-Webhook-Signature: %s", signature);
        snprintf(stamp_header, sizeof(stamp_header), "X-Zendesk-Webhook-Signature-Timestamp: %s", stamp);
        headers[n++] = signature_header;
        headers[n++] = stamp_header;
    }
    if (extra != NULL)
        headers[n++] = extra;
    th_request(srv.port, "POST", "/v1/connectors/zendesk/events", headers, body, strlen(body), r);
}

static void post_event(const struct event *e, struct th_response *r)
{
    char *body = event_body(e);
    post_signed(auth_header, SECRET_A, 0, body, NULL, r);
    free(body);
}

static void assert_problem(const struct th_response *r, long status, const char *slug)
{
    ck_assert_msg(r->status == status, "expected %ld, got %ld: %s", status, r->status, r->body);
    char type[96];
    snprintf(type, sizeof(type), "urn:redress:problem:%s", slug);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "type")), type);
}

/* ---- the database, read as the worker and GET would ---- */

/* The first column of a one-row query's row as text (malloc'd), or NULL
 * when no row. */
static char *db_text(const char *sql, const char *param)
{
    PGconn *conn = PQconnectdb(th_conninfo());
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    const char *params[] = { param };
    PGresult *res = PQexecParams(conn, sql, param != NULL ? 1 : 0, NULL, params, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s", PQerrorMessage(conn));
    char *text = PQntuples(res) >= 1 ? strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    PQfinish(conn);
    return text;
}

static long db_count(const char *sql, const char *tenant)
{
    char *text = db_text(sql, tenant);
    long n = text != NULL ? strtol(text, NULL, 10) : -1;
    free(text);
    return n;
}

#define TENANT_IS " tenant_id = (SELECT id FROM tenants WHERE name = $1)"
static long cases_of(const char *tenant)
{
    return db_count("SELECT count(*) FROM cases WHERE" TENANT_IS, tenant);
}
static long deliveries_of(const char *tenant)
{
    return db_count("SELECT count(*) FROM connector_deliveries WHERE" TENANT_IS, tenant);
}
static long messages_of(const char *tenant)
{
    return db_count("SELECT count(*) FROM case_messages WHERE" TENANT_IS, tenant);
}
static long links_of(const char *tenant)
{
    return db_count("SELECT count(*) FROM case_tickets WHERE" TENANT_IS, tenant);
}

static json_t *get_case(const char *auth, const char *case_id)
{
    char path[96];
    snprintf(path, sizeof(path), "/v1/cases/%s", case_id);
    const char *headers[] = { auth, NULL };
    struct th_response r;
    th_request(srv.port, "GET", path, headers, NULL, 0, &r);
    ck_assert_msg(r.status == 200, "GET %s: %ld %s", path, r.status, r.body);
    json_t *kase = json_incref(r.json);
    th_response_free(&r);
    return kase;
}

/* The first event of a ticket: 201 case_created; case_id gets its id. */
static void create_case(const struct event *e, char case_id[64])
{
    struct th_response r;
    post_event(e, &r);
    ck_assert_msg(r.status == 201, "first event: %ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "case_created");
    snprintf(case_id, 64, "%s", json_string_value(json_object_get(r.json, "case_id")));
    th_response_free(&r);
}

/* ---- tests ---- */

START_TEST(an_event_with_the_field_mapping_becomes_the_right_case)
{
    struct th_response r;
    post_event(&FIRST, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "ticket_id")), "1001");
    const char *case_id = json_string_value(json_object_get(r.json, "case_id"));
    char location[96], expected[96];
    snprintf(expected, sizeof(expected), "/v1/cases/%s", case_id);
    ck_assert(th_header(&r, "Location", location, sizeof(location)));
    ck_assert_str_eq(location, expected);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(r.json, "decision"), "tier"));

    json_t *kase = get_case(auth_header, case_id);
    const json_t *request = json_object_get(kase, "request");
    const json_t *order = json_object_get(request, "order");
    ck_assert_str_eq(json_string_value(json_object_get(request, "ticket_id")), "1001");
    ck_assert_str_eq(json_string_value(json_object_get(request, "channel")), "other");
    ck_assert_str_eq(json_string_value(json_object_get(order, "order_id")), "ORD-77");
    ck_assert_str_eq(json_string_value(json_object_get(order, "sku")), "MUG-RED");
    ck_assert_int_eq(json_integer_value(json_object_get(order, "item_price")), 1250); /* "12.50" EUR */
    ck_assert_str_eq(json_string_value(json_object_get(order, "currency")), "EUR");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(request, "issue"), "category")),
                     "damaged_in_transit");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(request, "buyer"), "buyer_id")),
                     "buyer.one@example.com");
    /* the comment received, message 1 from the buyer through zendesk */
    const json_t *messages = json_object_get(kase, "messages");
    ck_assert_int_eq(json_array_size(messages), 1);
    const json_t *first = json_array_get(messages, 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "from")), "buyer");
    ck_assert_str_eq(json_string_value(json_object_get(first, "channel")), "zendesk");
    ck_assert_str_eq(json_string_value(json_object_get(first, "text")), FIRST.comment);
    ck_assert_str_eq(json_string_value(json_object_get(first, "at")), "2026-11-23T02:40:00Z");

    /* the note owed: one pending row whose payload is the note C renders
     * for this decision in the tenant's language, naming its delivery */
    ck_assert_int_eq(deliveries_of(tenant_name), 1);
    char *row = db_text("SELECT json_build_object('delivery_id', delivery_id, 'case_id', case_id, 'ticket_id',"
                        " ticket_id, 'state', state, 'connector', connector, 'payload',"
                        " payload)::text FROM connector_deliveries WHERE" TENANT_IS, tenant_name);
    json_t *delivery = json_loads(row, 0, NULL);
    free(row);
    ck_assert_str_eq(json_string_value(json_object_get(delivery, "case_id")), case_id);
    ck_assert_str_eq(json_string_value(json_object_get(delivery, "ticket_id")), "1001");
    /* still owed: the worker may have tried (nothing answers), not delivered */
    ck_assert_str_eq(json_string_value(json_object_get(delivery, "state")), "pending");
    ck_assert_str_eq(json_string_value(json_object_get(delivery, "connector")), "zendesk");
    const char *delivery_id = json_string_value(json_object_get(delivery, "delivery_id"));
    json_t *note = connector_note_zendesk_update(json_object_get(kase, "decision"), "de", delivery_id);
    ck_assert_ptr_nonnull(note);
    ck_assert_msg(json_equal(note, json_object_get(delivery, "payload")), "the payload is not the note");
    const json_t *ticket = json_object_get(json_object_get(delivery, "payload"), "ticket");
    ck_assert(json_is_false(json_object_get(json_object_get(ticket, "comment"), "public")));
    char marker[96];
    snprintf(marker, sizeof(marker), "Redress delivery %s", delivery_id);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_object_get(ticket, "comment"), "body")),
                                 marker));
    const json_t *tags = json_object_get(ticket, "additional_tags");
    ck_assert_str_eq(json_string_value(json_array_get(tags, 0)), "redress");
    json_t *expected_tags = connector_note_tags(json_object_get(kase, "decision"));
    ck_assert(json_equal(expected_tags, tags));
    json_decref(expected_tags);
    json_decref(note);
    json_decref(delivery);
    json_decref(kase);
    th_response_free(&r);
}
END_TEST

START_TEST(a_bad_or_missing_signature_is_refused_and_nothing_written)
{
    char *body = event_body(&FIRST);
    struct th_response r;
    post_signed(auth_header, "not-the-secret", 0, body, NULL, &r); /* bad */
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
    post_signed(auth_header, NULL, 0, body, NULL, &r); /* missing */
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
    /* signed, then one byte of the body changed */
    char stamp[32], signature[64], h1[128], h2[96];
    validate_format_time((int64_t)time(NULL), stamp);
    sign(SECRET_A, stamp, body, signature);
    snprintf(h1, sizeof(h1), "X-Zendesk-Webhook-Signature: %s", signature);
    snprintf(h2, sizeof(h2), "X-Zendesk-Webhook-Signature-Timestamp: %s", stamp);
    const char *headers[] = { auth_header, "Content-Type: application/json", h1, h2, NULL };
    char *altered = strdup(body);
    *strstr(altered, "ORD-77") = 'X';
    th_request(srv.port, "POST", "/v1/connectors/zendesk/events", headers, altered, strlen(altered), &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
    /* the same signature on the body it signs is good */
    th_request(srv.port, "POST", "/v1/connectors/zendesk/events", headers, body, strlen(body), &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    th_response_free(&r);
    ck_assert_int_eq(cases_of(tenant_name), 1);
    free(altered);
    free(body);
}
END_TEST

START_TEST(a_stale_or_future_timestamp_is_refused)
{
    char *body = event_body(&FIRST);
    struct th_response r;
    post_signed(auth_header, SECRET_A, -600, body, NULL, &r);
    assert_problem(&r, 401, "unauthorized");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r.json, "detail")), "5 minutes"));
    th_response_free(&r);
    post_signed(auth_header, SECRET_A, 600, body, NULL, &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
    ck_assert_int_eq(cases_of(tenant_name), 0);
    ck_assert_int_eq(links_of(tenant_name), 0);
    free(body);
}
END_TEST

START_TEST(a_replayed_event_answers_the_first_answer_and_writes_nothing)
{
    char *body = event_body(&FIRST);
    struct th_response first, again;
    post_signed(auth_header, SECRET_A, 0, body, NULL, &first);
    ck_assert_msg(first.status == 201, "%ld %s", first.status, first.body);
    post_signed(auth_header, SECRET_A, 1, body, NULL, &again); /* Zendesk's retry: same body, signed anew */
    ck_assert_msg(again.status == 200, "%ld %s", again.status, again.body);
    char replayed[16];
    ck_assert(th_header(&again, "Idempotent-Replayed", replayed, sizeof(replayed)));
    ck_assert_str_eq(first.body, again.body);
    ck_assert_int_eq(cases_of(tenant_name), 1);
    ck_assert_int_eq(deliveries_of(tenant_name), 1);
    ck_assert_int_eq(messages_of(tenant_name), 1);
    th_response_free(&first);
    th_response_free(&again);
    free(body);

    /* keyed by the signed body, never by X-Zendesk-Webhook-Invocation-Id
     * (outside the signature): a captured follow-up sent again under a new
     * invocation id is still the same event, recorded once */
    struct event follow = FIRST;
    follow.comment = "Any news about my mug?";
    follow.updated_at = "2026-11-23T02:45Z";
    body = event_body(&follow);
    post_signed(auth_header, SECRET_A, 0, body, "X-Zendesk-Webhook-Invocation-Id: 8350205582", &first);
    ck_assert_msg(first.status == 200, "%ld %s", first.status, first.body);
    post_signed(auth_header, SECRET_A, 0, body, "X-Zendesk-Webhook-Invocation-Id: 8350205583", &again);
    ck_assert_msg(again.status == 200, "%ld %s", again.status, again.body);
    ck_assert(th_header(&again, "Idempotent-Replayed", replayed, sizeof(replayed)));
    ck_assert_str_eq(first.body, again.body);
    ck_assert_int_eq(messages_of(tenant_name), 2);
    th_response_free(&first);
    th_response_free(&again);
    free(body);
}
END_TEST

/* A duplicate while the first delivery is still being recorded: the key's
 * lock is held (here by the test, as the first request's transaction holds
 * it), so the duplicate is 409, which Zendesk retries, and writes nothing. */
START_TEST(a_concurrent_duplicate_is_409_and_writes_nothing)
{
    char *tenant = db_text("SELECT id::text FROM tenants WHERE name = $1", tenant_name);
    /* the event's key: the ticket, and a digest of its update time and comment */
    char both[256], hex[2 * CRYPTO_SHA256_LEN + 1], lock_key[256];
    snprintf(both, sizeof(both), "%s\n%s", FIRST.updated_at, FIRST.comment);
    uint8_t digest[CRYPTO_SHA256_LEN];
    ck_assert_int_eq(crypto_sha256(both, strlen(both), digest), 0);
    crypto_hex(digest, sizeof(digest), hex);
    snprintf(lock_key, sizeof(lock_key), "%s/zendesk:ticket:%s:%s", tenant, FIRST.ticket_id, hex);
    PGconn *first = PQconnectdb(th_conninfo());
    ck_assert_int_eq(PQstatus(first), CONNECTION_OK);
    PGresult *res = PQexec(first, "BEGIN");
    PQclear(res);
    const char *params[] = { lock_key };
    res = PQexecParams(first, "SELECT pg_try_advisory_xact_lock(hashtextextended($1::text, 7469811405)) AS held", 1,
                       NULL, params, NULL, NULL, 0);
    ck_assert_str_eq(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    char *body = event_body(&FIRST);
    struct th_response r;
    post_signed(auth_header, SECRET_A, 0, body, NULL, &r);
    assert_problem(&r, 409, "idempotency-in-flight");
    th_response_free(&r);
    ck_assert_int_eq(cases_of(tenant_name), 0);
    ck_assert_int_eq(links_of(tenant_name), 0);
    /* the first one ends; Zendesk's retry is recorded */
    res = PQexec(first, "ROLLBACK");
    PQclear(res);
    PQfinish(first);
    post_signed(auth_header, SECRET_A, 0, body, NULL, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    th_response_free(&r);
    ck_assert_int_eq(cases_of(tenant_name), 1);
    free(body);
    free(tenant);
}
END_TEST

START_TEST(a_later_comment_is_a_message_on_the_same_case_and_no_new_note)
{
    char case_id[64];
    create_case(&FIRST, case_id);
    struct event buyer = FIRST;
    buyer.comment = "Here is a photo of the shards.";
    buyer.current_user_email = "BUYER.ONE@example.com"; /* the requester, in another case */
    buyer.updated_at = "2026-11-23T02:50Z";
    struct th_response r;
    post_event(&buyer, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "message_recorded");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "case_id")), case_id);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "message"), "from")), "buyer");
    th_response_free(&r);
    ck_assert_int_eq(cases_of(tenant_name), 1);
    ck_assert_int_eq(deliveries_of(tenant_name), 1);
    json_t *kase = get_case(auth_header, case_id);
    const json_t *messages = json_object_get(kase, "messages");
    ck_assert_int_eq(json_array_size(messages), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(messages, 1), "text")), buyer.comment);
    json_decref(kase);

    /* an update with no comment records nothing */
    struct event silent = buyer;
    silent.comment = "";
    silent.updated_at = "2026-11-23T02:51Z";
    post_event(&silent, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "ignored");
    th_response_free(&r);
    ck_assert_int_eq(messages_of(tenant_name), 2);
}
END_TEST

START_TEST(an_agents_comment_is_the_sellers_message_checked_for_compliance)
{
    char case_id[64];
    create_case(&FIRST, case_id);
    struct event agent = FIRST;
    agent.comment = "So sorry! Write to me directly at refunds@acme-direct.example and I will sort it out.";
    agent.current_user_email = "agent@acme.example";
    agent.updated_at = "2026-11-23T03:00Z";
    struct th_response r;
    post_event(&agent, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    const json_t *message = json_object_get(r.json, "message");
    ck_assert_str_eq(json_string_value(json_object_get(message, "from")), "seller");
    const json_t *compliance = json_object_get(message, "compliance");
    ck_assert_msg(json_is_false(json_object_get(compliance, "passed")), "%s", r.body);
    th_response_free(&r);
    json_t *kase = get_case(auth_header, case_id);
    const json_t *stored = json_array_get(json_object_get(kase, "messages"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(stored, "from")), "seller");
    ck_assert(json_is_false(json_object_get(json_object_get(stored, "compliance"), "passed")));
    json_decref(kase);
}
END_TEST

START_TEST(redress_own_note_is_ignored)
{
    char case_id[64];
    create_case(&FIRST, case_id);
    struct event own = FIRST;
    own.comment = "Redress: goodwill refund.\n\nRedress delivery 0b6f3c1e-5d2a-4e8b-9c1f-2a3b4c5d6e7f";
    own.current_user_email = "redress@acme.example";
    own.updated_at = "2026-11-23T02:41Z";
    struct th_response r;
    post_event(&own, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "ignored");
    th_response_free(&r);
    ck_assert_int_eq(messages_of(tenant_name), 1);
    /* nor does it make a case of a ticket Redress has not seen */
    own.ticket_id = "2002";
    post_event(&own, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    th_response_free(&r);
    ck_assert_int_eq(cases_of(tenant_name), 1);
    ck_assert_int_eq(deliveries_of(tenant_name), 1);
}
END_TEST

/* Only the marker line ends Redress's note: a buyer quoting "Redress
 * delivery" (mid-text, or without a delivery's uuid) is the buyer. */
START_TEST(a_buyer_quoting_the_marker_is_recorded)
{
    char case_id[64];
    create_case(&FIRST, case_id);
    static const char *const QUOTES[] = {
        "Your e-mail said Redress delivery 0b6f3c1e-5d2a-4e8b-9c1f-2a3b4c5d6e7f, but nothing came.",
        "Redress delivery 0b6f3c1e-5d2a-4e8b-9c1f-2a3b4c5d6e7f\nis what your note said. Where is my refund?",
        "Still waiting.\nRedress delivery of my refund, please",
    };
    for (size_t i = 0; i < sizeof(QUOTES) / sizeof(QUOTES[0]); i++) {
        struct event quote = FIRST;
        quote.comment = QUOTES[i];
        char at[32];
        snprintf(at, sizeof(at), "2026-11-23T03:1%zuZ", i);
        quote.updated_at = at;
        struct th_response r;
        post_event(&quote, &r);
        ck_assert_msg(r.status == 200, "%zu: %ld %s", i, r.status, r.body);
        ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "message_recorded");
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "message"), "from")), "buyer");
        th_response_free(&r);
    }
    ck_assert_int_eq(messages_of(tenant_name), 1 + 3);
    /* and on a new ticket it opens the case */
    struct event fresh = FIRST;
    fresh.ticket_id = "3003";
    fresh.comment = QUOTES[0];
    struct th_response r;
    post_event(&fresh, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    th_response_free(&r);
    ck_assert_int_eq(cases_of(tenant_name), 2);
}
END_TEST

/* A case opens on the buyer's words: an agent's comment on a ticket
 * Redress has no case for is 200 ignored and writes nothing; the buyer's
 * next comment makes the case. */
START_TEST(an_agents_comment_on_a_new_ticket_makes_no_case)
{
    struct event agent = FIRST;
    agent.comment = "Hello, I opened this ticket for you after your call.";
    agent.current_user_email = "Agent@Acme.example";
    struct th_response r;
    post_event(&agent, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "ignored");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r.json, "reason")), "agent's comment"));
    th_response_free(&r);
    ck_assert_int_eq(cases_of(tenant_name), 0);
    ck_assert_int_eq(links_of(tenant_name), 0);
    ck_assert_int_eq(messages_of(tenant_name), 0);
    ck_assert_int_eq(deliveries_of(tenant_name), 0);
    /* the requester, in another case of letters, is the buyer */
    struct event buyer = FIRST;
    buyer.current_user_email = "BUYER.one@example.com";
    post_event(&buyer, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    th_response_free(&r);
    ck_assert_int_eq(cases_of(tenant_name), 1);
}
END_TEST

/* A ticket with no order on it (pre-sales, "where is my parcel"): every
 * mapped order field empty or absent is 200 ignored, nothing written;
 * Zendesk never retries a 4xx and counts them toward its circuit breaker. */
START_TEST(a_ticket_without_an_order_is_ignored)
{
    struct event absent = FIRST, empty = FIRST;
    absent.order_id = absent.sku = absent.item_price = absent.currency = NULL;
    empty.order_id = empty.sku = empty.item_price = empty.currency = "";
    empty.updated_at = "2026-11-23T02:41Z";
    const struct event *const NO_ORDER[] = { &absent, &empty };
    for (size_t i = 0; i < 2; i++) {
        struct th_response r;
        post_event(NO_ORDER[i], &r);
        ck_assert_msg(r.status == 200, "%zu: %ld %s", i, r.status, r.body);
        ck_assert_str_eq(json_string_value(json_object_get(r.json, "action")), "ignored");
        const char *reason = json_string_value(json_object_get(r.json, "reason"));
        ck_assert_msg(strstr(reason, "no order on this ticket (fields.order_id, fields.sku, fields.item_price,"
                                     " fields.currency are empty)") != NULL, "%s", reason);
        th_response_free(&r);
    }
    ck_assert_int_eq(cases_of(tenant_name), 0);
    ck_assert_int_eq(links_of(tenant_name), 0);
    ck_assert_int_eq(messages_of(tenant_name), 0);
    ck_assert_int_eq(deliveries_of(tenant_name), 0);
}
END_TEST

/* An older webhook body with `description`: still read, only when the
 * ticket has no comment. */
START_TEST(an_older_body_with_a_description_is_still_read)
{
    struct event older = FIRST;
    older.comment = "";
    older.description = "The mug arrived broken, I attach a photo.";
    char case_id[64];
    create_case(&older, case_id);
    json_t *kase = get_case(auth_header, case_id);
    const json_t *first = json_array_get(json_object_get(kase, "messages"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "text")), older.description);
    json_decref(kase);
}
END_TEST

/* The errors' fields, as one comma-separated string. */
static void error_fields(const json_t *problem, char *out, size_t size)
{
    out[0] = '\0';
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(problem, "errors"), i, e) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s", used > 0 ? "," : "",
                 json_string_value(json_object_get(e, "field")));
    }
}

START_TEST(a_missing_or_bad_mapped_field_is_refused_naming_it)
{
    struct event missing = FIRST;
    missing.order_id = NULL;
    missing.sku = "";
    struct th_response r;
    post_event(&missing, &r);
    assert_problem(&r, 422, "unprocessable");
    char fields[256];
    error_fields(r.json, fields, sizeof(fields));
    ck_assert_str_eq(fields, "fields.order_id,fields.sku");
    ck_assert_ptr_nonnull(strstr(r.body, "ticket field 101"));
    th_response_free(&r);

    struct event bad = FIRST;
    bad.item_price = "12,50";
    post_event(&bad, &r);
    assert_problem(&r, 422, "unprocessable");
    error_fields(r.json, fields, sizeof(fields));
    ck_assert_str_eq(fields, "fields.item_price");
    ck_assert_ptr_nonnull(strstr(r.body, "ticket field 103"));
    th_response_free(&r);

    bad = FIRST;
    bad.category = "broken_somehow";
    post_event(&bad, &r);
    ck_assert_msg(r.status == 400, "%ld %s", r.status, r.body);
    error_fields(r.json, fields, sizeof(fields));
    ck_assert_str_eq(fields, "fields.category");
    th_response_free(&r);

    ck_assert_int_eq(cases_of(tenant_name), 0);
    ck_assert_int_eq(links_of(tenant_name), 0);
    ck_assert_int_eq(messages_of(tenant_name), 0);
    ck_assert_int_eq(deliveries_of(tenant_name), 0);
}
END_TEST

START_TEST(a_disabled_connector_refuses_events)
{
    put_settings(auth_header, "false", SECRET_A);
    struct th_response r;
    post_event(&FIRST, &r);
    assert_problem(&r, 503, "connectors-disabled");
    char retry[16];
    ck_assert(!th_header(&r, "Retry-After", retry, sizeof(retry)));
    th_response_free(&r);
    ck_assert_int_eq(cases_of(tenant_name), 0);
}
END_TEST

/* A server of its own without REDRESS_SECRET_KEY: no secret opens, so no
 * event is verified. */
START_TEST(without_the_secret_key_events_are_refused)
{
    struct th_server keyless;
    th_server_start(&keyless, th_conninfo(), NULL);
    char *body = event_body(&FIRST);
    const char *headers[] = { auth_header, "Content-Type: application/json", NULL };
    struct th_response r;
    th_request(keyless.port, "POST", "/v1/connectors/zendesk/events", headers, body, strlen(body), &r);
    assert_problem(&r, 503, "connectors-disabled");
    th_response_free(&r);
    free(body);
    th_server_stop(&keyless);
}
END_TEST

START_TEST(one_tenant_never_sees_another_tenants_tickets)
{
    char case_a[64];
    create_case(&FIRST, case_a);
    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    put_settings(other_auth, "true", SECRET_B);
    /* B's key with A's signature: refused */
    struct event later = FIRST;
    later.comment = "Tenant A's buyer again.";
    later.updated_at = "2026-11-23T03:10Z";
    char *body = event_body(&later);
    struct th_response r;
    post_signed(other_auth, SECRET_A, 0, body, NULL, &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
    /* B's own ticket 1001 is B's: a case of its own, nothing added to A's */
    post_signed(other_auth, SECRET_B, 0, body, NULL, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_str_ne(json_string_value(json_object_get(r.json, "case_id")), case_a);
    th_response_free(&r);
    free(body);
    ck_assert_int_eq(messages_of(tenant_name), 1);
    ck_assert_int_eq(cases_of(other_name), 1);
    /* and A's case is not B's to read */
    char path[96];
    snprintf(path, sizeof(path), "/v1/cases/%s", case_a);
    const char *headers[] = { other_auth, NULL };
    th_request(srv.port, "GET", path, headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
}
END_TEST

/* Through a proxy that lets the COMMIT through and swallows its reply (all
 * is in, the service never hears it) or drops the round trip before the
 * COMMIT (none is in): a ticket's case, its link, its message and its note
 * are recorded together, and if and only if a 2xx was answered. (The
 * delivery worker beside the server sends no COMMIT: its statements are
 * single, so the fault meets the event's.) */
static struct pgproxy *proxy;

static void lost_commit_setup(void)
{
    const char *socket_path = getenv("REDRESS_TEST_PG_SOCKET");
    ck_assert_msg(socket_path != NULL, "REDRESS_TEST_PG_SOCKET is unset: run the tests with 'make test'");
    proxy = pgproxy_start(socket_path);
    ck_assert_ptr_nonnull(proxy);
    char conninfo[800];
    pgproxy_conninfo(proxy, th_conninfo(), conninfo, sizeof(conninfo));
    const char *extra[] = { "REDRESS_SECRET_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                            "REDRESS_ZENDESK_API_BASE=http://127.0.0.1:9", "REDRESS_THREADS=1", NULL };
    th_server_start(&srv, conninfo, extra);
    th_tenant_with_auth(th_conninfo(), tenant_name, api_key, auth_header);
    put_settings(auth_header, "true", SECRET_A);
}

static void lost_commit_teardown(void)
{
    th_server_stop(&srv);
    pgproxy_stop(proxy);
}

static void assert_recorded(long n)
{
    ck_assert_int_eq(cases_of(tenant_name), n);
    ck_assert_int_eq(links_of(tenant_name), n);
    ck_assert_int_eq(messages_of(tenant_name), n);
    ck_assert_int_eq(deliveries_of(tenant_name), n);
}

START_TEST(a_tickets_case_is_recorded_whole_iff_answered)
{
    char *body = event_body(&FIRST);
    struct th_response r, again;
    /* reply lost: 201 for what is in; Zendesk's retry replays it */
    pgproxy_arm(proxy, PGPROXY_LOSE_COMMIT_REPLY);
    post_signed(auth_header, SECRET_A, 0, body, NULL, &r);
    ck_assert_int_eq(pgproxy_fired(proxy), 1);
    ck_assert_msg(r.status == 201, "status %ld: %s", r.status, r.body);
    assert_recorded(1);
    post_signed(auth_header, SECRET_A, 0, body, NULL, &again);
    ck_assert_msg(again.status == 200, "status %ld: %s", again.status, again.body);
    ck_assert_str_eq(again.body, r.body);
    th_response_free(&r);
    th_response_free(&again);
    assert_recorded(1);
    free(body);

    /* COMMIT lost on the way: 503 and nothing of it; the retry records it whole */
    struct event other = FIRST;
    other.ticket_id = "3003";
    body = event_body(&other);
    pgproxy_arm(proxy, PGPROXY_DROP_BEFORE_COMMIT);
    post_signed(auth_header, SECRET_A, 0, body, NULL, &r);
    ck_assert_int_eq(pgproxy_fired(proxy), 2);
    ck_assert_msg(r.status == 503, "status %ld: %s", r.status, r.body);
    th_response_free(&r);
    assert_recorded(1);
    post_signed(auth_header, SECRET_A, 0, body, NULL, &r);
    ck_assert_msg(r.status == 201, "status %ld: %s", r.status, r.body);
    th_response_free(&r);
    assert_recorded(2);
    free(body);
}
END_TEST

START_TEST(hmac_and_base64_match_known_answers)
{
    /* RFC 4231 test case 2 */
    const void *const parts[] = { "what do ya want ", "for nothing?" };
    const size_t lens[] = { 16, 12 };
    uint8_t mac[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1], b64[CRYPTO_BASE64_LEN(CRYPTO_SHA256_LEN) + 1];
    ck_assert_int_eq(crypto_hmac_sha256("Jefe", 4, parts, lens, 2, mac), 0);
    crypto_hex(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    crypto_base64(mac, sizeof(mac), b64);
    ck_assert_str_eq(b64, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
    /* RFC 4648 section 10: padding */
    char small[16];
    crypto_base64((const uint8_t *)"fo", 2, small);
    ck_assert_str_eq(small, "Zm8=");
    crypto_base64((const uint8_t *)"f", 1, small);
    ck_assert_str_eq(small, "Zg==");
    crypto_base64((const uint8_t *)"foo", 3, small);
    ck_assert_str_eq(small, "Zm9v");
}
END_TEST

Suite *zendesk_suite(void)
{
    Suite *s = suite_create("zendesk");
    TCase *units = tcase_create("units");
    tcase_add_test(units, hmac_and_base64_match_known_answers);
    suite_add_tcase(s, units);
    TCase *events = tcase_create("events");
    tcase_add_checked_fixture(events, setup, teardown);
    tcase_set_timeout(events, 60);
    tcase_add_test(events, an_event_with_the_field_mapping_becomes_the_right_case);
    tcase_add_test(events, a_bad_or_missing_signature_is_refused_and_nothing_written);
    tcase_add_test(events, a_stale_or_future_timestamp_is_refused);
    tcase_add_test(events, a_replayed_event_answers_the_first_answer_and_writes_nothing);
    tcase_add_test(events, a_concurrent_duplicate_is_409_and_writes_nothing);
    tcase_add_test(events, a_later_comment_is_a_message_on_the_same_case_and_no_new_note);
    tcase_add_test(events, an_agents_comment_is_the_sellers_message_checked_for_compliance);
    tcase_add_test(events, redress_own_note_is_ignored);
    tcase_add_test(events, a_buyer_quoting_the_marker_is_recorded);
    tcase_add_test(events, an_agents_comment_on_a_new_ticket_makes_no_case);
    tcase_add_test(events, a_ticket_without_an_order_is_ignored);
    tcase_add_test(events, an_older_body_with_a_description_is_still_read);
    tcase_add_test(events, a_missing_or_bad_mapped_field_is_refused_naming_it);
    tcase_add_test(events, a_disabled_connector_refuses_events);
    tcase_add_test(events, without_the_secret_key_events_are_refused);
    tcase_add_test(events, one_tenant_never_sees_another_tenants_tickets);
    suite_add_tcase(s, events);
    TCase *lost = tcase_create("lost_commit");
    tcase_add_checked_fixture(lost, lost_commit_setup, lost_commit_teardown);
    tcase_set_timeout(lost, 120);
    tcase_add_test(lost, a_tickets_case_is_recorded_whole_iff_answered);
    suite_add_tcase(s, lost);
    return s;
}
