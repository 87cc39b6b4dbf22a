/* The helpdesk connectors' settings, as the service keeps them: what
 * GET/PUT /v1/connectors/{name} show and store (handlers_connectors.c parses
 * and replies), what the events and the delivery worker read.
 *
 * Each connector is described once (CONNECTORS below): the spec table its
 * body is validated by, the checks a string's shape needs beyond its
 * length, which fields are secrets and what enabling it needs. Everything
 * else is derived: the stored document is the validated fields that are
 * not secrets, the defaults are what validating an empty body gives, and
 * GET shows `<secret>_set` for each secret instead of the secret.
 *
 * Secrets are write-only: sealed here with AES-256-GCM under
 * REDRESS_SECRET_KEY (crypto_seal), bound to "tenant:<id>:<connector>:<name>"
 * so that a sealed value copied to another row does not open, and stored
 * as hex. In a PUT a secret left out keeps the stored one, null clears it. */
#include <stdlib.h>
#include <string.h>

#include "connectors.h"
#include "crypto.h"
#include "db_connectors.h"
#include "log.h"
#include "validate.h"


static const char *const LANGUAGES[] = { "en", "zh-Hans", "zh-Hant", "de", "fr", "es", "it", "ja" };
enum { LANGUAGE_COUNT = sizeof(LANGUAGES) / sizeof(LANGUAGES[0]) };

/* Zendesk custom ticket field ids: positive, and exact in any JSON reader. */
#define FIELD_ID_MAX 9007199254740991LL
enum { SECRET_MAX = 1024 }; /* bytes of one secret, as sent */

/* ---- the connectors, described once ---- */

/* A string field's shape beyond its length (run once it validated). */
struct field_check {
    const char *path;
    bool (*valid)(const char *text);
    const char *message;
};

struct connector {
    const char *name;
    const struct field_spec *specs;
    size_t n_specs;
    const struct field_check *checks;
    size_t n_checks;
    const char *const *secrets; /* top-level FIELD_STRING specs never stored in the document */
    size_t n_secrets;
    const char *const *needed_to_enable; /* settings or secrets that must be set when enabled is true */
    size_t n_needed;
};

enum { SUBDOMAIN_MAX = 63 }; /* a DNS label */

/* [a-z0-9][a-z0-9-]{0,62}; the spec checks the length for PUT (naming the
 * field), the worker through connectors_subdomain_valid. */
static bool subdomain_shaped(const char *text)
{
    if (text[0] == '-')
        return false;
    for (const char *p = text; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

bool connectors_subdomain_valid(const char *text)
{
    size_t n = strlen(text);
    return n >= 1 && n <= SUBDOMAIN_MAX && subdomain_shaped(text);
}

/* local@domain.tld: one '@', something before it, a dot inside the domain,
 * no spaces or control characters. Zendesk checks the rest. */
static bool email_shaped(const char *text)
{
    const char *at = strchr(text, '@');
    if (at == NULL || at == text || strchr(at + 1, '@') != NULL)
        return false;
    const char *dot = strrchr(at + 1, '.');
    if (dot == NULL || dot == at + 1 || dot[1] == '\0')
        return false;
    for (const char *p = text; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

struct zendesk_settings {
    bool enabled;
    const char *subdomain, *api_user, *api_token, *webhook_secret;
    int64_t order_id, sku, item_price, currency, category; /* 0: not mapped */
    int note_language;
};

#define ZD_AT(member) offsetof(struct zendesk_settings, member)
static const struct field_spec ZENDESK_SPECS[] = {
    { "enabled", FIELD_BOOL, false, ZD_AT(enabled), 0, 0, NULL, 0, "false" },
    { "subdomain", FIELD_STRING, false, ZD_AT(subdomain), 1, SUBDOMAIN_MAX, NULL, 0, NULL },
    { "api_user", FIELD_STRING, false, ZD_AT(api_user), 3, 254, NULL, 0, NULL },
    { "api_token", FIELD_STRING, false, ZD_AT(api_token), 1, SECRET_MAX, NULL, 0, NULL },
    { "webhook_secret", FIELD_STRING, false, ZD_AT(webhook_secret), 1, SECRET_MAX, NULL, 0, NULL },
    { "field_map", FIELD_OBJECT, false, 0, 0, 0, NULL, 0, NULL },
    { "field_map.order_id", FIELD_INT, false, ZD_AT(order_id), 1, FIELD_ID_MAX, NULL, 0, NULL },
    { "field_map.sku", FIELD_INT, false, ZD_AT(sku), 1, FIELD_ID_MAX, NULL, 0, NULL },
    { "field_map.item_price", FIELD_INT, false, ZD_AT(item_price), 1, FIELD_ID_MAX, NULL, 0, NULL },
    { "field_map.currency", FIELD_INT, false, ZD_AT(currency), 1, FIELD_ID_MAX, NULL, 0, NULL },
    { "field_map.category", FIELD_INT, false, ZD_AT(category), 1, FIELD_ID_MAX, NULL, 0, NULL },
    { "note_language", FIELD_ENUM, false, ZD_AT(note_language), 0, 0, LANGUAGES, LANGUAGE_COUNT, "en" },
};
static const struct field_check ZENDESK_CHECKS[] = {
    { "subdomain", subdomain_shaped,
      "must be the Zendesk subdomain alone (\"acme\" for acme.zendesk.com): lower-case letters, digits and"
      " hyphens, not starting with a hyphen" },
    { "api_user", email_shaped, "must be the e-mail address of the Zendesk user the API token belongs to" },
};
static const char *const ZENDESK_SECRETS[] = { "api_token", "webhook_secret" };
static const char *const ZENDESK_NEEDED[] = { "subdomain", "api_user", "api_token", "webhook_secret" };

struct gorgias_settings {
    bool enabled;
    const char *order_id, *sku, *item_price, *currency; /* custom field names; NULL: not mapped */
    int widget_language;
};

#define GG_AT(member) offsetof(struct gorgias_settings, member)
static const struct field_spec GORGIAS_SPECS[] = {
    { "enabled", FIELD_BOOL, false, GG_AT(enabled), 0, 0, NULL, 0, "false" },
    { "field_map", FIELD_OBJECT, false, 0, 0, 0, NULL, 0, NULL },
    { "field_map.order_id", FIELD_STRING, false, GG_AT(order_id), 1, 64, NULL, 0, NULL },
    { "field_map.sku", FIELD_STRING, false, GG_AT(sku), 1, 64, NULL, 0, NULL },
    { "field_map.item_price", FIELD_STRING, false, GG_AT(item_price), 1, 64, NULL, 0, NULL },
    { "field_map.currency", FIELD_STRING, false, GG_AT(currency), 1, 64, NULL, 0, NULL },
    { "widget_language", FIELD_ENUM, false, GG_AT(widget_language), 0, 0, LANGUAGES, LANGUAGE_COUNT, "en" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
static const struct connector CONNECTORS[] = {
    { "zendesk", ZENDESK_SPECS, COUNT(ZENDESK_SPECS), ZENDESK_CHECKS, COUNT(ZENDESK_CHECKS), ZENDESK_SECRETS,
      COUNT(ZENDESK_SECRETS), ZENDESK_NEEDED, COUNT(ZENDESK_NEEDED) },
    { "gorgias", GORGIAS_SPECS, COUNT(GORGIAS_SPECS), NULL, 0, NULL, 0, NULL, 0 },
};

/* Room for any connector's validated fields. */
union connector_values {
    struct zendesk_settings zendesk;
    struct gorgias_settings gorgias;
};

static const struct connector *connector_find(const char *name)
{
    for (size_t i = 0; i < COUNT(CONNECTORS); i++)
        if (strcmp(CONNECTORS[i].name, name) == 0)
            return &CONNECTORS[i];
    return NULL;
}

static bool is_secret(const struct connector *c, const char *path)
{
    for (size_t i = 0; i < c->n_secrets; i++)
        if (strcmp(c->secrets[i], path) == 0)
            return true;
    return false;
}

/* ---- the document, derived from the specs ---- */

/* A validated field as JSON: null for a string or id that is not set. */
static json_t *field_json(const struct field_spec *spec, const void *values)
{
    const char *at = (const char *)values + spec->offset;
    switch (spec->kind) {
    case FIELD_STRING: {
        const char *text = *(const char *const *)(const void *)at;
        return text != NULL ? json_string(text) : json_null();
    }
    case FIELD_INT: {
        int64_t n = *(const int64_t *)(const void *)at;
        return n > 0 ? json_integer(n) : json_null();
    }
    case FIELD_BOOL:
        return json_boolean(*(const bool *)(const void *)at);
    case FIELD_ENUM:
        return json_string(spec->names[*(const int *)(const void *)at]);
    default:
        return NULL; /* no connector uses another kind */
    }
}

/* Set value (stolen) at a path of at most two segments ("field_map.sku"),
 * making the object on the way. Returns 0, or -1 when out of memory. */
static int set_path(json_t *doc, const char *path, json_t *value)
{
    const char *dot = strchr(path, '.');
    if (dot == NULL)
        return json_object_set_new(doc, path, value);
    char parent[64];
    snprintf(parent, sizeof(parent), "%.*s", (int)(dot - path), path);
    json_t *object = json_object_get(doc, parent);
    if (object == NULL && json_object_set_new(doc, parent, object = json_object()) != 0) {
        json_decref(value);
        return -1;
    }
    return json_object_set_new(object, dot + 1, value);
}

static const json_t *get_path(const json_t *doc, const char *path)
{
    const char *dot = strchr(path, '.');
    if (dot == NULL)
        return json_object_get(doc, path);
    char parent[64];
    snprintf(parent, sizeof(parent), "%.*s", (int)(dot - path), path);
    return json_object_get(json_object_get(doc, parent), dot + 1);
}

/* The settings that are not secrets, as a new document (NULL: out of memory). */
static json_t *settings_document(const struct connector *c, const void *values)
{
    json_t *doc = json_object();
    for (size_t i = 0; doc != NULL && i < c->n_specs; i++) {
        const struct field_spec *spec = &c->specs[i];
        if (spec->kind == FIELD_OBJECT || is_secret(c, spec->path))
            continue;
        json_t *value = field_json(spec, values);
        if (value == NULL || set_path(doc, spec->path, value) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    return doc;
}

/* ---- GET ---- */

/* What GET shows: the defaults, overlaid with the stored document's known
 * fields, and `<secret>_set` for each secret. stored and secrets are JSON
 * text or NULL (nothing saved). NULL when out of memory or unreadable. */
static json_t *settings_view(const struct connector *c, const char *stored, const char *secrets)
{
    union connector_values defaults;
    memset(&defaults, 0, sizeof(defaults));
    json_t *empty = json_object(), *errors = json_array();
    bool ok = empty != NULL && validate_json(empty, c->specs, c->n_specs, &defaults, errors);
    json_decref(empty);
    json_decref(errors);
    json_t *view = ok ? settings_document(c, &defaults) : NULL;
    json_t *stored_doc = stored != NULL ? json_loads(stored, 0, NULL) : NULL;
    json_t *secrets_doc = secrets != NULL ? json_loads(secrets, 0, NULL) : json_object();
    if ((stored != NULL && stored_doc == NULL) || secrets_doc == NULL) {
        json_decref(view);
        view = NULL;
    }
    for (size_t i = 0; view != NULL && stored_doc != NULL && i < c->n_specs; i++) {
        const struct field_spec *spec = &c->specs[i];
        const json_t *value = get_path(stored_doc, spec->path);
        if (spec->kind == FIELD_OBJECT || is_secret(c, spec->path) || value == NULL)
            continue;
        if (set_path(view, spec->path, json_deep_copy(value)) != 0) {
            json_decref(view);
            view = NULL;
        }
    }
    for (size_t i = 0; view != NULL && i < c->n_secrets; i++) {
        char name[80];
        snprintf(name, sizeof(name), "%s_set", c->secrets[i]);
        if (json_object_set_new(view, name, json_boolean(json_object_get(secrets_doc, c->secrets[i]) != NULL))
            != 0) {
            json_decref(view);
            view = NULL;
        }
    }
    json_decref(stored_doc);
    json_decref(secrets_doc);
    return view;
}

json_t *connectors_settings(struct db *db, int64_t tenant_id, const char *connector, enum db_status *status)
{
    const struct connector *c = connector_find(connector);
    if (c == NULL) {
        *status = DB_NOT_FOUND;
        return NULL;
    }
    char *stored = NULL, *secrets = NULL; /* ours: freed below */
    *status = db_connector_settings_get(db, tenant_id, c->name, &stored, &secrets);
    if (*status != DB_OK)
        return NULL;
    json_t *view = settings_view(c, stored, secrets);
    free(stored);
    free(secrets);
    if (view == NULL) {
        log_msg(LOG_ERROR, "tenant %lld: the %s settings could not be read (out of memory, or a stored document"
                " that is not JSON)", (long long)tenant_id, c->name);
        *status = DB_ERROR;
    }
    return view;
}

enum db_status connectors_secret_open(struct db *db, const uint8_t *key, int64_t tenant_id, const char *connector,
                                      const char *name, char **out)
{
    *out = NULL;
    const struct connector *c = connector_find(connector);
    if (c == NULL || !is_secret(c, name))
        return DB_NOT_FOUND;
    char *stored = NULL, *secrets = NULL; /* ours: freed below */
    enum db_status status = db_connector_settings_get(db, tenant_id, c->name, &stored, &secrets);
    json_t *doc = secrets != NULL ? json_loads(secrets, 0, NULL) : NULL;
    free(stored);
    free(secrets);
    const char *hex = json_string_value(json_object_get(doc, name));
    if (status == DB_OK && hex == NULL)
        status = DB_NOT_FOUND;
    size_t sealed_len = hex != NULL ? strlen(hex) / 2 : 0;
    uint8_t *sealed = status == DB_OK ? malloc(sealed_len + 1) : NULL;
    char *plain = status == DB_OK ? malloc(sealed_len + 1) : NULL; /* more than the plaintext needs */
    if (status == DB_OK) {
        char aad[128];
        snprintf(aad, sizeof(aad), "tenant:%lld:%s:%s", (long long)tenant_id, c->name, name);
        if (key == NULL || sealed == NULL || plain == NULL || crypto_unhex(hex, sealed, sealed_len) != 0
            || crypto_open(key, aad, sealed, sealed_len, plain) != 0) {
            /* Fail closed: no key, or a value altered, moved or sealed under another key. */
            log_msg(LOG_ERROR, "tenant %lld: the %s %s could not be opened (%s)", (long long)tenant_id, c->name,
                    name, key == NULL ? "REDRESS_SECRET_KEY is not set" : "not sealed for it with this key");
            status = DB_ERROR;
        } else {
            plain[sealed_len - CRYPTO_SEAL_OVERHEAD] = '\0';
            *out = plain;
            plain = NULL;
        }
    }
    free(sealed);
    free(plain);
    json_decref(doc);
    return status;
}

/* ---- PUT ---- */

/* What the write judges (db_connector_accept_fn): when the document says
 * enabled, every field needed to enable the connector must be set, in the
 * document or among the secrets the write leaves. */
struct enable_check {
    const struct connector *connector;
    const json_t *document;
    json_t *errors; /* emptied on each run: the transaction may run again */
};

static bool enable_check_accept(const char *secrets, void *cls)
{
    struct enable_check *check = cls;
    const struct connector *c = check->connector;
    json_array_clear(check->errors);
    if (!json_is_true(json_object_get(check->document, "enabled")))
        return true;
    json_t *stored_secrets = json_loads(secrets, 0, NULL);
    if (stored_secrets == NULL) { /* fail closed */
        validate_error(check->errors, "(body)", "the stored secrets could not be read");
        return false;
    }
    bool accepted = true;
    for (size_t i = 0; i < c->n_needed; i++) {
        const char *name = c->needed_to_enable[i];
        bool set = is_secret(c, name) ? json_object_get(stored_secrets, name) != NULL
                                      : !json_is_null(get_path(check->document, name));
        if (!set) {
            validate_error_unprocessable(check->errors, name, "is required to enable the connector");
            accepted = false;
        }
    }
    json_decref(stored_secrets);
    return accepted;
}

/* The shape checks of the fields that validated as strings. */
static bool check_shapes(const struct connector *c, const void *values, json_t *errors)
{
    bool ok = true;
    for (size_t i = 0; i < c->n_checks; i++) {
        const struct field_check *check = &c->checks[i];
        for (size_t j = 0; j < c->n_specs; j++) {
            if (strcmp(c->specs[j].path, check->path) != 0)
                continue;
            const char *text = *(const char *const *)(const void *)((const char *)values + c->specs[j].offset);
            if (text != NULL && !check->valid(text)) {
                validate_error(errors, check->path, "%s", check->message);
                ok = false;
            }
        }
    }
    return ok;
}

/* Seal text as tenant's secret `name` of connector c, as hex (malloc'd,
 * caller frees; NULL on failure). */
static char *seal_secret(const uint8_t *key, int64_t tenant_id, const struct connector *c, const char *name,
                         const char *text)
{
    char aad[128];
    snprintf(aad, sizeof(aad), "tenant:%lld:%s:%s", (long long)tenant_id, c->name, name);
    size_t n = strlen(text), sealed_len = n + CRYPTO_SEAL_OVERHEAD;
    uint8_t *sealed = malloc(sealed_len);
    char *hex = malloc(2 * sealed_len + 1);
    if (sealed == NULL || hex == NULL || crypto_seal(key, aad, text, n, sealed) != 0) {
        free(hex);
        hex = NULL;
    } else {
        crypto_hex(sealed, sealed_len, hex);
    }
    free(sealed);
    return hex;
}

/* The secrets of the body: those given as strings, sealed, into set (name
 * -> hex); those given as null into clear (a text[] literal). Returns 0,
 * or -1 when one could not be sealed. */
static int body_secrets(const json_t *body, int64_t tenant_id, const struct connector *c, const uint8_t *key,
                        json_t *set, char *clear, size_t clear_size)
{
    snprintf(clear, clear_size, "{");
    for (size_t i = 0; i < c->n_secrets; i++) {
        const json_t *value = json_object_get(body, c->secrets[i]);
        if (json_is_null(value)) {
            size_t used = strlen(clear);
            snprintf(clear + used, clear_size - used, "%s%s", used > 1 ? "," : "", c->secrets[i]);
        } else if (json_is_string(value)) {
            char *hex = seal_secret(key, tenant_id, c, c->secrets[i], json_string_value(value));
            if (hex == NULL || json_object_set_new(set, c->secrets[i], json_string(hex)) != 0) {
                free(hex);
                return -1;
            }
            free(hex);
        }
    }
    size_t used = strlen(clear);
    snprintf(clear + used, clear_size - used, "}");
    return 0;
}

static bool body_sets_a_secret(const json_t *body, const struct connector *c)
{
    for (size_t i = 0; i < c->n_secrets; i++)
        if (json_is_string(json_object_get(body, c->secrets[i])))
            return true;
    return false;
}

bool connectors_known(const char *name)
{
    return connector_find(name) != NULL;
}

enum connectors_put_outcome connectors_settings_put(struct db **db, const uint8_t *key, int64_t tenant_id,
                                                    const char *connector, const json_t *body, json_t *errors,
                                                    enum db_status *db_status)
{
    *db_status = DB_OK;
    const struct connector *c = connector_find(connector);
    if (c == NULL)
        return CONNECTORS_PUT_UNKNOWN;
    union connector_values values;
    memset(&values, 0, sizeof(values)); /* a field that failed validation reads as not set */
    bool valid = validate_json(body, c->specs, c->n_specs, &values, errors);
    valid = check_shapes(c, &values, errors) && valid;
    if (!valid)
        return CONNECTORS_PUT_INVALID;
    if (key == NULL && body_sets_a_secret(body, c))
        return CONNECTORS_PUT_NO_KEY;
    json_t *document = settings_document(c, &values), *set = json_object();
    char clear[256]; /* the names are short identifiers; a literal cut short would fail in SQL */
    char *document_text = NULL, *set_text = NULL;
    enum connectors_put_outcome outcome;
    if (document == NULL || set == NULL || body_secrets(body, tenant_id, c, key, set, clear, sizeof(clear)) != 0
        || (document_text = json_dumps(document, JSON_COMPACT)) == NULL
        || (set_text = json_dumps(set, JSON_COMPACT)) == NULL) {
        log_msg(LOG_ERROR, "tenant %lld: the %s settings could not be prepared (out of memory, or sealing failed)",
                (long long)tenant_id, c->name);
        outcome = CONNECTORS_PUT_FAILED;
        goto out;
    }
    struct enable_check check = { c, document, errors };
    *db_status = db_connector_settings_put(db, tenant_id, c->name, document_text, set_text, clear,
                                           enable_check_accept, &check);
    outcome = *db_status == DB_OK        ? CONNECTORS_PUT_STORED
              : *db_status == DB_SETTLED ? CONNECTORS_PUT_INVALID
                                         : CONNECTORS_PUT_DB_ERROR;
out:
    json_decref(document);
    json_decref(set);
    free(document_text);
    free(set_text);
    return outcome;
}
