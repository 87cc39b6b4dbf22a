#include "buf.h"
#include "engine.h"
#include "harness.h"
#include "pgproxy.h"
#include "http_text.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "log.h"

static char run_conninfo[512];

const char *th_conninfo(void) { return run_conninfo; }

/* Used outside tests too (main), so it reports by return value. */
static bool admin_exec(const char *sql)
{
    const char *admin = getenv("REDRESS_TEST_ADMIN_URL");
    if (admin == NULL) {
        fprintf(stderr, "REDRESS_TEST_ADMIN_URL is unset: run the tests with 'make test'\n");
        return false;
    }
    PGconn *conn = PQconnectdb(admin);
    PGresult *res = PQexec(conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "%s: %s\n", sql, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    return ok;
}

static bool database_create(char *conninfo_out, size_t size)
{
    uint8_t random[6];
    char hex[13], sql[128];
    crypto_random_bytes(random, sizeof(random));
    crypto_hex(random, sizeof(random), hex);
    snprintf(sql, sizeof(sql), "CREATE DATABASE redress_test_%s", hex);
    if (!admin_exec(sql))
        return false;
    char base[400];
    snprintf(base, sizeof(base), "%s", getenv("REDRESS_TEST_ADMIN_URL"));
    char *dbname = strstr(base, "dbname=postgres");
    if (dbname == NULL)
        return false;
    *dbname = '\0';
    snprintf(conninfo_out, size, "%sdbname=redress_test_%s%s", base, hex,
             dbname + strlen("dbname=postgres"));
    return true;
}

void th_database_create(char *conninfo_out, size_t size)
{
    ck_assert(database_create(conninfo_out, size));
}

static const char *const *override_list;
/* REDRESS_ZENDESK_API_BASE: a server a test starts never calls out, even
 * for rows another suite left in the outbox (loopback, a closed port),
 * unless the test names its fake Zendesk. */
static const char *override_port_etc[] = { "REDRESS_PORT=0", "REDRESS_THREADS=2", "REDRESS_LOG_LEVEL=error",
                                           "REDRESS_ZENDESK_API_BASE=http://127.0.0.1:1", NULL };

static const char *lookup_override(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *list = override_list; list && *list; list++)
        if (strncmp(*list, name, n) == 0 && (*list)[n] == '=')
            return *list + n + 1;
    if (strcmp(name, "REDRESS_LOG_LEVEL") == 0 && getenv("REDRESS_TEST_LOG_LEVEL") != NULL)
        return getenv("REDRESS_TEST_LOG_LEVEL");
    for (const char *const *list = override_port_etc; *list; list++)
        if (strncmp(*list, name, n) == 0 && (*list)[n] == '=')
            return *list + n + 1;
    return NULL;
}

void th_server_start(struct th_server *srv, const char *conninfo, const char *const *extra)
{
    struct config cfg;
    char err[256];
    override_list = extra;
    ck_assert_msg(config_load(&cfg, lookup_override, err, sizeof(err)) == 0, "%s", err);
    snprintf(cfg.database_url, sizeof(cfg.database_url), "%s", conninfo);
    log_set_level(cfg.log_level);
    if (cfg.migrate_on_start) /* as `redress serve` does */
        ck_assert_msg(db_migrate(conninfo, err, sizeof(err)) == 0, "migrate: %s", err);
    ck_assert(db_global_init(conninfo) == 0);
    srv->server = http_server_start(&cfg);
    ck_assert(srv->server != NULL);
    srv->port = http_server_port(srv->server);
}

struct pgproxy *th_server_start_proxied(struct th_server *srv)
{
    const char *socket_path = getenv("REDRESS_TEST_PG_SOCKET");
    ck_assert_msg(socket_path != NULL, "REDRESS_TEST_PG_SOCKET is unset: run the tests with 'make test'");
    struct pgproxy *proxy = pgproxy_start(socket_path);
    ck_assert_ptr_nonnull(proxy);
    char conninfo[800];
    pgproxy_conninfo(proxy, th_conninfo(), conninfo, sizeof(conninfo));
    const char *threads[] = { "REDRESS_THREADS=1", NULL };
    th_server_start(srv, conninfo, threads);
    return proxy;
}

void th_server_stop_proxied(struct th_server *srv, struct pgproxy *proxy)
{
    th_server_stop(srv);
    pgproxy_stop(proxy);
}

void th_server_stop(struct th_server *srv)
{
    http_server_stop(srv->server, 5);
    srv->server = NULL;
}

/* Every response a test sees goes to $REDRESS_TEST_CAPTURE (one JSON object
 * a line), which scripts/test.sh validates against openapi.yaml. */
static void capture_response(const char *method, const char *path, const struct th_response *r)
{
    const char *file = getenv("REDRESS_TEST_CAPTURE");
    if (file == NULL)
        return;
    char content_type[128] = "";
    th_header(r, "Content-Type", content_type, sizeof(content_type));
    /* A binary body (a PDF) is recorded by its size: JSON holds text only. */
    bool binary = strncasecmp(content_type, "application/pdf", 15) == 0;
    json_t *line = json_pack("{s:s, s:s%, s:i, s:s, s:s%, s:I}", "method", method, "path", path, strcspn(path, "?"),
                             "status", (int)r->status, "content_type", content_type, "body", binary ? "" : r->body,
                             binary ? (size_t)0 : r->body_len, "body_bytes", (json_int_t)r->body_len);
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    json_decref(line);
    if (text == NULL)
        return;
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL: written by length, in one append */
    int fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        ssize_t written = write(fd, text, len + 1);
        (void)written;
        close(fd);
    }
    free(text);
}

static size_t collect(char *data, size_t size, size_t n, void *cls)
{
    struct buf *b = cls;
    buf_append(b, data, size * n);
    return size * n;
}

void th_request(unsigned port, const char *method, const char *path, const char *const *headers,
                const char *body, size_t body_len, struct th_response *out)
{
    memset(out, 0, sizeof(*out));
    CURL *curl = curl_easy_init();
    ck_assert(curl != NULL);
    char url[1024];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    struct buf body_buf, header_buf;
    buf_init(&body_buf, 0);
    buf_init(&header_buf, 0);
    struct curl_slist *list = NULL;
    for (const char *const *h = headers; h && *h; h++)
        list = curl_slist_append(list, *h);
    list = curl_slist_append(list, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body_buf);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &header_buf);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    CURLcode rc = curl_easy_perform(curl);
    ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    out->body = buf_steal(&body_buf, &out->body_len);
    out->headers = buf_steal(&header_buf, NULL);
    ck_assert(out->body != NULL && out->headers != NULL);
    out->json = json_loadb(out->body, out->body_len, 0, NULL);
    capture_response(method, path, out);
}

bool th_header(const struct th_response *r, const char *name, char *value, size_t size)
{
    return http_text_header(r->headers, name, value, size);
}

void th_response_free(struct th_response *r)
{
    free(r->body);
    free(r->headers);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

void th_tenant_with_key(const char *conninfo, char name_out[64], char key_out[APIKEY_LEN + 1])
{
    char err[256], prefix[APIKEY_PREFIX_LEN + 1], hex[13];
    uint8_t random[6], digest[CRYPTO_SHA256_LEN];
    crypto_random_bytes(random, sizeof(random));
    crypto_hex(random, sizeof(random), hex);
    snprintf(name_out, 64, "t-%s", hex);
    struct db *db = db_open(conninfo, err, sizeof(err));
    ck_assert_msg(db != NULL, "%s", err);
    struct db_tenant tenant;
    ck_assert(db_tenant_ensure(db, name_out, &tenant) == DB_OK);
    ck_assert(apikey_generate(key_out, prefix, digest) == 0);
    ck_assert(db_api_key_insert(db, tenant.id, prefix, digest) == DB_OK);
    db_close(db);
}

void th_tenant_with_auth(const char *conninfo, char name_out[64], char key_out[APIKEY_LEN + 1],
                         char auth_out[TH_AUTH_HEADER_SIZE])
{
    th_tenant_with_key(conninfo, name_out, key_out);
    snprintf(auth_out, TH_AUTH_HEADER_SIZE, "Authorization: Bearer %s", key_out);
}

/* All of a stream, NUL-terminated (not counted in *len); the caller frees. */
static char *read_stream(FILE *f, const char *what, size_t *len)
{
    struct buf b;
    buf_init(&b, 0);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    ck_assert_msg(!ferror(f), "reading %s failed", what);
    buf_append(&b, "", 1); /* the NUL, not counted */
    ck_assert(buf_ok(&b));
    size_t size;
    char *data = buf_steal(&b, &size);
    if (len != NULL)
        *len = size - 1;
    return data;
}

char *th_read_file(const char *relative, size_t *len)
{
    const char *root = getenv("REDRESS_TEST_ROOT");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root != NULL ? root : ".", relative);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *data = read_stream(f, path, len);
    fclose(f);
    return data;
}

char *th_command_output(const char *command)
{
    FILE *p = popen(command, "r");
    ck_assert_msg(p != NULL, "%s", command);
    char *out = read_stream(p, command, NULL);
    int status = pclose(p);
    ck_assert_msg(status == 0, "%s exited with %d", command, status);
    return out;
}

int th_shell(const char *command, char *out, size_t out_size)
{
    char full[2048];
    snprintf(full, sizeof(full), "%s 2>&1", command);
    FILE *pipe = popen(full, "r");
    ck_assert_ptr_nonnull(pipe);
    size_t len = fread(out, 1, out_size - 1, pipe);
    out[len] = '\0';
    int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void pg_ctl(const char *action)
{
    const char *ctl = getenv("REDRESS_TEST_PG_CTL");
    ck_assert_msg(ctl != NULL, "REDRESS_TEST_PG_CTL is unset: run the tests with 'make test'");
    char command[600];
    snprintf(command, sizeof(command), "%s %s", ctl, action);
    ck_assert_msg(system(command) == 0, "%s failed", command);
}

void th_postgres_stop(void) { pg_ctl("stop"); }
void th_postgres_start(void) { pg_ctl("start"); }

/* GET path; the status, or 0 when nothing answered (no test failure). */
static long probe_status(unsigned port, const char *path)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return 0;
    char url[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    struct buf sink;
    buf_init(&sink, 0);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    buf_cleanup(&sink);
    return status;
}

bool th_wait_for_status(unsigned port, const char *path, long status, int seconds)
{
    for (int i = 0; i < seconds * 10; i++) {
        if (probe_status(port, path) == status)
            return true;
        struct timespec pause = { 0, 100 * 1000000L };
        nanosleep(&pause, NULL);
    }
    return false;
}

int main(void)
{
    char err[256];
    curl_global_init(CURL_GLOBAL_ALL);
    if (!database_create(run_conninfo, sizeof(run_conninfo)))
        return 1;
    if (db_migrate(run_conninfo, err, sizeof(err)) != 0) {
        fprintf(stderr, "migrate: %s\n", err);
        return 1;
    }
    /* The engine's data once, here: every forked test (and every server
     * it starts) inherits it instead of building the lexicons again. */
    if (eng_templates_init(err, sizeof(err)) != 0 || eng_triage_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "engine data: %s\n", err);
        return 1;
    }
    SRunner *runner = srunner_create(util_suite());
    srunner_add_suite(runner, engine_suite());
    srunner_add_suite(runner, db_suite());
    srunner_add_suite(runner, http_suite());
    srunner_add_suite(runner, cases_suite());
    srunner_add_suite(runner, deploy_suite());
    srunner_add_suite(runner, input_suite());
    srunner_add_suite(runner, ops_suite());
    srunner_add_suite(runner, policy_suite());
    srunner_add_suite(runner, import_parse_suite());
    srunner_add_suite(runner, imports_suite());
    srunner_add_suite(runner, reports_suite());
    srunner_add_suite(runner, budget_suite());
    srunner_add_suite(runner, triage_suite());
    srunner_add_suite(runner, messages_suite());
    srunner_add_suite(runner, connectors_suite());
    srunner_add_suite(runner, zendesk_suite());
    srunner_add_suite(runner, outbox_suite());
    srunner_add_suite(runner, gorgias_suite());
    srunner_add_suite(runner, evidence_suite());
    srunner_add_suite(runner, sessions_suite());
    srunner_add_suite(runner, console_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}

void th_post_case(unsigned port, const char *auth, const char *body, char case_id[64])
{
    const char *headers[] = { auth, "Content-Type: application/json", NULL };
    struct th_response r;
    th_request(port, "POST", "/v1/cases", headers, body, strlen(body), &r);
    ck_assert_msg(r.status == 201, "case: %ld %s", r.status, r.body);
    const char *id = json_string_value(json_object_get(r.json, "case_id"));
    ck_assert_ptr_nonnull(id);
    snprintf(case_id, 64, "%s", id);
    th_response_free(&r);
}
