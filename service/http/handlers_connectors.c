/* The helpdesk connectors' settings over HTTP: GET/PUT /v1/connectors/{name}.
 * What a connector's settings are, how they validate and how secrets are
 * sealed is described once in service/connectors/settings.c; this file
 * parses, calls and replies. GET /v1/connectors/zendesk/deliveries lists
 * what the delivery worker (service/connectors/outbox.c) sent or owes. */
#include <stdlib.h>
#include <string.h>

#include "connectors.h"
#include "crypto.h"
#include "db_outbox.h"
#include "handlers.h"

static enum MHD_Result reply_settings(struct http_request *req, const char *connector)
{
    enum db_status st;
    json_t *view = connectors_settings(req->db, req->tenant.id, connector, &st);
    if (st == DB_ERROR) {
        log_msg(LOG_ERROR, "request %s: the %s settings could not be shown", req->request_id, connector);
        return http_reply_problem(req, PROBLEM_INTERNAL, "the connector settings could not be read");
    }
    if (view == NULL)
        return http_reply_db_error(req, st);
    return http_reply_json(req, 200, view);
}

enum MHD_Result handle_connector_get(struct http_request *req)
{
    if (!connectors_known(req->path_args[0]))
        return http_reply_problem(req, PROBLEM_NOT_FOUND, "connectors are zendesk and gorgias");
    return reply_settings(req, req->path_args[0]);
}

enum MHD_Result handle_connector_put(struct http_request *req)
{
    const char *connector = req->path_args[0];
    json_t *errors = json_array(); /* ours until a reply takes it */
    enum db_status st;
    enum connectors_put_outcome outcome = errors == NULL ? CONNECTORS_PUT_FAILED
        : connectors_settings_put(&req->db, http_server_secret_key(req->server), req->tenant.id, connector, req->json,
                                  errors, &st);
    switch (outcome) {
    case CONNECTORS_PUT_STORED:
        json_decref(errors);
        return reply_settings(req, connector);
    case CONNECTORS_PUT_UNKNOWN:
        json_decref(errors);
        return http_reply_problem(req, PROBLEM_NOT_FOUND, "connectors are zendesk and gorgias");
    case CONNECTORS_PUT_INVALID:
        return http_reply_invalid(req, errors);
    case CONNECTORS_PUT_NO_KEY:
        json_decref(errors);
        return http_reply_problem(req, PROBLEM_CONNECTORS_DISABLED,
                                  "REDRESS_SECRET_KEY is not set: connector secrets cannot be stored");
    case CONNECTORS_PUT_DB_ERROR:
        json_decref(errors);
        return http_reply_db_error(req, st);
    case CONNECTORS_PUT_FAILED:
        break;
    }
    json_decref(errors);
    log_msg(LOG_ERROR, "request %s: the %s settings could not be stored", req->request_id, connector);
    return http_reply_problem(req, PROBLEM_INTERNAL, "the connector settings could not be stored");
}

/* ---- GET /v1/connectors/zendesk/deliveries ---- */

enum { DELIVERIES_PAGE_DEFAULT = 50, DELIVERIES_PAGE_MAX = 200 };
static const char *const DELIVERY_STATES[] = { "pending", "delivered", "failed" };

static json_t *delivery_json(const struct db_delivery_row *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:s, s:o}", "delivery_id", r->delivery_id,
                     "case_id", r->case_id, "ticket_id", r->ticket_id, "state", r->state, "attempts", r->attempts,
                     "last_status", r->last_status > 0 ? json_integer(r->last_status) : json_null(),
                     "last_error", r->last_error != NULL ? json_string(r->last_error) : json_null(),
                     "next_attempt_at", strcmp(r->state, "pending") == 0 ? json_string(r->next_attempt_at)
                                                                         : json_null(),
                     "created_at", r->created_at,
                     "delivered_at", r->delivered_at[0] != '\0' ? json_string(r->delivered_at) : json_null());
}

enum MHD_Result handle_zendesk_deliveries(struct http_request *req)
{
    const char *state = http_query(req, "state"), *limit_text = http_query(req, "limit"),
               *after = http_query(req, "after");
    bool state_known = state == NULL;
    for (size_t i = 0; !state_known && i < sizeof(DELIVERY_STATES) / sizeof(DELIVERY_STATES[0]); i++)
        state_known = strcmp(state, DELIVERY_STATES[i]) == 0;
    if (!state_known)
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "state: must be pending, delivered or failed");
    int limit = DELIVERIES_PAGE_DEFAULT;
    if (limit_text != NULL) {
        char *end;
        long v = strtol(limit_text, &end, 10);
        if (*limit_text == '\0' || *end != '\0' || v < 1 || v > DELIVERIES_PAGE_MAX)
            return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "limit: must be a whole number from 1 to 200");
        limit = (int)v;
    }
    if (after != NULL && !crypto_uuid_valid(after))
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "after: must be a delivery_id from an earlier page");
    if (after != NULL) {
        /* A cursor this tenant does not have would read as "no more". */
        enum db_status known = db_delivery_exists(req->db, req->tenant.id, "zendesk", after);
        if (known == DB_NOT_FOUND)
            return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "after: no delivery of yours has that id");
        if (known != DB_OK)
            return http_reply_db_error(req, known);
    }
    struct db_delivery_row *rows; /* ours: cleaned and freed below */
    int n;
    enum db_status status = db_deliveries_list(req->db, req->tenant.id, "zendesk", state, after, limit, &rows, &n);
    json_t *items = status == DB_OK ? json_array() : NULL;
    for (int i = 0; items != NULL && i < n; i++)
        if (json_array_append_new(items, delivery_json(&rows[i])) != 0) {
            json_decref(items);
            items = NULL;
        }
    json_t *body = items != NULL ? json_pack("{s:o}", "deliveries", items) : NULL;
    if (body != NULL && n == limit)
        json_object_set_new(body, "next_after", json_string(rows[n - 1].delivery_id));
    for (int i = 0; i < n; i++)
        db_delivery_row_cleanup(&rows[i]);
    free(rows);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    if (body == NULL) {
        log_msg(LOG_ERROR, "request %s: the deliveries could not be shown (out of memory)", req->request_id);
        return http_reply_problem(req, PROBLEM_INTERNAL, "the deliveries could not be listed");
    }
    return http_reply_json(req, 200, body);
}
