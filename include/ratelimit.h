/* Per-tenant request rate limit: one token bucket per tenant, shared by
 * every worker thread of this process (REDRESS_RATE_LIMIT_PER_SECOND,
 * REDRESS_RATE_LIMIT_BURST). One tenant's runaway integration empties its
 * own bucket only; the others keep theirs. */
#ifndef REDRESS_RATELIMIT_H
#define REDRESS_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"

/* Buckets kept at most (memory is bounded: the table is this size).
 * Buckets that have refilled are dropped when the table fills; past that,
 * new tenants share one overflow bucket. */
enum { RATELIMIT_MAX_TENANTS = 768, RATELIMIT_TABLE_SLOTS = 1024 };
_Static_assert((RATELIMIT_TABLE_SLOTS & (RATELIMIT_TABLE_SLOTS - 1)) == 0, "a power of two");
_Static_assert(RATELIMIT_MAX_TENANTS < RATELIMIT_TABLE_SLOTS, "open addressing needs a free slot");

/** What one request was told. */
struct ratelimit_verdict {
    bool allowed;
    unsigned limit;          /* the bucket's size (the burst); 0: no limit set */
    unsigned per_second;     /* the refill rate */
    unsigned remaining;      /* whole tokens left after this request */
    unsigned reset_s;        /* seconds until the bucket is full again */
    unsigned retry_after_s;  /* when refused: seconds until a token is back (>= 1) */
};

/** Set the rate (tokens per second; 0 turns the limit off) and the burst
 * (the bucket's size), and forget every bucket. Safe at any time. */
void ratelimit_configure(unsigned per_second, unsigned burst);

/** Whether a limit is set. */
bool ratelimit_enabled(void);

/** Take a token from the tenant's bucket at time now_s (seconds on any
 * monotonic clock). Thread-safe. With no limit set, always allowed. */
void ratelimit_take_at(int64_t tenant_id, double now_s, struct ratelimit_verdict *out);

/** How many buckets are kept now (for tests of the bound). */
int ratelimit_tenants_tracked(void);

/** For an authenticated request: take a token for req->tenant and queue
 * the RateLimit-* headers. When the bucket is empty, answer 429 with
 * Retry-After and return false. */
bool http_rate_limit(struct http_request *req);

#endif
