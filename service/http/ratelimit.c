/* Per-tenant token buckets behind one mutex (a few arithmetic operations
 * per request: the lock is never held across I/O).
 *
 * The headers follow draft-ietf-httpapi-ratelimit-headers-06 (December
 * 2022, sections 3-5): RateLimit-Limit is the bucket's size, RateLimit-
 * Remaining the whole tokens left, RateLimit-Reset the seconds until the
 * bucket is full again; a 429 also carries Retry-After (RFC 9110, 10.2.3),
 * the seconds until the next token. Later drafts fold these into the
 * RateLimit and RateLimit-Policy fields; clients read the -06 form today. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

struct bucket {
    int64_t tenant_id;
    bool used;
    double tokens;
    double last_s; /* when tokens was last brought up to date */
};

static struct {
    pthread_mutex_t lock;
    double per_second; /* 0: no limit */
    double burst;
    struct bucket slots[RATELIMIT_TABLE_SLOTS];
    int used;
    struct bucket overflow; /* shared by tenants that find the table full */
    double last_sweep_s;    /* sweeps of a full table: at most one a second */
    bool overflow_logged;
} limiter = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Whole seconds, rounded up, of a non-negative duration (no libm). */
static unsigned ceil_seconds(double s)
{
    unsigned whole = (unsigned)s;
    return (double)whole < s ? whole + 1 : whole;
}

/* Under the lock. */
static void refill(struct bucket *b, double now_s)
{
    if (now_s > b->last_s) {
        double tokens = b->tokens + (now_s - b->last_s) * limiter.per_second;
        b->tokens = tokens < limiter.burst ? tokens : limiter.burst;
        b->last_s = now_s;
    }
}

static unsigned slot_of(int64_t tenant_id)
{
    uint64_t h = (uint64_t)tenant_id * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing */
    return (unsigned)(h >> 32) & (RATELIMIT_TABLE_SLOTS - 1);
}

/* Under the lock: the tenant's slot, or the free slot where it belongs. */
static struct bucket *probe(int64_t tenant_id)
{
    unsigned i = slot_of(tenant_id);
    while (limiter.slots[i].used && limiter.slots[i].tenant_id != tenant_id)
        i = (i + 1) & (RATELIMIT_TABLE_SLOTS - 1);
    return &limiter.slots[i];
}

/* Under the lock: drop the buckets that have refilled (a full bucket and no
 * bucket mean the same), re-placing the others. */
static void drop_full_buckets(double now_s)
{
    static struct bucket kept[RATELIMIT_TABLE_SLOTS]; /* under the lock */
    int n = 0;
    for (int i = 0; i < RATELIMIT_TABLE_SLOTS; i++) {
        struct bucket *b = &limiter.slots[i];
        if (!b->used)
            continue;
        refill(b, now_s);
        if (b->tokens < limiter.burst)
            kept[n++] = *b;
    }
    memset(limiter.slots, 0, sizeof(limiter.slots));
    for (int i = 0; i < n; i++)
        *probe(kept[i].tenant_id) = kept[i];
    limiter.used = n;
}

/* Under the lock: the tenant's bucket, made full when new. */
static struct bucket *bucket_for(int64_t tenant_id, double now_s)
{
    struct bucket *b = probe(tenant_id);
    if (b->used)
        return b;
    if (limiter.used >= RATELIMIT_MAX_TENANTS && now_s - limiter.last_sweep_s >= 1.0) {
        drop_full_buckets(now_s);
        limiter.last_sweep_s = now_s;
        b = probe(tenant_id);
    }
    if (limiter.used >= RATELIMIT_MAX_TENANTS) {
        if (!limiter.overflow_logged)
            log_msg(LOG_WARN, "rate limit: more than %d tenants busy at once; the others share one bucket",
                    RATELIMIT_MAX_TENANTS);
        limiter.overflow_logged = true;
        return &limiter.overflow;
    }
    *b = (struct bucket){ .tenant_id = tenant_id, .used = true, .tokens = limiter.burst, .last_s = now_s };
    limiter.used++;
    return b;
}

void ratelimit_configure(unsigned per_second, unsigned burst)
{
    pthread_mutex_lock(&limiter.lock);
    limiter.per_second = per_second;
    limiter.burst = burst > 0 ? burst : 1;
    memset(limiter.slots, 0, sizeof(limiter.slots));
    limiter.used = 0;
    limiter.overflow = (struct bucket){ .used = true, .tokens = limiter.burst, .last_s = 0 };
    limiter.overflow_logged = false;
    limiter.last_sweep_s = -1e9;
    pthread_mutex_unlock(&limiter.lock);
}

bool ratelimit_enabled(void)
{
    pthread_mutex_lock(&limiter.lock);
    bool enabled = limiter.per_second > 0;
    pthread_mutex_unlock(&limiter.lock);
    return enabled;
}

int ratelimit_tenants_tracked(void)
{
    pthread_mutex_lock(&limiter.lock);
    int n = limiter.used;
    pthread_mutex_unlock(&limiter.lock);
    return n;
}

void ratelimit_take_at(int64_t tenant_id, double now_s, struct ratelimit_verdict *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&limiter.lock);
    if (limiter.per_second <= 0) {
        pthread_mutex_unlock(&limiter.lock);
        out->allowed = true;
        return;
    }
    struct bucket *b = bucket_for(tenant_id, now_s);
    refill(b, now_s);
    out->allowed = b->tokens >= 1.0;
    if (out->allowed)
        b->tokens -= 1.0;
    out->limit = (unsigned)limiter.burst;
    out->per_second = (unsigned)limiter.per_second;
    out->remaining = (unsigned)b->tokens; /* tokens >= 0: truncation is floor */
    out->reset_s = ceil_seconds((limiter.burst - b->tokens) / limiter.per_second);
    if (!out->allowed) {
        unsigned wait = ceil_seconds((1.0 - b->tokens) / limiter.per_second);
        out->retry_after_s = wait > 0 ? wait : 1;
    }
    pthread_mutex_unlock(&limiter.lock);
}

bool http_rate_limit(struct http_request *req)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct ratelimit_verdict verdict;
    ratelimit_take_at(req->tenant.id, (double)now.tv_sec + (double)now.tv_nsec / 1e9, &verdict);
    if (verdict.limit == 0) /* no limit set */
        return true;
    char text[24];
    snprintf(text, sizeof(text), "%u", verdict.limit);
    http_add_header(req, "RateLimit-Limit", text);
    snprintf(text, sizeof(text), "%u", verdict.remaining);
    http_add_header(req, "RateLimit-Remaining", text);
    snprintf(text, sizeof(text), "%u", verdict.reset_s);
    http_add_header(req, "RateLimit-Reset", text);
    if (verdict.allowed)
        return true;
    snprintf(text, sizeof(text), "%u", verdict.retry_after_s);
    http_add_header(req, MHD_HTTP_HEADER_RETRY_AFTER, text);
    char detail[160];
    snprintf(detail, sizeof(detail), "tenant '%s' sent more than %u requests at once or over %u a second;"
             " retry after %u s", req->tenant.name, verdict.limit, verdict.per_second,
             verdict.retry_after_s);
    log_msg(LOG_INFO, "request %s: rate limited (tenant %s)", req->request_id, req->tenant.name);
    http_reply_problem(req, PROBLEM_RATE_LIMITED, detail);
    return false;
}
