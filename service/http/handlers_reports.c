/* GET /v1/reports/summary, /v1/reports/skus and /v1/reports/health: what
 * compensation costs and how the account is doing, over a window of UTC
 * days, from the daily rollups (db/reports.c). JSON by default; flat CSV
 * rows with Accept: text/csv (one writer, util/csv.c). Money is summed per
 * currency, never across; rates are fractions of exact integer counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "days.h"
#include "db_reports.h"
#include "handlers.h"
#include "log.h"

/* ---- what every report reads from the request ---- */

enum report_format { REPORT_JSON, REPORT_CSV };

/* The default window is the last 30 days (to = today); longer than 400
 * days is refused (13 months and a margin). */
enum { REPORT_DEFAULT_DAYS = 30, REPORT_MAX_DAYS = 400 };
_Static_assert((int)REPORT_MAX_DAYS <= (int)DAYS_COVER_WINDOW_MAX, "every window has a cover of months, weeks and days");

struct report_request {
    enum report_format format;
    int64_t from, to; /* inclusive UTC days */
    struct db_report_window window;
};

/* JSON unless Accept prefers CSV; false when it takes neither. */
static bool choose_format(struct http_request *req, enum report_format *out)
{
    static const char *const TYPES[] = { "application/json", "text/csv" };
    int chosen = http_accept_choose(req, TYPES, sizeof(TYPES) / sizeof(TYPES[0]));
    *out = chosen == 1 ? REPORT_CSV : REPORT_JSON;
    return chosen >= 0;
}

/* The first query parameter not in `allowed` (NULL-terminated). */
static void set_window(struct report_request *r)
{
    days_format(r->from, r->window.from);
    days_format(r->to, r->window.to);
}

/* Accept, unknown parameters, and the window: from/to (inclusive; to
 * defaults to today, from to 29 days before to). Without has_from the
 * report is as of `to` only. false with the problem sent. */
static bool report_begin(struct http_request *req, const char *const *allowed, bool has_from,
                         struct report_request *out, enum MHD_Result *sent)
{
    memset(out, 0, sizeof(*out));
    if (!choose_format(req, &out->format)) {
        *sent = http_reply_problem(req, PROBLEM_NOT_ACCEPTABLE,
                                   "this report is application/json (the default) or text/csv");
        return false;
    }
    if (!http_query_known(req, allowed, sent))
        return false;
    const char *to = http_query(req, "to");
    const char *from = has_from ? http_query(req, "from") : NULL;
    out->to = days_today();
    if (to != NULL && !days_parse(to, &out->to)) {
        *sent = http_reply_problem(req, PROBLEM_BAD_PARAMETER, "to: must be a date as YYYY-MM-DD (UTC), 1970 or later");
        return false;
    }
    out->from = has_from ? out->to - (REPORT_DEFAULT_DAYS - 1) : out->to;
    if (from != NULL && !days_parse(from, &out->from)) {
        *sent = http_reply_problem(req, PROBLEM_BAD_PARAMETER, "from: must be a date as YYYY-MM-DD (UTC), 1970 or later");
        return false;
    }
    if (out->from > out->to) {
        *sent = http_reply_problem(req, PROBLEM_BAD_PARAMETER, "from: must not be after to");
        return false;
    }
    if (out->to - out->from + 1 > REPORT_MAX_DAYS) {
        char detail[96];
        snprintf(detail, sizeof(detail), "from: the window may be at most %d days, from and to included",
                 REPORT_MAX_DAYS);
        *sent = http_reply_problem(req, PROBLEM_BAD_PARAMETER, detail);
        return false;
    }
    set_window(out);
    return true;
}

static json_t *window_json(const struct db_report_window *w)
{
    return json_pack("{s:s, s:s}", "from", w->from, "to", w->to);
}

/* ---- building JSON with one failure flag ---- */

static void put(json_t *object, const char *key, json_t *value, bool *failed)
{
    if (object == NULL || value == NULL || json_object_set_new(object, key, value) != 0) {
        json_decref(value);
        *failed = true;
    }
}

static void append(json_t *array, json_t *value, bool *failed)
{
    if (array == NULL || value == NULL || json_array_append_new(array, value) != 0) {
        json_decref(value);
        *failed = true;
    }
}

/* numerator ÷ denominator as a JSON number; null when nothing to divide by. */
static json_t *rate_json(int64_t numerator, int64_t denominator)
{
    return denominator > 0 ? json_real((double)numerator / (double)denominator) : json_null();
}

static json_t *text_or_null(const char *text)
{
    return text != NULL && text[0] != '\0' ? json_string(text) : json_null();
}

/* The reply in the chosen format. JSON: body (taken). CSV: rows (taken),
 * as the named columns, with a file name that says the report and window. */
static enum MHD_Result reply_report(struct http_request *req, const struct report_request *r, const char *report,
                                    json_t *body, const char *const *columns, size_t n_columns, json_t *rows,
                                    bool failed)
{
    if (failed || body == NULL || rows == NULL) {
        json_decref(body);
        json_decref(rows);
        log_msg(LOG_ERROR, "request %s: the %s report could not be built (out of memory)", req->request_id, report);
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    }
    if (r->format == REPORT_JSON) {
        json_decref(rows);
        return http_reply_json(req, 200, body);
    }
    json_decref(body);
    size_t len;
    char *csv = csv_from_json_rows(columns, n_columns, rows, &len);
    json_decref(rows);
    if (csv == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    char disposition[96];
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s-%s-%s.csv\"", report, r->window.from,
             r->window.to);
    http_add_header(req, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition);
    enum MHD_Result result = http_reply_bytes(req, 200, "text/csv; charset=utf-8; header=present", csv, len);
    free(csv);
    return result;
}

/* ---- GET /v1/reports/summary ---- */

static const char *const SUMMARY_PARAMS[] = { "from", "to", NULL };
static const char *const SUMMARY_COLUMNS[] = { "section", "name", "currency", "cases", "compensation_cost",
                                               "full_return_cost", "savings", "refund_amount", "rank" };
enum { SUMMARY_TOP_REASONS = 10 };

/* The names each outcome dimension shows even at zero: the values the
 * outcome route accepts (handlers_cases.c), and "none" for the window's
 * cases that have no outcome yet. */
static const char *const OUTCOME_STATUS_NAMES[] = { "accepted", "declined", "returned", "escalated", "none", NULL };
static const char *const REVIEW_OUTCOME_NAMES[] = { "none", "avoided", "posted", "updated", "removed", NULL };
static const char *const ORDER_RETAINED_NAMES[] = { "yes", "no", "unknown", NULL };

/* The case dimensions, each a JSON member "by_<dimension>". */
static const char *const CASE_DIMENSIONS[] = { "category", "tier", "responsibility", "primary_action" };
enum { CASE_DIMENSION_COUNT = sizeof(CASE_DIMENSIONS) / sizeof(CASE_DIMENSIONS[0]) };

/* A group's money in its currency; savings: what the remedies saved
 * against full returns. */
static json_t *money_json(const struct db_case_group *g)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "currency", g->currency, "cases", (json_int_t)g->cases,
                     "compensation_cost", (json_int_t)g->compensation_cost, "full_return_cost",
                     (json_int_t)g->full_return_cost, "savings",
                     (json_int_t)(g->full_return_cost - g->compensation_cost), "refund_amount",
                     (json_int_t)g->refund_amount);
}

static json_t *summary_csv_row(const char *section, const char *name, const struct db_case_group *g, int64_t rank)
{
    json_t *row = money_json(g);
    bool failed = false;
    put(row, "section", json_string(section), &failed);
    put(row, "name", json_string(name), &failed);
    if (rank > 0)
        put(row, "rank", json_integer(rank), &failed);
    if (failed) {
        json_decref(row);
        return NULL;
    }
    return row;
}

static json_t *zero_counts(const char *const *names)
{
    json_t *counts = json_object();
    for (const char *const *name = names; counts != NULL && *name != NULL; name++)
        if (json_object_set_new(counts, *name, json_integer(0)) != 0) {
            json_decref(counts);
            return NULL;
        }
    return counts;
}

/* by_<dimension>: [{name, cases, costs: [money per currency]}]; the rows
 * come ordered by dimension, name, currency, so a name's rows are adjacent. */
static void add_case_group(json_t *by_dimension, const struct db_case_group *g, bool *failed)
{
    json_t *last = json_array_get(by_dimension, json_array_size(by_dimension) - 1);
    if (last == NULL || strcmp(json_string_value(json_object_get(last, "name")), g->name) != 0) {
        last = json_pack("{s:s, s:I, s:[]}", "name", g->name, "cases", (json_int_t)0, "costs");
        append(by_dimension, last, failed);
        if (*failed)
            return;
    }
    json_t *cases = json_object_get(last, "cases");
    json_integer_set(cases, json_integer_value(cases) + g->cases);
    append(json_object_get(last, "costs"), money_json(g), failed);
}

static void add_outcome_count(json_t *counts, const char *name, int64_t cases, bool *failed)
{
    json_t *current = json_object_get(counts, name);
    put(counts, name, json_integer((current ? json_integer_value(current) : 0) + cases), failed);
}

enum MHD_Result handle_report_summary(struct http_request *req)
{
    struct report_request r;
    enum MHD_Result sent = MHD_NO;
    if (!report_begin(req, SUMMARY_PARAMS, true, &r, &sent))
        return sent;
    struct db_report_summary s;
    enum db_status status = db_report_summary(req->db, req->tenant.id, &r.window, &s);
    if (status != DB_OK)
        return http_reply_db_error(req, status);

    bool failed = false;
    json_t *rows = json_array(), *totals = json_array(), *top = json_array();
    json_t *by[CASE_DIMENSION_COUNT];
    for (int d = 0; d < CASE_DIMENSION_COUNT; d++)
        if ((by[d] = json_array()) == NULL)
            failed = true;
    int64_t total_cases = 0;
    for (int i = 0; i < s.n_cases; i++) {
        const struct db_case_group *g = &s.cases[i];
        bool total = strcmp(g->dimension, "total") == 0;
        append(rows, summary_csv_row(g->dimension, g->name, g, 0), &failed);
        if (total) {
            total_cases += g->cases;
            append(totals, money_json(g), &failed);
        }
        for (int d = 0; d < CASE_DIMENSION_COUNT; d++)
            if (strcmp(g->dimension, CASE_DIMENSIONS[d]) == 0)
                add_case_group(by[d], g, &failed);
    }
    /* Top reasons: per currency (the totals' order), the categories ranked
     * 1..10 by compensation cost. */
    for (int t = 0; t < s.n_cases; t++) {
        const struct db_case_group *currency = &s.cases[t];
        if (strcmp(currency->dimension, "total") != 0)
            continue;
        json_t *reasons = json_array();
        for (int rank = 1; rank <= SUMMARY_TOP_REASONS; rank++)
            for (int i = 0; i < s.n_cases; i++) {
                const struct db_case_group *g = &s.cases[i];
                if (g->cost_rank != rank || strcmp(g->dimension, "category") != 0
                    || strcmp(g->currency, currency->currency) != 0)
                    continue;
                json_t *reason = money_json(g);
                put(reason, "category", json_string(g->name), &failed);
                json_object_del(reason, "currency");
                append(reasons, reason, &failed);
                append(rows, summary_csv_row("top_reason", g->name, g, rank), &failed);
            }
        append(top, json_pack("{s:s, s:o}", "currency", currency->currency, "reasons", reasons), &failed);
    }
    /* Outcomes: the standing one of each case; "none" for the rest. */
    json_t *outcomes = zero_counts(OUTCOME_STATUS_NAMES), *reviews = zero_counts(REVIEW_OUTCOME_NAMES),
           *retained = zero_counts(ORDER_RETAINED_NAMES);
    int64_t with_outcome = 0;
    for (int i = 0; i < s.n_outcomes; i++) {
        const struct db_outcome_group *g = &s.outcomes[i];
        if (strcmp(g->dimension, "total") == 0)
            with_outcome += g->cases;
        else if (strcmp(g->dimension, "status") == 0)
            add_outcome_count(outcomes, g->name, g->cases, &failed);
        else if (strcmp(g->dimension, "review_outcome") == 0)
            add_outcome_count(reviews, g->name, g->cases, &failed);
        else if (strcmp(g->dimension, "order_retained") == 0)
            add_outcome_count(retained, g->name, g->cases, &failed);
    }
    add_outcome_count(outcomes, "none", total_cases - with_outcome, &failed);
    const struct {
        const char *section;
        json_t *counts;
    } OUTCOME_SECTIONS[] = { { "outcome", outcomes }, { "review_outcome", reviews }, { "order_retained", retained } };
    for (size_t k = 0; k < sizeof(OUTCOME_SECTIONS) / sizeof(OUTCOME_SECTIONS[0]); k++) {
        const char *name;
        json_t *count;
        json_object_foreach(OUTCOME_SECTIONS[k].counts, name, count)
            append(rows, json_pack("{s:s, s:s, s:O}", "section", OUTCOME_SECTIONS[k].section, "name", name,
                                   "cases", count), &failed);
    }
    db_report_summary_cleanup(&s);

    json_t *body = json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "window",
                             window_json(&r.window), "cases", (json_int_t)total_cases, "totals", totals,
                             "by_category", by[0], "by_tier", by[1], "by_responsibility", by[2],
                             "by_primary_action", by[3], "outcomes", outcomes, "review_outcomes", reviews,
                             "orders_retained", retained, "top_reasons", top);
    return reply_report(req, &r, "summary", body, SUMMARY_COLUMNS,
                        sizeof(SUMMARY_COLUMNS) / sizeof(SUMMARY_COLUMNS[0]), rows, failed);
}

/* ---- GET /v1/reports/skus ---- */

static const char *const SKUS_PARAMS[] = { "from", "to", "sort", "limit", "cursor", NULL };
static const char *const SKU_SORTS[] = { "cost", "cost_rate", "return_rate", "cases" }; /* [0]: the default */
enum { SKU_SORT_COUNT = sizeof(SKU_SORTS) / sizeof(SKU_SORTS[0]) };
/* The CSV's columns: the JSON items' members, in their order. */
static const char *const SKU_COLUMNS[] = { "sku", "asin", "currency", "units_sold", "revenue",
                                           "orders_with_case", "cases", "units_returned", "return_rate",
                                           "compensation_cost", "cost_rate", "budget_percent",
                                           "over_budget", "top_reason" };
enum { SKUS_LIMIT_DEFAULT = 50, SKUS_LIMIT_MAX = 500, SKUS_OFFSET_MAX = 2000000000 };

/* The cursor is opaque to clients: the hex of "1|from|to|sort|offset", so
 * that the next page is of the same window and order whatever the day. */
enum { CURSOR_TEXT_MAX = 64 };

static void cursor_make(const struct report_request *r, int sort, int64_t offset, char out[2 * CURSOR_TEXT_MAX + 1])
{
    char text[CURSOR_TEXT_MAX];
    int n = snprintf(text, sizeof(text), "1|%s|%s|%s|%lld", r->window.from, r->window.to, SKU_SORTS[sort],
                     (long long)offset);
    for (int i = 0; i < n && i < CURSOR_TEXT_MAX - 1; i++)
        snprintf(out + 2 * i, 3, "%02x", (unsigned char)text[i]);
}

/* The cursor's window, sort and offset; false when it is not one we made. */
static bool cursor_read(const char *cursor, int64_t *from, int64_t *to, int *sort, int64_t *offset)
{
    size_t len = strlen(cursor);
    char text[CURSOR_TEXT_MAX];
    if (len == 0 || len % 2 != 0 || len / 2 >= sizeof(text))
        return false;
    for (size_t i = 0; i < len / 2; i++) {
        unsigned byte;
        if (sscanf(cursor + 2 * i, "%2x", &byte) != 1 || strchr("0123456789abcdef", cursor[2 * i]) == NULL
            || strchr("0123456789abcdef", cursor[2 * i + 1]) == NULL)
            return false;
        text[i] = (char)byte;
    }
    text[len / 2] = '\0';
    char from_text[DAYS_TEXT_SIZE], to_text[DAYS_TEXT_SIZE], sort_text[16];
    long long at;
    char tail;
    if (sscanf(text, "1|%10[0-9-]|%10[0-9-]|%15[a-z_]|%lld%c", from_text, to_text, sort_text, &at, &tail) != 4
        || !days_parse(from_text, from) || !days_parse(to_text, to) || *from > *to
        || *to - *from + 1 > REPORT_MAX_DAYS || at < 0 || at > SKUS_OFFSET_MAX)
        return false;
    *offset = at;
    for (*sort = 0; *sort < SKU_SORT_COUNT; (*sort)++)
        if (strcmp(sort_text, SKU_SORTS[*sort]) == 0)
            return true;
    return false;
}

/* sort, limit and cursor. A cursor carries its window and sort: from, to
 * and sort may come with it only if they say the same. */
static bool skus_page_params(struct http_request *req, struct report_request *r, int *sort, int *limit,
                             int64_t *offset, enum MHD_Result *sent)
{
    const char *sort_text = http_query(req, "sort");
    const char *limit_text = http_query(req, "limit");
    const char *cursor = http_query(req, "cursor");
    *sort = 0;
    if (sort_text != NULL) {
        for (*sort = 0; *sort < SKU_SORT_COUNT && strcmp(sort_text, SKU_SORTS[*sort]) != 0; (*sort)++)
            ;
        if (*sort == SKU_SORT_COUNT) {
            *sent = http_reply_problem(req, PROBLEM_BAD_PARAMETER,
                                       "sort: must be one of cost, cost_rate, return_rate, cases");
            return false;
        }
    }
    *limit = SKUS_LIMIT_DEFAULT;
    if (limit_text != NULL) {
        char *end;
        long value = strtol(limit_text, &end, 10);
        if (limit_text[0] < '0' || limit_text[0] > '9' || *end != '\0' || value < 1 || value > SKUS_LIMIT_MAX) {
            *sent = http_reply_problem(req, PROBLEM_BAD_PARAMETER, "limit: must be a whole number from 1 to 500");
            return false;
        }
        *limit = (int)value;
    }
    *offset = 0;
    if (cursor == NULL)
        return true;
    int64_t from, to;
    int cursor_sort;
    if (!cursor_read(cursor, &from, &to, &cursor_sort, offset)) {
        *sent = http_reply_problem(req, PROBLEM_BAD_PARAMETER, "cursor: must be the next_cursor of an earlier page");
        return false;
    }
    if ((http_query(req, "from") != NULL && from != r->from) || (http_query(req, "to") != NULL && to != r->to)
        || (sort_text != NULL && cursor_sort != *sort)) {
        *sent = http_reply_problem(req, PROBLEM_BAD_PARAMETER,
                                   "cursor: was made for another window or sort (a cursor carries both; send it alone)");
        return false;
    }
    r->from = from;
    r->to = to;
    set_window(r);
    *sort = cursor_sort;
    return true;
}

static json_t *sku_json(const struct db_sku_row *row, int budget_percent, bool *failed)
{
    json_t *item = json_object();
    put(item, "sku", json_string(row->sku), failed);
    put(item, "asin", text_or_null(row->asin), failed);
    put(item, "currency", text_or_null(row->currency), failed);
    put(item, "units_sold", json_integer(row->units_sold), failed);
    put(item, "revenue", json_integer(row->revenue), failed);
    put(item, "orders_with_case", json_integer(row->orders_with_case), failed);
    put(item, "cases", json_integer(row->cases), failed);
    put(item, "units_returned", json_integer(row->units_returned), failed);
    put(item, "return_rate", rate_json(row->units_returned, row->units_sold), failed);
    put(item, "compensation_cost", json_integer(row->compensation_cost), failed);
    put(item, "cost_rate", rate_json(row->compensation_cost, row->revenue), failed);
    put(item, "budget_percent", json_integer(budget_percent), failed);
    put(item, "over_budget", json_boolean(eng_budget_over(row->compensation_cost, row->revenue, budget_percent)),
        failed);
    put(item, "top_reason", text_or_null(row->top_reason), failed);
    return item;
}

enum MHD_Result handle_report_skus(struct http_request *req)
{
    struct report_request r;
    enum MHD_Result sent = MHD_NO;
    int sort, limit;
    int64_t offset;
    if (!report_begin(req, SKUS_PARAMS, true, &r, &sent) || !skus_page_params(req, &r, &sort, &limit, &offset, &sent))
        return sent;
    /* A SKU without a budget of its own has the policy's. */
    struct eng_policy policy;
    enum db_status status = policy_current(req, &policy);
    struct db_sku_page page;
    if (status == DB_OK)
        status = db_report_skus(req->db, req->tenant.id, &r.window, SKU_SORTS[sort], limit, offset, &page);
    if (status != DB_OK)
        return http_reply_db_error(req, status);

    bool failed = false;
    json_t *items = json_array();
    for (int i = 0; i < page.n; i++) {
        const struct db_sku_row *row = &page.rows[i];
        int budget = row->sku_budget_percent >= 0 ? row->sku_budget_percent : policy.compensation_budget_percent;
        append(items, sku_json(row, budget, &failed), &failed);
    }
    bool more = offset + page.n < page.total;
    int64_t total = page.total;
    db_sku_page_cleanup(&page);
    char cursor[2 * CURSOR_TEXT_MAX + 1] = "", next[2 * CURSOR_TEXT_MAX + 64] = "";
    if (more) {
        cursor_make(&r, sort, offset + limit, cursor);
        snprintf(next, sizeof(next), "/v1/reports/skus?cursor=%s&limit=%d", cursor, limit);
        char link[sizeof(next) + 16];
        snprintf(link, sizeof(link), "<%s>; rel=\"next\"", next);
        http_add_header(req, MHD_HTTP_HEADER_LINK, link);
    }
    json_t *body = json_pack("{s:o, s:s, s:i, s:I, s:O, s:o, s:o}", "window", window_json(&r.window), "sort",
                             SKU_SORTS[sort], "limit", limit, "total", (json_int_t)total, "skus", items,
                             "next_cursor", more ? json_string(cursor) : json_null(), "next",
                             more ? json_string(next) : json_null());
    json_t *rows = items; /* the CSV's rows are the page's items */
    return reply_report(req, &r, "skus", body, SKU_COLUMNS, sizeof(SKU_COLUMNS) / sizeof(SKU_COLUMNS[0]),
                        rows, failed);
}

/* ---- GET /v1/reports/health ---- */

static const char *const HEALTH_PARAMS[] = { "to", NULL };
static const char *const HEALTH_COLUMNS[] = { "metric", "part", "channel", "as_of", "from", "to", "window_days",
                                              "numerator", "denominator", "rate", "target", "status" };

/* 13 weekly points, as of to, to − 7, ..., to − 84. */
enum { HEALTH_TREND_POINTS = 13, HEALTH_TREND_STEP_DAYS = 7 };

/* What each metric divides (ENG_HEALTH_METRICS names them, their windows
 * and targets): counts of health_daily summed over the channels it
 * covers, by the order's purchase day; or, for the contact response time,
 * response_daily's cases. */
enum health_denominator { DENOMINATOR_ORDERS, DENOMINATOR_SHIPPED /* orders − cancelled */, DENOMINATOR_CASES };
enum { CHANNELS_ALL = (1u << DB_CHANNEL_FBA) | (1u << DB_CHANNEL_FBM), CHANNELS_FBM = 1u << DB_CHANNEL_FBM };

struct health_definition {
    size_t numerator; /* offset of an int64_t in struct db_health_counts */
    enum health_denominator denominator;
    unsigned channels;
};

#define COUNT_AT(member) offsetof(struct db_health_counts, member)
static const struct health_definition HEALTH_DEFINITIONS[HEALTH_METRIC_COUNT] = {
    [HEALTH_ORDER_DEFECT_RATE] = { COUNT_AT(defect_orders), DENOMINATOR_ORDERS, CHANNELS_ALL },
    [HEALTH_LATE_SHIPMENT_RATE_10D] = { COUNT_AT(late_shipment_orders), DENOMINATOR_SHIPPED, CHANNELS_FBM },
    [HEALTH_LATE_SHIPMENT_RATE_30D] = { COUNT_AT(late_shipment_orders), DENOMINATOR_SHIPPED, CHANNELS_FBM },
    [HEALTH_PRE_FULFILLMENT_CANCEL_RATE] = { COUNT_AT(seller_cancelled_orders), DENOMINATOR_ORDERS, CHANNELS_FBM },
    [HEALTH_VALID_TRACKING_RATE] = { COUNT_AT(valid_tracking_orders), DENOMINATOR_SHIPPED, CHANNELS_FBM },
    [HEALTH_CONTACT_RESPONSE_LATE] = { 0, DENOMINATOR_CASES, 0 },
};
_Static_assert(HEALTH_METRIC_COUNT == 6, "a new ENG_HEALTH_METRICS entry needs its row in HEALTH_DEFINITIONS");

/* The order defect rate's parts. */
static const struct {
    const char *name;
    size_t numerator;
} ODR_PARTS[] = {
    { "negative_feedback", COUNT_AT(negative_feedback_orders) },
    { "a_to_z_claim", COUNT_AT(a_to_z_orders) },
    { "chargeback", COUNT_AT(chargeback_orders) },
};
#undef COUNT_AT

static int64_t count_at(const struct db_health_counts *c, size_t offset)
{
    return *(const int64_t *)(const void *)((const char *)c + offset);
}

/* A metric's window as of a day: the window_days ending there; for the
 * contact response time, ending the day before (two before today), so that
 * every case counted has had its 24 hours (a case of day D has had them by
 * the end of D + 1). */
static void health_window(enum eng_health_metric metric, int64_t as_of, int64_t today, int64_t *first, int64_t *last)
{
    *last = as_of;
    if (HEALTH_DEFINITIONS[metric].denominator == DENOMINATOR_CASES)
        *last = as_of - 1 < today - 2 ? as_of - 1 : today - 2;
    *first = *last - ENG_HEALTH_METRIC_INFO[metric].window_days + 1;
}

struct health_fraction {
    int64_t numerator, denominator;
};

/* Sums over [first, last] of the loaded days (range_first is day 0). */
static struct health_fraction health_sum(const struct db_health_days *days, int64_t range_first,
                                         enum eng_health_metric metric, size_t numerator, unsigned channels,
                                         int64_t first, int64_t last)
{
    struct health_fraction f = { 0, 0 };
    const struct health_definition *def = &HEALTH_DEFINITIONS[metric];
    for (int64_t day = first; day <= last; day++) {
        int64_t i = day - range_first;
        if (i < 0 || i >= days->n_days)
            continue;
        if (def->denominator == DENOMINATOR_CASES) {
            f.numerator += days->responses[i].cases - days->responses[i].answered_within_24h;
            f.denominator += days->responses[i].cases;
            continue;
        }
        for (int c = 0; c < DB_CHANNEL_COUNT; c++) {
            if (!(channels & (1u << c)))
                continue;
            const struct db_health_counts *counts = &days->orders[i][c];
            f.numerator += count_at(counts, numerator);
            f.denominator += counts->orders - (def->denominator == DENOMINATOR_SHIPPED ? counts->cancelled_orders : 0);
        }
    }
    return f;
}

/* {numerator, denominator, rate[, status]} and the CSV row of the same. */
static json_t *fraction_json(enum eng_health_metric metric, struct health_fraction f, bool with_status)
{
    json_t *o = json_pack("{s:I, s:I, s:o}", "numerator", (json_int_t)f.numerator, "denominator",
                          (json_int_t)f.denominator, "rate", rate_json(f.numerator, f.denominator));
    if (o != NULL && with_status
        && json_object_set_new(o, "status",
                               json_string(ENG_HEALTH_STATUS_NAMES[eng_health_status(metric, f.numerator,
                                                                                     f.denominator)])) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void health_csv_row(json_t *rows, enum eng_health_metric metric, const char *part, const char *channel,
                           int64_t as_of, int64_t first, int64_t last, const json_t *fraction, bool *failed)
{
    const struct eng_health_metric_info *info = &ENG_HEALTH_METRIC_INFO[metric];
    char as_of_text[DAYS_TEXT_SIZE], from[DAYS_TEXT_SIZE], to[DAYS_TEXT_SIZE];
    days_format(as_of, as_of_text);
    days_format(first, from);
    days_format(last, to);
    json_t *row = json_deep_copy(fraction);
    put(row, "metric", json_string(info->name), failed);
    put(row, "part", json_string(part), failed);
    put(row, "channel", json_string(channel), failed);
    put(row, "as_of", json_string(as_of_text), failed);
    put(row, "from", json_string(from), failed);
    put(row, "to", json_string(to), failed);
    put(row, "window_days", json_integer(info->window_days), failed);
    put(row, "target", json_real(info->target_bp / 10000.0), failed);
    append(rows, row, failed);
}

static json_t *health_metric_json(enum eng_health_metric metric, const struct db_health_days *days,
                                  int64_t range_first, int64_t to, int64_t today, json_t *rows, bool *failed)
{
    const struct eng_health_metric_info *info = &ENG_HEALTH_METRIC_INFO[metric];
    const struct health_definition *def = &HEALTH_DEFINITIONS[metric];
    int64_t first, last;
    health_window(metric, to, today, &first, &last);
    struct health_fraction f = health_sum(days, range_first, metric, def->numerator, def->channels, first, last);
    json_t *m = fraction_json(metric, f, true);
    char from_text[DAYS_TEXT_SIZE], to_text[DAYS_TEXT_SIZE];
    days_format(first, from_text);
    days_format(last, to_text);
    put(m, "target", json_real(info->target_bp / 10000.0), failed);
    put(m, "higher_is_better", json_boolean(info->higher_is_better), failed);
    put(m, "window_days", json_integer(info->window_days), failed);
    put(m, "window", json_pack("{s:s, s:s}", "from", from_text, "to", to_text), failed);
    if (metric == HEALTH_ORDER_DEFECT_RATE) {
        json_t *parts = json_object(), *channels = json_object();
        for (size_t p = 0; p < sizeof(ODR_PARTS) / sizeof(ODR_PARTS[0]); p++) {
            struct health_fraction pf =
                health_sum(days, range_first, metric, ODR_PARTS[p].numerator, def->channels, first, last);
            json_t *part = fraction_json(metric, pf, false);
            health_csv_row(rows, metric, ODR_PARTS[p].name, "", to, first, last, part, failed);
            put(parts, ODR_PARTS[p].name, part, failed);
        }
        for (int c = 0; c < DB_CHANNEL_COUNT; c++) {
            struct health_fraction cf = health_sum(days, range_first, metric, def->numerator, 1u << c, first, last);
            json_t *channel = fraction_json(metric, cf, true);
            health_csv_row(rows, metric, "", DB_CHANNEL_NAMES[c], to, first, last, channel, failed);
            put(channels, DB_CHANNEL_NAMES[c], channel, failed);
        }
        put(m, "parts", parts, failed);
        put(m, "channels", channels, failed);
    }
    /* The trend, oldest first; its last point is the metric as of `to`. */
    json_t *trend = json_array();
    for (int k = HEALTH_TREND_POINTS - 1; k >= 0; k--) {
        int64_t as_of = to - (int64_t)k * HEALTH_TREND_STEP_DAYS, point_first, point_last;
        health_window(metric, as_of, today, &point_first, &point_last);
        json_t *point = fraction_json(metric, health_sum(days, range_first, metric, def->numerator, def->channels,
                                                         point_first, point_last), true);
        health_csv_row(rows, metric, "", "", as_of, point_first, point_last, point, failed);
        char day[DAYS_TEXT_SIZE];
        days_format(as_of, day);
        put(point, "as_of", json_string(day), failed);
        append(trend, point, failed);
    }
    put(m, "trend", trend, failed);
    return m;
}

enum MHD_Result handle_report_health(struct http_request *req)
{
    struct report_request r;
    enum MHD_Result sent = MHD_NO;
    if (!report_begin(req, HEALTH_PARAMS, false, &r, &sent))
        return sent;
    int64_t today = days_today();
    /* The contact response time's windows end two days before today at the
     * latest: a later `to` would make the days read span up to it. A day
     * ahead is allowed (a seller east of UTC may be there already). */
    if (r.to > today + 1)
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "to: must not be after tomorrow (UTC)");
    /* One read covers every window of every point: from the earliest
     * window's first day to `to`. */
    int64_t range_first = r.to;
    for (int m = 0; m < HEALTH_METRIC_COUNT; m++) {
        int64_t first, last;
        health_window((enum eng_health_metric)m, r.to - (HEALTH_TREND_POINTS - 1) * HEALTH_TREND_STEP_DAYS, today,
                      &first, &last);
        if (first < range_first)
            range_first = first;
    }
    struct report_request range = r;
    range.from = range_first;
    set_window(&range);
    struct db_health_days days;
    enum db_status status = db_report_health_days(req->db, req->tenant.id, &range.window,
                                                  (int)(r.to - range_first + 1), &days);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    bool failed = false;
    json_t *metrics = json_object(), *rows = json_array();
    for (int m = 0; m < HEALTH_METRIC_COUNT; m++)
        put(metrics, ENG_HEALTH_METRIC_INFO[m].name,
            health_metric_json((enum eng_health_metric)m, &days, range_first, r.to, today, rows, &failed), &failed);
    db_health_days_cleanup(&days);
    json_t *body = json_pack("{s:s, s:o}", "as_of", r.window.to, "metrics", metrics);
    return reply_report(req, &r, "health", body, HEALTH_COLUMNS, sizeof(HEALTH_COLUMNS) / sizeof(HEALTH_COLUMNS[0]),
                        rows, failed);
}
