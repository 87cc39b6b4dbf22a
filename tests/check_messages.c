/* The conversation on a case (issue #12): POST /v1/cases/{id}/messages and
 * the messages of GET /v1/cases/{id}, end to end against PostgreSQL. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "harness.h"
#include "pgproxy.h"
#include "validate.h"

static struct th_server srv;
static char tenant_name[64], api_key[APIKEY_LEN + 1], auth_header[TH_AUTH_HEADER_SIZE];

static void setup(void)
{
    th_server_start(&srv, th_conninfo(), NULL);
    th_tenant_with_auth(th_conninfo(), tenant_name, api_key, auth_header);
}

static void teardown(void)
{
    th_server_stop(&srv);
}

/* A recorded case of the tenant behind auth, on Amazon, with these ids;
 * its id in case_id. */
static void post_case(const char *auth, const char *order_id, const char *ticket_id, char case_id[64])
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"ticket_id\":\"%s\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"%s\",\"sku\":\"MUG-01\","
             "\"currency\":\"USD\",\"item_price\":2599,\"shipping_paid\":499},"
             "\"buyer\":{\"buyer_id\":\"MSG-BUYER\",\"name\":\"Jane\",\"language\":\"en\"},"
             "\"issue\":{\"category\":\"minor_defect\",\"description\":\"scratch\"}}",
             ticket_id, order_id);
    th_post_case(srv.port, auth, body, case_id);
}

/* key_header: NULL or "Idempotency-Key: ...". */
static void post_message(const char *auth, const char *case_id, const char *key_header, const char *body,
                         struct th_response *r)
{
    const char *headers[] = { auth, "Content-Type: application/json", key_header, NULL };
    char path[128];
    snprintf(path, sizeof(path), "/v1/cases/%s/messages", case_id);
    th_request(srv.port, "POST", path, headers, body, strlen(body), r);
}

static void get_case(const char *auth, const char *case_id, struct th_response *r)
{
    const char *headers[] = { auth, NULL };
    char path[128];
    snprintf(path, sizeof(path), "/v1/cases/%s", case_id);
    th_request(srv.port, "GET", path, headers, NULL, 0, r);
}

static const char *str_of(const json_t *object, const char *name)
{
    return json_string_value(json_object_get(object, name));
}

/* Messages stored for this test's tenant. */
static long messages_of_tenant(void)
{
    PGconn *conn = PQconnectdb(th_conninfo());
    const char *const params[] = { tenant_name };
    PGresult *res = PQexecParams(conn,
                                 "SELECT count(*) FROM case_messages "
                                 "WHERE tenant_id = (SELECT id FROM tenants WHERE name = $1)",
                                 1, NULL, params, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s", PQerrorMessage(conn));
    long n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(conn);
    return n;
}

/* The violation codes of a message's compliance, comma-separated. */
static void violation_codes(const json_t *message, char *out, size_t size)
{
    out[0] = '\0';
    const json_t *violations = json_object_get(json_object_get(message, "compliance"), "violations");
    size_t i;
    json_t *v;
    json_array_foreach(violations, i, v)
    {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? "," : "", str_of(v, "code"));
    }
}

START_TEST(messages_are_recorded_and_read_in_order)
{
    char case_id[64];
    post_case(auth_header, "113-1234567-1234567", "ZD-1", case_id);
    /* recorded out of time order; three share one `at` */
    static const struct {
        const char *body;
        const char *from, *at, *channel;
    } SENT[] = {
        { "{\"from\":\"buyer\",\"at\":\"2026-11-20T10:00:00Z\",\"text\":\"The mug is scratched.\"}", "buyer",
          "2026-11-20T10:00:00Z", "amazon" },
        { "{\"from\":\"marketplace\",\"at\":\"2026-11-20T10:00:00Z\",\"text\":\"A claim was opened.\","
          "\"channel\":\"email\"}",
          "marketplace", "2026-11-20T10:00:00Z", "email" },
        { "{\"from\":\"seller\",\"at\":\"2026-11-20T09:00:00Z\",\"text\":\"Thank you for your order.\","
          "\"channel\":\"zendesk\"}",
          "seller", "2026-11-20T09:00:00Z", "zendesk" },
        { "{\"from\":\"buyer\",\"at\":\"2026-11-20T12:00:00+02:00\",\"text\":\"Any news?\",\"channel\":\"gorgias\"}",
          "buyer", "2026-11-20T10:00:00Z", "gorgias" },
    };
    enum { N_SENT = sizeof(SENT) / sizeof(SENT[0]) };
    json_t *answers[N_SENT];
    for (int i = 0; i < N_SENT; i++) {
        struct th_response r;
        post_message(auth_header, case_id, NULL, SENT[i].body, &r);
        ck_assert_msg(r.status == 201, "message %d: %ld %s", i, r.status, r.body);
        ck_assert(crypto_uuid_valid(str_of(r.json, "message_id")));
        ck_assert_str_eq(str_of(r.json, "case_id"), case_id);
        ck_assert_str_eq(str_of(r.json, "from"), SENT[i].from);
        ck_assert_str_eq(str_of(r.json, "at"), SENT[i].at);
        ck_assert_str_eq(str_of(r.json, "channel"), SENT[i].channel); /* default: the case's */
        ck_assert_int_eq(json_object_get(r.json, "compliance") != NULL, strcmp(SENT[i].from, "seller") == 0);
        answers[i] = json_incref(r.json);
        th_response_free(&r);
    }
    /* by `at`, then in recording order */
    static const int ORDER[N_SENT] = { 2, 0, 1, 3 };
    struct th_response r;
    get_case(auth_header, case_id, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *messages = json_object_get(r.json, "messages");
    ck_assert_int_eq(json_array_size(messages), N_SENT);
    for (int i = 0; i < N_SENT; i++)
        ck_assert_msg(json_equal(json_array_get(messages, (size_t)i), answers[ORDER[i]]),
                      "message %d is not message %d as it was answered", i, ORDER[i]);
    /* the case's other members are as they were */
    ck_assert_str_eq(str_of(r.json, "case_id"), case_id);
    ck_assert(json_is_object(json_object_get(r.json, "decision")));
    ck_assert(json_is_object(json_object_get(r.json, "request")));
    ck_assert(json_is_null(json_object_get(r.json, "outcome")));
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "outcome_history")), 0);
    th_response_free(&r);
    for (int i = 0; i < N_SENT; i++)
        json_decref(answers[i]);
    ck_assert_int_eq(messages_of_tenant(), N_SENT);

    /* a case with no messages has an empty conversation */
    char quiet[64];
    post_case(auth_header, "113-7654321-7654321", "ZD-2", quiet);
    get_case(auth_header, quiet, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_is_array(json_object_get(r.json, "messages")));
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "messages")), 0);
    th_response_free(&r);
}
END_TEST

START_TEST(seller_violations_are_stored_as_warnings)
{
    char case_id[64];
    post_case(auth_header, "113-1234567-1234567", "ZD-1", case_id);
    const char *body = "{\"from\":\"seller\",\"text\":\"Sorry! Please leave a positive review, "
                       "or write to help@myshop.com.\"}";
    struct th_response r;
    post_message(auth_header, case_id, NULL, body, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body); /* recorded, not refused */
    json_t *compliance = json_object_get(r.json, "compliance");
    ck_assert(json_is_false(json_object_get(compliance, "passed")));
    char codes[256];
    violation_codes(r.json, codes, sizeof(codes));
    ck_assert_msg(strstr(codes, "review_request") != NULL && strstr(codes, "email_address") != NULL, "%s", codes);
    json_t *answered = json_incref(r.json);
    th_response_free(&r);
    get_case(auth_header, case_id, &r);
    json_t *stored = json_array_get(json_object_get(r.json, "messages"), 0);
    ck_assert(json_equal(stored, answered));
    th_response_free(&r);
    json_decref(answered);
    ck_assert_int_eq(messages_of_tenant(), 1);

    /* the buyer's and the marketplace's words are theirs: not checked */
    post_message(auth_header, case_id, NULL, "{\"from\":\"buyer\",\"text\":\"Mail me at jane@example.com\"}", &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert(json_object_get(r.json, "compliance") == NULL);
    th_response_free(&r);
}
END_TEST

START_TEST(clean_seller_message_passes_with_the_cases_own_ids)
{
    /* an order id and a ticket id shaped like phone numbers are the case's
     * own identifiers, not contact details */
    char case_id[64];
    post_case(auth_header, "113-4567890", "0800-1234567", case_id);
    char body[512];
    snprintf(body, sizeof(body),
             "{\"from\":\"seller\",\"text\":\"Your order 113-4567890 (ticket 0800-1234567, case %s) ships today.\"}",
             case_id);
    struct th_response r;
    post_message(auth_header, case_id, NULL, body, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    json_t *compliance = json_object_get(r.json, "compliance");
    char codes[256];
    violation_codes(r.json, codes, sizeof(codes));
    ck_assert_msg(json_is_true(json_object_get(compliance, "passed")), "violations: %s", codes);
    ck_assert_int_eq(json_array_size(json_object_get(compliance, "violations")), 0);
    th_response_free(&r);
    /* a real number around them still fails */
    post_message(auth_header, case_id, NULL,
                 "{\"from\":\"seller\",\"text\":\"Order 113-4567890: call us on 555-123-4567.\"}", &r);
    ck_assert_int_eq(r.status, 201);
    violation_codes(r.json, codes, sizeof(codes));
    ck_assert_str_eq(codes, "phone_number");
    th_response_free(&r);
}
END_TEST

/* Whether errors[] names exactly these fields (in any order). */
static bool names_fields(const json_t *problem, const char *const *fields, size_t n)
{
    const json_t *errors = json_object_get(problem, "errors");
    if (json_array_size(errors) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = strcmp(str_of(json_array_get(errors, j), "field"), fields[i]) == 0;
        if (!found)
            return false;
    }
    return true;
}

START_TEST(invalid_messages_name_the_field)
{
    char case_id[64];
    post_case(auth_header, "113-1234567-1234567", "ZD-1", case_id);
    struct th_response r;
    post_message(auth_header, case_id, NULL,
                 "{\"from\":\"agent\",\"at\":\"yesterday\",\"text\":\"\",\"channel\":\"fax\",\"subject\":\"x\"}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(str_of(r.json, "type"), "urn:redress:problem:validation");
    static const char *const ALL[] = { "from", "at", "text", "channel", "subject" };
    ck_assert_msg(names_fields(r.json, ALL, 5), "%s", r.body);
    th_response_free(&r);

    post_message(auth_header, case_id, NULL, "{}", &r);
    ck_assert_int_eq(r.status, 400);
    static const char *const REQUIRED[] = { "from", "text" };
    ck_assert_msg(names_fields(r.json, REQUIRED, 2), "%s", r.body);
    th_response_free(&r);

    /* a time PostgreSQL cannot hold is the request's fault, not a 500 */
    const char *const too_early[] = { "0000-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00" };
    for (size_t i = 0; i < sizeof(too_early) / sizeof(too_early[0]); i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"from\":\"buyer\",\"text\":\"hi\",\"at\":\"%s\"}", too_early[i]);
        post_message(auth_header, case_id, NULL, body, &r);
        ck_assert_msg(r.status == 400, "%s: %ld", too_early[i], r.status);
        static const char *const AT[] = { "at" };
        ck_assert_msg(names_fields(r.json, AT, 1), "%s", r.body);
        th_response_free(&r);
    }

    post_message(auth_header, case_id, NULL, "{\"from\":\"seller\",\"text\":42}", &r);
    ck_assert_int_eq(r.status, 400);
    static const char *const TEXT[] = { "text" };
    ck_assert_msg(names_fields(r.json, TEXT, 1), "%s", r.body);
    th_response_free(&r);

    /* 20000 bytes is the most */
    enum { LONGEST = 20000 };
    char *body = malloc(LONGEST + 64);
    ck_assert(body != NULL);
    for (int len = LONGEST; len <= LONGEST + 1; len++) {
        int n = snprintf(body, 64, "{\"from\":\"buyer\",\"text\":\"");
        memset(body + n, 'a', (size_t)len);
        strcpy(body + n + len, "\"}");
        post_message(auth_header, case_id, NULL, body, &r);
        ck_assert_int_eq(r.status, len == LONGEST ? 201 : 400);
        if (len > LONGEST)
            ck_assert_msg(names_fields(r.json, TEXT, 1), "%s", r.body);
        th_response_free(&r);
    }
    free(body);

    post_message(auth_header, case_id, "Idempotency-Key: has spaces", "{\"from\":\"buyer\",\"text\":\"hi\"}", &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);
    ck_assert_int_eq(messages_of_tenant(), 1); /* only the longest */
}
END_TEST

START_TEST(another_tenants_case_is_not_found)
{
    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    char mine[64], theirs[64];
    post_case(auth_header, "113-1234567-1234567", "ZD-1", mine);
    post_case(other_auth, "113-1234567-1234567", "ZD-1", theirs);
    const char *body = "{\"from\":\"buyer\",\"text\":\"Where is my refund?\"}";
    struct th_response r;
    post_message(auth_header, mine, NULL, body, &r);
    ck_assert_int_eq(r.status, 201);
    th_response_free(&r);
    post_message(other_auth, theirs, NULL, "{\"from\":\"seller\",\"text\":\"Theirs.\"}", &r);
    ck_assert_int_eq(r.status, 201);
    th_response_free(&r);

    /* neither adds to nor reads the other's conversation */
    post_message(other_auth, mine, NULL, body, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
    get_case(other_auth, mine, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
    get_case(auth_header, mine, &r);
    json_t *messages = json_object_get(r.json, "messages");
    ck_assert_int_eq(json_array_size(messages), 1);
    ck_assert_str_eq(str_of(json_array_get(messages, 0), "text"), "Where is my refund?");
    th_response_free(&r);
    get_case(other_auth, theirs, &r);
    messages = json_object_get(r.json, "messages");
    ck_assert_int_eq(json_array_size(messages), 1);
    ck_assert_str_eq(str_of(json_array_get(messages, 0), "text"), "Theirs.");
    th_response_free(&r);

    /* an unknown case, or no case id at all */
    post_message(auth_header, "6f1c2a8e-5b7d-4e3f-9a21-0c4d5e6f7a8b", NULL, body, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
    post_message(auth_header, "not-a-case", NULL, body, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
    ck_assert_int_eq(messages_of_tenant(), 1);
}
END_TEST

START_TEST(a_key_replays_the_message_or_refuses_another)
{
    char case_id[64], other_case[64];
    post_case(auth_header, "113-1234567-1234567", "ZD-1", case_id);
    post_case(auth_header, "113-7654321-7654321", "ZD-2", other_case);
    const char *key = "Idempotency-Key: message-1";
    const char *body = "{\"from\":\"seller\",\"text\":\"Please leave a positive review.\"}";
    struct th_response r;
    post_message(auth_header, case_id, key, body, &r);
    ck_assert_int_eq(r.status, 201);
    char *first = strdup(r.body);
    char replayed[16];
    ck_assert(!th_header(&r, "Idempotent-Replayed", replayed, sizeof(replayed)));
    th_response_free(&r);

    /* the same body (key order and white space aside): the stored answer */
    const char *reordered = "{ \"text\": \"Please leave a positive review.\", \"from\": \"seller\" }";
    const char *const retries[] = { body, reordered };
    for (int i = 0; i < 2; i++) {
        post_message(auth_header, case_id, key, retries[i], &r);
        ck_assert_int_eq(r.status, 200);
        ck_assert_str_eq(r.body, first);
        ck_assert(th_header(&r, "Idempotent-Replayed", replayed, sizeof(replayed)));
        ck_assert_str_eq(replayed, "true");
        th_response_free(&r);
    }
    ck_assert_int_eq(messages_of_tenant(), 1);

    /* another body, another case or another route: refused */
    post_message(auth_header, case_id, key, "{\"from\":\"seller\",\"text\":\"Another.\"}", &r);
    ck_assert_int_eq(r.status, 422);
    th_response_free(&r);
    post_message(auth_header, other_case, key, body, &r);
    ck_assert_int_eq(r.status, 422);
    th_response_free(&r);
    const char *headers[] = { auth_header, "Content-Type: application/json", key, NULL };
    char path[128];
    snprintf(path, sizeof(path), "/v1/cases/%s/outcome", case_id);
    const char *outcome = "{\"status\":\"accepted\"}";
    th_request(srv.port, "POST", path, headers, outcome, strlen(outcome), &r);
    ck_assert_int_eq(r.status, 422);
    th_response_free(&r);
    ck_assert_int_eq(messages_of_tenant(), 1);

    /* the stored message is the one answered */
    get_case(auth_header, case_id, &r);
    json_t *answered = json_loads(first, 0, NULL);
    ck_assert(json_equal(json_array_get(json_object_get(r.json, "messages"), 0), answered));
    json_decref(answered);
    th_response_free(&r);
    free(first);
}
END_TEST

START_TEST(at_defaults_to_now)
{
    char case_id[64];
    post_case(auth_header, "113-1234567-1234567", "ZD-1", case_id);
    int64_t before = (int64_t)time(NULL);
    struct th_response r;
    post_message(auth_header, case_id, NULL, "{\"from\":\"buyer\",\"text\":\"Hello?\"}", &r);
    int64_t after = (int64_t)time(NULL);
    ck_assert_int_eq(r.status, 201);
    int64_t at;
    ck_assert(validate_parse_time(str_of(r.json, "at"), &at));
    ck_assert_msg(at >= before && at <= after, "at %s outside [%lld, %lld]", str_of(r.json, "at"),
                  (long long)before, (long long)after);
    th_response_free(&r);
}
END_TEST

/* Through a proxy that lets a COMMIT through and swallows its reply (the
 * message is in, the service never hears it) or drops the round trip before
 * the COMMIT (it is not in): recorded if and only if a 2xx was returned. */
static struct pgproxy *proxy;

static void lost_reply_setup(void)
{
    proxy = th_server_start_proxied(&srv);
    th_tenant_with_auth(th_conninfo(), tenant_name, api_key, auth_header);
}

static void lost_reply_teardown(void)
{
    th_server_stop_proxied(&srv, proxy);
}

START_TEST(messages_are_recorded_iff_answered)
{
    char case_id[64];
    post_case(auth_header, "113-1234567-1234567", "ZD-1", case_id);
    const char *body = "{\"from\":\"seller\",\"text\":\"A replacement ships today.\"}";
    struct th_response r;

    /* keyed, reply lost: 201 for the message that is in; the retry replays it */
    pgproxy_arm(proxy, PGPROXY_LOSE_COMMIT_REPLY);
    post_message(auth_header, case_id, "Idempotency-Key: lost-message-1", body, &r);
    ck_assert_int_eq(pgproxy_fired(proxy), 1);
    ck_assert_msg(r.status == 201, "status %ld: %s", r.status, r.body);
    char *first = strdup(r.body);
    th_response_free(&r);
    ck_assert_int_eq(messages_of_tenant(), 1);
    post_message(auth_header, case_id, "Idempotency-Key: lost-message-1", body, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, first);
    th_response_free(&r);
    free(first);
    ck_assert_int_eq(messages_of_tenant(), 1);

    /* without a key, the same */
    pgproxy_arm(proxy, PGPROXY_LOSE_COMMIT_REPLY);
    post_message(auth_header, case_id, NULL, body, &r);
    ck_assert_int_eq(pgproxy_fired(proxy), 2);
    ck_assert_msg(r.status == 201, "status %ld: %s", r.status, r.body);
    th_response_free(&r);
    ck_assert_int_eq(messages_of_tenant(), 2);

    /* COMMIT lost on the way: 503 and nothing recorded; the keyed retry records it once */
    pgproxy_arm(proxy, PGPROXY_DROP_BEFORE_COMMIT);
    post_message(auth_header, case_id, "Idempotency-Key: dropped-message-1", body, &r);
    ck_assert_int_eq(pgproxy_fired(proxy), 3);
    ck_assert_int_eq(r.status, 503);
    th_response_free(&r);
    ck_assert_int_eq(messages_of_tenant(), 2);
    post_message(auth_header, case_id, "Idempotency-Key: dropped-message-1", body, &r);
    ck_assert_int_eq(r.status, 201);
    th_response_free(&r);
    ck_assert_int_eq(messages_of_tenant(), 3);
}
END_TEST

Suite *messages_suite(void)
{
    Suite *s = suite_create("messages");
    TCase *tc = tcase_create("conversation");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, messages_are_recorded_and_read_in_order);
    tcase_add_test(tc, seller_violations_are_stored_as_warnings);
    tcase_add_test(tc, clean_seller_message_passes_with_the_cases_own_ids);
    tcase_add_test(tc, invalid_messages_name_the_field);
    tcase_add_test(tc, another_tenants_case_is_not_found);
    tcase_add_test(tc, a_key_replays_the_message_or_refuses_another);
    tcase_add_test(tc, at_defaults_to_now);
    suite_add_tcase(s, tc);
    TCase *lost = tcase_create("lost_commit");
    tcase_add_checked_fixture(lost, lost_reply_setup, lost_reply_teardown);
    tcase_set_timeout(lost, 120);
    tcase_add_test(lost, messages_are_recorded_iff_answered);
    suite_add_tcase(s, lost);
    return s;
}
