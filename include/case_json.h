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

struct db_cost_settings;

/** A validated case to its response, as POST /v1/cases does it once the
 * buyer's history and the seller's costs are read: the costs applied to a
 * copy of the case and the policy, eng_decide, decision_to_json. Pure (no
 * database, no HTTP), so that the fuzzer runs exactly this. d is the
 * caller's (large: keep it off worker stacks) and holds the decision after.
 * Returns -1 if the engine refused the case (*response NULL); else 0 with
 * *response the body (new reference), NULL on allocation failure. */
int case_evaluate(const struct eng_case *request_case, const struct db_cost_settings *costs,
                  const struct eng_history *history, int64_t now, const char *case_id, const char *created_at,
                  struct eng_decision *d, json_t **response);

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
