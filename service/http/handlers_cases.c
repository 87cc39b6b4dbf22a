/* POST /v1/cases, GET /v1/cases/{id}, POST /v1/cases/{id}/outcome,
 * GET /v1/buyers/{id}. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "case_json.h"
#include "crypto.h"
#include "db_messages.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "utf8.h"
#include "validate.h"

/* 1-255 printable ASCII characters (contract). */
bool idempotency_key_valid(const char *key)
{
    size_t len = strlen(key);
    if (len < 1 || len > 255)
        return false;
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            return false;
    return true;
}

static enum MHD_Result reply_body_text(struct http_request *req, unsigned status, const char *body)
{
    return http_reply_bytes(req, status, "application/json", body, strlen(body));
}

struct decide_ctx {
    const struct eng_case *c;
    int64_t now;
};

/* The engine, inside the recording transaction (db_decide_fn). */
static int decide_and_render(const struct eng_history *history, const struct db_cost_settings *costs,
                             struct db_case_new *rec, void *cls)
{
    struct decide_ctx *ctx = cls;
    struct eng_decision *d = malloc(sizeof(*d)); /* large: keep it off worker stacks */
    if (d == NULL)
        return -1;
    int rc = -1;
    /* The tenant's current version, as the first pipeline read it, under
     * the seller's cost settings. */
    struct eng_policy tenant_policy;
    struct db_cost_settings settings = *costs;
    settings.policy = &tenant_policy;
    costs = &settings;
    if (policy_resolve(rec->tenant_id, rec->policy_version, rec->policy_document, &tenant_policy) != 0) {
        log_msg(LOG_ERROR, "case %s: policy version %d could not be read", rec->case_id, rec->policy_version);
        free(d);
        return -1;
    }
    json_t *body = NULL;
    if (case_evaluate(ctx->c, costs, history, ctx->now, rec->case_id, rec->created_at, d, &body) == 0) {
        free(rec->response_body);
        rec->response_body = body ? json_dumps(body, JSON_COMPACT) : NULL;
        json_decref(body);
        rec->responsibility = ENG_RESPONSIBILITY_NAMES[d->responsibility];
        rec->tier = ENG_TIER_NAMES[d->tier];
        rec->primary_action = ENG_ACTION_NAMES[d->remedy.primary];
        rec->risk = ENG_RISK_NAMES[d->risk];
        rec->refund_amount = d->remedy.refund_amount;
        rec->remedy_cost = d->remedy.cost;
        rec->full_return_cost = d->full_return.cost;
        free(rec->decision_inputs);
        rec->decision_inputs = policy_inputs_to_json(costs, history); /* what a replay needs */
        rc = rec->response_body != NULL && rec->decision_inputs != NULL ? 0 : -1;
    } else {
        log_msg(LOG_ERROR, "case %s: the engine refused a validated case", rec->case_id);
    }
    free(d);
    return rc;
}

static enum MHD_Result dry_run(struct http_request *req, const struct eng_case *request_case, int64_t now)
{
    struct eng_history history;
    struct db_cost_settings costs;
    const struct eng_case *c = request_case;
    enum db_status status = db_buyer_history(req->db, req->tenant.id, c->buyer.buyer_id,
                                             ENG_CATEGORY_NAMES[c->issue.category], c->order.currency->code,
                                             &history);
    if (status == DB_OK)
        status = db_cost_settings_get(req->db, req->tenant.id, c->order.sku, &costs);
    if (status == DB_OK)
        status = db_case_account_get(req->db, req->tenant.id, c->order.sku, c->order.currency->code, &costs.account);
    struct eng_policy tenant_policy;
    if (status == DB_OK)
        status = policy_current(req, &tenant_policy);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    costs.policy = &tenant_policy;
    struct eng_decision *d = malloc(sizeof(*d));
    if (d == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    json_t *body = NULL;
    case_evaluate(c, &costs, &history, now, NULL, NULL, d, &body); /* refused: body stays NULL */
    free(d);
    if (body == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "the decision could not be made");
    json_object_set_new(body, "dry_run", json_true());
    return http_reply_json(req, 200, body);
}

enum db_status cases_record(struct http_request *req, const struct eng_case *c, const struct case_record *in,
                            int64_t now, char *case_id, struct db_case_new *rec)
{
    memset(rec, 0, sizeof(*rec));
    /* Same key, same request: compared on canonical JSON, so key order and
     * white space do not make a retry look different. */
    char *canonical = json_dumps(in->request, JSON_COMPACT | JSON_SORT_KEYS);
    char created_at[32];
    if (in->request_hash != NULL)
        memcpy(rec->request_hash, in->request_hash, sizeof(rec->request_hash));
    if (canonical == NULL || crypto_uuid_v4(case_id) != 0
        || (in->request_hash == NULL && crypto_sha256(canonical, strlen(canonical), rec->request_hash) != 0)) {
        free(canonical);
        log_msg(LOG_ERROR, "request %s: out of memory recording a case", req->request_id);
        return DB_ERROR;
    }
    validate_format_time(now, created_at);
    rec->tenant_id = req->tenant.id;
    rec->case_id = case_id;
    rec->created_at = created_at;
    rec->buyer_id = c->buyer.buyer_id;
    rec->order_id = c->order.order_id;
    rec->sku = c->order.sku;
    rec->channel = ENG_CHANNEL_NAMES[c->channel];
    rec->category = ENG_CATEGORY_NAMES[c->issue.category];
    rec->currency = c->order.currency->code;
    rec->order_value = c->order.item_price * c->order.quantity + c->order.shipping_paid; /* bounded by validation */
    rec->request_json = canonical;
    rec->idempotency_key = in->idempotency_key;
    rec->policy_cached_version = policy_cached_version(req->tenant.id);
    rec->ticket = in->ticket;
    struct decide_ctx ctx = { c, now };
    enum db_status status = db_case_create(&req->db, rec, decide_and_render, &ctx);
    free(canonical);
    /* What pointed into this frame or the caller's request is not kept. */
    rec->request_json = rec->created_at = NULL;
    rec->ticket = NULL;
    if (status == DB_OK && rec->result == CASE_CREATED)
        metrics_decision(eng_enum_parse(ENG_TIER_NAMES, TIER_COUNT, rec->tier), (int)c->issue.category);
    return status;
}

enum MHD_Result handle_cases_create(struct http_request *req)
{
    const char *dry = http_query(req, "dry_run");
    if (dry != NULL && strcmp(dry, "true") != 0 && strcmp(dry, "false") != 0)
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "dry_run: must be true or false");
    const char *key = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Idempotency-Key");
    if (key != NULL && !idempotency_key_valid(key))
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER,
                                  "Idempotency-Key: must be 1 to 255 printable ASCII characters");
    json_t *errors = json_array();
    struct eng_case c;
    if (errors == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    if (!case_from_json(req->json, &c, errors))
        return http_reply_invalid(req, errors);
    json_decref(errors);
    int64_t now = (int64_t)time(NULL);
    if (dry != NULL && strcmp(dry, "true") == 0)
        return dry_run(req, &c, now);

    struct case_record in = { req->json, key, NULL, NULL };
    char case_id[CRYPTO_UUID_STRLEN + 1];
    struct db_case_new rec;
    enum db_status status = cases_record(req, &c, &in, now, case_id, &rec);

    enum MHD_Result result;
    char location[64];
    if (status != DB_OK) {
        result = http_reply_db_error(req, status);
    } else if (rec.result == CASE_KEY_IN_FLIGHT) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_IN_FLIGHT, "retry when the first request has answered");
    } else if (rec.result == CASE_KEY_MISMATCH) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_MISMATCH,
                                    "this Idempotency-Key was first used with a different body");
    } else if (rec.result == CASE_REPLAYED) {
        snprintf(location, sizeof(location), "/v1/cases/%s", rec.replay_case_id);
        http_add_header(req, MHD_HTTP_HEADER_LOCATION, location);
        http_add_header(req, "Idempotent-Replayed", "true");
        result = reply_body_text(req, 200, rec.replay_body);
    } else {
        snprintf(location, sizeof(location), "/v1/cases/%s", case_id);
        http_add_header(req, MHD_HTTP_HEADER_LOCATION, location);
        result = reply_body_text(req, 201, rec.response_body);
    }
    db_case_new_cleanup(&rec);
    return result;
}

enum MHD_Result handle_case_get(struct http_request *req)
{
    char *request = NULL, *decision = NULL, *outcomes = NULL, *messages = NULL;
    enum db_status status = db_case_get(req->db, req->tenant.id, req->path_args[0], &request, &decision, &outcomes);
    if (status == DB_OK)
        status = db_case_messages(req->db, req->tenant.id, req->path_args[0], &messages);
    if (status != DB_OK) {
        free(request);
        free(decision);
        free(outcomes);
        return http_reply_db_error(req, status);
    }
    json_t *request_json = json_loads(request, 0, NULL);
    json_t *decision_json = json_loads(decision, 0, NULL);
    json_t *outcomes_json = json_loads(outcomes, 0, NULL);
    json_t *messages_json = json_loads(messages, 0, NULL);
    free(request);
    free(decision);
    free(outcomes);
    free(messages);
    json_t *body = NULL;
    if (request_json != NULL && decision_json != NULL && outcomes_json != NULL && messages_json != NULL) {
        json_t *latest = json_array_size(outcomes_json) > 0
                             ? json_incref(json_array_get(outcomes_json, json_array_size(outcomes_json) - 1))
                             : json_null();
        body = json_pack("{s:O, s:O, s:O, s:O, s:o, s:O}", "case_id", json_object_get(decision_json, "case_id"),
                         "created_at", json_object_get(decision_json, "created_at"), "request", request_json,
                         "decision", decision_json, "outcome", latest, "outcome_history", outcomes_json);
        if (body != NULL && json_object_set(body, "messages", messages_json) != 0) {
            json_decref(body);
            body = NULL;
        }
    }
    json_decref(request_json);
    json_decref(decision_json);
    json_decref(outcomes_json);
    json_decref(messages_json);
    if (body == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "the stored case could not be read");
    return http_reply_json(req, 200, body);
}

/* The outcome body, declared like every other. */
static const char *const OUTCOME_STATUSES[] = { "accepted", "declined", "returned", "escalated" };
static const char *const REVIEW_OUTCOMES[] = { "none", "avoided", "posted", "updated", "removed" };

struct outcome_request {
    int status;
    int64_t final_refund;
    int review_outcome;
    bool order_retained;
    bool abuse_confirmed;
    const char *note;
};

#define OUTCOME_AT(member) offsetof(struct outcome_request, member)
static const struct field_spec OUTCOME_FIELDS[] = {
    { "status", FIELD_ENUM, true, OUTCOME_AT(status), 0, 0, OUTCOME_STATUSES, 4, NULL },
    { "final_refund", FIELD_INT, false, OUTCOME_AT(final_refund), 0, 100000000000LL, NULL, 0, "-1" },
    { "review_outcome", FIELD_ENUM, false, OUTCOME_AT(review_outcome), 0, 0, REVIEW_OUTCOMES, 5, "none" },
    { "order_retained", FIELD_BOOL, false, OUTCOME_AT(order_retained), 0, 0, NULL, 0, "false" },
    { "abuse_confirmed", FIELD_BOOL, false, OUTCOME_AT(abuse_confirmed), 0, 0, NULL, 0, "false" },
    { "note", FIELD_STRING, false, OUTCOME_AT(note), 0, 2000, NULL, 0, NULL },
};

/* The outcome's response, rendered inside the recording transaction once
 * the revision is known (db_outcome_render_fn): what is stored for a
 * keyed retry is byte for byte what is sent. */
static int render_outcome(struct db_outcome *o, void *cls)
{
    const char *case_id = cls;
    json_t *body = json_pack("{s:s, s:i, s:s, s:o, s:s, s:o, s:b, s:o, s:s}", "case_id", case_id,
                             "revision", o->revision, "status", o->status,
                             "final_refund", o->final_refund >= 0 ? json_integer(o->final_refund) : json_null(),
                             "review_outcome", o->review_outcome,
                             "order_retained", o->order_retained < 0 ? json_null() : json_boolean(o->order_retained),
                             "abuse_confirmed", o->abuse_confirmed,
                             "note", o->note ? json_string(o->note) : json_null(), "recorded_at", o->recorded_at);
    free(o->response_body);
    o->response_body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return o->response_body != NULL ? 0 : -1;
}

/* A key names one request: the route (so the case) and the canonical body. */
int idempotency_request_hash(const char *case_id, const char *what, const json_t *body, uint8_t hash[32])
{
    char *canonical = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    size_t prefix_len = strlen(case_id) + strlen(what) + 32;
    char *text = canonical ? malloc(prefix_len + strlen(canonical) + 1) : NULL;
    int rc = -1;
    if (text != NULL) {
        int n = snprintf(text, prefix_len, "POST /v1/cases/%s/%s\n", case_id, what);
        strcpy(text + n, canonical);
        rc = crypto_sha256(text, strlen(text), hash);
    }
    free(text);
    free(canonical);
    return rc;
}

enum MHD_Result handle_outcome_record(struct http_request *req)
{
    const char *key = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Idempotency-Key");
    if (key != NULL && !idempotency_key_valid(key))
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER,
                                  "Idempotency-Key: must be 1 to 255 printable ASCII characters");
    struct outcome_request in;
    json_t *errors = json_array();
    memset(&in, 0, sizeof(in));
    if (errors == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    if (!validate_json(req->json, OUTCOME_FIELDS, sizeof(OUTCOME_FIELDS) / sizeof(OUTCOME_FIELDS[0]), &in, errors))
        return http_reply_invalid(req, errors);
    json_decref(errors);
    /* order_retained is three-valued: true, false, or not reported. */
    json_t *retained = json_object_get(req->json, "order_retained");
    /* The id is made here, before the transaction, so that a lost COMMIT
     * can be checked by it (as a case's id is). */
    char outcome_id[CRYPTO_UUID_STRLEN + 1], recorded_at[32];
    validate_format_time((int64_t)time(NULL), recorded_at);
    struct db_outcome o = {
        .outcome_id = outcome_id,
        .recorded_at = recorded_at,
        .status = OUTCOME_STATUSES[in.status],
        .final_refund = in.final_refund,
        .review_outcome = REVIEW_OUTCOMES[in.review_outcome],
        .order_retained = json_is_boolean(retained) ? in.order_retained : -1,
        .abuse_confirmed = in.abuse_confirmed,
        .note = in.note,
        .idempotency_key = key,
    };
    const char *case_id = req->path_args[0];
    if (crypto_uuid_v4(outcome_id) != 0 || idempotency_request_hash(case_id, "outcome", req->json, o.request_hash) != 0)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    enum db_status status = db_outcome_record(&req->db, req->tenant.id, case_id, &o, render_outcome,
                                              (void *)(uintptr_t)case_id);
    enum MHD_Result result;
    if (status != DB_OK) {
        result = http_reply_db_error(req, status);
    } else if (o.result == OUTCOME_KEY_IN_FLIGHT) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_IN_FLIGHT, "retry when the first request has answered");
    } else if (o.result == OUTCOME_KEY_MISMATCH) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_MISMATCH,
                                    "this Idempotency-Key was first used with a different request");
    } else if (o.result == OUTCOME_REPLAYED) {
        http_add_header(req, "Idempotent-Replayed", "true");
        result = reply_body_text(req, 200, o.replay_body);
    } else {
        result = reply_body_text(req, 200, o.response_body);
    }
    db_outcome_cleanup(&o);
    return result;
}

enum MHD_Result handle_buyer_get(struct http_request *req)
{
    char *summary_text = NULL;
    enum db_status status = db_buyer_summary(req->db, req->tenant.id, req->path_args[0], &summary_text);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    json_t *summary = json_loads(summary_text, 0, NULL);
    free(summary_text);
    if (summary == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "the buyer summary could not be read");

    /* The current assessment: the history as the engine would weigh a new
     * claim for this buyer's most frequent recent problem. */
    const char *category = json_string_value(json_object_get(summary, "top_category_90d"));
    const char *currency = json_string_value(json_object_get(summary, "top_currency"));
    int cat = category ? eng_enum_parse(ENG_CATEGORY_NAMES, CAT_COUNT, category) : -1;
    struct eng_history history = { 0 };
    struct eng_policy policy;
    status = db_buyer_history(req->db, req->tenant.id, req->path_args[0], category ? category : "",
                              currency ? currency : "", &history);
    if (status == DB_OK)
        status = policy_current(req, &policy);
    if (status != DB_OK) {
        json_decref(summary);
        return http_reply_db_error(req, status);
    }
    struct eng_decision *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        json_decref(summary);
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    }
    eng_assess_history(&policy, &history, cat >= 0 ? (enum eng_category)cat : CAT_SERVICE_COMPLAINT, d);
    json_t *signals = json_array();
    for (int i = 0; i < d->n_signals; i++)
        json_array_append_new(signals, json_pack("{s:s, s:s}", "code", d->signals[i].code,
                                                 "detail", d->signals[i].detail));
    json_object_set_new(summary, "abuse", json_pack("{s:s, s:i, s:s, s:o}", "risk", ENG_RISK_NAMES[d->risk],
                                                    "score", d->abuse_score, "recommendation",
                                                    eng_risk_recommendation(d->risk), "signals", signals));
    free(d);
    json_object_del(summary, "top_category_90d");
    json_object_del(summary, "top_currency");
    return http_reply_json(req, 200, summary);
}

/* ---- GET /v1/cases: the console's case search ---- */

enum { CASE_SEARCH_DEFAULT_LIMIT = 20, CASE_SEARCH_FILTER_MAX = 128 };

/* The filters, each an exact match on one column (db_cases_search). */
static const struct case_search_filter {
    const char *name;
    size_t offset; /* of its const char * in struct db_case_search */
} CASE_SEARCH_FILTERS[] = {
    { "buyer_id", offsetof(struct db_case_search, buyer_id) },
    { "order_id", offsetof(struct db_case_search, order_id) },
    { "ticket_id", offsetof(struct db_case_search, ticket_id) },
    { "sku", offsetof(struct db_case_search, sku) },
};
static const char *const CASE_SEARCH_PARAMS[] = { "buyer_id", "order_id", "ticket_id", "sku", "limit", "before", NULL };
_Static_assert(sizeof(CASE_SEARCH_PARAMS) / sizeof(CASE_SEARCH_PARAMS[0])
                   == sizeof(CASE_SEARCH_FILTERS) / sizeof(CASE_SEARCH_FILTERS[0]) + 3,
               "every filter is a known parameter, with limit and before");

/* The cursor's time may not pass the last microsecond of 9999-12-31 UTC:
 * PostgreSQL's timestamps end soon after, and a larger one is no `next`. */
#define CURSOR_MICROS_MAX 253402300799999999LL

/* "<microseconds>.<case id>", as db_cases_search hands out in `next`:
 * digits only, no sign or blank. */
static bool cursor_parse(const char *text, struct db_case_search *search)
{
    const char *dot = strchr(text, '.');
    size_t digits = strspn(text, "0123456789");
    if (dot == NULL || text + digits != dot || digits == 0 || digits > 18)
        return false;
    long long micros = strtoll(text, NULL, 10);
    if (micros > CURSOR_MICROS_MAX || !crypto_uuid_valid(dot + 1))
        return false;
    search->after_cursor = true;
    search->cursor_micros = micros;
    search->cursor_case_id = dot + 1;
    return true;
}

enum MHD_Result handle_cases_search(struct http_request *req)
{
    enum MHD_Result sent;
    if (!http_query_known(req, CASE_SEARCH_PARAMS, &sent))
        return sent;
    struct db_case_search search = { .limit = CASE_SEARCH_DEFAULT_LIMIT };
    for (size_t i = 0; i < sizeof(CASE_SEARCH_FILTERS) / sizeof(CASE_SEARCH_FILTERS[0]); i++) {
        const char *value = http_query(req, CASE_SEARCH_FILTERS[i].name);
        if (value == NULL)
            continue;
        size_t len = strlen(value);
        if (len == 0 || len > CASE_SEARCH_FILTER_MAX || !utf8_valid(value, len)) {
            char detail[128];
            snprintf(detail, sizeof(detail), "%s: must be 1 to %d bytes of UTF-8", CASE_SEARCH_FILTERS[i].name,
                     CASE_SEARCH_FILTER_MAX);
            return http_reply_problem(req, PROBLEM_BAD_PARAMETER, detail);
        }
        *(const char **)((char *)&search + CASE_SEARCH_FILTERS[i].offset) = value;
    }
    const char *limit = http_query(req, "limit");
    if (limit != NULL) {
        char *end;
        long v = strtol(limit, &end, 10);
        if (*limit == '\0' || *end != '\0' || v < 1 || v > DB_CASE_SEARCH_MAX)
            return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "limit: must be a whole number from 1 to 100");
        search.limit = (int)v;
    }
    const char *before = http_query(req, "before");
    if (before != NULL && !cursor_parse(before, &search))
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "before: must be the `next` of an earlier page");

    char *cases = NULL, *next = NULL;
    enum db_status status = db_cases_search(req->db, req->tenant.id, &search, &cases, &next);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    json_t *list = json_loads(cases, 0, NULL);
    free(cases);
    json_t *body = list != NULL ? json_pack("{s:o, s:o}", "cases", list, "next", next ? json_string(next) : json_null())
                                : NULL;
    free(next);
    if (body == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "the cases could not be listed");
    return http_reply_json(req, 200, body);
}
