/* The server's open connections. libmicrohttpd 0.9.75 leaves three gaps
 * that let slow or many clients take the service down, closed here:
 *  - its idle timeout restarts on every byte, so a client trickling a
 *    header line every few seconds holds a connection forever: a reaper
 *    thread closes a connection whose request head is not complete
 *    REDRESS_REQUEST_HEAD_TIMEOUT after its first byte came (the first
 *    byte after the connection opened or the previous response ended, as
 *    the reaper sees it: within REAP_INTERVAL_MS). An idle keep-alive
 *    connection is left to MHD's idle timeout;
 *  - at its connection limit it stops accepting, so further clients hang
 *    in the listen backlog: MHD is given a higher limit and the accept
 *    policy below refuses (MHD closes at once) beyond ours;
 *  - one address may hold every connection: a per-address limit, with
 *    REDRESS_TRUSTED_PROXIES exempt (behind nginx every connection comes
 *    from the proxy, which limits per client itself).
 * When the server drains, connections not inside a request are closed with
 * shutdown(2) from here; MHD sees the end of stream and closes them.
 *
 * Locking: one mutex guards the list and the counts. MHD reports a
 * connection closed (NOTIFY_CLOSED, which unlinks its record under the
 * mutex) before it closes the socket, so the reaper never touches a reused
 * descriptor. */
#include "connections.h"

#include <arpa/inet.h>
#include <linux/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

enum {
    ADDRESS_BUCKETS = 1024,
    MAX_TRUSTED = 64,
    REAP_INTERVAL_MS = 250,   /* head deadline precision */
    DRAIN_INTERVAL_MS = 10,   /* how soon a connection is closed once idle while draining */
    DRAIN_HEAD_ALLOWANCE_MS = 1000, /* for a head already arriving when draining began */
    REFUSAL_REPORT_MS = 1000, /* refusals are summed into one log line a second */
    RECOUNT_INTERVAL_MS = 50, /* at a limit, how often the live connections are recounted */
    LINUX_TCP_ESTABLISHED = 1, /* tcp_info.tcpi_state (include/net/tcp_states.h) */
};

/* A peer address in binary form: the per-address key and the trusted list. */
struct address {
    int family;
    unsigned char bytes[16];
};

struct address_count {
    struct address_count *next;
    struct address address;
    unsigned count;
    struct timespec recounted; /* when live_connections last found it full */
};

struct connection_record {
    struct connection_record *prev, *next;
    struct http_connections *owner;
    MHD_socket fd;
    struct address peer;
    char peer_text[INET6_ADDRSTRLEN];
    bool in_request;
    bool shut;                     /* shutdown(2) issued */
    uint64_t bytes_at_wait;        /* TCP bytes received when the connection opened or the previous response ended */
    bool head_started;             /* bytes since then, first seen at head_seen */
    struct timespec head_seen;
};

struct http_connections {
    struct http_connection_limits limits;
    struct address trusted[MAX_TRUSTED];
    int n_trusted;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct connection_record *head;
    unsigned open;        /* records in the list */
    unsigned admitted;    /* accepted by the policy and not yet closed */
    struct address_count *buckets[ADDRESS_BUCKETS];
    unsigned refused_over_total, refused_over_address;
    struct timespec total_recounted;
    struct timespec refusals_reported;
    struct timespec drain_began;
    atomic_bool draining;
    bool stopping;
    pthread_t reaper;
};

static double ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static bool address_from_sockaddr(const struct sockaddr *sa, struct address *out)
{
    memset(out, 0, sizeof(*out));
    if (sa == NULL)
        return false;
    if (sa->sa_family == AF_INET) {
        out->family = AF_INET;
        memcpy(out->bytes, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) { /* a dual-stack listener's IPv4 peer */
            out->family = AF_INET;
            memcpy(out->bytes, &a6->s6_addr[12], 4);
        } else {
            out->family = AF_INET6;
            memcpy(out->bytes, a6, 16);
        }
        return true;
    }
    return false;
}

static bool address_equal(const struct address *a, const struct address *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

static bool address_trusted(const struct http_connections *conns, const struct address *a)
{
    for (int i = 0; i < conns->n_trusted; i++)
        if (address_equal(&conns->trusted[i], a))
            return true;
    return false;
}

/* The comma-separated list, parsed once (request.c parses it per request for
 * X-Forwarded-For; here it is on the accept path). */
static void parse_trusted(struct http_connections *conns, const char *list)
{
    while (list != NULL && *list != '\0') {
        const char *comma = strchr(list, ',');
        size_t len = comma ? (size_t)(comma - list) : strlen(list);
        while (len > 0 && *list == ' ') { list++; len--; }
        while (len > 0 && list[len - 1] == ' ') len--;
        char item[INET6_ADDRSTRLEN];
        if (len > 0 && len < sizeof(item)) {
            memcpy(item, list, len);
            item[len] = '\0';
            struct address a = { 0 };
            if (inet_pton(AF_INET, item, a.bytes) == 1)
                a.family = AF_INET;
            else if (inet_pton(AF_INET6, item, a.bytes) == 1)
                a.family = AF_INET6;
            if (a.family != 0 && conns->n_trusted < MAX_TRUSTED)
                conns->trusted[conns->n_trusted++] = a;
            else if (a.family != 0)
                log_msg(LOG_WARN, "REDRESS_TRUSTED_PROXIES: more than %d addresses; %s is not exempt from "
                        "the per-address connection limit", MAX_TRUSTED, item);
        }
        list = comma ? comma + 1 : NULL;
    }
}

static struct address_count **address_slot(struct http_connections *conns, const struct address *a)
{
    unsigned hash = 2166136261u;
    for (size_t i = 0; i < sizeof(a->bytes); i++)
        hash = (hash ^ a->bytes[i]) * 16777619u;
    struct address_count **slot = &conns->buckets[hash % ADDRESS_BUCKETS];
    while (*slot != NULL && !address_equal(&(*slot)->address, a))
        slot = &(*slot)->next;
    return slot; /* the entry, or where a new one goes */
}

static uint64_t tcp_bytes_received(MHD_socket fd)
{
    struct tcp_info info;
    socklen_t len = sizeof(info);
    memset(&info, 0, sizeof(info));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0
        || len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(info.tcpi_bytes_received))
        return UINT64_MAX; /* unknown: counts as a started head */
    return info.tcpi_bytes_received;
}

/* A client that has closed its end leaves a connection MHD has not yet
 * reaped (under load that can be many): it still counts against the limits
 * until then. At a limit, the connections are therefore counted again,
 * keeping those the client still holds open: the admissions not yet
 * recorded (being set up by another worker) plus the recorded ones still
 * ESTABLISHED and not being closed. only: one address, or NULL for all.
 * Lock held. */
static unsigned live_connections(struct http_connections *conns, const struct address *only, unsigned admitted)
{
    unsigned listed = 0, live = 0;
    for (struct connection_record *rec = conns->head; rec != NULL; rec = rec->next) {
        if (only != NULL && !address_equal(&rec->peer, only))
            continue;
        listed++;
        struct tcp_info info;
        socklen_t len = sizeof(info);
        memset(&info, 0, sizeof(info));
        bool established = getsockopt(rec->fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0
                           || info.tcpi_state == LINUX_TCP_ESTABLISHED;
        live += established && !rec->shut;
    }
    return live + (admitted > listed ? admitted - listed : 0);
}

/* Is the limit reached by connections still live? Recounts at most every
 * RECOUNT_INTERVAL_MS (a flood of refused connections stays cheap). */
static bool at_limit(struct http_connections *conns, const struct address *only, unsigned admitted, unsigned limit,
                     struct timespec *recounted)
{
    if (admitted < limit)
        return false;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (recounted->tv_sec != 0 && ms_between(recounted, &now) < RECOUNT_INTERVAL_MS)
        return true;
    if (live_connections(conns, only, admitted) >= limit) {
        *recounted = now;
        return true;
    }
    recounted->tv_sec = 0;
    return false;
}

enum MHD_Result http_connections_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    struct http_connections *conns = cls;
    struct address peer;
    bool known = address_from_sockaddr(addr, &peer);
    bool exempt = known && address_trusted(conns, &peer);
    enum MHD_Result verdict = MHD_YES;
    pthread_mutex_lock(&conns->lock);
    if (atomic_load(&conns->draining)) {
        verdict = MHD_NO;
    } else if (at_limit(conns, NULL, conns->admitted, conns->limits.total, &conns->total_recounted)) {
        conns->refused_over_total++;
        verdict = MHD_NO;
    } else if (!exempt) {
        struct address_count **slot = address_slot(conns, &peer);
        if (*slot != NULL
            && at_limit(conns, &peer, (*slot)->count, conns->limits.per_address, &(*slot)->recounted)) {
            conns->refused_over_address++;
            verdict = MHD_NO;
        } else if (*slot == NULL) {
            *slot = calloc(1, sizeof(**slot));
            if (*slot == NULL)
                verdict = MHD_NO;
            else
                (*slot)->address = peer;
        }
        if (verdict == MHD_YES)
            (*slot)->count++;
    }
    if (verdict == MHD_YES)
        conns->admitted++;
    pthread_mutex_unlock(&conns->lock);
    /* An admitted connection is released when MHD reports it closed. MHD
     * only drops one between here and NOTIFY_STARTED when it cannot
     * allocate it; that slot then stays taken. */
    return verdict;
}

static void release_admission(struct http_connections *conns, const struct address *peer)
{
    if (conns->admitted > 0)
        conns->admitted--;
    if (address_trusted(conns, peer))
        return;
    struct address_count **slot = address_slot(conns, peer);
    if (*slot == NULL)
        return;
    if (--(*slot)->count == 0) {
        struct address_count *gone = *slot;
        *slot = gone->next;
        free(gone);
    }
}

void http_connections_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                             enum MHD_ConnectionNotificationCode code)
{
    struct http_connections *conns = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct connection_record *rec = calloc(1, sizeof(*rec));
        const union MHD_ConnectionInfo *fd_info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr_info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (rec == NULL || fd_info == NULL) {
            free(rec);
            *socket_context = NULL; /* unguarded, but MHD's own timeout still applies */
            log_msg(LOG_ERROR, "http: cannot record a new connection (out of memory)");
            return;
        }
        rec->owner = conns;
        rec->fd = fd_info->connect_fd;
        address_from_sockaddr(addr_info ? addr_info->client_addr : NULL, &rec->peer);
        inet_ntop(rec->peer.family ? rec->peer.family : AF_INET, rec->peer.bytes, rec->peer_text,
                  sizeof(rec->peer_text));
        rec->bytes_at_wait = 0; /* any byte since the connection opened starts a head */
        pthread_mutex_lock(&conns->lock);
        rec->next = conns->head;
        if (conns->head != NULL)
            conns->head->prev = rec;
        conns->head = rec;
        conns->open++;
        bool drain_now = atomic_load(&conns->draining);
        pthread_mutex_unlock(&conns->lock);
        *socket_context = rec;
        if (drain_now)
            pthread_cond_signal(&conns->wake);
        return;
    }
    /* MHD_CONNECTION_NOTIFY_CLOSED */
    struct connection_record *rec = *socket_context;
    struct address peer;
    if (rec != NULL) {
        peer = rec->peer;
    } else {
        const union MHD_ConnectionInfo *addr_info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        address_from_sockaddr(addr_info ? addr_info->client_addr : NULL, &peer);
    }
    pthread_mutex_lock(&conns->lock);
    if (rec != NULL) {
        if (rec->prev != NULL)
            rec->prev->next = rec->next;
        else
            conns->head = rec->next;
        if (rec->next != NULL)
            rec->next->prev = rec->prev;
        conns->open--;
    }
    release_admission(conns, &peer);
    pthread_mutex_unlock(&conns->lock);
    free(rec);
    *socket_context = NULL;
}

static struct connection_record *record_of(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info != NULL ? info->socket_context : NULL;
}

void http_connection_request_began(struct MHD_Connection *connection)
{
    struct connection_record *rec = record_of(connection);
    if (rec == NULL)
        return;
    pthread_mutex_lock(&rec->owner->lock);
    rec->in_request = true;
    pthread_mutex_unlock(&rec->owner->lock);
}

void http_connection_request_ended(struct MHD_Connection *connection)
{
    struct connection_record *rec = record_of(connection);
    if (rec == NULL)
        return;
    struct http_connections *conns = rec->owner;
    uint64_t bytes = tcp_bytes_received(rec->fd);
    pthread_mutex_lock(&conns->lock);
    rec->in_request = false;
    rec->head_started = false;
    rec->bytes_at_wait = bytes;
    bool drain_now = atomic_load(&conns->draining);
    pthread_mutex_unlock(&conns->lock);
    if (drain_now) /* close it now rather than at the next sweep */
        pthread_cond_signal(&conns->wake);
}

static void report_refusals(struct http_connections *conns, const struct timespec *now, bool final);

/* One pass over the list (lock held): close what is idle while draining,
 * and what has not completed its request head in time. */
static void sweep(struct http_connections *conns, const struct timespec *now)
{
    bool draining = atomic_load(&conns->draining);
    double deadline_ms = conns->limits.head_timeout_s * 1000.0;
    for (struct connection_record *rec = conns->head; rec != NULL; rec = rec->next) {
        if (rec->in_request || rec->shut)
            continue;
        if (draining) {
            /* A head on its way (bytes since the last response) is let in
             * for a moment, to be answered 503 rather than cut. */
            if (tcp_bytes_received(rec->fd) != rec->bytes_at_wait
                && ms_between(&conns->drain_began, now) < DRAIN_HEAD_ALLOWANCE_MS)
                continue;
            shutdown(rec->fd, SHUT_RDWR);
            rec->shut = true;
            continue;
        }
        /* Nothing received since the last response: idle, not slow. */
        uint64_t received = tcp_bytes_received(rec->fd);
        if (received == rec->bytes_at_wait)
            continue;
        if (!rec->head_started) {
            rec->head_started = true;
            rec->head_seen = *now;
        }
        if (ms_between(&rec->head_seen, now) < deadline_ms)
            continue;
        log_msg(LOG_INFO, "http: closing a connection from %s: no complete request head within %us "
                "(%llu bytes received, %llu by the previous response)", rec->peer_text, conns->limits.head_timeout_s,
                (unsigned long long)received, (unsigned long long)rec->bytes_at_wait);
        shutdown(rec->fd, SHUT_RDWR);
        rec->shut = true;
    }
    report_refusals(conns, now, false);
}

/* Refusals since the last report, in one line at most once a second (and
 * once more when the server stops). Lock held. */
static void report_refusals(struct http_connections *conns, const struct timespec *now, bool final)
{
    if (conns->refused_over_total + conns->refused_over_address > 0
        && (final || ms_between(&conns->refusals_reported, now) >= REFUSAL_REPORT_MS)) {
        log_msg(LOG_WARN, "http: refused %u connections over the limit of %u and %u over the limit of %u per address",
                conns->refused_over_total, conns->limits.total, conns->refused_over_address,
                conns->limits.per_address);
        conns->refused_over_total = conns->refused_over_address = 0;
        conns->refusals_reported = *now;
    }
}

static void *reaper_main(void *arg)
{
    struct http_connections *conns = arg;
    pthread_mutex_lock(&conns->lock);
    while (!conns->stopping) {
        struct timespec now, until;
        clock_gettime(CLOCK_MONOTONIC, &now);
        sweep(conns, &now);
        long step_ms = atomic_load(&conns->draining) ? DRAIN_INTERVAL_MS : REAP_INTERVAL_MS;
        until = now;
        until.tv_nsec += step_ms * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&conns->wake, &conns->lock, &until);
    }
    pthread_mutex_unlock(&conns->lock);
    return NULL;
}

struct http_connections *http_connections_new(const struct http_connection_limits *limits)
{
    struct http_connections *conns = calloc(1, sizeof(*conns));
    if (conns == NULL)
        return NULL;
    conns->limits = *limits;
    conns->limits.trusted = NULL; /* parsed below; the caller's string is not kept */
    parse_trusted(conns, limits->trusted);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&conns->lock, NULL);
    pthread_cond_init(&conns->wake, &attr);
    pthread_condattr_destroy(&attr);
    clock_gettime(CLOCK_MONOTONIC, &conns->refusals_reported);
    if (pthread_create(&conns->reaper, NULL, reaper_main, conns) != 0) {
        log_msg(LOG_ERROR, "http: cannot start the connection reaper thread");
        pthread_cond_destroy(&conns->wake);
        pthread_mutex_destroy(&conns->lock);
        free(conns);
        return NULL;
    }
    return conns;
}

void http_connections_free(struct http_connections *conns)
{
    if (conns == NULL)
        return;
    pthread_mutex_lock(&conns->lock);
    conns->stopping = true;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    report_refusals(conns, &now, true);
    pthread_mutex_unlock(&conns->lock);
    pthread_cond_signal(&conns->wake);
    pthread_join(conns->reaper, NULL);
    for (size_t i = 0; i < ADDRESS_BUCKETS; i++) {
        while (conns->buckets[i] != NULL) {
            struct address_count *gone = conns->buckets[i];
            conns->buckets[i] = gone->next;
            free(gone);
        }
    }
    /* Records were freed as MHD closed each connection (it has stopped). */
    pthread_cond_destroy(&conns->wake);
    pthread_mutex_destroy(&conns->lock);
    free(conns);
}

void http_connections_drain(struct http_connections *conns)
{
    pthread_mutex_lock(&conns->lock);
    clock_gettime(CLOCK_MONOTONIC, &conns->drain_began);
    pthread_mutex_unlock(&conns->lock);
    atomic_store(&conns->draining, true);
    pthread_cond_signal(&conns->wake);
}

bool http_connections_draining(const struct http_connections *conns)
{
    return conns != NULL && atomic_load(&conns->draining);
}

unsigned http_connections_open(struct http_connections *conns)
{
    pthread_mutex_lock(&conns->lock);
    unsigned open = conns->open;
    pthread_mutex_unlock(&conns->lock);
    return open;
}
