/* The delivery worker: sends the outbox (connector_deliveries) to Zendesk.
 *
 * REDRESS_DELIVERY_WORKERS threads per server, each with its own database
 * connection. Each round one claims the soonest due row with a lease
 * (committed), then calls Zendesk with no transaction open, then records
 * the result, fenced by the claim's attempt count; threads and several
 * Redress processes share the table safely (SKIP LOCKED, leases). A
 * worker wakes when a
 * case committed a row (outbox_wake), when the soonest pending row falls
 * due, and at least every POLL_MS (rows of other processes, rows left from
 * before a restart).
 *
 * Exactly once: the note names its delivery ("Redress delivery <id>"). An
 * attempt whose outcome is unknown (no answer, a 5xx, a worker stopped
 * mid-call) marks the row unsure; every later attempt first lists the
 * ticket's newest comments and records the row delivered, without sending,
 * when the note is there; a listing it cannot read sends nothing.
 *
 * Results: 2xx delivered; 429 waits for Retry-After; no answer and 5xx
 * back off exponentially with jitter (a 5xx's Retry-After honoured), and
 * never less than the call's own timeout: a note still landing when we
 * stopped waiting has had time to show in the listing before we look.
 * No answer also pushes back the tenant's other rows by as much: one
 * tenant's unreachable Zendesk does not hold the workers from the others'
 * notes. 401/403 wait the longest backoff
 * (the seller may be fixing the token); other 4xx (404, 422: the ticket is
 * gone or closed) fail at once; a disabled connector or credentials that
 * are missing or do not open send nothing and back off. Whatever is still
 * pending REDRESS_DELIVERY_GIVE_UP_S after its case fails (saying so
 * when the note may be on the ticket after all). last_error and
 * the logs name the tenant, delivery and ticket, never a credential. */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "connectors.h"
#include "crypto.h"
#include "db_outbox.h"
#include "log.h"

enum {
    POLL_MS = 1000,            /* the longest sleep: rows of other processes get seen */
    IDLE_DB_RETRY_MS = 1000,   /* after the database did not answer */
    RESPONSE_MAX = 4 << 20,    /* bytes of a response read (a page of comments) */
    ERROR_MAX = 300,           /* bytes of last_error */
    TICKET_ID_MAX_DIGITS = 19, /* Zendesk ids are int64 */
    WORKERS_MAX = 8,           /* REDRESS_DELIVERY_WORKERS' upper bound */
    COMMENTS_PAGE = 50,        /* the newest comments looked at for an earlier attempt's note */
};

struct outbox {
    pthread_t threads[WORKERS_MAX];
    unsigned n_threads;        /* started */
    atomic_bool stopping;
    char api_base[sizeof(((struct config *)0)->zendesk_api_base)];
    unsigned connect_timeout_ms, timeout_ms, backoff_ms, backoff_max_s, give_up_s;
    uint8_t key[sizeof(((struct config *)0)->secret_key.bytes)];
};

/* Every worker sleeps on one condition; outbox_wake bumps the generation. */
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;
static unsigned long wake_generation;

void outbox_wake(void)
{
    pthread_mutex_lock(&wake_lock);
    wake_generation++;
    pthread_cond_broadcast(&wake_cond);
    pthread_mutex_unlock(&wake_lock);
}

static unsigned long wake_seen(void)
{
    pthread_mutex_lock(&wake_lock);
    unsigned long seen = wake_generation;
    pthread_mutex_unlock(&wake_lock);
    return seen;
}

/* Sleep up to ms, or until stopping or woken since the generation `seen`
 * (taken before looking at the outbox: a wake in between is not lost). */
static void worker_sleep(struct outbox *o, int64_t ms, unsigned long seen)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&wake_lock);
    while (!atomic_load(&o->stopping) && wake_generation == seen
           && pthread_cond_timedwait(&wake_cond, &wake_lock, &until) == 0)
        ;
    pthread_mutex_unlock(&wake_lock);
}

/* ---- the base URL ---- */

bool outbox_base_allowed(const char *base)
{
    /* userinfo ("http://localhost:80@evil.example/"): curl would call the
     * host after the '@' */
    const char *scheme_end = strstr(base, "://");
    if (scheme_end != NULL) {
        const char *authority = scheme_end + 3;
        size_t n = strcspn(authority, "/?#");
        if (memchr(authority, '@', n) != NULL)
            return false;
    }
    if (strncmp(base, "https://", 8) == 0)
        return base[8] != '\0';
    if (strncmp(base, "http://", 7) != 0)
        return false;
    const char *host = base + 7;
    size_t n = strcspn(host, "/:?#");
    if (host[0] == '[') /* [::1]:port */
        return strncmp(host, "[::1]", 5) == 0 && (host[5] == '\0' || strchr("/:", host[5]) != NULL);
    if (n == 9 && strncmp(host, "localhost", 9) == 0)
        return true;
    /* 127.0.0.0/8, dotted quad */
    unsigned a, b, c, d;
    char tail;
    char quad[16];
    if (n >= sizeof(quad))
        return false;
    memcpy(quad, host, n);
    quad[n] = '\0';
    return sscanf(quad, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 && c < 256 && d < 256;
}

/* base with "{subdomain}" replaced, then path; false when it does not fit. */
static bool url_for(const char *base, const char *subdomain, const char *path, char *out, size_t size)
{
    const char *at = strstr(base, "{subdomain}");
    int n = at == NULL ? snprintf(out, size, "%s%s", base, path)
                       : snprintf(out, size, "%.*s%s%s%s", (int)(at - base), base, subdomain,
                                  at + strlen("{subdomain}"), path);
    return n > 0 && (size_t)n < size;
}

static bool ticket_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > TICKET_ID_MAX_DIGITS || id[0] == '0')
        return false;
    return strspn(id, "0123456789") == n;
}

/* ---- one call ---- */

struct call {
    long status;         /* 0: no answer */
    CURLcode error;
    int64_t retry_after_s; /* Retry-After, in seconds from now; -1: none */
    struct buf body;
};

static size_t collect(char *data, size_t size, size_t n, void *cls)
{
    struct buf *b = cls;
    size_t len = size * n;
    if (!buf_append(b, data, len))
        return 0; /* beyond RESPONSE_MAX, or out of memory: the transfer fails */
    return len;
}

/* Stopping cuts a call short. */
static int keep_going(void *cls, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return atomic_load(&((struct outbox *)cls)->stopping) ? 1 : 0;
}

/* One request to Zendesk, with API token auth ("{email}/token:{token}").
 * body NULL: a GET. call->body gets the response (caller cleans it). */
static void zendesk_call(struct outbox *o, const char *method, const char *url, const char *api_user,
                         const char *token, const char *body, struct call *call)
{
    call->status = 0;
    call->retry_after_s = -1;
    call->error = CURLE_OK;
    buf_init(&call->body, RESPONSE_MAX);
    char user[300];
    snprintf(user, sizeof(user), "%s/token", api_user);
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Accept: application/json");
    if (body != NULL)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    if (curl == NULL || headers == NULL) {
        call->error = CURLE_OUT_OF_MEMORY;
        goto out;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, user);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, token);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "Redress delivery worker");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &call->body);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, keep_going);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, o);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    call->error = curl_easy_perform(curl);
    if (call->error == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &call->status);
        curl_off_t retry_after = 0;
        /* seconds or an HTTP-date, as curl reads it; 0 when absent */
        if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
            call->retry_after_s = (int64_t)retry_after;
    }
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    /* the password buffer is the caller's; curl's copies went with the handle */
}

/* ---- what an attempt comes to ---- */

struct attempt {
    struct db_outbox_result result;
    char error[ERROR_MAX];
    bool no_answer;        /* Zendesk did not answer (not because Redress stopped) */
    bool earlier_unknown;  /* an earlier attempt may have landed and this one could not tell */
};

static double backoff_s(const struct outbox *o, int attempts)
{
    double ms = o->backoff_ms, cap = o->backoff_max_s * 1000.0;
    for (int i = 1; i < attempts && ms < cap; i++)
        ms *= 2;
    if (ms > cap)
        ms = cap;
    uint32_t r = 0;
    crypto_random_bytes(&r, sizeof(r)); /* on failure r stays 0: no jitter, still a delay */
    return ms * (0.5 + 0.5 * (r / 4294967296.0)) / 1000.0; /* jitter: half to all of it */
}

static void set_pending(struct attempt *a, double retry_in_s, int status, bool unsure, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void set_pending(struct attempt *a, double retry_in_s, int status, bool unsure, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(a->error, sizeof(a->error), fmt, args);
    va_end(args);
    a->result = (struct db_outbox_result){ "pending", status, a->error, unsure, retry_in_s };
}

static void set_failed(struct attempt *a, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_failed(struct attempt *a, int status, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(a->error, sizeof(a->error), fmt, args);
    va_end(args);
    a->result = (struct db_outbox_result){ "failed", status, a->error, false, 0 };
}

static void set_delivered(struct attempt *a, int status)
{
    a->result = (struct db_outbox_result){ "delivered", status, NULL, false, 0 };
}

/* The delay after an attempt whose outcome is unknown: never less than
 * the call's own timeout, so that a note still landing when we stopped
 * waiting shows in the listing before we look (the floor scales with the
 * tunable rather than being a fixed 30 s: a note lands within a call's
 * time, and tests with small timeouts stay fast). */
static double unsure_delay_s(const struct outbox *o, double delay_s)
{
    double floor_s = o->timeout_ms / 1000.0;
    return delay_s > floor_s ? delay_s : floor_s;
}

/* A call that did not succeed, as the attempt's result. */
static void judge_failure(struct outbox *o, const struct db_outbox_claim *c, const char *what,
                          const struct call *call, struct attempt *a)
{
    long s = call->status;
    if (s == 0) {
        bool stopped = atomic_load(&o->stopping);
        set_pending(a, unsure_delay_s(o, backoff_s(o, c->attempts)), 0, true, "%s: no answer from Zendesk (%s)",
                    what, stopped ? "Redress stopped during the call" : curl_easy_strerror(call->error));
        a->no_answer = !stopped;
    } else if (s == 429)
        set_pending(a, call->retry_after_s >= 0 ? (double)call->retry_after_s : backoff_s(o, c->attempts), 429,
                    false, "%s: Zendesk is rate limiting (429), retrying after %lld s", what,
                    (long long)(call->retry_after_s >= 0 ? call->retry_after_s : 0));
    else if (s >= 500 && call->retry_after_s >= 0)
        set_pending(a, unsure_delay_s(o, (double)call->retry_after_s), (int)s, true,
                    "%s: Zendesk answered %ld, retrying after %lld s (Retry-After)", what, s,
                    (long long)call->retry_after_s);
    else if (s >= 500)
        set_pending(a, unsure_delay_s(o, backoff_s(o, c->attempts)), (int)s, true, "%s: Zendesk answered %ld",
                    what, s);
    else if (s == 401 || s == 403)
        set_pending(a, o->backoff_max_s, (int)s, false,
                    "%s: Zendesk refused the credentials (%ld): check the connector's api_user and api_token", what,
                    s);
    else if (s >= 400)
        set_failed(a, (int)s, "%s: Zendesk answered %ld%s", what, s,
                   s == 404 || s == 422 ? " (the ticket is gone, closed, or cannot take the note)" : "");
    else /* 1xx, 3xx: redirects are not followed; a base or proxy to fix */
        set_pending(a, backoff_s(o, c->attempts), (int)s, false,
                    "%s: Zendesk answered %ld (redirects are not followed: check REDRESS_ZENDESK_API_BASE)", what, s);
}

enum listed { LISTED_FOUND, LISTED_ABSENT, LISTED_UNREADABLE };

/* Whether a comments listing (JSON) has a comment naming the delivery;
 * UNREADABLE when it is not JSON with a "comments" array (then nobody
 * knows, and nothing is sent). */
static enum listed comments_name(const struct buf *body, const char *delivery_id)
{
    char marker[80];
    snprintf(marker, sizeof(marker), "Redress delivery %s", delivery_id);
    json_t *doc = json_loadb(body->data != NULL ? body->data : "", body->len, 0, NULL);
    const json_t *comments = json_object_get(doc, "comments");
    enum listed listed = json_is_array(comments) ? LISTED_ABSENT : LISTED_UNREADABLE;
    size_t i;
    const json_t *comment;
    json_array_foreach(comments, i, comment) {
        const char *text = json_string_value(json_object_get(comment, "body"));
        if (text != NULL && strstr(text, marker) != NULL)
            listed = LISTED_FOUND;
    }
    json_decref(doc);
    return listed;
}

/* The connector's settings and token; false with the attempt's result set
 * when they are not there. *token malloc'd (caller wipes and frees). */
static bool credentials(struct outbox *o, struct db *db, const struct db_outbox_claim *c, char *subdomain,
                        size_t subdomain_size, char *api_user, size_t api_user_size, char **token,
                        struct attempt *a)
{
    double retry = backoff_s(o, c->attempts);
    enum db_status st;
    json_t *settings = connectors_settings(db, c->tenant_id, c->connector, &st);
    const char *sub = json_string_value(json_object_get(settings, "subdomain"));
    const char *user = json_string_value(json_object_get(settings, "api_user"));
    bool ok = false;
    if (settings == NULL)
        set_pending(a, retry, 0, false, "not sent: the connector settings could not be read (%s)", db_status_name(st));
    else if (!json_is_true(json_object_get(settings, "enabled")))
        set_pending(a, retry, 0, false, "not sent: the zendesk connector is disabled (PUT /v1/connectors/zendesk)");
    else if (sub == NULL || user == NULL)
        set_pending(a, retry, 0, false, "not sent: the connector's subdomain or api_user is not set");
    else if (!connectors_subdomain_valid(sub)) /* stored before the check, or altered: never into a URL */
        set_failed(a, 0, "not sent: the connector's stored subdomain is not a Zendesk subdomain (set it again with"
                   " PUT /v1/connectors/zendesk)");
    else if ((st = connectors_secret_open(db, o->key, c->tenant_id, c->connector, "api_token", token)) == DB_NOT_FOUND)
        set_pending(a, retry, 0, false, "not sent: the connector's api_token is not set");
    else if (st != DB_OK)
        set_pending(a, retry, 0, false,
                    "not sent: the connector's api_token could not be opened (sealed under another"
                    " REDRESS_SECRET_KEY? set it again)");
    else
        ok = true;
    if (ok) {
        snprintf(subdomain, subdomain_size, "%s", sub);
        snprintf(api_user, api_user_size, "%s", user);
    }
    json_decref(settings);
    return ok;
}

static void wipe_free(char *secret)
{
    if (secret != NULL)
        OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
}

/* One claimed row: look first when an earlier attempt may have landed,
 * send, and judge. */
static void attempt_delivery(struct outbox *o, struct db *db, const struct db_outbox_claim *c, struct attempt *a)
{
    char subdomain[64], api_user[256], path[128], url[512];
    char *token = NULL;
    *a = (struct attempt){ .earlier_unknown = c->check_first };
    if (strcmp(c->connector, "zendesk") != 0) {
        set_failed(a, 0, "no worker sends to the %s connector", c->connector);
        return;
    }
    if (!ticket_id_valid(c->ticket_id)) {
        set_failed(a, 0, "not sent: the ticket id is not a Zendesk ticket id");
        return;
    }
    if (!credentials(o, db, c, subdomain, sizeof(subdomain), api_user, sizeof(api_user), &token, a))
        return;
    struct call call = { 0 };
    enum listed listed = LISTED_ABSENT;
    if (c->check_first) {
        /* The newest page: a note sent by an earlier attempt of this row is
         * among the ticket's last comments even on a busy ticket. */
        snprintf(path, sizeof(path), "/api/v2/tickets/%s/comments.json?sort_order=desc&per_page=%d", c->ticket_id,
                 COMMENTS_PAGE);
        if (!url_for(o->api_base, subdomain, path, url, sizeof(url))) {
            set_failed(a, 0, "not sent: the Zendesk URL is too long");
            goto out;
        }
        zendesk_call(o, "GET", url, api_user, token, NULL, &call);
        if (call.status < 200 || call.status > 299) {
            judge_failure(o, c, "checking the ticket's comments", &call, a);
            a->result.unsure = true; /* the earlier attempt is still unaccounted for */
            goto out;
        }
        listed = comments_name(&call.body, c->delivery_id);
        buf_cleanup(&call.body);
    }
    if (listed == LISTED_UNREADABLE) {
        set_pending(a, unsure_delay_s(o, backoff_s(o, c->attempts)), (int)call.status, true,
                    "not sent: the ticket's comments listing could not be read (not JSON with a comments array), so"
                    " whether an earlier attempt landed is unknown");
        goto out;
    }
    if (listed == LISTED_FOUND) {
        a->earlier_unknown = false;
        log_msg(LOG_INFO, "tenant %lld: delivery %s to zendesk ticket %s had landed (found on the ticket, not sent"
                " again)", (long long)c->tenant_id, c->delivery_id, c->ticket_id);
        set_delivered(a, (int)call.status);
        goto out;
    }
    a->earlier_unknown = false; /* listed and absent, or never sent */
    snprintf(path, sizeof(path), "/api/v2/tickets/%s.json", c->ticket_id);
    if (!url_for(o->api_base, subdomain, path, url, sizeof(url))) {
        set_failed(a, 0, "not sent: the Zendesk URL is too long");
        goto out;
    }
    zendesk_call(o, "PUT", url, api_user, token, c->payload, &call);
    if (call.status >= 200 && call.status <= 299)
        set_delivered(a, (int)call.status);
    else
        judge_failure(o, c, "sending the note", &call, a);
out:
    buf_cleanup(&call.body);
    wipe_free(token);
}

static void deliver(struct outbox *o, struct db *db, const struct db_outbox_claim *c)
{
    struct attempt a;
    attempt_delivery(o, db, c, &a);
    /* Whatever would still be owed past the bound is given up. */
    if (strcmp(a.result.state, "pending") == 0 && c->age_s + a.result.retry_in_s > o->give_up_s) {
        char reason[ERROR_MAX];
        snprintf(reason, sizeof(reason), "%s", a.error);
        /* "failed" must not read as "not on the ticket" when it may be */
        int n = a.result.unsure || a.earlier_unknown
                    ? snprintf(a.error, sizeof(a.error),
                               "gave up after %d attempts; the %s attempt's outcome is unknown: the note may be on"
                               " the ticket. Last: ",
                               c->attempts, a.result.unsure ? "last" : "an earlier")
                    : snprintf(a.error, sizeof(a.error), "gave up after %d attempts: ", c->attempts);
        snprintf(a.error + n, sizeof(a.error) - (size_t)n, "%.*s", (int)(sizeof(a.error) - (size_t)n - 1), reason);
        a.result.state = "failed";
        a.result.last_error = a.error;
    }
    /* No answer: the tenant's other notes to this helpdesk wait as long,
     * before this row's lease ends (no other worker takes one meanwhile). */
    if (a.no_answer && strcmp(a.result.state, "pending") == 0) {
        enum db_status pushed = db_outbox_push_back(db, c->tenant_id, c->connector, c->delivery_id,
                                                    a.result.retry_in_s);
        if (pushed != DB_OK)
            log_msg(LOG_WARN, "tenant %lld: delivery %s: the tenant's other deliveries could not be pushed back (%s)",
                    (long long)c->tenant_id, c->delivery_id, db_status_name(pushed));
    }
    enum db_status st = db_outbox_record(db, c->tenant_id, c->delivery_id, c->attempts, &a.result);
    enum log_level level = strcmp(a.result.state, "delivered") == 0 ? LOG_INFO
                           : strcmp(a.result.state, "failed") == 0  ? LOG_ERROR
                                                                     : LOG_WARN;
    log_msg(level, "tenant %lld: delivery %s to zendesk ticket %s, attempt %d: %s%s%s", (long long)c->tenant_id,
            c->delivery_id, c->ticket_id, c->attempts, a.result.state, a.result.last_error != NULL ? ": " : "",
            a.result.last_error != NULL ? a.result.last_error : "");
    if (st == DB_NOT_FOUND) /* our lease ran out: a newer attempt's result stands */
        log_msg(LOG_WARN, "tenant %lld: delivery %s, attempt %d: not recorded, the row was settled or claimed again"
                " meanwhile (the lease ran out)", (long long)c->tenant_id, c->delivery_id, c->attempts);
    else if (st != DB_OK) /* the lease runs out and the row is claimed again, unsure */
        log_msg(LOG_ERROR, "tenant %lld: delivery %s: its result could not be recorded (%s)",
                (long long)c->tenant_id, c->delivery_id, db_status_name(st));
}

/* Long enough for a GET and a PUT at their longest, and a margin. */
static unsigned lease_s(const struct outbox *o)
{
    return 2 * (o->connect_timeout_ms + o->timeout_ms) / 1000 + 30;
}

static void *worker_run(void *cls)
{
    struct outbox *o = cls;
    while (!atomic_load(&o->stopping)) {
        unsigned long seen = wake_seen();
        enum db_status why;
        struct db *db = db_thread_connection(&why);
        if (db == NULL) {
            worker_sleep(o, IDLE_DB_RETRY_MS, seen);
            continue;
        }
        struct db_outbox_claim claim;
        enum db_status st = db_outbox_claim(db, lease_s(o), &claim);
        if (st == DB_OK) {
            deliver(o, db, &claim);
            db_outbox_claim_cleanup(&claim);
            continue;
        }
        int64_t wait_ms = POLL_MS;
        if (st == DB_NOT_FOUND && db_outbox_next_due(db, &wait_ms) == DB_NOT_FOUND)
            wait_ms = POLL_MS;
        if (st != DB_NOT_FOUND)
            log_msg(LOG_WARN, "delivery worker: the outbox could not be read (%s)", db_status_name(st));
        worker_sleep(o, wait_ms < 5 ? 5 : wait_ms > POLL_MS ? POLL_MS : wait_ms, seen);
    }
    db_thread_close();
    return NULL;
}

struct outbox *outbox_start(const struct config *cfg, char *err, size_t err_size)
{
    err[0] = '\0';
    if (!outbox_base_allowed(cfg->zendesk_api_base)) {
        snprintf(err, err_size,
                 "REDRESS_ZENDESK_API_BASE must be https (http only to a loopback address), without userinfo");
        return NULL;
    }
    if (!cfg->secret_key.set) {
        log_msg(LOG_WARN, "delivery worker not started: without REDRESS_SECRET_KEY no Zendesk token can be opened;"
                " notes wait in the outbox");
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, err_size, "libcurl could not be initialised");
        return NULL;
    }
    struct outbox *o = calloc(1, sizeof(*o));
    if (o == NULL) {
        curl_global_cleanup();
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    snprintf(o->api_base, sizeof(o->api_base), "%s", cfg->zendesk_api_base);
    o->connect_timeout_ms = cfg->delivery_connect_timeout_ms;
    o->timeout_ms = cfg->delivery_timeout_ms;
    o->backoff_ms = cfg->delivery_backoff_ms;
    o->backoff_max_s = cfg->delivery_backoff_max_s;
    o->give_up_s = cfg->delivery_give_up_s;
    unsigned workers = cfg->delivery_workers < 1 ? 1 : cfg->delivery_workers > WORKERS_MAX ? WORKERS_MAX
                                                                                          : cfg->delivery_workers;
    _Static_assert(sizeof(o->key) == sizeof(cfg->secret_key.bytes), "the key as configured");
    memcpy(o->key, cfg->secret_key.bytes, sizeof(o->key));
    atomic_init(&o->stopping, false);
    while (o->n_threads < workers && pthread_create(&o->threads[o->n_threads], NULL, worker_run, o) == 0)
        o->n_threads++;
    if (o->n_threads < workers) {
        outbox_stop(o); /* the ones started */
        snprintf(err, err_size, "the delivery worker's threads did not start");
        return NULL;
    }
    return o;
}

void outbox_stop(struct outbox *o)
{
    if (o == NULL)
        return;
    atomic_store(&o->stopping, true);
    outbox_wake();
    for (unsigned i = 0; i < o->n_threads; i++)
        pthread_join(o->threads[i], NULL);
    OPENSSL_cleanse(o->key, sizeof(o->key));
    free(o);
    curl_global_cleanup();
}
