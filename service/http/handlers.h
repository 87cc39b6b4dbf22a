/* Request handlers, one file per endpoint group; listed in router.c. */
#ifndef REDRESS_HANDLERS_H
#define REDRESS_HANDLERS_H

#include "connectors.h" /* connectors_settings, connectors_secret_open: moved to service/connectors */
#include "engine.h"
#include "http.h"

/* handlers_health.c */
enum MHD_Result handle_healthz(struct http_request *req);
enum MHD_Result handle_readyz(struct http_request *req);
enum MHD_Result handle_me(struct http_request *req);
enum MHD_Result handle_metrics(struct http_request *req);

/* handlers_cases.c */
enum MHD_Result handle_cases_create(struct http_request *req);
enum MHD_Result handle_case_get(struct http_request *req);
enum MHD_Result handle_cases_search(struct http_request *req);
enum MHD_Result handle_outcome_record(struct http_request *req);
enum MHD_Result handle_buyer_get(struct http_request *req);
/* handlers_evidence.c */
enum MHD_Result handle_evidence_get(struct http_request *req);
/** REDRESS_EVIDENCE_RENDERS: PDFs that may render at once (more get 503). */
void evidence_configure(unsigned renders);
/** An Idempotency-Key header's value is 1-255 printable ASCII characters. */
bool idempotency_key_valid(const char *key);
/** How a validated case is to be recorded (cases_record). */
struct case_record {
    const json_t *request;               /* the case's JSON as validated (stored canonical); borrowed */
    const char *idempotency_key;         /* NULL: none */
    const uint8_t *request_hash;         /* 32 bytes the key names; NULL: the canonical request's hash */
    const struct db_case_ticket *ticket; /* NULL: not from a helpdesk ticket; else written in the case's
                                            transaction (link, message received, outbox row) */
};
/** Record a validated case exactly as POST /v1/cases does (the same
 * decision, key semantics and lost-COMMIT check), without replying, so that
 * each caller shapes its own answer. rec is filled (the caller frees it
 * with db_case_new_cleanup, whatever the status): rec->result says created
 * (rec->response_body, the decision JSON, under case_id), replayed
 * (rec->replay_body, rec->replay_case_id), key mismatch, key in flight or
 * ticket taken. case_id (CRYPTO_UUID_STRLEN + 1 bytes) gets the id made for
 * the case. DB_OK, or the failure (DB_ERROR logged) to answer with
 * http_reply_db_error. A created case is counted in the metrics. */
enum db_status cases_record(struct http_request *req, const struct eng_case *c, const struct case_record *in,
                            int64_t now, char *case_id, struct db_case_new *rec);
/** What a key names, for POST /v1/cases/{case_id}/{what}: the route and the
 * canonical body (key order and white space do not count). 0, or -1 when
 * out of memory. */
int idempotency_request_hash(const char *case_id, const char *what, const json_t *body, uint8_t hash[32]);

/* handlers_sessions.c */
enum MHD_Result handle_session_create(struct http_request *req);
enum MHD_Result handle_session_current_get(struct http_request *req);
enum MHD_Result handle_session_current_delete(struct http_request *req);
/** REDRESS_SESSION_TTL_MINUTES: how long a session lasts from sign-in. */
void sessions_configure(unsigned ttl_minutes);
/** How the console's session cookie settled a ROUTE_AUTH request that has
 * no Authorization header (server.c authenticate). */
enum session_auth {
    SESSION_ABSENT,  /* no redress_session cookie: the caller asks for a key */
    SESSION_REFUSED, /* replied: 401 (malformed, expired, signed out, key revoked), 403 (CSRF), 503 */
    SESSION_OK,      /* req->tenant, req->key_prefix, req->session and req->db set */
};
/** The cookie's session, looked up in the database on every request; a
 * request that is not GET/HEAD must carry the session's X-CSRF-Token. */
enum session_auth sessions_authenticate(struct http_request *req);

/* handlers_messages.c */
enum MHD_Result handle_message_record(struct http_request *req);

/* handlers_zendesk.c */
enum MHD_Result handle_zendesk_event(struct http_request *req);

/* handlers_costs.c */
enum MHD_Result handle_tenant_costs_get(struct http_request *req);
enum MHD_Result handle_tenant_costs_put(struct http_request *req);
enum MHD_Result handle_sku_costs_get(struct http_request *req);
enum MHD_Result handle_sku_costs_put(struct http_request *req);
/** The policy and the case with the seller's cost settings applied. */
void costs_apply(const struct db_cost_settings *s, struct eng_case *c, struct eng_policy *policy);
/** Every tenant-wide cost setting names a `costs` tunable of the policy. */
bool costs_tenant_fields_known(void);

/* handlers_policy.c */
enum MHD_Result handle_policy_get(struct http_request *req);
enum MHD_Result handle_policy_put(struct http_request *req);
enum MHD_Result handle_policy_patch(struct http_request *req);
enum MHD_Result handle_policy_versions(struct http_request *req);
enum MHD_Result handle_policy_version_get(struct http_request *req);
/** The version of the tenant's policy this thread has parsed (0: none). */
int policy_cached_version(int64_t tenant_id);
/** The tenant's policy at `version`, from its stored document (NULL: the
 * one this thread cached, or the defaults for version 1); caches it.
 * Returns 0, or -1 when it cannot be had (logged). */
int policy_resolve(int64_t tenant_id, int version, const char *document, struct eng_policy *out);
/** The tenant's current policy, in one round trip (the document only when
 * this thread has not parsed that version yet). */
enum db_status policy_current(struct http_request *req, struct eng_policy *out);

/* handlers_simulate.c */
enum MHD_Result handle_policy_simulate(struct http_request *req);
/** The cost settings and history a decision used, as the JSON stored
 * beside it (malloc'd, caller frees; NULL when out of memory). */
char *policy_inputs_to_json(const struct db_cost_settings *costs, const struct eng_history *history);

/* handlers_replies.c */
enum MHD_Result handle_replies_check(struct http_request *req);
enum MHD_Result handle_triage(struct http_request *req);

/* handlers_reports.c */
enum MHD_Result handle_report_summary(struct http_request *req);
enum MHD_Result handle_report_skus(struct http_request *req);
enum MHD_Result handle_report_health(struct http_request *req);

/* handlers_imports.c */
enum MHD_Result handle_imports_create(struct http_request *req);
enum MHD_Result handle_imports_list(struct http_request *req);
enum MHD_Result handle_import_get(struct http_request *req);
/** The largest import (REDRESS_IMPORT_MAX_MIB) and how many may stream at
 * once (REDRESS_IMPORT_CONCURRENCY), set before serving. */
void imports_configure(unsigned max_mib, unsigned concurrency);

/* handlers_connectors.c */
enum MHD_Result handle_connector_get(struct http_request *req);
enum MHD_Result handle_connector_put(struct http_request *req);
enum MHD_Result handle_zendesk_deliveries(struct http_request *req);

/* handlers_template.c */
enum MHD_Result handle_zendesk_template(struct http_request *req);

/* handlers_gorgias.c */
enum MHD_Result handle_gorgias_events(struct http_request *req);

/* handlers_console.c: GET /, GET /console/{file} and /console/{folder}/{file} */
enum MHD_Result handle_console_index(struct http_request *req);
enum MHD_Result handle_console_asset(struct http_request *req);
enum MHD_Result handle_console_asset_nested(struct http_request *req);

/* Recording a message (handlers_messages.c), shared by the connectors:
 * the compliance guard's finding for a seller's message (*compliance a new
 * reference; NULL for the buyer's and the marketplace's), 0 or -1; then
 * what db_message_record stores: m->compliance from compliance and
 * m->response_body from answer (both borrowed; answer NULL is a failure),
 * freeing earlier ones, 0 or -1. */
struct db_message;
struct db_message_case;
int messages_compliance(const struct db_message *m, const struct db_message_case *kase, const char *request_id,
                        const char *case_id, json_t **compliance);
int messages_store(struct db_message *m, const json_t *compliance, const json_t *answer);
/* A recorded message as the connectors answer it: {message_id, from, at,
 * channel, compliance (when not NULL; borrowed)}; new reference, NULL when
 * out of memory. */
json_t *messages_brief_json(const struct db_message *m, json_t *compliance);

#endif
