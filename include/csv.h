/* CSV (RFC 4180) for the reports' `Accept: text/csv`: one writer for all.
 * A field is quoted when it holds a comma, a double quote, CR or LF (its
 * quotes doubled); every line, the header's too, ends with CRLF. */
#ifndef REDRESS_CSV_H
#define REDRESS_CSV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/** Append one field (NULL: empty), preceded by a comma unless first. */
void csv_field(struct buf *out, const char *text, bool first);

/** Append the end of a line (CRLF). */
void csv_end_line(struct buf *out);

/** A number as the shortest text that reads back as the same double
 * ("0.0125", not "0.012500000000000001"). */
void csv_format_real(double value, char out[32]);

/** The whole table: a header line of the column names, then one line per
 * object of rows (a JSON array), each column the member of that name:
 * strings as they are, integers, reals (csv_format_real), true/false;
 * null or missing: an empty field. Returns the text (malloc'd, caller
 * frees; *len_out its length), NULL when out of memory. */
char *csv_from_json_rows(const char *const *columns, size_t n_columns, const json_t *rows, size_t *len_out);

#endif
