/* The routing table's rows, described once: router.c builds the table
 * from them and metrics.c sizes its counters by HTTP_ROUTE_COUNT, so a new
 * route is one line here and is counted under its own name. */
#ifndef REDRESS_ROUTES_H
#define REDRESS_ROUTES_H

/* X(method, pattern, handler, flags); {} matches one path segment. */
#define HTTP_ROUTES(X)                                                                            \
    X("GET", "/healthz", handle_healthz, ROUTE_PUBLIC)                                            \
    X("GET", "/readyz", handle_readyz, ROUTE_PUBLIC | ROUTE_DATABASE)                             \
    X("GET", "/metrics", handle_metrics, ROUTE_PUBLIC)                                            \
    X("GET", "/", handle_console_index, ROUTE_PUBLIC)                                             \
    X("GET", "/console/{}", handle_console_asset, ROUTE_PUBLIC)                                   \
    X("GET", "/console/{}/{}", handle_console_asset_nested, ROUTE_PUBLIC)                         \
    X("GET", "/v1/me", handle_me, ROUTE_AUTH)                                                     \
    X("POST", "/v1/sessions", handle_session_create, ROUTE_PUBLIC | ROUTE_JSON_BODY | ROUTE_DATABASE) \
    X("GET", "/v1/sessions/current", handle_session_current_get, ROUTE_AUTH)                       \
    X("DELETE", "/v1/sessions/current", handle_session_current_delete, ROUTE_AUTH)                 \
    X("POST", "/v1/cases", handle_cases_create, ROUTE_AUTH | ROUTE_JSON_BODY)                     \
    X("GET", "/v1/cases", handle_cases_search, ROUTE_AUTH)                                        \
    X("GET", "/v1/cases/{}", handle_case_get, ROUTE_AUTH)                                         \
    X("POST", "/v1/cases/{}/outcome", handle_outcome_record, ROUTE_AUTH | ROUTE_JSON_BODY)        \
    X("POST", "/v1/cases/{}/messages", handle_message_record, ROUTE_AUTH | ROUTE_JSON_BODY)       \
    X("GET", "/v1/cases/{}/evidence", handle_evidence_get, ROUTE_AUTH)                            \
    X("GET", "/v1/buyers/{}", handle_buyer_get, ROUTE_AUTH)                                       \
    X("POST", "/v1/replies/check", handle_replies_check, ROUTE_AUTH | ROUTE_JSON_BODY)            \
    X("POST", "/v1/triage", handle_triage, ROUTE_AUTH | ROUTE_JSON_BODY)                          \
    X("GET", "/v1/settings/costs", handle_tenant_costs_get, ROUTE_AUTH)                           \
    X("PUT", "/v1/settings/costs", handle_tenant_costs_put, ROUTE_AUTH | ROUTE_JSON_BODY)         \
    X("GET", "/v1/skus/{}/costs", handle_sku_costs_get, ROUTE_AUTH)                               \
    X("PUT", "/v1/skus/{}/costs", handle_sku_costs_put, ROUTE_AUTH | ROUTE_JSON_BODY)             \
    X("GET", "/v1/policy", handle_policy_get, ROUTE_AUTH)                                         \
    X("PUT", "/v1/policy", handle_policy_put, ROUTE_AUTH | ROUTE_JSON_BODY)                       \
    X("PATCH", "/v1/policy", handle_policy_patch, ROUTE_AUTH | ROUTE_JSON_BODY | ROUTE_MERGE_PATCH) \
    X("GET", "/v1/policy/versions", handle_policy_versions, ROUTE_AUTH)                           \
    X("GET", "/v1/policy/versions/{}", handle_policy_version_get, ROUTE_AUTH)                     \
    X("POST", "/v1/policy/simulate", handle_policy_simulate, ROUTE_AUTH | ROUTE_JSON_BODY) \
    X("GET", "/v1/reports/summary", handle_report_summary, ROUTE_AUTH)                           \
    X("GET", "/v1/reports/skus", handle_report_skus, ROUTE_AUTH)                                 \
    X("GET", "/v1/reports/health", handle_report_health, ROUTE_AUTH)                             \
    X("POST", "/v1/imports/{}", handle_imports_create, ROUTE_AUTH | ROUTE_STREAM_BODY)              \
    X("GET", "/v1/imports", handle_imports_list, ROUTE_AUTH)                                       \
    X("GET", "/v1/imports/{}", handle_import_get, ROUTE_AUTH)                                      \
    X("GET", "/v1/connectors/zendesk/template", handle_zendesk_template, ROUTE_AUTH)                \
    X("POST", "/v1/connectors/gorgias/events", handle_gorgias_events, ROUTE_AUTH | ROUTE_JSON_BODY)  \
    X("GET", "/v1/connectors/zendesk/deliveries", handle_zendesk_deliveries, ROUTE_AUTH)            \
    X("GET", "/v1/connectors/{}", handle_connector_get, ROUTE_AUTH)                                \
    X("PUT", "/v1/connectors/{}", handle_connector_put, ROUTE_AUTH | ROUTE_JSON_BODY) \
    X("POST", "/v1/connectors/zendesk/events", handle_zendesk_event, ROUTE_AUTH | ROUTE_JSON_BODY)

#define HTTP_ROUTE_PLUS_ONE(method, pattern, handler, flags) +1
enum { HTTP_ROUTE_COUNT = 0 HTTP_ROUTES(HTTP_ROUTE_PLUS_ONE) };

#endif
