/* The reports (issue #10): GET /v1/reports/summary, /skus and /health over
 * the daily rollups, every figure against a hand-computed expectation; the
 * CSV read back by Python's csv module; windows, parameters and Accept;
 * the health metrics exactly on Amazon's thresholds; tenants apart.
 *
 * The rollup rows are written here by SQL, so that each expectation is
 * exactly what the rows say (the imports and case suites check that the
 * rollups are what the files and cases say). */
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "harness.h"

static struct th_server srv;
static char a_name[64], a_key[APIKEY_LEN + 1], a_auth[TH_AUTH_HEADER_SIZE];
static char b_name[64], b_key[APIKEY_LEN + 1], b_auth[TH_AUTH_HEADER_SIZE];
static long long a_id, b_id;

/* ---- helpers ---- */

static void sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sql(const char *fmt, ...)
{
    char text[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    ck_assert_int_lt(n, (int)sizeof(text));
    PGconn *conn = PQconnectdb(th_conninfo());
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    PGresult *res = PQexec(conn, text);
    ExecStatusType st = PQresultStatus(res);
    ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", text, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
}

static long long tenant_id(const char *name)
{
    PGconn *conn = PQconnectdb(th_conninfo());
    const char *const params[] = { name };
    PGresult *res = PQexecParams(conn, "SELECT id FROM tenants WHERE name = $1", 1, NULL, params, NULL, NULL, 0);
    ck_assert_int_eq(PQntuples(res), 1);
    long long id = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(conn);
    return id;
}

static void setup(void)
{
    th_server_start(&srv, th_conninfo(), NULL);
    th_tenant_with_auth(th_conninfo(), a_name, a_key, a_auth);
    th_tenant_with_auth(th_conninfo(), b_name, b_key, b_auth);
    a_id = tenant_id(a_name);
    b_id = tenant_id(b_name);
}

static void teardown(void)
{
    th_server_stop(&srv);
}

/* GET path as the tenant of auth, with Accept when given. */
static void get(const char *auth, const char *path, const char *accept, struct th_response *r)
{
    char accept_line[128];
    snprintf(accept_line, sizeof(accept_line), "Accept: %s", accept ? accept : "");
    const char *const headers[] = { auth, accept ? accept_line : NULL, NULL };
    th_request(srv.port, "GET", path, headers, NULL, 0, r);
}

/* A member by a path of keys and array indexes: "totals/0/currency". */
static json_t *at(json_t *root, const char *path)
{
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", path);
    json_t *node = root;
    for (char *save = NULL, *key = strtok_r(copy, "/", &save); node != NULL && key != NULL;
         key = strtok_r(NULL, "/", &save))
        node = json_is_array(node) ? json_array_get(node, (size_t)atoi(key)) : json_object_get(node, key);
    ck_assert_msg(node != NULL, "no %s", path);
    return node;
}

static long long int_at(json_t *root, const char *path)
{
    json_t *v = at(root, path);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", path);
    return json_integer_value(v);
}

static const char *str_at(json_t *root, const char *path)
{
    json_t *v = at(root, path);
    ck_assert_msg(json_is_string(v), "%s is not a string", path);
    return json_string_value(v);
}

static void expect_rate(json_t *root, const char *path, long long numerator, long long denominator)
{
    json_t *v = at(root, path);
    if (denominator == 0) {
        ck_assert_msg(json_is_null(v), "%s should be null", path);
        return;
    }
    ck_assert_msg(json_is_real(v), "%s is not a number", path);
    ck_assert_msg(json_real_value(v) == (double)numerator / (double)denominator, "%s: %.17g, not %lld/%lld", path,
                  json_real_value(v), numerator, denominator);
}

/* One summary money entry: currency, cases, compensation, full return, refund. */
static void expect_money(json_t *money, const char *currency, long long cases, long long compensation,
                         long long full_return, long long refund)
{
    ck_assert_str_eq(str_at(money, "currency"), currency);
    ck_assert_int_eq(int_at(money, "cases"), cases);
    ck_assert_int_eq(int_at(money, "compensation_cost"), compensation);
    ck_assert_int_eq(int_at(money, "full_return_cost"), full_return);
    ck_assert_int_eq(int_at(money, "savings"), full_return - compensation);
    ck_assert_int_eq(int_at(money, "refund_amount"), refund);
}

/* The problem's status, and that its detail starts with prefix. */
static void expect_problem(const char *auth, const char *path, const char *accept, long status, const char *prefix)
{
    struct th_response r;
    get(auth, path, accept, &r);
    ck_assert_msg(r.status == status, "%s: %ld, not %ld: %s", path, r.status, status, r.body);
    const char *detail = json_string_value(json_object_get(r.json, "detail"));
    ck_assert_msg(detail != NULL && strncmp(detail, prefix, strlen(prefix)) == 0, "%s: detail '%s', not '%s...'",
                  path, detail ? detail : "(none)", prefix);
    th_response_free(&r);
}

/* The body as Python's csv module reads it: a JSON array of rows, each an
 * array of strings (new reference). */
static json_t *python_csv(const struct th_response *r)
{
    char path[] = "/tmp/redress-report-csv.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, r->body, r->body_len), (ssize_t)r->body_len);
    close(fd);
    char command[512];
    snprintf(command, sizeof(command),
             "python3 -c 'import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline=\"\", "
             "encoding=\"utf-8\")))))' %s",
             path);
    static char out[1 << 18];
    int rc = th_shell(command, out, sizeof(out));
    unlink(path);
    ck_assert_msg(rc == 0, "python3: %s", out);
    json_error_t error;
    json_t *rows = json_loads(out, 0, &error);
    ck_assert_msg(json_is_array(rows), "python3 said: %s", out);
    return rows;
}

/* The column of that name in a parsed CSV's header row. */
static int csv_column(json_t *rows, const char *name)
{
    json_t *header = json_array_get(rows, 0);
    for (size_t i = 0; i < json_array_size(header); i++)
        if (strcmp(json_string_value(json_array_get(header, i)), name) == 0)
            return (int)i;
    ck_abort_msg("no column %s", name);
    return -1;
}

static const char *csv_cell(json_t *rows, size_t row, const char *column)
{
    return json_string_value(json_array_get(json_array_get(rows, row), (size_t)csv_column(rows, column)));
}

/* Every line ends with CRLF (for a body without line breaks in fields). */
static void expect_crlf_lines(const struct th_response *r)
{
    ck_assert_int_gt(r->body_len, 2);
    ck_assert_msg(r->body[r->body_len - 2] == '\r' && r->body[r->body_len - 1] == '\n', "the last line has no CRLF");
    for (size_t i = 0; i < r->body_len; i++)
        if (r->body[i] == '\n')
            ck_assert_msg(i > 0 && r->body[i - 1] == '\r', "a bare LF at byte %zu", i);
}

/* ---- the CSV writer ---- */

START_TEST(csv_quotes_what_needs_it_and_reads_back_in_python)
{
    json_t *rows = json_pack("[{s:s, s:I, s:f, s:b, s:n}, {s:s, s:I, s:f, s:b}]", "a", "plain", "b", (json_int_t)-7,
                             "c", 0.0125, "d", 1, "e", "a", "x,\"y\"\r\nz", "b", (json_int_t)0, "c", 0.95, "d", 0);
    static const char *const COLUMNS[] = { "a", "b", "c", "d", "e" };
    size_t len;
    char *text = csv_from_json_rows(COLUMNS, 5, rows, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "a,b,c,d,e\r\nplain,-7,0.0125,true,\r\n\"x,\"\"y\"\"\r\nz\",0,0.95,false,\r\n");
    struct th_response r = { .body = text, .body_len = len };
    json_t *parsed = python_csv(&r);
    ck_assert_int_eq(json_array_size(parsed), 3);
    ck_assert_str_eq(csv_cell(parsed, 2, "a"), "x,\"y\"\r\nz");
    ck_assert_str_eq(csv_cell(parsed, 1, "c"), "0.0125");
    ck_assert_str_eq(csv_cell(parsed, 1, "e"), "");
    json_decref(parsed);
    json_decref(rows);
    free(text);
    char real[32];
    csv_format_real(1.0 / 3.0, real);
    ck_assert_double_eq(strtod(real, NULL), 1.0 / 3.0); /* the shortest text that reads back exactly */
}
END_TEST

/* The week and month sums of a tenant's rollups, made again from its days
 * (what imports and the case statements keep beside the days: the reports
 * read whole weeks and months from them). */
static void spans_from_days(long long tenant)
{
    static const struct {
        const char *span_table, *day_table, *keys, *columns, *sums;
    } SPANS[] = {
        { "sales_span", "sales_daily", "sku, currency", "asin, orders, units_sold, revenue",
          "max(asin), sum(orders), sum(units_sold), sum(revenue)" },
        { "returns_span", "returns_daily", "sku, category", "returns, units_returned",
          "sum(returns), sum(units_returned)" },
        { "case_span", "case_daily", "currency, category, tier, responsibility, primary_action, shard",
          "cases, remedy_cost, full_return_cost, refund_amount",
          "sum(cases), sum(remedy_cost), sum(full_return_cost), sum(refund_amount)" },
        { "case_sku_span", "case_sku_daily", "sku, currency, category",
          "cases, orders_with_case, remedy_cost, full_return_cost",
          "sum(cases), sum(orders_with_case), sum(remedy_cost), sum(full_return_cost)" },
    };
    for (size_t i = 0; i < sizeof(SPANS) / sizeof(SPANS[0]); i++)
        sql("DELETE FROM %s WHERE tenant_id = %lld;"
            "INSERT INTO %s (tenant_id, span, start, %s, %s) "
            "SELECT tenant_id, p.span, p.start, %s, %s FROM %s, "
            "LATERAL (VALUES ('w', date_trunc('week', day)::date), ('m', date_trunc('month', day)::date)) "
            "AS p (span, start) WHERE tenant_id = %lld GROUP BY tenant_id, p.span, p.start, %s",
            SPANS[i].span_table, tenant, SPANS[i].span_table, SPANS[i].keys, SPANS[i].columns, SPANS[i].keys,
            SPANS[i].sums, SPANS[i].day_table, tenant, SPANS[i].keys);
}

/* ---- summary ---- */

static void summary_rows(void)
{
    sql("INSERT INTO case_daily VALUES "
        "(%lld, '2026-03-01', 'USD', 'defective', 'goodwill', 'seller', 'partial_refund', 3, 1500, 4500, 1500),"
        "(%lld, '2026-03-15', 'USD', 'defective', 'top', 'seller', 'replacement', 1, 2000, 2600, 0),"
        "(%lld, '2026-03-31', 'USD', 'damaged_in_transit', 'goodwill', 'carrier', 'partial_refund', 2, 800, 3000, 800),"
        "(%lld, '2026-03-10', 'EUR', 'defective', 'goodwill', 'seller', 'partial_refund', 1, 500, 1200, 500),"
        /* outside the window, on either side; and tenant B's */
        "(%lld, '2026-02-28', 'USD', 'defective', 'goodwill', 'seller', 'partial_refund', 5, 9999, 9999, 9999),"
        "(%lld, '2026-04-01', 'USD', 'wrong_item', 'top', 'seller', 'replacement', 7, 7777, 7777, 0),"
        "(%lld, '2026-03-05', 'USD', 'defective', 'goodwill', 'seller', 'partial_refund', 4, 100, 200, 100)",
        a_id, a_id, a_id, a_id, a_id, a_id, b_id);
    sql("INSERT INTO outcome_daily VALUES "
        "(%lld, '2026-03-01', 'USD', 'accepted', 'none', 'yes', 2, 1000),"
        "(%lld, '2026-03-01', 'USD', 'returned', 'posted', 'no', 1, 1500),"
        "(%lld, '2026-03-15', 'USD', 'escalated', 'removed', 'unknown', 1, 0),"
        "(%lld, '2026-02-28', 'USD', 'declined', 'none', 'yes', 5, 0),"
        "(%lld, '2026-03-05', 'USD', 'declined', 'avoided', 'yes', 4, 0)",
        a_id, a_id, a_id, a_id, b_id);
    spans_from_days(a_id);
    spans_from_days(b_id);
}

START_TEST(summary_every_figure)
{
    summary_rows();
    struct th_response r;
    get(a_auth, "/v1/reports/summary?from=2026-03-01&to=2026-03-31", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *s = r.json;
    ck_assert_str_eq(str_at(s, "window/from"), "2026-03-01");
    ck_assert_str_eq(str_at(s, "window/to"), "2026-03-31");
    ck_assert_int_eq(int_at(s, "cases"), 7);
    ck_assert_int_eq(json_array_size(at(s, "totals")), 2);
    expect_money(at(s, "totals/0"), "EUR", 1, 500, 1200, 500);
    expect_money(at(s, "totals/1"), "USD", 6, 4300, 10100, 2300);

    ck_assert_int_eq(json_array_size(at(s, "by_category")), 2);
    ck_assert_str_eq(str_at(s, "by_category/0/name"), "damaged_in_transit");
    ck_assert_int_eq(int_at(s, "by_category/0/cases"), 2);
    ck_assert_int_eq(json_array_size(at(s, "by_category/0/costs")), 1);
    expect_money(at(s, "by_category/0/costs/0"), "USD", 2, 800, 3000, 800);
    ck_assert_str_eq(str_at(s, "by_category/1/name"), "defective");
    ck_assert_int_eq(int_at(s, "by_category/1/cases"), 5);
    expect_money(at(s, "by_category/1/costs/0"), "EUR", 1, 500, 1200, 500);
    expect_money(at(s, "by_category/1/costs/1"), "USD", 4, 3500, 7100, 1500);

    ck_assert_int_eq(json_array_size(at(s, "by_tier")), 2);
    ck_assert_str_eq(str_at(s, "by_tier/0/name"), "goodwill");
    ck_assert_int_eq(int_at(s, "by_tier/0/cases"), 6);
    expect_money(at(s, "by_tier/0/costs/0"), "EUR", 1, 500, 1200, 500);
    expect_money(at(s, "by_tier/0/costs/1"), "USD", 5, 2300, 7500, 2300);
    ck_assert_str_eq(str_at(s, "by_tier/1/name"), "top");
    expect_money(at(s, "by_tier/1/costs/0"), "USD", 1, 2000, 2600, 0);

    ck_assert_int_eq(json_array_size(at(s, "by_responsibility")), 2);
    ck_assert_str_eq(str_at(s, "by_responsibility/0/name"), "carrier");
    expect_money(at(s, "by_responsibility/0/costs/0"), "USD", 2, 800, 3000, 800);
    ck_assert_str_eq(str_at(s, "by_responsibility/1/name"), "seller");
    ck_assert_int_eq(int_at(s, "by_responsibility/1/cases"), 5);
    expect_money(at(s, "by_responsibility/1/costs/1"), "USD", 4, 3500, 7100, 1500);

    ck_assert_int_eq(json_array_size(at(s, "by_primary_action")), 2);
    ck_assert_str_eq(str_at(s, "by_primary_action/0/name"), "partial_refund");
    ck_assert_int_eq(int_at(s, "by_primary_action/0/cases"), 6);
    expect_money(at(s, "by_primary_action/0/costs/1"), "USD", 5, 2300, 7500, 2300);
    ck_assert_str_eq(str_at(s, "by_primary_action/1/name"), "replacement");
    expect_money(at(s, "by_primary_action/1/costs/0"), "USD", 1, 2000, 2600, 0);

    /* 7 cases, 4 with an outcome (B's and the days outside do not count). */
    ck_assert_int_eq(int_at(s, "outcomes/accepted"), 2);
    ck_assert_int_eq(int_at(s, "outcomes/declined"), 0);
    ck_assert_int_eq(int_at(s, "outcomes/returned"), 1);
    ck_assert_int_eq(int_at(s, "outcomes/escalated"), 1);
    ck_assert_int_eq(int_at(s, "outcomes/none"), 3);
    ck_assert_int_eq(int_at(s, "review_outcomes/none"), 2);
    ck_assert_int_eq(int_at(s, "review_outcomes/avoided"), 0);
    ck_assert_int_eq(int_at(s, "review_outcomes/posted"), 1);
    ck_assert_int_eq(int_at(s, "review_outcomes/updated"), 0);
    ck_assert_int_eq(int_at(s, "review_outcomes/removed"), 1);
    ck_assert_int_eq(int_at(s, "orders_retained/yes"), 2);
    ck_assert_int_eq(int_at(s, "orders_retained/no"), 1);
    ck_assert_int_eq(int_at(s, "orders_retained/unknown"), 1);

    /* Top reasons per currency, by compensation. */
    ck_assert_int_eq(json_array_size(at(s, "top_reasons")), 2);
    ck_assert_str_eq(str_at(s, "top_reasons/0/currency"), "EUR");
    ck_assert_int_eq(json_array_size(at(s, "top_reasons/0/reasons")), 1);
    ck_assert_str_eq(str_at(s, "top_reasons/0/reasons/0/category"), "defective");
    ck_assert_str_eq(str_at(s, "top_reasons/1/currency"), "USD");
    ck_assert_int_eq(json_array_size(at(s, "top_reasons/1/reasons")), 2);
    ck_assert_str_eq(str_at(s, "top_reasons/1/reasons/0/category"), "defective");
    ck_assert_int_eq(int_at(s, "top_reasons/1/reasons/0/compensation_cost"), 3500);
    ck_assert_int_eq(int_at(s, "top_reasons/1/reasons/0/savings"), 3600);
    ck_assert_str_eq(str_at(s, "top_reasons/1/reasons/1/category"), "damaged_in_transit");
    ck_assert_int_eq(int_at(s, "top_reasons/1/reasons/1/compensation_cost"), 800);
    th_response_free(&r);

    /* Tenant B, same window: its own row only. */
    get(b_auth, "/v1/reports/summary?from=2026-03-01&to=2026-03-31", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(int_at(r.json, "cases"), 4);
    ck_assert_int_eq(json_array_size(at(r.json, "totals")), 1);
    expect_money(at(r.json, "totals/0"), "USD", 4, 100, 200, 100);
    ck_assert_int_eq(int_at(r.json, "outcomes/declined"), 4);
    ck_assert_int_eq(int_at(r.json, "outcomes/accepted"), 0);
    th_response_free(&r);
}
END_TEST

START_TEST(summary_csv_reads_back_in_python)
{
    summary_rows();
    struct th_response r;
    get(a_auth, "/v1/reports/summary?from=2026-03-01&to=2026-03-31", "text/csv", &r);
    ck_assert_int_eq(r.status, 200);
    char value[128];
    ck_assert(th_header(&r, "Content-Type", value, sizeof(value)));
    ck_assert_msg(strncmp(value, "text/csv", 8) == 0, "%s", value);
    ck_assert(th_header(&r, "Content-Disposition", value, sizeof(value)));
    ck_assert_str_eq(value, "attachment; filename=\"summary-2026-03-01-2026-03-31.csv\"");
    expect_crlf_lines(&r);
    json_t *rows = python_csv(&r);
    /* 14 group rows (2 totals, 3 by category, 3 by tier, 3 by
     * responsibility, 3 by action), 3 top reasons, 5 + 5 + 3 outcome rows. */
    ck_assert_int_eq(json_array_size(rows), 1 + 14 + 3 + 13);
    for (size_t i = 0; i < json_array_size(rows); i++)
        ck_assert_int_eq(json_array_size(json_array_get(rows, i)), 9);
    bool seen_total = false, seen_top = false, seen_none = false;
    for (size_t i = 1; i < json_array_size(rows); i++) {
        const char *section = csv_cell(rows, i, "section"), *name = csv_cell(rows, i, "name");
        const char *currency = csv_cell(rows, i, "currency");
        if (strcmp(section, "total") == 0 && strcmp(currency, "USD") == 0) {
            seen_total = true;
            ck_assert_str_eq(csv_cell(rows, i, "cases"), "6");
            ck_assert_str_eq(csv_cell(rows, i, "compensation_cost"), "4300");
            ck_assert_str_eq(csv_cell(rows, i, "full_return_cost"), "10100");
            ck_assert_str_eq(csv_cell(rows, i, "savings"), "5800");
            ck_assert_str_eq(csv_cell(rows, i, "refund_amount"), "2300");
            ck_assert_str_eq(name, "");
        }
        if (strcmp(section, "top_reason") == 0 && strcmp(currency, "USD") == 0 && strcmp(name, "damaged_in_transit") == 0) {
            seen_top = true;
            ck_assert_str_eq(csv_cell(rows, i, "rank"), "2");
        }
        if (strcmp(section, "outcome") == 0 && strcmp(name, "none") == 0) {
            seen_none = true;
            ck_assert_str_eq(csv_cell(rows, i, "cases"), "3");
            ck_assert_str_eq(csv_cell(rows, i, "compensation_cost"), "");
        }
    }
    ck_assert(seen_total && seen_top && seen_none);
    json_decref(rows);
    th_response_free(&r);
}
END_TEST

/* ---- skus ---- */

#define AWKWARD_SKU_SQL "E'CSV,\"Q\"\\r\\nX'"
static const char AWKWARD_SKU[] = "CSV,\"Q\"\r\nX";

static void sku_rows(void)
{
    sql("INSERT INTO sales_daily VALUES "
        "(%lld, '2026-03-02', 'MUG-01', 'USD', 'B0MUG', 3, 4, 4000),"
        "(%lld, '2026-03-20', 'MUG-01', 'USD', '', 1, 1, 1000),"
        "(%lld, '2026-03-05', 'MUG-01', 'EUR', 'B0MUG', 1, 2, 3000),"
        "(%lld, '2026-03-06', 'LAMP-9', 'USD', 'B0LAMP', 2, 2, 10000),"
        "(%lld, '2026-02-27', 'LAMP-9', 'USD', 'B0LAMP', 9, 9, 99999),"
        "(%lld, '2026-03-07', " AWKWARD_SKU_SQL ", 'USD', '', 1, 1, 100),"
        "(%lld, '2026-03-02', 'MUG-01', 'USD', 'B0MUG', 50, 50, 50000)",
        a_id, a_id, a_id, a_id, a_id, a_id, b_id);
    sql("INSERT INTO case_sku_daily VALUES "
        "(%lld, '2026-03-03', 'MUG-01', 'USD', 'defective', 2, 2, 600, 1000),"
        "(%lld, '2026-03-04', 'MUG-01', 'USD', 'damaged_in_transit', 1, 0, 700, 900),"
        "(%lld, '2026-03-05', 'LAMP-9', 'USD', 'wrong_item', 1, 1, 400, 800),"
        "(%lld, '2026-03-08', 'CASE-7', 'GBP', 'late_delivery', 1, 1, 250, 300),"
        "(%lld, '2026-04-01', 'CASE-7', 'GBP', 'late_delivery', 9, 9, 9999, 9999)",
        a_id, a_id, a_id, a_id, a_id);
    sql("INSERT INTO returns_daily VALUES "
        "(%lld, '2026-03-10', 'MUG-01', 'defective', 2, 3),"
        "(%lld, '2026-03-11', 'MUG-01', 'changed_mind', 1, 1),"
        "(%lld, '2026-03-12', 'SOCK-3', 'defective', 1, 2),"
        "(%lld, '2026-03-12', 'SOCK-3', 'changed_mind', 1, 2),"
        "(%lld, '2026-04-01', 'LAMP-9', 'defective', 1, 1),"
        "(%lld, '2026-03-12', 'SOCK-3', 'defective', 5, 5)",
        a_id, a_id, a_id, a_id, a_id, b_id);
    spans_from_days(a_id);
    spans_from_days(b_id);
    /* LAMP-9 has a budget of its own (3 %); the others the policy's 5 %. */
    const char *const headers[] = { a_auth, "Content-Type: application/json", NULL };
    static const char BODY[] = "{\"currency\":\"USD\",\"compensation_budget_percent\":3}";
    struct th_response r;
    th_request(srv.port, "PUT", "/v1/skus/LAMP-9/costs", headers, BODY, strlen(BODY), &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
}

struct sku_expectation {
    const char *sku, *asin, *currency; /* NULL: null */
    long long units_sold, revenue, orders_with_case, cases, units_returned, compensation_cost;
    int budget_percent;
    bool over_budget;
    const char *top_reason;
};

static const struct sku_expectation SKU_EXPECTED[] = {
    { "MUG-01", "B0MUG", "USD", 5, 5000, 2, 3, 4, 1300, 5, true, "damaged_in_transit" },
    { "LAMP-9", "B0LAMP", "USD", 2, 10000, 1, 1, 0, 400, 3, true, "wrong_item" },
    { "CASE-7", NULL, "GBP", 0, 0, 1, 1, 0, 250, 5, false, "late_delivery" },
    { AWKWARD_SKU, NULL, "USD", 1, 100, 0, 0, 0, 0, 5, false, NULL },
    { "MUG-01", "B0MUG", "EUR", 2, 3000, 0, 0, 0, 0, 5, false, NULL },
    { "SOCK-3", NULL, NULL, 0, 0, 0, 0, 4, 0, 5, false, "changed_mind" },
};
enum { SKU_ROWS = sizeof(SKU_EXPECTED) / sizeof(SKU_EXPECTED[0]) };

static void expect_nullable(json_t *item, const char *key, const char *want)
{
    json_t *v = at(item, key);
    if (want == NULL)
        ck_assert_msg(json_is_null(v), "%s should be null", key);
    else
        ck_assert_str_eq(json_string_value(v), want);
}

static void expect_sku(json_t *item, const struct sku_expectation *e)
{
    ck_assert_str_eq(str_at(item, "sku"), e->sku);
    expect_nullable(item, "asin", e->asin);
    expect_nullable(item, "currency", e->currency);
    ck_assert_int_eq(int_at(item, "units_sold"), e->units_sold);
    ck_assert_int_eq(int_at(item, "revenue"), e->revenue);
    ck_assert_int_eq(int_at(item, "orders_with_case"), e->orders_with_case);
    ck_assert_int_eq(int_at(item, "cases"), e->cases);
    ck_assert_int_eq(int_at(item, "units_returned"), e->units_returned);
    expect_rate(item, "return_rate", e->units_returned, e->units_sold);
    ck_assert_int_eq(int_at(item, "compensation_cost"), e->compensation_cost);
    expect_rate(item, "cost_rate", e->compensation_cost, e->revenue);
    ck_assert_int_eq(int_at(item, "budget_percent"), e->budget_percent);
    ck_assert(json_is_boolean(at(item, "over_budget")) && json_boolean_value(at(item, "over_budget")) == e->over_budget);
    expect_nullable(item, "top_reason", e->top_reason);
}

/* The expected order of each sort, as indexes into SKU_EXPECTED. */
static const struct {
    const char *sort;
    int order[SKU_ROWS];
} SKU_SORTED[] = {
    { "cost", { 0, 1, 2, 3, 4, 5 } },        /* 1300, 400, 250, then 0s by SKU */
    { "cost_rate", { 0, 1, 3, 4, 2, 5 } },   /* 0.26, 0.04, 0s by SKU, no revenue last */
    { "return_rate", { 0, 3, 1, 4, 2, 5 } }, /* 0.8, 0s by SKU, nothing sold last */
    { "cases", { 0, 2, 1, 3, 4, 5 } },       /* 3, 1s by SKU, 0s by SKU */
};

START_TEST(skus_every_figure_and_every_sort)
{
    sku_rows();
    for (size_t s = 0; s < sizeof(SKU_SORTED) / sizeof(SKU_SORTED[0]); s++) {
        char path[128];
        snprintf(path, sizeof(path), "/v1/reports/skus?from=2026-03-01&to=2026-03-31&sort=%s", SKU_SORTED[s].sort);
        struct th_response r;
        get(a_auth, path, NULL, &r);
        ck_assert_msg(r.status == 200, "%s: %s", path, r.body);
        ck_assert_str_eq(str_at(r.json, "sort"), SKU_SORTED[s].sort);
        ck_assert_int_eq(int_at(r.json, "total"), SKU_ROWS);
        ck_assert_int_eq(int_at(r.json, "limit"), 50);
        ck_assert(json_is_null(at(r.json, "next_cursor")) && json_is_null(at(r.json, "next")));
        ck_assert_int_eq(json_array_size(at(r.json, "skus")), SKU_ROWS);
        for (int i = 0; i < SKU_ROWS; i++)
            expect_sku(json_array_get(at(r.json, "skus"), (size_t)i), &SKU_EXPECTED[SKU_SORTED[s].order[i]]);
        th_response_free(&r);
    }
    /* Tenant B: its MUG-01 and SOCK-3 only. */
    struct th_response r;
    get(b_auth, "/v1/reports/skus?from=2026-03-01&to=2026-03-31", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(int_at(r.json, "total"), 2);
    ck_assert_int_eq(int_at(r.json, "skus/0/revenue"), 50000);
    ck_assert_int_eq(int_at(r.json, "skus/0/units_returned"), 0);
    ck_assert_int_eq(int_at(r.json, "skus/1/units_returned"), 5);
    th_response_free(&r);
}
END_TEST

START_TEST(skus_pages_follow_the_cursor)
{
    sku_rows();
    struct th_response r;
    get(a_auth, "/v1/reports/skus?from=2026-03-01&to=2026-03-31&sort=cases&limit=4", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(at(r.json, "skus")), 4);
    for (int i = 0; i < 4; i++)
        expect_sku(json_array_get(at(r.json, "skus"), (size_t)i), &SKU_EXPECTED[SKU_SORTED[3].order[i]]);
    char next[512], cursor[256], link[600];
    snprintf(next, sizeof(next), "%s", str_at(r.json, "next"));
    snprintf(cursor, sizeof(cursor), "%s", str_at(r.json, "next_cursor"));
    ck_assert(th_header(&r, "Link", link, sizeof(link)));
    th_response_free(&r);
    char want_link[600];
    snprintf(want_link, sizeof(want_link), "<%s>; rel=\"next\"", next);
    ck_assert_str_eq(link, want_link);

    /* The cursor carries the window and the sort. */
    get(a_auth, next, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str_at(r.json, "sort"), "cases");
    ck_assert_str_eq(str_at(r.json, "window/from"), "2026-03-01");
    ck_assert_int_eq(json_array_size(at(r.json, "skus")), 2);
    for (int i = 0; i < 2; i++)
        expect_sku(json_array_get(at(r.json, "skus"), (size_t)i), &SKU_EXPECTED[SKU_SORTED[3].order[4 + i]]);
    ck_assert(json_is_null(at(r.json, "next")));
    ck_assert(!th_header(&r, "Link", link, sizeof(link)));
    th_response_free(&r);

    /* With the same window and sort beside it, fine; with another, refused. */
    char path[512];
    snprintf(path, sizeof(path), "/v1/reports/skus?from=2026-03-01&to=2026-03-31&sort=cases&limit=4&cursor=%s", cursor);
    get(a_auth, path, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(at(r.json, "skus")), 2);
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1/reports/skus?sort=cost&cursor=%s", cursor);
    expect_problem(a_auth, path, NULL, 400, "cursor: ");
    snprintf(path, sizeof(path), "/v1/reports/skus?from=2026-03-02&cursor=%s", cursor);
    expect_problem(a_auth, path, NULL, 400, "cursor: ");
    expect_problem(a_auth, "/v1/reports/skus?cursor=31", NULL, 400, "cursor: ");
    expect_problem(a_auth, "/v1/reports/skus?cursor=not-hex", NULL, 400, "cursor: ");
}
END_TEST

START_TEST(skus_csv_reads_back_in_python)
{
    sku_rows();
    struct th_response r;
    get(a_auth, "/v1/reports/skus?from=2026-03-01&to=2026-03-31&sort=cost", "text/csv", &r);
    ck_assert_int_eq(r.status, 200);
    json_t *rows = python_csv(&r);
    ck_assert_int_eq(json_array_size(rows), 1 + SKU_ROWS);
    static const char *const COLUMNS[] = { "sku", "asin", "currency", "units_sold", "revenue", "orders_with_case",
                                           "cases", "units_returned", "return_rate", "compensation_cost",
                                           "cost_rate", "budget_percent", "over_budget", "top_reason" };
    for (size_t c = 0; c < sizeof(COLUMNS) / sizeof(COLUMNS[0]); c++)
        ck_assert_int_eq(csv_column(rows, COLUMNS[c]), (int)c);
    /* MUG-01 USD, then the SKU with a comma, quotes and a line break. */
    ck_assert_str_eq(csv_cell(rows, 1, "sku"), "MUG-01");
    ck_assert_str_eq(csv_cell(rows, 1, "return_rate"), "0.8");
    ck_assert_str_eq(csv_cell(rows, 1, "cost_rate"), "0.26");
    ck_assert_str_eq(csv_cell(rows, 1, "over_budget"), "true");
    ck_assert_str_eq(csv_cell(rows, 1, "top_reason"), "damaged_in_transit");
    ck_assert_str_eq(csv_cell(rows, 3, "cost_rate"), "");
    ck_assert_str_eq(csv_cell(rows, 3, "asin"), "");
    ck_assert_str_eq(csv_cell(rows, 4, "sku"), AWKWARD_SKU);
    ck_assert_str_eq(csv_cell(rows, 4, "revenue"), "100");
    ck_assert_str_eq(csv_cell(rows, 6, "sku"), "SOCK-3");
    ck_assert_str_eq(csv_cell(rows, 6, "currency"), "");
    ck_assert_str_eq(csv_cell(rows, 6, "units_returned"), "4");
    json_decref(rows);
    th_response_free(&r);
}
END_TEST

/* A window across whole weeks, a whole month and loose days: sales and
 * returns come from the week and month sums and the days, each day once. */
START_TEST(skus_window_of_weeks_a_month_and_days)
{
    sku_rows();
    sql("INSERT INTO sales_daily VALUES (%lld, '2026-02-18', 'LAMP-9', 'USD', 'B0LAMP', 1, 1, 1),"
        "(%lld, '2026-02-15', 'LAMP-9', 'USD', 'B0LAMP', 1, 100, 100)",
        a_id, a_id);
    spans_from_days(a_id);
    /* 2026-02-16 (a Monday) to 2026-04-01: the week of Feb 16, Feb 23-28,
     * March, April 1 (and not Feb 15). */
    struct th_response r;
    get(a_auth, "/v1/reports/skus?from=2026-02-16&to=2026-04-01&sort=cost", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    /* CASE-7 GBP: March 8 and April 1 (cases are read by day). */
    ck_assert_str_eq(str_at(r.json, "skus/0/sku"), "CASE-7");
    ck_assert_int_eq(int_at(r.json, "skus/0/cases"), 10);
    ck_assert_int_eq(int_at(r.json, "skus/0/compensation_cost"), 10249);
    /* LAMP-9 USD: Feb 18 (the week), Feb 27 (a day), March 6 (the month); its April 1 return. */
    ck_assert_str_eq(str_at(r.json, "skus/2/sku"), "LAMP-9");
    ck_assert_int_eq(int_at(r.json, "skus/2/units_sold"), 1 + 9 + 2);
    ck_assert_int_eq(int_at(r.json, "skus/2/revenue"), 1 + 99999 + 10000);
    ck_assert_int_eq(int_at(r.json, "skus/2/units_returned"), 1);
    /* MUG-01 USD: all of March. */
    ck_assert_str_eq(str_at(r.json, "skus/1/sku"), "MUG-01");
    ck_assert_int_eq(int_at(r.json, "skus/1/units_sold"), 5);
    ck_assert_int_eq(int_at(r.json, "skus/1/units_returned"), 4);
    th_response_free(&r);
}
END_TEST

/* Returns carry no currency: they go to the row with the most units sold,
 * not the most minor units (900 yen is not more than 50 dollars). */
START_TEST(returns_go_to_the_row_that_sold_the_most_units)
{
    sql("INSERT INTO sales_daily VALUES (%lld, '2026-03-02', 'TEA-1', 'JPY', '', 3, 3, 900),"
        "(%lld, '2026-03-02', 'TEA-1', 'USD', '', 1, 1, 5000)",
        a_id, a_id);
    sql("INSERT INTO returns_daily VALUES (%lld, '2026-03-03', 'TEA-1', 'defective', 1, 2)", a_id);
    spans_from_days(a_id);
    struct th_response r;
    get(a_auth, "/v1/reports/skus?from=2026-03-01&to=2026-03-31&sort=return_rate", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(int_at(r.json, "total"), 2);
    ck_assert_str_eq(str_at(r.json, "skus/0/currency"), "JPY");
    ck_assert_int_eq(int_at(r.json, "skus/0/units_returned"), 2);
    expect_rate(r.json, "skus/0/return_rate", 2, 3);
    ck_assert_str_eq(str_at(r.json, "skus/0/top_reason"), "defective");
    ck_assert_str_eq(str_at(r.json, "skus/1/currency"), "USD");
    ck_assert_int_eq(int_at(r.json, "skus/1/units_returned"), 0);
    ck_assert(json_is_null(at(r.json, "skus/1/top_reason")));
    th_response_free(&r);
}
END_TEST

/* ---- windows, parameters, Accept ---- */

static void day_text(long long day, char out[11])
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

START_TEST(windows_default_and_bad_parameters_are_named)
{
    /* No window: the last 30 days ending today (UTC). */
    long long before = (long long)time(NULL) / 86400;
    struct th_response r;
    get(a_auth, "/v1/reports/summary", NULL, &r);
    long long after = (long long)time(NULL) / 86400;
    ck_assert_int_eq(r.status, 200);
    char today[11], first[11];
    day_text(after, today);
    day_text(after - 29, first);
    if (before != after && strcmp(str_at(r.json, "window/to"), today) != 0) {
        day_text(before, today);
        day_text(before - 29, first);
    }
    ck_assert_str_eq(str_at(r.json, "window/to"), today);
    ck_assert_str_eq(str_at(r.json, "window/from"), first);
    th_response_free(&r);
    /* to alone: from is 29 days before it; exactly 400 days is allowed. */
    get(a_auth, "/v1/reports/skus?to=2026-03-31", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str_at(r.json, "window/from"), "2026-03-02");
    th_response_free(&r);
    get(a_auth, "/v1/reports/summary?from=2025-02-25&to=2026-03-31", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    get(a_auth, "/v1/reports/health?to=2024-02-29", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str_at(r.json, "as_of"), "2024-02-29");
    th_response_free(&r);

    static const struct {
        const char *path;
        const char *detail;
    } BAD[] = {
        { "/v1/reports/summary?from=2026-03-32", "from: must be a date" },
        { "/v1/reports/summary?from=2026-3-1", "from: must be a date" },
        { "/v1/reports/summary?to=2025-02-29", "to: must be a date" },
        { "/v1/reports/summary?to=1969-12-31", "to: must be a date" },
        { "/v1/reports/summary?to=2026-03-01T00:00:00Z", "to: must be a date" },
        { "/v1/reports/skus?from=2026-04-01&to=2026-03-31", "from: must not be after to" },
        { "/v1/reports/summary?from=2025-02-24&to=2026-03-31", "from: the window may be at most 400 days" },
        { "/v1/reports/summary?form=2026-03-01", "form: not a parameter of this endpoint" },
        { "/v1/reports/summary?sort=cost", "sort: not a parameter of this endpoint" },
        { "/v1/reports/health?from=2026-03-01", "from: not a parameter of this endpoint" },
        { "/v1/reports/health?to=2026-02-30", "to: must be a date" },
        { "/v1/reports/health?to=9999-12-31", "to: must not be after tomorrow" },
        { "/v1/reports/skus?sort=revenue", "sort: must be one of" },
        { "/v1/reports/skus?limit=0", "limit: must be a whole number from 1 to 500" },
        { "/v1/reports/skus?limit=501", "limit: must be a whole number from 1 to 500" },
        { "/v1/reports/skus?limit=5x", "limit: must be a whole number from 1 to 500" },
        { "/v1/reports/skus?limit=-1", "limit: must be a whole number from 1 to 500" },
    };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++)
        expect_problem(a_auth, BAD[i].path, NULL, 400, BAD[i].detail);
}
END_TEST

START_TEST(accept_chooses_json_or_csv_else_406)
{
    static const struct {
        const char *accept;
        long status;
        const char *type;
    } CASES[] = {
        { "application/json", 200, "application/json" },
        { "*/*", 200, "application/json" },
        { "text/csv", 200, "text/csv" },
        { "text/*", 200, "text/csv" },
        { "text/csv, */*", 200, "text/csv" },                 /* the more specific range */
        { "text/csv;q=0.5, application/json", 200, "application/json" },
        { "application/json;q=0.2, text/csv;q=0.9", 200, "text/csv" },
        { "TEXT/CSV", 200, "text/csv" },
        { "text/csv;q=0, */*", 200, "application/json" },
        { "image/png", 406, "application/problem+json" },
        { "text/html, application/xml", 406, "application/problem+json" },
        { "application/json;q=0", 406, "application/problem+json" },
    };
    static const char *const REPORTS[] = { "/v1/reports/summary", "/v1/reports/skus", "/v1/reports/health" };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++)
        for (size_t k = 0; k < 3; k++) {
            struct th_response r;
            get(a_auth, REPORTS[k], CASES[i].accept, &r);
            char type[128] = "";
            th_header(&r, "Content-Type", type, sizeof(type));
            ck_assert_msg(r.status == CASES[i].status && strncmp(type, CASES[i].type, strlen(CASES[i].type)) == 0,
                          "%s with Accept: %s: %ld %s", REPORTS[k], CASES[i].accept, r.status, type);
            th_response_free(&r);
        }
}
END_TEST

/* ---- health ---- */

/* One health_daily row, days before `to`. */
struct health_row {
    int days_before;
    const char *channel;
    long long orders, cancelled, defects, negative_feedback, a_to_z, chargeback, late, seller_cancelled, valid;
};

static void insert_health(long long tenant, const char *to, const struct health_row *h)
{
    sql("INSERT INTO health_daily VALUES (%lld, DATE '%s' - %d, '%s', %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, "
        "%lld)",
        tenant, to, h->days_before, h->channel, h->orders, h->cancelled, h->defects, h->negative_feedback, h->a_to_z,
        h->chargeback, h->late, h->seller_cancelled, h->valid);
}

/* A metric exactly on its threshold, at the at-risk line, and just clear:
 * rows (for a fresh tenant), the metric, its fraction and status. */
struct health_case {
    const char *metric;
    struct health_row rows[2];
    int n_rows;
    long long numerator, denominator;
    const char *status;
};

#define FBM(days, orders, cancelled, late, seller_cancelled, valid) \
    { days, "FBM", orders, cancelled, 0, 0, 0, 0, late, seller_cancelled, valid }
#define FBA_DEFECTS(days, orders, defects) { days, "FBA", orders, 0, defects, defects, 0, 0, 0, 0, 0 }

static const struct health_case HEALTH_CASES[] = {
    /* order defect rate: < 1 % over 60 days, every channel */
    { "order_defect_rate", { FBA_DEFECTS(0, 1000, 10) }, 1, 10, 1000, "bad" },
    { "order_defect_rate", { FBA_DEFECTS(59, 1000, 8) }, 1, 8, 1000, "at_risk" },
    { "order_defect_rate", { FBA_DEFECTS(3, 1000, 7) }, 1, 7, 1000, "good" },
    { "order_defect_rate", { FBA_DEFECTS(60, 1000, 10), FBA_DEFECTS(0, 10, 0) }, 2, 0, 10, "good" }, /* day 61: out */
    /* late shipment: < 4 % of FBM orders not cancelled, 10 and 30 days */
    { "late_shipment_rate_10d", { FBM(9, 1025, 25, 40, 0, 0), FBA_DEFECTS(0, 500, 0) }, 2, 40, 1000, "bad" },
    { "late_shipment_rate_10d", { FBM(0, 1025, 25, 32, 0, 0) }, 1, 32, 1000, "at_risk" },
    { "late_shipment_rate_10d", { FBM(10, 1025, 25, 40, 0, 0) }, 1, 0, 0, "good" },
    { "late_shipment_rate_30d", { FBM(29, 1025, 25, 40, 0, 0) }, 1, 40, 1000, "bad" },
    { "late_shipment_rate_30d", { FBM(10, 1000, 0, 31, 0, 0) }, 1, 31, 1000, "good" },
    /* pre-fulfilment cancel: < 2.5 % of FBM orders, 7 days */
    { "pre_fulfillment_cancel_rate", { FBM(6, 400, 10, 0, 10, 0) }, 1, 10, 400, "bad" },
    { "pre_fulfillment_cancel_rate", { FBM(0, 400, 8, 0, 8, 0) }, 1, 8, 400, "at_risk" },
    { "pre_fulfillment_cancel_rate", { FBM(7, 400, 10, 0, 10, 0) }, 1, 0, 0, "good" },
    /* valid tracking: > 95 % of FBM orders not cancelled, 30 days */
    { "valid_tracking_rate", { FBM(0, 110, 10, 0, 0, 95) }, 1, 95, 100, "bad" },
    { "valid_tracking_rate", { FBM(29, 100, 0, 0, 0, 96) }, 1, 96, 100, "at_risk" },
    { "valid_tracking_rate", { FBM(5, 100, 0, 0, 0, 97) }, 1, 97, 100, "good" },
};

START_TEST(health_metrics_exactly_on_the_thresholds)
{
    static const char TO[] = "2026-06-30";
    for (size_t i = 0; i < sizeof(HEALTH_CASES) / sizeof(HEALTH_CASES[0]); i++) {
        const struct health_case *c = &HEALTH_CASES[i];
        char name[64], key[APIKEY_LEN + 1], auth[TH_AUTH_HEADER_SIZE];
        th_tenant_with_auth(th_conninfo(), name, key, auth);
        long long tenant = tenant_id(name);
        for (int k = 0; k < c->n_rows; k++)
            insert_health(tenant, TO, &c->rows[k]);
        struct th_response r;
        get(auth, "/v1/reports/health?to=2026-06-30", NULL, &r);
        ck_assert_int_eq(r.status, 200);
        json_t *m = at(at(r.json, "metrics"), c->metric);
        ck_assert_msg(int_at(m, "numerator") == c->numerator && int_at(m, "denominator") == c->denominator,
                      "case %zu (%s): %lld/%lld", i, c->metric, int_at(m, "numerator"), int_at(m, "denominator"));
        expect_rate(m, "rate", c->numerator, c->denominator);
        ck_assert_msg(strcmp(str_at(m, "status"), c->status) == 0, "case %zu (%s): %s, not %s", i, c->metric,
                      str_at(m, "status"), c->status);
        /* The trend's last point is the metric itself. */
        ck_assert_int_eq(json_array_size(at(m, "trend")), 13);
        json_t *last = json_array_get(at(m, "trend"), 12);
        ck_assert_str_eq(str_at(last, "as_of"), TO);
        ck_assert_int_eq(int_at(last, "numerator"), c->numerator);
        ck_assert_str_eq(str_at(last, "status"), c->status);
        th_response_free(&r);
    }
    /* Contact response time: < 10 % of cases answered after 24 h, over the
     * 30 days ending the day before. */
    static const struct {
        int days_before;
        long long cases, within_24h, numerator, denominator;
        const char *status;
    } RESPONSES[] = {
        { 1, 100, 90, 10, 100, "bad" },
        { 30, 100, 92, 8, 100, "at_risk" },
        { 2, 100, 93, 7, 100, "good" },
        { 31, 100, 0, 0, 0, "good" },
        { 0, 100, 0, 0, 0, "good" },
    };
    for (size_t i = 0; i < sizeof(RESPONSES) / sizeof(RESPONSES[0]); i++) {
        char name[64], key[APIKEY_LEN + 1], auth[TH_AUTH_HEADER_SIZE];
        th_tenant_with_auth(th_conninfo(), name, key, auth);
        sql("INSERT INTO response_daily VALUES (%lld, DATE '%s' - %d, %lld, %lld, %lld)", tenant_id(name), TO,
            RESPONSES[i].days_before, RESPONSES[i].cases, RESPONSES[i].within_24h, RESPONSES[i].within_24h);
        struct th_response r;
        get(auth, "/v1/reports/health?to=2026-06-30", NULL, &r);
        ck_assert_int_eq(r.status, 200);
        json_t *m = at(r.json, "metrics/contact_response_time");
        ck_assert_int_eq(int_at(m, "numerator"), RESPONSES[i].numerator);
        ck_assert_int_eq(int_at(m, "denominator"), RESPONSES[i].denominator);
        ck_assert_msg(strcmp(str_at(m, "status"), RESPONSES[i].status) == 0, "response case %zu: %s", i,
                      str_at(m, "status"));
        th_response_free(&r);
    }
}
END_TEST

START_TEST(health_every_figure_parts_channels_and_trend)
{
    static const char TO[] = "2026-06-30";
    /* FBA: 500 orders 14 days before, 3 defects (2 feedback, 1 chargeback);
     * FBM: 500 orders on the day, 20 cancelled (5 by the seller), 2 defects
     * (an A-to-z claim and a feedback), 24 late, 460 valid tracking. */
    const struct health_row rows[] = {
        { 14, "FBA", 500, 0, 3, 2, 0, 1, 0, 0, 0 },
        { 0, "FBM", 500, 20, 2, 1, 1, 0, 24, 5, 460 },
    };
    for (size_t i = 0; i < 2; i++)
        insert_health(a_id, TO, &rows[i]);
    /* Cases: 100 on the day before (10 not answered within 24 h) and 40 on
     * `to` itself, whose 24 hours had not passed by then: not counted. */
    sql("INSERT INTO response_daily VALUES (%lld, '2026-06-29', 100, 95, 90), (%lld, '2026-06-30', 40, 0, 0)", a_id,
        a_id);
    struct th_response r;
    get(a_auth, "/v1/reports/health?to=2026-06-30", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str_at(r.json, "as_of"), TO);
    json_t *m = at(r.json, "metrics");
    json_t *odr = at(m, "order_defect_rate");
    ck_assert_int_eq(int_at(odr, "numerator"), 5);
    ck_assert_int_eq(int_at(odr, "denominator"), 1000);
    ck_assert_str_eq(str_at(odr, "status"), "good");
    ck_assert_double_eq(json_real_value(at(odr, "target")), 0.01);
    ck_assert(!json_boolean_value(at(odr, "higher_is_better")));
    ck_assert_int_eq(int_at(odr, "window_days"), 60);
    ck_assert_str_eq(str_at(odr, "window/from"), "2026-05-02");
    ck_assert_str_eq(str_at(odr, "window/to"), TO);
    ck_assert_int_eq(int_at(odr, "parts/negative_feedback/numerator"), 3);
    expect_rate(odr, "parts/negative_feedback/rate", 3, 1000);
    ck_assert_int_eq(int_at(odr, "parts/a_to_z_claim/numerator"), 1);
    ck_assert_int_eq(int_at(odr, "parts/chargeback/numerator"), 1);
    ck_assert_int_eq(int_at(odr, "channels/FBA/numerator"), 3);
    ck_assert_int_eq(int_at(odr, "channels/FBA/denominator"), 500);
    ck_assert_str_eq(str_at(odr, "channels/FBA/status"), "good");
    ck_assert_int_eq(int_at(odr, "channels/FBM/numerator"), 2);
    ck_assert_int_eq(int_at(odr, "channels/FBM/denominator"), 500);
    /* The FBA day (14 days before) is in the points as of to − 14 ... to:
     * the last three. */
    for (int k = 0; k < 13; k++) {
        json_t *point = json_array_get(at(odr, "trend"), (size_t)k);
        long long want = k == 12 ? 1000 : k >= 10 ? 500 : 0;
        ck_assert_msg(int_at(point, "denominator") == want, "point %d: %lld", k, int_at(point, "denominator"));
    }
    ck_assert_str_eq(str_at(json_array_get(at(odr, "trend"), 0), "as_of"), "2026-04-07");

    /* FBM only, and without the cancelled orders where Amazon says so. */
    static const struct {
        const char *metric;
        long long numerator, denominator;
        const char *status, *from;
    } FBM_METRICS[] = {
        { "late_shipment_rate_10d", 24, 480, "bad", "2026-06-21" },        /* 5 % */
        { "late_shipment_rate_30d", 24, 480, "bad", "2026-06-01" },
        { "pre_fulfillment_cancel_rate", 5, 500, "good", "2026-06-24" },   /* 1 % */
        { "valid_tracking_rate", 460, 480, "at_risk", "2026-06-01" },      /* 95.8 % */
        { "contact_response_time", 10, 100, "bad", "2026-05-31" },         /* 10 %, to the day before */
    };
    for (size_t i = 0; i < sizeof(FBM_METRICS) / sizeof(FBM_METRICS[0]); i++) {
        json_t *metric = at(m, FBM_METRICS[i].metric);
        ck_assert_int_eq(int_at(metric, "numerator"), FBM_METRICS[i].numerator);
        ck_assert_int_eq(int_at(metric, "denominator"), FBM_METRICS[i].denominator);
        expect_rate(metric, "rate", FBM_METRICS[i].numerator, FBM_METRICS[i].denominator);
        ck_assert_str_eq(str_at(metric, "status"), FBM_METRICS[i].status);
        ck_assert_str_eq(str_at(metric, "window/from"), FBM_METRICS[i].from);
    }
    ck_assert_str_eq(str_at(m, "contact_response_time/window/to"), "2026-06-29");
    ck_assert_double_eq(json_real_value(at(m, "valid_tracking_rate/target")), 0.95);
    ck_assert(json_boolean_value(at(m, "valid_tracking_rate/higher_is_better")));
    th_response_free(&r);

    /* The CSV: a row per metric and point, and the parts and channels. */
    get(a_auth, "/v1/reports/health?to=2026-06-30", "text/csv", &r);
    ck_assert_int_eq(r.status, 200);
    expect_crlf_lines(&r);
    json_t *csv = python_csv(&r);
    ck_assert_int_eq(json_array_size(csv), 1 + 6 * 13 + 3 + 2);
    bool seen = false;
    for (size_t i = 1; i < json_array_size(csv); i++)
        if (strcmp(csv_cell(csv, i, "metric"), "order_defect_rate") == 0 && strcmp(csv_cell(csv, i, "channel"), "FBM") == 0) {
            seen = true;
            ck_assert_str_eq(csv_cell(csv, i, "numerator"), "2");
            ck_assert_str_eq(csv_cell(csv, i, "rate"), "0.004");
            ck_assert_str_eq(csv_cell(csv, i, "target"), "0.01");
            ck_assert_str_eq(csv_cell(csv, i, "from"), "2026-05-02");
        }
    ck_assert(seen);
    json_decref(csv);
    th_response_free(&r);

    /* Tenant B has no orders and no cases. */
    get(b_auth, "/v1/reports/health?to=2026-06-30", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    for (size_t i = 0; i < sizeof(FBM_METRICS) / sizeof(FBM_METRICS[0]); i++)
        ck_assert_int_eq(int_at(at(at(r.json, "metrics"), FBM_METRICS[i].metric), "denominator"), 0);
    ck_assert_int_eq(int_at(r.json, "metrics/order_defect_rate/denominator"), 0);
    ck_assert(json_is_null(at(r.json, "metrics/order_defect_rate/rate")));
    th_response_free(&r);
}
END_TEST

/* ---- end to end: imported files and recorded cases ---- */

/* A file of tests/data/imports (malloc'd; caller frees). */
static char *data_file(const char *name, size_t *len)
{
    char relative[256];
    snprintf(relative, sizeof(relative), "tests/data/imports/%s", name);
    return th_read_file(relative, len);
}

static void import_file(const char *kind, const char *type, const char *name)
{
    size_t len;
    char *body = data_file(name, &len);
    char path[128], content_type[96];
    snprintf(path, sizeof(path), "/v1/imports/%s", kind);
    snprintf(content_type, sizeof(content_type), "Content-Type: %s", type);
    const char *const headers[] = { a_auth, content_type, NULL };
    struct th_response r;
    th_request(srv.port, "POST", path, headers, body, len, &r);
    ck_assert_msg(r.status == 201, "%s: %ld %s", name, r.status, r.body);
    th_response_free(&r);
    free(body);
}

/* A case today for MUG-01 in USD; its decision's figures kept. */
struct recorded_case {
    char case_id[64];
    char tier[32];
    long long remedy, full_return;
};

static void record_case(const char *order_id, const char *category, struct recorded_case *out)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"channel\":\"amazon\",\"order\":{\"order_id\":\"%s\",\"sku\":\"MUG-01\",\"currency\":\"USD\","
             "\"item_price\":1299,\"unit_cost\":300,\"delivered_at\":\"2026-11-05T10:00:00Z\"},"
             "\"buyer\":{\"buyer_id\":\"B-%s\",\"language\":\"en\"},\"issue\":{\"category\":\"%s\"}}",
             order_id, order_id, category);
    const char *const headers[] = { a_auth, "Content-Type: application/json", NULL };
    struct th_response r;
    th_request(srv.port, "POST", "/v1/cases", headers, body, strlen(body), &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    snprintf(out->case_id, sizeof(out->case_id), "%s", str_at(r.json, "case_id"));
    snprintf(out->tier, sizeof(out->tier), "%s", str_at(r.json, "tier"));
    out->remedy = int_at(r.json, "cost/remedy");
    out->full_return = int_at(r.json, "cost/full_return");
    th_response_free(&r);
}

START_TEST(imported_files_and_recorded_cases_make_the_reports)
{
    import_file("amazon-all-orders", "text/tab-separated-values", "all-orders-32.tsv");
    import_file("amazon-all-orders", "text/tab-separated-values", "all-orders-29.tsv");
    import_file("amazon-fba-returns", "text/tab-separated-values", "fba-returns.tsv");
    import_file("amazon-fbm-returns", "text/tab-separated-values", "fbm-returns.tsv");
    import_file("events", "application/x-ndjson", "events.ndjson");
    struct recorded_case cases[2];
    record_case("113-1000001-0000001", "defective", &cases[0]);
    record_case("113-1000002-0000002", "defective", &cases[1]);
    const char *const outcome_headers[] = { a_auth, "Content-Type: application/json", NULL };
    static const char OUTCOME[] = "{\"status\":\"accepted\",\"order_retained\":true}";
    char path[256];
    snprintf(path, sizeof(path), "/v1/cases/%s/outcome", cases[0].case_id);
    struct th_response r;
    th_request(srv.port, "POST", path, outcome_headers, OUTCOME, strlen(OUTCOME), &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);

    /* The window from the files' first day to today (the cases' day). */
    char today[11], query[128];
    day_text((long long)time(NULL) / 86400, today);
    snprintf(query, sizeof(query), "from=2026-11-01&to=%s", today);

    /* SKUs (README of tests/data/imports): sold, returned, and the cases. */
    snprintf(path, sizeof(path), "/v1/reports/skus?%s&sort=cases", query);
    get(a_auth, path, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    long long cost = cases[0].remedy + cases[1].remedy;
    const struct sku_expectation expected[] = {
        /* 3 + 1 units; 5 returned: FBA 1 + 1 + 2, FBM 1 (damaged_in_transit 2 units, the most) */
        { "MUG-01", "B0MUG00001", "USD", 4, 3897 + 1299, 2, 2, 5, cost, 5,
          cost * 100 > (3897 + 1299) * 5, "defective" },
        { "CASE-7", "B0CASE0007", "USD", 3, 5997, 0, 0, 1, 0, 5, false, "late_delivery" },
        /* LAMP-9: 1 unit in USD and in JPY: the returns go to the first currency by code */
        { "LAMP-9", "B0LAMP0009", "JPY", 1, 4980, 0, 0, 1, 0, 5, false, "defective" },
        { "LAMP-9", "B0LAMP0009", "USD", 1, 4500, 0, 0, 0, 0, 5, false, NULL },
        { "MUG-01", "B0MUG00001", "EUR", 3, 3450, 0, 0, 0, 0, 5, false, NULL },
    };
    ck_assert_int_eq(int_at(r.json, "total"), 5);
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        expect_sku(json_array_get(at(r.json, "skus"), i), &expected[i]);
    th_response_free(&r);

    /* Summary: the two cases and their one outcome. */
    snprintf(path, sizeof(path), "/v1/reports/summary?%s", query);
    get(a_auth, path, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(int_at(r.json, "cases"), 2);
    ck_assert_str_eq(str_at(r.json, "totals/0/currency"), "USD");
    ck_assert_int_eq(int_at(r.json, "totals/0/compensation_cost"), cost);
    ck_assert_int_eq(int_at(r.json, "totals/0/full_return_cost"), cases[0].full_return + cases[1].full_return);
    ck_assert_str_eq(str_at(r.json, "by_category/0/name"), "defective");
    ck_assert_int_eq(int_at(r.json, "by_category/0/cases"), 2);
    ck_assert_str_eq(str_at(r.json, "by_tier/0/name"), cases[0].tier);
    ck_assert_int_eq(int_at(r.json, "outcomes/accepted"), 1);
    ck_assert_int_eq(int_at(r.json, "outcomes/none"), 1);
    ck_assert_int_eq(int_at(r.json, "orders_retained/yes"), 1);
    ck_assert_str_eq(str_at(r.json, "top_reasons/0/reasons/0/category"), "defective");
    th_response_free(&r);

    /* Health as of 2026-11-20: 8 orders (5 FBA, one cancelled; 3 FBM);
     * defects: negative feedback on 113-1000002, an open A-to-z claim on
     * 113-2000001, a lost chargeback on 113-2000003, all FBM (the denied
     * claim and the 4-star feedback do not count). */
    get(a_auth, "/v1/reports/health?to=2026-11-20", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *odr = at(r.json, "metrics/order_defect_rate");
    ck_assert_int_eq(int_at(odr, "numerator"), 3);
    ck_assert_int_eq(int_at(odr, "denominator"), 8);
    ck_assert_str_eq(str_at(odr, "status"), "bad");
    ck_assert_int_eq(int_at(odr, "parts/negative_feedback/numerator"), 1);
    ck_assert_int_eq(int_at(odr, "parts/a_to_z_claim/numerator"), 1);
    ck_assert_int_eq(int_at(odr, "parts/chargeback/numerator"), 1);
    ck_assert_int_eq(int_at(odr, "channels/FBA/numerator"), 0);
    ck_assert_int_eq(int_at(odr, "channels/FBA/denominator"), 5);
    ck_assert_int_eq(int_at(odr, "channels/FBM/numerator"), 3);
    ck_assert_int_eq(int_at(odr, "channels/FBM/denominator"), 3);
    /* FBM, 30 days: one late shipment and one valid tracking of 3 shipped. */
    ck_assert_int_eq(int_at(r.json, "metrics/late_shipment_rate_30d/numerator"), 1);
    ck_assert_int_eq(int_at(r.json, "metrics/late_shipment_rate_30d/denominator"), 3);
    ck_assert_int_eq(int_at(r.json, "metrics/valid_tracking_rate/numerator"), 1);
    ck_assert_int_eq(int_at(r.json, "metrics/valid_tracking_rate/denominator"), 3);
    /* No order in the last 10 (late shipment) or 7 days (cancellations). */
    ck_assert_int_eq(int_at(r.json, "metrics/late_shipment_rate_10d/denominator"), 0);
    ck_assert_int_eq(int_at(r.json, "metrics/pre_fulfillment_cancel_rate/denominator"), 0);
    th_response_free(&r);

    /* Tenant B sees none of it. */
    snprintf(path, sizeof(path), "/v1/reports/skus?%s", query);
    get(b_auth, path, NULL, &r);
    ck_assert_int_eq(int_at(r.json, "total"), 0);
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1/reports/summary?%s", query);
    get(b_auth, path, NULL, &r);
    ck_assert_int_eq(int_at(r.json, "cases"), 0);
    ck_assert_int_eq(json_array_size(at(r.json, "totals")), 0);
    th_response_free(&r);
    get(b_auth, "/v1/reports/health?to=2026-11-20", NULL, &r);
    ck_assert_int_eq(int_at(r.json, "metrics/order_defect_rate/denominator"), 0);
    th_response_free(&r);
}
END_TEST

Suite *reports_suite(void)
{
    Suite *s = suite_create("reports");
    TCase *writer = tcase_create("csv");
    tcase_add_test(writer, csv_quotes_what_needs_it_and_reads_back_in_python);
    suite_add_tcase(s, writer);
    TCase *api = tcase_create("api");
    tcase_add_checked_fixture(api, setup, teardown);
    tcase_set_timeout(api, 60);
    tcase_add_test(api, summary_every_figure);
    tcase_add_test(api, summary_csv_reads_back_in_python);
    tcase_add_test(api, skus_every_figure_and_every_sort);
    tcase_add_test(api, skus_pages_follow_the_cursor);
    tcase_add_test(api, skus_csv_reads_back_in_python);
    tcase_add_test(api, returns_go_to_the_row_that_sold_the_most_units);
    tcase_add_test(api, skus_window_of_weeks_a_month_and_days);
    tcase_add_test(api, windows_default_and_bad_parameters_are_named);
    tcase_add_test(api, accept_chooses_json_or_csv_else_406);
    tcase_add_test(api, health_metrics_exactly_on_the_thresholds);
    tcase_add_test(api, health_every_figure_parts_channels_and_trend);
    tcase_add_test(api, imported_files_and_recorded_cases_make_the_reports);
    suite_add_tcase(s, api);
    return s;
}
