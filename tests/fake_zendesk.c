/* The fake Zendesk (see fake_zendesk.h): libmicrohttpd, a thread per
 * connection so that a held-back answer blocks no other request. */
#include "fake_zendesk.h"

#include <arpa/inet.h>
#include <check.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { BODY_MAX = 1 << 20 };

struct fake_zendesk {
    struct MHD_Daemon *daemon;
    unsigned port;
    char expected_auth[600]; /* "Basic <base64 of user/token:token>" */
    pthread_mutex_t lock;
    pthread_cond_t changed; /* stopping, for a held-back answer */
    bool stopping;
    int fail_left, fail_status, retry_after_s;
    int hang_left, hang_ms;
    char hang_prefix[24]; /* "": none */
    int hang_prefix_ms;
    int garble_left;
    int puts, gets, rejected;
    double last_put_at, last_get_at;
    json_t *tickets; /* id -> {"comments": [...], "tags": [...]} */
    int next_comment_id;
};

struct upload {
    char *data;
    size_t len;
    bool too_large;
};

static double wall_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, json_t *body, int retry_after_s)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(text != NULL ? strlen(text) : 0, text,
                                                             MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    if (retry_after_s > 0) {
        char value[16];
        snprintf(value, sizeof(value), "%d", retry_after_s);
        MHD_add_response_header(r, "Retry-After", value);
    }
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result reject(struct fake_zendesk *fz, struct MHD_Connection *conn, unsigned status,
                              const char *why)
{
    pthread_mutex_lock(&fz->lock);
    fz->rejected++;
    pthread_mutex_unlock(&fz->lock);
    fprintf(stderr, "fake zendesk: rejected (%u): %s\n", status, why);
    return answer(conn, status, json_pack("{s:s, s:s}", "error", "RecordInvalid", "description", why), 0);
}

/* "/api/v2/tickets/<digits><suffix>": the id into id_out. */
static bool ticket_path(const char *url, const char *suffix, char *id_out, size_t size)
{
    const char *prefix = "/api/v2/tickets/";
    if (strncmp(url, prefix, strlen(prefix)) != 0)
        return false;
    const char *id = url + strlen(prefix);
    size_t n = strspn(id, "0123456789");
    if (n == 0 || n >= size || strcmp(id + n, suffix) != 0)
        return false;
    memcpy(id_out, id, n);
    id_out[n] = '\0';
    return true;
}

/* The ticket's record, made on first use (lock held). */
static json_t *ticket_record(struct fake_zendesk *fz, const char *id)
{
    json_t *t = json_object_get(fz->tickets, id);
    if (t == NULL) {
        t = json_pack("{s:[], s:[]}", "comments", "tags");
        json_object_set_new(fz->tickets, id, t);
    }
    return t;
}

/* The body as Zendesk's Update Ticket takes it for a private note with
 * tags, and nothing else; NULL with *why otherwise. */
static json_t *update_body(const struct upload *u, const char **why)
{
    json_error_t error;
    json_t *doc = u->data != NULL ? json_loadb(u->data, u->len, 0, &error) : NULL;
    json_t *comment_body = NULL, *tags = NULL;
    int is_public = 1;
    *why = NULL;
    if (doc == NULL)
        *why = "the body is not JSON";
    else if (json_unpack_ex(doc, &error, JSON_STRICT, "{s:{s:{s:o, s:b}, s:o}}", "ticket", "comment", "body",
                            &comment_body, "public", &is_public, "additional_tags", &tags) != 0)
        *why = "the body is not {ticket: {comment: {body, public}, additional_tags}}";
    else if (!json_is_string(comment_body) || json_string_length(comment_body) == 0)
        *why = "ticket.comment.body must be a non-empty string";
    else if (is_public)
        *why = "ticket.comment.public must be false (an internal note)";
    else if (!json_is_array(tags) || json_array_size(tags) == 0)
        *why = "ticket.additional_tags must be a non-empty array";
    for (size_t i = 0; *why == NULL && i < json_array_size(tags); i++)
        if (!json_is_string(json_array_get(tags, i)))
            *why = "ticket.additional_tags must hold strings";
    if (*why != NULL) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static enum MHD_Result update_ticket(struct fake_zendesk *fz, struct MHD_Connection *conn, const char *id,
                                     const struct upload *u)
{
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (type == NULL || strncmp(type, "application/json", 16) != 0)
        return reject(fz, conn, 400, "Content-Type must be application/json");
    const char *why;
    json_t *doc = update_body(u, &why);
    if (doc == NULL)
        return reject(fz, conn, 400, why);
    pthread_mutex_lock(&fz->lock);
    fz->puts++;
    fz->last_put_at = wall_now();
    if (fz->fail_left > 0) {
        fz->fail_left--;
        int status = fz->fail_status,
            retry_after = fz->fail_status == 429 || fz->fail_status >= 500 ? fz->retry_after_s : 0;
        pthread_mutex_unlock(&fz->lock);
        json_decref(doc);
        return answer(conn, (unsigned)status,
                      json_pack("{s:s}", "error", status == 404 ? "RecordNotFound" : "failing on demand"),
                      retry_after);
    }
    json_t *ticket = json_object_get(doc, "ticket"), *t = ticket_record(fz, id);
    json_array_append_new(json_object_get(t, "comments"),
                          json_pack("{s:i, s:O, s:b}", "id", ++fz->next_comment_id, "body",
                                    json_object_get(json_object_get(ticket, "comment"), "body"), "public", 0));
    json_array_extend(json_object_get(t, "tags"), json_object_get(ticket, "additional_tags"));
    json_t *reply = json_pack("{s:{s:I, s:O}}", "ticket", "id", (json_int_t)strtoll(id, NULL, 10), "tags",
                              json_object_get(t, "tags"));
    int hang_ms = 0;
    if (fz->hang_left > 0) {
        fz->hang_left--;
        hang_ms = fz->hang_ms;
    }
    if (fz->hang_prefix[0] != '\0' && strncmp(id, fz->hang_prefix, strlen(fz->hang_prefix)) == 0)
        hang_ms = fz->hang_prefix_ms;
    if (hang_ms > 0) { /* kept, and the answer held back */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += hang_ms / 1000;
        until.tv_nsec += (long)(hang_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!fz->stopping && pthread_cond_timedwait(&fz->changed, &fz->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&fz->lock);
    json_decref(doc);
    return answer(conn, 200, reply, 0);
}

static enum MHD_Result list_comments(struct fake_zendesk *fz, struct MHD_Connection *conn, const char *id)
{
    const char *order = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "sort_order");
    if (order == NULL || strcmp(order, "desc") != 0)
        return reject(fz, conn, 400, "the worker lists comments newest first (sort_order=desc)");
    const char *per_page = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "per_page");
    int page = per_page != NULL ? atoi(per_page) : 0;
    if (page < 1 || page > 100)
        return reject(fz, conn, 400, "per_page must be 1-100 (Zendesk's default page is 100 oldest first)");
    pthread_mutex_lock(&fz->lock);
    fz->gets++;
    fz->last_get_at = wall_now();
    if (fz->garble_left > 0) {
        fz->garble_left--;
        pthread_mutex_unlock(&fz->lock);
        static char page_html[] = "<html><body>Zendesk is under maintenance</body></html>";
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(page_html), page_html,
                                                                 MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Content-Type", "text/html");
        enum MHD_Result ok = MHD_queue_response(conn, 200, r);
        MHD_destroy_response(r);
        return ok;
    }
    json_t *kept = json_object_get(json_object_get(fz->tickets, id), "comments"), *newest_first = json_array();
    for (size_t i = json_array_size(kept); i > 0 && json_array_size(newest_first) < (size_t)page; i--)
        json_array_append(newest_first, json_array_get(kept, i - 1));
    pthread_mutex_unlock(&fz->lock);
    return answer(conn, 200,
                  json_pack("{s:o, s:n, s:n, s:I}", "comments", newest_first, "next_page", "previous_page",
                            "count", (json_int_t)json_array_size(newest_first)),
                  0);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *data, size_t *data_size, void **state)
{
    (void)version;
    struct fake_zendesk *fz = cls;
    struct upload *u = *state;
    if (u == NULL) {
        *state = calloc(1, sizeof(struct upload));
        return *state != NULL ? MHD_YES : MHD_NO;
    }
    if (*data_size > 0) {
        if (u->len + *data_size > BODY_MAX) {
            u->too_large = true;
        } else {
            char *grown = realloc(u->data, u->len + *data_size + 1);
            if (grown == NULL)
                return MHD_NO;
            memcpy(grown + u->len, data, *data_size);
            u->data = grown;
            u->len += *data_size;
            u->data[u->len] = '\0';
        }
        *data_size = 0;
        return MHD_YES;
    }
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (auth == NULL || strcmp(auth, fz->expected_auth) != 0)
        return reject(fz, conn, 401, "Basic auth with {email}/token:{api_token} expected");
    if (u->too_large)
        return reject(fz, conn, 413, "body too large");
    char id[24];
    if (strcmp(method, "PUT") == 0 && ticket_path(url, ".json", id, sizeof(id)))
        return update_ticket(fz, conn, id, u);
    if (strcmp(method, "GET") == 0 && ticket_path(url, "/comments.json", id, sizeof(id)))
        return list_comments(fz, conn, id);
    return reject(fz, conn, 404, "no such endpoint in this fake");
}

static void completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)conn, (void)code;
    struct upload *u = *state;
    if (u != NULL) {
        free(u->data);
        free(u);
    }
    *state = NULL;
}

struct fake_zendesk *fake_zendesk_start(const char *api_user, const char *api_token)
{
    struct fake_zendesk *fz = calloc(1, sizeof(*fz));
    ck_assert_ptr_nonnull(fz);
    char credentials[400];
    int n = snprintf(credentials, sizeof(credentials), "%s/token:%s", api_user, api_token);
    ck_assert(n > 0 && (size_t)n < sizeof(credentials));
    unsigned char encoded[4 * sizeof(credentials) / 3 + 4];
    EVP_EncodeBlock(encoded, (const unsigned char *)credentials, n);
    snprintf(fz->expected_auth, sizeof(fz->expected_auth), "Basic %s", encoded);
    pthread_mutex_init(&fz->lock, NULL);
    pthread_cond_init(&fz->changed, NULL);
    fz->tickets = json_object();
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fz->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                                  handle, fz, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                  MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    ck_assert_msg(fz->daemon != NULL, "the fake Zendesk could not listen on 127.0.0.1");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(fz->daemon, MHD_DAEMON_INFO_BIND_PORT);
    ck_assert_ptr_nonnull(info);
    fz->port = info->port;
    return fz;
}

void fake_zendesk_stop(struct fake_zendesk *fz)
{
    if (fz == NULL)
        return;
    pthread_mutex_lock(&fz->lock);
    fz->stopping = true;
    pthread_cond_broadcast(&fz->changed);
    pthread_mutex_unlock(&fz->lock);
    MHD_stop_daemon(fz->daemon);
    json_decref(fz->tickets);
    pthread_cond_destroy(&fz->changed);
    pthread_mutex_destroy(&fz->lock);
    free(fz);
}

void fake_zendesk_base_env(const struct fake_zendesk *fz, char *out, size_t size)
{
    snprintf(out, size, "REDRESS_ZENDESK_API_BASE=http://127.0.0.1:%u", fz->port);
}

void fake_zendesk_fail_next(struct fake_zendesk *fz, int n, int status, int retry_after_s)
{
    pthread_mutex_lock(&fz->lock);
    fz->fail_left = n;
    fz->fail_status = status;
    fz->retry_after_s = retry_after_s;
    pthread_mutex_unlock(&fz->lock);
}

void fake_zendesk_hang_next(struct fake_zendesk *fz, int n, int hang_ms)
{
    pthread_mutex_lock(&fz->lock);
    fz->hang_left = n;
    fz->hang_ms = hang_ms;
    pthread_mutex_unlock(&fz->lock);
}

void fake_zendesk_hang_tickets(struct fake_zendesk *fz, const char *prefix, int hang_ms)
{
    pthread_mutex_lock(&fz->lock);
    snprintf(fz->hang_prefix, sizeof(fz->hang_prefix), "%s", prefix);
    fz->hang_prefix_ms = hang_ms;
    pthread_mutex_unlock(&fz->lock);
}

void fake_zendesk_garble_listings(struct fake_zendesk *fz, int n)
{
    pthread_mutex_lock(&fz->lock);
    fz->garble_left = n;
    pthread_mutex_unlock(&fz->lock);
}

#define COUNTER(name)                                   \
    int fake_zendesk_##name(struct fake_zendesk *fz)    \
    {                                                   \
        pthread_mutex_lock(&fz->lock);                  \
        int value = fz->name;                           \
        pthread_mutex_unlock(&fz->lock);                \
        return value;                                   \
    }
COUNTER(puts)
COUNTER(gets)
COUNTER(rejected)

double fake_zendesk_last_put_at(struct fake_zendesk *fz)
{
    pthread_mutex_lock(&fz->lock);
    double at = fz->last_put_at;
    pthread_mutex_unlock(&fz->lock);
    return at;
}

double fake_zendesk_last_get_at(struct fake_zendesk *fz)
{
    pthread_mutex_lock(&fz->lock);
    double at = fz->last_get_at;
    pthread_mutex_unlock(&fz->lock);
    return at;
}

static json_t *ticket_part(struct fake_zendesk *fz, const char *ticket_id, const char *part)
{
    pthread_mutex_lock(&fz->lock);
    json_t *value = json_deep_copy(json_object_get(json_object_get(fz->tickets, ticket_id), part));
    pthread_mutex_unlock(&fz->lock);
    return value != NULL ? value : json_array();
}

json_t *fake_zendesk_comments(struct fake_zendesk *fz, const char *ticket_id)
{
    return ticket_part(fz, ticket_id, "comments");
}

json_t *fake_zendesk_tags(struct fake_zendesk *fz, const char *ticket_id)
{
    return ticket_part(fz, ticket_id, "tags");
}

bool fake_zendesk_wait(struct fake_zendesk *fz, int (*count)(struct fake_zendesk *), int n, int seconds)
{
    for (int i = 0; i < seconds * 50; i++) {
        if (count(fz) >= n)
            return true;
        struct timespec pause = { 0, 20 * 1000000L };
        nanosleep(&pause, NULL);
    }
    return count(fz) >= n;
}
