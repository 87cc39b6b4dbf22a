/* HTTP integration tests: the real server on an ephemeral port, against
 * this run's PostgreSQL, spoken to over HTTP. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "harness.h"
#include "http_text.h"

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
    char forged[TH_AUTH_HEADER_SIZE];
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

/* ---- raw sockets: for what an HTTP client library would not send ---- */

/* A connection to the server from a loopback address of our choosing (the
 * per-address limit counts by address). */
static int raw_connect(unsigned port, const char *from)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in local = { .sin_family = AF_INET };
    inet_pton(AF_INET, from, &local.sin_addr);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&local, sizeof(local)), 0);
    struct sockaddr_in remote = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&remote, sizeof(remote)), 0);
    return fd;
}

static void raw_send(int fd, const char *data, size_t len)
{
    ck_assert_int_eq(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

enum raw_end { RAW_CLOSED, RAW_TIMED_OUT, RAW_COMPLETE, RAW_HEAD };

/* Read into buf (NUL-terminated) until the server closes the connection
 * (RAW_CLOSED, a reset included), or, with want_complete, until one whole
 * response (head and Content-Length body) is in (RAW_COMPLETE). The
 * timeout only keeps a broken server from hanging the test. */
static enum raw_end raw_read(int fd, char *buf, size_t size, bool want_complete, int timeout_ms)
{
    size_t len = 0;
    buf[0] = '\0';
    for (;;) {
        if (want_complete && strcmp(buf, "HTTP/1.1 100 Continue\r\n\r\n") == 0)
            return RAW_HEAD; /* an interim response: the head was read and accepted */
        if (want_complete) {
            const char *end = strstr(buf, "\r\n\r\n");
            const char *length = strstr(buf, "Content-Length: ");
            if (end != NULL && length != NULL && length < end
                && len >= (size_t)(end + 4 - buf) + strtoul(length + 16, NULL, 10))
                return RAW_COMPLETE;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, timeout_ms) != 1)
            return RAW_TIMED_OUT;
        ssize_t n = recv(fd, buf + len, size - 1 - len, 0);
        if (n <= 0)
            return RAW_CLOSED;
        len += (size_t)n;
        buf[len] = '\0';
        ck_assert_msg(len < size - 1, "response larger than the test's buffer");
    }
}

static int count_status_lines(const char *response)
{
    int n = 0;
    for (const char *at = response; (at = strstr(at, "HTTP/1.")) != NULL; at++)
        n += at == response || (at >= response + 2 && at[-1] == '\n');
    return n;
}

/* The problem+json body of a raw response, parsed (caller decrefs). */
static json_t *raw_problem(const char *response)
{
    ck_assert_msg(strstr(response, "\r\nContent-Type: application/problem+json\r\n") != NULL,
                  "not problem+json: %s", response);
    const char *body = strstr(response, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    json_t *json = json_loads(body + 4, 0, NULL);
    ck_assert_msg(json != NULL, "body is not JSON: %s", body + 4);
    return json;
}

static void restart_with(const char *const *settings)
{
    th_server_stop(&srv);
    th_server_start(&srv, th_conninfo(), settings);
}

/* Each of these once got a wrong answer: no answer (too many query
 * parameters), or acceptance of what a proxy in front may read differently
 * (framing), or a key silently cut at a NUL. Each gets exactly one
 * response: 400 problem+json naming what is wrong, and the connection is
 * closed. */
START_TEST(malformed_http_gets_one_problem)
{
    static char params[8192];
    size_t at = (size_t)snprintf(params, sizeof(params), "GET /healthz?");
    for (int i = 0; i < 1000; i++)
        at += (size_t)snprintf(params + at, sizeof(params) - at, "%sp%d=v", i ? "&" : "", i);
    snprintf(params + at, sizeof(params) - at, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    static const char nul_key[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nIdempotency-Key: abc\0def\r\n"
                                  "Connection: close\r\n\r\n";
    struct {
        const char *request;
        size_t len;
        const char *detail;
    } cases[] = {
        { params, strlen(params), "the query may have at most" },
        { "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\nhello", 0,
          "Content-Length: sent more than once" },
        { "POST /v1/replies/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 0,
          "Transfer-Encoding and Content-Length" },
        { nul_key, sizeof(nul_key) - 1, "Idempotency-Key: the value contains a NUL byte" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int fd = raw_connect(srv.port, "127.0.0.1");
        raw_send(fd, cases[i].request, cases[i].len ? cases[i].len : strlen(cases[i].request));
        static char response[16384];
        ck_assert_msg(raw_read(fd, response, sizeof(response), false, 20000) == RAW_CLOSED,
                      "case %zu: the connection stayed open; so far: %s", i, response);
        close(fd);
        ck_assert_msg(count_status_lines(response) == 1, "case %zu: %d responses: %s", i,
                      count_status_lines(response), response);
        ck_assert_msg(strncmp(response, "HTTP/1.1 400 ", 13) == 0, "case %zu: %s", i, response);
        json_t *problem = raw_problem(response);
        ck_assert_str_eq(json_string_value(json_object_get(problem, "type")), "urn:redress:problem:bad-parameter");
        const char *detail = json_string_value(json_object_get(problem, "detail"));
        ck_assert_msg(detail != NULL && strstr(detail, cases[i].detail) == detail, "case %zu: detail %s", i, detail);
        json_decref(problem);
    }
    /* the same value twice is one length, and fine */
    int fd = raw_connect(srv.port, "127.0.0.1");
    const char *twice = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n"
                        "Connection: close\r\n\r\nhi";
    raw_send(fd, twice, strlen(twice));
    static char response[4096];
    raw_read(fd, response, sizeof(response), false, 20000);
    close(fd);
    ck_assert_msg(strncmp(response, "HTTP/1.1 200 ", 13) == 0, "%s", response);
}
END_TEST

/* REDRESS_CONNECTION_MEMORY_KIB went from 64 to 32 (per idle connection
 * 64.5 KB of memory became 32.6): the largest head the contract allows,
 * with 6 KiB of other headers on top (9 KiB; deploy/nginx.conf passes no
 * more), is still served. */
START_TEST(largest_legitimate_head_is_served)
{
    static char request[16384];
    size_t at = http_text_largest_head(request, sizeof(request), auth_header);
    int fd = raw_connect(srv.port, "127.0.0.1");
    raw_send(fd, request, at);
    static char response[8192];
    raw_read(fd, response, sizeof(response), false, 20000);
    close(fd);
    /* answered by the service (no costs stored for that SKU), not refused as too large */
    ck_assert_msg(strncmp(response, "HTTP/1.1 200 ", 13) == 0 || strncmp(response, "HTTP/1.1 404 ", 13) == 0,
                  "%zu-byte head: %s", at, response);
    ck_assert(strstr(response, "\r\nX-Request-Id: rrrr") != NULL);
}
END_TEST

/* A client trickling its request head a byte at a time kept its connection
 * for ever (the idle timeout restarts on every byte). */
START_TEST(head_deadline_closes_trickling_connection)
{
    const char *settings[] = { "REDRESS_REQUEST_HEAD_TIMEOUT=1", NULL };
    restart_with(settings);
    /* an idle keep-alive connection is not a slow head: it stays */
    int idle = raw_connect(srv.port, "127.0.0.1");
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    raw_send(idle, get, strlen(get));
    static char response[4096];
    ck_assert_int_eq(raw_read(idle, response, sizeof(response), true, 20000), RAW_COMPLETE);

    int slow = raw_connect(srv.port, "127.0.0.1");
    raw_send(slow, "GET /healthz HTTP/1.1\r\n", 24);
    bool closed = false;
    /* a byte every 100 ms, for up to a minute (a broken server) */
    for (int i = 0; i < 600 && !closed; i++) {
        struct pollfd p = { .fd = slow, .events = POLLIN };
        if (poll(&p, 1, 100) == 1) {
            char byte;
            closed = recv(slow, &byte, 1, 0) <= 0;
            ck_assert_msg(closed, "the server answered an incomplete head");
        } else if (send(slow, "X", 1, MSG_NOSIGNAL) != 1) {
            closed = true;
        }
    }
    close(slow);
    ck_assert_msg(closed, "a head trickled for a minute and the connection is still open");

    /* by now the idle connection is past the deadline too, and still serves */
    raw_send(idle, get, strlen(get));
    ck_assert_int_eq(raw_read(idle, response, sizeof(response), true, 20000), RAW_COMPLETE);
    ck_assert_msg(strncmp(response, "HTTP/1.1 200 ", 13) == 0, "%s", response);
    close(idle);
}
END_TEST

/* Holds `n` connections from `from`, each having been answered once (so
 * that the server has certainly accepted it). */
static void hold_connections(int *fds, int n, const char *from)
{
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    static char response[4096];
    for (int i = 0; i < n; i++) {
        fds[i] = raw_connect(srv.port, from);
        raw_send(fds[i], get, strlen(get));
        ck_assert_int_eq(raw_read(fds[i], response, sizeof(response), true, 20000), RAW_COMPLETE);
    }
}

/* Refused means closed without an answer, at once: not left waiting. */
static void assert_refused(const char *from)
{
    int fd = raw_connect(srv.port, from);
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    send(fd, get, strlen(get), MSG_NOSIGNAL); /* may already fail: refused */
    static char response[4096];
    ck_assert_msg(raw_read(fd, response, sizeof(response), false, 20000) == RAW_CLOSED,
                  "the connection from %s was neither answered nor closed", from);
    ck_assert_msg(response[0] == '\0', "a refused connection was answered: %s", response);
    close(fd);
}

START_TEST(per_address_limit_refuses_the_next_connection)
{
    const char *settings[] = { "REDRESS_CONNECTION_LIMIT_PER_ADDRESS=3", NULL };
    restart_with(settings);
    int held[3];
    hold_connections(held, 3, "127.0.0.1");
    assert_refused("127.0.0.1");
    int other; /* another address still gets in */
    hold_connections(&other, 1, "127.0.0.2");
    close(other);
    close(held[0]); /* a freed slot is usable again */
    bool admitted = false;
    for (int i = 0; i < 1000 && !admitted; i++) { /* once the server has seen the close */
        int fd = raw_connect(srv.port, "127.0.0.1");
        const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        send(fd, get, strlen(get), MSG_NOSIGNAL);
        static char response[4096];
        admitted = raw_read(fd, response, sizeof(response), true, 20000) == RAW_COMPLETE;
        close(fd);
        if (!admitted) {
            struct timespec pause = { 0, 20 * 1000000L };
            nanosleep(&pause, NULL);
        }
    }
    ck_assert(admitted);
    close(held[1]);
    close(held[2]);
}
END_TEST

START_TEST(trusted_proxy_is_exempt_from_the_per_address_limit)
{
    const char *settings[] = { "REDRESS_CONNECTION_LIMIT_PER_ADDRESS=2", "REDRESS_TRUSTED_PROXIES=127.0.0.3", NULL };
    restart_with(settings);
    int held[4];
    hold_connections(held, 4, "127.0.0.3");
    for (int i = 0; i < 4; i++)
        close(held[i]);
}
END_TEST

/* Beyond REDRESS_CONNECTION_LIMIT clients hung in the listen backlog. */
START_TEST(beyond_connection_limit_refused_at_once)
{
    const char *settings[] = { "REDRESS_CONNECTION_LIMIT=3", NULL };
    restart_with(settings);
    int held[3];
    hold_connections(held, 1, "127.0.0.1");
    hold_connections(held + 1, 1, "127.0.0.2");
    hold_connections(held + 2, 1, "127.0.0.3");
    assert_refused("127.0.0.4");
    for (int i = 0; i < 3; i++)
        close(held[i]);
}
END_TEST

struct stopper {
    pthread_t thread;
    struct timespec began, ended;
};

static void *stop_server(void *p)
{
    struct stopper *stopper = p;
    clock_gettime(CLOCK_MONOTONIC, &stopper->began);
    http_server_stop(srv.server, 60);
    clock_gettime(CLOCK_MONOTONIC, &stopper->ended);
    return NULL;
}

/* SIGTERM once cut requests that were running on keep-alive connections
 * (after committing them) and kept taking new ones until the grace ran out. */
START_TEST(stop_answers_in_flight_and_closes_the_rest)
{
    static char response[8192];
    /* in flight: the head is in, the body is still coming */
    const char *body = "{\"channel\":\"shopify\",\"body\":\"Thanks for your order.\"}";
    char head[512];
    snprintf(head, sizeof(head),
             "POST /v1/replies/check HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nExpect: 100-continue\r\n\r\n", auth_header, strlen(body));
    int busy = raw_connect(srv.port, "127.0.0.1");
    raw_send(busy, head, strlen(head));
    /* 100 Continue: the server has the head, authenticated, and waits */
    ck_assert_int_eq(raw_read(busy, response, sizeof(response), true, 20000), RAW_HEAD);
    raw_send(busy, body, 10);
    /* idle: answered once, kept alive */
    int idle;
    hold_connections(&idle, 1, "127.0.0.1");
    /* a head half sent */
    int partial = raw_connect(srv.port, "127.0.0.1");
    raw_send(partial, "GET /healthz HTTP/1.1\r\n", 24);

    struct stopper stopper;
    pthread_create(&stopper.thread, NULL, stop_server, &stopper);
    /* the idle and the half-sent connections are closed without an answer */
    ck_assert_int_eq(raw_read(idle, response, sizeof(response), false, 20000), RAW_CLOSED);
    ck_assert_str_eq(response, "");
    ck_assert_int_eq(raw_read(partial, response, sizeof(response), false, 20000), RAW_CLOSED);
    ck_assert_str_eq(response, "");
    /* the request in flight completes, answered with Connection: close */
    raw_send(busy, body + 10, strlen(body) - 10);
    ck_assert_int_eq(raw_read(busy, response, sizeof(response), false, 20000), RAW_CLOSED);
    ck_assert_msg(strncmp(response, "HTTP/1.1 200 ", 13) == 0, "%s", response);
    ck_assert_msg(strstr(response, "\r\nConnection: close\r\n") != NULL, "%s", response);
    ck_assert_int_eq(count_status_lines(response), 1);
    close(busy);
    close(idle);
    close(partial);
    /* and the stop returns once nothing is in flight, long before its 60 s */
    pthread_join(stopper.thread, NULL);
    srv.server = NULL;
    double took = (double)(stopper.ended.tv_sec - stopper.began.tv_sec);
    ck_assert_msg(took < 30, "the stop waited out its grace (%.0f s)", took);
    th_server_start(&srv, th_conninfo(), NULL); /* for the fixture's teardown */
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
    tcase_add_test(tc, malformed_http_gets_one_problem);
    tcase_add_test(tc, largest_legitimate_head_is_served);
    tcase_add_test(tc, head_deadline_closes_trickling_connection);
    tcase_add_test(tc, per_address_limit_refuses_the_next_connection);
    tcase_add_test(tc, trusted_proxy_is_exempt_from_the_per_address_limit);
    tcase_add_test(tc, beyond_connection_limit_refused_at_once);
    tcase_add_test(tc, stop_answers_in_flight_and_closes_the_rest);
    suite_add_tcase(s, tc);
    return s;
}
