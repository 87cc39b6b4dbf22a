/* The one request validator: a spec table in, every problem out. */
#include "validate.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine.h"

/* One problem; `unprocessable` marks it for a 422 (http_reply_invalid). */
static void append_error(json_t *errors, const char *field, bool unprocessable, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static void append_error(json_t *errors, const char *field, bool unprocessable, const char *fmt, va_list ap)
{
    char message[256];
    vsnprintf(message, sizeof(message), fmt, ap);
    json_t *entry = json_pack("{s:s, s:s}", "field", field, "message", message);
    if (entry != NULL && unprocessable)
        json_object_set_new(entry, VALIDATE_UNPROCESSABLE_MARK, json_true());
    json_array_append_new(errors, entry);
}

void validate_error(json_t *errors, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_error(errors, field, false, fmt, ap);
    va_end(ap);
}

void validate_error_unprocessable(json_t *errors, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_error(errors, field, true, fmt, ap);
    va_end(ap);
}

/* Problems found by one validate_json(), counted apart from the array so
 * that one that could not be appended (out of memory) still fails it. */
struct problems {
    json_t *errors;
    size_t count;
};

static void problem(struct problems *found, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct problems *found, const char *field, const char *fmt, ...)
{
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    found->count++;
    validate_error(found->errors, field, "%s", message);
}

static int two_digits(const char *s)
{
    return (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9') ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

bool validate_parse_time(const char *text, int64_t *out)
{
    /* YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM) */
    size_t len = strlen(text);
    if (len < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't')
        || text[13] != ':' || text[16] != ':')
        return false;
    int year = two_digits(text) * 100 + two_digits(text + 2);
    int month = two_digits(text + 5), day = two_digits(text + 8);
    int hour = two_digits(text + 11), minute = two_digits(text + 14), second = two_digits(text + 17);
    if (two_digits(text) < 0 || two_digits(text + 2) < 0 || month < 1 || month > 12 || day < 1 || day > 31
        || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60)
        return false;
    const char *p = text + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh = two_digits(p + 1), om = two_digits(p + 4);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return false;
        offset = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    static const int DAYS[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > DAYS[month - 1] || (month == 2 && day == 29 && !leap))
        return false;
    struct tm tm = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
                     .tm_hour = hour, .tm_min = minute, .tm_sec = second > 59 ? 59 : second };
    *out = (int64_t)timegm(&tm) - offset;
    return true;
}

void validate_format_time(int64_t t, char out[32])
{
    time_t when = (time_t)t;
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool language_tag_shaped(const char *tag)
{
    size_t len = strlen(tag);
    if (len < 2 || len > 35)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = tag[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return tag[0] != '-' && tag[len - 1] != '-';
}

/* Look a dotted path up; NULL when it, or an object on the way, is absent. */
static const json_t *lookup_path(const json_t *root, const char *path)
{
    char part[64];
    const json_t *node = root;
    while (node != NULL && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        node = json_is_object(node) ? json_object_get(node, part) : NULL;
        path += n + (path[n] == '.');
    }
    return node;
}

/* Fields of `object` at `prefix` that no spec names. A key is one path
 * segment: one holding a dot ("order.sku" at the top) would otherwise
 * pass for the nested field it spells, so it can never be known. */
static void reject_unknown(const json_t *object, const char *prefix, const struct field_spec *specs,
                           size_t n_specs, struct problems *found)
{
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)(uintptr_t)object, key, value) {
        /* Whole, never cut: a path cut inside a UTF-8 sequence could not
         * be reported (jansson refuses it), and the body would be refused
         * with no field named. */
        size_t size = strlen(prefix) + 1 + strlen(key) + 1;
        char *path = malloc(size); /* freed below */
        if (path == NULL) {
            problem(found, prefix[0] ? prefix : "(body)", "could not be checked (out of memory)");
            continue;
        }
        snprintf(path, size, "%s%s%s", prefix, prefix[0] ? "." : "", key);
        bool one_segment = strchr(key, '.') == NULL;
        const struct field_spec *known = NULL;
        for (size_t i = 0; one_segment && i < n_specs && known == NULL; i++)
            if (strcmp(specs[i].path, path) == 0)
                known = &specs[i];
        if (known == NULL)
            problem(found, path, "is not a known field");
        else if (known->kind == FIELD_OBJECT && json_is_object(value))
            reject_unknown(value, path, specs, n_specs, found);
        free(path);
    }
}

static void store_default(const struct field_spec *spec, char *dest)
{
    const char *d = spec->default_value;
    switch (spec->kind) {
    case FIELD_STRING:
    case FIELD_LANGUAGE:
    case FIELD_TOKEN:
    case FIELD_COUNTRY:
        *(const char **)(void *)dest = d;
        break;
    case FIELD_INT:
    case FIELD_TIME:
        *(int64_t *)(void *)dest = d ? strtoll(d, NULL, 10) : 0;
        break;
    case FIELD_BOOL:
        *(bool *)(void *)dest = d != NULL && strcmp(d, "true") == 0;
        break;
    case FIELD_ENUM:
        *(int *)(void *)dest = d ? eng_enum_parse(spec->names, spec->n_names, d) : 0;
        break;
    case FIELD_CURRENCY:
        *(const struct eng_currency **)(void *)dest = d ? eng_currency_find(d) : NULL;
        break;
    case FIELD_ENUM_SET:
        *(unsigned *)(void *)dest = d != NULL && strcmp(d, "all") == 0 ? (1u << spec->n_names) - 1u : 0u;
        break;
    case FIELD_OBJECT:
        break;
    }
}

/* A set of distinct names, as a bit mask (at most 32 names). */
static void validate_enum_set(const json_t *value, const struct field_spec *spec, char *dest, struct problems *found)
{
    if (!json_is_array(value)) {
        problem(found, spec->path, "must be an array of names");
        return;
    }
    unsigned set = 0;
    size_t i;
    const json_t *item;
    bool ok = true;
    json_array_foreach(value, i, item) {
        int index = eng_enum_parse(spec->names, spec->n_names, json_string_value(item)); /* NULL: not a string */
        char path[192];
        snprintf(path, sizeof(path), "%s[%zu]", spec->path, i);
        if (index < 0) {
            problem(found, path, "is not one of the names this field takes");
            ok = false;
        } else if (set & (1u << index)) {
            problem(found, path, "names %s twice", spec->names[index]);
            ok = false;
        } else {
            set |= 1u << index;
        }
    }
    if (ok)
        *(unsigned *)(void *)dest = set;
}

static void validate_one(const json_t *value, const struct field_spec *spec, char *dest, struct problems *found)
{
    const char *path = spec->path;
    switch (spec->kind) {
    case FIELD_OBJECT:
        if (!json_is_object(value))
            problem(found, path, "must be an object");
        return;
    case FIELD_BOOL:
        if (!json_is_boolean(value))
            problem(found, path, "must be true or false");
        else
            *(bool *)(void *)dest = json_is_true(value);
        return;
    case FIELD_ENUM_SET:
        validate_enum_set(value, spec, dest, found);
        return;
    case FIELD_INT:
        if (!json_is_integer(value)) {
            problem(found, path, "must be a whole number%s",
                           json_is_real(value) ? " (amounts are integers in minor units)" : "");
        } else if (json_integer_value(value) < spec->min || json_integer_value(value) > spec->max) {
            problem(found, path, "must be from %lld to %lld", (long long)spec->min, (long long)spec->max);
        } else {
            *(int64_t *)(void *)dest = json_integer_value(value);
        }
        return;
    default:
        break;
    }
    if (!json_is_string(value)) {
        problem(found, path, "must be a string");
        return;
    }
    const char *text = json_string_value(value);
    size_t len = json_string_length(value);
    if (strlen(text) != len) {
        problem(found, path, "must not contain NUL characters");
        return;
    }
    switch (spec->kind) {
    case FIELD_STRING:
        if ((int64_t)len < spec->min || (int64_t)len > spec->max)
            problem(found, path, "must be %lld to %lld bytes long", (long long)spec->min,
                           (long long)spec->max);
        else
            *(const char **)(void *)dest = text;
        return;
    case FIELD_TOKEN: {
        bool printable = true;
        for (size_t i = 0; i < len && printable; i++)
            printable = (unsigned char)text[i] > ' ' && (unsigned char)text[i] <= '~';
        if ((int64_t)len < spec->min || (int64_t)len > spec->max || !printable)
            problem(found, path, "must be %lld to %lld printable ASCII characters without spaces",
                    (long long)spec->min, (long long)spec->max);
        else
            *(const char **)(void *)dest = text;
        return;
    }
    case FIELD_COUNTRY:
        /* the code's shape, not ISO's current list: a code assigned later is still accepted */
        if (len != 2 || text[0] < 'A' || text[0] > 'Z' || text[1] < 'A' || text[1] > 'Z')
            problem(found, path, "must be an ISO 3166-1 alpha-2 country code such as \"US\" (two uppercase letters)");
        else
            *(const char **)(void *)dest = text;
        return;
    case FIELD_LANGUAGE:
        if (!language_tag_shaped(text))
            problem(found, path, "must be a BCP 47 language tag such as \"en\" or \"zh-Hant\"");
        else
            *(const char **)(void *)dest = text;
        return;
    case FIELD_ENUM: {
        int index = eng_enum_parse(spec->names, spec->n_names, text);
        if (index < 0) {
            char allowed[512] = "";
            for (int i = 0; i < spec->n_names; i++) {
                size_t used = strlen(allowed);
                snprintf(allowed + used, sizeof(allowed) - used, "%s%s", i ? ", " : "", spec->names[i]);
            }
            problem(found, path, "must be one of: %s", allowed);
        } else {
            *(int *)(void *)dest = index;
        }
        return;
    }
    case FIELD_TIME: {
        int64_t t;
        if (!validate_parse_time(text, &t))
            problem(found, path, "must be an RFC 3339 time such as \"2026-11-05T16:00:00Z\"");
        else
            *(int64_t *)(void *)dest = t;
        return;
    }
    case FIELD_CURRENCY: {
        const struct eng_currency *currency = eng_currency_find(text);
        if (currency == NULL)
            problem(found, path, "must be a supported ISO 4217 currency code such as \"USD\"");
        else
            *(const struct eng_currency **)(void *)dest = currency;
        return;
    }
    default:
        return;
    }
}

bool validate_json(const json_t *root, const struct field_spec *specs, size_t n_specs, void *dest,
                   json_t *errors)
{
    /* Fail closed: with nowhere to report a problem (no array, or an
     * append that failed for want of memory) nothing counts as valid. */
    if (!json_is_array(errors))
        return false;
    struct problems found = { errors, 0 };
    reject_unknown(root, "", specs, n_specs, &found);
    for (size_t i = 0; i < n_specs; i++) {
        const struct field_spec *spec = &specs[i];
        char *field = (char *)dest + spec->offset;
        const json_t *value = lookup_path(root, spec->path);
        if (value == NULL || json_is_null(value)) {
            if (spec->required)
                problem(&found, spec->path, "is required");
            else
                store_default(spec, field);
            continue;
        }
        validate_one(value, spec, field, &found);
    }
    return found.count == 0;
}
