/* GET /v1/cases/{id}/evidence: the case's record for the people who judge
 * it, read through the same db functions as GET /v1/cases/{id} and built
 * by the pure evidence builder (service/evidence). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db_messages.h"
#include "evidence.h"
#include "handlers.h"
#include "validate.h"

/* Whether one Accept range ("application/json;q=0.5") admits JSON: the
 * range is application/json, application/(any) or (any)/(any), with a q above 0. */
static bool range_admits_json(const char *range, size_t len)
{
    while (len > 0 && (*range == ' ' || *range == '\t')) {
        range++;
        len--;
    }
    const char *params = memchr(range, ';', len);
    size_t media_len = params ? (size_t)(params - range) : len;
    while (media_len > 0 && (range[media_len - 1] == ' ' || range[media_len - 1] == '\t'))
        media_len--;
    static const char *const JSON_RANGES[] = { "application/json", "application/*", "*/*" };
    bool matches = false;
    for (size_t i = 0; i < sizeof(JSON_RANGES) / sizeof(JSON_RANGES[0]); i++)
        if (media_len == strlen(JSON_RANGES[i]) && strncasecmp(range, JSON_RANGES[i], media_len) == 0)
            matches = true;
    if (!matches)
        return false;
    /* q=0 (or 0.0, 0.000) refuses the range; anything else admits it. */
    for (const char *p = params; p != NULL && p < range + len; p = memchr(p + 1, ';', (size_t)(range + len - p - 1))) {
        const char *q = p + 1;
        while (q < range + len && (*q == ' ' || *q == '\t'))
            q++;
        if (range + len - q >= 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
            char number[16] = "";
            size_t n = (size_t)(range + len - q - 2);
            memcpy(number, q + 2, n < sizeof(number) - 1 ? n : sizeof(number) - 1);
            return strtod(number, NULL) > 0;
        }
    }
    return true;
}

/* JSON is what the pack is, for now: an absent or empty Accept, or one
 * with a range that admits it. */
static bool accepts_json(struct http_request *req)
{
    const char *accept = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    if (accept == NULL || accept[strspn(accept, " \t")] == '\0')
        return true;
    for (const char *range = accept;;) {
        const char *end = strchr(range, ',');
        size_t len = end ? (size_t)(end - range) : strlen(range);
        if (range_admits_json(range, len))
            return true;
        if (end == NULL)
            return false;
        range = end + 1;
    }
}

enum MHD_Result handle_evidence_get(struct http_request *req)
{
    if (!accepts_json(req))
        return http_reply_problem(req, PROBLEM_NOT_ACCEPTABLE, "the evidence pack is application/json");
    enum evidence_purpose purpose = EVIDENCE_PURPOSE_NONE;
    const char *purpose_text = http_query(req, "purpose");
    if (purpose_text != NULL && !evidence_purpose_parse(purpose_text, &purpose))
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "purpose: must be a_to_z, chargeback or review_appeal");

    char *request = NULL, *decision = NULL, *outcomes = NULL, *messages = NULL;
    enum db_status status = db_case_get(req->db, req->tenant.id, req->path_args[0], &request, &decision, &outcomes);
    if (status == DB_OK)
        status = db_case_messages(req->db, req->tenant.id, req->path_args[0], &messages);
    json_t *request_json = status == DB_OK ? json_loads(request, 0, NULL) : NULL;
    json_t *decision_json = status == DB_OK ? json_loads(decision, 0, NULL) : NULL;
    json_t *outcomes_json = status == DB_OK ? json_loads(outcomes, 0, NULL) : NULL;
    json_t *messages_json = status == DB_OK ? json_loads(messages, 0, NULL) : NULL;
    free(request);
    free(decision);
    free(outcomes);
    free(messages);
    json_t *pack = NULL;
    if (status == DB_OK) {
        char generated_at[32];
        validate_format_time((int64_t)time(NULL), generated_at);
        struct evidence_input in = { req->tenant.name, request_json, decision_json, outcomes_json, messages_json,
                                     generated_at };
        pack = evidence_build(&in, purpose);
    }
    json_decref(request_json);
    json_decref(decision_json);
    json_decref(outcomes_json);
    json_decref(messages_json);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    if (pack == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "the stored case could not be read as evidence");
    return http_reply_json(req, 200, pack);
}
