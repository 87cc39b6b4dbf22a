/* Declarative validation of JSON request bodies.
 *
 * A body is described by a table of field specs (JSON path, kind, limits,
 * default, destination offset). validate_json() walks the table, fills the
 * destination struct, and collects every problem as {field, message} with
 * the field's JSON path, including unknown fields at every level. Strings
 * are borrowed from the JSON document, which must outlive the struct. */
#ifndef REDRESS_VALIDATE_H
#define REDRESS_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum field_kind {
    FIELD_STRING,     /* const char *; min/max are lengths in bytes */
    FIELD_INT,        /* int64_t in [min, max] */
    FIELD_BOOL,       /* bool */
    FIELD_ENUM,       /* int index into names */
    FIELD_TIME,       /* int64_t Unix seconds from an RFC 3339 string */
    FIELD_CURRENCY,   /* const struct eng_currency * from an ISO 4217 code */
    FIELD_LANGUAGE,   /* const char *, a BCP 47-shaped tag */
    FIELD_TOKEN,      /* const char *; printable ASCII without spaces (a tracking number); min/max bytes */
    FIELD_COUNTRY,    /* const char *; ISO 3166-1 alpha-2 shaped: two uppercase letters */
    FIELD_OBJECT,     /* a nested object: its fields are the specs below it */
    FIELD_ENUM_SET,   /* unsigned: bit i set for names[i]; a JSON array of distinct names;
                         default "all" (every name) or NULL (none) */
};

struct field_spec {
    const char *path;           /* "order.item_price" */
    enum field_kind kind;
    bool required;
    size_t offset;              /* into the destination struct */
    int64_t min, max;
    const char *const *names;   /* FIELD_ENUM */
    int n_names;
    const char *default_value;  /* as JSON text would give it: "amazon", "1", "true"; NULL: zero */
};

/** Validate root against specs, writing into dest. Appends to errors (an
 * array) one {field, message} per problem. Returns true when none. */
bool validate_json(const json_t *root, const struct field_spec *specs, size_t n_specs, void *dest,
                   json_t *errors);

/** Append {field, message} to errors. */
void validate_error(json_t *errors, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** The same for a field that is well-formed but cannot be decided on as
 * sent (a message too long to read, neither a category nor a message):
 * when every problem is of this kind, the answer is 422, not 400. */
void validate_error_unprocessable(json_t *errors, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define VALIDATE_UNPROCESSABLE_MARK "unprocessable" /* removed before the problem is sent */

/** Parse RFC 3339 ("2026-11-01T10:00:00Z", offsets and fractions allowed)
 * into Unix seconds. Returns false if malformed. */
bool validate_parse_time(const char *text, int64_t *out);

/** Format Unix seconds as RFC 3339 UTC ("2026-11-22T10:00:00Z"). */
void validate_format_time(int64_t t, char out[32]);

#endif
