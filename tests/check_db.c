/* The database layer and the command line, against real PostgreSQL. */
#include <libpq-fe.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../service/db/db_internal.h"
#include "harness.h"

static PGconn *raw_connect(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);
    ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "%s", PQerrorMessage(conn));
    return conn;
}

static void raw_exec(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK,
                  "%s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
}

static long raw_count(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(conn));
    long n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

START_TEST(migrate_is_idempotent_and_recorded)
{
    char conninfo[512], err[512];
    th_database_create(conninfo, sizeof(conninfo));
    ck_assert_int_eq(db_migrate(conninfo, err, sizeof(err)), 0);
    ck_assert_int_eq(db_migrate(conninfo, err, sizeof(err)), 0);
    PGconn *conn = raw_connect(conninfo);
    ck_assert_int_gt(raw_count(conn, "SELECT count(*) FROM schema_migrations"), 0);
    ck_assert_int_eq(raw_count(conn, "SELECT count(*) FROM schema_migrations WHERE length(checksum) <> 64"), 0);
    PQfinish(conn);
}
END_TEST

START_TEST(edited_migration_stops_migrate)
{
    char conninfo[512], err[512];
    th_database_create(conninfo, sizeof(conninfo));
    ck_assert_int_eq(db_migrate(conninfo, err, sizeof(err)), 0);
    PGconn *conn = raw_connect(conninfo);
    raw_exec(conn, "UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1");
    PQfinish(conn);
    ck_assert_int_eq(db_migrate(conninfo, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "0001_tenants.sql was edited") != NULL, "message: %s", err);
    /* and readiness says so */
    ck_assert(db_global_init(conninfo) == 0);
    struct db *db = db_thread_connection(NULL);
    ck_assert_ptr_nonnull(db);
    char detail[512];
    ck_assert_int_eq(db_migrations_current(db, detail, sizeof(detail)), DB_SCHEMA_NOT_READY);
    ck_assert(strstr(detail, "edited") != NULL);
    db_thread_close();
}
END_TEST

START_TEST(concurrent_migrators_apply_each_once)
{
    char conninfo[512], err[512];
    th_database_create(conninfo, sizeof(conninfo));
    enum { RUNNERS = 4 };
    pid_t pids[RUNNERS];
    for (int i = 0; i < RUNNERS; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0)
            _exit(db_migrate(conninfo, err, sizeof(err)) == 0 ? 0 : 1);
    }
    for (int i = 0; i < RUNNERS; i++) {
        int status = 0;
        waitpid(pids[i], &status, 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "migrator %d failed", i);
    }
    PGconn *conn = raw_connect(conninfo);
    ck_assert_int_eq(raw_count(conn, "SELECT count(*) FROM schema_migrations"),
                     raw_count(conn, "SELECT count(DISTINCT version) FROM schema_migrations"));
    PQfinish(conn);
}
END_TEST

struct conflict_ctx {
    PGconn *other;
    int attempts;
};

/* Reads a row, lets another session change it, then writes it: under
 * REPEATABLE READ the first attempt must fail with 40001. */
static enum db_status conflicting_update(struct db *db, void *cls)
{
    struct conflict_ctx *ctx = cls;
    ctx->attempts++;
    ck_assert_int_eq(db_flush_begin(db), DB_OK);
    PGresult *res = PQexec(db->conn, "SELECT n FROM txn_probe WHERE id = 1");
    PQclear(res);
    if (ctx->attempts == 1)
        raw_exec(ctx->other, "UPDATE txn_probe SET n = n + 100 WHERE id = 1");
    res = PQexec(db->conn, "UPDATE txn_probe SET n = n + 1 WHERE id = 1");
    enum db_status status = PQresultStatus(res) == PGRES_COMMAND_OK ? DB_OK : db_classify(db, res);
    PQclear(res);
    return status;
}

START_TEST(transaction_helper_retries_serialization_failures)
{
    char conninfo[512];
    th_database_create(conninfo, sizeof(conninfo));
    PGconn *setup = raw_connect(conninfo);
    raw_exec(setup, "CREATE TABLE txn_probe (id int PRIMARY KEY, n int NOT NULL)");
    raw_exec(setup, "INSERT INTO txn_probe VALUES (1, 0)");
    struct conflict_ctx ctx = { .other = setup, .attempts = 0 };
    char err[256];
    ck_assert_int_eq(db_migrate(conninfo, err, sizeof(err)), 0);
    struct db *db = db_open(conninfo, err, sizeof(err));
    ck_assert_msg(db != NULL, "%s", err);
    ck_assert_int_eq(db_run_transaction(&db, "REPEATABLE READ", conflicting_update, &ctx), DB_OK);
    ck_assert_int_eq(ctx.attempts, 2);
    ck_assert_int_eq(raw_count(setup, "SELECT n FROM txn_probe WHERE id = 1"), 101);
    db_close(db);
    PQfinish(setup);
}
END_TEST

/* The plan the connection's prepared key claim uses now, after the five
 * executions that let PostgreSQL settle on a generic plan. */
static char *claim_plan(struct db *db, char *out, size_t size)
{
    for (int i = 0; i < 6; i++)
        PQclear(PQexec(db->conn, "EXECUTE idempotency_claim('1', 'probe')"));
    PGresult *res = PQexec(db->conn, "EXPLAIN EXECUTE idempotency_claim('1', 'probe')");
    out[0] = '\0';
    for (int row = 0; row < PQntuples(res); row++) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s\n", PQgetvalue(res, row, 0));
    }
    PQclear(res);
    return out;
}

START_TEST(generic_plans_follow_table_growth)
{
    char conninfo[512], err[512], plan[4096];
    th_database_create(conninfo, sizeof(conninfo));
    ck_assert_int_eq(db_migrate(conninfo, err, sizeof(err)), 0);
    PGconn *raw = raw_connect(conninfo);
    raw_exec(raw, "INSERT INTO tenants (name) VALUES ('plans')");
    raw_exec(raw, "ANALYZE");
    ck_assert(db_global_init(conninfo) == 0);
    db_set_replan_interval_ms(3600 * 1000);
    struct db *db = db_thread_connection(NULL);
    ck_assert_ptr_nonnull(db);
    /* planned while the table is empty: a sequential scan is right then */
    ck_assert_msg(strstr(claim_plan(db, plan, sizeof(plan)), "Seq Scan") != NULL, "%s", plan);
    raw_exec(raw, "INSERT INTO idempotency_keys (tenant_id, key, request_hash, case_id, response_status, response_body)"
                  " SELECT 1, 'k' || g, '\\x00', gen_random_uuid(), 201, '{}' FROM generate_series(1, 20000) g");
    /* ... and stays cached while the table grows, until something re-plans */
    ck_assert_msg(strstr(claim_plan(db, plan, sizeof(plan)), "Seq Scan") != NULL, "%s", plan);
    db_set_replan_interval_ms(0);
    db = db_thread_connection(NULL); /* due: prepares its statements again */
    db_set_replan_interval_ms(3600 * 1000);
    ck_assert_ptr_nonnull(db);
    ck_assert_msg(strstr(claim_plan(db, plan, sizeof(plan)), "Index Scan") != NULL, "%s", plan);
    db_thread_close();
    PQfinish(raw);
}
END_TEST

/* Issue #8, defect 10: more statements than a pipeline has room for are
 * refused (they used to run past its result array), and a status outside
 * the enum has a name. */
START_TEST(oversized_pipeline_is_refused_and_statuses_are_bounded)
{
    char conninfo[512], err[512];
    th_database_create(conninfo, sizeof(conninfo));
    ck_assert_int_eq(db_migrate(conninfo, err, sizeof(err)), 0);
    struct db *db = db_open(conninfo, err, sizeof(err));
    ck_assert_msg(db != NULL, "%s", err);
    const char *const params[] = { "1", "probe" };
    struct db_call calls[16];
    for (int i = 0; i < 16; i++)
        calls[i] = (struct db_call){ STMT_IDEMPOTENCY_CLAIM, 2, params, NULL, DB_OK };
    ck_assert_int_eq(db_exec_many(db, calls, 16), DB_ERROR);
    for (int i = 0; i < 16; i++) {
        ck_assert_ptr_null(calls[i].result);
        ck_assert_int_eq(calls[i].status, DB_ERROR);
    }
    /* eight fit, and the connection still works */
    ck_assert_int_eq(db_exec_many(db, calls, 8), DB_OK);
    for (int i = 0; i < 8; i++)
        PQclear(calls[i].result);
    db_close(db);
    ck_assert_str_eq(db_status_name(DB_COMMIT_UNKNOWN), "commit_unknown");
    ck_assert_str_eq(db_status_name(DB_ERROR), "error");
    ck_assert_str_eq(db_status_name((enum db_status)DB_STATUS_COUNT), "invalid");
    ck_assert_str_eq(db_status_name((enum db_status)-1), "invalid");
}
END_TEST

/* A conflict on the case's own id (a case written twice) is a fault: it
 * must not be taken for a race on the idempotency key and run again until
 * the helper gives up (which answered 503 for a recorded case). */
static int decide_calls;

static int decide_fixed(const struct eng_history *history, const struct db_cost_settings *costs,
                        struct db_case_new *c, void *cls)
{
    (void)history;
    (void)costs;
    (void)cls;
    decide_calls++;
    c->responsibility = "seller";
    c->tier = "goodwill";
    c->primary_action = "partial_refund";
    c->risk = "low";
    free(c->response_body);
    c->response_body = strdup("{\"probe\":true}");
    return c->response_body ? 0 : -1;
}

START_TEST(conflict_on_the_cases_own_id_is_not_retried_as_a_race)
{
    char conninfo[512], err[512];
    th_database_create(conninfo, sizeof(conninfo));
    ck_assert_int_eq(db_migrate(conninfo, err, sizeof(err)), 0);
    ck_assert(db_global_init(conninfo) == 0);
    struct db *db = db_thread_connection(NULL);
    ck_assert_ptr_nonnull(db);
    struct db_tenant tenant;
    ck_assert_int_eq(db_tenant_ensure(db, "own-id", &tenant), DB_OK);
    struct db_case_new c = {
        .tenant_id = tenant.id, .case_id = "6f1c2d3e-4b5a-4c6d-8e7f-8091a2b3c4d5", .created_at = "2026-01-02T03:04:05Z",
        .buyer_id = "B-1", .order_id = "O-1", .sku = "S-1", .channel = "amazon", .category = "minor_defect",
        .currency = "USD", .order_value = 100, .request_json = "{}",
    };
    ck_assert_int_eq(db_case_create(&db, &c, decide_fixed, NULL), DB_OK);
    ck_assert_int_eq(decide_calls, 1);
    /* the same id again: an error at once, decided once more, not eight times */
    ck_assert_int_eq(db_case_create(&db, &c, decide_fixed, NULL), DB_ERROR);
    ck_assert_int_eq(decide_calls, 2);
    db_case_new_cleanup(&c);
    db_thread_close();
}
END_TEST

/* ---- the command line ---- */

static int run_cli(const char *args, char *out, size_t out_size)
{
    const char *binary = getenv("REDRESS_TEST_BINARY");
    ck_assert_msg(binary != NULL, "REDRESS_TEST_BINARY is unset: run with 'make test'");
    char command[1024];
    snprintf(command, sizeof(command), "%s %s", binary, args);
    return th_shell(command, out, out_size);
}

START_TEST(cli_help_and_bad_config)
{
    char out[8192];
    ck_assert_int_eq(run_cli("--help", out, sizeof(out)), 0);
    ck_assert(strstr(out, "redress serve") != NULL);
    ck_assert(strstr(out, "REDRESS_DATABASE_URL") != NULL);
    ck_assert_int_eq(run_cli("frobnicate", out, sizeof(out)), 2);
    setenv("REDRESS_PORT", "eighty", 1);
    ck_assert_int_eq(run_cli("migrate", out, sizeof(out)), 2);
    ck_assert_msg(strstr(out, "REDRESS_PORT") != NULL, "%s", out);
    unsetenv("REDRESS_PORT");
}
END_TEST

START_TEST(cli_apikey_create_prints_working_key_last)
{
    char out[8192];
    setenv("REDRESS_DATABASE_URL", th_conninfo(), 1);
    ck_assert_int_eq(run_cli("apikey create --tenant 'Not Valid'", out, sizeof(out)), 2);
    ck_assert_int_eq(run_cli("apikey create --tenant acme-cli", out, sizeof(out)), 0);
    char *last = out + strlen(out) - 1;
    ck_assert_int_eq(*last, '\n');
    *last = '\0';
    char *line = strrchr(out, '\n') ? strrchr(out, '\n') + 1 : out;
    char prefix[APIKEY_PREFIX_LEN + 1];
    uint8_t presented[32], stored[32];
    ck_assert_msg(apikey_parse(line, prefix, presented) == 0, "last line is not a key: '%s'", line);
    char err[256];
    struct db *db = db_open(th_conninfo(), err, sizeof(err));
    ck_assert_ptr_nonnull(db);
    struct db_tenant tenant;
    ck_assert_int_eq(db_api_key_lookup(db, prefix, &tenant, stored), DB_OK);
    ck_assert_str_eq(tenant.name, "acme-cli");
    ck_assert(crypto_equal(stored, presented, 32));
    db_close(db);
    /* a second key for the same tenant: the tenant is reused */
    ck_assert_int_eq(run_cli("apikey create --tenant acme-cli", out, sizeof(out)), 0);
}
END_TEST

START_TEST(cli_serve_refuses_edited_migration)
{
    char conninfo[512], err[512], out[8192];
    th_database_create(conninfo, sizeof(conninfo));
    ck_assert_int_eq(db_migrate(conninfo, err, sizeof(err)), 0);
    PGconn *conn = raw_connect(conninfo);
    raw_exec(conn, "UPDATE schema_migrations SET checksum = repeat('f', 64) WHERE version = 1");
    PQfinish(conn);
    setenv("REDRESS_DATABASE_URL", conninfo, 1);
    setenv("REDRESS_PORT", "0", 1);
    ck_assert_int_eq(run_cli("serve", out, sizeof(out)), 1);
    ck_assert_msg(strstr(out, "was edited after it was applied") != NULL, "%s", out);
    ck_assert_int_eq(run_cli("migrate", out, sizeof(out)), 1);
}
END_TEST

START_TEST(cli_serve_stops_cleanly_on_sigterm)
{
    const char *binary = getenv("REDRESS_TEST_BINARY");
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a failed test leaves nothing running */
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        setenv("REDRESS_DATABASE_URL", th_conninfo(), 1);
        setenv("REDRESS_PORT", "0", 1);
        execl(binary, binary, "serve", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *log = fdopen(fds[0], "r");
    char line[1024];
    unsigned port = 0;
    while (port == 0 && fgets(line, sizeof(line), log) != NULL) {
        char *at = strstr(line, "listening on http://127.0.0.1:");
        if (at != NULL)
            port = (unsigned)atoi(at + strlen("listening on http://127.0.0.1:"));
    }
    ck_assert_uint_gt(port, 0);
    struct th_response r;
    th_request(port, "GET", "/healthz", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    /* the container's HEALTHCHECK command agrees */
    char out[512], port_text[16];
    snprintf(port_text, sizeof(port_text), "%u", port);
    setenv("REDRESS_PORT", port_text, 1);
    ck_assert_int_eq(run_cli("healthcheck", out, sizeof(out)), 0);
    kill(pid, SIGTERM);
    bool stopped = false;
    while (fgets(line, sizeof(line), log) != NULL)
        stopped = stopped || strstr(line, "\"stopped\"") != NULL;
    fclose(log);
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert(stopped);
    ck_assert_int_eq(run_cli("healthcheck", out, sizeof(out)), 1); /* nothing listens now */
    unsetenv("REDRESS_PORT");
}
END_TEST

Suite *db_suite(void)
{
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("migrations");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, migrate_is_idempotent_and_recorded);
    tcase_add_test(tc, edited_migration_stops_migrate);
    tcase_add_test(tc, concurrent_migrators_apply_each_once);
    tcase_add_test(tc, transaction_helper_retries_serialization_failures);
    tcase_add_test(tc, generic_plans_follow_table_growth);
    tcase_add_test(tc, oversized_pipeline_is_refused_and_statuses_are_bounded);
    tcase_add_test(tc, conflict_on_the_cases_own_id_is_not_retried_as_a_race);
    suite_add_tcase(s, tc);
    TCase *cli = tcase_create("cli");
    tcase_set_timeout(cli, 120);
    tcase_add_test(cli, cli_help_and_bad_config);
    tcase_add_test(cli, cli_apikey_create_prints_working_key_last);
    tcase_add_test(cli, cli_serve_refuses_edited_migration);
    tcase_add_test(cli, cli_serve_stops_cleanly_on_sigterm);
    suite_add_tcase(s, cli);
    return s;
}
