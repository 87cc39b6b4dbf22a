/* Account-health events, one JSON object per line (NDJSON): what no Amazon
 * report carries. Every line has `type`, `order_id` and `at`; each type
 * may add its own fields (table below). Unknown fields are ignored, so a
 * seller can export richer lines than we read. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "imports_internal.h"

#define IMP_EVENT_TYPE_NAME(type, name) [type] = name,
const char *const IMP_EVENT_TYPE_NAMES[IMP_EVENT_TYPE_COUNT] = { IMP_EVENT_TYPES(IMP_EVENT_TYPE_NAME) };
#undef IMP_EVENT_TYPE_NAME

/* A `status` a type accepts, and whether the event then counts against
 * its metric. An A-to-z claim counts unless Amazon denied it (decided for
 * the seller); a chargeback counts unless the seller won it or the bank
 * reversed it. Open and closed ones count: the metric counts them until
 * they are decided for the seller. */
struct status_rule {
    const char *status;
    bool counts;
};

static const struct status_rule A_TO_Z_STATUSES[] = {
    { "open", true }, { "granted", true }, { "denied", false }, { "withdrawn", true }, { "closed", true },
    { NULL, false },
};
static const struct status_rule CHARGEBACK_STATUSES[] = {
    { "open", true }, { "lost", true }, { "won", false }, { "reversed", false }, { "closed", true },
    { NULL, false },
};

/* Per type: the statuses its `status` may take (NULL: the field is not read). */
static const struct status_rule *const STATUS_RULES[IMP_EVENT_TYPE_COUNT] = {
    [IMP_EVENT_A_TO_Z_CLAIM] = A_TO_Z_STATUSES,
    [IMP_EVENT_CHARGEBACK] = CHARGEBACK_STATUSES,
};

/* The string field `name`, or NULL when absent; a present non-string
 * fails the row. */
static const char *string_field(struct imp_row *row, json_t *doc, const char *name)
{
    json_t *value = json_object_get(doc, name);
    if (value == NULL || row->bad)
        return NULL;
    if (!json_is_string(value)) {
        imp_row_fail(row, name, "must be a string");
        return NULL;
    }
    return json_string_value(value);
}

/* An optional time field; false when absent or bad. */
static bool time_field(struct imp_row *row, json_t *doc, const char *name, int64_t *at)
{
    const char *text = string_field(row, doc, name);
    if (text == NULL)
        return false;
    if (!imp_parse_time(text, at)) {
        imp_row_fail(row, name, "bad date");
        return false;
    }
    return true;
}

/* Copy a kept text into the row (the JSON document is freed before the sink sees the record). */
static const char *keep_text(struct imp_row *row, int slot, const char *name, const char *text)
{
    if (text == NULL || row->bad)
        return "";
    if (strlen(text) > IMP_TEXT_MAX) {
        char reason[64];
        snprintf(reason, sizeof(reason), "longer than %d bytes", (int)IMP_TEXT_MAX);
        imp_row_fail(row, name, reason);
        return "";
    }
    snprintf(row->copy[slot], sizeof(row->copy[slot]), "%s", text);
    return row->copy[slot];
}

static void read_status(struct imp_row *row, json_t *doc, struct imp_event *e)
{
    const struct status_rule *rules = STATUS_RULES[e->type];
    if (rules == NULL)
        return;
    const char *status = string_field(row, doc, "status");
    if (status == NULL)
        return;
    for (const struct status_rule *r = rules; r->status != NULL; r++)
        if (strcasecmp(status, r->status) == 0) {
            e->status = r->status;
            e->counts = r->counts;
            return;
        }
    char reason[160];
    size_t used = (size_t)snprintf(reason, sizeof(reason), "must be one of");
    for (const struct status_rule *r = rules; r->status != NULL && used < sizeof(reason); r++)
        used += (size_t)snprintf(reason + used, sizeof(reason) - used, "%s %s", r == rules ? "" : ",",
                                 r->status);
    imp_row_fail(row, "status", reason);
}

/* The fields only some types have. */
static void read_type_fields(struct imp_row *row, json_t *doc, struct imp_event *e)
{
    switch (e->type) {
    case IMP_EVENT_NEGATIVE_FEEDBACK: {
        /* Amazon counts 1- and 2-star feedback; without a rating the line
         * is taken to be such feedback. */
        json_t *rating = json_object_get(doc, "rating");
        if (rating == NULL)
            break;
        if (!json_is_integer(rating) || json_integer_value(rating) < 1 || json_integer_value(rating) > 5) {
            imp_row_fail(row, "rating", "must be a whole number from 1 to 5");
            break;
        }
        e->counts = json_integer_value(rating) <= 2;
        break;
    }
    case IMP_EVENT_LATE_SHIPMENT: {
        int64_t expected = 0, shipped = 0;
        bool has_expected = time_field(row, doc, "expected_ship_date", &expected);
        bool has_shipped = time_field(row, doc, "shipped_at", &shipped);
        if (has_expected && has_shipped && shipped <= expected)
            imp_row_fail(row, "shipped_at", "not after expected_ship_date: the shipment was not late");
        break;
    }
    case IMP_EVENT_SELLER_CANCELLATION:
        keep_text(row, 1, "reason", string_field(row, doc, "reason"));   /* checked, not kept */
        break;
    case IMP_EVENT_VALID_TRACKING: {
        json_t *valid = json_object_get(doc, "valid");
        if (valid == NULL)
            break;
        if (!json_is_boolean(valid)) {
            imp_row_fail(row, "valid", "must be true or false");
            break;
        }
        e->counts = json_is_true(valid);
        break;
    }
    case IMP_EVENT_A_TO_Z_CLAIM:
    case IMP_EVENT_CHARGEBACK:
    case IMP_EVENT_TYPE_COUNT:
        break;
    }
    read_status(row, doc, e);
}

static bool convert_event(struct imp_row *row, struct imp_record *record)
{
    json_error_t error;
    json_t *doc = json_loadb(row->text, row->text_len, JSON_REJECT_DUPLICATES, &error);
    if (!json_is_object(doc)) {
        char reason[sizeof(row->rejection.reason)];
        snprintf(reason, sizeof(reason), "not a JSON object%s%s", doc == NULL ? ": " : "",
                 doc == NULL ? error.text : "");
        imp_row_fail(row, "", reason);
        json_decref(doc);
        return false;
    }
    struct imp_event *e = &record->u.event;
    e->status = "";
    e->counts = true;
    const char *type = string_field(row, doc, "type");
    int type_index = type != NULL ? eng_enum_parse(IMP_EVENT_TYPE_NAMES, IMP_EVENT_TYPE_COUNT, type) : -1;
    if (type == NULL && !row->bad)
        imp_row_fail(row, "type", "required, but absent");
    else if (type_index < 0)
        imp_row_fail(row, "type", "unknown event type");
    else
        e->type = (enum imp_event_type)type_index;
    const char *order_id = string_field(row, doc, "order_id");
    if ((order_id == NULL || *order_id == '\0') && !row->bad)
        imp_row_fail(row, "order_id", "required, but empty");
    e->order_id = keep_text(row, 0, "order_id", order_id);
    const char *at = string_field(row, doc, "at");
    if (at == NULL && !row->bad)
        imp_row_fail(row, "at", "required, but absent");
    else if (at != NULL && !imp_parse_time(at, &e->at))
        imp_row_fail(row, "at", "bad date");
    if (!row->bad)
        read_type_fields(row, doc, e);
    json_decref(doc);
    return !row->bad;
}

const struct imp_kind_spec IMP_EVENTS_SPEC = {
    .tabular = false,
    .columns = NULL,
    .column_count = 0,
    .convert = convert_event,
};
