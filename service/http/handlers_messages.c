/* POST /v1/cases/{id}/messages: record a message of the conversation on a
 * case. A seller's message is checked by the compliance guard; what it
 * finds is a warning stored with the message, never a refusal (the seller
 * may have sent it already). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "case_json.h"
#include "crypto.h"
#include "db_messages.h"
#include "handlers.h"
#include "log.h"
#include "validate.h"

/* The body, declared once: the names here are the contract's. */
enum message_from { FROM_BUYER, FROM_SELLER, FROM_MARKETPLACE, FROM_COUNT };
static const char *const MESSAGE_FROM_NAMES[FROM_COUNT] = { "buyer", "seller", "marketplace" };
/* The marketplace channels a case has (ENG_CHANNEL_NAMES) and the helpdesk
 * channels a message may also come through. */
static const char *const MESSAGE_CHANNEL_NAMES[] = { "amazon", "shopify", "email", "zendesk", "gorgias", "other" };
enum { MESSAGE_CHANNEL_COUNT = sizeof(MESSAGE_CHANNEL_NAMES) / sizeof(MESSAGE_CHANNEL_NAMES[0]) };
/* The times a message may carry (Unix seconds): RFC 3339 goes back to year
 * 0, which PostgreSQL has not; a conversation is no older than 1970. */
static const int64_t MESSAGE_AT_FIRST = 0;            /* 1970-01-01T00:00:00Z */
static const int64_t MESSAGE_AT_LAST = 253402300799;  /* 9999-12-31T23:59:59Z */
/* The longest message (bytes): the guard reads every byte of it. */
enum { MESSAGE_TEXT_MAX = 20000 };
_Static_assert((int)MESSAGE_TEXT_MAX <= (int)ENG_GUARD_TEXT_MAX, "the guard must read a whole message");

struct message_request {
    int from;
    int64_t at;
    const char *text;
    int channel;
};

#define MESSAGE_AT(member) offsetof(struct message_request, member)
static const struct field_spec MESSAGE_FIELDS[] = {
    { "from", FIELD_ENUM, true, MESSAGE_AT(from), 0, 0, MESSAGE_FROM_NAMES, FROM_COUNT, NULL },
    { "at", FIELD_TIME, false, MESSAGE_AT(at), 0, 0, NULL, 0, NULL },
    { "text", FIELD_STRING, true, MESSAGE_AT(text), 1, MESSAGE_TEXT_MAX, NULL, 0, NULL },
    { "channel", FIELD_ENUM, false, MESSAGE_AT(channel), 0, 0, MESSAGE_CHANNEL_NAMES, MESSAGE_CHANNEL_COUNT, NULL },
};

/* The case's own identifiers are not contact details (as in
 * /v1/replies/check); its marketplace's rules are the ones that apply,
 * whatever channel the message came through. */
int messages_compliance(const struct db_message *m, const struct db_message_case *kase, const char *request_id,
                        const char *case_id, json_t **compliance)
{
    *compliance = NULL;
    if (strcmp(m->from, MESSAGE_FROM_NAMES[FROM_SELLER]) != 0)
        return 0;
    int channel = eng_enum_parse(ENG_CHANNEL_NAMES, CHANNEL_COUNT, kase->channel);
    if (channel < 0) {
        log_msg(LOG_ERROR, "request %s: case %s has an unknown channel", request_id, case_id);
        return -1;
    }
    const char *const own_ids[] = { kase->order_id, kase->sku, kase->ticket_id, case_id };
    struct eng_guard_result result;
    eng_guard_check_case((enum eng_channel)channel, m->text, own_ids, sizeof(own_ids) / sizeof(own_ids[0]), &result);
    *compliance = guard_result_to_json(&result);
    return *compliance != NULL ? 0 : -1;
}

json_t *messages_brief_json(const struct db_message *m, json_t *compliance)
{
    json_t *message = json_pack("{s:s, s:s, s:s, s:s}", "message_id", m->message_id, "from", m->from, "at", m->at,
                                "channel", m->channel);
    if (message != NULL && compliance != NULL && json_object_set(message, "compliance", compliance) != 0) {
        json_decref(message);
        message = NULL;
    }
    return message;
}

int messages_store(struct db_message *m, const json_t *compliance, const json_t *answer)
{
    free(m->compliance);
    free(m->response_body);
    m->compliance = compliance != NULL ? json_dumps(compliance, JSON_COMPACT) : NULL;
    m->response_body = answer != NULL ? json_dumps(answer, JSON_COMPACT) : NULL;
    return m->response_body != NULL && (compliance == NULL || m->compliance != NULL) ? 0 : -1;
}

struct render_ctx {
    const char *request_id;
    const char *case_id;
};

/* The message as stored and answered (db_message_render_fn): what a keyed
 * retry replays is byte for byte what was sent. */
static int render_message(struct db_message *m, const struct db_message_case *kase, void *cls)
{
    const struct render_ctx *ctx = cls;
    if (m->channel == NULL) {
        int channel = eng_enum_parse(MESSAGE_CHANNEL_NAMES, MESSAGE_CHANNEL_COUNT, kase->channel);
        if (channel < 0) {
            log_msg(LOG_ERROR, "request %s: case %s has an unknown channel", ctx->request_id, ctx->case_id);
            return -1;
        }
        m->channel = MESSAGE_CHANNEL_NAMES[channel];
    }
    json_t *compliance;
    if (messages_compliance(m, kase, ctx->request_id, ctx->case_id, &compliance) != 0)
        return -1;
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "message_id", m->message_id, "case_id",
                             ctx->case_id, "from", m->from, "at", m->at, "channel", m->channel, "text", m->text);
    if (body != NULL && compliance != NULL && json_object_set(body, "compliance", compliance) != 0) {
        json_decref(body);
        body = NULL;
    }
    int rc = messages_store(m, compliance, body);
    json_decref(body);
    json_decref(compliance);
    return rc;
}

enum MHD_Result handle_message_record(struct http_request *req)
{
    const char *key = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Idempotency-Key");
    if (key != NULL && !idempotency_key_valid(key))
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER,
                                  "Idempotency-Key: must be 1 to 255 printable ASCII characters");
    struct message_request in;
    json_t *errors = json_array();
    memset(&in, 0, sizeof(in));
    if (errors == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    bool valid = validate_json(req->json, MESSAGE_FIELDS, sizeof(MESSAGE_FIELDS) / sizeof(MESSAGE_FIELDS[0]), &in,
                               errors);
    /* Absent members take the defaults only known here: now, and the case's
     * own channel (read under its lock). */
    bool at_given = json_object_get(req->json, "at") != NULL;
    if (valid && at_given && (in.at < MESSAGE_AT_FIRST || in.at > MESSAGE_AT_LAST)) {
        validate_error(errors, "at", "must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z");
        valid = false;
    }
    if (!valid)
        return http_reply_invalid(req, errors);
    json_decref(errors);
    bool channel_given = json_object_get(req->json, "channel") != NULL;
    char message_id[CRYPTO_UUID_STRLEN + 1], at[32];
    validate_format_time(at_given ? in.at : (int64_t)time(NULL), at);
    struct db_message m = {
        .message_id = message_id,
        .from = MESSAGE_FROM_NAMES[in.from],
        .at = at,
        .channel = channel_given ? MESSAGE_CHANNEL_NAMES[in.channel] : NULL,
        .text = in.text,
        .idempotency_key = key,
    };
    const char *case_id = req->path_args[0];
    if (crypto_uuid_v4(message_id) != 0
        || idempotency_request_hash(case_id, "messages", req->json, m.request_hash) != 0)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    struct render_ctx ctx = { req->request_id, case_id };
    enum db_status status = db_message_record(&req->db, req->tenant.id, case_id, &m, render_message, &ctx);
    enum MHD_Result result;
    if (status != DB_OK) {
        result = http_reply_db_error(req, status);
    } else if (m.result == MESSAGE_KEY_IN_FLIGHT) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_IN_FLIGHT, "retry when the first request has answered");
    } else if (m.result == MESSAGE_KEY_MISMATCH) {
        result = http_reply_problem(req, PROBLEM_IDEMPOTENCY_MISMATCH,
                                    "this Idempotency-Key was first used with a different request");
    } else if (m.result == MESSAGE_REPLAYED) {
        http_add_header(req, "Idempotent-Replayed", "true");
        result = http_reply_bytes(req, 200, "application/json", m.replay_body, strlen(m.replay_body));
    } else {
        result = http_reply_bytes(req, 201, "application/json", m.response_body, strlen(m.response_body));
    }
    db_message_cleanup(&m);
    return result;
}
