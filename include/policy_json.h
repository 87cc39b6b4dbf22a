/* A tenant's policy as a JSON document ⇄ struct eng_policy. The fields,
 * their ranges and names come from the engine's table of tunables
 * (ENG_POLICY_TUNABLES); validation is validate_json() over specs built
 * from it, then the engine's cross-field rules. */
#ifndef REDRESS_POLICY_JSON_H
#define REDRESS_POLICY_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "engine.h"

/* The longest note a version may carry, in bytes. */
enum { POLICY_NOTE_MAX = 500 };

/** Read a document over version 1's defaults (a field left out keeps its
 * default): every problem is appended to errors as {field, message} with
 * the field's JSON path, including the cross-field rules. *note gets the
 * document's "note" (borrowed from doc; NULL when none). out->version is
 * left at 1: the caller numbers versions. Returns true when valid. */
bool policy_from_json(const json_t *doc, struct eng_policy *out, const char **note, json_t *errors);

/** The document of a policy: remedies, costs, abuse, deadlines, categories,
 * auto_approve_limit (new reference; NULL on allocation failure). */
json_t *policy_to_json(const struct eng_policy *policy);

#endif
