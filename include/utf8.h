/* UTF-8 well-formedness (RFC 3629): what PostgreSQL and JSON accept. */
#ifndef REDRESS_UTF8_H
#define REDRESS_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/** Whether len bytes are well-formed UTF-8: no overlong forms, no
 * surrogates (U+D800-DFFF), nothing above U+10FFFF. NUL bytes are allowed
 * here; callers that forbid them check separately. */
bool utf8_valid(const char *text, size_t len);

/** A copy of text (caller frees; NULL when out of memory) with every byte
 * outside printable ASCII, and the backslash, written as \xNN, for log
 * lines: what a client sent stays visible and unambiguous, and the line
 * stays valid JSON whatever the bytes were. */
char *utf8_escape_for_log(const char *text);

#endif
