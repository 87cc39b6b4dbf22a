/* GET/PUT/PATCH /v1/policy, GET /v1/policy/versions[/{n}], and the
 * per-thread cache of parsed policies that every decision reads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "log.h"
#include "policy_json.h"
#include "validate.h"

/* ---- the parsed policies of this worker thread ---- */

/* A few tenants per thread: a miss costs one parse of a stored document
 * (the database sends it only when the cached version is not current). */
enum { POLICY_CACHE_SLOTS = 32 };

struct policy_cache_entry {
    int64_t tenant_id;   /* 0: empty */
    struct eng_policy policy;
};

/* Owned by the thread; never shared, so no lock. */
static _Thread_local struct policy_cache_entry policy_cache[POLICY_CACHE_SLOTS];

static struct policy_cache_entry *cache_slot(int64_t tenant_id)
{
    return &policy_cache[(uint64_t)tenant_id % POLICY_CACHE_SLOTS];
}

int policy_cached_version(int64_t tenant_id)
{
    const struct policy_cache_entry *e = cache_slot(tenant_id);
    return e->tenant_id == tenant_id ? e->policy.version : 0;
}

/* A stored document read (stored documents were valid when written). */
static int policy_parse_stored(int64_t tenant_id, int version, const char *document, struct eng_policy *out)
{
    json_t *errors = json_array();
    json_t *doc = json_loads(document, 0, NULL);
    const char *note;
    bool valid = doc != NULL && errors != NULL && policy_from_json(doc, out, &note, errors);
    if (!valid) {
        char *why = errors ? json_dumps(errors, JSON_COMPACT) : NULL;
        log_msg(LOG_ERROR, "tenant %lld: stored policy version %d does not read: %s", (long long)tenant_id, version,
                why ? why : "(unparsable)");
        free(why);
    }
    json_decref(doc);
    json_decref(errors);
    if (!valid)
        return -1;
    out->version = version;
    return 0;
}

int policy_resolve(int64_t tenant_id, int version, const char *document, struct eng_policy *out)
{
    struct policy_cache_entry *e = cache_slot(tenant_id);
    if (version == 1) {
        *out = *eng_policy_default();
        return 0;
    }
    if (document == NULL) {
        if (e->tenant_id != tenant_id || e->policy.version != version)
            return -1; /* the database thought we had it: a bug */
        *out = e->policy;
        return 0;
    }
    if (policy_parse_stored(tenant_id, version, document, out) != 0)
        return -1;
    e->tenant_id = tenant_id;
    e->policy = *out;
    return 0;
}

enum db_status policy_current(struct http_request *req, struct eng_policy *out)
{
    int version;
    char *document;
    enum db_status status = db_policy_current(req->db, req->tenant.id, policy_cached_version(req->tenant.id),
                                              &version, &document);
    if (status != DB_OK)
        return status;
    int rc = policy_resolve(req->tenant.id, version, document, out);
    free(document);
    if (rc != 0)
        log_msg(LOG_ERROR, "request %s: the tenant's policy version %d could not be read", req->request_id, version);
    return rc == 0 ? DB_OK : DB_ERROR;
}

/* ---- the API ---- */

static void set_etag(struct http_request *req, int version)
{
    char etag[24];
    snprintf(etag, sizeof(etag), "\"%d\"", version);
    http_add_header(req, MHD_HTTP_HEADER_ETAG, etag);
}

/* A version as the API shows it: the document and who made it when. */
static enum MHD_Result reply_version(struct http_request *req, const struct db_policy_version *v)
{
    struct eng_policy policy = *eng_policy_default();
    if (v->document != NULL) {
        if (policy_parse_stored(req->tenant.id, v->version, v->document, &policy) != 0)
            return http_reply_problem(req, PROBLEM_INTERNAL, "the stored policy could not be read");
    }
    json_t *body = policy_to_json(&policy);
    if (body == NULL
        || json_object_update_new(body, json_pack("{s:i, s:s, s:o, s:o}", "version", v->version, "created_at",
                                                  v->created_at, "created_by",
                                                  v->created_by[0] ? json_string(v->created_by) : json_null(),
                                                  "note", v->note ? json_string(v->note) : json_null())) != 0) {
        json_decref(body);
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    }
    set_etag(req, v->version);
    return http_reply_json(req, 200, body);
}

enum MHD_Result handle_policy_get(struct http_request *req)
{
    struct db_policy_version v;
    enum db_status status = db_policy_get(req->db, req->tenant.id, 0, &v);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    enum MHD_Result result = reply_version(req, &v);
    db_policy_version_cleanup(&v);
    return result;
}

/* A whole number 1..INT_MAX-1 from text such as "3"; -1 otherwise. */
static int parse_version(const char *text, size_t len)
{
    if (len == 0 || len > 9)
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    return v >= 1 ? v : -1;
}

/* If-Match: "N" (an ETag this service gave). 0 with a problem sent when
 * it is missing (428) or malformed (400). */
static int if_match_version(struct http_request *req, enum MHD_Result *sent)
{
    const char *header = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MATCH);
    if (header == NULL) {
        *sent = http_reply_problem(req, PROBLEM_PRECONDITION_REQUIRED,
                                   "send If-Match with the ETag of GET /v1/policy, e.g. If-Match: \"1\"");
        return 0;
    }
    size_t len = strlen(header);
    int version = len >= 3 && header[0] == '"' && header[len - 1] == '"' ? parse_version(header + 1, len - 2) : -1;
    if (version < 0) {
        *sent = http_reply_problem(req, PROBLEM_BAD_PARAMETER, "If-Match: must be a version as its ETag, e.g. \"3\"");
        return 0;
    }
    return version;
}

/* Validate a candidate document and store it as the next version. */
static enum MHD_Result store_version(struct http_request *req, int if_match, json_t *doc)
{
    /* What GET shows but nobody writes: accepted, so that a GET body can go back. */
    json_object_del(doc, "version");
    json_object_del(doc, "created_at");
    json_object_del(doc, "created_by");
    json_t *errors = json_array();
    if (errors == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    struct eng_policy policy;
    const char *note;
    if (!policy_from_json(doc, &policy, &note, errors))
        return http_reply_invalid(req, errors);
    json_decref(errors);
    json_t *canonical = policy_to_json(&policy);
    char *text = canonical ? json_dumps(canonical, JSON_COMPACT) : NULL;
    json_decref(canonical);
    if (text == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    struct db_policy_version v;
    memset(&v, 0, sizeof(v));
    enum db_status status = db_policy_insert(req->db, req->tenant.id, if_match, text, note,
                                             req->key_prefix[0] ? req->key_prefix : NULL, &v);
    if (status == DB_CONFLICT) {
        free(text);
        return http_reply_problem(req, PROBLEM_PRECONDITION_FAILED,
                                  "the policy has changed since that version; read it again and reapply the change");
    }
    if (status != DB_OK) {
        free(text);
        return http_reply_db_error(req, status);
    }
    log_msg(LOG_INFO, "request %s: tenant %s policy version %d by key %s", req->request_id, req->tenant.name,
            v.version, req->key_prefix);
    v.document = text; /* freed by the cleanup */
    v.note = note ? strdup(note) : NULL;
    snprintf(v.created_by, sizeof(v.created_by), "%s", req->key_prefix);
    enum MHD_Result result = reply_version(req, &v);
    db_policy_version_cleanup(&v);
    return result;
}

enum MHD_Result handle_policy_put(struct http_request *req)
{
    enum MHD_Result sent = MHD_NO;
    int if_match = if_match_version(req, &sent);
    if (if_match == 0)
        return sent;
    json_t *doc = json_deep_copy(req->json);
    if (doc == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    enum MHD_Result result = store_version(req, if_match, doc);
    json_decref(doc);
    return result;
}

/* RFC 7396: the patch merged into target (new reference; NULL when out of
 * memory). A null member removes it; a non-object patch replaces. */
static json_t *merge_patch(const json_t *target, const json_t *patch)
{
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    json_t *result = json_is_object(target) ? json_deep_copy(target) : json_object();
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)(uintptr_t)patch, key, value) {
        if (result == NULL)
            break;
        if (json_is_null(value)) {
            json_object_del(result, key);
            continue;
        }
        json_t *merged = merge_patch(json_object_get(result, key), value);
        if (merged == NULL || json_object_set_new(result, key, merged) != 0) {
            json_decref(result);
            result = NULL;
        }
    }
    return result;
}

enum MHD_Result handle_policy_patch(struct http_request *req)
{
    enum MHD_Result sent = MHD_NO;
    int if_match = if_match_version(req, &sent);
    if (if_match == 0)
        return sent;
    struct db_policy_version current;
    enum db_status status = db_policy_get(req->db, req->tenant.id, 0, &current);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    if (current.version != if_match) {
        db_policy_version_cleanup(&current);
        return http_reply_problem(req, PROBLEM_PRECONDITION_FAILED,
                                  "the policy has changed since that version; read it again and reapply the change");
    }
    /* The base is the document as stored (version 1: the defaults'), without a note. */
    json_t *base = current.document ? json_loads(current.document, 0, NULL) : policy_to_json(eng_policy_default());
    db_policy_version_cleanup(&current);
    json_t *doc = base ? merge_patch(base, req->json) : NULL;
    json_decref(base);
    if (doc == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "the stored policy could not be read");
    enum MHD_Result result = store_version(req, if_match, doc);
    json_decref(doc);
    return result;
}

enum { VERSIONS_PAGE_DEFAULT = 20, VERSIONS_PAGE_MAX = 100 };

enum MHD_Result handle_policy_versions(struct http_request *req)
{
    const char *limit_text = http_query(req, "limit");
    const char *cursor = http_query(req, "cursor");
    int limit = limit_text ? parse_version(limit_text, strlen(limit_text)) : VERSIONS_PAGE_DEFAULT;
    if (limit < 1 || limit > VERSIONS_PAGE_MAX)
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "limit: must be a whole number from 1 to 100");
    int before = cursor ? parse_version(cursor, strlen(cursor)) : 1000000000;
    if (before < 1)
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "cursor: must be the next_cursor of an earlier page");
    struct db_policy_version *versions;
    int n;
    enum db_status status = db_policy_list(req->db, req->tenant.id, before, limit, &versions, &n);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    json_t *items = json_array();
    for (int i = 0; items != NULL && i < n; i++) {
        const struct db_policy_version *v = &versions[i];
        if (json_array_append_new(items, json_pack("{s:i, s:s, s:o, s:o}", "version", v->version, "created_at",
                                                   v->created_at, "created_by",
                                                   v->created_by[0] ? json_string(v->created_by) : json_null(),
                                                   "note", v->note ? json_string(v->note) : json_null())) != 0) {
            json_decref(items);
            items = NULL;
        }
    }
    /* A full page may have more below it; the last page (version 1) has none. */
    char next[24] = "";
    if (n == limit && versions[n - 1].version > 1)
        snprintf(next, sizeof(next), "%d", versions[n - 1].version);
    for (int i = 0; i < n; i++)
        db_policy_version_cleanup(&versions[i]);
    free(versions);
    if (items == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    return http_reply_json(req, 200, json_pack("{s:o, s:o}", "versions", items, "next_cursor",
                                               next[0] ? json_string(next) : json_null()));
}

enum MHD_Result handle_policy_version_get(struct http_request *req)
{
    const char *arg = req->path_args[0];
    int version = parse_version(arg, strlen(arg));
    if (version < 1)
        return http_reply_problem(req, PROBLEM_NOT_FOUND, "no such policy version");
    struct db_policy_version v;
    enum db_status status = db_policy_get(req->db, req->tenant.id, version, &v);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    enum MHD_Result result = reply_version(req, &v);
    db_policy_version_cleanup(&v);
    return result;
}
