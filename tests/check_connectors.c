/* The helpdesk connectors' settings (issue #12): AES-256-GCM sealing,
 * REDRESS_SECRET_KEY, and GET/PUT /v1/connectors/{zendesk|gorgias} end to
 * end: defaults, validation naming each field, write-only secrets that are
 * never stored in clear, clearing, enabling, tenants apart, and a server
 * without the key. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "connectors.h"
#include "crypto.h"
#include "harness.h"

/* The key the suite's server seals with (tests only). */
static const char KEY_HEX[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/* ---- crypto ---- */

static void test_key(uint8_t key[CRYPTO_SEAL_KEY_LEN])
{
    ck_assert_int_eq(crypto_unhex(KEY_HEX, key, CRYPTO_SEAL_KEY_LEN), 0);
}

START_TEST(seal_round_trips_and_hides_the_plaintext)
{
    uint8_t key[CRYPTO_SEAL_KEY_LEN], sealed[64 + CRYPTO_SEAL_OVERHEAD], again[sizeof(sealed)];
    char plain[64] = "zendesk-api-token-1234567890";
    size_t n = strlen(plain);
    test_key(key);
    ck_assert_int_eq(crypto_seal(key, "tenant:1:zendesk:api_token", plain, n, sealed), 0);
    ck_assert_ptr_null(memmem(sealed, n + CRYPTO_SEAL_OVERHEAD, plain, 8));
    char opened[64] = "";
    ck_assert_int_eq(crypto_open(key, "tenant:1:zendesk:api_token", sealed, n + CRYPTO_SEAL_OVERHEAD, opened), 0);
    ck_assert_mem_eq(opened, plain, n);
    /* a fresh nonce each time: the same secret never seals the same */
    ck_assert_int_eq(crypto_seal(key, "tenant:1:zendesk:api_token", plain, n, again), 0);
    ck_assert(memcmp(sealed, again, n + CRYPTO_SEAL_OVERHEAD) != 0);
}
END_TEST

START_TEST(seal_fails_closed_on_any_altered_byte)
{
    uint8_t key[CRYPTO_SEAL_KEY_LEN], sealed[16 + CRYPTO_SEAL_OVERHEAD];
    const char plain[] = "webhook-secret!!"; /* 16 bytes */
    test_key(key);
    ck_assert_int_eq(crypto_seal(key, "a", plain, 16, sealed), 0);
    /* every byte: nonce, ciphertext and tag */
    for (size_t i = 0; i < sizeof(sealed); i++) {
        uint8_t altered[sizeof(sealed)];
        char opened[16];
        memcpy(altered, sealed, sizeof(sealed));
        altered[i] ^= 0x01;
        memset(opened, 'x', sizeof(opened));
        ck_assert_msg(crypto_open(key, "a", altered, sizeof(altered), opened) != 0, "byte %zu altered", i);
        for (size_t j = 0; j < sizeof(opened); j++)
            ck_assert_int_eq(opened[j], 0); /* nothing unverified comes out */
    }
    char opened[16];
    ck_assert_int_ne(crypto_open(key, "a", sealed, sizeof(sealed) - 1, opened), 0); /* cut short */
    ck_assert_int_ne(crypto_open(key, "a", sealed, CRYPTO_SEAL_OVERHEAD - 1, opened), 0);
}
END_TEST

START_TEST(seal_is_bound_to_its_aad_and_key)
{
    uint8_t key[CRYPTO_SEAL_KEY_LEN], other[CRYPTO_SEAL_KEY_LEN], sealed[5 + CRYPTO_SEAL_OVERHEAD];
    char opened[5];
    test_key(key);
    memcpy(other, key, sizeof(other));
    other[31] ^= 0x80;
    ck_assert_int_eq(crypto_seal(key, "tenant:7:zendesk:api_token", "token", 5, sealed), 0);
    ck_assert_int_ne(crypto_open(key, "tenant:8:zendesk:api_token", sealed, sizeof(sealed), opened), 0);
    ck_assert_int_ne(crypto_open(key, "tenant:7:zendesk:webhook_secret", sealed, sizeof(sealed), opened), 0);
    ck_assert_int_ne(crypto_open(key, "", sealed, sizeof(sealed), opened), 0);
    ck_assert_int_ne(crypto_open(other, "tenant:7:zendesk:api_token", sealed, sizeof(sealed), opened), 0);
    ck_assert_int_eq(crypto_open(key, "tenant:7:zendesk:api_token", sealed, sizeof(sealed), opened), 0);
    ck_assert_mem_eq(opened, "token", 5);
}
END_TEST

START_TEST(unhex_takes_exactly_the_length_asked)
{
    uint8_t out[2];
    ck_assert_int_eq(crypto_unhex("aB0f", out, 2), 0);
    ck_assert_int_eq(out[0], 0xab);
    ck_assert_int_eq(out[1], 0x0f);
    ck_assert_int_ne(crypto_unhex("ab0", out, 2), 0);
    ck_assert_int_ne(crypto_unhex("ab0f0", out, 2), 0);
    ck_assert_int_ne(crypto_unhex("ab0g", out, 2), 0);
    ck_assert_int_ne(crypto_unhex("ab 0", out, 2), 0);
}
END_TEST

/* ---- REDRESS_SECRET_KEY ---- */

static const char *key_value;
static const char *lookup_key_only(const char *name)
{
    return strcmp(name, "REDRESS_SECRET_KEY") == 0 ? key_value : NULL;
}

START_TEST(secret_key_is_optional_and_must_be_64_hex_characters)
{
    struct config cfg;
    char err[256];
    key_value = NULL;
    ck_assert_int_eq(config_load(&cfg, lookup_key_only, err, sizeof(err)), 0);
    ck_assert(!cfg.secret_key.set);
    key_value = KEY_HEX;
    ck_assert_int_eq(config_load(&cfg, lookup_key_only, err, sizeof(err)), 0);
    ck_assert(cfg.secret_key.set);
    ck_assert_int_eq(cfg.secret_key.bytes[0], 0x00);
    ck_assert_int_eq(cfg.secret_key.bytes[31], 0x1f);
    static const char *const BAD[] = {
        "00010203",                                                           /* short */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00", /* long */
        "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",   /* not hex */
    };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        key_value = BAD[i];
        ck_assert_int_eq(config_load(&cfg, lookup_key_only, err, sizeof(err)), -1);
        ck_assert_msg(strstr(err, "REDRESS_SECRET_KEY") != NULL, "%s", err);
        ck_assert_msg(strstr(err, BAD[i]) == NULL, "the message repeats the secret: %s", err);
    }
}
END_TEST

START_TEST(a_malformed_secret_key_stops_serve)
{
    char command[1024], out[4096];
    snprintf(command, sizeof(command),
             "REDRESS_DATABASE_URL='%s' REDRESS_PORT=0 REDRESS_SECRET_KEY=not-a-key timeout -s KILL 60 %s serve",
             th_conninfo(), getenv("REDRESS_TEST_BINARY"));
    int status = th_shell(command, out, sizeof(out));
    ck_assert_msg(status != 0 && status != 128, "serve should refuse to start: %d %s", status, out);
    ck_assert_msg(strstr(out, "REDRESS_SECRET_KEY") != NULL, "the message should name the variable: %s", out);
    ck_assert_msg(strstr(out, "listening") == NULL, "serve should not listen: %s", out);
}
END_TEST

/* ---- the API ---- */

static struct th_server srv;
static char tenant_name[64], api_key[APIKEY_LEN + 1], auth_header[TH_AUTH_HEADER_SIZE];

static void setup(void)
{
    const char *extra[] = { "REDRESS_SECRET_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                            NULL };
    th_server_start(&srv, th_conninfo(), extra);
    th_tenant_with_auth(th_conninfo(), tenant_name, api_key, auth_header);
}

static void teardown(void)
{
    th_server_stop(&srv);
}

static void request_as(unsigned port, const char *auth, const char *method, const char *path, const char *body,
                       struct th_response *r)
{
    const char *headers[] = { auth, "Content-Type: application/json", NULL };
    th_request(port, method, path, headers, body, body ? strlen(body) : 0, r);
}

static void request(const char *method, const char *path, const char *body, struct th_response *r)
{
    request_as(srv.port, auth_header, method, path, body, r);
}

static void assert_problem(const struct th_response *r, long status, const char *slug)
{
    ck_assert_msg(r->status == status, "expected %ld, got %ld: %s", status, r->status, r->body);
    char type[128];
    snprintf(type, sizeof(type), "urn:redress:problem:%s", slug);
    ck_assert_msg(r->json != NULL, "%s", r->body);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "type")), type);
}

/* True when the problem's errors[] names field. */
static bool names_field(const struct th_response *r, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
            return true;
    return false;
}

/* The tenant's stored row as text (settings || secrets), or NULL when it has
 * none; malloc'd. */
static char *stored_row(const char *tenant, const char *connector)
{
    PGconn *conn = PQconnectdb(th_conninfo());
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    const char *params[] = { tenant, connector };
    PGresult *res = PQexecParams(conn,
                                 "SELECT c.settings::text || ' ' || c.secrets::text AS row FROM connector_settings c"
                                 " JOIN tenants t ON t.id = c.tenant_id WHERE t.name = $1 AND c.connector = $2",
                                 2, NULL, params, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    char *row = PQntuples(res) == 1 ? strdup(PQgetvalue(res, 0, PQfnumber(res, "row"))) : NULL;
    PQclear(res);
    PQfinish(conn);
    return row;
}

static int64_t tenant_id(const char *tenant)
{
    PGconn *conn = PQconnectdb(th_conninfo());
    const char *params[] = { tenant };
    PGresult *res = PQexecParams(conn, "SELECT id FROM tenants WHERE name = $1", 1, NULL, params, NULL, NULL, 0);
    ck_assert_int_eq(PQntuples(res), 1);
    int64_t id = strtoll(PQgetvalue(res, 0, PQfnumber(res, "id")), NULL, 10);
    PQclear(res);
    PQfinish(conn);
    return id;
}

static const char ZENDESK_FULL[] =
    "{\"enabled\":true,\"subdomain\":\"acme-shop\",\"api_user\":\"agent@acme.example\","
    "\"api_token\":\"TOKEN-plaintext-4f9a\",\"webhook_secret\":\"WEBHOOK-plaintext-77c1\","
    "\"field_map\":{\"order_id\":360001234567,\"sku\":360001234568,\"currency\":12},\"note_language\":\"de\"}";

static void put_zendesk_full(void)
{
    struct th_response r;
    request("PUT", "/v1/connectors/zendesk", ZENDESK_FULL, &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    th_response_free(&r);
}

START_TEST(get_answers_the_defaults_before_anything_was_set)
{
    struct th_response r;
    request("GET", "/v1/connectors/zendesk", NULL, &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    json_t *expected = json_loads("{\"enabled\":false,\"subdomain\":null,\"api_user\":null,"
                                  "\"field_map\":{\"order_id\":null,\"sku\":null,\"item_price\":null,"
                                  "\"currency\":null,\"category\":null},\"note_language\":\"en\","
                                  "\"api_token_set\":false,\"webhook_secret_set\":false}", 0, NULL);
    ck_assert_msg(json_equal(r.json, expected), "%s", r.body);
    json_decref(expected);
    th_response_free(&r);
    request("GET", "/v1/connectors/gorgias", NULL, &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    expected = json_loads("{\"enabled\":false,\"field_map\":{\"order_id\":null,\"sku\":null,\"item_price\":null,"
                          "\"currency\":null},\"widget_language\":\"en\"}", 0, NULL);
    ck_assert_msg(json_equal(r.json, expected), "%s", r.body);
    json_decref(expected);
    th_response_free(&r);
}
END_TEST

START_TEST(another_connector_is_not_found)
{
    struct th_response r;
    request("GET", "/v1/connectors/freshdesk", NULL, &r);
    assert_problem(&r, 404, "not-found");
    th_response_free(&r);
    request("PUT", "/v1/connectors/freshdesk", "{\"enabled\":false}", &r);
    assert_problem(&r, 404, "not-found");
    th_response_free(&r);
}
END_TEST

START_TEST(put_then_get_shows_the_settings_and_never_the_secrets)
{
    struct th_response put, get;
    request("PUT", "/v1/connectors/zendesk", ZENDESK_FULL, &put);
    ck_assert_msg(put.status == 200, "%s", put.body);
    request("GET", "/v1/connectors/zendesk", NULL, &get);
    ck_assert_msg(get.status == 200, "%s", get.body);
    ck_assert_msg(json_equal(put.json, get.json), "PUT answers what GET answers: %s / %s", put.body, get.body);
    json_t *expected = json_loads("{\"enabled\":true,\"subdomain\":\"acme-shop\",\"api_user\":\"agent@acme.example\","
                                  "\"field_map\":{\"order_id\":360001234567,\"sku\":360001234568,\"item_price\":null,"
                                  "\"currency\":12,\"category\":null},\"note_language\":\"de\","
                                  "\"api_token_set\":true,\"webhook_secret_set\":true}", 0, NULL);
    ck_assert_msg(json_equal(get.json, expected), "%s", get.body);
    json_decref(expected);
    ck_assert_ptr_null(strstr(get.body, "plaintext"));
    ck_assert_ptr_null(strstr(put.body, "plaintext"));
    th_response_free(&put);
    th_response_free(&get);
}
END_TEST

START_TEST(the_secrets_are_stored_sealed_and_bound_to_their_tenant)
{
    put_zendesk_full();
    char *row = stored_row(tenant_name, "zendesk");
    ck_assert_ptr_nonnull(row);
    ck_assert_msg(strstr(row, "TOKEN-plaintext-4f9a") == NULL && strstr(row, "WEBHOOK-plaintext-77c1") == NULL,
                  "a secret is stored in clear: %s", row);
    /* nor as hex of its bytes */
    char hex[64];
    crypto_hex((const uint8_t *)"TOKEN-plaintext", 15, hex);
    ck_assert_ptr_null(strstr(row, hex));
    ck_assert_ptr_nonnull(strstr(row, "acme-shop")); /* the settings are there */
    free(row);
    /* The stored value opens with the server's key under this tenant's
     * name for it, and under no other tenant's. */
    PGconn *conn = PQconnectdb(th_conninfo());
    const char *params[] = { tenant_name };
    PGresult *res = PQexecParams(conn,
                                 "SELECT c.secrets->>'api_token' AS sealed FROM connector_settings c"
                                 " JOIN tenants t ON t.id = c.tenant_id WHERE t.name = $1 AND c.connector = 'zendesk'",
                                 1, NULL, params, NULL, NULL, 0);
    ck_assert_int_eq(PQntuples(res), 1);
    const char *sealed_hex = PQgetvalue(res, 0, PQfnumber(res, "sealed"));
    size_t sealed_len = strlen(sealed_hex) / 2;
    ck_assert_uint_eq(sealed_len, strlen("TOKEN-plaintext-4f9a") + CRYPTO_SEAL_OVERHEAD);
    uint8_t sealed[128], key[CRYPTO_SEAL_KEY_LEN];
    char opened[128] = "", aad[96];
    ck_assert_int_eq(crypto_unhex(sealed_hex, sealed, sealed_len), 0);
    test_key(key);
    int64_t id = tenant_id(tenant_name);
    snprintf(aad, sizeof(aad), "tenant:%lld:zendesk:api_token", (long long)id);
    ck_assert_int_eq(crypto_open(key, aad, sealed, sealed_len, opened), 0);
    ck_assert_str_eq(opened, "TOKEN-plaintext-4f9a");
    snprintf(aad, sizeof(aad), "tenant:%lld:zendesk:api_token", (long long)id + 1);
    ck_assert_int_ne(crypto_open(key, aad, sealed, sealed_len, opened), 0);
    snprintf(aad, sizeof(aad), "tenant:%lld:zendesk:webhook_secret", (long long)id);
    ck_assert_int_ne(crypto_open(key, aad, sealed, sealed_len, opened), 0);
    PQclear(res);
    PQfinish(conn);
}
END_TEST

START_TEST(a_secret_left_out_stays_and_null_clears_it)
{
    put_zendesk_full();
    struct th_response r;
    /* left out: kept (the connector stays enabled, so they must be) */
    request("PUT", "/v1/connectors/zendesk",
            "{\"enabled\":true,\"subdomain\":\"acme-shop\",\"api_user\":\"agent@acme.example\"}", &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert(json_is_true(json_object_get(r.json, "api_token_set")));
    ck_assert(json_is_true(json_object_get(r.json, "webhook_secret_set")));
    /* the document is replaced: the field map and language went back to their defaults */
    ck_assert(json_is_null(json_object_get(json_object_get(r.json, "field_map"), "order_id")));
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "note_language")), "en");
    th_response_free(&r);
    char *before = stored_row(tenant_name, "zendesk");
    /* null: cleared */
    request("PUT", "/v1/connectors/zendesk", "{\"enabled\":false,\"api_token\":null}", &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert(json_is_false(json_object_get(r.json, "api_token_set")));
    ck_assert(json_is_true(json_object_get(r.json, "webhook_secret_set")));
    th_response_free(&r);
    request("GET", "/v1/connectors/zendesk", NULL, &r);
    ck_assert(json_is_false(json_object_get(r.json, "api_token_set")));
    th_response_free(&r);
    char *after = stored_row(tenant_name, "zendesk");
    ck_assert_ptr_nonnull(strstr(before, "api_token"));
    ck_assert_msg(strstr(after, "api_token") == NULL, "the sealed token is still stored: %s", after);
    free(before);
    free(after);
}
END_TEST

START_TEST(every_validation_error_names_its_field)
{
    struct th_response r;
    request("PUT", "/v1/connectors/zendesk",
            "{\"enabled\":\"yes\",\"subdomain\":\"-Acme.zendesk.com\",\"api_user\":\"not an address\","
            "\"api_token\":\"\",\"webhook_secret\":42,\"field_map\":{\"order_id\":0,\"sku\":\"360\","
            "\"item_price\":-5,\"currency\":1.5,\"category\":9007199254740992,\"colour\":1},"
            "\"note_language\":\"pt\",\"api_token_set\":true}", &r);
    assert_problem(&r, 400, "validation");
    static const char *const FIELDS[] = {
        "enabled", "subdomain", "api_user", "api_token", "webhook_secret", "field_map.order_id", "field_map.sku",
        "field_map.item_price", "field_map.currency", "field_map.category", "field_map.colour", "note_language",
        "api_token_set",
    };
    for (size_t i = 0; i < sizeof(FIELDS) / sizeof(FIELDS[0]); i++)
        ck_assert_msg(names_field(&r, FIELDS[i]), "%s is not named: %s", FIELDS[i], r.body);
    th_response_free(&r);
    /* each shape check alone */
    static const char *const ALONE[][2] = {
        { "{\"subdomain\":\"acme_shop\"}", "subdomain" },
        { "{\"subdomain\":\"-acme\"}", "subdomain" },
        { "{\"subdomain\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "subdomain" },
        { "{\"api_user\":\"agent@localhost\"}", "api_user" },
        { "{\"api_user\":\"@acme.example\"}", "api_user" },
        { "{\"field_map\":[]}", "field_map" },
    };
    for (size_t i = 0; i < sizeof(ALONE) / sizeof(ALONE[0]); i++) {
        request("PUT", "/v1/connectors/zendesk", ALONE[i][0], &r);
        assert_problem(&r, 400, "validation");
        ck_assert_msg(names_field(&r, ALONE[i][1]) && json_array_size(json_object_get(r.json, "errors")) == 1,
                      "%s: %s", ALONE[i][0], r.body);
        th_response_free(&r);
    }
    request("PUT", "/v1/connectors/gorgias",
            "{\"enabled\":1,\"field_map\":{\"order_id\":\"\",\"sku\":7,\"currency\":"
            "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},\"widget_language\":\"EN\","
            "\"api_token\":\"x\"}", &r);
    assert_problem(&r, 400, "validation");
    static const char *const GORGIAS[] = { "enabled", "field_map.order_id", "field_map.sku", "field_map.currency",
                                           "widget_language", "api_token" };
    for (size_t i = 0; i < sizeof(GORGIAS) / sizeof(GORGIAS[0]); i++)
        ck_assert_msg(names_field(&r, GORGIAS[i]), "%s is not named: %s", GORGIAS[i], r.body);
    th_response_free(&r);
    ck_assert_ptr_null(stored_row(tenant_name, "zendesk")); /* nothing was written */
    ck_assert_ptr_null(stored_row(tenant_name, "gorgias"));
}
END_TEST

START_TEST(enabling_zendesk_needs_every_credential)
{
    struct th_response r;
    request("PUT", "/v1/connectors/zendesk", "{\"enabled\":true,\"subdomain\":\"acme\",\"api_token\":\"t\"}", &r);
    assert_problem(&r, 422, "unprocessable");
    ck_assert(names_field(&r, "api_user"));
    ck_assert(names_field(&r, "webhook_secret"));
    ck_assert(!names_field(&r, "subdomain"));
    ck_assert(!names_field(&r, "api_token"));
    th_response_free(&r);
    ck_assert_ptr_null(stored_row(tenant_name, "zendesk")); /* rolled back */
    /* the secrets stored before count */
    request("PUT", "/v1/connectors/zendesk", "{\"api_token\":\"t\",\"webhook_secret\":\"w\"}", &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    th_response_free(&r);
    request("PUT", "/v1/connectors/zendesk",
            "{\"enabled\":true,\"subdomain\":\"acme\",\"api_user\":\"a@acme.example\"}", &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert(json_is_true(json_object_get(r.json, "enabled")));
    th_response_free(&r);
    /* and clearing one while enabled is refused, the stored one kept */
    request("PUT", "/v1/connectors/zendesk",
            "{\"enabled\":true,\"subdomain\":\"acme\",\"api_user\":\"a@acme.example\",\"webhook_secret\":null}", &r);
    assert_problem(&r, 422, "unprocessable");
    ck_assert(names_field(&r, "webhook_secret"));
    th_response_free(&r);
    request("GET", "/v1/connectors/zendesk", NULL, &r);
    ck_assert(json_is_true(json_object_get(r.json, "webhook_secret_set")));
    th_response_free(&r);
    /* Gorgias needs no credential here (it authenticates with the API key) */
    request("PUT", "/v1/connectors/gorgias", "{\"enabled\":true,\"field_map\":{\"order_id\":\"Order number\"},"
                                             "\"widget_language\":\"zh-Hant\"}", &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "field_map"), "order_id")),
                     "Order number");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "widget_language")), "zh-Hant");
    th_response_free(&r);
}
END_TEST

/* What the events and the outbox will use: the secret opened only for the
 * row it was sealed for, with the server's key. */
START_TEST(a_secret_opens_only_for_its_own_row_and_key)
{
    put_zendesk_full();
    struct db *db = db_thread_connection(NULL);
    ck_assert_ptr_nonnull(db);
    const uint8_t *key = http_server_secret_key(srv.server);
    ck_assert_ptr_nonnull(key);
    int64_t id = tenant_id(tenant_name);
    char *secret = NULL;
    ck_assert_int_eq(connectors_secret_open(db, key, id, "zendesk", "api_token", &secret), DB_OK);
    ck_assert_str_eq(secret, "TOKEN-plaintext-4f9a");
    free(secret);
    ck_assert_int_eq(connectors_secret_open(db, key, id, "zendesk", "webhook_secret", &secret), DB_OK);
    ck_assert_str_eq(secret, "WEBHOOK-plaintext-77c1");
    free(secret);
    /* not a secret, not a connector, not set */
    ck_assert_int_eq(connectors_secret_open(db, key, id, "zendesk", "subdomain", &secret), DB_NOT_FOUND);
    ck_assert_int_eq(connectors_secret_open(db, key, id, "freshdesk", "api_token", &secret), DB_NOT_FOUND);
    ck_assert_int_eq(connectors_secret_open(db, key, id, "gorgias", "api_token", &secret), DB_NOT_FOUND);
    /* no key, another key */
    uint8_t other[CRYPTO_SEAL_KEY_LEN];
    memcpy(other, key, sizeof(other));
    other[0] ^= 1;
    ck_assert_int_eq(connectors_secret_open(db, NULL, id, "zendesk", "api_token", &secret), DB_ERROR);
    ck_assert_int_eq(connectors_secret_open(db, other, id, "zendesk", "api_token", &secret), DB_ERROR);
    ck_assert_ptr_null(secret);
    /* Copied into another tenant's row, or into another field of its own,
     * it does not open. */
    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    int64_t other_id = tenant_id(other_name);
    char a[24], b[24];
    snprintf(a, sizeof(a), "%lld", (long long)id);
    snprintf(b, sizeof(b), "%lld", (long long)other_id);
    PGconn *conn = PQconnectdb(th_conninfo());
    const char *params[] = { a, b };
    PGresult *res = PQexecParams(conn,
                                 "INSERT INTO connector_settings (tenant_id, connector, secrets)"
                                 " SELECT $2, 'zendesk', secrets FROM connector_settings"
                                 " WHERE tenant_id = $1 AND connector = 'zendesk'", 2, NULL, params, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    res = PQexecParams(conn,
                       "UPDATE connector_settings SET secrets = jsonb_build_object('webhook_secret',"
                       " secrets->'api_token') WHERE tenant_id = $1 AND connector = 'zendesk'", 1, NULL, params,
                       NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    PQfinish(conn);
    ck_assert_int_eq(connectors_secret_open(db, key, other_id, "zendesk", "api_token", &secret), DB_ERROR);
    ck_assert_int_eq(connectors_secret_open(db, key, id, "zendesk", "webhook_secret", &secret), DB_ERROR);
    ck_assert_ptr_null(secret);
    /* the settings as the connectors will read them */
    enum db_status status;
    json_t *settings = connectors_settings(db, id, "zendesk", &status);
    ck_assert_int_eq(status, DB_OK);
    ck_assert_str_eq(json_string_value(json_object_get(settings, "subdomain")), "acme-shop");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(settings, "field_map"), "order_id")),
                     360001234567LL);
    json_decref(settings);
    ck_assert_ptr_null(connectors_settings(db, id, "freshdesk", &status));
    ck_assert_int_eq(status, DB_NOT_FOUND);
}
END_TEST

START_TEST(one_tenant_never_sees_another_tenants_settings)
{
    put_zendesk_full();
    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    struct th_response r;
    request_as(srv.port, other_auth, "GET", "/v1/connectors/zendesk", NULL, &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert(json_is_false(json_object_get(r.json, "enabled")));
    ck_assert(json_is_null(json_object_get(r.json, "subdomain")));
    ck_assert(json_is_false(json_object_get(r.json, "api_token_set")));
    th_response_free(&r);
    /* and its own write leaves the first tenant's as they were */
    request_as(srv.port, other_auth, "PUT", "/v1/connectors/zendesk", "{\"subdomain\":\"other\",\"api_token\":null}",
               &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    th_response_free(&r);
    request("GET", "/v1/connectors/zendesk", NULL, &r);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "subdomain")), "acme-shop");
    ck_assert(json_is_true(json_object_get(r.json, "api_token_set")));
    th_response_free(&r);
}
END_TEST

/* A server of its own, started without REDRESS_SECRET_KEY (the harness
 * reads no variable the test does not give). */
START_TEST(without_the_key_a_secret_is_refused_and_nothing_stored)
{
    struct th_server keyless;
    th_server_start(&keyless, th_conninfo(), NULL);
    th_tenant_with_auth(th_conninfo(), tenant_name, api_key, auth_header);
    struct th_response r;
    request_as(keyless.port, auth_header, "PUT", "/v1/connectors/zendesk",
               "{\"subdomain\":\"acme\",\"api_token\":\"TOKEN-plaintext-4f9a\"}", &r);
    assert_problem(&r, 503, "connectors-disabled");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "detail")),
                     "REDRESS_SECRET_KEY is not set: connector secrets cannot be stored");
    th_response_free(&r);
    ck_assert_ptr_null(stored_row(tenant_name, "zendesk"));
    /* what needs no key still works */
    request_as(keyless.port, auth_header, "GET", "/v1/connectors/zendesk", NULL, &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    th_response_free(&r);
    request_as(keyless.port, auth_header, "PUT", "/v1/connectors/zendesk",
               "{\"subdomain\":\"acme\",\"webhook_secret\":null}", &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "subdomain")), "acme");
    th_response_free(&r);
    th_server_stop(&keyless);
}
END_TEST

Suite *connectors_suite(void)
{
    Suite *s = suite_create("connectors");
    TCase *units = tcase_create("crypto_and_config");
    tcase_add_test(units, seal_round_trips_and_hides_the_plaintext);
    tcase_add_test(units, seal_fails_closed_on_any_altered_byte);
    tcase_add_test(units, seal_is_bound_to_its_aad_and_key);
    tcase_add_test(units, unhex_takes_exactly_the_length_asked);
    tcase_add_test(units, secret_key_is_optional_and_must_be_64_hex_characters);
    tcase_add_test(units, a_malformed_secret_key_stops_serve);
    tcase_set_timeout(units, 90);
    suite_add_tcase(s, units);
    TCase *api = tcase_create("settings_api");
    tcase_add_checked_fixture(api, setup, teardown);
    tcase_set_timeout(api, 60);
    tcase_add_test(api, get_answers_the_defaults_before_anything_was_set);
    tcase_add_test(api, another_connector_is_not_found);
    tcase_add_test(api, put_then_get_shows_the_settings_and_never_the_secrets);
    tcase_add_test(api, the_secrets_are_stored_sealed_and_bound_to_their_tenant);
    tcase_add_test(api, a_secret_left_out_stays_and_null_clears_it);
    tcase_add_test(api, every_validation_error_names_its_field);
    tcase_add_test(api, enabling_zendesk_needs_every_credential);
    tcase_add_test(api, one_tenant_never_sees_another_tenants_settings);
    tcase_add_test(api, a_secret_opens_only_for_its_own_row_and_key);
    suite_add_tcase(s, api);
    TCase *keyless = tcase_create("without_a_key");
    tcase_set_timeout(keyless, 60);
    tcase_add_test(keyless, without_the_key_a_secret_is_refused_and_nothing_stored);
    suite_add_tcase(s, keyless);
    return s;
}
