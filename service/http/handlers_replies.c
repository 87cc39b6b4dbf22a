/* POST /v1/replies/check: lint a reply an agent edited. When the request
 * names the case (order_id, sku, ticket_id, case_id), those identifiers
 * are the case's own, not contact details. */
#include "case_json.h"
#include "handlers.h"

enum MHD_Result handle_replies_check(struct http_request *req)
{
    struct reply_check_request check;
    json_t *errors = json_array();
    if (errors == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    if (!reply_check_from_json(req->json, &check, errors))
        return http_reply_invalid(req, errors);
    json_decref(errors);
    struct eng_guard_result result;
    const char *const own_ids[] = { check.order_id, check.sku, check.ticket_id, check.case_id };
    eng_guard_check_case((enum eng_channel)check.channel, check.body, own_ids, sizeof(own_ids) / sizeof(own_ids[0]),
                         &result);
    json_t *body = guard_result_to_json(&result);
    if (body != NULL) {
        json_object_set_new(body, "channel", json_string(ENG_CHANNEL_NAMES[check.channel]));
        json_object_set_new(body, "language", json_string(check.language));
    }
    return http_reply_json(req, 200, body);
}
