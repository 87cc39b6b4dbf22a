/* GET /v1/connectors/zendesk/template: what the seller pastes into Zendesk.
 * The webhook's JSON body, built from the tenant's field map (the custom
 * ticket fields that carry order id, SKU, price, currency and category),
 * how the webhook and its trigger are set up, and which settings are still
 * missing. The events endpoint (handlers_zendesk.c) parses exactly this
 * body. */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "log.h"

/* The body's fixed members and the Zendesk placeholders that fill them
 * (Zendesk's placeholders reference), in the order the body shows them.
 * No {{ticket.description}}: on a new ticket it is the first comment
 * again, which doubles the body and lets a long first e-mail pass the
 * 64 KiB body limit (413, which Zendesk never retries). */
static const struct {
    const char *member, *placeholder;
} TEMPLATE_MEMBERS[] = {
    { "ticket_id", "{{ticket.id}}" },
    { "subject", "{{ticket.title}}" },
    { "latest_comment", "{{ticket.latest_comment}}" },
    { "requester_name", "{{ticket.requester.name}}" },
    { "requester_email", "{{ticket.requester.email}}" },
    { "current_user_email", "{{current_user.email}}" },
    { "tags", "{{ticket.tags}}" },
    { "via", "{{ticket.via}}" },
    { "updated_at", "{{ticket.updated_at_with_timestamp}}" },
};

/* The mappable fields (settings' field_map), and what is lost without one. */
static const struct {
    const char *name, *unmapped;
} TEMPLATE_FIELDS[] = {
    { "order_id", "no custom ticket field carries the order id: the events cannot name the order" },
    { "sku", "no custom ticket field carries the SKU: the events cannot name the item" },
    { "item_price", "no custom ticket field carries the item price: the remedy cannot be priced" },
    { "currency", "no custom ticket field carries the currency: the price cannot be read" },
    { "category", NULL }, /* optional: triage reads the category from the comment */
};

/* The settings a working connector needs beyond the field map, as GET
 * /v1/connectors/zendesk shows them, and why. */
static const struct {
    const char *setting, *missing;
} TEMPLATE_SETTINGS[] = {
    { "enabled", "the connector is not enabled: events are refused until it is" },
    { "subdomain", "no subdomain: notes cannot be written back to Zendesk" },
    { "api_user", "no API user: notes cannot be written back to Zendesk" },
    { "api_token_set", "no API token: notes cannot be written back to Zendesk" },
    { "webhook_secret_set", "no webhook secret: the webhook's signatures cannot be checked, so events are refused" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool add_warning(json_t *warnings, const char *setting, const char *message)
{
    return json_array_append_new(warnings, json_pack("{s:s, s:s}", "setting", setting, "message", message)) == 0;
}

/* The webhook body for these settings (new reference; NULL: no memory). */
static json_t *template_body(const json_t *settings, json_t *warnings)
{
    json_t *body = json_object(), *fields = json_object();
    bool complete = body != NULL && fields != NULL;
    for (size_t i = 0; complete && i < COUNT(TEMPLATE_MEMBERS); i++)
        complete = json_object_set_new(body, TEMPLATE_MEMBERS[i].member,
                                       json_string(TEMPLATE_MEMBERS[i].placeholder)) == 0;
    const json_t *field_map = json_object_get(settings, "field_map");
    for (size_t i = 0; complete && i < COUNT(TEMPLATE_FIELDS); i++) {
        const json_t *id = json_object_get(field_map, TEMPLATE_FIELDS[i].name);
        char setting[64];
        snprintf(setting, sizeof(setting), "field_map.%s", TEMPLATE_FIELDS[i].name);
        if (json_is_integer(id)) {
            char placeholder[64];
            snprintf(placeholder, sizeof(placeholder), "{{ticket.ticket_field_%" JSON_INTEGER_FORMAT "}}",
                     json_integer_value(id));
            complete = json_object_set_new(fields, TEMPLATE_FIELDS[i].name, json_string(placeholder)) == 0;
        } else if (TEMPLATE_FIELDS[i].unmapped != NULL) {
            complete = add_warning(warnings, setting, TEMPLATE_FIELDS[i].unmapped);
        }
    }
    if (complete && json_object_set_new(body, "fields", fields) == 0)
        return body;
    json_decref(body);
    json_decref(fields);
    return NULL;
}

/* How the webhook and the trigger that fires it are set up in Zendesk.
 * The trigger fires only on tickets whose order-id field is present: a
 * ticket without an order (pre-sales, "where is my parcel") has nothing
 * for Redress to decide. */
static json_t *template_setup(const json_t *settings)
{
    const char *api_user = json_string_value(json_object_get(settings, "api_user"));
    char not_redress[320], has_order[128];
    snprintf(not_redress, sizeof(not_redress), "Current user | Is not | %s",
             api_user != NULL ? api_user : "(the API user of settings.api_user)");
    const json_t *order_field = json_object_get(json_object_get(settings, "field_map"), "order_id");
    if (json_is_integer(order_field))
        snprintf(has_order, sizeof(has_order), "Ticket field %" JSON_INTEGER_FORMAT " | Is present",
                 json_integer_value(order_field));
    else
        snprintf(has_order, sizeof(has_order), "Ticket field (the order id field of settings.field_map.order_id)"
                                               " | Is present");
    return json_pack("{s:{s:s, s:s, s:s, s:{s:s, s:s}, s:s}, s:{s:[s, s, s], s:[s, s], s:s}}",
                     "webhook", "endpoint_path", "/v1/connectors/zendesk/events", "method", "POST", "request_format",
                     "JSON", "authentication", "type", "Bearer token", "token", "a Redress API key of this tenant",
                     "signing_secret", "copy the webhook's signing secret into webhook_secret (PUT /v1/connectors/zendesk)",
                     "trigger", "all", "Comment | Is | Public", not_redress, has_order, "any",
                     "Ticket | Is | Created", "Ticket | Is | Updated", "action",
                     "Notify by | Active webhook | the webhook above, with body as the JSON body");
}

enum MHD_Result handle_zendesk_template(struct http_request *req)
{
    enum db_status st;
    json_t *settings = connectors_settings(req->db, req->tenant.id, "zendesk", &st);
    if (settings == NULL) {
        if (st == DB_ERROR)
            log_msg(LOG_ERROR, "request %s: the zendesk settings could not be read for the template",
                    req->request_id);
        return st == DB_ERROR ? http_reply_problem(req, PROBLEM_INTERNAL, "the connector settings could not be read")
                              : http_reply_db_error(req, st);
    }
    json_t *warnings = json_array();
    json_t *body = warnings != NULL ? template_body(settings, warnings) : NULL;
    for (size_t i = 0; body != NULL && i < COUNT(TEMPLATE_SETTINGS); i++) {
        const json_t *value = json_object_get(settings, TEMPLATE_SETTINGS[i].setting);
        if ((value == NULL || json_is_null(value) || json_is_false(value))
            && !add_warning(warnings, TEMPLATE_SETTINGS[i].setting, TEMPLATE_SETTINGS[i].missing)) {
            json_decref(body);
            body = NULL;
        }
    }
    json_t *setup = body != NULL ? template_setup(settings) : NULL;
    json_decref(settings);
    json_t *answer = NULL;
    if (setup != NULL) {
        answer = json_pack("{s:o, s:o, s:b, s:o}", "body", body, "setup", setup, "ready",
                           json_array_size(warnings) == 0, "warnings", warnings);
        body = setup = warnings = NULL; /* taken by answer, or released by json_pack on failure */
    }
    json_decref(body);
    json_decref(setup);
    json_decref(warnings);
    if (answer == NULL) {
        log_msg(LOG_ERROR, "request %s: the zendesk template could not be made (out of memory)", req->request_id);
        return http_reply_problem(req, PROBLEM_INTERNAL, "the template could not be made");
    }
    return http_reply_json(req, 200, answer);
}
