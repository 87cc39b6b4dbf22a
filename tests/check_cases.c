/* Recorded cases end to end: HTTP in, PostgreSQL underneath. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "harness.h"
#include "pgproxy.h"

static struct th_server srv;
static char tenant_name[64], api_key[APIKEY_LEN + 1], auth_header[TH_AUTH_HEADER_SIZE];

static void setup(void)
{
    const char *threads[] = { "REDRESS_THREADS=8", NULL };
    th_server_start(&srv, th_conninfo(), threads);
    th_tenant_with_auth(th_conninfo(), tenant_name, api_key, auth_header);
}

static void teardown(void)
{
    th_server_stop(&srv);
}

/* A valid case body for this buyer and category. */
static char *case_body(const char *buyer, const char *category, const char *extra_order_fields)
{
    static char body[2048];
    snprintf(body, sizeof(body),
             "{\"ticket_id\":\"ZD-1\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-1234567-1234567\","
             "\"sku\":\"MUG-01\",\"currency\":\"USD\",\"item_price\":2599,\"shipping_paid\":499%s},"
             "\"buyer\":{\"buyer_id\":\"%s\",\"name\":\"Jane\",\"language\":\"en\"},"
             "\"issue\":{\"category\":\"%s\",\"description\":\"scratch\"}}",
             extra_order_fields ? extra_order_fields : "", buyer, category);
    return body;
}

static void post_case(const char *key_header, const char *auth, const char *body, const char *query,
                      struct th_response *r)
{
    const char *headers[] = { auth, "Content-Type: application/json", key_header, NULL };
    char path[128];
    snprintf(path, sizeof(path), "/v1/cases%s", query ? query : "");
    th_request(srv.port, "POST", path, headers, body, strlen(body), r);
}

/* sql takes the tenant's name as $1. */
static long count_rows(const char *sql)
{
    PGconn *conn = PQconnectdb(th_conninfo());
    const char *const params[] = { tenant_name };
    PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(conn));
    long n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(conn);
    return n;
}

static long cases_of_tenant(void)
{
    return count_rows("SELECT count(*) FROM cases WHERE tenant_id = (SELECT id FROM tenants WHERE name = $1)");
}

static const char *str_at(json_t *root, const char *a, const char *b)
{
    json_t *v = json_object_get(root, a);
    return json_string_value(b ? json_object_get(v, b) : v);
}

START_TEST(create_read_outcome_buyer)
{
    struct th_response r;
    post_case(NULL, auth_header, case_body("BUYER-1", "minor_defect", ",\"customized\":true"), NULL, &r);
    ck_assert_int_eq(r.status, 201);
    const char *case_id = str_at(r.json, "case_id", NULL);
    ck_assert(case_id != NULL && crypto_uuid_valid(case_id));
    char location[128], expected[128];
    ck_assert(th_header(&r, "Location", location, sizeof(location)));
    snprintf(expected, sizeof(expected), "/v1/cases/%s", case_id);
    ck_assert_str_eq(location, expected);
    ck_assert_str_eq(str_at(r.json, "tier", NULL), "goodwill");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r.json, "remedy"), "refund_amount")), 780);
    char id[64];
    snprintf(id, sizeof(id), "%s", case_id);
    th_response_free(&r);

    const char *headers[] = { auth_header, NULL };
    th_request(srv.port, "GET", location, headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str_at(r.json, "case_id", NULL), id);
    ck_assert_str_eq(str_at(json_object_get(r.json, "request"), "buyer", "buyer_id"), "BUYER-1");
    ck_assert_str_eq(str_at(json_object_get(r.json, "decision"), "tier", NULL), "goodwill");
    ck_assert(json_is_null(json_object_get(r.json, "outcome")));
    th_response_free(&r);

    char path[128];
    snprintf(path, sizeof(path), "/v1/cases/%s/outcome", id);
    const char *post[] = { auth_header, "Content-Type: application/json", NULL };
    const char *first = "{\"status\":\"accepted\",\"final_refund\":780,\"review_outcome\":\"avoided\",\"order_retained\":true}";
    th_request(srv.port, "POST", path, post, first, strlen(first), &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "revision")), 1);
    ck_assert_str_eq(str_at(r.json, "review_outcome", NULL), "avoided");
    th_response_free(&r);
    const char *second = "{\"status\":\"returned\",\"final_refund\":3098,\"note\":\"changed her mind after all\"}";
    th_request(srv.port, "POST", path, post, second, strlen(second), &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "revision")), 2);
    ck_assert(json_is_null(json_object_get(r.json, "order_retained")));
    th_response_free(&r);

    th_request(srv.port, "GET", location, headers, NULL, 0, &r);
    ck_assert_str_eq(str_at(json_object_get(r.json, "outcome"), "status", NULL), "returned"); /* last stands */
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "outcome_history")), 2);       /* both kept */
    th_response_free(&r);

    th_request(srv.port, "GET", "/v1/buyers/BUYER-1", headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "cases_90d")), 1);
    json_t *refunds = json_array_get(json_object_get(r.json, "refunds"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(refunds, "refunded_365d")), 3098); /* the final refund */
    ck_assert_str_eq(str_at(json_array_get(json_object_get(r.json, "recent_cases"), 0), "outcome", NULL), "returned");
    ck_assert_str_eq(str_at(json_object_get(r.json, "abuse"), "risk", NULL), "low");
    th_response_free(&r);
}
END_TEST

START_TEST(other_tenants_see_404)
{
    struct th_response r;
    post_case(NULL, auth_header, case_body("SHARED-BUYER", "defective", NULL), NULL, &r);
    ck_assert_int_eq(r.status, 201);
    char path[128], outcome_path[160];
    snprintf(path, sizeof(path), "/v1/cases/%s", str_at(r.json, "case_id", NULL));
    snprintf(outcome_path, sizeof(outcome_path), "%s/outcome", path);
    th_response_free(&r);

    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    const char *headers[] = { other_auth, NULL };
    th_request(srv.port, "GET", path, headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
    const char *post[] = { other_auth, "Content-Type: application/json", NULL };
    const char *outcome = "{\"status\":\"accepted\",\"abuse_confirmed\":true}";
    th_request(srv.port, "POST", outcome_path, post, outcome, strlen(outcome), &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
    th_request(srv.port, "GET", "/v1/buyers/SHARED-BUYER", headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
    /* the other tenant's own claim for the same buyer id starts from nothing */
    post_case(NULL, other_auth, case_body("SHARED-BUYER", "defective", NULL), NULL, &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(r.json, "abuse"), "history"),
                                                        "cases_90d")), 0);
    th_response_free(&r);
    /* and the first tenant's case has no outcome from the intruder */
    const char *mine[] = { auth_header, NULL };
    th_request(srv.port, "GET", path, mine, NULL, 0, &r);
    ck_assert(json_is_null(json_object_get(r.json, "outcome")));
    th_response_free(&r);
    /* not a UUID at all: 404 too */
    th_request(srv.port, "GET", "/v1/cases/not-a-uuid", mine, NULL, 0, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
}
END_TEST

struct claim {
    const char *key_header;
    const char *body;
    struct th_response r;
};

static void *send_claim(void *p)
{
    struct claim *c = p;
    post_case(c->key_header, auth_header, c->body, NULL, &c->r);
    return NULL;
}

START_TEST(concurrent_claims_for_one_buyer_see_each_other)
{
    enum { N = 12 };
    static struct claim claims[N];
    static char bodies[N][2048];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        /* different categories, so that history grows without turning firm */
        snprintf(bodies[i], sizeof(bodies[i]), "%s",
                 case_body("BUSY-BUYER", i % 2 ? "late_delivery" : "usage_question", NULL));
        claims[i].body = bodies[i];
        claims[i].key_header = NULL;
        pthread_create(&threads[i], NULL, send_claim, &claims[i]);
    }
    bool seen[N] = { false };
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(claims[i].r.status, 201);
        json_t *history = json_object_get(json_object_get(claims[i].r.json, "abuse"), "history");
        json_int_t before = json_integer_value(json_object_get(history, "cases_90d"));
        ck_assert_msg(before >= 0 && before < N && !seen[before], "history %lld seen twice", (long long)before);
        seen[before] = true;
        th_response_free(&claims[i].r);
    }
    ck_assert_int_eq(cases_of_tenant(), N);
}
END_TEST

START_TEST(concurrent_retries_with_one_key_record_one_case)
{
    enum { N = 10 };
    static struct claim claims[N];
    pthread_t threads[N];
    const char *body = case_body("RETRY-BUYER", "wrong_item", NULL);
    for (int i = 0; i < N; i++) {
        claims[i].body = body;
        claims[i].key_header = "Idempotency-Key: order-113-retry";
        pthread_create(&threads[i], NULL, send_claim, &claims[i]);
    }
    const char *created_body = NULL;
    int created = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        long s = claims[i].r.status;
        ck_assert_msg(s == 201 || s == 200 || s == 409, "status %ld", s);
        if (s == 201) {
            created++;
            created_body = claims[i].r.body;
        }
    }
    ck_assert_int_eq(created, 1);
    ck_assert_int_eq(cases_of_tenant(), 1);
    for (int i = 0; i < N; i++)
        if (claims[i].r.status == 200)
            ck_assert_str_eq(claims[i].r.body, created_body); /* replays are the same bytes */
    /* a later retry replays byte for byte, with the contract's headers */
    struct th_response r;
    post_case("Idempotency-Key: order-113-retry", auth_header, body, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, created_body);
    char value[64];
    ck_assert(th_header(&r, "Idempotent-Replayed", value, sizeof(value)));
    ck_assert_str_eq(value, "true");
    th_response_free(&r);
    /* the same body with keys in another order and other spacing is the same request */
    json_t *parsed = json_loads(body, 0, NULL);
    char *reordered = json_dumps(parsed, JSON_INDENT(3) | JSON_SORT_KEYS);
    post_case("Idempotency-Key: order-113-retry", auth_header, reordered, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    free(reordered);
    json_decref(parsed);
    /* a different body under the same key */
    post_case("Idempotency-Key: order-113-retry", auth_header, case_body("RETRY-BUYER", "defective", NULL), NULL, &r);
    ck_assert_int_eq(r.status, 422);
    th_response_free(&r);
    /* ... even for another buyer, which is then left without a trace */
    post_case("Idempotency-Key: order-113-retry", auth_header, case_body("NEVER-SEEN", "defective", NULL), NULL, &r);
    ck_assert_int_eq(r.status, 422);
    th_response_free(&r);
    const char *get[] = { auth_header, NULL };
    th_request(srv.port, "GET", "/v1/buyers/NEVER-SEEN", get, NULL, 0, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
    for (int i = 0; i < N; i++)
        th_response_free(&claims[i].r);
    ck_assert_int_eq(cases_of_tenant(), 1);
}
END_TEST

START_TEST(dry_run_writes_nothing)
{
    struct th_response r;
    post_case("Idempotency-Key: dry-1", auth_header, case_body("DRY-BUYER", "lost_in_transit", NULL),
              "?dry_run=true", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(json_object_get(r.json, "case_id"));
    ck_assert_str_eq(str_at(r.json, "tier", NULL), "top");
    th_response_free(&r);
    ck_assert_int_eq(cases_of_tenant(), 0);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM buyers WHERE tenant_id = (SELECT id FROM tenants WHERE name = $1)"), 0);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM idempotency_keys WHERE tenant_id = (SELECT id FROM tenants WHERE name = $1)"), 0);
    post_case(NULL, auth_header, case_body("DRY-BUYER", "lost_in_transit", NULL), "?dry_run=maybe", &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);
}
END_TEST

START_TEST(repeated_same_category_claims_turn_firm)
{
    struct th_response r;
    for (int i = 0; i < 3; i++) {
        post_case(NULL, auth_header, case_body("SERIAL-BUYER", "missing_parts", NULL), NULL, &r);
        ck_assert_int_eq(r.status, 201);
        ck_assert_str_ne(str_at(r.json, "tier", NULL), "firm");
        th_response_free(&r);
    }
    post_case(NULL, auth_header, case_body("SERIAL-BUYER", "missing_parts", NULL), NULL, &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(str_at(r.json, "tier", NULL), "firm");
    json_t *abuse = json_object_get(r.json, "abuse");
    ck_assert_str_eq(str_at(abuse, "risk", NULL), "high");
    bool coded = false;
    size_t i;
    json_t *signal;
    json_array_foreach(json_object_get(abuse, "signals"), i, signal)
        coded = coded || strcmp(json_string_value(json_object_get(signal, "code")), "repeat_same_category") == 0;
    ck_assert(coded);
    ck_assert_str_eq(str_at(json_object_get(r.json, "remedy"), "primary", NULL), "manual_review");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r.json, "remedy"), "refund_amount")), 0);
    th_response_free(&r);
}
END_TEST

START_TEST(confirmed_abuse_feeds_the_next_decision)
{
    struct th_response r;
    post_case(NULL, auth_header, case_body("ABUSER", "lost_in_transit", NULL), NULL, &r);
    char path[160];
    snprintf(path, sizeof(path), "/v1/cases/%s/outcome", str_at(r.json, "case_id", NULL));
    th_response_free(&r);
    const char *post[] = { auth_header, "Content-Type: application/json", NULL };
    const char *outcome = "{\"status\":\"declined\",\"final_refund\":0,\"abuse_confirmed\":true}";
    th_request(srv.port, "POST", path, post, outcome, strlen(outcome), &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    post_case(NULL, auth_header, case_body("ABUSER", "defective", NULL), NULL, &r);
    ck_assert_str_eq(str_at(r.json, "tier", NULL), "firm");
    ck_assert_str_eq(str_at(json_array_get(json_object_get(json_object_get(r.json, "abuse"), "signals"), 0), "code", NULL),
                     "prior_abuse_confirmed");
    th_response_free(&r);
}
END_TEST

START_TEST(invalid_cases_are_refused_whole)
{
    struct th_response r;
    const char *bad = "{\"order\":{\"order_id\":\"1\",\"sku\":\"S\",\"currency\":\"USD\",\"item_price\":9223372036854775807,"
                      "\"gift_wrap\":true},\"buyer\":{\"buyer_id\":\"B\"},\"issue\":{\"category\":\"scratch\"}}";
    post_case(NULL, auth_header, bad, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(str_at(r.json, "type", NULL), "urn:redress:problem:validation");
    json_t *errors = json_object_get(r.json, "errors");
    ck_assert_int_eq(json_array_size(errors), 3);
    const char *fields[] = { "order.gift_wrap", "order.item_price", "issue.category" };
    for (int i = 0; i < 3; i++)
        ck_assert_str_eq(str_at(json_array_get(errors, i), "field", NULL), fields[i]);
    th_response_free(&r);
    post_case(NULL, auth_header, "{\"order\":{},\"order\":{}}", NULL, &r);
    ck_assert_int_eq(r.status, 400); /* duplicate keys */
    th_response_free(&r);
    post_case("Idempotency-Key: has spaces", auth_header, case_body("B", "defective", NULL), NULL, &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);
    ck_assert_int_eq(cases_of_tenant(), 0);
}
END_TEST

START_TEST(outage_mid_run_loses_nothing)
{
    enum { N = 10 };
    char created[N][64];
    int n_created = 0, n_503 = 0;
    struct th_response r;
    for (int i = 0; i < N; i++) {
        if (i == 4)
            th_postgres_stop();
        if (i == 6) {
            th_postgres_start();
            ck_assert(th_wait_for_status(srv.port, "/readyz", 200, 30));
            struct timespec backoff = { 0, 2 * DB_RECONNECT_BACKOFF_MS * 1000000L };
            nanosleep(&backoff, NULL);
        }
        post_case(NULL, auth_header, case_body("OUTAGE-BUYER", i % 2 ? "defective" : "late_delivery", NULL), NULL, &r);
        if (r.status == 201)
            snprintf(created[n_created++], 64, "%s", str_at(r.json, "case_id", NULL));
        else
        {
            ck_assert_int_eq(r.status, 503);
            n_503++;
        }
        th_response_free(&r);
    }
    ck_assert_int_eq(n_503, 2);
    ck_assert_int_eq(n_created, N - 2);
    /* every 2xx has its row, and no row lacks a 2xx */
    ck_assert_int_eq(cases_of_tenant(), n_created);
    const char *headers[] = { auth_header, NULL };
    for (int i = 0; i < n_created; i++) {
        char path[128];
        snprintf(path, sizeof(path), "/v1/cases/%.40s", created[i]);
        th_request(srv.port, "GET", path, headers, NULL, 0, &r);
        ck_assert_int_eq(r.status, 200);
        th_response_free(&r);
    }
}
END_TEST

START_TEST(idempotency_keys_kept_a_day_then_purged)
{
    struct th_response r;
    post_case("Idempotency-Key: old-key", auth_header, case_body("P1", "defective", NULL), NULL, &r);
    th_response_free(&r);
    post_case("Idempotency-Key: new-key", auth_header, case_body("P2", "defective", NULL), NULL, &r);
    th_response_free(&r);
    PGconn *conn = PQconnectdb(th_conninfo());
    const char *const params[] = { tenant_name };
    PQclear(PQexecParams(conn, "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-key' "
                         "AND tenant_id = (SELECT id FROM tenants WHERE name = $1)", 1, NULL, params, NULL, NULL, 0));
    PQfinish(conn);
    char err[256];
    struct db *db = db_open(th_conninfo(), err, sizeof(err));
    ck_assert_ptr_nonnull(db);
    long deleted = -1;
    ck_assert_int_eq(db_idempotency_purge(db, 60, &deleted), DB_OK); /* asks for 60 s, gets 24 h */
    ck_assert_int_ge(deleted, 1);
    db_close(db);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM idempotency_keys WHERE key = 'new-key' AND tenant_id = "
                                "(SELECT id FROM tenants WHERE name = $1)"), 1);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM idempotency_keys WHERE key = 'old-key' AND tenant_id = "
                                "(SELECT id FROM tenants WHERE name = $1)"), 0);
}
END_TEST

static void *five_me_requests(void *arg)
{
    (void)arg;
    const char *headers[] = { auth_header, NULL };
    for (int i = 0; i < 5; i++) {
        struct th_response r;
        th_request(srv.port, "GET", "/v1/me", headers, NULL, 0, &r);
        th_response_free(&r);
    }
    return NULL;
}

/* The value of one exposition line, or -1 when it is absent. */
static long metric(const char *text, const char *series)
{
    char needle[256];
    snprintf(needle, sizeof(needle), "\n%s ", series);
    const char *at = strstr(text, needle);
    return at ? atol(at + strlen(needle)) : -1;
}

START_TEST(metrics_count_exactly_under_concurrency)
{
    enum { THREADS = 40 };
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, five_me_requests, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    struct th_response r;
    post_case(NULL, auth_header, case_body("M1", "minor_defect", NULL), NULL, &r);
    th_response_free(&r);
    post_case(NULL, auth_header, case_body("M2", "minor_defect", NULL), NULL, &r);
    th_response_free(&r);
    post_case(NULL, auth_header, case_body("M3", "wrong_item", NULL), NULL, &r);
    th_response_free(&r);
    th_request(srv.port, "GET", "/nope", NULL, NULL, 0, &r);
    th_response_free(&r);
    th_request(srv.port, "GET", "/metrics", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    char type[128];
    ck_assert(th_header(&r, "Content-Type", type, sizeof(type)));
    ck_assert(strncmp(type, "text/plain", 10) == 0);
    ck_assert_int_eq(metric(r.body, "redress_http_requests_total{route=\"GET /v1/me\",status=\"200\"}"), 200);
    ck_assert_int_eq(metric(r.body, "redress_http_request_duration_seconds_count{route=\"GET /v1/me\"}"), 200);
    ck_assert_int_eq(metric(r.body, "redress_http_request_duration_seconds_bucket{route=\"GET /v1/me\",le=\"+Inf\"}"), 200);
    ck_assert_int_eq(metric(r.body, "redress_http_requests_total{route=\"POST /v1/cases\",status=\"201\"}"), 3);
    ck_assert_int_eq(metric(r.body, "redress_http_requests_total{route=\"unmatched\",status=\"404\"}"), 1);
    ck_assert_int_eq(metric(r.body, "redress_decisions_total{tier=\"goodwill\",category=\"minor_defect\"}"), 2);
    ck_assert_int_eq(metric(r.body, "redress_decisions_total{tier=\"top\",category=\"wrong_item\"}"), 1);
    ck_assert_int_ge(metric(r.body, "redress_db_connects_total"), 1);
    ck_assert_int_ge(metric(r.body, "redress_db_errors_total{kind=\"unavailable\"}"), 0);
    th_response_free(&r);
}
END_TEST

static json_t *cost_of(json_t *decision)
{
    return json_object_get(decision, "cost");
}

static long breakdown_item(json_t *decision, const char *item)
{
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(cost_of(decision), "breakdown"), i, entry)
        if (strcmp(json_string_value(json_object_get(entry, "item")), item) == 0)
            return (long)json_integer_value(json_object_get(entry, "amount"));
    return -1;
}

START_TEST(seller_cost_settings_drive_the_costs)
{
    const char *put[] = { auth_header, "Content-Type: application/json", NULL };
    const char *get[] = { auth_header, NULL };
    struct th_response r;
    const char *sku = "{\"currency\":\"USD\",\"unit_cost\":1200,\"outbound_postage\":300}";
    th_request(srv.port, "PUT", "/v1/skus/MUG-01/costs", put, sku, strlen(sku), &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "unit_cost")), 1200);
    ck_assert(json_is_null(json_object_get(r.json, "handling")));
    th_response_free(&r);
    th_request(srv.port, "GET", "/v1/skus/MUG-01/costs", get, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str_at(r.json, "currency", NULL), "USD");
    th_response_free(&r);

    /* a wrong item with no unit cost in the case: the SKU's numbers */
    post_case(NULL, auth_header, case_body("COSTED-1", "wrong_item", NULL), NULL, &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_int_eq(json_integer_value(json_object_get(cost_of(r.json), "unit_cost")), 1200);
    ck_assert_str_eq(str_at(cost_of(r.json), "unit_cost_source", NULL), "sku");
    ck_assert_int_eq(breakdown_item(r.json, "replacement_goods"), 1200);
    ck_assert_int_eq(breakdown_item(r.json, "outbound_postage"), 300);
    th_response_free(&r);
    /* the case's own unit cost wins */
    post_case(NULL, auth_header, case_body("COSTED-2", "wrong_item", ",\"unit_cost\":999"), NULL, &r);
    ck_assert_str_eq(str_at(cost_of(r.json), "unit_cost_source", NULL), "case");
    ck_assert_int_eq(breakdown_item(r.json, "replacement_goods"), 999);
    th_response_free(&r);

    /* tenant-wide ratios for every other SKU */
    const char *tenant = "{\"landed_cost_percent\":50,\"return_insurance\":true}";
    th_request(srv.port, "PUT", "/v1/settings/costs", put, tenant, strlen(tenant), &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "landed_cost_percent")), 50);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "resale_percent")), 50); /* the default */
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "custom")), 2);
    th_response_free(&r);
    const char *other_sku = "{\"order\":{\"order_id\":\"1\",\"sku\":\"LAMP-9\",\"currency\":\"USD\",\"item_price\":2000},"
                            "\"buyer\":{\"buyer_id\":\"COSTED-3\"},\"issue\":{\"category\":\"wrong_item\"}}";
    post_case(NULL, auth_header, other_sku, NULL, &r);
    ck_assert_int_eq(json_integer_value(json_object_get(cost_of(r.json), "unit_cost")), 1000);
    ck_assert_str_eq(str_at(cost_of(r.json), "unit_cost_source", NULL), "ratio");
    th_response_free(&r);
    /* SKU amounts only count in their own currency */
    const char *euros = "{\"order\":{\"order_id\":\"1\",\"sku\":\"MUG-01\",\"currency\":\"EUR\",\"item_price\":2000},"
                        "\"buyer\":{\"buyer_id\":\"COSTED-4\"},\"issue\":{\"category\":\"wrong_item\"}}";
    post_case(NULL, auth_header, euros, NULL, &r);
    ck_assert_str_eq(str_at(cost_of(r.json), "unit_cost_source", NULL), "ratio");
    th_response_free(&r);

    /* another tenant sees none of it */
    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    const char *theirs[] = { other_auth, NULL };
    th_request(srv.port, "GET", "/v1/skus/MUG-01/costs", theirs, NULL, 0, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
    th_request(srv.port, "GET", "/v1/settings/costs", theirs, NULL, 0, &r);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "landed_cost_percent")), 35);
    th_response_free(&r);

    /* refused whole, naming the fields */
    const char *bad = "{\"unit_cost\":-5,\"resale_percent\":150}";
    th_request(srv.port, "PUT", "/v1/skus/MUG-01/costs", put, bad, strlen(bad), &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "errors")), 3);
    th_response_free(&r);
}
END_TEST

/* ---- a lost reply to the round trip carrying COMMIT (issue #8, defect 4) ----
 * The service reaches PostgreSQL through tests/pgproxy.c, which on command
 * lets a COMMIT through and swallows its reply (the write is in, the
 * service never hears it) or drops the round trip before the COMMIT (the
 * write is not in). Either way: recorded if and only if a 2xx was returned. */

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

static long outcomes_of_tenant(void)
{
    return count_rows("SELECT count(*) FROM outcomes WHERE tenant_id = (SELECT id FROM tenants WHERE name = $1)");
}

START_TEST(lost_commit_reply_still_answers_the_recorded_case)
{
    struct th_response r;
    /* with a key: the case is in, so the answer is 201, and a retry replays it */
    pgproxy_arm(proxy, PGPROXY_LOSE_COMMIT_REPLY);
    post_case("Idempotency-Key: lost-1", auth_header, case_body("LOST-1", "minor_defect", NULL), NULL, &r);
    ck_assert_int_eq(pgproxy_fired(proxy), 1);
    ck_assert_msg(r.status == 201, "status %ld: %s", r.status, r.body);
    char case_id[64];
    snprintf(case_id, sizeof(case_id), "%s", str_at(r.json, "case_id", NULL));
    char *first_body = strdup(r.body);
    th_response_free(&r);
    ck_assert_int_eq(cases_of_tenant(), 1);
    post_case("Idempotency-Key: lost-1", auth_header, case_body("LOST-1", "minor_defect", NULL), NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, first_body);
    ck_assert_str_eq(str_at(r.json, "case_id", NULL), case_id);
    th_response_free(&r);
    free(first_body);
    ck_assert_int_eq(cases_of_tenant(), 1);

    /* without a key, the same */
    pgproxy_arm(proxy, PGPROXY_LOSE_COMMIT_REPLY);
    post_case(NULL, auth_header, case_body("LOST-2", "minor_defect", NULL), NULL, &r);
    ck_assert_int_eq(pgproxy_fired(proxy), 2);
    ck_assert_msg(r.status == 201, "status %ld: %s", r.status, r.body);
    th_response_free(&r);
    ck_assert_int_eq(cases_of_tenant(), 2);
}
END_TEST

START_TEST(commit_lost_on_the_way_answers_503_and_records_nothing)
{
    struct th_response r;
    pgproxy_arm(proxy, PGPROXY_DROP_BEFORE_COMMIT);
    post_case("Idempotency-Key: dropped-1", auth_header, case_body("DROP-1", "minor_defect", NULL), NULL, &r);
    ck_assert_int_eq(pgproxy_fired(proxy), 1);
    ck_assert_int_eq(r.status, 503);
    th_response_free(&r);
    ck_assert_int_eq(cases_of_tenant(), 0);
    /* the retry records it, once */
    post_case("Idempotency-Key: dropped-1", auth_header, case_body("DROP-1", "minor_defect", NULL), NULL, &r);
    ck_assert_int_eq(r.status, 201);
    th_response_free(&r);
    ck_assert_int_eq(cases_of_tenant(), 1);
}
END_TEST

START_TEST(outcomes_are_recorded_iff_answered_and_replayed_by_key)
{
    struct th_response r;
    post_case(NULL, auth_header, case_body("OUT-1", "minor_defect", NULL), NULL, &r);
    ck_assert_int_eq(r.status, 201);
    char path[128];
    snprintf(path, sizeof(path), "/v1/cases/%s/outcome", str_at(r.json, "case_id", NULL));
    th_response_free(&r);
    const char *keyed[] = { auth_header, "Content-Type: application/json", "Idempotency-Key: outcome-1", NULL };
    const char *plain[] = { auth_header, "Content-Type: application/json", NULL };
    const char *body = "{\"status\":\"accepted\",\"final_refund\":780}";

    /* keyed, reply lost: 200, one revision; the retry replays it byte for byte */
    pgproxy_arm(proxy, PGPROXY_LOSE_COMMIT_REPLY);
    th_request(srv.port, "POST", path, keyed, body, strlen(body), &r);
    ck_assert_int_eq(pgproxy_fired(proxy), 1);
    ck_assert_msg(r.status == 200, "status %ld: %s", r.status, r.body);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "revision")), 1);
    char *first_body = strdup(r.body);
    th_response_free(&r);
    ck_assert_int_eq(outcomes_of_tenant(), 1);
    th_request(srv.port, "POST", path, keyed, body, strlen(body), &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, first_body);
    char replayed[16];
    ck_assert(th_header(&r, "Idempotent-Replayed", replayed, sizeof(replayed)));
    th_response_free(&r);
    free(first_body);
    ck_assert_int_eq(outcomes_of_tenant(), 1);
    /* the same key with another body, or on another route, is refused */
    const char *other = "{\"status\":\"declined\"}";
    th_request(srv.port, "POST", path, keyed, other, strlen(other), &r);
    ck_assert_int_eq(r.status, 422);
    th_response_free(&r);
    post_case("Idempotency-Key: outcome-1", auth_header, case_body("OUT-1", "minor_defect", NULL), NULL, &r);
    ck_assert_int_eq(r.status, 422);
    th_response_free(&r);

    /* without a key, reply lost: 200 and a second revision */
    pgproxy_arm(proxy, PGPROXY_LOSE_COMMIT_REPLY);
    th_request(srv.port, "POST", path, plain, other, strlen(other), &r);
    ck_assert_int_eq(pgproxy_fired(proxy), 2);
    ck_assert_msg(r.status == 200, "status %ld: %s", r.status, r.body);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "revision")), 2);
    th_response_free(&r);
    ck_assert_int_eq(outcomes_of_tenant(), 2);

    /* COMMIT lost on the way: 503 and nothing recorded */
    pgproxy_arm(proxy, PGPROXY_DROP_BEFORE_COMMIT);
    th_request(srv.port, "POST", path, plain, other, strlen(other), &r);
    ck_assert_int_eq(pgproxy_fired(proxy), 3);
    ck_assert_int_eq(r.status, 503);
    th_response_free(&r);
    ck_assert_int_eq(outcomes_of_tenant(), 2);
}
END_TEST

/* ---- delivery evidence and the listing's promise (order.shipment, order.product_description) ---- */

/* A valid case body with these order members appended (malloc'd: the
 * caller frees it; large enough for a 4000-byte description). */
#define SHIPMENT_CASE_FORMAT                                                                                    \
    "{\"order\":{\"order_id\":\"113-1234567-1234567\",\"sku\":\"MUG-01\",\"currency\":\"USD\",\"item_price\":2599," \
    "\"ordered_at\":\"2026-11-01T10:00:00Z\"%s},\"buyer\":{\"buyer_id\":\"%s\"},"                                  \
    "\"issue\":{\"category\":\"not_as_described\"}}"
static char *shipment_case_body(const char *buyer, const char *order_members)
{
    int size = snprintf(NULL, 0, SHIPMENT_CASE_FORMAT, order_members, buyer) + 1;
    char *body = malloc((size_t)size);
    ck_assert(body != NULL);
    snprintf(body, (size_t)size, SHIPMENT_CASE_FORMAT, order_members, buyer);
    return body;
}

/* unit repeated n times (malloc'd: the caller frees it). */
static char *repeated(const char *unit, int n)
{
    size_t unit_len = strlen(unit);
    char *text = malloc(unit_len * (size_t)n + 1);
    ck_assert(text != NULL);
    for (int i = 0; i < n; i++)
        memcpy(text + unit_len * (size_t)i, unit, unit_len);
    text[unit_len * (size_t)n] = '\0';
    return text;
}

START_TEST(shipment_and_product_description_are_stored_as_sent)
{
    /* 1333 three-byte characters and one more byte: 4000 bytes, the most */
    char *chinese = repeated("\xe7\x95\x8c", 1333);
    char *description = malloc(strlen(chinese) + 2);
    ck_assert(description != NULL);
    sprintf(description, "%sa", chinese);
    ck_assert_uint_eq(strlen(description), 4000);
    const char *shipments[] = {
        "{\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\",\"shipped_at\":\"2026-11-02T09:30:00Z\","
        "\"delivered_at\":\"2026-11-05T15:42:00Z\",\"delivery_confirmation\":null,\"ship_to_country\":\"US\"}",
        "{\"carrier\":\"Yamato\",\"delivery_confirmation\":\"signature\",\"delivered_at\":\"2026-11-03T10:00:00+09:00\"}",
        "{}",
    };
    for (size_t i = 0; i < sizeof(shipments) / sizeof(shipments[0]); i++) {
        char members[8192], buyer[32];
        /* the marketplace's delivery date differs from the carrier's: both kept, not refused */
        snprintf(members, sizeof(members),
                 ",\"delivered_at\":\"2026-11-06T00:00:00Z\",\"shipment\":%s,\"product_description\":\"%s\"",
                 shipments[i], description);
        snprintf(buyer, sizeof(buyer), "SHIP-%zu", i);
        char *body = shipment_case_body(buyer, members);
        struct th_response r;
        post_case(NULL, auth_header, body, NULL, &r);
        ck_assert_msg(r.status == 201, "shipment %zu: status %ld: %s", i, r.status, r.body);
        char path[128];
        snprintf(path, sizeof(path), "/v1/cases/%s", str_at(r.json, "case_id", NULL));
        th_response_free(&r);

        const char *headers[] = { auth_header, NULL };
        th_request(srv.port, "GET", path, headers, NULL, 0, &r);
        ck_assert_int_eq(r.status, 200);
        json_t *order = json_object_get(json_object_get(r.json, "request"), "order");
        json_t *sent = json_loads(shipments[i], 0, NULL);
        ck_assert(sent != NULL);
        ck_assert_msg(json_equal(json_object_get(order, "shipment"), sent), "shipment %zu not kept as sent", i);
        ck_assert_str_eq(json_string_value(json_object_get(order, "product_description")), description);
        ck_assert_str_eq(json_string_value(json_object_get(order, "delivered_at")), "2026-11-06T00:00:00Z");
        json_decref(sent);
        th_response_free(&r);
        free(body);
    }
    free(description);
    free(chinese);
}
END_TEST

START_TEST(bad_shipment_facts_are_refused_naming_the_field)
{
    char *long_carrier = repeated("c", 65);
    char *long_description = repeated("d", 4001);
    char carrier_member[128], description_member[4100];
    snprintf(carrier_member, sizeof(carrier_member), ",\"shipment\":{\"carrier\":\"%s\"}", long_carrier);
    snprintf(description_member, sizeof(description_member), ",\"product_description\":\"%s\"", long_description);
    static const char UNICODE_TRACKING[] = ",\"shipment\":{\"tracking_number\":\"1Z\xc3\xa9\"}";
    const struct {
        const char *order_members, *field;
    } CASES[] = {
        { ",\"shipment\":\"UPS\"", "order.shipment" },
        { ",\"shipment\":{\"insured\":true}", "order.shipment.insured" },
        { ",\"shipment\":{\"carrier\":\"\"}", "order.shipment.carrier" },
        { carrier_member, "order.shipment.carrier" },
        { ",\"shipment\":{\"carrier\":7}", "order.shipment.carrier" },
        { ",\"shipment\":{\"tracking_number\":\"1Z 999\"}", "order.shipment.tracking_number" },
        { ",\"shipment\":{\"tracking_number\":\"1Z\\t999\"}", "order.shipment.tracking_number" },
        { UNICODE_TRACKING, "order.shipment.tracking_number" },
        { ",\"shipment\":{\"tracking_number\":\"\"}", "order.shipment.tracking_number" },
        { ",\"shipment\":{\"shipped_at\":\"yesterday\"}", "order.shipment.shipped_at" },
        { ",\"shipment\":{\"delivered_at\":\"2026-13-01T00:00:00Z\"}", "order.shipment.delivered_at" },
        { ",\"shipment\":{\"delivery_confirmation\":\"drone\"}", "order.shipment.delivery_confirmation" },
        { ",\"shipment\":{\"delivery_confirmation\":false}", "order.shipment.delivery_confirmation" },
        { ",\"shipment\":{\"ship_to_country\":\"us\"}", "order.shipment.ship_to_country" },
        { ",\"shipment\":{\"ship_to_country\":\"USA\"}", "order.shipment.ship_to_country" },
        { ",\"shipment\":{\"shipped_at\":\"2026-11-03T00:00:00Z\",\"delivered_at\":\"2026-11-02T23:59:59Z\"}",
          "order.shipment.delivered_at" },
        { ",\"shipment\":{\"delivered_at\":\"2026-10-31T00:00:00Z\"}", "order.shipment.delivered_at" },
        { ",\"shipment\":{\"shipped_at\":\"2026-11-01T09:59:59Z\"}", "order.shipment.shipped_at" },
        { ",\"shipped\":false,\"shipment\":{\"shipped_at\":\"2026-11-02T00:00:00Z\"}", "order.shipped" },
        { ",\"product_description\":\"\"", "order.product_description" },
        { description_member, "order.product_description" },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        char *body = shipment_case_body("SHIP-BAD", CASES[i].order_members);
        struct th_response r;
        post_case(NULL, auth_header, body, NULL, &r);
        ck_assert_msg(r.status == 400, "%s: status %ld: %s", CASES[i].field, r.status, r.body);
        json_t *errors = json_object_get(r.json, "errors");
        ck_assert_msg(json_array_size(errors) == 1, "%s: %s", CASES[i].field, r.body);
        ck_assert_str_eq(str_at(json_array_get(errors, 0), "field", NULL), CASES[i].field);
        th_response_free(&r);
        free(body);
    }
    ck_assert_int_eq(cases_of_tenant(), 0);
    free(long_carrier);
    free(long_description);
}
END_TEST

/* ---- GET /v1/cases: the console's search ---- */

/* A case of this buyer, order, SKU and ticket (NULL: none). */
static void post_search_case(const char *buyer, const char *order, const char *sku, const char *ticket)
{
    char body[1024], ticket_member[96] = "";
    if (ticket != NULL)
        snprintf(ticket_member, sizeof(ticket_member), "\"ticket_id\":\"%s\",", ticket);
    snprintf(body, sizeof(body),
             "{%s\"channel\":\"amazon\",\"order\":{\"order_id\":\"%s\",\"sku\":\"%s\",\"currency\":\"USD\","
             "\"item_price\":2599},\"buyer\":{\"buyer_id\":\"%s\",\"language\":\"en\"},"
             "\"issue\":{\"category\":\"minor_defect\"}}",
             ticket_member, order, sku, buyer);
    struct th_response r;
    post_case(NULL, auth_header, body, NULL, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    th_response_free(&r);
}

/* Cases are timed to the second: the search's cases get one minute apart,
 * in the order of the number in their order id ("O-3" after "O-2"). */
static void spread_in_time(const char *order_prefix)
{
    PGconn *conn = PQconnectdb(th_conninfo());
    const char *const params[] = { order_prefix };
    PGresult *res = PQexecParams(conn,
                                 "UPDATE cases SET created_at = timestamptz '2026-11-01 00:00:00Z' "
                                 "+ substring(order_id FROM length($1) + 1)::int * interval '1 minute' "
                                 "WHERE starts_with(order_id, $1)",
                                 1, NULL, params, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s", PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
}

static json_t *search(const char *auth, const char *query, long expected_status)
{
    const char *headers[] = { auth, NULL };
    char path[512];
    snprintf(path, sizeof(path), "/v1/cases%s", query);
    struct th_response r;
    th_request(srv.port, "GET", path, headers, NULL, 0, &r);
    ck_assert_msg(r.status == expected_status, "%s: %ld %s", path, r.status, r.body);
    json_t *body = json_incref(r.json);
    th_response_free(&r);
    return body;
}

/* The order ids of a page's cases, comma-separated. */
static void page_orders(const json_t *page, char *out, size_t size)
{
    out[0] = '\0';
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(page, "cases"), i, c) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? "," : "", json_string_value(json_object_get(c, "order_id")));
    }
}

START_TEST(search_finds_cases_by_each_filter_newest_first)
{
    post_search_case("S-ANN", "O-1", "SKU-A", "T-100");
    post_search_case("S-BOB", "O-2", "SKU-A", NULL);
    post_search_case("S-ANN", "O-3", "SKU-B", "T-300");
    post_search_case("S-CAT", "O-4", "SKU-B", "T-400");
    post_search_case("S-ANN", "O-5", "SKU-A", NULL);
    spread_in_time("O-");
    static const struct {
        const char *query, *orders;
    } CASES[] = {
        { "", "O-5,O-4,O-3,O-2,O-1" },
        { "?buyer_id=S-ANN", "O-5,O-3,O-1" },
        { "?order_id=O-4", "O-4" },
        { "?ticket_id=T-300", "O-3" },
        { "?sku=SKU-A", "O-5,O-2,O-1" },
        { "?buyer_id=S-ANN&sku=SKU-A", "O-5,O-1" },
        { "?buyer_id=S-NOBODY", "" },
        { "?ticket_id=T-1", "" },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        json_t *page = search(auth_header, CASES[i].query, 200);
        char orders[256];
        page_orders(page, orders, sizeof(orders));
        ck_assert_msg(strcmp(orders, CASES[i].orders) == 0, "%s: got %s, want %s", CASES[i].query, orders,
                      CASES[i].orders);
        ck_assert(json_is_null(json_object_get(page, "next")));
        json_decref(page);
    }
    /* one item in full */
    json_t *page = search(auth_header, "?ticket_id=T-400", 200);
    json_t *item = json_array_get(json_object_get(page, "cases"), 0);
    ck_assert_str_eq(str_at(item, "buyer_id", NULL), "S-CAT");
    ck_assert_str_eq(str_at(item, "sku", NULL), "SKU-B");
    ck_assert_str_eq(str_at(item, "ticket_id", NULL), "T-400");
    ck_assert_str_eq(str_at(item, "category", NULL), "minor_defect");
    ck_assert_str_eq(str_at(item, "currency", NULL), "USD");
    ck_assert(json_is_integer(json_object_get(item, "refund_amount")));
    ck_assert(json_is_null(json_object_get(item, "outcome")));
    ck_assert(str_at(item, "tier", NULL) != NULL && str_at(item, "primary_action", NULL) != NULL);
    json_decref(page);
    /* another tenant sees none of them, whatever it asks */
    char other[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other, other_key, other_auth);
    static const char *const OTHER[] = { "", "?buyer_id=S-ANN", "?order_id=O-4", "?ticket_id=T-300", "?sku=SKU-A" };
    for (size_t i = 0; i < sizeof(OTHER) / sizeof(OTHER[0]); i++) {
        json_t *none = search(other_auth, OTHER[i], 200);
        ck_assert_msg(json_array_size(json_object_get(none, "cases")) == 0, "%s", OTHER[i]);
        json_decref(none);
    }
}
END_TEST

/* Pages of two walk every case once, newest first, and say when they end;
 * cases made within the same microsecond are told apart by their id. */
START_TEST(search_pages_walk_every_case_once)
{
    for (int i = 1; i <= 7; i++) {
        char order[16];
        snprintf(order, sizeof(order), "P-%d", i);
        post_search_case("S-PAGER", order, "SKU-P", NULL);
    }
    spread_in_time("P-");
    /* two cases at the very same time: the cursor's id breaks the tie */
    PGconn *conn = PQconnectdb(th_conninfo());
    PGresult *res = PQexec(conn, "UPDATE cases SET created_at = (SELECT created_at FROM cases WHERE order_id = 'P-4') "
                                 "WHERE order_id = 'P-5'");
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s", PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    char seen[256] = "", query[256] = "?buyer_id=S-PAGER&limit=2";
    int pages = 0;
    for (;;) {
        json_t *page = search(auth_header, query, 200);
        ck_assert_int_le(json_array_size(json_object_get(page, "cases")), 2);
        char orders[128];
        page_orders(page, orders, sizeof(orders));
        size_t len = strlen(seen);
        snprintf(seen + len, sizeof(seen) - len, "%s%s", len && orders[0] ? "," : "", orders);
        pages++;
        const char *next = json_string_value(json_object_get(page, "next"));
        if (next == NULL) {
            json_decref(page);
            break;
        }
        snprintf(query, sizeof(query), "?buyer_id=S-PAGER&limit=2&before=%s", next);
        json_decref(page);
        ck_assert_int_lt(pages, 10);
    }
    ck_assert_int_eq(pages, 4);
    /* every case once; P-4 and P-5 share a time, so either may come first */
    ck_assert_msg(strcmp(seen, "P-7,P-6,P-5,P-4,P-3,P-2,P-1") == 0 || strcmp(seen, "P-7,P-6,P-4,P-5,P-3,P-2,P-1") == 0,
                  "pages gave %s", seen);
}
END_TEST

START_TEST(search_refuses_bad_and_unknown_parameters)
{
    char long_value[160];
    memset(long_value, 'x', 129);
    long_value[129] = '\0';
    char too_long[200];
    snprintf(too_long, sizeof(too_long), "?order_id=%s", long_value);
    const struct {
        const char *query, *named;
    } BAD[] = {
        { "?limit=0", "limit" },
        { "?limit=101", "limit" },
        { "?limit=ten", "limit" },
        { "?before=yesterday", "before" },
        { "?before=123.not-a-uuid", "before" },
        /* past PostgreSQL's timestamps, or past a long long: still a 400 */
        { "?before=9999999999999999999.7f1b5b2e-3c1a-4a4b-9a9e-2b2b2b2b2b2b", "before" },
        { "?before=253402300800000000.7f1b5b2e-3c1a-4a4b-9a9e-2b2b2b2b2b2b", "before" },
        { "?before=+5.7f1b5b2e-3c1a-4a4b-9a9e-2b2b2b2b2b2b", "before" },
        { "?buyer=S-ANN", "buyer" },
        { "?buyer_id=", "buyer_id" },
        { too_long, "order_id" },
    };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        json_t *problem = search(auth_header, BAD[i].query, 400);
        const char *detail = str_at(problem, "detail", NULL);
        ck_assert_msg(detail != NULL && strncmp(detail, BAD[i].named, strlen(BAD[i].named)) == 0, "%s: %s",
                      BAD[i].query, detail ? detail : "(no detail)");
        json_decref(problem);
    }
    json_t *unauthenticated = search(NULL, "", 401);
    json_decref(unauthenticated);
}
END_TEST

Suite *cases_suite(void)
{
    Suite *s = suite_create("cases");
    TCase *tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, create_read_outcome_buyer);
    tcase_add_test(tc, other_tenants_see_404);
    tcase_add_test(tc, concurrent_claims_for_one_buyer_see_each_other);
    tcase_add_test(tc, concurrent_retries_with_one_key_record_one_case);
    tcase_add_test(tc, dry_run_writes_nothing);
    tcase_add_test(tc, repeated_same_category_claims_turn_firm);
    tcase_add_test(tc, confirmed_abuse_feeds_the_next_decision);
    tcase_add_test(tc, invalid_cases_are_refused_whole);
    tcase_add_test(tc, outage_mid_run_loses_nothing);
    tcase_add_test(tc, idempotency_keys_kept_a_day_then_purged);
    tcase_add_test(tc, metrics_count_exactly_under_concurrency);
    tcase_add_test(tc, seller_cost_settings_drive_the_costs);
    suite_add_tcase(s, tc);
    TCase *lost = tcase_create("lost_commit");
    tcase_add_checked_fixture(lost, lost_reply_setup, lost_reply_teardown);
    tcase_set_timeout(lost, 120);
    tcase_add_test(lost, lost_commit_reply_still_answers_the_recorded_case);
    tcase_add_test(lost, commit_lost_on_the_way_answers_503_and_records_nothing);
    tcase_add_test(lost, outcomes_are_recorded_iff_answered_and_replayed_by_key);
    suite_add_tcase(s, lost);
    TCase *evidence = tcase_create("evidence_facts");
    tcase_add_checked_fixture(evidence, setup, teardown);
    tcase_set_timeout(evidence, 120);
    tcase_add_test(evidence, shipment_and_product_description_are_stored_as_sent);
    tcase_add_test(evidence, bad_shipment_facts_are_refused_naming_the_field);
    suite_add_tcase(s, evidence);
    TCase *search_case = tcase_create("search");
    tcase_add_checked_fixture(search_case, setup, teardown);
    tcase_set_timeout(search_case, 120);
    tcase_add_test(search_case, search_finds_cases_by_each_filter_newest_first);
    tcase_add_test(search_case, search_pages_walk_every_case_once);
    tcase_add_test(search_case, search_refuses_bad_and_unknown_parameters);
    suite_add_tcase(s, search_case);
    return s;
}
