/* Operating the service: the local cluster of `make run` from a private
 * checkout, serve started before its database, API key management and the
 * per-tenant rate limit. The CLI tests run the built binary. */
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "harness.h"
#include "ratelimit.h"

/* ---- running things ---- */

/* Run a shell command; its output (stdout and stderr) goes to out. Returns
 * the exit status. */
/* The redress binary with REDRESS_DATABASE_URL=conninfo and args. */
static int redress(const char *conninfo, const char *args, char *out, size_t out_size)
{
    const char *binary = getenv("REDRESS_TEST_BINARY");
    ck_assert_ptr_nonnull(binary);
    char command[1024];
    snprintf(command, sizeof(command), "REDRESS_DATABASE_URL='%s' REDRESS_LOG_LEVEL=warn %s %s", conninfo,
             binary, args);
    return th_shell(command, out, out_size);
}

/* ---- defect 11: the local cluster from a checkout postgres cannot reach ---- */

START_TEST(local_cluster_starts_from_a_private_checkout)
{
    const char *root = getenv("REDRESS_TEST_ROOT");
    ck_assert_ptr_nonnull(root);
    char dir[64] = "/tmp/redress-ops.XXXXXX", command[1024], out[4096];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chmod(dir, 0700), 0); /* like root's home: others cannot traverse it */
    snprintf(command, sizeof(command), "mkdir -p %s/checkout/scripts && cp %s/scripts/local-db.sh %s/scripts/pg.sh"
             " %s/checkout/scripts/", dir, root, root, dir);
    ck_assert_int_eq(th_shell(command, out, sizeof(out)), 0);

    snprintf(command, sizeof(command), "%s/checkout/scripts/local-db.sh start", dir);
    int started = th_shell(command, out, sizeof(out));
    ck_assert_msg(started == 0, "local-db.sh start failed: %s", out);

    /* .local/env points at the cluster, which answers as the redress role */
    char env_path[128], line[512], conninfo[400] = "";
    snprintf(env_path, sizeof(env_path), "%s/checkout/.local/env", dir);
    FILE *env = fopen(env_path, "r");
    ck_assert_ptr_nonnull(env);
    while (fgets(line, sizeof(line), env))
        if (sscanf(line, "REDRESS_DATABASE_URL='%399[^']'", conninfo) == 1)
            break;
    fclose(env);
    ck_assert_msg(conninfo[0] != '\0', "no REDRESS_DATABASE_URL in %s", env_path);
    PGconn *conn = PQconnectdb(conninfo);
    bool connected = PQstatus(conn) == CONNECTION_OK;
    PGresult *res = connected ? PQexec(conn, "SELECT current_user") : NULL;
    bool as_redress = res != NULL && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "redress") == 0;
    PQclear(res);
    PQfinish(conn);

    snprintf(command, sizeof(command), "%s/checkout/scripts/local-db.sh dir", dir);
    char cluster[512];
    ck_assert_int_eq(th_shell(command, cluster, sizeof(cluster)), 0);
    cluster[strcspn(cluster, "\n")] = '\0';
    snprintf(command, sizeof(command), "%s/checkout/scripts/local-db.sh stop", dir);
    int stopped = th_shell(command, out, sizeof(out));
    snprintf(command, sizeof(command), "%s/checkout/scripts/local-db.sh status", dir);
    int status_after = th_shell(command, out, sizeof(out));
    snprintf(command, sizeof(command), "rm -rf '%s' %s", cluster, dir);
    ck_assert_int_eq(th_shell(command, out, sizeof(out)), 0);

    ck_assert_msg(connected && as_redress, "the local cluster (%s) did not answer as 'redress'", conninfo);
    ck_assert_int_eq(stopped, 0);
    ck_assert_int_ne(status_after, 0);
    ck_assert_msg(strncmp(cluster, dir, strlen(dir)) != 0 || geteuid() != 0,
                  "as root the cluster must live where postgres can reach it, not in %s", cluster);
}
END_TEST

/* ---- defect 12: serve before the database ---- */

struct serve_process {
    pid_t pid;
    unsigned port;
    char log_path[128];
};

static void serve_start(struct serve_process *p, const char *conninfo, const char *const *env)
{
    const char *binary = getenv("REDRESS_TEST_BINARY");
    ck_assert_ptr_nonnull(binary);
    snprintf(p->log_path, sizeof(p->log_path), "/tmp/redress-ops-serve.XXXXXX");
    int fd = mkstemp(p->log_path);
    ck_assert_int_ge(fd, 0);
    p->port = 0;
    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a failed test leaves nothing running */
        dup2(fd, STDERR_FILENO);
        setenv("REDRESS_DATABASE_URL", conninfo, 1);
        setenv("REDRESS_PORT", "0", 1);
        setenv("REDRESS_THREADS", "2", 1);
        setenv("REDRESS_LOG_LEVEL", "info", 1);
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)(uintptr_t)*e);
        execl(binary, binary, "serve", (char *)NULL);
        _exit(127);
    }
    close(fd);
    static const char LISTENING[] = "listening on http://127.0.0.1:";
    for (int i = 0; i < 400 && p->port == 0; i++) {
        FILE *log = fopen(p->log_path, "r");
        char line[1024];
        while (log && fgets(line, sizeof(line), log)) {
            char *at = strstr(line, LISTENING);
            if (at)
                p->port = (unsigned)atoi(at + strlen(LISTENING));
        }
        if (log)
            fclose(log);
        if (p->port == 0 && waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            break;
        }
        struct timespec pause = { 0, 50 * 1000000L };
        nanosleep(&pause, NULL);
    }
    ck_assert_msg(p->port != 0, "serve did not start listening (log: %s)", p->log_path);
}

/* Stop it; returns its exit status. */
static int serve_stop(struct serve_process *p)
{
    int status = -1;
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        waitpid(p->pid, &status, 0);
    }
    unlink(p->log_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool log_contains(const struct serve_process *p, const char *text)
{
    FILE *log = fopen(p->log_path, "r");
    char line[2048];
    bool found = false;
    while (log && !found && fgets(line, sizeof(line), log))
        found = strstr(line, text) != NULL;
    if (log)
        fclose(log);
    return found;
}

static void admin_sql(const char *sql)
{
    PGconn *conn = PQconnectdb(getenv("REDRESS_TEST_ADMIN_URL"));
    PGresult *res = PQexec(conn, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
}

/* A connection string for a database that does not exist (yet). */
static void absent_database(char *name, size_t name_size, char *conninfo, size_t conninfo_size)
{
    uint8_t random[6];
    char hex[13];
    crypto_random_bytes(random, sizeof(random));
    crypto_hex(random, sizeof(random), hex);
    snprintf(name, name_size, "redress_later_%s", hex);
    char base[400];
    snprintf(base, sizeof(base), "%s", getenv("REDRESS_TEST_ADMIN_URL"));
    char *dbname = strstr(base, "dbname=postgres");
    ck_assert_ptr_nonnull(dbname);
    *dbname = '\0';
    snprintf(conninfo, conninfo_size, "%sdbname=%s%s", base, name, dbname + strlen("dbname=postgres"));
}

START_TEST(serve_starts_before_its_database_and_becomes_ready)
{
    char name[64], conninfo[512], sql[128];
    absent_database(name, sizeof(name), conninfo, sizeof(conninfo));
    struct serve_process serve;
    serve_start(&serve, conninfo, NULL);
    /* alive at once, not ready while the database is missing */
    struct th_response r;
    th_request(serve.port, "GET", "/healthz", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    th_request(serve.port, "GET", "/readyz", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 503);
    th_response_free(&r);

    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    admin_sql(sql);
    ck_assert_msg(th_wait_for_status(serve.port, "/readyz", 200, 60), "never ready (log: %s)", serve.log_path);
    ck_assert(log_contains(&serve, "the database is out of reach"));

    char tenant[64], key[APIKEY_LEN + 1], auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(conninfo, tenant, key, auth);
    const char *headers[] = { auth, "Content-Type: application/json", "Idempotency-Key: late-db-1", NULL };
    static const char BODY[] =
        "{\"order\":{\"order_id\":\"113-1234567-1234567\",\"sku\":\"S\",\"currency\":\"EUR\",\"item_price\":2599},"
        "\"buyer\":{\"buyer_id\":\"LATE-DB\",\"language\":\"en\"},\"issue\":{\"category\":\"late_delivery\"}}";
    /* Ready means some worker answered; another may still be inside its
     * reconnect backoff (DB_RECONNECT_BACKOFF_MS) and answer 503 with
     * Retry-After, which a client retries, as here (same key). */
    long status = 503;
    for (int attempt = 0; attempt < 50 && status == 503; attempt++) {
        if (attempt > 0) {
            struct timespec pause = { 0, 200 * 1000000L };
            nanosleep(&pause, NULL);
        }
        th_request(serve.port, "POST", "/v1/cases", headers, BODY, strlen(BODY), &r);
        status = r.status;
        th_response_free(&r);
    }
    ck_assert_int_eq(status, 201);
    ck_assert_int_eq(serve_stop(&serve), 0);
}
END_TEST

START_TEST(serve_stops_on_a_migration_error_rather_than_retrying)
{
    /* a database one migration ahead of this build: not an outage */
    char conninfo[512], err[256], command[1024], out[8192];
    th_database_create(conninfo, sizeof(conninfo));
    ck_assert_msg(db_migrate(conninfo, err, sizeof(err)) == 0, "%s", err);
    PGconn *conn = PQconnectdb(conninfo);
    PGresult *res = PQexec(conn, "INSERT INTO schema_migrations (version, name, checksum)"
                                 " VALUES (9999, '9999_from_the_future.sql', 'x')");
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    PQfinish(conn);
    snprintf(command, sizeof(command), "REDRESS_DATABASE_URL='%s' REDRESS_PORT=0 timeout -s KILL 60 %s serve",
             conninfo, getenv("REDRESS_TEST_BINARY"));
    ck_assert_int_eq(th_shell(command, out, sizeof(out)), 1);
    ck_assert_msg(strstr(out, "9999_from_the_future.sql") != NULL, "the log should name the migration: %s", out);
}
END_TEST

START_TEST(migrate_still_fails_fast_without_its_database)
{
    char name[64], conninfo[512], out[2048];
    absent_database(name, sizeof(name), conninfo, sizeof(conninfo));
    ck_assert_int_ne(redress(conninfo, "migrate", out, sizeof(out)), 0);
    ck_assert_msg(strstr(out, name) != NULL, "the error should name the database: %s", out);
}
END_TEST

/* ---- API key management ---- */

/* A new tenant and key made with `redress apikey create`. */
static void cli_tenant_with_key(char tenant[64], char key[APIKEY_LEN + 1], char prefix[APIKEY_PREFIX_LEN + 1])
{
    uint8_t random[6];
    char hex[13], args[128], out[2048];
    crypto_random_bytes(random, sizeof(random));
    crypto_hex(random, sizeof(random), hex);
    snprintf(tenant, 64, "ops-%s", hex);
    snprintf(args, sizeof(args), "apikey create --tenant %s", tenant);
    ck_assert_msg(redress(th_conninfo(), args, out, sizeof(out)) == 0, "%s", out);
    const char *at = strstr(out, "rdr_");
    ck_assert_ptr_nonnull(at);
    snprintf(key, APIKEY_LEN + 1, "%.*s", APIKEY_LEN, at);
    snprintf(prefix, APIKEY_PREFIX_LEN + 1, "%.*s", APIKEY_PREFIX_LEN, key + 4);
}

static long me_status(unsigned port, const char *key)
{
    char auth[TH_AUTH_HEADER_SIZE];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    const char *headers[] = { auth, NULL };
    struct th_response r;
    th_request(port, "GET", "/v1/me", headers, NULL, 0, &r);
    long status = r.status;
    th_response_free(&r);
    return status;
}

/* The list's line for prefix ("" when absent). */
static void list_line(const char *tenant, const char *prefix, char *line, size_t size)
{
    char args[128], out[4096];
    snprintf(args, sizeof(args), "apikey list --tenant %s", tenant);
    ck_assert_msg(redress(th_conninfo(), args, out, sizeof(out)) == 0, "%s", out);
    ck_assert_msg(strncmp(out, "PREFIX", 6) == 0, "a header line first: %s", out);
    const char *at = strstr(out, prefix);
    snprintf(line, size, "%.*s", at ? (int)strcspn(at, "\n") : 0, at ? at : "");
}

START_TEST(apikey_list_shows_created_last_used_and_revoked)
{
    char tenant[64], key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1], line[256];
    cli_tenant_with_key(tenant, key, prefix);
    list_line(tenant, prefix, line, sizeof(line));
    /* prefix, created, never used, not revoked */
    char listed[32], created[32], last_used[32], revoked[32];
    ck_assert_int_eq(sscanf(line, "%31s %31s %31s %31s", listed, created, last_used, revoked), 4);
    ck_assert_str_eq(listed, prefix);
    ck_assert_int_eq((int)strlen(created), 20); /* 2026-11-22T20:00:00Z */
    ck_assert_str_eq(last_used, "-");
    ck_assert_str_eq(revoked, "-");

    struct th_server srv;
    th_server_start(&srv, th_conninfo(), NULL);
    ck_assert_int_eq(me_status(srv.port, key), 200);
    th_server_stop(&srv);
    list_line(tenant, prefix, line, sizeof(line));
    ck_assert_int_eq(sscanf(line, "%31s %31s %31s %31s", listed, created, last_used, revoked), 4);
    ck_assert_msg(strcmp(last_used, "-") != 0, "a used key has a last use: %s", line);

    char args[64], out[1024];
    snprintf(args, sizeof(args), "apikey revoke %s", prefix);
    ck_assert_msg(redress(th_conninfo(), args, out, sizeof(out)) == 0, "%s", out);
    list_line(tenant, prefix, line, sizeof(line));
    ck_assert_int_eq(sscanf(line, "%31s %31s %31s %31s", listed, created, last_used, revoked), 4);
    ck_assert_int_eq((int)strlen(revoked), 20);
    /* revoking again says so and is no error */
    ck_assert_int_eq(redress(th_conninfo(), args, out, sizeof(out)), 0);
    ck_assert_msg(strstr(out, "already revoked") != NULL, "%s", out);
}
END_TEST

START_TEST(revoked_key_is_refused_at_once_without_cache)
{
    char tenant[64], key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1], args[64], out[1024];
    cli_tenant_with_key(tenant, key, prefix);
    const char *env[] = { "REDRESS_API_KEY_CACHE_SECONDS=0", NULL };
    struct th_server srv;
    th_server_start(&srv, th_conninfo(), env);
    ck_assert_int_eq(me_status(srv.port, key), 200);
    ck_assert_int_eq(me_status(srv.port, key), 200);
    snprintf(args, sizeof(args), "apikey revoke %s", prefix);
    ck_assert_msg(redress(th_conninfo(), args, out, sizeof(out)) == 0, "%s", out);
    ck_assert_int_eq(me_status(srv.port, key), 401);
    th_server_stop(&srv);
}
END_TEST

START_TEST(revoked_key_is_refused_once_the_cache_expires)
{
    char tenant[64], key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1], args[64], out[1024];
    cli_tenant_with_key(tenant, key, prefix);
    const char *env[] = { "REDRESS_API_KEY_CACHE_SECONDS=1", NULL };
    struct th_server srv;
    th_server_start(&srv, th_conninfo(), env);
    ck_assert_int_eq(me_status(srv.port, key), 200);
    snprintf(args, sizeof(args), "apikey revoke %s", prefix);
    ck_assert_msg(redress(th_conninfo(), args, out, sizeof(out)) == 0, "%s", out);
    /* Within a second it may still work from a thread's cache; after that,
     * never (the bound is generous: nothing here measures speed). */
    sleep(2);
    for (int i = 0; i < 8; i++) /* every worker thread, whichever answers */
        ck_assert_int_eq(me_status(srv.port, key), 401);
    th_server_stop(&srv);
}
END_TEST

START_TEST(revoking_an_unknown_or_malformed_prefix_fails)
{
    char out[1024];
    ck_assert_int_eq(redress(th_conninfo(), "apikey revoke 000000000000", out, sizeof(out)), 1);
    ck_assert_msg(strstr(out, "no API key has the prefix 000000000000") != NULL, "%s", out);
    ck_assert_int_eq(redress(th_conninfo(), "apikey revoke rdr_nothex", out, sizeof(out)), 2);
    ck_assert_msg(strstr(out, "is not a key prefix") != NULL, "%s", out);
    ck_assert_int_eq(redress(th_conninfo(), "apikey list --tenant no-such-tenant-anywhere", out, sizeof(out)), 1);
    ck_assert_msg(strstr(out, "no tenant named 'no-such-tenant-anywhere'") != NULL, "%s", out);
}
END_TEST

/* ---- the per-tenant rate limit ---- */

START_TEST(token_bucket_per_tenant)
{
    ratelimit_configure(10, 3); /* 10 a second, 3 at once */
    struct ratelimit_verdict v;
    double t = 1000.0;
    for (unsigned i = 0; i < 3; i++) {
        ratelimit_take_at(1, t, &v);
        ck_assert(v.allowed);
        ck_assert_uint_eq(v.limit, 3);
        ck_assert_uint_eq(v.remaining, 2 - i);
    }
    ratelimit_take_at(1, t, &v);
    ck_assert(!v.allowed);
    ck_assert_uint_eq(v.remaining, 0);
    ck_assert_uint_eq(v.retry_after_s, 1);
    ck_assert_uint_eq(v.reset_s, 1); /* 3 tokens at 10 a second */
    /* another tenant is untouched */
    ratelimit_take_at(2, t, &v);
    ck_assert(v.allowed);
    ck_assert_uint_eq(v.remaining, 2);
    /* a tenth of a second brings one token back, and no more */
    ratelimit_take_at(1, t + 0.1, &v);
    ck_assert(v.allowed);
    ratelimit_take_at(1, t + 0.1, &v);
    ck_assert(!v.allowed);
    /* a long pause fills the bucket, but not beyond its size */
    ratelimit_take_at(1, t + 3600, &v);
    ck_assert(v.allowed);
    ck_assert_uint_eq(v.remaining, 2);
    /* off */
    ratelimit_configure(0, 3);
    for (int i = 0; i < 10; i++) {
        ratelimit_take_at(1, t, &v);
        ck_assert(v.allowed);
        ck_assert_uint_eq(v.limit, 0);
    }
}
END_TEST

struct taker {
    int64_t tenant;
    int allowed;
};

static void *take_many(void *p)
{
    struct taker *t = p;
    struct ratelimit_verdict v;
    for (int i = 0; i < 1000; i++) {
        ratelimit_take_at(t->tenant, 50.0, &v); /* one instant: no refill */
        t->allowed += v.allowed;
    }
    return NULL;
}

START_TEST(token_bucket_exact_across_threads)
{
    ratelimit_configure(1, 500);
    enum { THREADS = 8 };
    pthread_t threads[THREADS];
    struct taker takers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        takers[i] = (struct taker){ .tenant = 1 + i % 2, .allowed = 0 }; /* two tenants, four threads each */
        pthread_create(&threads[i], NULL, take_many, &takers[i]);
    }
    int allowed[3] = { 0 };
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        allowed[takers[i].tenant] += takers[i].allowed;
    }
    /* 4000 asks per tenant, one bucket of 500 each: exactly 500 granted */
    ck_assert_int_eq(allowed[1], 500);
    ck_assert_int_eq(allowed[2], 500);
}
END_TEST

START_TEST(rate_limit_memory_is_bounded)
{
    ratelimit_configure(1, 5);
    struct ratelimit_verdict v;
    for (int64_t tenant = 1; tenant <= RATELIMIT_MAX_TENANTS; tenant++) {
        ratelimit_take_at(tenant, 10.0, &v);
        ck_assert(v.allowed);
    }
    /* more busy tenants than buckets: the table stays at its bound and the
     * newcomers share one bucket (5 requests between them) */
    int allowed = 0;
    for (int64_t tenant = RATELIMIT_MAX_TENANTS + 1; tenant <= 3 * RATELIMIT_MAX_TENANTS; tenant++) {
        ratelimit_take_at(tenant, 10.0, &v);
        allowed += v.allowed;
    }
    ck_assert_int_eq(allowed, 5);
    ck_assert_int_eq(ratelimit_tenants_tracked(), RATELIMIT_MAX_TENANTS);
    /* once they have refilled, their buckets make room for new tenants */
    ratelimit_take_at(100000, 10.0 + 60, &v);
    ck_assert(v.allowed);
    ck_assert_int_eq(ratelimit_tenants_tracked(), 1);
}
END_TEST

START_TEST(runaway_tenant_gets_429_while_others_are_served)
{
    const char *env[] = { "REDRESS_RATE_LIMIT_PER_SECOND=1", "REDRESS_RATE_LIMIT_BURST=3", NULL };
    struct th_server srv;
    th_server_start(&srv, th_conninfo(), env);
    char name_a[64], key_a[APIKEY_LEN + 1], name_b[64], key_b[APIKEY_LEN + 1];
    th_tenant_with_key(th_conninfo(), name_a, key_a);
    th_tenant_with_key(th_conninfo(), name_b, key_b);
    char auth_a[TH_AUTH_HEADER_SIZE], auth_b[TH_AUTH_HEADER_SIZE], value[64];
    snprintf(auth_a, sizeof(auth_a), "Authorization: Bearer %s", key_a);
    snprintf(auth_b, sizeof(auth_b), "Authorization: Bearer %s", key_b);
    const char *headers_a[] = { auth_a, NULL }, *headers_b[] = { auth_b, NULL };

    /* the first answer carries the limit */
    struct th_response r;
    th_request(srv.port, "GET", "/v1/me", headers_a, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(th_header(&r, "RateLimit-Limit", value, sizeof(value)));
    ck_assert_str_eq(value, "3");
    ck_assert(th_header(&r, "RateLimit-Remaining", value, sizeof(value)));
    ck_assert_int_le(atoi(value), 2);
    ck_assert(th_header(&r, "RateLimit-Reset", value, sizeof(value)));
    th_response_free(&r);

    /* A runs away: at one token a second it hits the limit within a few
     * requests (50 leaves any machine room) */
    bool limited = false;
    for (int i = 0; i < 50 && !limited; i++) {
        th_request(srv.port, "GET", "/v1/me", headers_a, NULL, 0, &r);
        limited = r.status == 429;
        if (!limited)
            th_response_free(&r);
    }
    ck_assert_msg(limited, "tenant A was never limited");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "urn:redress:problem:rate-limited");
    ck_assert(th_header(&r, "Content-Type", value, sizeof(value)));
    ck_assert_str_eq(value, "application/problem+json");
    ck_assert(th_header(&r, "Retry-After", value, sizeof(value)));
    ck_assert_int_ge(atoi(value), 1);
    ck_assert(th_header(&r, "RateLimit-Remaining", value, sizeof(value)));
    ck_assert_str_eq(value, "0");
    ck_assert(th_header(&r, "RateLimit-Limit", value, sizeof(value)));
    ck_assert(th_header(&r, "RateLimit-Reset", value, sizeof(value)));
    ck_assert_int_ge(atoi(value), 1);
    th_response_free(&r);

    /* B still has its own bucket */
    th_request(srv.port, "GET", "/v1/me", headers_b, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(th_header(&r, "RateLimit-Remaining", value, sizeof(value)));
    ck_assert_str_eq(value, "2");
    th_response_free(&r);
    /* public routes are not limited */
    th_request(srv.port, "GET", "/healthz", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(!th_header(&r, "RateLimit-Limit", value, sizeof(value)));
    th_response_free(&r);
    th_server_stop(&srv);
}
END_TEST

Suite *ops_suite(void)
{
    Suite *s = suite_create("ops");
    TCase *local = tcase_create("local_cluster");
    tcase_set_timeout(local, 120);
    tcase_add_test(local, local_cluster_starts_from_a_private_checkout);
    suite_add_tcase(s, local);

    TCase *startup = tcase_create("startup");
    tcase_set_timeout(startup, 120);
    tcase_add_test(startup, serve_starts_before_its_database_and_becomes_ready);
    tcase_add_test(startup, serve_stops_on_a_migration_error_rather_than_retrying);
    tcase_add_test(startup, migrate_still_fails_fast_without_its_database);
    suite_add_tcase(s, startup);

    TCase *keys = tcase_create("api_keys");
    tcase_set_timeout(keys, 60);
    tcase_add_test(keys, apikey_list_shows_created_last_used_and_revoked);
    tcase_add_test(keys, revoked_key_is_refused_at_once_without_cache);
    tcase_add_test(keys, revoked_key_is_refused_once_the_cache_expires);
    tcase_add_test(keys, revoking_an_unknown_or_malformed_prefix_fails);
    suite_add_tcase(s, keys);

    TCase *limits = tcase_create("rate_limit");
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, token_bucket_per_tenant);
    tcase_add_test(limits, token_bucket_exact_across_threads);
    tcase_add_test(limits, rate_limit_memory_is_bounded);
    tcase_add_test(limits, runaway_tenant_gets_429_while_others_are_served);
    suite_add_tcase(s, limits);
    return s;
}
