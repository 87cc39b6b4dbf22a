/* HTTP layer: libmicrohttpd glue, one routing table, one body reader, one
 * problem+json writer. Handlers parse, call the engine or the database
 * layer, and reply; they hold no SQL. */
#ifndef REDRESS_HTTP_H
#define REDRESS_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "db.h"

enum {
    HTTP_BODY_LIMIT = 64 * 1024,
    HTTP_REQUEST_ID_MAX = 128,
    HTTP_MAX_PATH_ARGS = 2,
    HTTP_MAX_QUERY_PARAMS = 32, /* more: 400 (server.c, inspect_uri) */
    HTTP_MAX_EXTRA_HEADERS = 8, /* RateLimit-* (3) + Retry-After + a handler's; overflow logs an error */
    HTTP_SESSION_TOKEN_LEN = 43, /* a session token and its CSRF token: 32 bytes in base64url, unpadded */
};

/* Every error the API answers with. Each has one status, a stable type URI
 * (urn:redress:problem:<slug>) and a title (reply.c). */
enum http_problem {
    PROBLEM_MALFORMED_JSON,      /* 400 */
    PROBLEM_VALIDATION,          /* 400, with errors[] */
    PROBLEM_BAD_PARAMETER,       /* 400, a header or query value */
    PROBLEM_UNAUTHORIZED,        /* 401 */
    PROBLEM_CSRF_REJECTED,       /* 403: a change by session cookie without the right X-CSRF-Token */
    PROBLEM_NOT_FOUND,           /* 404 */
    PROBLEM_METHOD_NOT_ALLOWED,  /* 405 */
    PROBLEM_NOT_ACCEPTABLE,      /* 406: Accept admits no representation we have */
    PROBLEM_IDEMPOTENCY_IN_FLIGHT, /* 409 */
    PROBLEM_PAYLOAD_TOO_LARGE,   /* 413 */
    PROBLEM_UNSUPPORTED_MEDIA_TYPE, /* 415 */
    PROBLEM_PRECONDITION_FAILED, /* 412: If-Match is not the current version */
    PROBLEM_IDEMPOTENCY_MISMATCH, /* 422 */
    PROBLEM_IMPORT_REFUSED,      /* 422: a file that cannot be imported as a whole, with errors[] */
    PROBLEM_UNPROCESSABLE,       /* 422: well-formed fields that cannot be decided on as sent, with errors[] */
    PROBLEM_PRECONDITION_REQUIRED, /* 428: If-Match is missing */
    PROBLEM_RATE_LIMITED,        /* 429, with Retry-After and RateLimit-* */
    PROBLEM_INTERNAL,            /* 500 */
    PROBLEM_DB_UNAVAILABLE,      /* 503 */
    PROBLEM_NOT_READY,           /* 503 */
    PROBLEM_CONNECTORS_DISABLED, /* 503: REDRESS_SECRET_KEY is not set, so no secret can be stored */
    PROBLEM_COUNT
};

struct http_header {
    const char *name; /* static string */
    char *value;      /* owned by the request */
};

struct http_route;
struct http_server;

/* A ROUTE_STREAM_BODY route's consumer of the body: the handler sets it on
 * its first call and gets each piece as it arrives, never the whole. */
struct http_body_stream {
    /* Take the next piece; return 0, or -1 to refuse it and the rest (they
     * are read and dropped; the handler's last call says why). */
    int (*piece)(void *cls, const char *data, size_t len);
    /* Called once when the request ends, however it ended (may be NULL). */
    void (*release)(void *cls);
    void *cls;                                    /* owned through release */
};

/** One request from first header to completion. Created and freed by the
 * server (server.c); handlers borrow it. */
struct http_request {
    struct MHD_Connection *connection;
    struct http_server *server;                   /* borrowed; NULL outside a server */
    const struct http_route *route;
    char method[8];
    char *path;                                   /* owned, raw (not unescaped) */
    char *path_args[HTTP_MAX_PATH_ARGS];          /* owned, percent-decoded */
    char request_id[HTTP_REQUEST_ID_MAX + 1];
    char client_addr[INET6_ADDRSTRLEN];
    struct buf body;                              /* capped at HTTP_BODY_LIMIT */
    struct http_body_stream body_stream;          /* ROUTE_STREAM_BODY only */
    bool body_done;                               /* ROUTE_STREAM_BODY: the whole body was handed over */
    bool body_refused;                            /* ROUTE_STREAM_BODY: piece() said -1 */
    bool deferred;                                /* http_defer's work is running or ran */
    bool deferred_done;                           /* ... and has ended: the handler replies */
    /* A handler's own state between its calls (across http_defer), owned
     * through release, which the server calls once when the request ends. */
    void *handler_state;
    void (*handler_state_release)(void *state);
    json_t *json;                                 /* parsed body object, owned */
    bool authenticated;
    bool via_https;                               /* X-Forwarded-Proto: https from a trusted proxy */
    /* Set when the console's session cookie authenticated the request
     * (handlers_sessions.c); a Bearer key leaves it inactive. */
    struct http_session {
        bool active;
        uint8_t token_digest[32];                 /* SHA-256 of the cookie's token */
        char csrf_token[HTTP_SESSION_TOKEN_LEN + 1];
        char expires_at[32];                      /* RFC 3339 UTC */
    } session;
    struct db_tenant tenant;
    char key_prefix[16];                          /* the API key's public prefix, once authenticated */
    struct db *db;                                /* this thread's, borrowed */
    struct http_header extra_headers[HTTP_MAX_EXTRA_HEADERS];
    int n_extra_headers;
    unsigned status;                              /* the response's, for the log */
    bool responded;
    struct timespec started;
};

typedef enum MHD_Result (*http_handler_fn)(struct http_request *req);

enum http_route_flags {
    ROUTE_PUBLIC = 0,
    ROUTE_AUTH = 1,       /* needs a Bearer key; sets req->tenant */
    ROUTE_JSON_BODY = 2,  /* needs a JSON object body; sets req->json */
    ROUTE_DATABASE = 4,   /* needs this thread's connection; sets req->db */
    ROUTE_MERGE_PATCH = 8, /* with ROUTE_JSON_BODY: the body is application/merge-patch+json */
    /* The body streams to the handler, exempt from HTTP_BODY_LIMIT: the
     * handler runs once when the headers are in (body_done false: check
     * them, reply to refuse, or set body_stream) and once after the body
     * (body_done true: reply). */
    ROUTE_STREAM_BODY = 16,
};

struct http_route {
    const char *method;
    const char *pattern; /* "/v1/cases/{}/outcome": {} matches one segment */
    http_handler_fn handler;
    unsigned flags;
};

/* ---- router.c ---- */

enum http_match { HTTP_MATCH_OK, HTTP_MATCH_NO_PATH, HTTP_MATCH_NO_METHOD };

/** Find the route for method and raw path; on a match copy the decoded
 * segments into args (caller frees). On HTTP_MATCH_NO_METHOD, allow gets
 * the methods the path does have ("GET, POST"). */
enum http_match http_route_find(const char *method, const char *path, const struct http_route **out,
                                char *args[HTTP_MAX_PATH_ARGS], char *allow, size_t allow_size);

/** Position of a route in the table (-1 for none), and every route's
 * metrics label ("GET /v1/cases/{}"); returns how many were written. */
int http_route_index(const struct http_route *route);
int http_route_names(const char **names, int max);

/* ---- reply.c: every response goes through these ---- */

/** Queue a header for the response (value is copied). */
void http_add_header(struct http_request *req, const char *name, const char *value);

/** Reply with the given bytes (copied); content_type NULL: none (a 204). */
enum MHD_Result http_reply_bytes(struct http_request *req, unsigned status, const char *content_type,
                                 const char *data, size_t len);
/** Reply with JSON; takes ownership of body. */
enum MHD_Result http_reply_json(struct http_request *req, unsigned status, json_t *body);
/** Reply with problem+json; detail may be NULL. */
enum MHD_Result http_reply_problem(struct http_request *req, enum http_problem problem, const char *detail);
/** A problem with more members (errors[], ids ...) merged into its body;
 * takes ownership of members (may be NULL). */
enum MHD_Result http_reply_problem_with(struct http_request *req, enum http_problem problem, const char *detail,
                                        json_t *members);
/** 400 validation problem; takes ownership of errors ([{field, message}]). */
enum MHD_Result http_reply_invalid(struct http_request *req, json_t *errors);
/** Map a database failure to its problem (503 for outages, 500 otherwise). */
enum MHD_Result http_reply_db_error(struct http_request *req, enum db_status status);

unsigned http_problem_status(enum http_problem problem);

/* ---- helpers (request.c) ---- */

/** Keep the caller's X-Request-Id if it is 1-128 characters of
 * [A-Za-z0-9._:-]; else make a new UUID. */
void http_request_id_choose(const char *offered, char out[HTTP_REQUEST_ID_MAX + 1]);

/** Decode %XX escapes into a new string (caller frees); NULL if malformed,
 * if it decodes to a NUL or '/', or if the result is not UTF-8. */
char *http_percent_decode(const char *text, size_t len);

/** The client's address: the peer, or, when the peer is a trusted proxy
 * (comma-separated list), the right-most X-Forwarded-For entry that is not
 * itself a trusted proxy. */
void http_client_address(const char *peer, const char *forwarded_for, const char *trusted,
                         char out[INET6_ADDRSTRLEN]);

/** Whether address is one of trusted (comma-separated list, as
 * REDRESS_TRUSTED_PROXIES). */
bool http_address_trusted(const char *address, const char *trusted);

/** Value of a query parameter (undecoded), or NULL. */
const char *http_query(struct http_request *req, const char *name);

/** Which of types ("application/json", ...) the request's Accept prefers:
 * by q, then by the most specific matching range (type/subtype over
 * type/any over any/any), the earlier type on a tie. 0 (the first, the
 * default) when there is no Accept; -1 when it takes none of them. */
int http_accept_choose(struct http_request *req, const char *const types[], size_t count);

/** Whether every query parameter is one of allowed (NULL-terminated); if
 * not, replies 400 naming the first unknown one (*sent) and returns false:
 * a misspelt filter must not answer as if it were absent. */
bool http_query_known(struct http_request *req, const char *const *allowed, enum MHD_Result *sent);

/* ---- server.c ---- */

/** Check a presented API key exactly as `Authorization: Bearer` is checked
 * (form, lookup, constant-time compare; verified keys cached for
 * REDRESS_API_KEY_CACHE_SECONDS): sets req->db, req->tenant and
 * req->key_prefix. Replies (401/503) itself when it returns false. */
bool http_api_key_verify(struct http_request *req, const char *presented);

/** Run work(cls) on a thread of its own while this request's connection
 * waits, suspended: for long work (an import's merge) that must not hold
 * up the other connections this worker thread serves. The handler returns
 * MHD_YES without replying; once work has ended it is called again, with
 * req->deferred_done true, and replies. work must not touch req or the
 * thread's database connection. Returns false when that cannot be done
 * (then do the work inline). */
bool http_defer(struct http_request *req, void (*work)(void *cls), void *cls);

struct http_server;

/** Start listening with cfg's address, port, threads and limits.
 * Returns NULL (and logs why) on failure. */
struct http_server *http_server_start(const struct config *cfg);
/** True once http_server_stop has begun: every response then closes its
 * connection (reply.c). False for NULL. */
bool http_server_draining(const struct http_server *server);
/** REDRESS_SECRET_KEY's 32 bytes, or NULL when it is not set (or server is NULL). */
const uint8_t *http_server_secret_key(const struct http_server *server);
/** The port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *server);
/** Stop accepting, answer what is in flight with "Connection: close",
 * answer requests that start now with 503, close idle connections; stop
 * and free as soon as nothing is in flight, after grace seconds at most. */
void http_server_stop(struct http_server *server, unsigned grace_s);

#endif
