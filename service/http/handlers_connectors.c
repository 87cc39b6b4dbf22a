/* The helpdesk connectors' settings over HTTP: GET/PUT /v1/connectors/{name}.
 * What a connector's settings are, how they validate and how secrets are
 * sealed is described once in service/connectors/settings.c; this file
 * parses, calls and replies. */
#include "connectors.h"
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
