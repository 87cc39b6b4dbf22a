/* Unit tests for the shared helpers. */
#include <stdlib.h>
#include <string.h>

#include "apikey.h"
#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "days.h"
#include "harness.h"
#include "http.h"
#include "metrics.h"

START_TEST(buf_grows_geometrically_and_keeps_content)
{
    struct buf b;
    buf_init(&b, 0);
    size_t reallocs = 0, last_cap = 0;
    for (int i = 0; i < 100000; i++) {
        ck_assert(buf_append(&b, "x", 1));
        if (b.cap != last_cap) {
            reallocs++;
            last_cap = b.cap;
        }
    }
    ck_assert_uint_eq(b.len, 100000);
    ck_assert_uint_le(reallocs, 12); /* 256 → 131072 by doubling */
    ck_assert_int_eq(b.data[b.len], '\0');
    ck_assert(buf_printf(&b, "%d-%s", 42, "z"));
    ck_assert_str_eq(b.data + 100000, "42-z");
    buf_cleanup(&b);
}
END_TEST

START_TEST(buf_cap_is_sticky)
{
    struct buf b;
    buf_init(&b, 10);
    ck_assert(buf_append(&b, "0123456789", 10));
    ck_assert(buf_ok(&b));
    ck_assert(!buf_append(&b, "a", 1));
    ck_assert(b.over_limit);
    ck_assert(!buf_append(&b, "", 0)); /* stays failed */
    ck_assert_uint_eq(b.len, 10);
    ck_assert_ptr_null(buf_steal(&b, NULL));
    buf_cleanup(&b);
}
END_TEST

START_TEST(buf_steal_hands_over_storage)
{
    struct buf b;
    buf_init(&b, 0);
    size_t len = 99;
    char *empty = buf_steal(&b, &len);
    ck_assert_str_eq(empty, "");
    ck_assert_uint_eq(len, 0);
    free(empty);
    buf_append_str(&b, "hello");
    char *s = buf_steal(&b, &len);
    ck_assert_str_eq(s, "hello");
    ck_assert_uint_eq(len, 5);
    ck_assert_ptr_null(b.data);
    free(s);
}
END_TEST

START_TEST(request_id_kept_when_sane_replaced_otherwise)
{
    char out[HTTP_REQUEST_ID_MAX + 1];
    http_request_id_choose("abc-123_X.y:z", out);
    ck_assert_str_eq(out, "abc-123_X.y:z");
    const char *bad[] = { "", "has space", "new\nline", "quote\"", "<script>", NULL };
    for (int i = 0; bad[i]; i++) {
        http_request_id_choose(bad[i], out);
        ck_assert_msg(crypto_uuid_valid(out), "'%s' should be replaced, got '%s'", bad[i], out);
    }
    char long_id[HTTP_REQUEST_ID_MAX + 2];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    http_request_id_choose(long_id, out);
    ck_assert(crypto_uuid_valid(out));
    http_request_id_choose(NULL, out);
    ck_assert(crypto_uuid_valid(out));
    char other[HTTP_REQUEST_ID_MAX + 1];
    http_request_id_choose(NULL, other);
    ck_assert_str_ne(out, other);
}
END_TEST

static const char *const *fake_env;
static const char *fake_lookup(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = fake_env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

START_TEST(config_defaults)
{
    struct config cfg;
    char err[256];
    fake_env = NULL;
    ck_assert_int_eq(config_load(&cfg, fake_lookup, err, sizeof(err)), 0);
    ck_assert_uint_eq(cfg.port, 8080);
    ck_assert_str_eq(cfg.listen_addr, "127.0.0.1");
    ck_assert_uint_eq(cfg.threads, 4);
    ck_assert(cfg.migrate_on_start);
    ck_assert_int_eq(cfg.log_level, LOG_INFO);
    ck_assert_uint_eq(cfg.api_key_cache_s, 10);
    ck_assert_uint_gt(cfg.rate_limit_per_second, 0);
    ck_assert_uint_ge(cfg.rate_limit_burst, cfg.rate_limit_per_second);
}
END_TEST

START_TEST(config_overrides_and_errors)
{
    struct config cfg;
    char err[256];
    const char *good[] = { "REDRESS_PORT=9090", "REDRESS_LISTEN_ADDR=::1", "REDRESS_THREADS=8",
                           "REDRESS_LOG_LEVEL=debug", "REDRESS_MIGRATE_ON_START=no",
                           "REDRESS_API_KEY_CACHE_SECONDS=0", "REDRESS_RATE_LIMIT_PER_SECOND=0",
                           "REDRESS_RATE_LIMIT_BURST=7", NULL };
    fake_env = good;
    ck_assert_int_eq(config_load(&cfg, fake_lookup, err, sizeof(err)), 0);
    ck_assert_uint_eq(cfg.port, 9090);
    ck_assert_str_eq(cfg.listen_addr, "::1");
    ck_assert_uint_eq(cfg.threads, 8);
    ck_assert_int_eq(cfg.log_level, LOG_DEBUG);
    ck_assert(!cfg.migrate_on_start);
    ck_assert_uint_eq(cfg.api_key_cache_s, 0);
    ck_assert_uint_eq(cfg.rate_limit_per_second, 0);
    ck_assert_uint_eq(cfg.rate_limit_burst, 7);

    struct { const char *setting, *named; } bad[] = {
        { "REDRESS_PORT=70000", "REDRESS_PORT" }, { "REDRESS_PORT=80x", "REDRESS_PORT" },
        { "REDRESS_PORT=-1", "REDRESS_PORT" }, { "REDRESS_THREADS=0", "REDRESS_THREADS" },
        { "REDRESS_LISTEN_ADDR=localhost", "REDRESS_LISTEN_ADDR" },
        { "REDRESS_LOG_LEVEL=loud", "REDRESS_LOG_LEVEL" },
        { "REDRESS_MIGRATE_ON_START=maybe", "REDRESS_MIGRATE_ON_START" },
        { "REDRESS_API_KEY_CACHE_SECONDS=-1", "REDRESS_API_KEY_CACHE_SECONDS" },
        { "REDRESS_RATE_LIMIT_BURST=0", "REDRESS_RATE_LIMIT_BURST" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *one[] = { bad[i].setting, NULL };
        fake_env = one;
        ck_assert_int_eq(config_load(&cfg, fake_lookup, err, sizeof(err)), -1);
        ck_assert_msg(strstr(err, bad[i].named) != NULL, "message '%s' should name %s", err, bad[i].named);
    }
}
END_TEST

START_TEST(sha256_known_vector)
{
    uint8_t digest[CRYPTO_SHA256_LEN];
    char hex[65];
    ck_assert_int_eq(crypto_sha256("abc", 3, digest), 0);
    crypto_hex(digest, sizeof(digest), hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(apikey_generate_and_parse)
{
    char key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1], prefix2[APIKEY_PREFIX_LEN + 1];
    uint8_t digest[32], digest2[32];
    ck_assert_int_eq(apikey_generate(key, prefix, digest), 0);
    ck_assert_uint_eq(strlen(key), APIKEY_LEN);
    ck_assert(strncmp(key, "rdr_", 4) == 0);
    ck_assert(strncmp(key + 4, prefix, APIKEY_PREFIX_LEN) == 0);
    ck_assert_int_eq(apikey_parse(key, prefix2, digest2), 0);
    ck_assert_str_eq(prefix, prefix2);
    ck_assert(crypto_equal(digest, digest2, 32));
    /* the digest is the SHA-256 of the whole key, nothing else is stored */
    uint8_t expected[32];
    crypto_sha256(key, strlen(key), expected);
    ck_assert(crypto_equal(digest, expected, 32));
    /* one changed secret character changes the digest */
    key[APIKEY_LEN - 1] = key[APIKEY_LEN - 1] == 'a' ? 'b' : 'a';
    ck_assert_int_eq(apikey_parse(key, prefix2, digest2), 0);
    ck_assert(!crypto_equal(digest, digest2, 32));
    /* two keys differ */
    char other[APIKEY_LEN + 1];
    apikey_generate(other, prefix2, digest2);
    ck_assert_str_ne(other, key);
    const char *bad[] = { "", "rdr_", "Bearer x", "rdr_ABCDEF012345_0000000000000000000000000000000000000000000000000000000000000000",
                          "xyz_abcdef012345_0000000000000000000000000000000000000000000000000000000000000000",
                          "rdr_abcdef012345_000000000000000000000000000000000000000000000000000000000000000", NULL };
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(apikey_parse(bad[i], prefix2, digest2) == -1, "'%s' should be rejected", bad[i]);
}
END_TEST

START_TEST(percent_decoding)
{
    char *s = http_percent_decode("A2X%39EX", 8);
    ck_assert_str_eq(s, "A2X9EX");
    free(s);
    ck_assert_ptr_null(http_percent_decode("a%2Fb", 5)); /* no '/' smuggled into an id */
    ck_assert_ptr_null(http_percent_decode("a%00", 4));
    ck_assert_ptr_null(http_percent_decode("a%4", 3));
    ck_assert_ptr_null(http_percent_decode("a%zz", 4));
}
END_TEST

START_TEST(client_address_behind_trusted_proxy)
{
    char out[INET6_ADDRSTRLEN];
    http_client_address("10.0.0.5", "203.0.113.9", "", out);
    ck_assert_str_eq(out, "10.0.0.5"); /* no trusted proxies: header ignored */
    http_client_address("10.0.0.5", "203.0.113.9", "10.0.0.5", out);
    ck_assert_str_eq(out, "203.0.113.9");
    http_client_address("10.0.0.5", "198.51.100.1, 203.0.113.9, 10.0.0.4", "10.0.0.4, 10.0.0.5", out);
    ck_assert_str_eq(out, "203.0.113.9"); /* spoofed left-most entry ignored */
    http_client_address("10.0.0.6", "203.0.113.9", "10.0.0.5", out);
    ck_assert_str_eq(out, "10.0.0.6"); /* untrusted peer */
    http_client_address("::1", "2001:db8::7", "0:0::1", out);
    ck_assert_str_eq(out, "2001:db8::7");
    http_client_address("10.0.0.5", "not-an-ip", "10.0.0.5", out);
    ck_assert_str_eq(out, "10.0.0.5");
}
END_TEST

START_TEST(routes_match_and_report_allow)
{
    const struct http_route *route = NULL;
    char *args[HTTP_MAX_PATH_ARGS] = { NULL };
    char allow[64];
    ck_assert_int_eq(http_route_find("GET", "/healthz", &route, args, allow, sizeof(allow)), HTTP_MATCH_OK);
    ck_assert_str_eq(route->pattern, "/healthz");
    ck_assert_int_eq(http_route_find("HEAD", "/healthz", &route, args, allow, sizeof(allow)), HTTP_MATCH_OK);
    ck_assert_int_eq(http_route_find("DELETE", "/healthz", &route, args, allow, sizeof(allow)),
                     HTTP_MATCH_NO_METHOD);
    ck_assert_str_eq(allow, "GET, HEAD");
    ck_assert_int_eq(http_route_find("GET", "/nope", &route, args, allow, sizeof(allow)), HTTP_MATCH_NO_PATH);
    ck_assert_int_eq(http_route_find("GET", "/healthz/", &route, args, allow, sizeof(allow)), HTTP_MATCH_NO_PATH);
    ck_assert_int_eq(http_route_find("GET", "", &route, args, allow, sizeof(allow)), HTTP_MATCH_NO_PATH);
}
END_TEST

START_TEST(metrics_count_unlisted_statuses_once_as_other)
{
    metrics_request(-1, 0, 0.002);   /* ended before any response */
    metrics_request(-1, 418, 0.002); /* a status the API does not list */
    metrics_request(-1, 404, 0.0005);
    struct buf out;
    buf_init(&out, 0);
    const char *names[] = { "GET /healthz" };
    metrics_render(&out, names, 1);
    ck_assert(buf_ok(&out));
    const char *other = "redress_http_requests_total{route=\"unmatched\",status=\"other\"} ";
    char *first = strstr(out.data, other);
    ck_assert_ptr_nonnull(first);
    ck_assert_int_eq(atol(first + strlen(other)), 2);
    ck_assert_ptr_null(strstr(first + 1, other)); /* one series per label set */
    ck_assert_ptr_nonnull(strstr(out.data, "status=\"404\"} 1\n"));
    /* cumulative buckets: the 0.5 ms request is under 1 ms, the others are not */
    ck_assert_ptr_nonnull(strstr(out.data, "duration_seconds_bucket{route=\"unmatched\",le=\"0.001\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "duration_seconds_bucket{route=\"unmatched\",le=\"0.0025\"} 3\n"));
    buf_cleanup(&out);
}
END_TEST

/* Every window of up to DAYS_COVER_WINDOW_MAX days over two years: each day
 * covered exactly once, months and weeks whole and aligned, counts bounded. */
START_TEST(day_windows_split_into_months_weeks_and_days)
{
    /* Check marks every assertion it passes (a write to its pipe): the
     * loops count what is wrong and assert once. */
    int64_t base = days_from_civil(2025, 1, 1);
    static unsigned char seen[DAYS_COVER_WINDOW_MAX];
    long wrong = 0;
    char first_wrong[96] = "";
    for (int64_t from = base; from < base + 400; from += 3) {
        for (int64_t length = 1; length <= DAYS_COVER_WINDOW_MAX; length++) {
            int64_t to = from + length - 1;
            struct days_cover c;
            long before = wrong;
            if (!days_cover(from, to, &c)) {
                wrong++;
                continue;
            }
            memset(seen, 0, (size_t)length);
            for (int i = 0; i < c.n[DAYS_SPAN_MONTH]; i++) {
                int64_t y;
                int m, d;
                days_to_civil(c.months[i], &y, &m, &d);
                wrong += d != 1;
                int64_t next = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
                for (int64_t x = c.months[i]; x < next; x++)
                    seen[x - from]++;
            }
            for (int i = 0; i < c.n[DAYS_SPAN_WEEK]; i++) {
                wrong += (c.weeks[i] + 3) % 7 != 0; /* a Monday */
                for (int64_t x = c.weeks[i]; x < c.weeks[i] + 7; x++)
                    seen[x - from]++;
            }
            for (int i = 0; i < c.n[DAYS_SPAN_DAY]; i++)
                seen[c.days[i] - from]++;
            for (int64_t x = 0; x < length; x++)
                wrong += seen[x] != 1;
            if (wrong != before && first_wrong[0] == '\0')
                snprintf(first_wrong, sizeof(first_wrong), "window of %lld days from day %lld", (long long)length,
                         (long long)from);
        }
    }
    ck_assert_msg(wrong == 0, "%ld wrong, first: %s", wrong, first_wrong);
    struct days_cover c;
    ck_assert(!days_cover(base, base - 1, &c));
    ck_assert(!days_cover(base, base + DAYS_COVER_WINDOW_MAX, &c));
    /* 2026-01-01 .. 2026-12-31: twelve months and nothing else. */
    ck_assert(days_cover(days_from_civil(2026, 1, 1), days_from_civil(2026, 12, 31), &c));
    ck_assert_int_eq(c.n[DAYS_SPAN_MONTH], 12);
    ck_assert_int_eq(c.n[DAYS_SPAN_WEEK] + c.n[DAYS_SPAN_DAY], 0);
    char text[DAYS_ARRAY_TEXT_MAX];
    days_array_text(c.months, 2, text);
    ck_assert_str_eq(text, "{2026-01-01,2026-02-01}");
    int64_t day;
    ck_assert(days_parse("2024-02-29", &day) && !days_parse("2025-02-29", &day) && !days_parse("2025-1-01", &day));
    char formatted[DAYS_TEXT_SIZE];
    days_format(day, formatted);
    ck_assert_str_eq(formatted, "2024-02-29");
}
END_TEST

Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("helpers");
    tcase_add_test(tc, buf_grows_geometrically_and_keeps_content);
    tcase_add_test(tc, buf_cap_is_sticky);
    tcase_add_test(tc, buf_steal_hands_over_storage);
    tcase_add_test(tc, request_id_kept_when_sane_replaced_otherwise);
    tcase_add_test(tc, config_defaults);
    tcase_add_test(tc, config_overrides_and_errors);
    tcase_add_test(tc, sha256_known_vector);
    tcase_add_test(tc, apikey_generate_and_parse);
    tcase_add_test(tc, percent_decoding);
    tcase_add_test(tc, client_address_behind_trusted_proxy);
    tcase_add_test(tc, routes_match_and_report_allow);
    tcase_add_test(tc, metrics_count_unlisted_statuses_once_as_other);
    tcase_add_test(tc, day_windows_split_into_months_weeks_and_days);
    suite_add_tcase(s, tc);
    return s;
}
