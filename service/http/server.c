/* libmicrohttpd glue. A request moves through:
 *   first call:  route (404/405), API key (401), media type and declared
 *                size (415/413);
 *   body calls:  append to a capped buffer (413 when it overflows);
 *   last call:   parse JSON (400), database connection (503), handler.
 * An access-log line is written when MHD reports the request complete.
 * Before the first call: the query's parameter count (inspect_uri); on the
 * first call: shutdown (503) and ambiguous headers (400). Limits on
 * connections and the request-head deadline live in connections.c. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apikey.h"
#include "connections.h"
#include "connectors.h" /* the delivery worker */
#include "engine.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "utf8.h"

struct http_server {
    struct MHD_Daemon *daemon;
    unsigned port;
    atomic_int in_flight;
    atomic_int deferred;      /* http_defer work still running: stopping waits for it */
    struct http_connections *connections; /* owned */
    char trusted_proxies[sizeof(((struct config *)0)->trusted_proxies)];
    struct config_secret_key secret_key; /* seals connector secrets; .set false: none can be stored */
    struct outbox *outbox;               /* the delivery worker (owned); NULL: not running */
};

static double elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1e3 + (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

static void request_free(struct http_request *req)
{
    if (req->body_stream.release != NULL)
        req->body_stream.release(req->body_stream.cls);
    if (req->handler_state_release != NULL)
        req->handler_state_release(req->handler_state);
    free(req->path);
    for (int i = 0; i < HTTP_MAX_PATH_ARGS; i++)
        free(req->path_args[i]);
    for (int i = 0; i < req->n_extra_headers; i++)
        free(req->extra_headers[i].value);
    buf_cleanup(&req->body);
    json_decref(req->json);
    free(req);
}

static struct http_request *request_new(struct http_server *server, struct MHD_Connection *connection,
                                        const char *url, const char *method)
{
    struct http_request *req = calloc(1, sizeof(*req));
    if (req == NULL)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &req->started);
    req->connection = connection;
    req->server = server;
    buf_init(&req->body, HTTP_BODY_LIMIT);
    snprintf(req->method, sizeof(req->method), "%s", method);
    req->path = strdup(url);
    http_request_id_choose(MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "X-Request-Id"),
                           req->request_id);
    char peer[INET6_ADDRSTRLEN] = "unknown";
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info != NULL && info->client_addr != NULL) {
        const struct sockaddr *sa = info->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, peer, sizeof(peer));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, peer, sizeof(peer));
    }
    http_client_address(peer, MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "X-Forwarded-For"),
                        server->trusted_proxies, req->client_addr);
    /* Only a trusted proxy says how the client reached it: anyone else
     * could claim TLS (the session cookie's Secure flag follows this). */
    const char *proto = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "X-Forwarded-Proto");
    req->via_https = proto != NULL && strcasecmp(proto, "https") == 0
                     && http_address_trusted(peer, server->trusted_proxies);
    if (req->path == NULL) {
        request_free(req);
        return NULL;
    }
    return req;
}

/* Verified keys, per worker thread, for REDRESS_API_KEY_CACHE_SECONDS:
 * saves a round trip per request. A revoked key keeps working for at most
 * that long (0: every request asks the database). Unknown keys are never
 * cached, so a new key works at once. */
enum { KEY_CACHE_SLOTS = 64, KEY_TOUCH_INTERVAL_MS = 60 * 1000 /* api_key_touch's minute */ };

/* Set by http_server_start() before any request, read by every worker. */
static atomic_uint key_cache_ttl_ms;

struct key_cache_entry {
    char prefix[APIKEY_PREFIX_LEN + 1];
    uint8_t digest[CRYPTO_SHA256_LEN];
    struct db_tenant tenant;
    struct timespec fetched;
    struct timespec touched; /* when this thread last recorded the key's use */
    bool touched_once;
};

static _Thread_local struct key_cache_entry key_cache[KEY_CACHE_SLOTS];

static struct key_cache_entry *key_cache_slot(const char *prefix)
{
    unsigned hash = 2166136261u;
    for (const char *p = prefix; *p; p++)
        hash = (hash ^ (unsigned char)*p) * 16777619u;
    return &key_cache[hash % KEY_CACHE_SLOTS];
}

bool http_api_key_verify(struct http_request *req, const char *token)
{
    char prefix[APIKEY_PREFIX_LEN + 1];
    uint8_t presented[CRYPTO_SHA256_LEN], stored[CRYPTO_SHA256_LEN];
    if (apikey_parse(token, prefix, presented) != 0) {
        http_reply_problem(req, PROBLEM_UNAUTHORIZED, "the API key is malformed");
        return false;
    }
    enum db_status why;
    req->db = db_thread_connection(&why);
    if (req->db == NULL) {
        http_reply_db_error(req, why);
        return false;
    }
    struct key_cache_entry *cached = key_cache_slot(prefix);
    bool same_key = strcmp(cached->prefix, prefix) == 0;
    enum db_status status;
    if (same_key && elapsed_ms(&cached->fetched) < atomic_load(&key_cache_ttl_ms)) {
        memcpy(stored, cached->digest, sizeof(stored));
        req->tenant = cached->tenant;
        status = DB_OK;
    } else {
        status = db_api_key_lookup(req->db, prefix, &req->tenant, stored);
        if (status == DB_OK && crypto_equal(stored, presented, sizeof(stored))) {
            if (!same_key)
                cached->touched_once = false;
            memcpy(cached->prefix, prefix, sizeof(cached->prefix));
            memcpy(cached->digest, stored, sizeof(stored));
            cached->tenant = req->tenant;
            clock_gettime(CLOCK_MONOTONIC, &cached->fetched);
            /* "Last used" rides on the lookup, about once a minute per
             * thread and key: never a write per request. */
            if (!cached->touched_once || elapsed_ms(&cached->touched) >= KEY_TOUCH_INTERVAL_MS) {
                if (db_api_key_touch(req->db, prefix) != DB_OK)
                    log_msg(LOG_WARN, "request %s: recording the use of key %s failed", req->request_id, prefix);
                cached->touched = cached->fetched;
                cached->touched_once = true;
            }
        }
    }
    if (status == DB_NOT_FOUND || (status == DB_OK && !crypto_equal(stored, presented, sizeof(stored)))) {
        http_reply_problem(req, PROBLEM_UNAUTHORIZED, "the API key is unknown or revoked");
        return false;
    }
    if (status != DB_OK) {
        http_reply_db_error(req, status);
        return false;
    }
    snprintf(req->key_prefix, sizeof(req->key_prefix), "%s", prefix);
    return true;
}

/* Bearer key (or, without an Authorization header, the console's session
 * cookie) → tenant, then the tenant's rate limit. Replies (401/403/429/503)
 * itself when it returns false. */
static bool authenticate(struct http_request *req)
{
    const char *header = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_AUTHORIZATION);
    if (header == NULL) {
        switch (sessions_authenticate(req)) {
        case SESSION_OK:
            req->authenticated = true;
            return http_rate_limit(req);
        case SESSION_REFUSED:
            return false;
        case SESSION_ABSENT:
            break;
        }
    }
    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0) {
        http_reply_problem(req, PROBLEM_UNAUTHORIZED,
                           "send the header 'Authorization: Bearer <api key>', or sign in (POST /v1/sessions)");
        return false;
    }
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    if (!http_api_key_verify(req, token))
        return false;
    req->authenticated = true;
    return http_rate_limit(req);
}

static bool media_type_is(const char *content_type, const char *type)
{
    if (content_type == NULL)
        return false;
    size_t n = strlen(type);
    if (strncasecmp(content_type, type, n) != 0)
        return false;
    char next = content_type[n];
    return next == '\0' || next == ';' || next == ' ';
}

/* The first call: everything decidable from the headers. */
static enum MHD_Result begin_request(struct http_request *req)
{
    char allow[64];
    switch (http_route_find(req->method, req->path, &req->route, req->path_args, allow, sizeof(allow))) {
    case HTTP_MATCH_NO_PATH:
        return http_reply_problem(req, PROBLEM_NOT_FOUND, "no such endpoint");
    case HTTP_MATCH_NO_METHOD: {
        http_add_header(req, MHD_HTTP_HEADER_ALLOW, allow);
        char detail[96];
        snprintf(detail, sizeof(detail), "allowed: %s", allow);
        return http_reply_problem(req, PROBLEM_METHOD_NOT_ALLOWED, detail);
    }
    case HTTP_MATCH_OK:
        break;
    }
    if ((req->route->flags & ROUTE_AUTH) && !authenticate(req))
        return MHD_YES;
    if (req->route->flags & ROUTE_JSON_BODY) {
        const char *type = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_CONTENT_TYPE);
        bool merge_patch = (req->route->flags & ROUTE_MERGE_PATCH) != 0;
        if (!media_type_is(type, merge_patch ? "application/merge-patch+json" : "application/json"))
            return http_reply_problem(req, PROBLEM_UNSUPPORTED_MEDIA_TYPE,
                                      merge_patch ? "send 'Content-Type: application/merge-patch+json'"
                                                  : "send 'Content-Type: application/json'");
        const char *length = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length != NULL && strtoull(length, NULL, 10) > HTTP_BODY_LIMIT)
            return http_reply_problem(req, PROBLEM_PAYLOAD_TOO_LARGE, "the body may be at most 65536 bytes");
    }
    if (req->route->flags & ROUTE_STREAM_BODY) {
        enum MHD_Result result = req->route->handler(req);
        if (result == MHD_YES && !req->responded && req->body_stream.piece == NULL) {
            log_msg(LOG_ERROR, "request %s: handler for %s %s neither replied nor took the body",
                    req->request_id, req->method, req->route->pattern);
            return http_reply_problem(req, PROBLEM_INTERNAL, NULL);
        }
        return result;
    }
    return MHD_YES;
}

/* The last call: the whole body is in. */
static enum MHD_Result finish_request(struct http_request *req)
{
    if (req->body.over_limit)
        return http_reply_problem(req, PROBLEM_PAYLOAD_TOO_LARGE, "the body may be at most 65536 bytes");
    if (req->body.alloc_failed)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    if (req->route->flags & ROUTE_JSON_BODY) {
        json_error_t error;
        if (req->body.len == 0)
            return http_reply_problem(req, PROBLEM_MALFORMED_JSON, "the body is empty");
        req->json = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &error);
        if (req->json == NULL) {
            char detail[256];
            snprintf(detail, sizeof(detail), "line %d, column %d: %s", error.line, error.column, error.text);
            return http_reply_problem(req, PROBLEM_MALFORMED_JSON, detail);
        }
        if (!json_is_object(req->json))
            return http_reply_problem(req, PROBLEM_MALFORMED_JSON, "the body must be a JSON object");
    }
    req->body_done = true;
    if ((req->route->flags & ROUTE_DATABASE) && req->db == NULL) {
        enum db_status why;
        req->db = db_thread_connection(&why);
        if (req->db == NULL)
            return http_reply_db_error(req, why);
    }
    enum MHD_Result result = req->route->handler(req);
    db_after_request(req->db);
    if (result == MHD_YES && !req->responded && !req->deferred) {
        log_msg(LOG_ERROR, "handler for %s %s queued no response", req->method, req->route->pattern);
        return http_reply_problem(req, PROBLEM_INTERNAL, NULL);
    }
    return result;
}

/* What the request's headers say about its framing and bytes. */
struct header_census {
    const char *length;        /* the first Content-Length */
    size_t length_size;
    bool lengths_differ;       /* a second Content-Length with another value */
    bool transfer_encoding;
    const char *nul_in;        /* a header whose value holds a NUL byte */
    const char *previous_key;
    const char *previous_end;  /* where the previous value ended in MHD's buffer */
    const char *block_end;     /* the end of the request head in MHD's buffer */
};

/* libmicrohttpd 0.9.75 parses the head in place and ends a header's value
 * at its first NUL byte, silently dropping the rest ("abc\0def" reads as
 * "abc"). In its buffer, each line's CR LF and the ':' after a name are
 * overwritten with NULs, so between the end of one value and the next name
 * there are only NULs and blanks, unless the value held a NUL of its own. */
static bool gap_is_blank(const char *from, const char *to)
{
    for (const char *p = from; p < to; p++)
        if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return false;
    return true;
}

/* A header's bytes after a NUL, if the layout is the one described above
 * (outside it nothing can be told, and nothing is claimed). */
static void census_check_gap(struct header_census *census, const char *next)
{
    if (census->previous_end != NULL && next >= census->previous_end && next <= census->block_end
        && !gap_is_blank(census->previous_end, next) && census->nul_in == NULL)
        census->nul_in = census->previous_key;
}

static enum MHD_Result census_add(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                  const char *value, size_t value_size)
{
    (void)kind;
    (void)key_size;
    struct header_census *census = cls;
    census_check_gap(census, key);
    census->previous_key = key;
    census->previous_end = value != NULL ? value + value_size : NULL;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (census->length == NULL) {
            census->length = value;
            census->length_size = value_size;
        } else if (census->length_size != value_size || memcmp(census->length, value, value_size) != 0) {
            census->lengths_differ = true;
        }
    }
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
        census->transfer_encoding = true;
    return MHD_YES;
}

/* Headers that frame the body two ways are how requests are smuggled past a
 * proxy that reads them differently, and a NUL makes a header mean one thing
 * here and another upstream: refused, and the connection closed, since
 * where this request's body ends is not known. Replies when it returns
 * false. */
static bool headers_unambiguous(struct http_request *req, const char *method, const char *version)
{
    struct header_census census = { 0 };
    /* The head starts at the method (MHD's pointers into its buffer); the
     * first header follows the version. */
    const union MHD_ConnectionInfo *size =
        MHD_get_connection_info(req->connection, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (size != NULL && version != NULL && method != NULL && version > method) {
        census.previous_end = version + strlen(version);
        census.block_end = method + size->header_size;
    }
    MHD_get_connection_values_n(req->connection, MHD_HEADER_KIND, census_add, &census);
    census_check_gap(&census, census.block_end);
    char detail[160];
    if (census.nul_in != NULL)
        snprintf(detail, sizeof(detail), "%.64s: the value contains a NUL byte", census.nul_in);
    else if (census.lengths_differ)
        snprintf(detail, sizeof(detail), "Content-Length: sent more than once with different values");
    else if (census.transfer_encoding && census.length != NULL)
        snprintf(detail, sizeof(detail), "Transfer-Encoding and Content-Length: send one of them, not both");
    else
        return true;
    http_add_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
    http_reply_problem(req, PROBLEM_BAD_PARAMETER, detail);
    return false;
}

/* The con_cls of a request whose query has more than HTTP_MAX_QUERY_PARAMS
 * parameters (set by inspect_uri, answered by access_handler). */
static char too_many_query_params;

/* MHD_OPTION_URI_LOG_CALLBACK: runs after the request line is read and
 * before MHD splits the query. libmicrohttpd 0.9.75 stores every query
 * parameter in the connection's memory pool and, when the pool runs out
 * (about 500 parameters with 32 KiB), sends nothing and never answers.
 * Such a query is refused anyway, so its '&' are overwritten in MHD's own
 * request buffer (which MHD itself rewrites next): MHD then stores a
 * single parameter and the request reaches access_handler, which answers
 * 400. */
static void *inspect_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    (void)cls;
    (void)connection;
    const char *query = strchr(uri, '?');
    if (query == NULL)
        return NULL;
    unsigned params = 1;
    for (const char *p = query; *p != '\0'; p++)
        params += *p == '&';
    if (params <= HTTP_MAX_QUERY_PARAMS)
        return NULL;
    for (char *p = (char *)(uintptr_t)query; *p != '\0'; p++)
        if (*p == '&')
            *p = ';';
    return &too_many_query_params;
}

/* The first call, before routing: what is refused whatever the route. */
static enum MHD_Result admit_request(struct http_server *server, struct http_request *req, bool too_many_params,
                                     const char *method, const char *version)
{
    if (http_connections_draining(server->connections))
        return http_reply_problem(req, PROBLEM_NOT_READY,
                                  "the server is shutting down; retry the request on a new connection");
    if (too_many_params) {
        char detail[96];
        snprintf(detail, sizeof(detail), "the query may have at most %d parameters", HTTP_MAX_QUERY_PARAMS);
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER, detail);
    }
    if (!headers_unambiguous(req, method, version))
        return MHD_YES;
    return begin_request(req);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *connection, const char *url,
                                      const char *method, const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **con_cls)
{
    struct http_server *server = cls;
    struct http_request *req = *con_cls;
    if (req == NULL || *con_cls == &too_many_query_params) {
        bool too_many_params = *con_cls == &too_many_query_params;
        *con_cls = NULL;
        http_connection_request_began(connection);
        req = request_new(server, connection, url, method);
        if (req == NULL)
            return MHD_NO;
        *con_cls = req;
        atomic_fetch_add(&server->in_flight, 1);
        return admit_request(server, req, too_many_params, method, version);
    }
    if (req->responded) {
        *upload_data_size = 0; /* an early error was queued: drop the body */
        return MHD_YES;
    }
    if (req->deferred) {
        /* Resumed once the deferred work ended (MHD calls again then). */
        if (!req->deferred_done)
            return MHD_YES;
        return req->route->handler(req);
    }
    if (*upload_data_size > 0 && (req->route->flags & ROUTE_STREAM_BODY)) {
        if (!req->body_refused && req->body_stream.piece(req->body_stream.cls, upload_data, *upload_data_size) != 0)
            req->body_refused = true; /* the rest is read and dropped */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        buf_append(&req->body, upload_data, *upload_data_size); /* overflow is sticky */
        *upload_data_size = 0;
        return MHD_YES;
    }
    return finish_request(req);
}

/* After deferred work ends, how long stopping waits for its reply to go out. */
enum { DEFERRED_REPLY_GRACE_MS = 2000 };

struct deferred_job {
    struct http_request *req;
    void (*work)(void *cls);
    void *cls;
};

static void *deferred_run(void *arg)
{
    struct deferred_job job = *(struct deferred_job *)arg;
    free(arg);
    job.work(job.cls);
    struct http_server *server = job.req->server;
    struct MHD_Connection *connection = job.req->connection;
    job.req->deferred_done = true;
    /* MHD calls access_handler again for this request, on its own thread;
     * the flag is published by the resume's wake-up (ITC). */
    atomic_thread_fence(memory_order_release);
    MHD_resume_connection(connection);
    atomic_fetch_sub(&server->deferred, 1);
    return NULL;
}

bool http_defer(struct http_request *req, void (*work)(void *cls), void *cls)
{
    if (req->server == NULL || req->deferred)
        return false;
    /* Counted before draining is read, as http_server_stop drains before
     * it reads the count: either stop waits for this work, or the work
     * runs inline (MHD must never stop with a connection suspended). */
    atomic_fetch_add(&req->server->deferred, 1);
    struct deferred_job *job = malloc(sizeof(*job));
    if (job == NULL || http_connections_draining(req->server->connections)) {
        free(job);
        atomic_fetch_sub(&req->server->deferred, 1);
        return false;
    }
    *job = (struct deferred_job){ req, work, cls };
    req->deferred = true;
    MHD_suspend_connection(req->connection);
    pthread_attr_t attr;
    pthread_t thread;
    bool started = pthread_attr_init(&attr) == 0
                   && pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0
                   && pthread_create(&thread, &attr, deferred_run, job) == 0;
    pthread_attr_destroy(&attr);
    if (!started) {
        MHD_resume_connection(req->connection);
        atomic_fetch_sub(&req->server->deferred, 1);
        req->deferred = false;
        free(job);
    }
    return started;
}

static void request_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct http_server *server = cls;
    http_connection_request_ended(connection);
    struct http_request *req = *con_cls;
    *con_cls = NULL;
    if (req == NULL || (void *)req == &too_many_query_params) /* MHD answered before access_handler */
        return;
    metrics_request(http_route_index(req->route), req->status, elapsed_ms(&req->started) / 1e3);
    /* The access line is only built when it will be written. */
    if (log_get_level() <= LOG_INFO) {
        /* Escaped: a path that is not UTF-8 would make the line invalid
         * JSON, and jansson would refuse it: every request gets its line. */
        char *method = utf8_escape_for_log(req->method), *path = utf8_escape_for_log(req->path);
        json_t *line = json_pack("{s:s, s:s, s:s?, s:s?, s:i, s:f, s:s?, s:s}",
                                 "msg", "request", "request_id", req->request_id, "method", method,
                                 "path", path, "status", (int)req->status,
                                 "duration_ms", elapsed_ms(&req->started),
                                 "tenant", req->authenticated ? req->tenant.name : NULL,
                                 "client", req->client_addr);
        if (line != NULL && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
            json_object_set_new(line, "aborted", json_true());
        log_fields_new(LOG_INFO, line);
        free(method);
        free(path);
    }
    request_free(req);
    atomic_fetch_sub(&server->in_flight, 1);
}

/* The path is matched raw and its {} segments are decoded by the router,
 * so that an escaped '/' inside an id cannot change the route. */
static size_t keep_escaped(void *cls, struct MHD_Connection *connection, char *uri)
{
    (void)cls;
    (void)connection;
    return strlen(uri);
}

/* fmt is libmicrohttpd's own printf format: say so, so that compilers
 * check the call (clang refuses a non-literal format otherwise). */
static void mhd_logger(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char message[512];
    vsnprintf(message, sizeof(message), fmt, ap);
    message[strcspn(message, "\n")] = '\0';
    log_msg(LOG_WARN, "http: %s", message);
}

enum { CONNECTION_LIMIT_HEADROOM = 64, OTHER_FILES = 256 /* database, logs, epoll, pipes */ };

/* A descriptor per connection up to MHD's limit: short of them, accept()
 * fails and clients wait in the backlog again. Raise the soft limit toward
 * the hard one when it is lower. */
static void raise_file_limit(rlim_t needed)
{
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur >= needed)
        return;
    files.rlim_cur = files.rlim_max == RLIM_INFINITY || files.rlim_max >= needed ? needed : files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur < needed)
        log_msg(LOG_WARN, "open-file limit %lu is below the %lu that REDRESS_CONNECTION_LIMIT needs",
                (unsigned long)files.rlim_cur, (unsigned long)needed);
}

struct http_server *http_server_start(const struct config *cfg)
{
    /* Replies are only ever sent from checked templates. */
    char err[512];
    if (eng_templates_init(err, sizeof(err)) != 0) {
        log_msg(LOG_ERROR, "reply templates: %s", err);
        return NULL;
    }
    /* Buyers' messages are only ever read with checked lexicons. */
    if (eng_triage_init(err, sizeof(err)) != 0) {
        log_msg(LOG_ERROR, "triage lexicons: %s", err);
        return NULL;
    }
    struct http_server *server = calloc(1, sizeof(*server));
    if (server == NULL)
        return NULL;
    snprintf(server->trusted_proxies, sizeof(server->trusted_proxies), "%s", cfg->trusted_proxies);
    atomic_store(&key_cache_ttl_ms, cfg->api_key_cache_s * 1000u);
    ratelimit_configure(cfg->rate_limit_per_second, cfg->rate_limit_burst);
    imports_configure(cfg->import_max_mib, cfg->import_concurrency);
    evidence_configure(cfg->evidence_renders);
    sessions_configure(cfg->session_ttl_minutes);
    server->secret_key = cfg->secret_key;
    if (!cfg->secret_key.set)
        log_msg(LOG_WARN, "connectors disabled: REDRESS_SECRET_KEY is not set, so connector secrets cannot be stored");
    char outbox_err[160];
    server->outbox = outbox_start(cfg, outbox_err, sizeof(outbox_err));
    if (server->outbox == NULL && outbox_err[0] != '\0') {
        log_msg(LOG_ERROR, "delivery worker: %s", outbox_err);
        free(server);
        return NULL;
    }
    raise_file_limit((rlim_t)cfg->connection_limit + CONNECTION_LIMIT_HEADROOM + OTHER_FILES);
    struct http_connection_limits limits = {
        .total = cfg->connection_limit,
        .per_address = cfg->connection_limit_per_address,
        .head_timeout_s = cfg->request_head_timeout_s,
        .trusted = cfg->trusted_proxies,
    };
    server->connections = http_connections_new(&limits);
    if (server->connections == NULL) {
        outbox_stop(server->outbox);
        free(server);
        return NULL;
    }

    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof(addr));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG
                     | MHD_ALLOW_SUSPEND_RESUME;
    if (strchr(cfg->listen_addr, ':') != NULL) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)&addr;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)cfg->port);
        inet_pton(AF_INET6, cfg->listen_addr, &a6->sin6_addr);
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)&addr;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)cfg->port);
        inet_pton(AF_INET, cfg->listen_addr, &a4->sin_addr);
    }
    server->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, http_connections_accept, server->connections, access_handler, server,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL, /* first, so that it sees every message */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->connection_timeout_s,
        /* Above ours, so that MHD never stops accepting: the accept policy
         * refuses (closes at once) instead of leaving clients in the backlog. */
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->connection_limit + CONNECTION_LIMIT_HEADROOM,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->connection_memory_kib * 1024,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, server,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
        MHD_OPTION_URI_LOG_CALLBACK, inspect_uri, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, http_connections_notify, server->connections,
        MHD_OPTION_END);
    if (server->daemon == NULL) {
        log_msg(LOG_ERROR, "cannot listen on %s port %u (in use, or not an address of this host?)",
                cfg->listen_addr, cfg->port);
        http_connections_free(server->connections);
        outbox_stop(server->outbox);
        free(server);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info != NULL ? info->port : cfg->port;
    return server;
}

bool http_server_draining(const struct http_server *server)
{
    return server != NULL && http_connections_draining(server->connections);
}

const uint8_t *http_server_secret_key(const struct http_server *server)
{
    return server != NULL && server->secret_key.set ? server->secret_key.bytes : NULL;
}

unsigned http_server_port(const struct http_server *server)
{
    return server->port;
}

void http_server_stop(struct http_server *server, unsigned grace_s)
{
    if (server == NULL)
        return;
    outbox_stop(server->outbox); /* within about a second: a call in progress is cut short */
    /* From here every response says "Connection: close", a request that
     * starts now is answered 503, and connections between requests are
     * closed (connections.c): what is in flight finishes, nothing new
     * begins, and the loop ends as soon as the last response is sent. */
    http_connections_drain(server->connections);
    /* No MHD_quiesce_daemon here: with a thread pool and epoll, 0.9.75's
     * quiesce and a worker's own loop both take the listening socket out
     * of the worker's epoll set, and quiesce panics (abort) when the worker
     * was first ("Failed to remove listen FD from epoll set"): a rare,
     * load-dependent crash of every stop. The accept policy refuses every
     * new connection while draining (closed at once), and MHD_stop_daemon
     * closes the socket. */
    struct timespec since;
    clock_gettime(CLOCK_MONOTONIC, &since);
    while ((atomic_load(&server->in_flight) > 0 || http_connections_open(server->connections) > 0)
           && elapsed_ms(&since) < grace_s * 1000.0) {
        struct timespec pause = { 0, 5 * 1000000L };
        nanosleep(&pause, NULL);
    }
    /* Deferred work (an import committing) is never cut off: MHD must not
     * stop with a connection suspended, and a commit is better finished. */
    if (atomic_load(&server->deferred) > 0)
        log_msg(LOG_WARN, "waiting for %d deferred requests (imports committing) to finish",
                atomic_load(&server->deferred));
    while (atomic_load(&server->deferred) > 0) {
        struct timespec pause = { 0, 20 * 1000000L };
        nanosleep(&pause, NULL);
    }
    /* ... and for their replies, which the workers send once resumed. */
    clock_gettime(CLOCK_MONOTONIC, &since);
    while (atomic_load(&server->in_flight) > 0 && elapsed_ms(&since) < DEFERRED_REPLY_GRACE_MS) {
        struct timespec pause = { 0, 5 * 1000000L };
        nanosleep(&pause, NULL);
    }
    if (atomic_load(&server->in_flight) > 0)
        log_msg(LOG_WARN, "stopping with %d requests still running", atomic_load(&server->in_flight));
    MHD_stop_daemon(server->daemon);
    http_connections_free(server->connections);
    free(server);
}
