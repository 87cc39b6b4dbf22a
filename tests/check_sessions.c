/* The console's sign-in (issue #14): POST /v1/sessions and its cookie,
 * cookie authentication on every ROUTE_AUTH route, the CSRF header on
 * every route that changes state, sign-out, expiry and revoked keys, end
 * to end against PostgreSQL. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_sessions.h"
#include "harness.h"
#include "routes.h"
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

static void assert_problem(const struct th_response *r, long status, const char *slug)
{
    ck_assert_msg(r->status == status, "expected %ld, got %ld: %s", status, r->status, r->body);
    char type[96];
    snprintf(type, sizeof(type), "urn:redress:problem:%s", slug);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "type")), type);
}

/* A signed-in session: its token (from Set-Cookie), its CSRF token and the
 * whole Set-Cookie line. */
struct session {
    char token[64];
    char csrf[64];
    char set_cookie[256];
    char cookie_header[128]; /* "Cookie: redress_session=..." */
    char csrf_header[128];   /* "X-CSRF-Token: ..." */
};

static void sign_in_at(unsigned port, const char *key, const char *extra_header, struct session *s)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"api_key\":\"%s\"}", key);
    const char *headers[] = { "Content-Type: application/json", extra_header, NULL };
    struct th_response r;
    th_request(port, "POST", "/v1/sessions", headers, body, strlen(body), &r);
    ck_assert_msg(r.status == 201, "sign in: %ld %s", r.status, r.body);
    ck_assert(th_header(&r, "Set-Cookie", s->set_cookie, sizeof(s->set_cookie)));
    const char *start = s->set_cookie + strlen("redress_session=");
    ck_assert_msg(strncmp(s->set_cookie, "redress_session=", 16) == 0, "%s", s->set_cookie);
    size_t len = strcspn(start, ";");
    ck_assert_uint_lt(len, sizeof(s->token));
    memcpy(s->token, start, len);
    s->token[len] = '\0';
    const char *csrf = json_string_value(json_object_get(r.json, "csrf_token"));
    ck_assert_ptr_nonnull(csrf);
    snprintf(s->csrf, sizeof(s->csrf), "%s", csrf);
    snprintf(s->cookie_header, sizeof(s->cookie_header), "Cookie: redress_session=%s", s->token);
    snprintf(s->csrf_header, sizeof(s->csrf_header), "X-CSRF-Token: %s", s->csrf);
    th_response_free(&r);
}

static void sign_in(struct session *s)
{
    sign_in_at(srv.port, api_key, NULL, s);
}

static long status_of(const char *method, const char *path, const char *const *headers, const char *body)
{
    struct th_response r;
    th_request(srv.port, method, path, headers, body, body != NULL ? strlen(body) : 0, &r);
    long status = r.status;
    th_response_free(&r);
    return status;
}

/* ---- the database, read and changed by SQL ---- */

/* One value of a one-row query (malloc'd), or NULL when no row. */
static char *db_value(const char *sql, const char *param)
{
    PGconn *conn = PQconnectdb(th_conninfo());
    ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "%s", PQerrorMessage(conn));
    const char *const params[] = { param };
    PGresult *res = PQexecParams(conn, sql, param != NULL ? 1 : 0, NULL, params, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK, "%s",
                  PQerrorMessage(conn));
    char *value = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 ? strdup(PQgetvalue(res, 0, 0))
                                                                               : NULL;
    PQclear(res);
    PQfinish(conn);
    return value;
}

static void db_run(const char *sql, const char *param)
{
    free(db_value(sql, param));
}

/* The hex SHA-256 of a session token, as the table stores it. */
static void token_digest_hex(const char *token, char hex[2 * CRYPTO_SHA256_LEN + 1])
{
    uint8_t digest[CRYPTO_SHA256_LEN];
    ck_assert_int_eq(crypto_sha256(token, strlen(token), digest), 0);
    crypto_hex(digest, sizeof(digest), hex);
}

/* ---- signing in ---- */

START_TEST(sign_in_answers_and_sets_a_strict_cookie)
{
    struct session s;
    /* A forged X-Forwarded-Proto from a peer that is not a trusted proxy
     * (none is configured here) must not make the cookie Secure. */
    sign_in_at(srv.port, api_key, "X-Forwarded-Proto: https", &s);
    ck_assert_uint_eq(strlen(s.token), 43);
    for (const char *p = s.token; *p; p++)
        ck_assert_msg(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p) != NULL,
                      "not base64url: %s", s.token);
    char expected[256];
    snprintf(expected, sizeof(expected), "redress_session=%s; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict",
             s.token);
    ck_assert_str_eq(s.set_cookie, expected);
    ck_assert_uint_eq(strlen(s.csrf), 43);
    ck_assert_str_ne(s.csrf, s.token);

    /* The body: tenant, expiry about 480 minutes ahead, CSRF token. */
    char body[256];
    snprintf(body, sizeof(body), "{\"api_key\":\"%s\"}", api_key);
    const char *headers[] = { "Content-Type: application/json", NULL };
    struct th_response r;
    th_request(srv.port, "POST", "/v1/sessions", headers, body, strlen(body), &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_int_eq((int)json_object_size(r.json), 3);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "tenant")), tenant_name);
    int64_t expires;
    ck_assert(validate_parse_time(json_string_value(json_object_get(r.json, "expires_at")), &expires));
    int64_t now = (int64_t)time(NULL);
    ck_assert_msg(expires > now + 479 * 60 && expires <= now + 481 * 60, "expires_at %s",
                  json_string_value(json_object_get(r.json, "expires_at")));
    char cache[64];
    ck_assert(th_header(&r, "Cache-Control", cache, sizeof(cache)));
    ck_assert_str_eq(cache, "no-store");
    /* Each sign-in is a new session. */
    char second[256];
    ck_assert(th_header(&r, "Set-Cookie", second, sizeof(second)));
    ck_assert_str_ne(second, s.set_cookie);
    th_response_free(&r);
}
END_TEST

START_TEST(sign_in_behind_a_trusted_tls_proxy_sets_secure)
{
    th_server_stop(&srv);
    const char *const extra[] = { "REDRESS_TRUSTED_PROXIES=127.0.0.1", "REDRESS_SESSION_TTL_MINUTES=5", NULL };
    th_server_start(&srv, th_conninfo(), extra);
    struct session s;
    sign_in_at(srv.port, api_key, "X-Forwarded-Proto: https", &s);
    char expected[256];
    snprintf(expected, sizeof(expected),
             "redress_session=%s; Path=/; Max-Age=300; HttpOnly; SameSite=Strict; Secure", s.token);
    ck_assert_str_eq(s.set_cookie, expected);
    /* The same proxy over plain HTTP: not Secure. */
    sign_in_at(srv.port, api_key, "X-Forwarded-Proto: http", &s);
    snprintf(expected, sizeof(expected), "redress_session=%s; Path=/; Max-Age=300; HttpOnly; SameSite=Strict",
             s.token);
    ck_assert_str_eq(s.set_cookie, expected);
    /* Signing out through the TLS proxy clears a Secure cookie. */
    sign_in_at(srv.port, api_key, "X-Forwarded-Proto: https", &s);
    const char *headers[] = { s.cookie_header, s.csrf_header, "X-Forwarded-Proto: https", NULL };
    struct th_response r;
    th_request(srv.port, "DELETE", "/v1/sessions/current", headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 204);
    char cleared[256];
    ck_assert(th_header(&r, "Set-Cookie", cleared, sizeof(cleared)));
    ck_assert_str_eq(cleared, "redress_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
    th_response_free(&r);
}
END_TEST

START_TEST(the_token_is_stored_only_as_its_digest)
{
    struct session s;
    sign_in(&s);
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    token_digest_hex(s.token, hex);
    char *row = db_value("SELECT s::text FROM sessions s WHERE token_digest = decode($1, 'hex')", hex);
    ck_assert_msg(row != NULL, "no row for the token's digest");
    ck_assert_msg(strstr(row, s.token) == NULL, "the token is stored in clear: %s", row);
    ck_assert_msg(strstr(row, s.csrf) == NULL, "the CSRF token is stored: %s", row);
    free(row);
    /* Nowhere in the table, in any form the text of a row shows. */
    char *clear = db_value("SELECT count(*) FROM sessions s WHERE strpos(s::text, $1) > 0", s.token);
    ck_assert_str_eq(clear, "0");
    free(clear);
    /* The key's prefix and the tenant are kept; the lifetime is the default. */
    char *prefix = db_value("SELECT key_prefix || ' ' || t.name || ' ' || "
                            "extract(epoch FROM s.expires_at - s.created_at)::bigint "
                            "FROM sessions s JOIN tenants t ON t.id = s.tenant_id WHERE token_digest = decode($1, 'hex')",
                            hex);
    char expected[128];
    snprintf(expected, sizeof(expected), "%.12s %s 28800", api_key + 4, tenant_name);
    ck_assert_str_eq(prefix, expected);
    free(prefix);
}
END_TEST

START_TEST(sign_in_refuses_a_wrong_key_and_a_wrong_body)
{
    const char *headers[] = { "Content-Type: application/json", NULL };
    struct th_response r;
    /* A well-formed key nobody has. */
    char key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1], body[256];
    uint8_t digest[CRYPTO_SHA256_LEN];
    ck_assert_int_eq(apikey_generate(key, prefix, digest), 0);
    snprintf(body, sizeof(body), "{\"api_key\":\"%s\"}", key);
    th_request(srv.port, "POST", "/v1/sessions", headers, body, strlen(body), &r);
    assert_problem(&r, 401, "unauthorized");
    ck_assert(!th_header(&r, "Set-Cookie", body, sizeof(body)));
    th_response_free(&r);
    /* Not a key at all. */
    th_request(srv.port, "POST", "/v1/sessions", headers, "{\"api_key\":\"letmein\"}", 21, &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
    /* A revoked key. */
    db_run("UPDATE api_keys SET revoked_at = now() WHERE prefix = $1", prefix);
    char other_name[64], other_key[APIKEY_LEN + 1];
    th_tenant_with_key(th_conninfo(), other_name, other_key);
    char other_prefix[APIKEY_PREFIX_LEN + 1];
    snprintf(other_prefix, sizeof(other_prefix), "%.12s", other_key + 4);
    db_run("UPDATE api_keys SET revoked_at = now() WHERE prefix = $1", other_prefix);
    snprintf(body, sizeof(body), "{\"api_key\":\"%s\"}", other_key);
    th_request(srv.port, "POST", "/v1/sessions", headers, body, strlen(body), &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);

    /* Bodies that are not {"api_key": "<string>"}: 400 naming the field. */
    static const struct {
        const char *body;
        const char *field;
    } BAD[] = {
        { "{}", "api_key" },
        { "{\"api_key\":5}", "api_key" },
        { "{\"api_key\":null}", "api_key" },
        { "{\"api_key\":\"\"}", "api_key" },
        { "{\"api_key\":\"rdr_x\",\"tenant\":\"demo\"}", "tenant" },
    };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        th_request(srv.port, "POST", "/v1/sessions", headers, BAD[i].body, strlen(BAD[i].body), &r);
        assert_problem(&r, 400, "validation");
        json_t *errors = json_object_get(r.json, "errors");
        ck_assert_msg(json_array_size(errors) >= 1, "%s", r.body);
        bool named = false;
        for (size_t e = 0; e < json_array_size(errors); e++)
            named |= strcmp(json_string_value(json_object_get(json_array_get(errors, e), "field")), BAD[i].field) == 0;
        ck_assert_msg(named, "%s: %s does not name %s", BAD[i].body, r.body, BAD[i].field);
        th_response_free(&r);
    }
    th_request(srv.port, "POST", "/v1/sessions", headers, "api_key=x", 9, &r);
    assert_problem(&r, 400, "malformed-json");
    th_response_free(&r);
}
END_TEST

/* ---- reading with the cookie ---- */

START_TEST(a_cookie_reads_and_recovers_its_csrf_token)
{
    struct session s;
    sign_in(&s);
    /* Among other cookies, with blanks around the pairs. */
    char cookie[256];
    snprintf(cookie, sizeof(cookie), "Cookie: theme=dark;  redress_session=%s ;lang=zh-CN", s.token);
    const char *headers[] = { cookie, NULL };
    struct th_response r;
    th_request(srv.port, "GET", "/v1/me", headers, NULL, 0, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "tenant")), tenant_name);
    th_response_free(&r);
    ck_assert_int_eq(status_of("GET", "/v1/policy", headers, NULL), 200);
    /* In a Cookie header of its own, and quoted. */
    char quoted[128];
    snprintf(quoted, sizeof(quoted), "Cookie: redress_session=\"%s\"", s.token);
    const char *two_headers[] = { "Cookie: theme=dark", quoted, NULL };
    ck_assert_int_eq(status_of("GET", "/v1/me", two_headers, NULL), 200);

    th_request(srv.port, "GET", "/v1/sessions/current", headers, NULL, 0, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "csrf_token")), s.csrf);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "tenant")), tenant_name);
    ck_assert_ptr_nonnull(json_string_value(json_object_get(r.json, "expires_at")));
    th_response_free(&r);

    /* Without a cookie, or with a Bearer key only: no session. */
    ck_assert_int_eq(status_of("GET", "/v1/sessions/current", NULL, NULL), 401);
    const char *bearer[] = { auth_header, NULL };
    th_request(srv.port, "GET", "/v1/sessions/current", bearer, NULL, 0, &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
}
END_TEST

START_TEST(a_malformed_unknown_or_doubled_cookie_is_refused)
{
    struct session s, t;
    sign_in(&s);
    sign_in(&t);
    const char *malformed[] = { "Cookie: redress_session=not-a-token", NULL };
    struct th_response r;
    th_request(srv.port, "GET", "/v1/me", malformed, NULL, 0, &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
    /* Well-formed, never issued. */
    const char *unknown[] = { "Cookie: redress_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL };
    ck_assert_int_eq(status_of("GET", "/v1/me", unknown, NULL), 401);
    /* Two different sessions at once: neither is taken. */
    char both[256];
    snprintf(both, sizeof(both), "Cookie: redress_session=%s; redress_session=%s", s.token, t.token);
    const char *doubled[] = { both, NULL };
    ck_assert_int_eq(status_of("GET", "/v1/me", doubled, NULL), 401);
    /* The same one twice is still that session. */
    snprintf(both, sizeof(both), "Cookie: redress_session=%s; redress_session=%s", s.token, s.token);
    ck_assert_int_eq(status_of("GET", "/v1/me", doubled, NULL), 200);
    /* A cookie of another name holding the token is not the session. */
    snprintf(both, sizeof(both), "Cookie: xredress_session=%s", s.token);
    ck_assert_int_eq(status_of("GET", "/v1/me", doubled, NULL), 401);
}
END_TEST

/* ---- CSRF on every route that changes state ---- */

struct route_row {
    const char *method;
    const char *pattern;
    unsigned flags;
};

#define ROUTE_ROW_OF(method, pattern, handler, flags) { method, pattern, flags },
static const struct route_row ROUTE_ROWS[] = { HTTP_ROUTES(ROUTE_ROW_OF) };

/* The pattern with each {} filled with a plausible value. */
static void route_path(const char *pattern, char *out, size_t size)
{
    const char *value = strncmp(pattern, "/v1/imports/", 12) == 0      ? "fba-returns"
                        : strncmp(pattern, "/v1/connectors/", 15) == 0 ? "zendesk"
                        : strncmp(pattern, "/v1/skus/", 9) == 0        ? "MUG-01"
                                                                       : "00000000-0000-4000-8000-000000000000";
    size_t n = 0;
    for (const char *p = pattern; *p != '\0' && n + 64 < size; p++) {
        if (p[0] == '{' && p[1] == '}') {
            n += (size_t)snprintf(out + n, size - n, "%s", value);
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

START_TEST(every_state_changing_route_needs_the_csrf_token)
{
    int checked = 0;
    for (size_t i = 0; i < sizeof(ROUTE_ROWS) / sizeof(ROUTE_ROWS[0]); i++) {
        const struct route_row *route = &ROUTE_ROWS[i];
        if (!(route->flags & ROUTE_AUTH) || strcmp(route->method, "GET") == 0)
            continue;
        char path[256];
        route_path(route->pattern, path, sizeof(path));
        const char *type = (route->flags & ROUTE_MERGE_PATCH) ? "Content-Type: application/merge-patch+json"
                                                              : "Content-Type: application/json";
        const char *body = (route->flags & (ROUTE_JSON_BODY | ROUTE_STREAM_BODY)) ? "{}" : NULL;
        struct session s;
        sign_in(&s); /* one each: DELETE /v1/sessions/current ends it */
        const char *wrong_csrf = "X-CSRF-Token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        const char *without[] = { s.cookie_header, type, NULL };
        const char *wrong[] = { s.cookie_header, type, wrong_csrf, NULL };
        const char *right[] = { s.cookie_header, type, s.csrf_header, NULL };
        struct th_response r;
        th_request(srv.port, route->method, path, without, body, body ? strlen(body) : 0, &r);
        ck_assert_msg(r.status == 403, "%s %s without X-CSRF-Token: %ld %s", route->method, path, r.status, r.body);
        assert_problem(&r, 403, "csrf-rejected");
        ck_assert_msg(strstr(json_string_value(json_object_get(r.json, "detail")), "X-CSRF-Token") != NULL, "%s",
                      r.body);
        th_response_free(&r);
        th_request(srv.port, route->method, path, wrong, body, body ? strlen(body) : 0, &r);
        ck_assert_msg(r.status == 403, "%s %s with a wrong X-CSRF-Token: %ld %s", route->method, path, r.status,
                      r.body);
        assert_problem(&r, 403, "csrf-rejected");
        th_response_free(&r);
        /* Another session's token is wrong too. */
        struct session other;
        sign_in(&other);
        const char *others[] = { s.cookie_header, type, other.csrf_header, NULL };
        ck_assert_int_eq(status_of(route->method, path, others, body), 403);
        long status = status_of(route->method, path, right, body);
        ck_assert_msg(status != 403 && status != 401, "%s %s with the right token: %ld", route->method, path, status);
        checked++;
    }
    ck_assert_int_ge(checked, 10);
}
END_TEST

START_TEST(a_bearer_key_needs_no_csrf_token_and_wins_over_a_cookie)
{
    const char *headers[] = { auth_header, "Content-Type: application/json", NULL };
    const char *body = "{\"channel\":\"amazon\",\"body\":\"Sorry about that, a replacement is on its way.\"}";
    ck_assert_int_eq(status_of("POST", "/v1/replies/check", headers, body), 200);
    /* With a broken cookie beside it, the key decides. */
    const char *with_cookie[] = { auth_header, "Cookie: redress_session=not-a-token", NULL };
    ck_assert_int_eq(status_of("GET", "/v1/me", with_cookie, NULL), 200);
    /* A bad key is not rescued by a good cookie. */
    struct session s;
    sign_in(&s);
    const char *bad_key[] = { "Authorization: Bearer rdr_nope", s.cookie_header, NULL };
    ck_assert_int_eq(status_of("GET", "/v1/me", bad_key, NULL), 401);
}
END_TEST

/* ---- tenants ---- */

START_TEST(a_session_never_reads_another_tenants_case)
{
    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    const char *body = "{\"channel\":\"amazon\",\"order\":{\"order_id\":\"111-2223334-5556667\",\"sku\":\"MUG-01\","
                       "\"currency\":\"USD\",\"item_price\":2599,\"shipping_paid\":499},"
                       "\"buyer\":{\"buyer_id\":\"SESSION-BUYER\",\"name\":\"Jane\",\"language\":\"en\"},"
                       "\"issue\":{\"category\":\"minor_defect\",\"description\":\"scratch\"}}";
    const char *post[] = { other_auth, "Content-Type: application/json", NULL };
    struct th_response r;
    th_request(srv.port, "POST", "/v1/cases", post, body, strlen(body), &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    char path[128];
    snprintf(path, sizeof(path), "/v1/cases/%s", json_string_value(json_object_get(r.json, "case_id")));
    th_response_free(&r);
    const char *theirs[] = { other_auth, NULL };
    ck_assert_int_eq(status_of("GET", path, theirs, NULL), 200);

    struct session s;
    sign_in(&s); /* tenant A */
    const char *mine[] = { s.cookie_header, NULL };
    th_request(srv.port, "GET", path, mine, NULL, 0, &r);
    assert_problem(&r, 404, "not-found");
    th_response_free(&r);
    /* ... and B's session reads it. */
    struct session b;
    sign_in_at(srv.port, other_key, NULL, &b);
    const char *bs[] = { b.cookie_header, NULL };
    ck_assert_int_eq(status_of("GET", path, bs, NULL), 200);
}
END_TEST

/* ---- the end of a session ---- */

START_TEST(signing_out_ends_the_session)
{
    struct session s, kept;
    sign_in(&s);
    sign_in(&kept);
    const char *headers[] = { s.cookie_header, s.csrf_header, NULL };
    struct th_response r;
    th_request(srv.port, "DELETE", "/v1/sessions/current", headers, NULL, 0, &r);
    ck_assert_msg(r.status == 204, "%ld %s", r.status, r.body);
    ck_assert_uint_eq(r.body_len, 0);
    char cleared[256];
    ck_assert(th_header(&r, "Set-Cookie", cleared, sizeof(cleared)));
    ck_assert_str_eq(cleared, "redress_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    th_response_free(&r);
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    token_digest_hex(s.token, hex);
    char *revoked = db_value("SELECT revoked_at IS NOT NULL FROM sessions WHERE token_digest = decode($1, 'hex')", hex);
    ck_assert_str_eq(revoked, "t");
    free(revoked);
    const char *old[] = { s.cookie_header, NULL };
    th_request(srv.port, "GET", "/v1/me", old, NULL, 0, &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
    ck_assert_int_eq(status_of("DELETE", "/v1/sessions/current", headers, NULL), 401);
    /* Another session of the same key goes on. */
    const char *other[] = { kept.cookie_header, NULL };
    ck_assert_int_eq(status_of("GET", "/v1/me", other, NULL), 200);
}
END_TEST

/* A sign-in that comes with the browser's current session replaces it. */
START_TEST(signing_in_again_revokes_the_session_it_replaces)
{
    struct session first, second;
    sign_in(&first);
    sign_in_at(srv.port, api_key, first.cookie_header, &second);
    ck_assert_str_ne(first.token, second.token);
    const char *old[] = { first.cookie_header, NULL };
    ck_assert_int_eq(status_of("GET", "/v1/me", old, NULL), 401);
    const char *now[] = { second.cookie_header, NULL };
    ck_assert_int_eq(status_of("GET", "/v1/me", now, NULL), 200);
}
END_TEST

/* A page of another site cannot sign a browser into its tenant; the same
 * site, and clients that say nothing of where they come from, can. */
START_TEST(a_sign_in_from_another_site_is_refused)
{
    char body[256], same_origin[96], host[64];
    snprintf(body, sizeof(body), "{\"api_key\":\"%s\"}", api_key);
    snprintf(host, sizeof(host), "127.0.0.1:%u", srv.port);
    snprintf(same_origin, sizeof(same_origin), "Origin: http://%s", host);
    const char *const refused[][2] = {
        { "Origin: https://evil.example", NULL },
        { "Origin: null", NULL },
        { "Sec-Fetch-Site: cross-site", NULL },
        { same_origin, "Sec-Fetch-Site: cross-site" },
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        const char *headers[] = { "Content-Type: application/json", refused[i][0], refused[i][1], NULL };
        struct th_response r;
        th_request(srv.port, "POST", "/v1/sessions", headers, body, strlen(body), &r);
        assert_problem(&r, 403, "csrf-rejected");
        char cookie[64];
        ck_assert_msg(!th_header(&r, "Set-Cookie", cookie, sizeof(cookie)), "%s set a cookie", refused[i][0]);
        th_response_free(&r);
    }
    /* a proxy that passes the host without the port (nginx's $host) */
    const char *portless[] = { "Content-Type: application/json", "Host: 127.0.0.1", same_origin, NULL };
    struct th_response r;
    th_request(srv.port, "POST", "/v1/sessions", portless, body, strlen(body), &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    th_response_free(&r);
    /* ... but not another host name behind it */
    const char *other_host[] = { "Content-Type: application/json", "Host: 127.0.0.1",
                                 "Origin: http://127.0.0.2:8080", NULL };
    th_request(srv.port, "POST", "/v1/sessions", other_host, body, strlen(body), &r);
    assert_problem(&r, 403, "csrf-rejected");
    th_response_free(&r);
    struct session s;
    sign_in_at(srv.port, api_key, same_origin, &s);
    sign_in_at(srv.port, api_key, "Sec-Fetch-Site: same-origin", &s);
    sign_in(&s); /* no Origin at all: curl, an integration */
}
END_TEST

START_TEST(an_expired_session_is_refused_at_once)
{
    struct session s;
    sign_in(&s);
    const char *headers[] = { s.cookie_header, NULL };
    ck_assert_int_eq(status_of("GET", "/v1/me", headers, NULL), 200);
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    token_digest_hex(s.token, hex);
    db_run("UPDATE sessions SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' "
           "WHERE token_digest = decode($1, 'hex')",
           hex);
    struct th_response r;
    th_request(srv.port, "GET", "/v1/me", headers, NULL, 0, &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
    ck_assert_int_eq(status_of("GET", "/v1/sessions/current", headers, NULL), 401);
}
END_TEST

START_TEST(revoking_the_key_ends_its_sessions_at_once)
{
    struct session s;
    sign_in(&s);
    const char *headers[] = { s.cookie_header, NULL };
    ck_assert_int_eq(status_of("GET", "/v1/me", headers, NULL), 200);
    char prefix[APIKEY_PREFIX_LEN + 1];
    snprintf(prefix, sizeof(prefix), "%.12s", api_key + 4);
    db_run("UPDATE api_keys SET revoked_at = now() WHERE prefix = $1", prefix);
    struct th_response r;
    th_request(srv.port, "GET", "/v1/me", headers, NULL, 0, &r);
    assert_problem(&r, 401, "unauthorized");
    th_response_free(&r);
}
END_TEST

START_TEST(the_maintenance_purge_deletes_only_expired_sessions)
{
    struct session expired, live;
    sign_in(&expired);
    sign_in(&live);
    char expired_hex[2 * CRYPTO_SHA256_LEN + 1], live_hex[2 * CRYPTO_SHA256_LEN + 1];
    token_digest_hex(expired.token, expired_hex);
    token_digest_hex(live.token, live_hex);
    db_run("UPDATE sessions SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' "
           "WHERE token_digest = decode($1, 'hex')",
           expired_hex);
    char err[256];
    struct db *db = db_open(th_conninfo(), err, sizeof(err));
    ck_assert_msg(db != NULL, "%s", err);
    long deleted = -1;
    ck_assert_int_eq(db_sessions_purge(db, &deleted), DB_OK);
    db_close(db);
    ck_assert_int_ge(deleted, 1);
    char *gone = db_value("SELECT count(*) FROM sessions WHERE token_digest = decode($1, 'hex')", expired_hex);
    ck_assert_str_eq(gone, "0");
    free(gone);
    char *kept = db_value("SELECT count(*) FROM sessions WHERE token_digest = decode($1, 'hex')", live_hex);
    ck_assert_str_eq(kept, "1");
    free(kept);
}
END_TEST

Suite *sessions_suite(void)
{
    Suite *s = suite_create("sessions");
    TCase *tc = tcase_create("sessions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sign_in_answers_and_sets_a_strict_cookie);
    tcase_add_test(tc, sign_in_behind_a_trusted_tls_proxy_sets_secure);
    tcase_add_test(tc, the_token_is_stored_only_as_its_digest);
    tcase_add_test(tc, sign_in_refuses_a_wrong_key_and_a_wrong_body);
    tcase_add_test(tc, a_cookie_reads_and_recovers_its_csrf_token);
    tcase_add_test(tc, a_malformed_unknown_or_doubled_cookie_is_refused);
    tcase_add_test(tc, every_state_changing_route_needs_the_csrf_token);
    tcase_add_test(tc, a_bearer_key_needs_no_csrf_token_and_wins_over_a_cookie);
    tcase_add_test(tc, a_session_never_reads_another_tenants_case);
    tcase_add_test(tc, signing_out_ends_the_session);
    tcase_add_test(tc, signing_in_again_revokes_the_session_it_replaces);
    tcase_add_test(tc, a_sign_in_from_another_site_is_refused);
    tcase_add_test(tc, an_expired_session_is_refused_at_once);
    tcase_add_test(tc, revoking_the_key_ends_its_sessions_at_once);
    tcase_add_test(tc, the_maintenance_purge_deletes_only_expired_sessions);
    suite_add_tcase(s, tc);
    return s;
}
