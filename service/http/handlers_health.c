/* Liveness, readiness, and "who am I" for API keys. */
#include "handlers.h"

enum MHD_Result handle_healthz(struct http_request *req)
{
    return http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

enum MHD_Result handle_readyz(struct http_request *req)
{
    char detail[256];
    enum db_status status = db_migrations_current(req->db, detail, sizeof(detail));
    if (status == DB_SCHEMA_NOT_READY)
        return http_reply_problem(req, PROBLEM_NOT_READY, detail);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    return http_reply_json(req, 200, json_pack("{s:s, s:s, s:s}", "status", "ready",
                                               "database", "ok", "migrations", "current"));
}

enum MHD_Result handle_me(struct http_request *req)
{
    return http_reply_json(req, 200, json_pack("{s:s}", "tenant", req->tenant.name));
}
