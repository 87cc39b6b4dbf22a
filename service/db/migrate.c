/* Applies the numbered SQL files of migrations/ (embedded in the binary).
 * Each runs in its own transaction and is recorded with its SHA-256; an
 * applied file whose checksum changed stops everything. A session-level
 * advisory lock makes concurrent runs wait for each other. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_internal.h"
#include "embedded.h"
#include "log.h"

/* Arbitrary, fixed: the advisory lock that serialises migrators. */
static const char MIGRATION_LOCK_SQL[] = "SELECT pg_advisory_lock(7469811405)";
static const char MIGRATION_UNLOCK_SQL[] = "SELECT pg_advisory_unlock(7469811405)";

static const char CREATE_TABLE_SQL[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

enum { MAX_MIGRATIONS = 256 };

struct migration {
    int version;
    const char *name; /* file name, e.g. "0001_tenants.sql" */
    const char *sql;
    char checksum[2 * CRYPTO_SHA256_LEN + 1];
};

struct migration_list {
    struct migration items[MAX_MIGRATIONS];
    int count;
    bool bad_name;
};

static void collect(const struct embedded_file *file, void *cls)
{
    struct migration_list *list = cls;
    const char *name = file->path + strlen("migrations/");
    if (list->count == MAX_MIGRATIONS || name[0] < '0' || name[0] > '9') {
        list->bad_name = true;
        return;
    }
    struct migration *m = &list->items[list->count++];
    m->version = atoi(name);
    m->name = name;
    m->sql = file->data;
    uint8_t digest[CRYPTO_SHA256_LEN];
    crypto_sha256(file->data, file->size, digest);
    crypto_hex(digest, sizeof(digest), m->checksum);
}

static void load_migrations(struct migration_list *list)
{
    memset(list, 0, sizeof(*list));
    embedded_each("migrations/", collect, list);
}

static bool exec_ok(PGconn *conn, const char *sql, char *err, size_t err_size)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(err, err_size, "%s", PQresultErrorMessage(res));
    PQclear(res);
    return ok;
}

/* Compare the applied migrations with ours. Returns the number applied, or
 * -1 with a message when one was edited or is unknown to this binary. */
static int check_applied(PGconn *conn, const struct migration_list *list, char *err, size_t err_size)
{
    PGresult *res = PQexec(conn, "SELECT version, name, checksum FROM schema_migrations ORDER BY version");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, err_size, "reading schema_migrations: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    int applied = PQntuples(res);
    for (int row = 0; row < applied; row++) {
        int version = atoi(PQgetvalue(res, row, 0));
        const struct migration *m = NULL;
        for (int i = 0; i < list->count; i++)
            if (list->items[i].version == version)
                m = &list->items[i];
        if (m == NULL) {
            snprintf(err, err_size, "the database has migration %s, which this binary does not know:"
                     " it is newer than this build", PQgetvalue(res, row, 1));
            applied = -1;
            break;
        }
        if (strcmp(m->checksum, PQgetvalue(res, row, 2)) != 0) {
            snprintf(err, err_size, "migration %s was edited after it was applied (checksum %.12s…"
                     " in the database, %.12s… in this build): add a new migration instead",
                     m->name, PQgetvalue(res, row, 2), m->checksum);
            applied = -1;
            break;
        }
    }
    PQclear(res);
    return applied;
}

static int apply_one(PGconn *conn, const struct migration *m, char *err, size_t err_size)
{
    char detail[512];
    if (!exec_ok(conn, "BEGIN", detail, sizeof(detail)) || !exec_ok(conn, m->sql, detail, sizeof(detail))) {
        snprintf(err, err_size, "migration %s failed: %s", m->name, detail);
        exec_ok(conn, "ROLLBACK", detail, sizeof(detail));
        return -1;
    }
    char version[16];
    snprintf(version, sizeof(version), "%d", m->version);
    const char *const params[] = { version, m->name, m->checksum };
    PGresult *res = PQexecParams(conn, "INSERT INTO schema_migrations (version, name, checksum)"
                                 " VALUES ($1, $2, $3)", 3, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(err, err_size, "recording migration %s failed: %s", m->name, PQresultErrorMessage(res));
    PQclear(res);
    if (!ok || !exec_ok(conn, "COMMIT", detail, sizeof(detail))) {
        if (ok)
            snprintf(err, err_size, "migration %s failed at commit: %s", m->name, detail);
        exec_ok(conn, "ROLLBACK", detail, sizeof(detail));
        return -1;
    }
    log_msg(LOG_INFO, "applied migration %s", m->name);
    return 0;
}

enum db_status db_migrate_try(const char *conninfo, char *err, size_t err_size)
{
    struct migration_list *list = malloc(sizeof(*list)); /* freed at out */
    if (list == NULL) {
        snprintf(err, err_size, "out of memory");
        return DB_ERROR;
    }
    load_migrations(list);
    enum db_status status = DB_ERROR;
    char detail[512];
    PGconn *conn = NULL;
    if (list->bad_name) {
        snprintf(err, err_size, "a file in migrations/ does not start with its number");
        goto out;
    }
    conn = db_connect_raw(conninfo, err, err_size);
    if (conn == NULL) {
        status = DB_UNAVAILABLE;
        goto out;
    }
    if (!exec_ok(conn, MIGRATION_LOCK_SQL, detail, sizeof(detail))
        || !exec_ok(conn, CREATE_TABLE_SQL, detail, sizeof(detail))) {
        snprintf(err, err_size, "preparing migrations failed: %s", detail);
        goto out;
    }
    /* Checked under the lock: a concurrent migrator has finished by now. */
    if (check_applied(conn, list, err, err_size) < 0) {
        status = DB_SCHEMA_NOT_READY;
        goto out;
    }
    for (int i = 0; i < list->count; i++) {
        char version[16];
        snprintf(version, sizeof(version), "%d", list->items[i].version);
        const char *const params[] = { version };
        PGresult *res = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE version = $1",
                                     1, NULL, params, NULL, NULL, 0);
        bool done = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
        PQclear(res);
        if (!done && apply_one(conn, &list->items[i], err, err_size) != 0)
            goto out;
    }
    status = DB_OK;
out:
    if (conn != NULL) {
        /* Whatever failed, a connection that broke means "try again". */
        if (status != DB_OK && PQstatus(conn) != CONNECTION_OK)
            status = DB_UNAVAILABLE;
        exec_ok(conn, MIGRATION_UNLOCK_SQL, detail, sizeof(detail));
        PQfinish(conn);
    }
    free(list);
    return status;
}

int db_migrate(const char *conninfo, char *err, size_t err_size)
{
    return db_migrate_try(conninfo, err, err_size) == DB_OK ? 0 : -1;
}

static struct migration_list shared_list;
static void load_shared_list(void) { load_migrations(&shared_list); }

enum db_status db_migrations_current(struct db *db, char *detail, size_t detail_size)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load_shared_list);
    int applied = check_applied(db->conn, &shared_list, detail, detail_size);
    if (applied < 0)
        return PQstatus(db->conn) == CONNECTION_OK ? DB_SCHEMA_NOT_READY : DB_UNAVAILABLE;
    if (applied < shared_list.count) {
        snprintf(detail, detail_size, "%d of %d migrations applied: run 'redress migrate'",
                 applied, shared_list.count);
        return DB_SCHEMA_NOT_READY;
    }
    return DB_OK;
}
