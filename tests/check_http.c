/* HTTP integration tests: the real server on an ephemeral port, against
 * this run's PostgreSQL, spoken to over HTTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "harness.h"

static struct th_server srv;
static char tenant_name[64];
static char api_key[APIKEY_LEN + 1];
static char auth_header[APIKEY_LEN + 32];

static void setup(void)
{
    th_server_start(&srv, th_conninfo(), NULL);
    th_tenant_with_key(th_conninfo(), tenant_name, api_key);
    snprintf(auth_header, sizeof(auth_header), "Authorization: Bearer %s", api_key);
}

static void teardown(void)
{
    th_server_stop(&srv);
}

/* Every problem response has the RFC 9457 members and its own status. */
static void assert_problem(const struct th_response *r, long status, const char *type_slug)
{
    ck_assert_int_eq(r->status, status);
    char content_type[128];
    ck_assert(th_header(r, "Content-Type", content_type, sizeof(content_type)));
    ck_assert_str_eq(content_type, "application/problem+json");
    ck_assert_msg(r->json != NULL, "problem body is not JSON: %s", r->body);
    char type[128];
    snprintf(type, sizeof(type), "urn:redress:problem:%s", type_slug);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "type")), type);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "status")), status);
    ck_assert(json_is_string(json_object_get(r->json, "title")));
    char request_id[160];
    ck_assert(th_header(r, "X-Request-Id", request_id, sizeof(request_id)));
}

START_TEST(healthz_answers_without_key)
{
    struct th_response r;
    th_request(srv.port, "GET", "/healthz", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "ok");
    th_response_free(&r);
}
END_TEST

START_TEST(readyz_reports_ready_when_migrated)
{
    struct th_response r;
    th_request(srv.port, "GET", "/readyz", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "migrations")), "current");
    th_response_free(&r);
}
END_TEST

START_TEST(request_id_echoed_or_made)
{
    struct th_response r;
    const char *mine[] = { "X-Request-Id: helpdesk-42.a", NULL };
    char value[160];
    th_request(srv.port, "GET", "/healthz", mine, NULL, 0, &r);
    ck_assert(th_header(&r, "X-Request-Id", value, sizeof(value)));
    ck_assert_str_eq(value, "helpdesk-42.a");
    th_response_free(&r);
    const char *insane[] = { "X-Request-Id: <bad id>", NULL };
    th_request(srv.port, "GET", "/nowhere", insane, NULL, 0, &r);
    ck_assert(th_header(&r, "X-Request-Id", value, sizeof(value)));
    ck_assert(crypto_uuid_valid(value));
    th_response_free(&r);
}
END_TEST

START_TEST(unknown_path_is_404)
{
    struct th_response r;
    th_request(srv.port, "GET", "/v1/nothing-here", NULL, NULL, 0, &r);
    assert_problem(&r, 404, "not-found");
    th_response_free(&r);
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    struct th_response r;
    th_request(srv.port, "DELETE", "/healthz", NULL, NULL, 0, &r);
    assert_problem(&r, 405, "method-not-allowed");
    char allow[64];
    ck_assert(th_header(&r, "Allow", allow, sizeof(allow)));
    ck_assert_str_eq(allow, "GET, HEAD");
    th_response_free(&r);
    th_request(srv.port, "GET", "/v1/replies/check", NULL, NULL, 0, &r);
    assert_problem(&r, 405, "method-not-allowed");
    ck_assert(th_header(&r, "Allow", allow, sizeof(allow)));
    ck_assert_str_eq(allow, "POST");
    th_response_free(&r);
}
END_TEST

START_TEST(missing_or_bad_key_is_401)
{
    struct th_response r;
    th_request(srv.port, "GET", "/v1/me", NULL, NULL, 0, &r);
    assert_problem(&r, 401, "unauthorized");
    char value[128];
    ck_assert(th_header(&r, "WWW-Authenticate", value, sizeof(value)));
    th_response_free(&r);

    /* well-formed but unknown: a key with one secret character changed */
    char forged[APIKEY_LEN + 32];
    snprintf(forged, sizeof(forged), "Authorization: Bearer %s", api_key);
    size_t last = strlen(forged) - 1;
    forged[last] = forged[last] == '0' ? '1' : '0';
    const char *headers[] = { forged, NULL };
    th_request(srv.port, "GET", "/v1/me", headers, NULL, 0, &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);

    const char *basic[] = { "Authorization: Basic dXNlcjpwYXNz", NULL };
    th_request(srv.port, "GET", "/v1/me", basic, NULL, 0, &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
}
END_TEST

START_TEST(good_key_names_its_tenant)
{
    struct th_response r;
    const char *headers[] = { auth_header, NULL };
    th_request(srv.port, "GET", "/v1/me", headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "tenant")), tenant_name);
    th_response_free(&r);
}
END_TEST

START_TEST(body_over_64k_is_413)
{
    size_t size = HTTP_BODY_LIMIT + 1;
    char *body = malloc(size);
    memset(body, ' ', size);
    body[0] = '{';
    body[size - 1] = '}';
    struct th_response r;
    const char *headers[] = { auth_header, "Content-Type: application/json", NULL };
    th_request(srv.port, "POST", "/v1/replies/check", headers, body, size, &r);
    assert_problem(&r, 413, "payload-too-large");
    th_response_free(&r);
    /* chunked: no Content-Length, so the cap is hit while reading */
    const char *chunked[] = { auth_header, "Content-Type: application/json",
                              "Transfer-Encoding: chunked", NULL };
    th_request(srv.port, "POST", "/v1/replies/check", chunked, body, size, &r);
    assert_problem(&r, 413, "payload-too-large");
    th_response_free(&r);
    free(body);
}
END_TEST

START_TEST(non_json_content_type_is_415)
{
    struct th_response r;
    const char *headers[] = { auth_header, "Content-Type: text/plain", NULL };
    th_request(srv.port, "POST", "/v1/replies/check", headers, "{}", 2, &r);
    assert_problem(&r, 415, "unsupported-media-type");
    th_response_free(&r);
    const char *none[] = { auth_header, "Content-Type:", NULL };
    th_request(srv.port, "POST", "/v1/replies/check", none, "{}", 2, &r);
    assert_problem(&r, 415, "unsupported-media-type");
    th_response_free(&r);
}
END_TEST

START_TEST(malformed_json_is_400)
{
    const char *headers[] = { auth_header, "Content-Type: application/json; charset=utf-8", NULL };
    const char *bodies[] = { "{\"channel\": ", "[1,2]", "{\"body\":\"a\",\"body\":\"b\"}", "", NULL };
    for (int i = 0; bodies[i]; i++) {
        struct th_response r;
        th_request(srv.port, "POST", "/v1/replies/check", headers, bodies[i], strlen(bodies[i]), &r);
        assert_problem(&r, 400, "malformed-json");
        ck_assert(json_is_string(json_object_get(r.json, "detail")));
        th_response_free(&r);
    }
}
END_TEST

START_TEST(database_outage_gives_503_then_recovers)
{
    const char *headers[] = { auth_header, NULL };
    struct th_response r;
    th_request(srv.port, "GET", "/v1/me", headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);

    th_postgres_stop();
    th_request(srv.port, "GET", "/readyz", NULL, NULL, 0, &r);
    assert_problem(&r, 503, "database-unavailable");
    th_response_free(&r);
    th_request(srv.port, "GET", "/v1/me", headers, NULL, 0, &r);
    assert_problem(&r, 503, "database-unavailable");
    th_response_free(&r);
    th_request(srv.port, "GET", "/healthz", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200); /* alive, just not ready */
    th_response_free(&r);

    th_postgres_start();
    ck_assert(th_wait_for_status(srv.port, "/readyz", 200, 30));
    /* A thread that failed during the outage retries after its backoff. */
    struct timespec backoff = { 0, 2 * DB_RECONNECT_BACKOFF_MS * 1000000L };
    nanosleep(&backoff, NULL);
    /* every worker thread reconnects by itself: several calls all succeed */
    for (int i = 0; i < 6; i++) {
        th_request(srv.port, "GET", "/v1/me", headers, NULL, 0, &r);
        ck_assert_int_eq(r.status, 200);
        th_response_free(&r);
    }
}
END_TEST

START_TEST(readyz_503_when_migrations_missing)
{
    char conninfo[512], err[256];
    th_database_create(conninfo, sizeof(conninfo));
    th_server_stop(&srv);
    const char *no_migrate[] = { "REDRESS_MIGRATE_ON_START=false", NULL };
    th_server_start(&srv, conninfo, no_migrate);
    struct th_response r;
    th_request(srv.port, "GET", "/readyz", NULL, NULL, 0, &r);
    assert_problem(&r, 503, "not-ready");
    th_response_free(&r);
    ck_assert_int_eq(db_migrate(conninfo, err, sizeof(err)), 0);
    ck_assert(th_wait_for_status(srv.port, "/readyz", 200, 10));
}
END_TEST

START_TEST(replies_check_finds_violations)
{
    const char *headers[] = { auth_header, "Content-Type: application/json", NULL };
    const char *body = "{\"channel\":\"amazon\",\"language\":\"en\","
                       "\"body\":\"We refunded you. Please update your review! Call +1 555 123 4567.\"}";
    struct th_response r;
    th_request(srv.port, "POST", "/v1/replies/check", headers, body, strlen(body), &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_is_false(json_object_get(r.json, "passed")));
    json_t *violations = json_object_get(r.json, "violations");
    ck_assert_int_eq(json_array_size(violations), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(violations, 0), "code")), "review_request");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(violations, 1), "code")), "phone_number");
    th_response_free(&r);
    const char *clean = "{\"channel\":\"shopify\",\"body\":\"We reviewed your order: 10% off your next order.\"}";
    th_request(srv.port, "POST", "/v1/replies/check", headers, clean, strlen(clean), &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_is_true(json_object_get(r.json, "passed")));
    th_response_free(&r);
}
END_TEST

START_TEST(replies_check_validation_names_fields)
{
    const char *headers[] = { auth_header, "Content-Type: application/json", NULL };
    const char *body = "{\"channel\":\"ebay\",\"tone\":\"warm\"}";
    struct th_response r;
    th_request(srv.port, "POST", "/v1/replies/check", headers, body, strlen(body), &r);
    assert_problem(&r, 400, "validation");
    json_t *errors = json_object_get(r.json, "errors");
    ck_assert_int_eq(json_array_size(errors), 3); /* unknown tone, bad channel, missing body */
    const char *fields[] = { "tone", "channel", "body" };
    for (int i = 0; i < 3; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errors, i), "field")), fields[i]);
    th_response_free(&r);
}
END_TEST

Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("server");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, healthz_answers_without_key);
    tcase_add_test(tc, readyz_reports_ready_when_migrated);
    tcase_add_test(tc, request_id_echoed_or_made);
    tcase_add_test(tc, unknown_path_is_404);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, missing_or_bad_key_is_401);
    tcase_add_test(tc, good_key_names_its_tenant);
    tcase_add_test(tc, body_over_64k_is_413);
    tcase_add_test(tc, non_json_content_type_is_415);
    tcase_add_test(tc, malformed_json_is_400);
    tcase_add_test(tc, database_outage_gives_503_then_recovers);
    tcase_add_test(tc, readyz_503_when_migrations_missing);
    tcase_add_test(tc, replies_check_finds_violations);
    tcase_add_test(tc, replies_check_validation_names_fields);
    suite_add_tcase(s, tc);
    return s;
}
