/* POST /v1/imports/{kind} end to end: streamed bodies (plain and gzip),
 * idempotent merges, refusals that leave nothing behind, the rollups the
 * imports keep, GET /v1/imports, and one tenant never seeing another's. */
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "harness.h"

static struct th_server srv;
static char tenant_name[64], api_key[APIKEY_LEN + 1], auth_header[TH_AUTH_HEADER_SIZE];

static void setup(void)
{
    const char *extra[] = { "REDRESS_THREADS=4", "REDRESS_IMPORT_MAX_MIB=8", "REDRESS_IMPORT_CONCURRENCY=2", NULL };
    th_server_start(&srv, th_conninfo(), extra);
    th_tenant_with_auth(th_conninfo(), tenant_name, api_key, auth_header);
}

static void teardown(void)
{
    th_server_stop(&srv);
}

/* The 32 columns of Amazon's All Orders report, in its order. */
static const char ALL_ORDERS_HEADER[] =
    "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\t"
    "sales-channel\torder-channel\turl\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\t"
    "currency\titem-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\t"
    "item-promotion-discount\tship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\t"
    "promotion-ids\tis-business-order\tpurchase-order-number\tprice-designation\n";

/* One All Orders line: the fields that matter, the rest plausible. */
static void order_line(struct buf *b, const char *order_id, const char *purchased, const char *updated,
                       const char *status, const char *channel, const char *sku, int quantity,
                       const char *currency, const char *price)
{
    buf_printf(b,
               "%s\t\t%s\t%s\t%s\t%s\tAmazon.com\t\t\tStandard\tMug \"Classic\"\t%s\tB0ASIN%s\t%s\t%d\t%s\t%s\t"
               "0.00\t0.00\t0.00\t\t\t\t\tSeattle\tWA\t98101\tUS\t\tfalse\t\t\n",
               order_id, purchased, updated, status, channel, sku, sku, status, quantity, currency, price);
}

/* A small file: 4 orders, 5 lines, two currencies, one cancelled line
 * with an empty price. Sold, by hand: MUG-01 3 units 38.97 USD (two
 * orders); CUP-02 1 unit 9.99 USD; MUG-01 1 unit 14.00 EUR; the cancelled
 * CUP-02 line sells nothing. FBM: orders 111-0000001 and 111-0000004. */
static char *small_orders(size_t *len)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_append_str(&b, ALL_ORDERS_HEADER);
    order_line(&b, "111-0000001", "2026-10-01T10:00:00+00:00", "2026-10-02T10:00:00+00:00", "Shipped", "Merchant",
               "MUG-01", 2, "USD", "25.98");
    order_line(&b, "111-0000001", "2026-10-01T10:00:00+00:00", "2026-10-02T10:00:00+00:00", "Shipped", "Merchant",
               "CUP-02", 1, "USD", "9.99");
    order_line(&b, "111-0000002", "2026-10-01T23:30:00+00:00", "2026-10-03T10:00:00+00:00", "Shipped", "Amazon",
               "MUG-01", 1, "USD", "12.99");
    order_line(&b, "111-0000003", "2026-10-02T08:00:00+00:00", "2026-10-03T10:00:00+00:00", "Shipped", "Amazon",
               "MUG-01", 1, "EUR", "14.00");
    order_line(&b, "111-0000004", "2026-10-02T09:00:00+00:00", "2026-10-02T12:00:00+00:00", "Cancelled", "Merchant",
               "CUP-02", 1, "", "");
    ck_assert(buf_ok(&b));
    return buf_steal(&b, len);
}

static void post_import(const char *kind, const char *type, const char *encoding, const char *query,
                        const char *auth, const char *body, size_t len, struct th_response *r)
{
    char content_type[96], content_encoding[64] = "", path[128];
    snprintf(content_type, sizeof(content_type), "Content-Type: %s", type);
    if (encoding != NULL)
        snprintf(content_encoding, sizeof(content_encoding), "Content-Encoding: %s", encoding);
    snprintf(path, sizeof(path), "/v1/imports/%s%s", kind, query != NULL ? query : "");
    const char *headers[] = { auth, content_type, encoding != NULL ? content_encoding : NULL, NULL };
    th_request(srv.port, "POST", path, headers, body, len, r);
}

/* small_orders() imported for this test's tenant. */
static void import_small_orders(void)
{
    size_t len;
    char *file = small_orders(&len);
    struct th_response r;
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, file, len, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    th_response_free(&r);
    free(file);
}

static json_int_t num(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
    return json_integer_value(v);
}

/* One number from SQL; $1 is this test's tenant name. */
static long long sql_number(const char *sql)
{
    PGconn *conn = PQconnectdb(th_conninfo());
    const char *const params[] = { tenant_name };
    PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(conn));
    long long n = PQgetisnull(res, 0, 0) ? -1 : atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(conn);
    return n;
}

#define TENANT "(SELECT id FROM tenants WHERE name = $1)"

/* Everything the orders import keeps, as one fingerprint: any change shows. */
static const char ORDERS_FINGERPRINT[] =
    "SELECT coalesce(sum(hashtext(o::text)), 0) FROM (SELECT order_id, sku, purchased_at, last_updated_at, order_status,"
    " item_status, fulfillment, quantity, currency, item_price, ship_country, cancelled FROM order_lines"
    " WHERE tenant_id = " TENANT ") o";
static const char SALES_FINGERPRINT[] =
    "SELECT coalesce(sum(hashtext(s::text)), 0) FROM (SELECT day, sku, currency, orders, units_sold, revenue"
    " FROM sales_daily WHERE tenant_id = " TENANT ") s";

static char *gzip_bytes(const char *data, size_t len, size_t *out_len)
{
    z_stream z = { 0 };
    ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)len) + 64;
    char *out = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

START_TEST(orders_import_merge_and_reimport_changes_nothing)
{
    size_t len;
    char *file = small_orders(&len);
    struct th_response r;
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, file, len, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_int_eq(num(r.json, "rows_read"), 5);
    ck_assert_int_eq(num(r.json, "inserted"), 5);
    ck_assert_int_eq(num(r.json, "updated"), 0);
    ck_assert_int_eq(num(r.json, "skipped"), 0);
    ck_assert_int_eq(num(r.json, "rejected"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "completed");
    char location[96], expected[96];
    ck_assert(th_header(&r, "Location", location, sizeof(location)));
    snprintf(expected, sizeof(expected), "/v1/imports/%s", json_string_value(json_object_get(r.json, "import_id")));
    ck_assert_str_eq(location, expected);
    th_response_free(&r);

    /* The rollups, by hand (see small_orders). */
    ck_assert_int_eq(sql_number("SELECT sum(units_sold) FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'MUG-01' AND currency = 'USD'"), 3);
    ck_assert_int_eq(sql_number("SELECT sum(revenue) FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'MUG-01' AND currency = 'USD'"), 3897);
    ck_assert_int_eq(sql_number("SELECT sum(revenue) FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'MUG-01' AND currency = 'EUR'"), 1400);
    ck_assert_int_eq(sql_number("SELECT sum(units_sold) FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'CUP-02'"), 1);
    ck_assert_int_eq(sql_number("SELECT revenue FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'MUG-01' AND currency = 'USD' AND day = '2026-10-01'"), 3897);
    ck_assert_int_eq(sql_number("SELECT sum(orders) FROM health_daily WHERE tenant_id = " TENANT), 4);
    ck_assert_int_eq(sql_number("SELECT sum(orders) FROM health_daily WHERE tenant_id = " TENANT
                                " AND fulfillment = 'FBM'"), 2);
    ck_assert_int_eq(sql_number("SELECT sum(cancelled_orders) FROM health_daily WHERE tenant_id = " TENANT), 1);
    ck_assert_int_eq(sql_number("SELECT count(*) FROM order_lines WHERE tenant_id = " TENANT
                                " AND ship_country = 'US'"), 5);
    /* The weeks and months hold what their days hold. */
    ck_assert_int_eq(sql_number("SELECT revenue FROM sales_span WHERE tenant_id = " TENANT
                                " AND span = 'm' AND start = '2026-10-01' AND sku = 'MUG-01' AND currency = 'USD'"), 3897);
    ck_assert_int_eq(sql_number("SELECT revenue FROM sales_span WHERE tenant_id = " TENANT
                                " AND span = 'w' AND start = '2026-09-28' AND sku = 'MUG-01' AND currency = 'USD'"), 3897);

    long long orders = sql_number(ORDERS_FINGERPRINT), sales = sql_number(SALES_FINGERPRINT);
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, file, len, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_int_eq(num(r.json, "inserted"), 0);
    ck_assert_int_eq(num(r.json, "updated"), 0);
    ck_assert_int_eq(num(r.json, "skipped"), 5);
    th_response_free(&r);
    ck_assert_int_eq(sql_number(ORDERS_FINGERPRINT), orders);
    ck_assert_int_eq(sql_number(SALES_FINGERPRINT), sales);

    /* The same file gzip-encoded: decoded as it streams, the same nothing changes. */
    size_t zlen;
    char *zipped = gzip_bytes(file, len, &zlen);
    post_import("amazon-all-orders", "text/tab-separated-values", "gzip", NULL, auth_header, zipped, zlen, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_int_eq(num(r.json, "skipped"), 5);
    ck_assert_int_eq(num(r.json, "bytes"), (json_int_t)len);
    th_response_free(&r);
    free(zipped);
    ck_assert_int_eq(sql_number(ORDERS_FINGERPRINT), orders);

    /* Three imports, newest first. */
    const char *headers[] = { auth_header, NULL };
    th_request(srv.port, "GET", "/v1/imports", headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "imports")), 3);
    th_response_free(&r);
    free(file);
}
END_TEST

START_TEST(newer_last_updated_date_updates_and_older_is_skipped)
{
    import_small_orders();
    struct th_response r;

    /* Order 2 is cancelled later (newer date); order 3 comes with an older date. */
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_append_str(&b, ALL_ORDERS_HEADER);
    order_line(&b, "111-0000002", "2026-10-01T23:30:00+00:00", "2026-10-05T10:00:00+00:00", "Cancelled", "Amazon",
               "MUG-01", 1, "", "");
    order_line(&b, "111-0000003", "2026-10-02T08:00:00+00:00", "2026-10-02T09:00:00+00:00", "Shipped", "Amazon",
               "MUG-01", 5, "EUR", "70.00");
    /* A purchase date corrected to another day: the day it left loses it. */
    order_line(&b, "111-0000001", "2026-10-04T10:00:00+00:00", "2026-10-06T10:00:00+00:00", "Shipped", "Merchant",
               "CUP-02", 1, "USD", "9.99");
    size_t ulen;
    char *update = buf_steal(&b, &ulen);
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, update, ulen, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_int_eq(num(r.json, "rows_read"), 3);
    ck_assert_int_eq(num(r.json, "inserted"), 0);
    ck_assert_int_eq(num(r.json, "updated"), 2);
    ck_assert_int_eq(num(r.json, "skipped"), 1);
    th_response_free(&r);
    free(update);
    ck_assert_int_eq(sql_number("SELECT sum(revenue) FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'MUG-01' AND currency = 'USD'"), 2598);
    ck_assert_int_eq(sql_number("SELECT sum(units_sold) FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'MUG-01' AND currency = 'EUR'"), 1);
    ck_assert_int_eq(sql_number("SELECT sum(revenue) FROM sales_span WHERE tenant_id = " TENANT
                                " AND span = 'm' AND sku = 'MUG-01' AND currency = 'USD'"), 2598);
    ck_assert_int_eq(sql_number("SELECT sum(cancelled_orders) FROM health_daily WHERE tenant_id = " TENANT), 2);
    ck_assert_int_eq(sql_number("SELECT count(*) FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'CUP-02' AND day = '2026-10-01'"), 0);
    ck_assert_int_eq(sql_number("SELECT revenue FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'CUP-02' AND day = '2026-10-04'"), 999);
    ck_assert_int_eq(sql_number("SELECT sum(revenue) FROM sales_span WHERE tenant_id = " TENANT
                                " AND span = 'w' AND sku = 'CUP-02' AND start = '2026-09-28'"), 999);
    /* Order 111-0000001 still has its MUG-01 line on the 1st: both days count it. */
    ck_assert_int_eq(sql_number("SELECT sum(orders) FROM health_daily WHERE tenant_id = " TENANT
                                " AND day = '2026-10-04'"), 1);
}
END_TEST

START_TEST(a_broken_file_leaves_nothing_and_is_recorded)
{
    size_t len;
    char *file = small_orders(&len);
    struct th_response r;
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, file, len, &r);
    ck_assert_int_eq(r.status, 201);
    th_response_free(&r);
    long long orders = sql_number(ORDERS_FINGERPRINT), sales = sql_number(SALES_FINGERPRINT);

    /* No sku column: unreadable as a whole, at line 1. */
    const char *no_sku = "amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\t"
                         "quantity\tcurrency\titem-price\n"
                         "111-0000009\t2026-10-01T10:00:00+00:00\t2026-10-09T10:00:00+00:00\tShipped\tAmazon\t1\tUSD\t1.00\n";
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, no_sku, strlen(no_sku), &r);
    ck_assert_msg(r.status == 422, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "urn:redress:problem:import-refused");
    json_t *first = json_array_get(json_object_get(r.json, "errors"), 0);
    ck_assert_int_eq(num(first, "line"), 1);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(first, "reason")), "sku"));
    char failed_id[64];
    snprintf(failed_id, sizeof(failed_id), "%s", json_string_value(json_object_get(r.json, "import_id")));
    th_response_free(&r);

    /* A bad row with on_error=abort: nothing of the good rows either. */
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_append_str(&b, ALL_ORDERS_HEADER);
    order_line(&b, "111-0000005", "2026-10-03T10:00:00+00:00", "2026-10-03T10:00:00+00:00", "Shipped", "Amazon",
               "MUG-01", 1, "USD", "12.99");
    order_line(&b, "111-0000006", "2026-13-45T10:00:00+00:00", "2026-10-03T10:00:00+00:00", "Shipped", "Amazon",
               "MUG-01", 1, "USD", "12.99");
    size_t blen;
    char *bad = buf_steal(&b, &blen);
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, "?on_error=abort", auth_header, bad, blen, &r);
    ck_assert_msg(r.status == 422, "%ld %s", r.status, r.body);
    first = json_array_get(json_object_get(r.json, "errors"), 0);
    ck_assert_int_eq(num(first, "line"), 3);
    ck_assert_str_eq(json_string_value(json_object_get(first, "column")), "purchase-date");
    th_response_free(&r);
    ck_assert_int_eq(sql_number(ORDERS_FINGERPRINT), orders);
    ck_assert_int_eq(sql_number(SALES_FINGERPRINT), sales);

    /* By default the good row goes in and the bad one is listed. */
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, bad, blen, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_int_eq(num(r.json, "rows_read"), 2);
    ck_assert_int_eq(num(r.json, "inserted"), 1);
    ck_assert_int_eq(num(r.json, "rejected"), 1);
    first = json_array_get(json_object_get(r.json, "rejected_rows"), 0);
    ck_assert_int_eq(num(first, "line"), 3);
    ck_assert_str_eq(json_string_value(json_object_get(first, "column")), "purchase-date");
    th_response_free(&r);
    free(bad);

    /* Truncated gzip: refused, nothing written. */
    orders = sql_number(ORDERS_FINGERPRINT);
    size_t zlen;
    char *zipped = gzip_bytes(file, len, &zlen);
    post_import("amazon-all-orders", "text/tab-separated-values", "gzip", NULL, auth_header, zipped, zlen - 9, &r);
    ck_assert_msg(r.status == 422, "%ld %s", r.status, r.body);
    th_response_free(&r);
    post_import("amazon-all-orders", "text/tab-separated-values", "gzip", NULL, auth_header, file, len, &r);
    ck_assert_msg(r.status == 422, "%ld %s", r.status, r.body); /* not gzip at all */
    th_response_free(&r);
    free(zipped);
    ck_assert_int_eq(sql_number(ORDERS_FINGERPRINT), orders);

    /* The refusal is on record, with why. */
    const char *headers[] = { auth_header, NULL };
    char path[96];
    snprintf(path, sizeof(path), "/v1/imports/%s", failed_id);
    th_request(srv.port, "GET", path, headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "failed");
    ck_assert_ptr_nonnull(json_string_value(json_object_get(r.json, "error")));
    th_response_free(&r);
    free(file);
}
END_TEST

START_TEST(requests_refused_before_the_body)
{
    struct th_response r;
    const char *tsv = "x\n";
    post_import("amazon-all-orders", "application/json", NULL, NULL, auth_header, tsv, 2, &r);
    ck_assert_int_eq(r.status, 415);
    th_response_free(&r);
    post_import("events", "text/tab-separated-values", NULL, NULL, auth_header, tsv, 2, &r);
    ck_assert_int_eq(r.status, 415);
    th_response_free(&r);
    post_import("amazon-all-orders", "text/tab-separated-values", "br", NULL, auth_header, tsv, 2, &r);
    ck_assert_int_eq(r.status, 415);
    th_response_free(&r);
    post_import("amazon-everything", "text/tab-separated-values", NULL, NULL, auth_header, tsv, 2, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, "?on_error=maybe", auth_header, tsv, 2, &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, "Authorization: Bearer nope", tsv, 2, &r);
    ck_assert_int_eq(r.status, 401);
    th_response_free(&r);
    /* Above REDRESS_IMPORT_MAX_MIB (8 here): 413 from the declared length. */
    size_t big = (size_t)9 << 20;
    char *body = malloc(big);
    memset(body, 'a', big);
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, body, big, &r);
    ck_assert_int_eq(r.status, 413);
    th_response_free(&r);
    free(body);
}
END_TEST

/* Far above the 64 KiB cap of JSON bodies: streamed, and every line counted. */
START_TEST(a_file_of_megabytes_streams)
{
    enum { LINES = 30000 };
    struct buf b;
    buf_init(&b, 64 << 20);
    buf_append_str(&b, ALL_ORDERS_HEADER);
    for (int i = 0; i < LINES; i++) {
        char order[32], day[40];
        snprintf(order, sizeof(order), "222-%07d", i);
        snprintf(day, sizeof(day), "2026-09-%02dT12:00:00+00:00", 1 + i % 28);
        order_line(&b, order, day, day, "Shipped", i % 3 ? "Amazon" : "Merchant", i % 2 ? "MUG-01" : "CUP-02", 1,
                   "USD", "10.00");
    }
    size_t len;
    char *file = buf_steal(&b, &len);
    ck_assert_uint_gt(len, 4u << 20);
    struct th_response r;
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, file, len, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_int_eq(num(r.json, "rows_read"), LINES);
    ck_assert_int_eq(num(r.json, "inserted"), LINES);
    th_response_free(&r);
    ck_assert_int_eq(sql_number("SELECT sum(units_sold) FROM sales_daily WHERE tenant_id = " TENANT), LINES);
    ck_assert_int_eq(sql_number("SELECT sum(revenue) FROM sales_daily WHERE tenant_id = " TENANT), LINES * 1000LL);
    ck_assert_int_eq(sql_number("SELECT sum(orders) FROM health_daily WHERE tenant_id = " TENANT), LINES);
    /* Every span sums its days: September 2026 by month, and by its weeks. */
    ck_assert_int_eq(sql_number("SELECT sum(revenue) FROM sales_span WHERE tenant_id = " TENANT " AND span = 'm'"),
                     LINES * 1000LL);
    ck_assert_int_eq(sql_number("SELECT sum(s.revenue) FROM sales_span s WHERE s.tenant_id = " TENANT " AND span = 'w'"),
                     LINES * 1000LL);
    free(file);
}
END_TEST

/* A client that goes away mid-body: the import's transaction is rolled
 * back with its connection, and nothing of it is kept. */
/* An import whose body has begun and stays open (the connection's socket:
 * the caller closes it). */
static int open_upload(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port) };
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    size_t len;
    char *file = small_orders(&len);
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "POST /v1/imports/amazon-all-orders HTTP/1.1\r\nHost: x\r\n%s\r\n"
                     "Content-Type: text/tab-separated-values\r\nContent-Length: %zu\r\n\r\n",
                     auth_header, len * 10);
    ck_assert_int_eq(write(fd, head, (size_t)n), n);
    ck_assert_int_eq(write(fd, file, len), (ssize_t)len);
    free(file);
    return fd;
}

START_TEST(an_upload_cut_short_leaves_nothing)
{
    int fd = open_upload();
    usleep(200 * 1000);
    close(fd);
    /* The server is fine, and the tenant has no rows and no completed import. */
    const char *headers[] = { auth_header, NULL };
    struct th_response r;
    for (int i = 0; i < 600; i++) { /* until the server has seen the close (a generous cap: loaded machines) */
        th_request(srv.port, "GET", "/v1/imports", headers, NULL, 0, &r);
        ck_assert_int_eq(r.status, 200);
        th_response_free(&r);
        if (sql_number("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY import_stage%' AND $1::text IS NOT NULL") == 0)
            break;
        usleep(100 * 1000);
    }
    ck_assert_int_eq(sql_number("SELECT count(*) FROM order_lines WHERE tenant_id = " TENANT), 0);
    ck_assert_int_eq(sql_number("SELECT count(*) FROM imports WHERE tenant_id = " TENANT " AND status = 'completed'"), 0);
    ck_assert_int_eq(sql_number("SELECT count(*) FROM import_stage_order_lines WHERE $1::text IS NOT NULL"), 0);
}
END_TEST

START_TEST(events_and_returns_feed_their_rollups)
{
    import_small_orders();
    struct th_response r;

    /* Order 1 (FBM, 2026-10-01): negative feedback and a late shipment;
     * order 2 (FBA): an A-to-z claim, then denied (it stops counting). */
    const char *events =
        "{\"type\":\"negative_feedback\",\"order_id\":\"111-0000001\",\"at\":\"2026-10-06T10:00:00Z\",\"rating\":1}\n"
        "{\"type\":\"late_shipment\",\"order_id\":\"111-0000001\",\"at\":\"2026-10-03T10:00:00Z\"}\n"
        "{\"type\":\"a_to_z_claim\",\"order_id\":\"111-0000002\",\"at\":\"2026-10-07T10:00:00Z\",\"status\":\"open\"}\n";
    post_import("events", "application/x-ndjson", NULL, NULL, auth_header, events, strlen(events), &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_int_eq(num(r.json, "inserted"), 3);
    th_response_free(&r);
    ck_assert_int_eq(sql_number("SELECT sum(defect_orders) FROM health_daily WHERE tenant_id = " TENANT), 2);
    ck_assert_int_eq(sql_number("SELECT sum(negative_feedback_orders) FROM health_daily WHERE tenant_id = " TENANT
                                " AND fulfillment = 'FBM' AND day = '2026-10-01'"), 1);
    ck_assert_int_eq(sql_number("SELECT sum(late_shipment_orders) FROM health_daily WHERE tenant_id = " TENANT), 1);
    ck_assert_int_eq(sql_number("SELECT sum(a_to_z_orders) FROM health_daily WHERE tenant_id = " TENANT
                                " AND fulfillment = 'FBA'"), 1);

    const char *denied =
        "{\"type\":\"a_to_z_claim\",\"order_id\":\"111-0000002\",\"at\":\"2026-10-09T10:00:00Z\",\"status\":\"denied\"}\n";
    post_import("events", "application/x-ndjson", NULL, NULL, auth_header, denied, strlen(denied), &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_int_eq(num(r.json, "updated"), 1);
    th_response_free(&r);
    ck_assert_int_eq(sql_number("SELECT sum(a_to_z_orders) FROM health_daily WHERE tenant_id = " TENANT), 0);
    ck_assert_int_eq(sql_number("SELECT sum(defect_orders) FROM health_daily WHERE tenant_id = " TENANT), 1);

    const char *returns =
        "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\t"
        "detailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n"
        "2026-10-10T08:00:00+00:00\t111-0000002\tMUG-01\tB0ASINMUG-01\tX001\tMug\t1\tPHX7\tCUSTOMER_DAMAGED\t"
        "DEFECTIVE\tUnit returned to inventory\tLPN0001\tit leaks\n";
    post_import("amazon-fba-returns", "text/tab-separated-values", NULL, NULL, auth_header, returns, strlen(returns),
                &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_int_eq(num(r.json, "inserted"), 1);
    th_response_free(&r);
    ck_assert_int_eq(sql_number("SELECT sum(units_returned) FROM returns_daily WHERE tenant_id = " TENANT
                                " AND sku = 'MUG-01' AND category = 'defective' AND day = '2026-10-10'"), 1);
}
END_TEST

START_TEST(another_tenant_sees_none_of_it)
{
    size_t len;
    char *file = small_orders(&len);
    struct th_response r;
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, file, len, &r);
    ck_assert_int_eq(r.status, 201);
    char path[96];
    snprintf(path, sizeof(path), "/v1/imports/%s", json_string_value(json_object_get(r.json, "import_id")));
    th_response_free(&r);
    free(file);

    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    const char *headers[] = { other_auth, NULL };
    th_request(srv.port, "GET", path, headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
    th_request(srv.port, "GET", "/v1/imports", headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "imports")), 0);
    th_response_free(&r);
    /* Nor can it page from A's import: that cursor is not one of B's. */
    char after[128];
    snprintf(after, sizeof(after), "/v1/imports?after=%s", path + strlen("/v1/imports/"));
    th_request(srv.port, "GET", after, headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);
    const char *own[] = { auth_header, NULL };
    th_request(srv.port, "GET", after, own, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200); /* A's own cursor: the (empty) rest */
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "imports")), 0);
    th_response_free(&r);
}
END_TEST

/* The sample files of tests/data/imports, as its README describes them:
 * counts per import, the refused ones with their exact lines, and what the
 * rollups hold after all of them. */
struct sample_import {
    const char *kind, *file;
    long status;
    int rows_read, inserted, updated, skipped, rejected;
    int first_bad_line;                /* of rejected_rows, or of errors[] when refused */
    const char *first_bad_column;
};

static const struct sample_import SAMPLES[] = {
    { "amazon-all-orders", "all-orders-32.tsv", 201, 6, 6, 0, 0, 0, 0, NULL },
    { "amazon-all-orders", "all-orders-29.tsv", 201, 3, 3, 0, 0, 0, 0, NULL },
    { "amazon-all-orders", "all-orders-32.tsv", 201, 6, 0, 0, 6, 0, 0, NULL },
    { "amazon-all-orders", "all-orders-update.tsv", 201, 4, 0, 3, 1, 0, 0, NULL },
    { "amazon-all-orders", "all-orders-broken.tsv", 201, 10, 2, 0, 0, 8, 3, "purchase-date" },
    { "amazon-all-orders", "all-orders-missing-column.tsv", 422, 0, 0, 0, 0, 0, 1, "" },
    { "amazon-all-orders", "all-orders-unterminated-quote.tsv", 422, 0, 0, 0, 0, 0, 3, "" },
    { "amazon-fba-returns", "fba-returns.tsv", 201, 3, 3, 0, 0, 0, 0, NULL },
    { "amazon-fba-returns", "fba-returns-amazon-order-id.tsv", 201, 2, 2, 0, 0, 0, 0, NULL },
    { "amazon-fba-returns", "fba-returns.tsv", 201, 3, 0, 0, 3, 0, 0, NULL },
    { "amazon-fbm-returns", "fbm-returns.tsv", 201, 3, 3, 0, 0, 0, 0, NULL },
    { "events", "events.ndjson", 201, 9, 9, 0, 0, 0, 0, NULL },
    { "events", "events-broken.ndjson", 201, 11, 2, 0, 0, 9, 2, "" },
};

START_TEST(sample_files_import_with_their_figures)
{
    for (size_t i = 0; i < sizeof(SAMPLES) / sizeof(SAMPLES[0]); i++) {
        const struct sample_import *t = &SAMPLES[i];
        char relative[128];
        snprintf(relative, sizeof(relative), "tests/data/imports/%s", t->file);
        size_t len;
        char *file = th_read_file(relative, &len);
        struct th_response r;
        bool events = strcmp(t->kind, "events") == 0;
        post_import(t->kind, events ? "application/x-ndjson" : "text/tab-separated-values", NULL, NULL, auth_header,
                    file, len, &r);
        free(file);
        ck_assert_msg(r.status == t->status, "%s: %ld %s", t->file, r.status, r.body);
        const json_t *bad;
        if (t->status == 201) {
            ck_assert_msg(num(r.json, "rows_read") == t->rows_read && num(r.json, "inserted") == t->inserted
                              && num(r.json, "updated") == t->updated && num(r.json, "skipped") == t->skipped
                              && num(r.json, "rejected") == t->rejected,
                          "%s: %s", t->file, r.body);
            bad = json_array_get(json_object_get(r.json, "rejected_rows"), 0);
        } else {
            bad = json_array_get(json_object_get(r.json, "errors"), 0);
        }
        if (t->first_bad_line > 0) {
            ck_assert_msg(num(bad, "line") == t->first_bad_line, "%s: %s", t->file, r.body);
            ck_assert_str_eq(json_string_value(json_object_get(bad, "column")), t->first_bad_column);
        }
        th_response_free(&r);
    }
    /* After all of them (README of tests/data/imports): sold, returned, defects. */
    ck_assert_int_eq(sql_number("SELECT sum(units_sold) FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'MUG-01' AND currency = 'USD'"), 1 + 1 + 1); /* 113-1000002, 113-2000003, broken's good line */
    ck_assert_int_eq(sql_number("SELECT sum(revenue) FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'LAMP-9' AND currency = 'USD'"), 4500 + 9000);
    ck_assert_int_eq(sql_number("SELECT sum(revenue) FROM sales_daily WHERE tenant_id = " TENANT
                                " AND sku = 'LAMP-9' AND currency = 'JPY'"), 4980);
    ck_assert_int_eq(sql_number("SELECT count(*) FROM order_lines WHERE tenant_id = " TENANT " AND cancelled"), 2);
    ck_assert_int_eq(sql_number("SELECT sum(units_returned) FROM returns_daily WHERE tenant_id = " TENANT), 1 + 1 + 2 + 1 + 1 + 3);
    ck_assert_int_eq(sql_number("SELECT sum(units_returned) FROM returns_daily WHERE tenant_id = " TENANT
                                " AND category = 'defective'"), 2);
    /* Orders 113-1000002 (negative feedback 1, a denied claim) and
     * 113-2000001 (claim open) and 113-2000003 (chargeback lost); the
     * broken file's good line 1 adds negative feedback to 113-1000001. */
    ck_assert_int_eq(sql_number("SELECT sum(defect_orders) FROM health_daily WHERE tenant_id = " TENANT), 4);
    ck_assert_int_eq(sql_number("SELECT sum(a_to_z_orders) FROM health_daily WHERE tenant_id = " TENANT), 1);
    ck_assert_int_eq(sql_number("SELECT sum(valid_tracking_orders) FROM health_daily WHERE tenant_id = " TENANT), 1);
    ck_assert_int_eq(sql_number("SELECT sum(late_shipment_orders) FROM health_daily WHERE tenant_id = " TENANT), 1);
    /* The seller cancellation names an order no file has: kept, counted once its order arrives. */
    ck_assert_int_eq(sql_number("SELECT sum(seller_cancelled_orders) FROM health_daily WHERE tenant_id = " TENANT), 0);
    ck_assert_int_eq(sql_number("SELECT count(*) FROM account_events WHERE tenant_id = " TENANT
                                " AND type = 'seller_cancellation'"), 1);
}
END_TEST

/* Each streaming import holds a database connection: beyond
 * REDRESS_IMPORT_CONCURRENCY (2 here), 503 until one ends. */
START_TEST(imports_beyond_the_limit_wait_their_turn)
{
    int first = open_upload(), second = open_upload();
    /* until both have begun: each holds a COPY open (a loaded machine may
     * take a while to get there; a fixed pause here was a flaky test) */
    for (int i = 0; i < 600 && sql_number("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY import_stage%' "
                                          "AND state <> 'idle' AND $1::text IS NOT NULL") < 2; i++)
        usleep(50 * 1000);
    size_t len;
    char *file = small_orders(&len);
    struct th_response r;
    post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, file, len, &r);
    ck_assert_msg(r.status == 503, "%ld %s", r.status, r.body);
    char retry[16];
    ck_assert(th_header(&r, "Retry-After", retry, sizeof(retry)));
    th_response_free(&r);
    close(first);
    close(second);
    long status = 0;
    for (int i = 0; i < 600 && status != 201; i++) { /* until the server has seen both go */
        post_import("amazon-all-orders", "text/tab-separated-values", NULL, NULL, auth_header, file, len, &r);
        status = r.status;
        th_response_free(&r);
        if (status != 201)
            usleep(100 * 1000);
    }
    ck_assert_int_eq(status, 201);
    free(file);
}
END_TEST

Suite *imports_suite(void)
{
    Suite *s = suite_create("imports");
    TCase *api = tcase_create("api");
    tcase_add_checked_fixture(api, setup, teardown);
    tcase_set_timeout(api, 120);
    tcase_add_test(api, orders_import_merge_and_reimport_changes_nothing);
    tcase_add_test(api, newer_last_updated_date_updates_and_older_is_skipped);
    tcase_add_test(api, a_broken_file_leaves_nothing_and_is_recorded);
    tcase_add_test(api, requests_refused_before_the_body);
    tcase_add_test(api, a_file_of_megabytes_streams);
    tcase_add_test(api, an_upload_cut_short_leaves_nothing);
    tcase_add_test(api, events_and_returns_feed_their_rollups);
    tcase_add_test(api, another_tenant_sees_none_of_it);
    tcase_add_test(api, sample_files_import_with_their_figures);
    tcase_add_test(api, imports_beyond_the_limit_wait_their_turn);
    suite_add_tcase(s, api);
    return s;
}
