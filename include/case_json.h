/* JSON ⇄ engine structs for cases: the contract's field names live here. */
#ifndef REDRESS_CASE_JSON_H
#define REDRESS_CASE_JSON_H

#include <jansson.h>

#include "engine.h"

/** Fill c from a request body; strings are borrowed from body. Appends
 * every problem to errors; returns true when there were none. */
bool case_from_json(const json_t *body, struct eng_case *c, json_t *errors);

/** The decision as the contract's response object (new reference).
 * case_id and created_at are NULL for a dry run. NULL on allocation failure. */
json_t *decision_to_json(const struct eng_case *c, const struct eng_decision *d, const char *case_id,
                         const char *created_at);

/** Parse POST /v1/replies/check. */
struct reply_check_request {
    int channel;
    const char *language;
    const char *body;
    /* The case the reply is about, when named (NULL when not): its own
     * identifiers are not contact details. */
    const char *order_id, *sku, *ticket_id, *case_id;
};
bool reply_check_from_json(const json_t *body, struct reply_check_request *out, json_t *errors);

/** {passed, violations:[{code, detail}]} (new reference). */
json_t *guard_result_to_json(const struct eng_guard_result *g);

#endif
