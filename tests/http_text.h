/* HTTP as text, shared by the Check suites and the fault programs: what
 * both read out of a response, and requests both send. */
#ifndef REDRESS_TEST_HTTP_TEXT_H
#define REDRESS_TEST_HTTP_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/** A header's value from a raw header block (case-insensitive name), cut
 * at the line's end and copied into value; false when absent. */
bool http_text_header(const char *headers, const char *name, char *value, size_t size);

/** The largest request head the contract allows, plus 6 KiB of headers a
 * client or proxy may add (9 KiB in all, what deploy/nginx.conf passes):
 * a GET of a 128-character SKU of 4-byte characters, an Idempotency-Key of
 * 255, an X-Request-Id of 128 ('r's), the given "Authorization: ..." line,
 * Connection: close. Written into out; returns its length. */
size_t http_text_largest_head(char *out, size_t size, const char *auth_line);

#endif
