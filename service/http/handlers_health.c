/* Liveness, readiness, and "who am I" for API keys. */
#include <stdlib.h>

#include "handlers.h"
#include "routes.h"
#include "metrics.h"

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

enum MHD_Result handle_metrics(struct http_request *req)
{
    const char *names[HTTP_ROUTE_COUNT];
    int n = http_route_names(names, HTTP_ROUTE_COUNT);
    struct buf out;
    buf_init(&out, 0);
    metrics_render(&out, names, n);
    size_t len = 0;
    char *text = buf_steal(&out, &len);
    if (text == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    enum MHD_Result result = http_reply_bytes(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
    return result;
}
