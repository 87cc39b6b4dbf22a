/* Test harness: a real server on an ephemeral port, a real database made
 * for this test run, and an HTTP client (libcurl). */
#ifndef REDRESS_TEST_HARNESS_H
#define REDRESS_TEST_HARNESS_H

#include <check.h>
#include <jansson.h>
#include <stdbool.h>

#include "apikey.h"
#include "http.h"

/* Suites, one per file. */
Suite *util_suite(void);
Suite *http_suite(void);
Suite *db_suite(void);
Suite *engine_suite(void);
Suite *cases_suite(void);
Suite *deploy_suite(void);
Suite *input_suite(void);
Suite *ops_suite(void);
Suite *policy_suite(void);
Suite *import_parse_suite(void); /* check_import_parse.c */
Suite *imports_suite(void);      /* check_imports.c */
Suite *reports_suite(void);      /* check_reports.c */
Suite *budget_suite(void);       /* check_budget.c */
Suite *triage_suite(void);       /* check_triage.c */
Suite *messages_suite(void);     /* check_messages.c */
Suite *connectors_suite(void);   /* check_connectors.c */
Suite *zendesk_suite(void);      /* check_zendesk.c */
Suite *outbox_suite(void);       /* check_outbox.c */
Suite *gorgias_suite(void);      /* check_gorgias.c */
Suite *evidence_suite(void);     /* check_evidence.c */
Suite *sessions_suite(void);     /* check_sessions.c */
Suite *console_suite(void);      /* check_console.c */

/** Connection string of this run's database (made by main before the
 * suites run, migrated, dropped afterwards). */
const char *th_conninfo(void);
/** Make a new empty database; conninfo_out gets its connection string. */
void th_database_create(char *conninfo_out, size_t size);

struct th_server {
    struct http_server *server;
    unsigned port;
};
/** Start the service against conninfo (extra: NULL or "NAME=VALUE" env
 * overrides, NULL-terminated). */
void th_server_start(struct th_server *srv, const char *conninfo, const char *const *extra);
void th_server_stop(struct th_server *srv);

struct pgproxy;
/** Start the service (one worker thread) on this run's database through
 * tests/pgproxy.c, which can lose a COMMIT's reply or drop a round trip
 * on command (see pgproxy.h); returns the proxy (never NULL: fails the
 * test). th_server_stop_proxied stops both. */
struct pgproxy *th_server_start_proxied(struct th_server *srv);
void th_server_stop_proxied(struct th_server *srv, struct pgproxy *proxy);

struct th_response {
    long status;
    char *body;       /* NUL-terminated */
    size_t body_len;
    char *headers;    /* raw header block */
    json_t *json;     /* body parsed, when it is JSON */
};

/** Send one request; headers is NULL or a NULL-terminated list of
 * "Name: value". Fails the test if the connection fails. */
void th_request(unsigned port, const char *method, const char *path, const char *const *headers,
                const char *body, size_t body_len, struct th_response *out);
/** POST /v1/cases with body as the tenant of auth ("Authorization: ..."):
 * fails the test unless it answers 201; case_id gets the new case's id. */
void th_post_case(unsigned port, const char *auth, const char *body, char case_id[64]);
/** A header's value from a response (case-insensitive), or false. */
bool th_header(const struct th_response *r, const char *name, char *value, size_t size);
void th_response_free(struct th_response *r);

/** A new tenant with a fresh API key (in the run's database). */
void th_tenant_with_key(const char *conninfo, char name_out[64], char key_out[APIKEY_LEN + 1]);

/** The same, and the key's "Authorization: Bearer ..." header line. */
enum { TH_AUTH_HEADER_SIZE = APIKEY_LEN + 32 };
void th_tenant_with_auth(const char *conninfo, char name_out[64], char key_out[APIKEY_LEN + 1],
                         char auth_out[TH_AUTH_HEADER_SIZE]);

/** A file of the source tree (path relative to its root, e.g.
 * "tests/data/imports/fba-returns.tsv"), whole: malloc'd and NUL-terminated
 * (caller frees); *len its size. Fails the test when it cannot be read. */
char *th_read_file(const char *relative, size_t *len);
/** A shell command's whole standard output (malloc'd, NUL-terminated; the
 * caller frees). Fails the test unless the command exits 0. */
char *th_command_output(const char *command);
/** Run a shell command; out gets its stdout and stderr (cut to fit).
 * Returns its exit status (128 when it did not exit). */
int th_shell(const char *command, char *out, size_t out_size);

/** Stop / start this run's PostgreSQL (scripts/test.sh provides the tool). */
void th_postgres_stop(void);
void th_postgres_start(void);

/** Poll GET path until it answers `status`, for up to `seconds`. */
bool th_wait_for_status(unsigned port, const char *path, long status, int seconds);

#endif
