/* Shared by the files of the engine only. */
#ifndef REDRESS_ENGINE_INTERNAL_H
#define REDRESS_ENGINE_INTERNAL_H

#include "engine.h"

/** abuse.c: score the buyer's history for this case. */
void eng_assess_abuse(const struct eng_case *c, const struct eng_policy *p, const struct eng_history *h,
                      int64_t now, bool high_value, struct eng_decision *out);

/** reply.c: write subject and body for a finished decision. Returns 0, or
 * -1 if a sentence is missing or the text does not fit. */
int eng_render_reply(const struct eng_case *c, const struct eng_policy *p, struct eng_decision *d,
                     const char *situation);

#endif
