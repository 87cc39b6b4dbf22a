/* Hostile input that must be refused cleanly: bytes that are not UTF-8 in
 * a path, keys that spell nested paths, validation that has nowhere to
 * report, and the access-log line every request gets whatever it sent. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"
#include "utf8.h"
#include "validate.h"

static struct th_server srv;
static char tenant_name[64];
static char api_key[APIKEY_LEN + 1];
static char auth_header[TH_AUTH_HEADER_SIZE];

static void setup(void)
{
    th_server_start(&srv, th_conninfo(), NULL);
    th_tenant_with_auth(th_conninfo(), tenant_name, api_key, auth_header);
}

static void teardown(void)
{
    th_server_stop(&srv);
}

/* ---- utf8_valid: RFC 3629's table, edge by edge ---- */

static const struct {
    const char *bytes;
    size_t len;
    bool valid;
} UTF8_CASES[] = {
    { "", 0, true },
    { "plain ascii", 11, true },
    { "\xC2\x80", 2, true },              /* U+0080, smallest two-byte */
    { "\xDF\xBF", 2, true },
    { "\xE4\xB8\xAD", 3, true },          /* 中 */
    { "\xEF\xBC\xA0", 3, true },          /* ＠ */
    { "\xF0\x9F\x98\x80", 4, true },      /* an emoji */
    { "\xF4\x8F\xBF\xBF", 4, true },      /* U+10FFFF */
    { "\xFF", 1, false },
    { "\xFE", 1, false },
    { "\xC0\x80", 2, false },             /* overlong NUL */
    { "\xC1\xBF", 2, false },             /* overlong */
    { "\xE0\x80\x80", 3, false },         /* overlong three-byte */
    { "\xE0\x9F\xBF", 3, false },
    { "\xED\xA0\x80", 3, false },         /* surrogate U+D800 */
    { "\xED\xBF\xBF", 3, false },         /* surrogate U+DFFF */
    { "\xF0\x80\x80\x80", 4, false },     /* overlong four-byte */
    { "\xF4\x90\x80\x80", 4, false },     /* above U+10FFFF */
    { "\xF5\x80\x80\x80", 4, false },
    { "\x80", 1, false },                 /* stray continuation */
    { "\xE4\xB8", 2, false },             /* cut short */
    { "\xE4\x41\xAD", 3, false },         /* continuation missing */
    { "ok\xC3", 3, false },
};

START_TEST(utf8_validity_follows_rfc3629)
{
    const char *bytes = UTF8_CASES[_i].bytes;
    ck_assert_msg(utf8_valid(bytes, UTF8_CASES[_i].len) == UTF8_CASES[_i].valid, "case %d", _i);
}
END_TEST

START_TEST(percent_decode_refuses_what_is_not_utf8)
{
    static const char *const REFUSED[] = { "%FF", "%C0%80", "%ED%A0%80", "\xFF", "a%F4%90%80%80", "%E4%B8" };
    for (size_t i = 0; i < sizeof(REFUSED) / sizeof(REFUSED[0]); i++) {
        char *out = http_percent_decode(REFUSED[i], strlen(REFUSED[i]));
        ck_assert_msg(out == NULL, "%s decoded to '%s'", REFUSED[i], out);
    }
    char *out = http_percent_decode("MUG-%E4%B8%AD", 13);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out, "MUG-\xE4\xB8\xAD");
    free(out);
}
END_TEST

START_TEST(log_escape_keeps_every_byte_visible)
{
    char *out = utf8_escape_for_log("/v1/buyers/\xFF\\x\n");
    ck_assert_str_eq(out, "/v1/buyers/\\xFF\\x5Cx\\x0A");
    free(out);
}
END_TEST

/* ---- validation ---- */

struct probe {
    const char *sku;
};
static const struct field_spec PROBE_SPECS[] = {
    { "order", FIELD_OBJECT, true, 0, 0, 0, NULL, 0, NULL },
    { "order.sku", FIELD_STRING, true, offsetof(struct probe, sku), 1, 64, NULL, 0, NULL },
};

START_TEST(dotted_key_is_never_a_known_field)
{
    json_t *body = json_loads("{\"order\":{\"sku\":\"A\"},\"order.sku\":\"B\"}", 0, NULL);
    json_t *errors = json_array();
    struct probe p;
    ck_assert(!validate_json(body, PROBE_SPECS, 2, &p, errors));
    ck_assert_int_eq(json_array_size(errors), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errors, 0), "field")), "order.sku");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errors, 0), "message")),
                     "is not a known field");
    json_decref(errors);
    json_decref(body);
}
END_TEST

/* Found by fuzz_policy: a long unknown key was reported under a path cut
 * at 160 bytes, inside a UTF-8 sequence; jansson refused that field name,
 * so the body was refused with no error to show (a 500 over HTTP). */
START_TEST(long_unknown_key_is_named_whole)
{
    char key[400];
    memset(key, 's', 200);
    strcpy(key + 200, "\xE3\x83\x95\xE3\x82\xA3\xE3\x83\xBC"); /* フィー */
    json_t *body = json_pack("{s:{s:s}, s:s}", "order", "sku", "A", key, "x");
    ck_assert_ptr_nonnull(body);
    json_t *errors = json_array();
    struct probe p;
    ck_assert(!validate_json(body, PROBE_SPECS, 2, &p, errors));
    ck_assert_int_eq(json_array_size(errors), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errors, 0), "field")), key);
    json_decref(errors);
    json_decref(body);
}
END_TEST

START_TEST(validation_without_an_error_array_fails_closed)
{
    json_t *body = json_loads("{\"order\":{\"sku\":\"A\"}}", 0, NULL);
    struct probe p;
    json_t *errors = json_array();
    ck_assert(validate_json(body, PROBE_SPECS, 2, &p, errors)); /* valid with somewhere to report */
    ck_assert(!validate_json(body, PROBE_SPECS, 2, &p, NULL));  /* json_array() returned NULL */
    json_decref(errors);
    json_decref(body);
}
END_TEST

/* ---- over HTTP ---- */

static void get(const char *method, const char *path, const char *body, struct th_response *r)
{
    const char *headers[] = { auth_header, "Content-Type: application/json", NULL };
    th_request(srv.port, method, path, headers, body, body ? strlen(body) : 0, r);
}

START_TEST(path_ids_that_are_not_utf8_are_404)
{
    static const char *const PATHS[] = {
        "/v1/buyers/%FF", "/v1/buyers/%C0%80", "/v1/buyers/%ED%A0%80",
        "/v1/skus/%FF/costs", "/v1/cases/%FF", "/v1/cases/%FF/outcome",
    };
    for (size_t i = 0; i < sizeof(PATHS) / sizeof(PATHS[0]); i++) {
        struct th_response r;
        bool post = strstr(PATHS[i], "outcome") != NULL;
        get(post ? "POST" : "GET", PATHS[i], post ? "{\"status\":\"accepted\"}" : NULL, &r);
        ck_assert_msg(r.status == 404, "%s: %ld %s", PATHS[i], r.status, r.body);
        th_response_free(&r);
    }
    struct th_response r;
    get("PUT", "/v1/skus/%FF/costs", "{\"currency\":\"USD\",\"unit_cost\":100}", &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
}
END_TEST

/* Send raw bytes; return the whole answer (until the server closes). */
static void raw_exchange(const char *request, size_t len, char *reply, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct timeval timeout = { 10, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ck_assert(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
    ck_assert(send(fd, request, len, 0) == (ssize_t)len);
    size_t got = 0;
    ssize_t n;
    while (got + 1 < size && (n = recv(fd, reply + got, size - 1 - got, 0)) > 0)
        got += (size_t)n;
    reply[got] = '\0';
    close(fd);
}

START_TEST(raw_non_utf8_path_is_404_and_logged)
{
    /* The access log goes to stderr: catch it in a file for this test
     * (Check runs each test in its own process). */
    char log_path[] = "/tmp/redress-log-XXXXXX";
    int log_fd = mkstemp(log_path);
    ck_assert(log_fd >= 0);
    ck_assert(dup2(log_fd, STDERR_FILENO) == STDERR_FILENO);
    log_set_level(LOG_INFO);
    char request[512];
    int len = snprintf(request, sizeof(request),
                       "GET /v1/buyers/\xFF\xFE HTTP/1.1\r\nHost: x\r\n%s\r\nConnection: close\r\n\r\n", auth_header);
    char reply[4096];
    raw_exchange(request, (size_t)len, reply, sizeof(reply));
    ck_assert_msg(strncmp(reply, "HTTP/1.1 404", 12) == 0, "%s", reply);
    /* the line is written when MHD reports the request complete */
    char logged[8192] = "";
    for (int tries = 0; tries < 1000 && strstr(logged, "\\\\xFF\\\\xFE") == NULL; tries++) { /* generous: loaded machines */
        usleep(20000);
        ssize_t n = pread(log_fd, logged, sizeof(logged) - 1, 0);
        logged[n > 0 ? n : 0] = '\0';
    }
    close(log_fd);
    unlink(log_path);
    ck_assert_msg(strstr(logged, "\"path\":\"/v1/buyers/\\\\xFF\\\\xFE\"") != NULL, "log: %s", logged);
    ck_assert_msg(strstr(logged, "\"status\":404") != NULL, "log: %s", logged);
}
END_TEST

START_TEST(top_level_dotted_key_is_refused)
{
    const char *body =
        "{\"ticket_id\":\"ZD-1\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-1234567-1234567\","
        "\"sku\":\"MUG-01\",\"currency\":\"USD\",\"item_price\":2599,\"shipping_paid\":499},"
        "\"order.sku\":{\"x\":1},"
        "\"buyer\":{\"buyer_id\":\"DOT-BUYER\",\"name\":\"Jane\",\"language\":\"en\"},"
        "\"issue\":{\"category\":\"defective\",\"description\":\"scratch\"}}";
    struct th_response r;
    get("POST", "/v1/cases", body, &r);
    ck_assert_msg(r.status == 400, "%ld %s", r.status, r.body);
    json_t *first = json_array_get(json_object_get(r.json, "errors"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "field")), "order.sku");
    th_response_free(&r);
    /* and nothing was recorded for that buyer */
    get("GET", "/v1/buyers/DOT-BUYER", NULL, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
}
END_TEST

START_TEST(every_route_is_counted_under_its_own_name)
{
    struct th_response r;
    get("PUT", "/v1/skus/LAST-ROUTE/costs", "{\"currency\":\"USD\",\"unit_cost\":100}", &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    th_request(srv.port, "GET", "/metrics", NULL, NULL, 0, &r);
    ck_assert_msg(strstr(r.body, "route=\"PUT /v1/skus/{}/costs\",status=\"200\"") != NULL, "%s", r.body);
    th_response_free(&r);
}
END_TEST

/* Another tenant's id and an id that exists nowhere answer the same bytes:
 * nothing tells tenant B that tenant A has such a case or buyer. */
START_TEST(other_tenants_ids_look_exactly_missing)
{
    const char *body =
        "{\"ticket_id\":\"ZD-9\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-7654321-7654321\","
        "\"sku\":\"MUG-01\",\"currency\":\"USD\",\"item_price\":2599},"
        "\"buyer\":{\"buyer_id\":\"A-ONLY-BUYER\",\"language\":\"en\"},"
        "\"issue\":{\"category\":\"defective\"}}";
    struct th_response r;
    get("POST", "/v1/cases", body, &r);
    ck_assert_int_eq(r.status, 201);
    char theirs[160];
    snprintf(theirs, sizeof(theirs), "/v1/cases/%s", json_string_value(json_object_get(r.json, "case_id")));
    th_response_free(&r);

    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    const char *headers[] = { other_auth, "X-Request-Id: same-id", "Content-Type: application/json", NULL };
    char outcome_theirs[200];
    snprintf(outcome_theirs, sizeof(outcome_theirs), "%s/outcome", theirs);
    const struct { const char *method, *existing, *missing, *body; } PAIRS[] = {
        { "GET", theirs, "/v1/cases/7d3f8f0e-1b2c-4d5e-8f90-123456789abc", NULL },
        { "POST", outcome_theirs, "/v1/cases/7d3f8f0e-1b2c-4d5e-8f90-123456789abc/outcome",
          "{\"status\":\"accepted\"}" },
        { "GET", "/v1/buyers/A-ONLY-BUYER", "/v1/buyers/NOBODY-AT-ALL", NULL },
    };
    for (size_t i = 0; i < sizeof(PAIRS) / sizeof(PAIRS[0]); i++) {
        struct th_response a, b;
        size_t len = PAIRS[i].body ? strlen(PAIRS[i].body) : 0;
        th_request(srv.port, PAIRS[i].method, PAIRS[i].existing, headers, PAIRS[i].body, len, &a);
        th_request(srv.port, PAIRS[i].method, PAIRS[i].missing, headers, PAIRS[i].body, len, &b);
        ck_assert_int_eq(a.status, 404);
        ck_assert_int_eq(b.status, 404);
        ck_assert_uint_eq(a.body_len, b.body_len);
        ck_assert_msg(memcmp(a.body, b.body, a.body_len) == 0, "%s vs %s", a.body, b.body);
        th_response_free(&a);
        th_response_free(&b);
    }
}
END_TEST

Suite *input_suite(void)
{
    Suite *s = suite_create("input");
    TCase *units = tcase_create("units");
    tcase_add_loop_test(units, utf8_validity_follows_rfc3629, 0, (int)(sizeof(UTF8_CASES) / sizeof(UTF8_CASES[0])));
    tcase_add_test(units, percent_decode_refuses_what_is_not_utf8);
    tcase_add_test(units, log_escape_keeps_every_byte_visible);
    tcase_add_test(units, dotted_key_is_never_a_known_field);
    tcase_add_test(units, validation_without_an_error_array_fails_closed);
    tcase_add_test(units, long_unknown_key_is_named_whole);
    suite_add_tcase(s, units);
    TCase *http = tcase_create("http");
    tcase_add_checked_fixture(http, setup, teardown);
    tcase_set_timeout(http, 30);
    tcase_add_test(http, path_ids_that_are_not_utf8_are_404);
    tcase_add_test(http, raw_non_utf8_path_is_404_and_logged);
    tcase_add_test(http, top_level_dotted_key_is_refused);
    tcase_add_test(http, every_route_is_counted_under_its_own_name);
    tcase_add_test(http, other_tenants_ids_look_exactly_missing);
    suite_add_tcase(s, http);
    return s;
}
