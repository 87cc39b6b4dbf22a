/* POST /v1/imports/{kind}: the seller's report files, streamed. Each piece
 * of the body is decoded (gzip), hashed, parsed into records and staged in
 * the database as it arrives, so memory stays flat whatever the file's
 * size. At the end the import is merged and committed as a whole, or
 * refused as a whole (422 with the lines that say why) and recorded as
 * failed. GET /v1/imports and /v1/imports/{id}: what was imported. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto.h"
#include "db_imports.h"
#include "handlers.h"
#include "imports.h"
#include "inflate.h"
#include "log.h"
#include "validate.h"

/* Set once by http_server_start (REDRESS_IMPORT_MAX_MIB and _CONCURRENCY),
 * read by every worker. */
static uint64_t import_max_bytes = 512ull << 20;
static unsigned import_concurrency = 4;
/* Imports streaming now: each holds a database connection of its own. */
static atomic_uint imports_running;

void imports_configure(unsigned max_mib, unsigned concurrency)
{
    import_max_bytes = (uint64_t)max_mib << 20;
    import_concurrency = concurrency;
}

enum { IMPORTS_PAGE_DEFAULT = 20, IMPORTS_PAGE_MAX = 100 };

/* The media types each kind is sent as (the first is the one to name). */
static const char *const TSV_TYPES[] = { "text/tab-separated-values", "text/plain", NULL };
static const char *const NDJSON_TYPES[] = { "application/x-ndjson", "application/jsonl", NULL };
static const char *const *const KIND_MEDIA_TYPES[IMP_KIND_COUNT] = {
    [IMP_AMAZON_ALL_ORDERS] = TSV_TYPES,
    [IMP_AMAZON_FBA_RETURNS] = TSV_TYPES,
    [IMP_AMAZON_FBM_RETURNS] = TSV_TYPES,
    [IMP_EVENTS] = NDJSON_TYPES,
};

/* Why an upload stopped before its end. */
enum upload_failure {
    UPLOAD_OK,
    UPLOAD_TOO_LARGE,       /* 413 */
    UPLOAD_BAD_ENCODING,    /* 422: not gzip, or corrupt */
    UPLOAD_UNREADABLE,      /* 422: the parser's structural error */
    UPLOAD_DATABASE,        /* 503/500: staging failed */
    UPLOAD_NO_MEMORY,       /* 500 */
};

/* One upload in progress; owned by the request (released by upload_release). */
struct upload {
    char request_id[HTTP_REQUEST_ID_MAX + 1];
    char import_id[CRYPTO_UUID_STRLEN + 1];
    char started_at[32];
    enum imp_kind kind;
    bool abort_on_reject;
    struct inflate_stream *gzip;     /* owned; NULL when the body is not encoded */
    struct crypto_sha256_stream *sha; /* owned; NULL once ended */
    struct imp_parser *parser;       /* owned */
    struct db_import *db;            /* owned until committed or failed */
    uint64_t sent_bytes, decoded_bytes;
    json_t *rejected_rows;           /* owned: the first IMP_REJECTED_KEPT */
    int64_t rejected;
    enum upload_failure failure;
    enum db_status db_status;
    char failure_detail[256];
    bool counted;                    /* holds one of import_concurrency's places */
    /* the end: what is recorded, and how the commit went */
    struct db_import_summary summary;
    char *rejected_text;             /* owned: rejected_rows as JSON text */
    enum db_status commit_status;
};

static void upload_release(void *cls)
{
    struct upload *u = cls;
    inflate_free(u->gzip);
    crypto_sha256_free(u->sha);
    imp_parser_free(u->parser);
    db_import_free(u->db); /* rolls back an import the request did not finish */
    json_decref(u->rejected_rows);
    free(u->rejected_text);
    if (u->counted)
        atomic_fetch_sub(&imports_running, 1);
    free(u);
}

static void fail(struct upload *u, enum upload_failure failure, const char *detail)
{
    if (u->failure != UPLOAD_OK)
        return;
    u->failure = failure;
    snprintf(u->failure_detail, sizeof(u->failure_detail), "%s", detail);
}

/* "the body may be at most 512 MiB" (what: "the body", "the file once decompressed"). */
static void size_limit_detail(const char *what, char *out, size_t size)
{
    snprintf(out, size, "%s may be at most %llu MiB", what, (unsigned long long)(import_max_bytes >> 20));
}

/* Count len more bytes of what; false (and the upload fails) beyond the limit. */
static bool within_limit(struct upload *u, uint64_t *count, size_t len, const char *what)
{
    *count += len;
    if (*count <= import_max_bytes)
        return true;
    char detail[128];
    size_limit_detail(what, detail, sizeof(detail));
    fail(u, UPLOAD_TOO_LARGE, detail);
    return false;
}

/* ---- the parser's sink ---- */

static int sink_record(const struct imp_record *record, void *cls)
{
    struct upload *u = cls;
    enum db_status status = db_import_add(u->db, record);
    if (status == DB_OK)
        return 0;
    u->db_status = status;
    fail(u, UPLOAD_DATABASE, "staging the rows failed");
    return -1;
}

static json_t *rejection_json(const struct imp_rejection *r)
{
    return json_pack("{s:I, s:s, s:s}", "line", (json_int_t)r->line, "column", r->column, "reason", r->reason);
}

static int sink_reject(const struct imp_rejection *rejection, void *cls)
{
    struct upload *u = cls;
    u->rejected++;
    if (json_array_size(u->rejected_rows) < IMP_REJECTED_KEPT
        && json_array_append_new(u->rejected_rows, rejection_json(rejection)) != 0) {
        fail(u, UPLOAD_NO_MEMORY, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- the body, piece by piece ---- */

static int decoded_piece(const char *data, size_t len, void *cls)
{
    struct upload *u = cls;
    if (!within_limit(u, &u->decoded_bytes, len, "the file once decompressed"))
        return -1;
    if (crypto_sha256_update(u->sha, data, len) != 0) {
        fail(u, UPLOAD_NO_MEMORY, "hashing the file failed");
        return -1;
    }
    struct imp_sink sink = { sink_record, sink_reject, u };
    if (imp_parser_feed(u->parser, data, len, &sink) != 0) {
        fail(u, UPLOAD_UNREADABLE, imp_parser_error(u->parser)->reason);
        return -1;
    }
    return 0;
}

static int body_piece(void *cls, const char *data, size_t len)
{
    struct upload *u = cls;
    if (u->failure != UPLOAD_OK || !within_limit(u, &u->sent_bytes, len, "the body"))
        return -1;
    if (u->gzip == NULL)
        return decoded_piece(data, len, u);
    if (inflate_feed(u->gzip, data, len, decoded_piece, u) != 0) {
        fail(u, UPLOAD_BAD_ENCODING, inflate_error(u->gzip)); /* a no-op when decoded_piece failed first */
        return -1;
    }
    return 0;
}

/* ---- answers ---- */

static json_t *import_row_json(const struct db_import_row *row, bool with_rows)
{
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
                             "import_id", row->import_id, "kind", row->kind, "status", row->status,
                             "started_at", row->started_at, "finished_at", row->finished_at,
                             "bytes", (json_int_t)row->bytes, "rows_read", (json_int_t)row->rows_read,
                             "inserted", (json_int_t)row->inserted, "updated", (json_int_t)row->updated,
                             "skipped", (json_int_t)row->skipped, "rejected", (json_int_t)row->rejected);
    if (body == NULL)
        return NULL;
    json_object_set_new(body, "content_sha256",
                        row->content_sha256[0] ? json_string(row->content_sha256) : json_null());
    if (row->created_by[0])
        json_object_set_new(body, "created_by", json_string(row->created_by));
    if (row->error != NULL)
        json_object_set_new(body, "error", json_string(row->error));
    if (with_rows) {
        json_t *rows = json_loads(row->rejected_rows != NULL ? row->rejected_rows : "[]", 0, NULL);
        json_object_set_new(body, "rejected_rows", rows != NULL ? rows : json_array());
        json_object_set_new(body, "rejected_rows_truncated", json_boolean(row->rejected > (int64_t)IMP_REJECTED_KEPT));
    }
    return body;
}

/* The summary as the database row would read back. */
static void summary_row(const struct upload *u, const struct db_import_summary *s, const char *status,
                        const char *error, struct db_import_row *row)
{
    memset(row, 0, sizeof(*row));
    snprintf(row->import_id, sizeof(row->import_id), "%s", u->import_id);
    snprintf(row->kind, sizeof(row->kind), "%s", IMP_KIND_NAMES[u->kind]);
    snprintf(row->status, sizeof(row->status), "%s", status);
    snprintf(row->content_sha256, sizeof(row->content_sha256), "%s", s->content_sha256);
    snprintf(row->started_at, sizeof(row->started_at), "%s", u->started_at);
    snprintf(row->finished_at, sizeof(row->finished_at), "%s", s->finished_at);
    row->bytes = s->bytes;
    row->rows_read = s->rows_read;
    row->inserted = s->inserted;
    row->updated = s->updated;
    row->skipped = s->skipped;
    row->rejected = s->rejected;
    row->rejected_rows = (char *)(uintptr_t)s->rejected_rows; /* borrowed: not cleaned up */
    row->error = (char *)(uintptr_t)error;
}

/* Refuse the whole import: roll back, record it as failed, answer. */
static enum MHD_Result refuse(struct http_request *req, struct upload *u, struct db_import_summary *s,
                              enum http_problem problem, const char *detail, json_t *errors)
{
    if (u->db != NULL) {
        struct db_import *db = u->db;
        u->db = NULL;
        if (db_import_fail(db, s, detail) != DB_OK)
            log_msg(LOG_WARN, "request %s: import %s could not be recorded as failed", req->request_id, u->import_id);
    }
    log_msg(LOG_INFO, "request %s: import %s (%s) refused: %s", req->request_id, u->import_id,
            IMP_KIND_NAMES[u->kind], detail);
    json_t *members = json_pack("{s:s, s:o}", "import_id", u->import_id, "errors", errors != NULL ? errors : json_array());
    return http_reply_problem_with(req, problem, detail, members);
}

/* The merge and commit: on a thread of their own (http_defer), since a
 * large file takes seconds the worker's other connections should not wait. */
static void commit_work(void *cls)
{
    struct upload *u = cls;
    struct db_import *db = u->db;
    u->db = NULL;
    u->commit_status = db_import_commit(db, &u->summary);
}

static enum MHD_Result reply_committed(struct http_request *req, struct upload *u)
{
    const struct db_import_summary *s = &u->summary;
    if (u->commit_status != DB_OK) {
        log_msg(LOG_WARN, "request %s: import %s: the merge or its commit failed (%s)", req->request_id,
                u->import_id, db_status_name(u->commit_status));
        char detail[256];
        snprintf(detail, sizeof(detail),
                 "the database failed before import %s was confirmed: GET /v1/imports/%s says whether it was "
                 "recorded; sending the file again is safe (imports are idempotent)", u->import_id, u->import_id);
        return http_reply_problem(req, u->commit_status == DB_ERROR ? PROBLEM_INTERNAL : PROBLEM_DB_UNAVAILABLE,
                                  detail);
    }
    struct db_import_row row;
    summary_row(u, s, "completed", NULL, &row);
    char location[64];
    snprintf(location, sizeof(location), "/v1/imports/%s", u->import_id);
    http_add_header(req, MHD_HTTP_HEADER_LOCATION, location);
    log_msg(LOG_INFO, "request %s: import %s (%s): %lld rows read, %lld inserted, %lld updated, %lld skipped, "
            "%lld rejected", req->request_id, u->import_id, IMP_KIND_NAMES[u->kind], (long long)s->rows_read,
            (long long)s->inserted, (long long)s->updated, (long long)s->skipped, (long long)s->rejected);
    return http_reply_json(req, 201, import_row_json(&row, true));
}

static enum MHD_Result finish_upload(struct http_request *req, struct upload *u)
{
    struct imp_sink sink = { sink_record, sink_reject, u };
    if (u->failure == UPLOAD_OK && u->gzip != NULL && !inflate_complete(u->gzip))
        fail(u, UPLOAD_BAD_ENCODING, "the gzip body ends before its end (truncated)");
    if (u->failure == UPLOAD_OK && imp_parser_finish(u->parser, &sink) != 0 && u->failure == UPLOAD_OK)
        fail(u, UPLOAD_UNREADABLE, imp_parser_error(u->parser)->reason);

    u->rejected_text = json_dumps(u->rejected_rows, JSON_COMPACT);
    struct db_import_summary *s = &u->summary;
    *s = (struct db_import_summary){
        .bytes = (int64_t)u->decoded_bytes,
        .rows_read = imp_parser_rows(u->parser),
        .rejected = u->rejected,
        .rejected_rows = u->rejected_text != NULL ? u->rejected_text : "[]",
    };
    uint8_t digest[CRYPTO_SHA256_LEN];
    if (u->failure == UPLOAD_OK) {
        struct crypto_sha256_stream *sha = u->sha;
        u->sha = NULL;
        if (crypto_sha256_end(sha, digest) == 0)
            crypto_hex(digest, sizeof(digest), s->content_sha256);
    }

    switch (u->failure) {
    case UPLOAD_TOO_LARGE:
        return refuse(req, u, s, PROBLEM_PAYLOAD_TOO_LARGE, u->failure_detail, NULL);
    case UPLOAD_BAD_ENCODING:
        return refuse(req, u, s, PROBLEM_IMPORT_REFUSED, u->failure_detail, NULL);
    case UPLOAD_UNREADABLE: {
        const struct imp_rejection *why = imp_parser_error(u->parser);
        char detail[288];
        if (why->line > 0)
            snprintf(detail, sizeof(detail), "line %lld: %s", (long long)why->line, why->reason);
        else
            snprintf(detail, sizeof(detail), "%s", why->reason);
        return refuse(req, u, s, PROBLEM_IMPORT_REFUSED, detail, json_pack("[o]", rejection_json(why)));
    }
    case UPLOAD_DATABASE:
        db_import_free(u->db);
        u->db = NULL;
        return http_reply_db_error(req, u->db_status == DB_OK ? DB_ERROR : u->db_status);
    case UPLOAD_NO_MEMORY:
        return http_reply_problem(req, PROBLEM_INTERNAL, u->failure_detail);
    case UPLOAD_OK:
        break;
    }
    if (u->abort_on_reject && u->rejected > 0) {
        char detail[128];
        snprintf(detail, sizeof(detail), "%lld rows were rejected and on_error=abort: nothing was imported",
                 (long long)u->rejected);
        return refuse(req, u, s, PROBLEM_IMPORT_REFUSED, detail, json_incref(u->rejected_rows));
    }
    if (http_defer(req, commit_work, u))
        return MHD_YES; /* called again when the commit has ended */
    commit_work(u);
    return reply_committed(req, u);
}

static bool media_type_in(const char *content_type, const char *const *types)
{
    if (content_type == NULL)
        return false;
    for (; *types != NULL; types++) {
        size_t n = strlen(*types);
        if (strncasecmp(content_type, *types, n) == 0
            && (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' '))
            return true;
    }
    return false;
}

/* The first call: everything the headers decide, then the upload. */
static enum MHD_Result begin_upload(struct http_request *req)
{
    int kind = -1;
    for (int i = 0; i < IMP_KIND_COUNT; i++)
        if (strcmp(req->path_args[0], IMP_KIND_NAMES[i]) == 0)
            kind = i;
    if (kind < 0)
        return http_reply_problem(req, PROBLEM_NOT_FOUND,
                                  "no such import kind: amazon-all-orders, amazon-fba-returns, "
                                  "amazon-fbm-returns or events");
    const char *const *types = KIND_MEDIA_TYPES[kind];
    const char *type = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!media_type_in(type, types)) {
        char detail[128];
        snprintf(detail, sizeof(detail), "send 'Content-Type: %s' for %s", types[0], IMP_KIND_NAMES[kind]);
        return http_reply_problem(req, PROBLEM_UNSUPPORTED_MEDIA_TYPE, detail);
    }
    const char *encoding =
        MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
    bool gzip = false;
    if (encoding != NULL && strcasecmp(encoding, "gzip") != 0 && strcasecmp(encoding, "x-gzip") != 0
        && strcasecmp(encoding, "identity") != 0)
        return http_reply_problem(req, PROBLEM_UNSUPPORTED_MEDIA_TYPE,
                                  "Content-Encoding: send gzip, or the file as it is");
    gzip = encoding != NULL && strcasecmp(encoding, "identity") != 0;
    const char *length = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != NULL && strtoull(length, NULL, 10) > import_max_bytes) {
        char detail[96];
        size_limit_detail("the body", detail, sizeof(detail));
        return http_reply_problem(req, PROBLEM_PAYLOAD_TOO_LARGE, detail);
    }
    const char *on_error = http_query(req, "on_error");
    if (on_error != NULL && strcmp(on_error, "skip") != 0 && strcmp(on_error, "abort") != 0)
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER,
                                  "on_error: 'skip' (import the good rows, list the rejected) or 'abort'");

    struct upload *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    req->body_stream = (struct http_body_stream){ body_piece, upload_release, u };
    if (atomic_fetch_add(&imports_running, 1) >= import_concurrency) {
        atomic_fetch_sub(&imports_running, 1);
        req->body_stream.piece = NULL; /* released with the request */
        return http_reply_problem(req, PROBLEM_NOT_READY, /* 503 with Retry-After */
                                  "other imports are running (REDRESS_IMPORT_CONCURRENCY); send the file again shortly");
    }
    u->counted = true;
    snprintf(u->request_id, sizeof(u->request_id), "%s", req->request_id);
    u->kind = (enum imp_kind)kind;
    u->abort_on_reject = on_error != NULL && strcmp(on_error, "abort") == 0;
    validate_format_time((int64_t)time(NULL), u->started_at);
    u->rejected_rows = json_array();
    u->sha = crypto_sha256_begin();
    u->parser = imp_parser_new(u->kind);
    if (gzip)
        u->gzip = inflate_new();
    if (u->rejected_rows == NULL || u->sha == NULL || u->parser == NULL || (gzip && u->gzip == NULL)
        || crypto_uuid_v4(u->import_id) != 0) {
        req->body_stream.piece = NULL; /* released with the request */
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    }
    enum db_status status =
        db_import_begin(req->tenant.id, u->kind, u->import_id, req->key_prefix, u->started_at, &u->db);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    return MHD_YES;
}

enum MHD_Result handle_imports_create(struct http_request *req)
{
    if (!req->body_done)
        return begin_upload(req);
    if (req->deferred_done)
        return reply_committed(req, req->body_stream.cls);
    return finish_upload(req, req->body_stream.cls);
}

enum MHD_Result handle_imports_list(struct http_request *req)
{
    const char *limit_text = http_query(req, "limit");
    const char *after = http_query(req, "after");
    int limit = IMPORTS_PAGE_DEFAULT;
    if (limit_text != NULL) {
        char *end;
        long v = strtol(limit_text, &end, 10);
        if (*limit_text == '\0' || *end != '\0' || v < 1 || v > IMPORTS_PAGE_MAX)
            return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "limit: must be a whole number from 1 to 100");
        limit = (int)v;
    }
    if (after != NULL && !crypto_uuid_valid(after))
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "after: must be an import_id from an earlier page");
    struct db_import_row *rows;
    int n;
    enum db_status status = db_imports_list(req->db, req->tenant.id, after, limit, &rows, &n);
    if (status != DB_OK) {
        for (int i = 0; i < n; i++)
            db_import_row_cleanup(&rows[i]);
        free(rows);
        return http_reply_db_error(req, status);
    }
    if (after != NULL && n == 0) {
        /* An empty page after an import this tenant does not have would
         * read as "no more": say the cursor is wrong instead. */
        struct db_import_row row;
        enum db_status known = db_import_get(req->db, req->tenant.id, after, &row);
        db_import_row_cleanup(&row);
        free(rows);
        if (known == DB_NOT_FOUND)
            return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "after: no import of yours has that id");
        if (known != DB_OK)
            return http_reply_db_error(req, known);
        rows = NULL;
    }
    json_t *items = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(items, import_row_json(&rows[i], false));
        db_import_row_cleanup(&rows[i]);
    }
    json_t *body = json_pack("{s:o}", "imports", items);
    if (body != NULL && n == limit)
        json_object_set_new(body, "next_after", json_string(rows[n - 1].import_id));
    free(rows);
    return http_reply_json(req, 200, body);
}

enum MHD_Result handle_import_get(struct http_request *req)
{
    if (!crypto_uuid_valid(req->path_args[0]))
        return http_reply_problem(req, PROBLEM_NOT_FOUND, "no such import");
    struct db_import_row row;
    enum db_status status = db_import_get(req->db, req->tenant.id, req->path_args[0], &row);
    if (status == DB_NOT_FOUND)
        return http_reply_problem(req, PROBLEM_NOT_FOUND, "no such import");
    if (status != DB_OK) {
        db_import_row_cleanup(&row);
        return http_reply_db_error(req, status);
    }
    json_t *body = import_row_json(&row, true);
    db_import_row_cleanup(&row);
    return http_reply_json(req, 200, body);
}
