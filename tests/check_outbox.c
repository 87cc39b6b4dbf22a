/* The outbox suite (issue #12): the delivery worker sends connector_deliveries
 * rows to a fake Zendesk (tests/fake_zendesk.c) and every note arrives
 * exactly once, whatever fails on the way (500s, a timeout, a Redress
 * restart, a worker stopped mid-call); 429's Retry-After is honoured; a
 * ticket that is gone fails at once; GET /v1/connectors/zendesk/deliveries
 * pages, filters and keeps tenants apart. Rows are written with SQL as the
 * case's transaction writes them (interface 1 of issue #12's second half),
 * after a case recorded with POST /v1/cases. Waiting is bounded polling,
 * never a timed assertion. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connectors.h"
#include "crypto.h"
#include "db_outbox.h"
#include "fake_zendesk.h"
#include "harness.h"
#include "validate.h"

static const char API_USER[] = "agent@acme.example", API_TOKEN[] = "zd-token-0123456789";
enum { WAIT_S = 60 }; /* the cap of any wait: generous on a busy machine */

static struct th_server srv;
static struct fake_zendesk *fz;
static char tenant_name[64], api_key[APIKEY_LEN + 1], auth_header[TH_AUTH_HEADER_SIZE];
static char base_env[96];
/* Small backoff so that retries come quickly; a short timeout, since a
 * row left unsure waits at least the timeout before its next attempt. */
static const char *server_env[] = {
    "REDRESS_SECRET_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    base_env,
    "REDRESS_DELIVERY_BACKOFF_MS=20",
    "REDRESS_DELIVERY_BACKOFF_MAX_S=1",
    "REDRESS_DELIVERY_CONNECT_TIMEOUT_MS=1000",
    "REDRESS_DELIVERY_TIMEOUT_MS=2000", /* a test that wants a timeout sets its own */
    NULL,
};

static void start_server(void)
{
    th_server_start(&srv, th_conninfo(), server_env);
}

/* The tenant behind auth gets Zendesk settings that enable the connector. */
static void save_zendesk_settings(const char *auth)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"enabled\":true,\"subdomain\":\"acme\",\"api_user\":\"%s\",\"api_token\":\"%s\","
             "\"webhook_secret\":\"whsec-1\"}",
             API_USER, API_TOKEN);
    const char *headers[] = { auth, "Content-Type: application/json", NULL };
    struct th_response r;
    th_request(srv.port, "PUT", "/v1/connectors/zendesk", headers, body, strlen(body), &r);
    ck_assert_msg(r.status == 200, "settings: %ld %s", r.status, r.body);
    th_response_free(&r);
}

/* Nothing owed stays pending across tests: rows other suites left (their
 * connectors' credentials may be these) would reach this test's fake, and
 * this test's would reach the next suite's server. */
static void settle_leftovers(void)
{
    PGconn *conn = PQconnectdb(th_conninfo());
    PGresult *res = PQexec(conn, "UPDATE connector_deliveries SET state = 'failed', last_error = 'test ended' "
                                 "WHERE state = 'pending'");
    PQclear(res);
    PQfinish(conn);
}

static void setup(void)
{
    settle_leftovers();
    fz = fake_zendesk_start(API_USER, API_TOKEN);
    fake_zendesk_base_env(fz, base_env, sizeof(base_env));
    start_server();
    th_tenant_with_auth(th_conninfo(), tenant_name, api_key, auth_header);
    save_zendesk_settings(auth_header);
}

static void teardown(void)
{
    if (srv.server != NULL)
        th_server_stop(&srv);
    fake_zendesk_stop(fz);
    settle_leftovers();
}

/* A recorded case of the tenant behind auth; its id in case_id. */
static void post_case(const char *auth, const char *ticket_id, char case_id[64])
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"ticket_id\":\"%s\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-1234567-1234567\","
             "\"sku\":\"MUG-01\",\"currency\":\"USD\",\"item_price\":2599,\"shipping_paid\":499},"
             "\"buyer\":{\"buyer_id\":\"OUTBOX-BUYER\",\"name\":\"Jane\",\"language\":\"en\"},"
             "\"issue\":{\"category\":\"minor_defect\",\"description\":\"scratch\"}}",
             ticket_id);
    th_post_case(srv.port, auth, body, case_id);
}

static PGresult *sql(const char *query, int n, const char *const *params)
{
    PGconn *conn = PQconnectdb(th_conninfo());
    ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "%s", PQerrorMessage(conn));
    PGresult *res = PQexecParams(conn, query, n, NULL, params, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK, "%s",
                  PQerrorMessage(conn));
    PQfinish(conn);
    return res;
}

/* An outbox row as the case's transaction writes it, for case_id of the
 * tenant and Zendesk ticket ticket_id, the note naming its delivery; the
 * worker is woken as the case path wakes it. extra_sql: NULL, or a SET
 * list applied right after (state, next_attempt_at ...; racing the worker
 * only when it sets a pending row due). delivery_id gets its id. */
static void insert_row(const char *tenant, const char *case_id, const char *ticket_id, const char *extra_sql,
                       char delivery_id[CRYPTO_UUID_STRLEN + 1])
{
    ck_assert_int_eq(crypto_uuid_v4(delivery_id), 0);
    char note[256];
    snprintf(note, sizeof(note), "Redress: goodwill, partial refund of 5.20 USD.\nRedress delivery %s", delivery_id);
    json_t *payload = json_pack("{s:{s:{s:s, s:b}, s:[s, s]}}", "ticket", "comment", "body", note, "public", 0,
                                "additional_tags", "redress", "redress_goodwill");
    char *payload_text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    const char *const params[] = { tenant, delivery_id, case_id, ticket_id, payload_text };
    char update[512];
    snprintf(update, sizeof(update), "UPDATE connector_deliveries SET %s WHERE delivery_id = $1",
             extra_sql != NULL ? extra_sql : "attempts = 0");
    /* One transaction, as the case's: the worker never sees the row half made. */
    PGconn *conn = PQconnectdb(th_conninfo());
    PQclear(PQexec(conn, "BEGIN"));
    PGresult *inserted = PQexecParams(conn, "INSERT INTO connector_deliveries (tenant_id, delivery_id, connector,"
                                      " case_id, ticket_id, payload) SELECT id, $2, 'zendesk', $3, $4, $5::jsonb"
                                      " FROM tenants WHERE name = $1",
                                      5, NULL, params, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(inserted) == PGRES_COMMAND_OK, "%s", PQerrorMessage(conn));
    ck_assert_str_eq(PQcmdTuples(inserted), "1");
    PQclear(inserted);
    PGresult *updated = PQexecParams(conn, update, 1, NULL, params + 1, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(updated) == PGRES_COMMAND_OK, "%s", PQerrorMessage(conn));
    PQclear(updated);
    PGresult *committed = PQexec(conn, "COMMIT");
    ck_assert_int_eq(PQresultStatus(committed), PGRES_COMMAND_OK);
    PQclear(committed);
    PQfinish(conn);
    free(payload_text);
    outbox_wake();
}

/* A case recorded with POST /v1/cases and its note owed. */
static void owe_note_as(const char *tenant, const char *auth, const char *ticket_id, const char *extra_sql,
                        char delivery_id[CRYPTO_UUID_STRLEN + 1])
{
    char case_id[64];
    post_case(auth, ticket_id, case_id);
    insert_row(tenant, case_id, ticket_id, extra_sql, delivery_id);
}

static void owe_note(const char *ticket_id, char delivery_id[CRYPTO_UUID_STRLEN + 1])
{
    owe_note_as(tenant_name, auth_header, ticket_id, NULL, delivery_id);
}

struct delivery {
    char state[16];
    int attempts;
    int last_status; /* 0: none */
    char last_error[512];
    double next_attempt_at; /* epoch seconds */
};

static void read_delivery(const char *delivery_id, struct delivery *d)
{
    const char *const params[] = { delivery_id };
    PGresult *res = sql("SELECT state, attempts, coalesce(last_status, 0) AS last_status,"
                        " coalesce(last_error, '') AS last_error,"
                        " extract(epoch FROM next_attempt_at)::float8 AS next_attempt_at"
                        " FROM connector_deliveries WHERE delivery_id = $1",
                        1, params);
    ck_assert_int_eq(PQntuples(res), 1);
    snprintf(d->state, sizeof(d->state), "%s", PQgetvalue(res, 0, PQfnumber(res, "state")));
    d->attempts = atoi(PQgetvalue(res, 0, PQfnumber(res, "attempts")));
    d->last_status = atoi(PQgetvalue(res, 0, PQfnumber(res, "last_status")));
    snprintf(d->last_error, sizeof(d->last_error), "%s", PQgetvalue(res, 0, PQfnumber(res, "last_error")));
    d->next_attempt_at = strtod(PQgetvalue(res, 0, PQfnumber(res, "next_attempt_at")), NULL);
    PQclear(res);
}

/* Poll until the delivery is in `state` (at most WAIT_S); d gets the row. */
static void wait_for_state(const char *delivery_id, const char *state, struct delivery *d)
{
    for (int i = 0; i < WAIT_S * 20; i++) {
        read_delivery(delivery_id, d);
        if (strcmp(d->state, state) == 0)
            return;
        struct timespec pause = { 0, 50 * 1000000L };
        nanosleep(&pause, NULL);
    }
    ck_abort_msg("delivery %s still %s (%s) after %d s, not %s", delivery_id, d->state, d->last_error, WAIT_S,
                 state);
}

/* The ticket holds exactly one comment, the note of delivery_id. */
static void ticket_has_the_note_once(const char *ticket_id, const char *delivery_id)
{
    json_t *comments = fake_zendesk_comments(fz, ticket_id);
    ck_assert_msg(json_array_size(comments) == 1, "ticket %s has %zu comments", ticket_id,
                  json_array_size(comments));
    const char *body = json_string_value(json_object_get(json_array_get(comments, 0), "body"));
    char marker[80];
    snprintf(marker, sizeof(marker), "Redress delivery %s", delivery_id);
    ck_assert_ptr_nonnull(strstr(body, marker));
    ck_assert(json_is_false(json_object_get(json_array_get(comments, 0), "public")));
    json_decref(comments);
}

/* ---- delivery ---- */

START_TEST(a_note_reaches_zendesk_with_its_path_auth_body_and_tags)
{
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4101", id);
    struct delivery d;
    wait_for_state(id, "delivered", &d);
    ck_assert_int_eq(d.attempts, 1);
    ck_assert_int_eq(d.last_status, 200);
    ck_assert_int_eq(fake_zendesk_puts(fz), 1);
    ck_assert_int_eq(fake_zendesk_gets(fz), 0); /* a first attempt does not look first */
    ck_assert_int_eq(fake_zendesk_rejected(fz), 0); /* path, auth, content type and body as Zendesk documents */
    ticket_has_the_note_once("4101", id);
    json_t *tags = fake_zendesk_tags(fz, "4101");
    ck_assert_int_eq(json_array_size(tags), 2);
    ck_assert_str_eq(json_string_value(json_array_get(tags, 0)), "redress");
    ck_assert_str_eq(json_string_value(json_array_get(tags, 1)), "redress_goodwill");
    json_decref(tags);
}
END_TEST

START_TEST(wrong_credentials_are_refused_by_zendesk_and_retried_later)
{
    /* The fake expects another token: the worker's auth is what it checks. */
    th_server_stop(&srv);
    fake_zendesk_stop(fz);
    fz = fake_zendesk_start(API_USER, "another-token");
    fake_zendesk_base_env(fz, base_env, sizeof(base_env));
    start_server();
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4102", id);
    ck_assert(fake_zendesk_wait(fz, fake_zendesk_rejected, 1, WAIT_S));
    struct delivery d = { .last_status = 0 };
    for (int i = 0; i < WAIT_S * 20; i++) {
        read_delivery(id, &d);
        if (d.last_status != 0)
            break;
        struct timespec pause = { 0, 50 * 1000000L };
        nanosleep(&pause, NULL);
    }
    ck_assert_str_eq(d.state, "pending");
    ck_assert_int_eq(d.last_status, 401);
    ck_assert_ptr_nonnull(strstr(d.last_error, "credentials"));
    ck_assert_ptr_null(strstr(d.last_error, "another-token"));
    ck_assert_ptr_null(strstr(d.last_error, API_TOKEN));
    json_t *comments = fake_zendesk_comments(fz, "4102");
    ck_assert_int_eq(json_array_size(comments), 0);
    json_decref(comments);
}
END_TEST

START_TEST(zendesk_down_for_a_while_then_back_gets_the_note_once)
{
    fake_zendesk_fail_next(fz, 3, 500, 0);
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4201", id);
    struct delivery d;
    wait_for_state(id, "delivered", &d);
    ck_assert_int_eq(d.attempts, 4);
    ck_assert_int_eq(fake_zendesk_puts(fz), 4);
    ck_assert_int_ge(fake_zendesk_gets(fz), 1); /* after a 5xx the worker looked before sending again */
    ticket_has_the_note_once("4201", id);
}
END_TEST

START_TEST(a_timeout_then_back_gets_the_note_once)
{
    /* Zendesk keeps the note but its answer never comes in time: the next
     * attempt finds the note on the ticket and does not send it again. */
    th_server_stop(&srv);
    server_env[5] = "REDRESS_DELIVERY_TIMEOUT_MS=1000";
    start_server();
    fake_zendesk_hang_next(fz, 1, 8000);
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4301", id);
    struct delivery d;
    wait_for_state(id, "delivered", &d);
    ck_assert_int_eq(d.attempts, 2);
    ck_assert_int_eq(fake_zendesk_puts(fz), 1);
    ck_assert_int_eq(fake_zendesk_gets(fz), 1);
    ticket_has_the_note_once("4301", id);
    /* It looked no sooner than the timeout after the timeout (a note still
     * landing has time to show): the call's 1 s, then at least 1 s more; a
     * lower bound, with 0.1 s for the call's start before the fake saw it. */
    double put_at = fake_zendesk_last_put_at(fz), get_at = fake_zendesk_last_get_at(fz);
    ck_assert_msg(get_at >= put_at + 1.9, "looked %.3f s after a call that timed out after 1 s", get_at - put_at);
}
END_TEST

START_TEST(what_was_pending_at_a_restart_is_sent_once_after_it)
{
    fake_zendesk_fail_next(fz, 1000000, 503, 0);
    char failing[CRYPTO_UUID_STRLEN + 1], while_down[CRYPTO_UUID_STRLEN + 1], case_id[64];
    owe_note("4401", failing);
    post_case(auth_header, "4402", case_id);
    ck_assert(fake_zendesk_wait(fz, fake_zendesk_puts, 2, WAIT_S));
    th_server_stop(&srv);
    struct delivery d;
    read_delivery(failing, &d);
    ck_assert_str_eq(d.state, "pending");
    /* Owed while no worker runs (written by another process, say). */
    insert_row(tenant_name, case_id, "4402", NULL, while_down);
    fake_zendesk_fail_next(fz, 0, 0, 0);
    start_server();
    wait_for_state(failing, "delivered", &d);
    wait_for_state(while_down, "delivered", &d);
    ticket_has_the_note_once("4401", failing);
    ticket_has_the_note_once("4402", while_down);
}
END_TEST

START_TEST(a_worker_stopped_mid_call_leaves_the_note_to_be_found_not_resent)
{
    /* The call is in flight (kept by Zendesk, no answer yet) when Redress
     * stops; the next start looks first and records it delivered. */
    th_server_stop(&srv);
    server_env[5] = "REDRESS_DELIVERY_TIMEOUT_MS=60000";
    start_server();
    fake_zendesk_hang_next(fz, 1, 60000);
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4501", id);
    ck_assert(fake_zendesk_wait(fz, fake_zendesk_puts, 1, WAIT_S));
    th_server_stop(&srv); /* cuts the call short (else this waits a minute) */
    struct delivery d;
    read_delivery(id, &d);
    ck_assert_str_eq(d.state, "pending");
    start_server();
    outbox_wake();
    wait_for_state(id, "delivered", &d);
    ck_assert_int_eq(fake_zendesk_puts(fz), 1);
    ck_assert_int_ge(fake_zendesk_gets(fz), 1);
    ticket_has_the_note_once("4501", id);
}
END_TEST

START_TEST(a_429_is_honoured_until_its_retry_after)
{
    fake_zendesk_fail_next(fz, 1, 429, 2);
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4601", id);
    ck_assert(fake_zendesk_wait(fz, fake_zendesk_puts, 1, WAIT_S));
    double refused_at = fake_zendesk_last_put_at(fz);
    struct delivery d;
    wait_for_state(id, "delivered", &d);
    ck_assert_int_eq(d.attempts, 2);
    ck_assert_int_eq(fake_zendesk_puts(fz), 2);
    /* no call before Retry-After (a lower bound: a slow machine only adds) */
    ck_assert_msg(fake_zendesk_last_put_at(fz) >= refused_at + 2.0 - 0.01, "sent again %.3f s after a 429 that"
                  " said 2 s", fake_zendesk_last_put_at(fz) - refused_at);
    ck_assert_int_eq(fake_zendesk_gets(fz), 0); /* a 429 is an answer: nothing to look for */
    ticket_has_the_note_once("4601", id);
}
END_TEST

START_TEST(a_ticket_that_is_gone_fails_at_once)
{
    fake_zendesk_fail_next(fz, 1, 404, 0);
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4701", id);
    struct delivery d;
    wait_for_state(id, "failed", &d);
    ck_assert_int_eq(d.attempts, 1);
    ck_assert_int_eq(d.last_status, 404);
    ck_assert_ptr_nonnull(strstr(d.last_error, "404"));
    ck_assert_int_eq(fake_zendesk_puts(fz), 1);
}
END_TEST

START_TEST(a_disabled_connector_sends_nothing_and_says_why)
{
    const char *headers[] = { auth_header, "Content-Type: application/json", NULL };
    const char body[] = "{\"enabled\":false,\"subdomain\":\"acme\",\"api_user\":\"agent@acme.example\"}";
    struct th_response r;
    th_request(srv.port, "PUT", "/v1/connectors/zendesk", headers, body, strlen(body), &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4801", id);
    struct delivery d = { .attempts = 0 };
    for (int i = 0; i < WAIT_S * 20 && d.attempts < 2; i++) {
        read_delivery(id, &d);
        struct timespec pause = { 0, 50 * 1000000L };
        nanosleep(&pause, NULL);
    }
    ck_assert_int_ge(d.attempts, 2);
    ck_assert_str_eq(d.state, "pending");
    ck_assert_ptr_nonnull(strstr(d.last_error, "disabled"));
    ck_assert_int_eq(fake_zendesk_puts(fz), 0);
}
END_TEST

START_TEST(a_note_still_owed_past_the_bound_fails)
{
    th_server_stop(&srv);
    const char *give_up[] = { server_env[0], server_env[1], server_env[2], server_env[3],
                              "REDRESS_DELIVERY_GIVE_UP_S=1", NULL };
    th_server_start(&srv, th_conninfo(), give_up);
    fake_zendesk_fail_next(fz, 1000000, 502, 0);
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4901", id);
    struct delivery d;
    wait_for_state(id, "failed", &d);
    ck_assert_int_eq(d.last_status, 502);
    ck_assert_msg(strncmp(d.last_error, "gave up after ", 14) == 0, "%s", d.last_error);
    /* a 502 left its outcome unknown: "failed" must not read as "not there" */
    ck_assert_msg(strstr(d.last_error, "outcome is unknown: the note may be on the ticket") != NULL, "%s",
                  d.last_error);
    ck_assert_int_ge(d.attempts, 1);
    json_t *comments = fake_zendesk_comments(fz, "4901");
    ck_assert_int_eq(json_array_size(comments), 0);
    json_decref(comments);
}
END_TEST

START_TEST(a_503_with_retry_after_is_honoured_and_looked_at_first)
{
    fake_zendesk_fail_next(fz, 1, 503, 4); /* longer than the 2 s timeout floor */
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4602", id);
    ck_assert(fake_zendesk_wait(fz, fake_zendesk_puts, 1, WAIT_S));
    double refused_at = fake_zendesk_last_put_at(fz);
    struct delivery d;
    wait_for_state(id, "delivered", &d);
    ck_assert_int_eq(d.attempts, 2);
    ck_assert_int_eq(fake_zendesk_puts(fz), 2);
    ck_assert_int_eq(fake_zendesk_gets(fz), 1); /* a 5xx leaves it unsure: looked first */
    /* nothing before Retry-After (a lower bound) */
    ck_assert_msg(fake_zendesk_last_get_at(fz) >= refused_at + 4.0 - 0.01,
                  "looked again %.3f s after a 503 that said 4 s", fake_zendesk_last_get_at(fz) - refused_at);
    ticket_has_the_note_once("4602", id);
}
END_TEST

START_TEST(an_unreadable_comments_listing_sends_nothing_until_it_reads)
{
    /* A 500 leaves the row unsure; the next two listings are an HTML page
     * (a proxy's): nobody knows whether the note is there, so nothing is
     * sent until a listing says it is not. */
    fake_zendesk_fail_next(fz, 1, 500, 0);
    fake_zendesk_garble_listings(fz, 2);
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4603", id);
    ck_assert(fake_zendesk_wait(fz, fake_zendesk_gets, 1, WAIT_S));
    struct delivery d;
    bool said_why = false;
    for (int i = 0; i < WAIT_S * 20 && !said_why; i++) {
        read_delivery(id, &d);
        said_why = strstr(d.last_error, "listing could not be read") != NULL;
        if (strcmp(d.state, "pending") != 0)
            break;
        struct timespec pause = { 0, 50 * 1000000L };
        nanosleep(&pause, NULL);
    }
    ck_assert_msg(said_why, "%s: %s", d.state, d.last_error);
    ck_assert_str_eq(d.state, "pending");
    ck_assert_int_eq(fake_zendesk_puts(fz), 1); /* not sent on an unreadable listing */
    wait_for_state(id, "delivered", &d);
    ck_assert_int_eq(d.attempts, 4);
    ck_assert_int_eq(fake_zendesk_gets(fz), 3);
    ck_assert_int_eq(fake_zendesk_puts(fz), 2);
    ck_assert_int_eq(fake_zendesk_rejected(fz), 0); /* the listing asks for a page of newest comments */
    ticket_has_the_note_once("4603", id);
}
END_TEST

START_TEST(one_tenants_silent_zendesk_does_not_hold_anothers_notes)
{
    /* Tenant A's Zendesk takes its calls and never answers (the timeout
     * 1 s); its six notes are due before tenant B's. After A's first
     * timeouts its other rows wait as long as the row itself (a long
     * backoff here), so B's note goes next. Measured by how many of A's
     * rows were tried before B's arrived, not by time. */
    th_server_stop(&srv);
    const char *env[] = { server_env[0], server_env[1], "REDRESS_DELIVERY_BACKOFF_MS=30000",
                          "REDRESS_DELIVERY_BACKOFF_MAX_S=600", "REDRESS_DELIVERY_CONNECT_TIMEOUT_MS=1000",
                          "REDRESS_DELIVERY_TIMEOUT_MS=1000", NULL };
    th_server_start(&srv, th_conninfo(), env);
    fake_zendesk_hang_tickets(fz, "61", 30000);
    char b_name[64], b_key[APIKEY_LEN + 1], b_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), b_name, b_key, b_auth);
    save_zendesk_settings(b_auth);
    enum { A_ROWS = 6 };
    char a_ids[A_ROWS][CRYPTO_UUID_STRLEN + 1], b_id[CRYPTO_UUID_STRLEN + 1], b_case[64];
    for (int i = 0; i < A_ROWS; i++) {
        char ticket[16];
        snprintf(ticket, sizeof(ticket), "610%d", i);
        owe_note_as(tenant_name, auth_header, ticket, "next_attempt_at = now() + interval '1 day'", a_ids[i]);
    }
    post_case(b_auth, "6201", b_case);
    /* A's rows all due at once, before B's */
    const char *const params[] = { tenant_name };
    PQclear(sql("UPDATE connector_deliveries SET next_attempt_at = now() - interval '1 minute'"
                " WHERE state = 'pending' AND tenant_id = (SELECT id FROM tenants WHERE name = $1)",
                1, params));
    insert_row(b_name, b_case, "6201", NULL, b_id);
    struct delivery d;
    wait_for_state(b_id, "delivered", &d);
    int untried = 0;
    for (int i = 0; i < A_ROWS; i++) {
        read_delivery(a_ids[i], &d);
        untried += d.attempts == 0;
    }
    ck_assert_msg(untried >= A_ROWS / 2, "%d of tenant A's %d rows were tried before tenant B's note",
                  A_ROWS - untried, A_ROWS);
    ticket_has_the_note_once("6201", b_id);
}
END_TEST

START_TEST(a_stored_subdomain_that_is_not_one_fails_and_is_never_called)
{
    /* Stored before the settings checked it, or altered: never into a URL. */
    const char *const params[] = { tenant_name };
    PQclear(sql("UPDATE connector_settings SET settings = jsonb_set(settings, '{subdomain}', '\"evil.example/x#\"')"
                " WHERE connector = 'zendesk' AND tenant_id = (SELECT id FROM tenants WHERE name = $1)",
                1, params));
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note("4604", id);
    struct delivery d;
    wait_for_state(id, "failed", &d);
    ck_assert_msg(strstr(d.last_error, "subdomain") != NULL, "%s", d.last_error);
    ck_assert_int_eq(d.attempts, 1);
    ck_assert_int_eq(fake_zendesk_puts(fz) + fake_zendesk_gets(fz) + fake_zendesk_rejected(fz), 0);
}
END_TEST

/* ---- end to end: a Zendesk event's note ---- */

/* A signed event as a Zendesk trigger's webhook sends it (the body of GET
 * /v1/connectors/zendesk/template with the seller's field map). */
static void post_zendesk_event(const char *ticket_id, struct th_response *r)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"ticket_id\":\"%s\",\"subject\":\"Broken mug\",\"description\":\"The mug arrived broken.\","
             "\"latest_comment\":\"The mug arrived broken, shards everywhere.\",\"requester_name\":\"Buyer One\","
             "\"requester_email\":\"buyer.one@example.com\",\"current_user_email\":\"buyer.one@example.com\","
             "\"tags\":\"mug\",\"via\":\"Web Form\",\"updated_at\":\"2026-11-23T02:40Z\","
             "\"fields\":{\"order_id\":\"ORD-77\",\"sku\":\"MUG-RED\",\"item_price\":\"12.50\",\"currency\":\"eur\"}}",
             ticket_id);
    char stamp[32], signature[64], signature_header[128], stamp_header[96];
    validate_format_time((int64_t)time(NULL), stamp);
    const void *const parts[] = { stamp, body };
    const size_t lens[] = { strlen(stamp), strlen(body) };
    uint8_t mac[CRYPTO_SHA256_LEN];
    ck_assert_int_eq(crypto_hmac_sha256("whsec-1", 7, parts, lens, 2, mac), 0);
    crypto_base64(mac, sizeof(mac), signature);
    snprintf(signature_header, sizeof(signature_header), "X-Zendesk-Webhook-Signature: %s", signature);
    snprintf(stamp_header, sizeof(stamp_header), "X-Zendesk-Webhook-Signature-Timestamp: %s", stamp);
    const char *headers[] = { auth_header, "Content-Type: application/json", signature_header, stamp_header, NULL };
    th_request(srv.port, "POST", "/v1/connectors/zendesk/events", headers, body, strlen(body), r);
}

START_TEST(a_zendesk_events_note_reaches_its_ticket_once)
{
    const char *headers[] = { auth_header, "Content-Type: application/json", NULL };
    const char settings[] = "{\"enabled\":true,\"subdomain\":\"acme\",\"api_user\":\"agent@acme.example\","
                            "\"field_map\":{\"order_id\":101,\"sku\":102,\"item_price\":103,\"currency\":104}}";
    struct th_response r;
    th_request(srv.port, "PUT", "/v1/connectors/zendesk", headers, settings, strlen(settings), &r);
    ck_assert_msg(r.status == 200, "settings: %ld %s", r.status, r.body);
    th_response_free(&r);
    fake_zendesk_fail_next(fz, 2, 503, 0); /* and Zendesk is down for a moment */
    post_zendesk_event("5101", &r);
    ck_assert_msg(r.status == 201, "event: %ld %s", r.status, r.body);
    th_response_free(&r);
    post_zendesk_event("5101", &r); /* Zendesk retries the webhook */
    ck_assert_msg(r.status == 200, "retried event: %ld %s", r.status, r.body);
    th_response_free(&r);
    const char *const params[] = { tenant_name };
    PGresult *res = sql("SELECT delivery_id::text AS id FROM connector_deliveries WHERE ticket_id = '5101'"
                        " AND tenant_id = (SELECT id FROM tenants WHERE name = $1)",
                        1, params);
    ck_assert_int_eq(PQntuples(res), 1); /* one note owed, whatever the retries */
    char id[CRYPTO_UUID_STRLEN + 1];
    snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, PQfnumber(res, "id")));
    PQclear(res);
    struct delivery d;
    wait_for_state(id, "delivered", &d);
    ck_assert_int_eq(d.attempts, 3);
    ck_assert_int_eq(fake_zendesk_rejected(fz), 0); /* C's note and tags as Zendesk takes them */
    ticket_has_the_note_once("5101", id);
    json_t *tags = fake_zendesk_tags(fz, "5101");
    bool redress_tag = false;
    for (size_t i = 0; i < json_array_size(tags); i++)
        redress_tag = redress_tag || strcmp(json_string_value(json_array_get(tags, i)), "redress") == 0;
    ck_assert(redress_tag);
    json_decref(tags);
}
END_TEST

/* ---- the configuration ---- */

START_TEST(only_https_or_loopback_bases_are_allowed)
{
    ck_assert(outbox_base_allowed("https://{subdomain}.zendesk.com"));
    ck_assert(outbox_base_allowed("https://proxy.example/zendesk/{subdomain}"));
    ck_assert(outbox_base_allowed("http://127.0.0.1:8080"));
    ck_assert(outbox_base_allowed("http://127.9.8.7/x"));
    ck_assert(outbox_base_allowed("http://localhost:9000"));
    ck_assert(outbox_base_allowed("http://[::1]:9000"));
    ck_assert(!outbox_base_allowed("http://{subdomain}.zendesk.com"));
    ck_assert(!outbox_base_allowed("http://127.0.0.1.evil.example"));
    ck_assert(!outbox_base_allowed("http://128.0.0.1"));
    ck_assert(!outbox_base_allowed("http://localhost.evil.example"));
    ck_assert(!outbox_base_allowed("ftp://127.0.0.1"));
    ck_assert(!outbox_base_allowed("https://"));
    /* userinfo: curl would call the host after the '@' */
    ck_assert(!outbox_base_allowed("http://localhost:80@evil.com/"));
    ck_assert(!outbox_base_allowed("http://127.0.0.1@evil.com"));
    ck_assert(!outbox_base_allowed("http://[::1]:80@evil.com/x"));
    ck_assert(!outbox_base_allowed("https://user:pass@{subdomain}.zendesk.com"));
    ck_assert(outbox_base_allowed("https://proxy.example/at@path/{subdomain}")); /* after the host: a path */
    ck_assert(!outbox_base_allowed(""));
}
END_TEST

/* ---- the result fenced by the claim ---- */

START_TEST(a_result_is_recorded_only_by_the_attempt_that_holds_the_row)
{
    /* The row was claimed again (attempt 2, leased: the server's workers
     * leave it alone) after attempt 1's lease ran out: attempt 1's late
     * result must not overwrite it. */
    char id[CRYPTO_UUID_STRLEN + 1];
    owe_note_as(tenant_name, auth_header, "4605", "attempts = 2, lease_until = now() + interval '1 hour'", id);
    ck_assert(db_global_init(th_conninfo()) == 0);
    struct db *db = db_thread_connection(NULL);
    ck_assert_ptr_nonnull(db);
    const char *const params[] = { tenant_name };
    PGresult *res = sql("SELECT id FROM tenants WHERE name = $1", 1, params);
    int64_t tenant_id = strtoll(PQgetvalue(res, 0, PQfnumber(res, "id")), NULL, 10);
    PQclear(res);
    const struct db_outbox_result stale = { "failed", 404, "Zendesk answered 404", false, 0 };
    ck_assert_int_eq(db_outbox_record(db, tenant_id, id, 1, &stale), DB_NOT_FOUND);
    struct delivery d;
    read_delivery(id, &d);
    ck_assert_str_eq(d.state, "pending"); /* attempt 2 still holds it */
    ck_assert_int_eq(d.last_status, 0);
    const struct db_outbox_result current = { "delivered", 200, NULL, false, 0 };
    ck_assert_int_eq(db_outbox_record(db, tenant_id, id, 2, &current), DB_OK);
    read_delivery(id, &d);
    ck_assert_str_eq(d.state, "delivered");
    ck_assert_int_eq(d.last_status, 200);
    db_thread_close();
}
END_TEST

/* ---- GET /v1/connectors/zendesk/deliveries ---- */

static void get_deliveries(const char *auth, const char *query, struct th_response *r)
{
    const char *headers[] = { auth, NULL };
    char path[256];
    snprintf(path, sizeof(path), "/v1/connectors/zendesk/deliveries%s", query);
    th_request(srv.port, "GET", path, headers, NULL, 0, r);
}

START_TEST(deliveries_page_filter_and_keep_tenants_apart)
{
    /* Five rows the worker leaves alone: settled, or due tomorrow. */
    static const char *const SETS[] = {
        "state = 'delivered', delivered_at = now(), last_status = 200, attempts = 1",
        "state = 'failed', last_status = 404, last_error = 'Zendesk answered 404', attempts = 1",
        "next_attempt_at = now() + interval '1 day'",
        "state = 'delivered', delivered_at = now(), last_status = 201, attempts = 2",
        "state = 'failed', last_status = 422, last_error = 'Zendesk answered 422', attempts = 1",
    };
    char ids[5][CRYPTO_UUID_STRLEN + 1];
    for (int i = 0; i < 5; i++) {
        char ticket[16];
        snprintf(ticket, sizeof(ticket), "49%02d", i);
        owe_note_as(tenant_name, auth_header, ticket, SETS[i], ids[i]);
    }
    /* newest first, two at a time */
    struct th_response r;
    char query[128] = "?limit=2";
    int seen = 0;
    for (int page = 0; page < 3; page++) {
        get_deliveries(auth_header, query, &r);
        ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
        json_t *list = json_object_get(r.json, "deliveries");
        for (size_t i = 0; i < json_array_size(list); i++, seen++) {
            json_t *item = json_array_get(list, i);
            ck_assert_str_eq(json_string_value(json_object_get(item, "delivery_id")), ids[4 - seen]);
            ck_assert_ptr_nonnull(json_object_get(item, "case_id"));
            ck_assert_ptr_nonnull(json_object_get(item, "created_at"));
        }
        const char *next = json_string_value(json_object_get(r.json, "next_after"));
        if (page < 2) {
            ck_assert_ptr_nonnull(next);
            snprintf(query, sizeof(query), "?limit=2&after=%s", next);
        } else {
            ck_assert_ptr_null(next); /* a short last page */
        }
        th_response_free(&r);
    }
    ck_assert_int_eq(seen, 5);
    /* a filter */
    get_deliveries(auth_header, "?state=failed", &r);
    ck_assert_int_eq(r.status, 200);
    json_t *failed = json_object_get(r.json, "deliveries");
    ck_assert_int_eq(json_array_size(failed), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(failed, 0), "delivery_id")), ids[4]);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(failed, 0), "last_status")), 422);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(failed, 0), "last_error")),
                     "Zendesk answered 422");
    ck_assert(json_is_null(json_object_get(json_array_get(failed, 0), "next_attempt_at")));
    th_response_free(&r);
    get_deliveries(auth_header, "?state=pending", &r);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "deliveries")), 1);
    json_t *pending = json_array_get(json_object_get(r.json, "deliveries"), 0);
    ck_assert(json_is_string(json_object_get(pending, "next_attempt_at")));
    ck_assert(json_is_null(json_object_get(pending, "delivered_at")));
    th_response_free(&r);
    /* another tenant sees none of them, and cannot page from one of them */
    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    get_deliveries(other_auth, "", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "deliveries")), 0);
    ck_assert_ptr_null(json_object_get(r.json, "next_after"));
    th_response_free(&r);
    snprintf(query, sizeof(query), "?after=%s", ids[2]);
    get_deliveries(other_auth, query, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "after"));
    th_response_free(&r);
}
END_TEST

START_TEST(deliveries_parameters_are_validated_by_name)
{
    static const struct {
        const char *query, *names;
    } BAD[] = {
        { "?state=sent", "state" },  { "?state=", "state" },   { "?limit=0", "limit" },
        { "?limit=201", "limit" },   { "?limit=ten", "limit" }, { "?limit=", "limit" },
        { "?after=123", "after" },
    };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        struct th_response r;
        get_deliveries(auth_header, BAD[i].query, &r);
        ck_assert_msg(r.status == 400, "%s: %ld", BAD[i].query, r.status);
        ck_assert_msg(strstr(r.body, BAD[i].names) != NULL, "%s: %s", BAD[i].query, r.body);
        th_response_free(&r);
    }
    struct th_response r;
    get_deliveries(auth_header, "?limit=200&state=delivered", &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    get_deliveries(NULL, "", &r);
    ck_assert_int_eq(r.status, 401);
    th_response_free(&r);
}
END_TEST

Suite *outbox_suite(void)
{
    Suite *s = suite_create("outbox");
    TCase *units = tcase_create("configuration");
    tcase_add_test(units, only_https_or_loopback_bases_are_allowed);
    suite_add_tcase(s, units);
    TCase *worker = tcase_create("worker");
    tcase_add_checked_fixture(worker, setup, teardown);
    tcase_set_timeout(worker, 120);
    tcase_add_test(worker, a_note_reaches_zendesk_with_its_path_auth_body_and_tags);
    tcase_add_test(worker, wrong_credentials_are_refused_by_zendesk_and_retried_later);
    tcase_add_test(worker, zendesk_down_for_a_while_then_back_gets_the_note_once);
    tcase_add_test(worker, a_timeout_then_back_gets_the_note_once);
    tcase_add_test(worker, what_was_pending_at_a_restart_is_sent_once_after_it);
    tcase_add_test(worker, a_worker_stopped_mid_call_leaves_the_note_to_be_found_not_resent);
    tcase_add_test(worker, a_429_is_honoured_until_its_retry_after);
    tcase_add_test(worker, a_ticket_that_is_gone_fails_at_once);
    tcase_add_test(worker, a_disabled_connector_sends_nothing_and_says_why);
    tcase_add_test(worker, a_note_still_owed_past_the_bound_fails);
    tcase_add_test(worker, a_zendesk_events_note_reaches_its_ticket_once);
    tcase_add_test(worker, a_503_with_retry_after_is_honoured_and_looked_at_first);
    tcase_add_test(worker, an_unreadable_comments_listing_sends_nothing_until_it_reads);
    tcase_add_test(worker, one_tenants_silent_zendesk_does_not_hold_anothers_notes);
    tcase_add_test(worker, a_stored_subdomain_that_is_not_one_fails_and_is_never_called);
    suite_add_tcase(s, worker);
    TCase *api = tcase_create("deliveries_api");
    tcase_add_checked_fixture(api, setup, teardown);
    tcase_set_timeout(api, 60);
    tcase_add_test(api, deliveries_page_filter_and_keep_tenants_apart);
    tcase_add_test(api, deliveries_parameters_are_validated_by_name);
    tcase_add_test(api, a_result_is_recorded_only_by_the_attempt_that_holds_the_row);
    suite_add_tcase(s, api);
    return s;
}
