/* Shared by the files of the engine only. */
#ifndef REDRESS_ENGINE_INTERNAL_H
#define REDRESS_ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/** abuse.c: score the buyer's history for this case. */
void eng_assess_abuse(const struct eng_case *c, const struct eng_policy *p, const struct eng_history *h,
                      int64_t now, bool high_value, struct eng_decision *out);

/** reply.c: write subject and body for a finished decision. Returns 0, or
 * -1 if a sentence is missing or the text does not fit. */
int eng_render_reply(const struct eng_case *c, const struct eng_policy *p, struct eng_decision *d,
                     const char *situation);

/* text.c: shared by the guard and triage. */

/** Length of the well-formed UTF-8 character at s[0..n) (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 if there is
 * none; *cp gets its code point. */
size_t eng_utf8_char(const unsigned char *s, size_t n, uint32_t *cp);

/* The longest folding of one character (the ellipsis, "..."). */
enum { ENG_FOLD_MAX = 4 };

/** One character folded: lower case (ASCII and Latin-1 capitals),
 * full-width ASCII as ASCII, typographic punctuation, spaces and quotes as
 * their ASCII twins, invisible characters dropped. Writes the folded bytes
 * to out and returns their count (0: dropped), or -1 when the character
 * stays as it is. No folding is longer than the UTF-8 it replaces. */
int eng_fold_char(uint32_t cp, char out[ENG_FOLD_MAX]);

#endif
