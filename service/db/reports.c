/* The reports' reads of the daily rollups (include/db_reports.h). Each
 * report is one round trip: its statements go in one pipeline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "db_reports.h"

const char *const DB_CHANNEL_NAMES[DB_CHANNEL_COUNT] = { [DB_CHANNEL_FBA] = "FBA", [DB_CHANNEL_FBM] = "FBM" };

static const char *text(const PGresult *res, int row, const char *name)
{
    return PQgetvalue(res, row, db_column(res, name));
}

static bool is_null(const PGresult *res, int row, const char *name)
{
    return PQgetisnull(res, row, db_column(res, name));
}

/* Sums are bigint: SQL NULL (no row) reads as 0. */
static int64_t number(const PGresult *res, int row, const char *name)
{
    return strtoll(text(res, row, name), NULL, 10);
}

static void copy_text(char *out, size_t size, const PGresult *res, int row, const char *name)
{
    snprintf(out, size, "%s", is_null(res, row, name) ? "" : text(res, row, name));
}

/* The tenant and the window, as a statement's $1 $2 $3 (values); or the
 * tenant and the window's cover (days_cover: the loose days, whole weeks
 * and whole months the rollups are read by), as $1 .. $4 (cover). */
struct window_params {
    char tenant[24];
    char days[DAYS_ARRAY_TEXT_MAX], weeks[DAYS_ARRAY_TEXT_MAX], months[DAYS_ARRAY_TEXT_MAX];
    const char *values[3];
    const char *cover[4];
};

/* False when the window has no cover (not two days, or too long: the
 * handlers refuse such windows first). */
static bool window_params_init(struct window_params *p, int64_t tenant_id, const struct db_report_window *w)
{
    db_int_text(tenant_id, p->tenant);
    int64_t from, to;
    struct days_cover cover;
    if (!days_parse(w->from, &from) || !days_parse(w->to, &to) || !days_cover(from, to, &cover))
        return false;
    days_array_text(cover.days, cover.n[DAYS_SPAN_DAY], p->days);
    days_array_text(cover.weeks, cover.n[DAYS_SPAN_WEEK], p->weeks);
    days_array_text(cover.months, cover.n[DAYS_SPAN_MONTH], p->months);
    const char *values[] = { p->tenant, w->from, w->to }, *cover_values[] = { p->tenant, p->days, p->weeks, p->months };
    _Static_assert(sizeof(values) == sizeof(p->values) && sizeof(cover_values) == sizeof(p->cover),
                   "every parameter has its slot");
    memcpy(p->values, values, sizeof(values));
    memcpy(p->cover, cover_values, sizeof(cover_values));
    return true;
}

/* ---- summary ---- */

void db_report_summary_cleanup(struct db_report_summary *s)
{
    free(s->cases);
    free(s->outcomes);
    memset(s, 0, sizeof(*s));
}

static bool read_case_groups(const PGresult *res, struct db_report_summary *out)
{
    int n = PQntuples(res);
    out->cases = calloc((size_t)(n > 0 ? n : 1), sizeof(*out->cases));
    if (out->cases == NULL)
        return false;
    for (int i = 0; i < n; i++) {
        struct db_case_group *g = &out->cases[i];
        copy_text(g->dimension, sizeof(g->dimension), res, i, "dimension");
        copy_text(g->name, sizeof(g->name), res, i, "name");
        copy_text(g->currency, sizeof(g->currency), res, i, "currency");
        g->cases = number(res, i, "cases");
        g->compensation_cost = number(res, i, "compensation_cost");
        g->full_return_cost = number(res, i, "full_return_cost");
        g->refund_amount = number(res, i, "refund_amount");
        g->cost_rank = number(res, i, "cost_rank");
    }
    out->n_cases = n;
    return true;
}

static bool read_outcome_groups(const PGresult *res, struct db_report_summary *out)
{
    int n = PQntuples(res);
    out->outcomes = calloc((size_t)(n > 0 ? n : 1), sizeof(*out->outcomes));
    if (out->outcomes == NULL)
        return false;
    for (int i = 0; i < n; i++) {
        struct db_outcome_group *g = &out->outcomes[i];
        copy_text(g->dimension, sizeof(g->dimension), res, i, "dimension");
        copy_text(g->name, sizeof(g->name), res, i, "name");
        g->cases = number(res, i, "cases");
    }
    out->n_outcomes = n;
    return true;
}

enum db_status db_report_summary(struct db *db, int64_t tenant_id, const struct db_report_window *window,
                                 struct db_report_summary *out)
{
    memset(out, 0, sizeof(*out));
    struct window_params p;
    if (!window_params_init(&p, tenant_id, window))
        return DB_ERROR;
    struct db_call calls[] = {
        { STMT_REPORT_CASE_SUMMARY, 4, p.cover, NULL, DB_OK },
        { STMT_REPORT_OUTCOME_SUMMARY, 3, p.values, NULL, DB_OK },
    };
    enum db_status status = db_exec_many(db, calls, 2);
    if (status == DB_OK && !(read_case_groups(calls[0].result, out) && read_outcome_groups(calls[1].result, out)))
        status = DB_ERROR;
    PQclear(calls[0].result);
    PQclear(calls[1].result);
    if (status != DB_OK)
        db_report_summary_cleanup(out);
    return status;
}

/* ---- skus ---- */

void db_sku_page_cleanup(struct db_sku_page *page)
{
    for (int i = 0; i < page->n; i++) {
        free(page->rows[i].sku);
        free(page->rows[i].asin);
    }
    free(page->rows);
    memset(page, 0, sizeof(*page));
}

static bool read_sku_row(const PGresult *res, int i, struct db_sku_row *r)
{
    r->sku = strdup(text(res, i, "sku"));
    r->asin = is_null(res, i, "asin") ? NULL : strdup(text(res, i, "asin"));
    copy_text(r->currency, sizeof(r->currency), res, i, "currency");
    r->units_sold = number(res, i, "units_sold");
    r->revenue = number(res, i, "revenue");
    r->orders_with_case = number(res, i, "orders_with_case");
    r->cases = number(res, i, "cases");
    r->units_returned = number(res, i, "units_returned");
    r->compensation_cost = number(res, i, "compensation_cost");
    copy_text(r->top_reason, sizeof(r->top_reason), res, i, "top_reason");
    r->sku_budget_percent = is_null(res, i, "sku_budget_percent") ? -1 : atoi(text(res, i, "sku_budget_percent"));
    return r->sku != NULL && (r->asin != NULL || is_null(res, i, "asin"));
}

enum db_status db_report_skus(struct db *db, int64_t tenant_id, const struct db_report_window *window,
                              const char *sort, int limit, int64_t offset, struct db_sku_page *out)
{
    memset(out, 0, sizeof(*out));
    struct window_params p;
    if (!window_params_init(&p, tenant_id, window))
        return DB_ERROR;
    char limit_text[24], offset_text[24];
    db_int_text(limit, limit_text);
    db_int_text(offset, offset_text);
    const char *const params[] = { p.tenant, sort, limit_text, offset_text, p.days, p.weeks, p.months };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_REPORT_SKUS, (int)(sizeof(params) / sizeof(params[0])), params, &status);
    if (res == NULL)
        return status;
    int n = PQntuples(res);
    out->rows = calloc((size_t)(n > 0 ? n : 1), sizeof(*out->rows));
    bool ok = out->rows != NULL;
    for (int i = 0; ok && i < n; i++) {
        out->n = i + 1; /* so that the cleanup frees what this row holds */
        ok = read_sku_row(res, i, &out->rows[i]);
    }
    /* Past the last row the page is empty: the total is then unknown here,
     * and the caller needs it only to say whether more follow. */
    out->total = n > 0 ? number(res, 0, "total_rows") : 0;
    PQclear(res);
    if (!ok) {
        db_sku_page_cleanup(out);
        return DB_ERROR;
    }
    return DB_OK;
}

/* ---- health ---- */

void db_health_days_cleanup(struct db_health_days *d)
{
    free(d->orders);
    free(d->responses);
    memset(d, 0, sizeof(*d));
}

/* A row's day within the range; -1 outside it (cannot happen: the
 * statement's own range). */
static int day_index(const PGresult *res, int row, int n_days)
{
    long day = strtol(text(res, row, "day_index"), NULL, 10);
    return day >= 0 && day < n_days ? (int)day : -1;
}

static void read_order_days(const PGresult *res, struct db_health_days *out)
{
    for (int i = 0; i < PQntuples(res); i++) {
        int day = day_index(res, i, out->n_days);
        const char *channel = text(res, i, "fulfillment");
        for (int c = 0; day >= 0 && c < DB_CHANNEL_COUNT; c++) {
            if (strcmp(channel, DB_CHANNEL_NAMES[c]) != 0)
                continue;
            struct db_health_counts *counts = &out->orders[day][c];
#define DB_HEALTH_READ(name) counts->name += number(res, i, #name);
            DB_HEALTH_COUNTS(DB_HEALTH_READ)
#undef DB_HEALTH_READ
        }
    }
}

static void read_response_days(const PGresult *res, struct db_health_days *out)
{
    for (int i = 0; i < PQntuples(res); i++) {
        int day = day_index(res, i, out->n_days);
        if (day < 0)
            continue;
        out->responses[day].cases += number(res, i, "cases");
        out->responses[day].answered += number(res, i, "answered");
        out->responses[day].answered_within_24h += number(res, i, "answered_within_24h");
    }
}

enum db_status db_report_health_days(struct db *db, int64_t tenant_id, const struct db_report_window *range,
                                     int n_days, struct db_health_days *out)
{
    memset(out, 0, sizeof(*out));
    if (n_days < 1)
        return DB_ERROR;
    out->n_days = n_days;
    out->orders = calloc((size_t)n_days, sizeof(*out->orders));
    out->responses = calloc((size_t)n_days, sizeof(*out->responses));
    if (out->orders == NULL || out->responses == NULL) {
        db_health_days_cleanup(out);
        return DB_ERROR;
    }
    struct window_params p;
    window_params_init(&p, tenant_id, range);
    struct db_call calls[] = {
        { STMT_REPORT_HEALTH_DAYS, 3, p.values, NULL, DB_OK },
        { STMT_REPORT_RESPONSE_DAYS, 3, p.values, NULL, DB_OK },
    };
    enum db_status status = db_exec_many(db, calls, 2);
    if (status == DB_OK) {
        read_order_days(calls[0].result, out);
        read_response_days(calls[1].result, out);
    }
    PQclear(calls[0].result);
    PQclear(calls[1].result);
    if (status != DB_OK)
        db_health_days_cleanup(out);
    return status;
}
