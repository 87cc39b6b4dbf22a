/* JSON ⇄ engine structs for cases: the contract's field names live here. */
#ifndef REDRESS_CASE_JSON_H
#define REDRESS_CASE_JSON_H

#include <jansson.h>

#include "engine.h"

/** Fill c from a request body; strings are borrowed from body. Appends
 * every problem to errors; returns true when there were none. With
 * issue.message, triage reads it (c->triage), and supplies the category
 * when the request names none. False with no problem appended: triage
 * ran out of memory (the caller answers 500). */
bool case_from_json(const json_t *body, struct eng_case *c, json_t *errors);

/** The decision as the contract's response object (new reference).
 * case_id and created_at are NULL for a dry run. NULL on allocation failure. */
json_t *decision_to_json(const struct eng_case *c, const struct eng_decision *d, const char *case_id,
                         const char *created_at);

/* A message longer than triage reads is a 422 naming the field (it is
 * well-formed, just too long to read whole); the shape check's own limit
 * is the body's, so that the two do not both report it. */
enum { TRIAGE_MESSAGE_SHAPE_MAX = 1 << 16 };
bool triage_check_message(json_t *errors, const char *field, const char *message);

/** The response's `triage`: category and its source, confidence (1 when
 * the request named the category), the words that decided it, the
 * language (the requested one when it is one of ours, else the message's
 * own, else null) and the signals with their words. message is the text t
 * was read from (NULL when none: t->read is false). New reference; NULL
 * on allocation failure. */
json_t *triage_to_json(const struct eng_triage *t, const char *message, enum eng_category category,
                       bool from_message, const char *requested_language);

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
