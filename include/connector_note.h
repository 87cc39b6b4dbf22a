/* What the helpdesk connectors put in front of an agent, rendered from a
 * decision: Zendesk's internal note and tags, Gorgias' sidebar widget.
 *
 * Pure functions (no I/O): the input is the decision JSON that POST
 * /v1/cases answers (openapi.yaml, Decision), read defensively: a member
 * that is missing or of the wrong type leaves its line out, never crashes.
 * Labels exist in every reply language (en, zh-Hans, zh-Hant, de, fr, es,
 * it, ja); the reply itself stays in the buyer's language, as decided. */
#ifndef REDRESS_CONNECTOR_NOTE_H
#define REDRESS_CONNECTOR_NOTE_H

#include <jansson.h>

/** Zendesk's Update Ticket body for a decision: decision is the JSON object
 * POST /v1/cases answered (the case's decision), language one of en, zh-Hans,
 * zh-Hant, de, fr, es, it, ja (the connector's note_language; anything else: en),
 * delivery_id the outbox row's UUID (named on the note's last line).
 * New reference, NULL on allocation failure or a decision it cannot read. */
json_t *connector_note_zendesk_update(const json_t *decision, const char *language, const char *delivery_id);

/** The note's text alone (malloc'd UTF-8, caller frees), same arguments:
 * plain text, its last line `Redress delivery <delivery_id>`. NULL on
 * allocation failure or a decision it cannot read (not an object, or no
 * known tier). */
char *connector_note_text(const json_t *decision, const char *language, const char *delivery_id);

/** The tags for a decision (new reference: JSON array of strings, Zendesk's
 * form: lowercase, no spaces): "redress", "redress_<tier>", and as the
 * decision says "redress_manual_review", "redress_risk_high",
 * "redress_threat", "redress_safety". NULL on allocation failure. */
json_t *connector_note_tags(const json_t *decision);

/** The compact widget answer for Gorgias (new reference), labels in
 * language (as above): case_id, tier, remedy (the primary action), amount
 * {value (minor units), currency, display}, risk, manual_review, reply
 * {language, text} (the buyer's language), compliance {passed}, and a
 * one-line summary. No links. NULL on allocation failure or a decision it
 * cannot read. */
json_t *connector_widget(const json_t *decision, const char *language);

#endif
