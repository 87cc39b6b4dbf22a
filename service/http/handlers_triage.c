/* POST /v1/triage: what a buyer's message is about, for helpdesk routing
 * before any case exists. Triage alone: no decision, nothing recorded,
 * no database. */
#include <stddef.h>
#include <string.h>

#include "case_json.h"
#include "handlers.h"
#include "validate.h"

struct triage_request {
    const char *message;
    const char *language; /* NULL: the message's own */
};

#define TRIAGE_AT(member) offsetof(struct triage_request, member)
static const struct field_spec TRIAGE_FIELDS[] = {
    { "message", FIELD_STRING, true, TRIAGE_AT(message), 1, TRIAGE_MESSAGE_SHAPE_MAX, NULL, 0, NULL },
    { "language", FIELD_LANGUAGE, false, TRIAGE_AT(language), 0, 0, NULL, 0, NULL },
};

enum MHD_Result handle_triage(struct http_request *req)
{
    struct triage_request in;
    memset(&in, 0, sizeof(in));
    json_t *errors = json_array();
    if (errors == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    bool shaped = validate_json(req->json, TRIAGE_FIELDS, sizeof(TRIAGE_FIELDS) / sizeof(TRIAGE_FIELDS[0]), &in, errors);
    bool readable = triage_check_message(errors, "message", in.message);
    if (!shaped || !readable || json_array_size(errors) > 0)
        return http_reply_invalid(req, errors); /* none recorded: a 500 */
    json_decref(errors);
    struct eng_triage t;
    if (eng_triage(in.message, strlen(in.message), &t) != 0)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    json_t *triage = triage_to_json(&t, in.message, t.category, true, in.language);
    return http_reply_json(req, 200, triage ? json_pack("{s:o}", "triage", triage) : NULL);
}
