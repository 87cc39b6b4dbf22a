/* The CSV writer of include/csv.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

void csv_field(struct buf *out, const char *text, bool first)
{
    if (!first)
        buf_append(out, ",", 1);
    if (text == NULL)
        return;
    if (strpbrk(text, ",\"\r\n") == NULL) {
        buf_append_str(out, text);
        return;
    }
    buf_append(out, "\"", 1);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '"')
            buf_append(out, "\"", 1); /* a quote inside a quoted field is doubled */
        buf_append(out, p, 1);
    }
    buf_append(out, "\"", 1);
}

void csv_end_line(struct buf *out)
{
    buf_append(out, "\r\n", 2);
}

void csv_format_real(double value, char out[32])
{
    /* 17 significant digits always read back exactly; fewer often do. */
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(out, 32, "%.*g", digits, value);
        if (strtod(out, NULL) == value)
            return;
    }
}

/* One member as a field's text: into scratch, or borrowed from the JSON. */
static const char *value_text(const json_t *value, char scratch[32])
{
    switch (json_typeof(value)) {
    case JSON_STRING:
        return json_string_value(value);
    case JSON_INTEGER:
        snprintf(scratch, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        return scratch;
    case JSON_REAL:
        csv_format_real(json_real_value(value), scratch);
        return scratch;
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    default:
        return NULL; /* null; objects and arrays have no flat form */
    }
}

char *csv_from_json_rows(const char *const *columns, size_t n_columns, const json_t *rows, size_t *len_out)
{
    struct buf out;
    buf_init(&out, 0);
    for (size_t c = 0; c < n_columns; c++)
        csv_field(&out, columns[c], c == 0);
    csv_end_line(&out);
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row) {
        for (size_t c = 0; c < n_columns; c++) {
            char scratch[32];
            const json_t *value = json_object_get(row, columns[c]);
            csv_field(&out, value ? value_text(value, scratch) : NULL, c == 0);
        }
        csv_end_line(&out);
    }
    if (!buf_ok(&out)) {
        buf_cleanup(&out);
        return NULL;
    }
    return buf_steal(&out, len_out);
}
