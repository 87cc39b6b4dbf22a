/* The console's sign-in: POST /v1/sessions exchanges an API key for a
 * session cookie (redress_session, HttpOnly, SameSite=Strict, Secure behind
 * a TLS proxy); GET /v1/sessions/current reads it back and DELETE signs
 * out. Every ROUTE_AUTH route takes the cookie where no Authorization
 * header is sent (sessions_authenticate, called by server.c), and a
 * cookie request that is not GET/HEAD must carry X-CSRF-Token.
 *
 * The token is 32 random bytes in base64url; the database keeps only its
 * SHA-256. The CSRF token is derived from it (HMAC-SHA256 under the token,
 * of a fixed label), never stored: a page that reloads asks for it again,
 * and knowing it does not give the session away. */
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "db_sessions.h"
#include "handlers.h"
#include "log.h"
#include "ratelimit.h"
#include "validate.h"

static const char SESSION_COOKIE[] = "redress_session";
static const char CSRF_HEADER[] = "X-CSRF-Token";
static const char CSRF_LABEL[] = "redress csrf v1";

enum { SESSION_TOKEN_BYTES = 32 };
_Static_assert(HTTP_SESSION_TOKEN_LEN == (SESSION_TOKEN_BYTES * 4 + 2) / 3,
               "a session token is 32 bytes in unpadded base64url");
_Static_assert((int)CRYPTO_SHA256_LEN == (int)SESSION_TOKEN_BYTES, "the CSRF token is as long as the session token");
_Static_assert(sizeof(((struct http_request *)0)->session.token_digest) == CRYPTO_SHA256_LEN,
               "the request keeps the token's SHA-256");
_Static_assert(sizeof(((struct http_request *)0)->key_prefix) == sizeof(((struct db_session *)0)->key_prefix),
               "a session's key prefix fits the request's");

/* REDRESS_SESSION_TTL_MINUTES: set once by http_server_start. */
static atomic_uint session_ttl_minutes = 480;

void sessions_configure(unsigned ttl_minutes)
{
    atomic_store(&session_ttl_minutes, ttl_minutes);
}

/* n bytes as base64url without padding (RFC 4648 §5) into out
 * (CRYPTO_BASE64_LEN(n) + 1 bytes). */
static void base64url(const uint8_t *data, size_t n, char *out)
{
    crypto_base64(data, n, out);
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '=')
        out[--len] = '\0';
    for (char *p = out; *p != '\0'; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
}

static bool token_well_formed(const char *text, size_t len)
{
    if (len != HTTP_SESSION_TOKEN_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* The CSRF token of a session token. 0, or -1 when HMAC failed. */
static int csrf_derive(const char *token, char out[HTTP_SESSION_TOKEN_LEN + 1])
{
    const void *const parts[] = { CSRF_LABEL };
    const size_t lens[] = { sizeof(CSRF_LABEL) - 1 };
    uint8_t mac[CRYPTO_SHA256_LEN];
    if (crypto_hmac_sha256(token, strlen(token), parts, lens, 1, mac) != 0)
        return -1;
    char text[CRYPTO_BASE64_LEN(CRYPTO_SHA256_LEN) + 1];
    base64url(mac, sizeof(mac), text); /* HTTP_SESSION_TOKEN_LEN characters, unpadded */
    memcpy(out, text, HTTP_SESSION_TOKEN_LEN);
    out[HTTP_SESSION_TOKEN_LEN] = '\0';
    return 0;
}

/* ---- the Cookie header ---- */

enum cookie_found { COOKIE_ABSENT, COOKIE_FOUND, COOKIE_MALFORMED, COOKIE_AMBIGUOUS };

struct cookie_search {
    enum cookie_found found;
    char token[HTTP_SESSION_TOKEN_LEN + 1];
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One name=value pair of a Cookie header (RFC 6265 §4.2.1, with blanks
 * around it tolerated; a value may be in double quotes). */
static void cookie_pair(struct cookie_search *search, const char *from, const char *to)
{
    while (from < to && is_blank(*from))
        from++;
    while (to > from && is_blank(to[-1]))
        to--;
    const char *equals = memchr(from, '=', (size_t)(to - from));
    if (equals == NULL)
        return;
    const char *name_end = equals;
    while (name_end > from && is_blank(name_end[-1]))
        name_end--;
    size_t name_len = (size_t)(name_end - from);
    if (name_len != sizeof(SESSION_COOKIE) - 1 || memcmp(from, SESSION_COOKIE, name_len) != 0)
        return;
    const char *value = equals + 1;
    while (value < to && is_blank(*value))
        value++;
    if (to - value >= 2 && value[0] == '"' && to[-1] == '"') {
        value++;
        to--;
    }
    size_t len = (size_t)(to - value);
    if (len == 0) /* what signing out leaves: no session */
        return;
    if (!token_well_formed(value, len)) {
        if (search->found != COOKIE_AMBIGUOUS)
            search->found = COOKIE_MALFORMED;
        return;
    }
    /* Two different sessions (one planted by a sibling domain?): neither
     * is taken. The same one twice is harmless. */
    if (search->found == COOKIE_FOUND && memcmp(search->token, value, len) != 0)
        search->found = COOKIE_AMBIGUOUS;
    else if (search->found == COOKIE_ABSENT) {
        memcpy(search->token, value, len);
        search->token[len] = '\0';
        search->found = COOKIE_FOUND;
    }
}

/* Every Cookie header of the request (a client may send several). */
static enum MHD_Result cookie_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                     const char *value, size_t value_size)
{
    (void)kind;
    (void)key_size;
    if (strcasecmp(key, MHD_HTTP_HEADER_COOKIE) != 0 || value == NULL)
        return MHD_YES;
    const char *end = value + value_size, *pair = value;
    while (pair < end) {
        const char *semicolon = memchr(pair, ';', (size_t)(end - pair));
        const char *pair_end = semicolon != NULL ? semicolon : end;
        cookie_pair(cls, pair, pair_end);
        pair = pair_end + 1;
    }
    return MHD_YES;
}

static enum cookie_found session_cookie(struct http_request *req, char token[HTTP_SESSION_TOKEN_LEN + 1])
{
    struct cookie_search search = { .found = COOKIE_ABSENT };
    MHD_get_connection_values_n(req->connection, MHD_HEADER_KIND, cookie_header, &search);
    if (search.found == COOKIE_FOUND)
        memcpy(token, search.token, sizeof(search.token));
    return search.found;
}

/* ---- authentication by cookie ---- */

static bool method_is_safe(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

enum session_auth sessions_authenticate(struct http_request *req)
{
    char token[HTTP_SESSION_TOKEN_LEN + 1];
    switch (session_cookie(req, token)) {
    case COOKIE_ABSENT:
        return SESSION_ABSENT;
    case COOKIE_MALFORMED:
        http_reply_problem(req, PROBLEM_UNAUTHORIZED, "the redress_session cookie is malformed; sign in again");
        return SESSION_REFUSED;
    case COOKIE_AMBIGUOUS:
        http_reply_problem(req, PROBLEM_UNAUTHORIZED,
                           "more than one redress_session cookie was sent; sign out and sign in again");
        return SESSION_REFUSED;
    case COOKIE_FOUND:
        break;
    }
    struct http_session *session = &req->session;
    if (crypto_sha256(token, strlen(token), session->token_digest) != 0
        || csrf_derive(token, session->csrf_token) != 0) {
        http_reply_problem(req, PROBLEM_INTERNAL, NULL);
        return SESSION_REFUSED;
    }
    enum db_status why;
    req->db = db_thread_connection(&why);
    if (req->db == NULL) {
        http_reply_db_error(req, why);
        return SESSION_REFUSED;
    }
    struct db_session found;
    enum db_status status = db_session_lookup(req->db, session->token_digest, &found);
    if (status == DB_NOT_FOUND) {
        http_reply_problem(req, PROBLEM_UNAUTHORIZED,
                           "the session has expired, was signed out, or its API key was revoked; sign in again");
        return SESSION_REFUSED;
    }
    if (status != DB_OK) {
        http_reply_db_error(req, status);
        return SESSION_REFUSED;
    }
    /* A page of another site cannot read the CSRF token, so it cannot
     * send it: SameSite aside, a forged change stops here. */
    if (!method_is_safe(req->method)) {
        const char *sent = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, CSRF_HEADER);
        if (sent == NULL) {
            http_reply_problem(req, PROBLEM_CSRF_REJECTED,
                               "a change made with the session cookie needs the header 'X-CSRF-Token: "
                               "<csrf_token>' (from POST or GET /v1/sessions/current)");
            return SESSION_REFUSED;
        }
        if (strlen(sent) != HTTP_SESSION_TOKEN_LEN
            || !crypto_equal(sent, session->csrf_token, HTTP_SESSION_TOKEN_LEN)) {
            http_reply_problem(req, PROBLEM_CSRF_REJECTED,
                               "the X-CSRF-Token header is not this session's csrf_token");
            return SESSION_REFUSED;
        }
    }
    session->active = true;
    snprintf(session->expires_at, sizeof(session->expires_at), "%s", found.expires_at);
    req->tenant = found.tenant;
    snprintf(req->key_prefix, sizeof(req->key_prefix), "%s", found.key_prefix);
    return SESSION_OK;
}

/* ---- the endpoints ---- */

/* The cookie: the token (NULL: the clearing one) for max_age seconds. */
static void set_cookie(struct http_request *req, const char *token, unsigned max_age)
{
    char cookie[160];
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%u; HttpOnly; SameSite=Strict%s", SESSION_COOKIE,
             token != NULL ? token : "", max_age, req->via_https ? "; Secure" : "");
    http_add_header(req, "Set-Cookie", cookie);
}

static enum MHD_Result reply_session(struct http_request *req, unsigned status)
{
    return http_reply_json(req, status,
                           json_pack("{s:s, s:s, s:s}", "tenant", req->tenant.name, "expires_at",
                                     req->session.expires_at, "csrf_token", req->session.csrf_token));
}

struct session_request {
    const char *api_key;
};

static const struct field_spec SESSION_FIELDS[] = {
    /* Longer than any key: a wrong key is told apart from a wrong body. */
    { "api_key", FIELD_STRING, true, offsetof(struct session_request, api_key), 1, 256, NULL, 0, NULL },
};

/* Whether a browser says this sign-in comes from a page of another site
 * (login CSRF: signing the victim into the attacker's tenant). The JSON
 * body already keeps plain forms out; this does not rest on that alone.
 * Sec-Fetch-Site: cross-site, or an Origin whose host is not the Host the
 * request was sent to. Clients that send neither (curl, integrations) pass. */
static bool sign_in_cross_site(struct http_request *req)
{
    const char *fetch_site = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (fetch_site != NULL && strcasecmp(fetch_site, "cross-site") == 0)
        return true;
    const char *origin = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Origin");
    if (origin == NULL)
        return false;
    const char *host = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    const char *authority = strstr(origin, "://");
    /* "null" (an opaque origin: a sandbox, a file) is another site too. */
    if (authority == NULL || host == NULL)
        return true;
    authority += 3;
    if (strcasecmp(authority, host) == 0)
        return false;
    /* A proxy may pass the host without the port the browser used (nginx's
     * $host): then the origin's host name alone must be the Host. */
    const char *bracket = strrchr(host, ']');
    if (strchr(bracket != NULL ? bracket : host, ':') != NULL)
        return true;
    const char *origin_bracket = strrchr(authority, ']');
    const char *port = strrchr(origin_bracket != NULL ? origin_bracket : authority, ':');
    size_t name_len = port != NULL ? (size_t)(port - authority) : strlen(authority);
    return !(strlen(host) == name_len && strncasecmp(authority, host, name_len) == 0);
}

enum MHD_Result handle_session_create(struct http_request *req)
{
    if (sign_in_cross_site(req))
        return http_reply_problem(req, PROBLEM_CSRF_REJECTED,
                                  "a sign-in from a page of another site is refused (Origin or Sec-Fetch-Site)");
    struct session_request in = { 0 };
    json_t *errors = json_array();
    if (errors == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    if (!validate_json(req->json, SESSION_FIELDS, sizeof(SESSION_FIELDS) / sizeof(SESSION_FIELDS[0]), &in,
                       errors))
        return http_reply_invalid(req, errors);
    json_decref(errors);
    if (!http_api_key_verify(req, in.api_key))
        return MHD_YES; /* replied */
    req->authenticated = true;
    if (!http_rate_limit(req))
        return MHD_YES;
    /* Signing in again replaces the browser's session: the old token stops
     * working now rather than living on until it expires. */
    char previous[HTTP_SESSION_TOKEN_LEN + 1];
    uint8_t previous_digest[CRYPTO_SHA256_LEN];
    if (session_cookie(req, previous) == COOKIE_FOUND
        && crypto_sha256(previous, strlen(previous), previous_digest) == 0
        && db_session_revoke(req->db, previous_digest) != DB_OK)
        log_msg(LOG_WARN, "request %s: the session this sign-in replaces could not be revoked", req->request_id);

    uint8_t secret[SESSION_TOKEN_BYTES];
    char text[CRYPTO_BASE64_LEN(SESSION_TOKEN_BYTES) + 1];
    struct http_session *session = &req->session;
    if (crypto_random_bytes(secret, sizeof(secret)) != 0)
        return http_reply_problem(req, PROBLEM_INTERNAL, "no randomness for a session");
    base64url(secret, sizeof(secret), text);
    if (crypto_sha256(text, strlen(text), session->token_digest) != 0 || csrf_derive(text, session->csrf_token) != 0)
        return http_reply_problem(req, PROBLEM_INTERNAL, NULL);
    unsigned ttl = atomic_load(&session_ttl_minutes);
    enum db_status status = db_session_insert(req->db, session->token_digest, req->tenant.id, req->key_prefix, ttl,
                                              session->expires_at);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    session->active = true;
    log_msg(LOG_INFO, "request %s: session opened for tenant %s with key %s, until %s", req->request_id,
            req->tenant.name, req->key_prefix, session->expires_at);
    set_cookie(req, text, ttl * 60u);
    return reply_session(req, 201);
}

/* The session endpoints speak of the cookie's session; a Bearer key has none. */
static bool session_required(struct http_request *req)
{
    if (req->session.active)
        return true;
    http_reply_problem(req, PROBLEM_UNAUTHORIZED,
                       "this endpoint is about the redress_session cookie (sign in with POST /v1/sessions); "
                       "an API key has no session");
    return false;
}

enum MHD_Result handle_session_current_get(struct http_request *req)
{
    if (!session_required(req))
        return MHD_YES;
    return reply_session(req, 200);
}

enum MHD_Result handle_session_current_delete(struct http_request *req)
{
    if (!session_required(req))
        return MHD_YES;
    enum db_status status = db_session_revoke(req->db, req->session.token_digest);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    log_msg(LOG_INFO, "request %s: session of tenant %s with key %s signed out", req->request_id, req->tenant.name,
            req->key_prefix);
    set_cookie(req, NULL, 0);
    return http_reply_bytes(req, 204, NULL, "", 0);
}
