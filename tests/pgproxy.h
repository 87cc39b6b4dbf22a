/* A loopback TCP proxy in front of PostgreSQL's Unix socket that can lose
 * the round trip carrying COMMIT, for tests of "recorded if and only if a
 * 2xx was returned". Connect through it with
 *   <conninfo> host=127.0.0.1 port=<pgproxy_port()> sslmode=disable gssencmode=disable
 * (plain protocol, so that the proxy can read the messages). Used by the
 * Check suites and by the fault programs (tests/faults/). */
#ifndef REDRESS_TEST_PGPROXY_H
#define REDRESS_TEST_PGPROXY_H

#include <stddef.h>

enum pgproxy_fault {
    PGPROXY_PASS,              /* forward everything */
    /* PostgreSQL gets the COMMIT and runs it; its reply is swallowed and
     * both connections are closed once it has been sent (the commit happened). */
    PGPROXY_LOSE_COMMIT_REPLY,
    /* The round trip carrying COMMIT is dropped with the connection before
     * the COMMIT reaches PostgreSQL (the transaction rolls back). */
    PGPROXY_DROP_BEFORE_COMMIT,
};

struct pgproxy;

/** Listen on 127.0.0.1 (an ephemeral port) and forward every connection to
 * the Unix socket at socket_path. NULL on failure (errno set). Stop with
 * pgproxy_stop(), which frees it. */
struct pgproxy *pgproxy_start(const char *socket_path);
unsigned pgproxy_port(const struct pgproxy *proxy);

/** The next COMMIT (on whichever connection sends it first) meets this
 * fault; later ones pass again. */
void pgproxy_arm(struct pgproxy *proxy, enum pgproxy_fault fault);
/** How many faults have fired since the start. */
int pgproxy_fired(struct pgproxy *proxy);

/** Close every connection, stop the threads, free the proxy. */
void pgproxy_stop(struct pgproxy *proxy);

/** "<base> host=127.0.0.1 port=<port> sslmode=disable gssencmode=disable"
 * into out (later keywords override earlier ones in a libpq string). */
void pgproxy_conninfo(const struct pgproxy *proxy, const char *base, char *out, size_t size);

#endif
