/* Per-thread connections, statement execution and the transaction helper. */
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_internal.h"
#include "log.h"

enum { TXN_MAX_ATTEMPTS = 8 };

/* Statements are prepared again this often (when the connection is idle).
 * A generic plan is cached until something invalidates it: one made while
 * a table was nearly empty (a seq scan) would otherwise stay while the
 * table grows. Re-preparing lets the planner see the table's current size. */
static atomic_int replan_interval_ms = 30000;

void db_set_replan_interval_ms(int ms)
{
    atomic_store(&replan_interval_ms, ms);
}

static atomic_ulong stat_unavailable, stat_serialization, stat_other, stat_connects, stat_reconnects;

void db_stats_read(struct db_stats *out)
{
    out->unavailable = atomic_load(&stat_unavailable);
    out->serialization = atomic_load(&stat_serialization);
    out->other = atomic_load(&stat_other);
    out->connects = atomic_load(&stat_connects);
    out->reconnects = atomic_load(&stat_reconnects);
}

static char *global_conninfo;
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

struct thread_slot {
    struct db *db;
    bool had_connection; /* a later connect is a reconnect */
    struct timespec last_failure;
    bool failed_before;
};

const char *db_status_name(enum db_status status)
{
#define DB_STATUS_TEXT(name, text) [name] = text,
    static const char *const NAMES[] = { DB_STATUS_LIST(DB_STATUS_TEXT) };
#undef DB_STATUS_TEXT
    _Static_assert(sizeof(NAMES) / sizeof(NAMES[0]) == DB_STATUS_COUNT, "a name for every status");
    if ((unsigned)status >= DB_STATUS_COUNT)
        return "invalid";
    return NAMES[status];
}

void db_close(struct db *db)
{
    if (db == NULL)
        return;
    PQfinish(db->conn);
    free(db);
}

static void thread_slot_free(void *p)
{
    struct thread_slot *slot = p;
    db_close(slot->db);
    free(slot);
}

static void make_thread_key(void)
{
    pthread_key_create(&thread_key, thread_slot_free);
}

int db_global_init(const char *conninfo)
{
    pthread_once(&thread_key_once, make_thread_key);
    const char *problem = db_statements_load();
    if (problem != NULL) {
        log_msg(LOG_ERROR, "%s", problem);
        return -1;
    }
    char *copy = strdup(conninfo);
    if (copy == NULL)
        return -1;
    free(global_conninfo);
    global_conninfo = copy;
    return 0;
}

/* libpq reports server notices on stderr by default; keep them in our log. */
static void notice_to_log(void *arg, const char *message)
{
    (void)arg;
    log_msg(LOG_DEBUG, "postgres: %.*s", (int)strcspn(message, "\n"), message);
}

PGconn *db_connect_raw(const char *conninfo, char *err, size_t err_size)
{
    /* Our defaults come first so that the caller's string overrides them. */
    const char *const keys[] = { "connect_timeout", "application_name", "keepalives_idle",
                                 "dbname", NULL };
    const char *const values[] = { "3", "redress", "30", conninfo, NULL };
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (conn == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        snprintf(err, err_size, "%.*s", (int)strcspn(PQerrorMessage(conn), "\n"),
                 PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, notice_to_log, NULL);
    /* A stuck statement must not hold a worker thread forever. */
    PGresult *res = PQexec(conn, "SET statement_timeout = '10s'; SET lock_timeout = '5s'");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        snprintf(err, err_size, "setting timeouts failed: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* Prepare every statement; 42P01 (undefined table) and friends mean the
 * schema is behind the binary. */
static enum db_status prepare_all(struct db *db)
{
    for (int i = 0; i < STMT_COUNT; i++) {
        PGresult *res = PQprepare(db->conn, db_stmt_name((enum db_stmt)i),
                                  db_stmt_sql((enum db_stmt)i), 0, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            enum db_status status = db_classify(db, res);
            if (status != DB_UNAVAILABLE && state != NULL && strncmp(state, "42", 2) == 0)
                status = DB_SCHEMA_NOT_READY;
            log_msg(LOG_ERROR, "preparing %s failed: %s", db_stmt_name((enum db_stmt)i),
                    PQresultErrorMessage(res));
            PQclear(res);
            return status;
        }
        PQclear(res);
    }
    db->prepared = true;
    clock_gettime(CLOCK_MONOTONIC, &db->prepared_at);
    return DB_OK;
}

struct db *db_open(const char *conninfo, char *err, size_t err_size)
{
    if (db_statements_load() != NULL) {
        snprintf(err, err_size, "%s", db_statements_load());
        return NULL;
    }
    PGconn *conn = db_connect_raw(conninfo, err, err_size);
    if (conn == NULL)
        return NULL;
    struct db *db = calloc(1, sizeof(*db));
    if (db == NULL) {
        PQfinish(conn);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    db->conn = conn;
    enum db_status status = prepare_all(db);
    if (status != DB_OK) {
        snprintf(err, err_size, "%s", status == DB_SCHEMA_NOT_READY
                 ? "the database schema is not current: run 'redress migrate'"
                 : "preparing statements failed");
        db_close(db);
        return NULL;
    }
    return db;
}

struct db *db_open_own(char *err, size_t err_size)
{
    if (global_conninfo == NULL) {
        snprintf(err, err_size, "db_global_init was not called");
        return NULL;
    }
    return db_open(global_conninfo, err, err_size);
}

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000L + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

static struct thread_slot *thread_slot_get(void)
{
    pthread_once(&thread_key_once, make_thread_key);
    struct thread_slot *slot = pthread_getspecific(thread_key);
    if (slot == NULL) {
        slot = calloc(1, sizeof(*slot));
        if (slot == NULL || pthread_setspecific(thread_key, slot) != 0) {
            free(slot);
            return NULL;
        }
    }
    return slot;
}

/* An idle connection has nothing to read unless the server closed it (a
 * restart sends 57P01 and hangs up): a zero-timeout poll notices that
 * before a request finds out the hard way. */
static bool connection_alive(struct db *db)
{
    if (db->broken || PQstatus(db->conn) != CONNECTION_OK)
        return false;
    /* The termination notice and the hang-up can arrive apart: keep
     * reading while there is something to read. */
    for (int round = 0; round < 4; round++) {
        struct pollfd pfd = { .fd = PQsocket(db->conn), .events = POLLIN };
        if (poll(&pfd, 1, 0) <= 0)
            return true;
        if (PQconsumeInput(db->conn) != 1 || PQstatus(db->conn) != CONNECTION_OK
            || PQtransactionStatus(db->conn) != PQTRANS_IDLE)
            return false;
    }
    return true;
}

struct db *db_thread_connection(enum db_status *why)
{
    enum db_status ignored;
    if (why == NULL)
        why = &ignored;
    *why = DB_UNAVAILABLE;
    struct thread_slot *slot = thread_slot_get();
    if (slot == NULL || global_conninfo == NULL)
        return NULL;
    if (slot->db != NULL && connection_alive(slot->db)) {
        /* Young connections re-plan sooner (1, 2, 4 ... s), so that tables
         * growing fast from empty are followed within seconds. */
        long interval = atomic_load(&replan_interval_ms);
        long early = 1000L << (slot->db->replans < 20 ? slot->db->replans : 20);
        if (elapsed_ms(&slot->db->prepared_at) < (early < interval ? early : interval)
            || PQtransactionStatus(slot->db->conn) != PQTRANS_IDLE)
            return slot->db;
        slot->db->replans++;
        PGresult *res = PQexec(slot->db->conn, "DEALLOCATE ALL");
        bool deallocated = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
        if (deallocated && prepare_all(slot->db) == DB_OK)
            return slot->db;
    }
    db_close(slot->db);
    slot->db = NULL;
    if (slot->failed_before && elapsed_ms(&slot->last_failure) < DB_RECONNECT_BACKOFF_MS)
        return NULL;

    char err[256];
    struct db *db = db_open(global_conninfo, err, sizeof(err));
    if (db == NULL) {
        if (strstr(err, "schema") != NULL)
            *why = DB_SCHEMA_NOT_READY;
        atomic_fetch_add(&stat_unavailable, 1);
        log_msg(LOG_WARN, "database connection failed: %s", err);
    }
    if (db == NULL) {
        slot->failed_before = true;
        clock_gettime(CLOCK_MONOTONIC, &slot->last_failure);
        return NULL;
    }
    atomic_fetch_add(&stat_connects, 1);
    if (slot->failed_before || slot->had_connection)
        atomic_fetch_add(&stat_reconnects, 1);
    if (slot->failed_before)
        log_msg(LOG_INFO, "database connection restored");
    slot->had_connection = true;
    slot->failed_before = false;
    slot->db = db;
    return db;
}

void db_thread_close(void)
{
    struct thread_slot *slot = pthread_getspecific(thread_key);
    if (slot != NULL) {
        db_close(slot->db);
        slot->db = NULL;
    }
}

/* Drop this thread's broken connection so the next use reconnects. */
static void thread_connection_discard(struct db *db)
{
    struct thread_slot *slot = pthread_getspecific(thread_key);
    if (slot != NULL && slot->db == db) {
        slot->db = NULL;
        db_close(db);
    }
}

void db_after_request(struct db *db)
{
    if (db == NULL || PQstatus(db->conn) != CONNECTION_OK)
        return;
    if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
        PGresult *res = PQexec(db->conn, "ROLLBACK");
        PQclear(res);
    }
}

enum db_status db_classify(struct db *db, const PGresult *res)
{
    if (PQstatus(db->conn) != CONNECTION_OK)
        return DB_UNAVAILABLE;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state == NULL)
        return DB_UNAVAILABLE;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return DB_SERIALIZATION;
    if (strcmp(state, "23505") == 0)
        return DB_CONFLICT;
    /* 08: connection exception; 57P01-03: shutdown, crash, starting up. */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0)
        return DB_UNAVAILABLE;
    return DB_ERROR;
}

/* what: the statement's name (or BEGIN, COMMIT) for the log. */
static enum db_status log_failure(struct db *db, const char *what, const PGresult *res)
{
    enum db_status status = db_classify(db, res);
    if (status == DB_CONFLICT) {
        const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
        snprintf(db->conflict_constraint, sizeof(db->conflict_constraint), "%s", constraint ? constraint : "");
    }
    if (status == DB_UNAVAILABLE)
        atomic_fetch_add(&stat_unavailable, 1);
    else if (status == DB_SERIALIZATION)
        atomic_fetch_add(&stat_serialization, 1);
    else if (status == DB_ERROR)
        atomic_fetch_add(&stat_other, 1);
    if (status == DB_ERROR)
        log_msg(LOG_ERROR, "statement %s failed: %s", what,
                res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
    else if (status == DB_UNAVAILABLE)
        log_msg(LOG_WARN, "statement %s: connection lost", what);
    return status;
}

int db_column(const PGresult *res, const char *name)
{
    int at = PQfnumber(res, name);
    if (at < 0) {
        log_msg(LOG_ERROR, "a statement's result has no column '%s' (statements.sql)", name);
        abort();
    }
    return at;
}

void db_int_text(int64_t v, char out[24])
{
    snprintf(out, 24, "%lld", (long long)v);
}

static bool result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* At most this many statements in one pipeline, plus BEGIN and COMMIT:
 * the result slots are sized from it and longer calls are refused. */
enum { PIPELINE_MAX = DB_PIPELINE_MAX, PIPELINE_SLOTS = PIPELINE_MAX + 2 };
_Static_assert(PIPELINE_SLOTS == PIPELINE_MAX + 2, "a slot for BEGIN and one for COMMIT");

/* [BEGIN] calls... [COMMIT] in one round trip (libpq pipeline mode): the
 * server runs them in order, each statement with its own snapshot. Fills
 * every call's result or status; returns the first failure (or DB_OK). The
 * commit's outcome goes to db->committed / db->commit_status; when COMMIT
 * was sent and the answers did not all come back, nobody knows whether it
 * happened: every call gets DB_COMMIT_UNKNOWN and db->commit_unknown is set. */
static enum db_status exec_pipeline(struct db *db, struct db_call *calls, int n, bool with_begin, bool with_commit)
{
    if (n < 0 || n > PIPELINE_MAX) {
        log_msg(LOG_ERROR, "a pipeline of %d statements was asked for; at most %d fit", n, PIPELINE_MAX);
        for (int i = 0; i < n; i++) {
            calls[i].result = NULL;
            calls[i].status = DB_ERROR;
        }
        return DB_ERROR;
    }
    PGconn *conn = db->conn;
    PGresult *results[PIPELINE_SLOTS] = { NULL };
    int expected = (with_begin ? 1 : 0) + n + (with_commit ? 1 : 0), got = 0;
    bool commit_sent = false;
    bool sent = PQenterPipelineMode(conn) == 1;
    if (sent && with_begin)
        sent = PQsendQueryParams(conn, db->begin_sql, 0, NULL, NULL, NULL, NULL, 0) == 1;
    for (int i = 0; sent && i < n; i++)
        sent = PQsendQueryPrepared(conn, db_stmt_name(calls[i].stmt), calls[i].n_params, calls[i].params,
                                   NULL, NULL, 0) == 1;
    if (sent && with_commit)
        sent = commit_sent = PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) == 1;
    /* From here on, part of the COMMIT may be on the wire even if the
     * flush fails: commit_sent stays true. */
    if (sent)
        sent = PQpipelineSync(conn) == 1;
    /* Each query yields its result and then NULL; the sync yields
     * PGRES_PIPELINE_SYNC. A broken connection yields NULLs. */
    bool synced = false;
    for (int spins = 0; sent && spins < 4 * expected + 4; spins++) {
        PGresult *res = PQgetResult(conn);
        if (res == NULL) {
            if (PQstatus(conn) != CONNECTION_OK)
                break;
            continue;
        }
        if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            synced = true;
            break;
        }
        if (got < expected)
            results[got++] = res;
        else
            PQclear(res);
    }
    if (PQexitPipelineMode(conn) != 1) {
        /* Answers are still owed: nothing can use this connection again. */
        log_msg(LOG_WARN, "a pipeline did not end (%s): the connection is dropped",
                PQerrorMessage(conn));
        db->broken = true;
        synced = false;
    }

    /* The first failure the server reported, in order. A failed result
     * without a SQLSTATE is libpq's own "connection lost": no answer. */
    enum db_status first = DB_OK;
    int answered = 0;
    for (; answered < got && first == DB_OK; answered++) {
        if (result_ok(results[answered]))
            continue;
        if (PQresultErrorField(results[answered], PG_DIAG_SQLSTATE) == NULL)
            break;
        int call = answered - (with_begin ? 1 : 0);
        first = log_failure(db, call < 0 ? "BEGIN" : call < n ? db_stmt_name(calls[call].stmt) : "COMMIT",
                            results[answered]);
        /* The server going down (08, 57P0x) as the answer to COMMIT itself
         * does not say whether the commit record was written first. */
        if (call == n && first == DB_UNAVAILABLE)
            first = DB_COMMIT_UNKNOWN;
    }
    bool complete = sent && synced && answered == expected;
    if (first == DB_OK && !complete) {
        /* An answer went missing: the connection is as good as lost. If a
         * statement before COMMIT had failed, the COMMIT could not have
         * run (so first would be set); it is not, so it may have run. */
        first = commit_sent ? DB_COMMIT_UNKNOWN : DB_UNAVAILABLE;
        if (first == DB_UNAVAILABLE)
            atomic_fetch_add(&stat_unavailable, 1);
        log_msg(LOG_WARN, "connection lost during a pipeline%s", commit_sent ? " carrying COMMIT" : "");
    }
    db->commit_unknown = first == DB_COMMIT_UNKNOWN;
    int at = 0;
    if (with_begin)
        PQclear(results[at++]);
    for (int i = 0; i < n; i++, at++) {
        calls[i].result = NULL;
        if (first != DB_OK) {
            calls[i].status = first;
            PQclear(results[at]);
        } else {
            calls[i].status = DB_OK;
            calls[i].result = results[at];
        }
    }
    if (with_commit) {
        db->committed = first == DB_OK;
        if (first != DB_OK && first != DB_COMMIT_UNKNOWN)
            db->commit_status = first;
        PQclear(results[at]);
    }
    return first;
}

enum db_status db_exec_many(struct db *db, struct db_call *calls, int n)
{
    bool with_begin = db->begin_pending;
    db->begin_pending = false;
    return exec_pipeline(db, calls, n, with_begin, false);
}

PGresult *db_exec(struct db *db, enum db_stmt stmt, int n_params, const char *const *params,
                  enum db_status *status)
{
    if (db->begin_pending) {
        struct db_call call = { stmt, n_params, params, NULL, DB_OK };
        *status = db_exec_many(db, &call, 1);
        return call.result;
    }
    PGresult *res = PQexecPrepared(db->conn, db_stmt_name(stmt), n_params, params, NULL, NULL, 0);
    if (result_ok(res)) {
        *status = DB_OK;
        return res;
    }
    *status = log_failure(db, db_stmt_name(stmt), res);
    PQclear(res);
    return NULL;
}

PGresult *db_exec_commit(struct db *db, enum db_stmt stmt, int n_params, const char *const *params,
                         enum db_status *status)
{
    bool with_begin = db->begin_pending;
    db->begin_pending = false;
    struct db_call call = { stmt, n_params, params, NULL, DB_OK };
    *status = exec_pipeline(db, &call, 1, with_begin, true);
    return call.result;
}

enum db_status db_flush_begin(struct db *db)
{
    if (!db->begin_pending)
        return DB_OK;
    db->begin_pending = false;
    PGresult *res = PQexec(db->conn, db->begin_sql);
    enum db_status status = result_ok(res) ? DB_OK : db_classify(db, res);
    PQclear(res);
    return status;
}

/* Run a transaction-control command; classify its failure. */
static enum db_status exec_simple(struct db *db, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    enum db_status status = PQresultStatus(res) == PGRES_COMMAND_OK ? DB_OK : db_classify(db, res);
    PQclear(res);
    return status;
}

static void backoff(int attempt)
{
    /* 2, 4, 8 ... ms with jitter from the clock: enough for a conflicting
     * transaction to finish, short enough to stay invisible to callers. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (2L << (attempt < 6 ? attempt : 6)) + (now.tv_nsec % 3);
    struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

/* COMMIT went out and its answer never came: the work may or may not be
 * in. It is never run again (that is how a retry recorded a case twice);
 * the connection is dropped and the caller asks a fresh one. */
static enum db_status commit_unknown(struct db **dbp, struct db *db)
{
    log_msg(LOG_WARN, "the connection broke after COMMIT was sent: its outcome is unknown");
    thread_connection_discard(db);
    *dbp = NULL;
    return DB_COMMIT_UNKNOWN;
}

enum db_status db_run_transaction(struct db **dbp, const char *isolation, db_txn_fn fn, void *cls)
{
    bool reconnected = false;
    for (int attempt = 0; attempt < TXN_MAX_ATTEMPTS; attempt++) {
        struct db *db = *dbp;
        /* BEGIN travels with the first statement, COMMIT with the last
         * when the callback uses db_exec_commit(): fewer round trips. */
        snprintf(db->begin_sql, sizeof(db->begin_sql), "BEGIN ISOLATION LEVEL %s", isolation);
        db->begin_pending = true;
        db->committed = false;
        db->commit_status = DB_OK;
        db->commit_unknown = false;
        enum db_status status = fn(db, cls);
        bool began = !db->begin_pending;
        db->begin_pending = false;
        /* Whatever the callback made of it. */
        if (db->commit_unknown || status == DB_COMMIT_UNKNOWN)
            return commit_unknown(dbp, db);
        if (db->broken) {
            /* Nothing can use this connection again; dropping it rolls back
             * (COMMIT was not sent, or the check above had returned). */
            thread_connection_discard(db);
            *dbp = NULL;
            if (status == DB_SETTLED)
                return DB_SETTLED;
            if (reconnected || (*dbp = db_thread_connection(NULL)) == NULL)
                return DB_UNAVAILABLE;
            reconnected = true;
            continue;
        }
        if (status == DB_SETTLED) {
            if (began && PQstatus(db->conn) == CONNECTION_OK && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
                exec_simple(db, "ROLLBACK"); /* nothing was meant to be kept */
            return DB_SETTLED;
        }
        if (status == DB_OK) {
            if (db->committed || !began)
                return DB_OK; /* committed in the pipeline, or nothing was sent */
            status = db->commit_status != DB_OK ? db->commit_status : exec_simple(db, "COMMIT");
            if (status == DB_OK)
                return DB_OK;
            /* No answer, or the server went down around it (08, 57P0x):
             * unknown. An error it answered (40001 ...) rolled back. */
            if (status == DB_UNAVAILABLE)
                return commit_unknown(dbp, db);
        } else if (began && PQstatus(db->conn) == CONNECTION_OK
                   && PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
            exec_simple(db, "ROLLBACK");
        }
        if (status == DB_SERIALIZATION) {
            backoff(attempt);
            continue;
        }
        if (status == DB_UNAVAILABLE && !reconnected) {
            /* COMMIT was never sent, so nothing was committed: a stale
             * connection (say, after a database restart) gets one fresh try. */
            reconnected = true;
            thread_connection_discard(db);
            *dbp = db_thread_connection(NULL);
            if (*dbp == NULL)
                return DB_UNAVAILABLE;
            continue;
        }
        if (status == DB_UNAVAILABLE) {
            thread_connection_discard(db);
            *dbp = NULL;
        }
        return status;
    }
    log_msg(LOG_WARN, "transaction gave up after %d serialization failures", TXN_MAX_ATTEMPTS);
    return DB_SERIALIZATION;
}
