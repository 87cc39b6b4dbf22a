/* The reports' reads (db/reports.c). They read the daily rollups of
 * migration 0009 only, never the raw rows: each is one index range on a
 * (tenant_id, day, ...) primary key, aggregated in SQL. A window is a range
 * of UTC days, both ends inclusive, as "YYYY-MM-DD". */
#ifndef REDRESS_DB_REPORTS_H
#define REDRESS_DB_REPORTS_H

#include <stdint.h>

#include "days.h"
#include "db.h"

struct db_report_window {
    char from[11];
    char to[11];
};

/* ---- summary ---- */

/* Room for any engine name (category, tier, action ...) and status. */
enum { DB_REPORT_NAME_MAX = 48 };

/** The window's cases of one group: a dimension ("category", "tier",
 * "responsibility", "primary_action", or "total" with name ""), one
 * currency. cost_rank: 1 for the group with the most compensation within
 * its dimension and currency (ties: more cases, then name). */
struct db_case_group {
    char dimension[16];
    char name[DB_REPORT_NAME_MAX];
    char currency[4];
    int64_t cases, compensation_cost, full_return_cost, refund_amount;
    int64_t cost_rank;
};

/** The standing outcomes of the window's cases by one dimension
 * ("status", "review_outcome", "order_retained", or "total" with name ""). */
struct db_outcome_group {
    char dimension[16];
    char name[DB_REPORT_NAME_MAX];
    int64_t cases;
};

/** Both arrays owned (free with db_report_summary_cleanup); each ordered by
 * dimension, name (and currency). */
struct db_report_summary {
    struct db_case_group *cases;
    int n_cases;
    struct db_outcome_group *outcomes;
    int n_outcomes;
};

enum db_status db_report_summary(struct db *db, int64_t tenant_id, const struct db_report_window *window,
                                 struct db_report_summary *out);
void db_report_summary_cleanup(struct db_report_summary *s);

/* ---- skus ---- */

/** One SKU in one currency over the window. The SKU's returns (which carry
 * no currency) count on its row with the most units sold (then cases, then
 * currency code); a SKU with returns only has one row, currency "". */
struct db_sku_row {
    char *sku;                       /* owned */
    char *asin;                      /* owned; NULL when unknown */
    char currency[4];                /* "" when the SKU had neither sales nor cases */
    int64_t units_sold, revenue, orders_with_case, cases, units_returned, compensation_cost;
    char top_reason[DB_REPORT_NAME_MAX]; /* "" when none */
    int sku_budget_percent;          /* the SKU's own (sku_costs); -1 when it has none */
};

/** One page (owned; free with db_sku_page_cleanup) and how many rows the
 * whole report has. */
struct db_sku_page {
    struct db_sku_row *rows;
    int n;
    int64_t total;
};

/** The page of `limit` rows from `offset`, sorted by sort ("cost_rate",
 * "return_rate", "cost" or "cases"; descending, ties by SKU then currency).
 * Sales, returns and cases are read as the window's cover (days_cover:
 * whole months, whole weeks, loose days), like the summary's cases. */
enum db_status db_report_skus(struct db *db, int64_t tenant_id, const struct db_report_window *window,
                              const char *sort, int limit, int64_t offset, struct db_sku_page *out);
void db_sku_page_cleanup(struct db_sku_page *page);

/* ---- health ---- */

/* The order counts of health_daily, described once: the struct's members
 * and the columns read by name. */
#define DB_HEALTH_COUNTS(X)                                                                            \
    X(orders) X(cancelled_orders) X(defect_orders) X(negative_feedback_orders) X(a_to_z_orders)      \
    X(chargeback_orders) X(late_shipment_orders) X(seller_cancelled_orders) X(valid_tracking_orders)

#define DB_HEALTH_MEMBER(name) int64_t name;
struct db_health_counts {
    DB_HEALTH_COUNTS(DB_HEALTH_MEMBER)
};
#undef DB_HEALTH_MEMBER

struct db_response_counts {
    int64_t cases, answered, answered_within_24h;
};

enum db_channel { DB_CHANNEL_FBA, DB_CHANNEL_FBM, DB_CHANNEL_COUNT };
extern const char *const DB_CHANNEL_NAMES[DB_CHANNEL_COUNT];

/** Every day of a range (index 0 is its first day), zero where the rollups
 * have no row. Arrays owned; free with db_health_days_cleanup. */
struct db_health_days {
    int n_days;
    struct db_health_counts (*orders)[DB_CHANNEL_COUNT]; /* [day][channel], by purchase day */
    struct db_response_counts *responses;                 /* [day], by the case's day */
};

enum db_status db_report_health_days(struct db *db, int64_t tenant_id, const struct db_report_window *range,
                                     int n_days, struct db_health_days *out);
void db_health_days_cleanup(struct db_health_days *d);

#endif
