/* The one place responses are built: JSON, problem+json and the headers
 * every response carries (X-Request-Id, Cache-Control). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "validate.h"
#include "http.h"
#include "log.h"

struct problem_info {
    unsigned status;
    const char *slug;
    const char *title;
};

static const struct problem_info PROBLEMS[PROBLEM_COUNT] = {
    [PROBLEM_MALFORMED_JSON] = { 400, "malformed-json", "The request body is not valid JSON" },
    [PROBLEM_VALIDATION] = { 400, "validation", "The request has invalid fields" },
    [PROBLEM_BAD_PARAMETER] = { 400, "bad-parameter", "A header or query parameter is invalid" },
    [PROBLEM_UNAUTHORIZED] = { 401, "unauthorized", "A valid API key is required" },
    [PROBLEM_CSRF_REJECTED] = { 403, "csrf-rejected", "CSRF token missing or wrong" },
    [PROBLEM_NOT_FOUND] = { 404, "not-found", "Not found" },
    [PROBLEM_METHOD_NOT_ALLOWED] = { 405, "method-not-allowed", "Method not allowed" },
    [PROBLEM_NOT_ACCEPTABLE] = { 406, "not-acceptable", "No representation matches the Accept header" },
    [PROBLEM_IDEMPOTENCY_IN_FLIGHT] = { 409, "idempotency-in-flight",
                                        "A request with this Idempotency-Key is still running" },
    [PROBLEM_PAYLOAD_TOO_LARGE] = { 413, "payload-too-large", "The request body is too large" },
    [PROBLEM_UNSUPPORTED_MEDIA_TYPE] = { 415, "unsupported-media-type",
                                         "The request body must be application/json" },
    [PROBLEM_PRECONDITION_FAILED] = { 412, "precondition-failed",
                                      "If-Match does not name the current version" },
    [PROBLEM_PRECONDITION_REQUIRED] = { 428, "precondition-required",
                                        "This change needs If-Match with the current version" },
    [PROBLEM_IDEMPOTENCY_MISMATCH] = { 422, "idempotency-mismatch",
                                       "This Idempotency-Key was used with a different request" },
    [PROBLEM_IMPORT_REFUSED] = { 422, "import-refused", "The file cannot be imported" },
    [PROBLEM_UNPROCESSABLE] = { 422, "unprocessable", "The request cannot be decided as sent" },
    [PROBLEM_RATE_LIMITED] = { 429, "rate-limited", "Too many requests for this tenant" },
    [PROBLEM_INTERNAL] = { 500, "internal", "Internal error" },
    [PROBLEM_DB_UNAVAILABLE] = { 503, "database-unavailable", "The database is unavailable" },
    [PROBLEM_NOT_READY] = { 503, "not-ready", "The service is not ready" },
    [PROBLEM_CONNECTORS_DISABLED] = { 503, "connectors-disabled",
                                      "Connectors are disabled on this server" },
};

unsigned http_problem_status(enum http_problem problem)
{
    return PROBLEMS[problem].status;
}

void http_add_header(struct http_request *req, const char *name, const char *value)
{
    if (req->n_extra_headers == HTTP_MAX_EXTRA_HEADERS) {
        log_msg(LOG_ERROR, "request %s: header %s dropped: more than HTTP_MAX_EXTRA_HEADERS (%d)",
                req->request_id, name, HTTP_MAX_EXTRA_HEADERS);
        return;
    }
    char *copy = strdup(value);
    if (copy == NULL)
        return;
    req->extra_headers[req->n_extra_headers].name = name;
    req->extra_headers[req->n_extra_headers].value = copy;
    req->n_extra_headers++;
}

/* The API's answers are never stored (no-store); a handler that queued its
 * own Cache-Control (the console's files) has it instead. */
static bool cache_control_queued(const struct http_request *req)
{
    for (int i = 0; i < req->n_extra_headers; i++) {
        if (strcasecmp(req->extra_headers[i].name, MHD_HTTP_HEADER_CACHE_CONTROL) == 0)
            return true;
    }
    return false;
}

enum MHD_Result http_reply_bytes(struct http_request *req, unsigned status, const char *content_type,
                                 const char *data, size_t len)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
    if (response == NULL)
        return MHD_NO; /* MHD closes the connection */
    bool ok = (content_type == NULL /* no content: a 204 */
               || MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) == MHD_YES)
              && MHD_add_response_header(response, "X-Request-Id", req->request_id) == MHD_YES
              && (cache_control_queued(req)
                  || MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES);
    for (int i = 0; ok && i < req->n_extra_headers; i++)
        ok = MHD_add_response_header(response, req->extra_headers[i].name,
                                     req->extra_headers[i].value) == MHD_YES;
    /* Shutting down: no further request on this connection. */
    if (ok && http_server_draining(req->server) && MHD_get_response_header(response, MHD_HTTP_HEADER_CONNECTION) == NULL)
        ok = MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
    enum MHD_Result result = ok ? MHD_queue_response(req->connection, status, response) : MHD_NO;
    MHD_destroy_response(response);
    if (result == MHD_YES) {
        req->status = status;
        req->responded = true;
    }
    return result;
}

static enum MHD_Result reply_json_typed(struct http_request *req, unsigned status,
                                        const char *content_type, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        static const char FALLBACK[] =
            "{\"type\":\"urn:redress:problem:internal\",\"title\":\"Internal error\",\"status\":500}";
        return http_reply_bytes(req, 500, "application/problem+json", FALLBACK, sizeof(FALLBACK) - 1);
    }
    enum MHD_Result result = http_reply_bytes(req, status, content_type, text, strlen(text));
    free(text);
    return result;
}

enum MHD_Result http_reply_json(struct http_request *req, unsigned status, json_t *body)
{
    return reply_json_typed(req, status, "application/json", body);
}

static enum MHD_Result reply_problem_with(struct http_request *req, enum http_problem problem,
                                          const char *detail, json_t *errors, json_t *members)
{
    const struct problem_info *info = &PROBLEMS[problem];
    char type[96];
    snprintf(type, sizeof(type), "urn:redress:problem:%s", info->slug);
    json_t *body = json_pack("{s:s, s:s, s:i}", "type", type, "title", info->title,
                             "status", (int)info->status);
    if (body != NULL && detail != NULL)
        json_object_set_new(body, "detail", json_string(detail));
    if (body != NULL && errors != NULL)
        json_object_set(body, "errors", errors);
    json_decref(errors);
    if (body != NULL && members != NULL)
        json_object_update_missing(body, members); /* type, title, status and detail stay ours */
    json_decref(members);
    if (info->status == 401)
        http_add_header(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"redress\"");
    /* a moment's outage is worth retrying; a missing key is not */
    if (info->status == 503 && problem != PROBLEM_CONNECTORS_DISABLED)
        http_add_header(req, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    return reply_json_typed(req, info->status, "application/problem+json", body);
}

enum MHD_Result http_reply_problem(struct http_request *req, enum http_problem problem, const char *detail)
{
    return reply_problem_with(req, problem, detail, NULL, NULL);
}

enum MHD_Result http_reply_problem_with(struct http_request *req, enum http_problem problem, const char *detail,
                                        json_t *members)
{
    return reply_problem_with(req, problem, detail, NULL, members);
}

enum MHD_Result http_reply_invalid(struct http_request *req, json_t *errors)
{
    size_t n = json_array_size(errors);
    if (n == 0) { /* no array, or problems that could not be recorded */
        json_decref(errors);
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory while validating the request");
    }
    /* Only what the fields say (validate_error_unprocessable) and nothing
     * malformed: 422; anything malformed: 400. The mark stays inside. */
    size_t unprocessable = 0, i;
    json_t *entry;
    json_array_foreach(errors, i, entry) {
        unprocessable += json_is_true(json_object_get(entry, VALIDATE_UNPROCESSABLE_MARK));
        json_object_del(entry, VALIDATE_UNPROCESSABLE_MARK);
    }
    enum http_problem problem = unprocessable == n ? PROBLEM_UNPROCESSABLE : PROBLEM_VALIDATION;
    char detail[160];
    json_t *first = json_array_get(errors, 0);
    if (n == 1)
        snprintf(detail, sizeof(detail), "%s: %s", json_string_value(json_object_get(first, "field")),
                 json_string_value(json_object_get(first, "message")));
    else
        snprintf(detail, sizeof(detail), "%zu fields are invalid; see errors", n);
    return reply_problem_with(req, problem, detail, errors, NULL);
}

enum MHD_Result http_reply_db_error(struct http_request *req, enum db_status status)
{
    switch (status) {
    case DB_UNAVAILABLE:
    case DB_COMMIT_UNKNOWN:
    case DB_SERIALIZATION:
        return http_reply_problem(req, PROBLEM_DB_UNAVAILABLE,
                                  "the database could not be reached; retry with the same Idempotency-Key");
    case DB_SCHEMA_NOT_READY:
        return http_reply_problem(req, PROBLEM_NOT_READY, "the database schema is not current");
    case DB_NOT_FOUND:
        return http_reply_problem(req, PROBLEM_NOT_FOUND, NULL);
    default:
        log_msg(LOG_ERROR, "request %s: database error (%s)", req->request_id, db_status_name(status));
        return http_reply_problem(req, PROBLEM_INTERNAL, "a database error occurred");
    }
}
