/* Request, latency and decision counters. Each is an atomic; a scrape
 * reads each once, so totals can trail by requests in flight but never
 * lose or double-count one. */
#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>

#include "db.h"
#include "engine.h"
#include "routes.h"

/* The statuses the API answers with; everything else (and a request that
 * ended before any response, status 0) is counted once, as "other". */
static const unsigned STATUSES[] = { 200, 201, 400, 401, 404, 405, 409, 413, 415, 422, 429, 500, 503 };
enum {
    MAX_ROUTES = HTTP_ROUTE_COUNT, N_BUCKETS = 11,
    N_KNOWN = sizeof(STATUSES) / sizeof(STATUSES[0]),
    N_STATUSES = N_KNOWN + 1, /* the last slot is "other" */
};
static const double BUCKETS[N_BUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };

/* [route + 1]: slot 0 is "no route" */
static atomic_ulong requests[MAX_ROUTES + 1][N_STATUSES];
static atomic_ulong latency_buckets[MAX_ROUTES + 1][N_BUCKETS];
static atomic_ulong latency_count[MAX_ROUTES + 1];
static atomic_ulong latency_sum_us[MAX_ROUTES + 1];
static atomic_ulong decisions[TIER_COUNT][CAT_COUNT];

static int status_slot(unsigned status)
{
    for (int i = 0; i < N_KNOWN; i++)
        if (STATUSES[i] == status)
            return i;
    return N_KNOWN;
}

void metrics_request(int route, unsigned status, double seconds)
{
    /* Every route has its slot by construction; an index beyond them is
     * a caller's bug, counted as unmatched rather than written past. */
    int r = route >= 0 && route < MAX_ROUTES ? route + 1 : 0;
    atomic_fetch_add(&requests[r][status_slot(status)], 1);
    for (int b = 0; b < N_BUCKETS; b++)
        if (seconds <= BUCKETS[b])
            atomic_fetch_add(&latency_buckets[r][b], 1); /* cumulative, as Prometheus expects */
    atomic_fetch_add(&latency_count[r], 1);
    atomic_fetch_add(&latency_sum_us[r], (unsigned long)(seconds * 1e6));
}

void metrics_decision(int tier, int category)
{
    if (tier >= 0 && tier < TIER_COUNT && category >= 0 && category < CAT_COUNT)
        atomic_fetch_add(&decisions[tier][category], 1);
}

void metrics_render(struct buf *out, const char *const *route_names, int n_routes)
{
    if (n_routes > MAX_ROUTES)
        n_routes = MAX_ROUTES;
    buf_append_str(out, "# HELP redress_http_requests_total HTTP requests by route and status.\n"
                        "# TYPE redress_http_requests_total counter\n");
    for (int r = 0; r <= n_routes; r++) {
        const char *name = r == 0 ? "unmatched" : route_names[r - 1];
        for (int s = 0; s < N_STATUSES; s++) {
            unsigned long n = atomic_load(&requests[r][s]);
            if (n == 0)
                continue;
            char status[8] = "other";
            if (s < N_KNOWN)
                snprintf(status, sizeof(status), "%u", STATUSES[s]);
            buf_printf(out, "redress_http_requests_total{route=\"%s\",status=\"%s\"} %lu\n", name, status, n);
        }
    }
    buf_append_str(out, "# HELP redress_http_request_duration_seconds Time from first header to response.\n"
                        "# TYPE redress_http_request_duration_seconds histogram\n");
    for (int r = 0; r <= n_routes; r++) {
        unsigned long count = atomic_load(&latency_count[r]);
        if (count == 0)
            continue;
        const char *name = r == 0 ? "unmatched" : route_names[r - 1];
        for (int b = 0; b < N_BUCKETS; b++)
            buf_printf(out, "redress_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n", name,
                       BUCKETS[b], atomic_load(&latency_buckets[r][b]));
        buf_printf(out, "redress_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n", name, count);
        buf_printf(out, "redress_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", name,
                   (double)atomic_load(&latency_sum_us[r]) / 1e6);
        buf_printf(out, "redress_http_request_duration_seconds_count{route=\"%s\"} %lu\n", name, count);
    }
    buf_append_str(out, "# HELP redress_decisions_total Recorded decisions by tier and category.\n"
                        "# TYPE redress_decisions_total counter\n");
    for (int t = 0; t < TIER_COUNT; t++)
        for (int c = 0; c < CAT_COUNT; c++) {
            unsigned long n = atomic_load(&decisions[t][c]);
            if (n > 0)
                buf_printf(out, "redress_decisions_total{tier=\"%s\",category=\"%s\"} %lu\n", ENG_TIER_NAMES[t],
                           ENG_CATEGORY_NAMES[c], n);
        }
    struct db_stats stats;
    db_stats_read(&stats);
    buf_printf(out, "# HELP redress_db_errors_total Database statements that failed, by kind.\n"
                    "# TYPE redress_db_errors_total counter\n"
                    "redress_db_errors_total{kind=\"unavailable\"} %lu\n"
                    "redress_db_errors_total{kind=\"serialization\"} %lu\n"
                    "redress_db_errors_total{kind=\"other\"} %lu\n"
                    "# HELP redress_db_connects_total Database connections made, first ones and reconnects.\n"
                    "# TYPE redress_db_connects_total counter\n"
                    "redress_db_connects_total %lu\n"
                    "# HELP redress_db_reconnects_total Connections made again after one was lost.\n"
                    "# TYPE redress_db_reconnects_total counter\n"
                    "redress_db_reconnects_total %lu\n",
               stats.unavailable, stats.serialization, stats.other, stats.connects, stats.reconnects);
}
