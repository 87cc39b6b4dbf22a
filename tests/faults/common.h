/* Shared by the fault programs (tests/faults/fault_*.c, run by
 * scripts/faults.sh through `make faults`): the real `redress serve` as a
 * child process, databases in the throwaway PostgreSQL the script started,
 * tenants and keys made by the binary itself, and a small HTTP/1.1 client
 * over raw sockets. Loopback only.
 *
 * A fault program: fault_init(name, seconds); do its work, calling
 * fault_check() for every promise; return fault_finish(). It stops itself
 * at `seconds` (SIGALRM), and every server it started dies with it. */
#ifndef REDRESS_FAULT_COMMON_H
#define REDRESS_FAULT_COMMON_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- running a fault program ---- */

/** Name the program (for messages) and set its hard time limit. */
void fault_init(const char *name, unsigned seconds);
/** A line on stdout, prefixed with the program's name. */
void fault_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Record a promise: on false, print FAIL and the message; the program
 * goes on and fails at fault_finish(). Returns cond. */
bool fault_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Stop now: print FAIL and the message, exit 1 (servers are stopped). */
_Noreturn void fault_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Print the verdict; the exit code for main (0 when every check held). */
int fault_finish(void);
/** Seconds on a monotonic clock. */
double fault_now(void);
void fault_sleep_ms(long ms);
/** A directory for this run's files ($REDRESS_FAULT_TMP, else /tmp). */
const char *fault_tmp_dir(void);

/* ---- the database ---- */

/** A new empty database in the run's PostgreSQL; its connection string
 * (Unix socket) into out. Migrations are left to `redress serve`. */
void fault_database_create(char *conninfo, size_t size);
/** Connect or fail the program. */
PGconn *fault_db_connect(const char *conninfo);
/** First column of the first row of a query as a number (fails the program
 * on error). params may be NULL. */
long fault_db_long(PGconn *conn, const char *sql, int n_params, const char *const *params);
/** $REDRESS_TEST_PG_CTL ACTION (stop, start, kill): 0 on success. */
int fault_pg_ctl(const char *action);

/* ---- the service ---- */

struct fault_server {
    pid_t pid;
    unsigned port;
    char log_path[512]; /* its stderr */
};

/** An unused loopback TCP port (bound once, then released). */
unsigned fault_free_port(void);
/** Start `redress serve` ($REDRESS_FAULT_BINARY) against conninfo on a free
 * port, with env ("NAME=VALUE" list, NULL-terminated, may be NULL) added,
 * and wait until GET /readyz answers 200 (up to 30 s) or fail. */
void fault_server_start(struct fault_server *srv, const char *conninfo, const char *const *env);
/** SIGTERM, then SIGKILL after grace_s. Returns the exit code, or -1 when
 * it had to be killed or died of a signal. */
int fault_server_stop(struct fault_server *srv, int grace_s);
/** The last lines of the server's log on stdout (for failures). */
void fault_server_log_tail(const struct fault_server *srv, int lines);

/** `redress apikey create --tenant NAME` against conninfo; the key into
 * key_out (at most size bytes). Fails the program on error. */
void fault_apikey_create(const char *conninfo, const char *tenant, char *key_out, size_t size);

/* ---- HTTP over raw sockets ---- */

struct fault_response {
    int status;
    char headers[4096]; /* the raw head, status line included */
    char *body;         /* malloc'd, NUL-terminated; free with fault_response_free */
    size_t body_len;
};

/** A blocking TCP connection to 127.0.0.1:port, or -1. */
int fault_connect(unsigned port);
/** Write everything (no SIGPIPE); false when the connection broke. */
bool fault_send_all(int fd, const void *data, size_t len);
/** Read one response (Content-Length framed) from fd within timeout_ms.
 * Returns 0, or -1 when the connection closed, broke or timed out first. */
int fault_read_response(int fd, struct fault_response *out, int timeout_ms);
/** One request on a new connection (Connection: close). headers: NULL or
 * a NULL-terminated list of "Name: value"; body may be NULL. Returns 0, or
 * -1 when no complete response came (connection refused, dropped or
 * timed out): the request may or may not have been handled. */
int fault_http(unsigned port, const char *method, const char *path, const char *const *headers,
               const char *body, struct fault_response *out, int timeout_ms);
/** A header's value (case-insensitive name), or false. */
bool fault_header(const struct fault_response *r, const char *name, char *value, size_t size);
void fault_response_free(struct fault_response *r);

#endif
