/* SIGTERM under load. CLIENTS threads post distinct cases as fast as they
 * are answered, over keep-alive connections (first run) and over a new
 * connection per request with "Connection: close" (second run); the server
 * gets SIGTERM in the middle. Promised, from the client's side and from the
 * database: every case recorded was answered 2xx (nothing committed goes
 * unanswered), every request the server began is answered, clients are told
 * "Connection: close" and get no answer on a connection after it, and the
 * server exits 0 as soon as what was in flight is answered, well within
 * REDRESS_SHUTDOWN_GRACE. FAULT_CLIENTS overrides the client count. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

enum { GRACE_S = 20, LOAD_BEFORE_MS = 2000, REQUEST_TIMEOUT_MS = 30000 };

static unsigned port;
static char auth[200];
static atomic_int next_ticket;
static atomic_bool stopping;
/* per run */
static atomic_long sent, answered_2xx, answered_503, answered_other, unanswered, told_to_close;
static atomic_long answered_after_close; /* a response on a connection already told to close: a broken promise */

static size_t case_request(char *out, size_t size, int ticket, bool close_after)
{
    char body[1024];
    int body_len = snprintf(body, sizeof(body),
                            "{\"ticket_id\":\"TERM-%d\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"TERM-ORDER-%d\","
                            "\"sku\":\"MUG-01\",\"currency\":\"USD\",\"item_price\":2599,\"shipping_paid\":499},"
                            "\"buyer\":{\"buyer_id\":\"TERM-BUYER-%d\",\"name\":\"Jane\",\"language\":\"en\"},"
                            "\"issue\":{\"category\":\"minor_defect\",\"description\":\"scratch\"}}",
                            ticket, ticket, ticket % 89);
    return (size_t)snprintf(out, size,
                            "POST /v1/cases HTTP/1.1\r\nHost: redress\r\n%s\r\nContent-Type: application/json\r\n"
                            "Content-Length: %d\r\n%s\r\n%s",
                            auth, body_len, close_after ? "Connection: close\r\n" : "", body);
}

/* One client: requests until the server no longer takes connections. */
static void *client(void *arg)
{
    bool keep_alive = *(const bool *)arg;
    int fd = -1;
    while (!atomic_load(&stopping) || fd >= 0) {
        if (fd < 0) {
            fd = fault_connect(port);
            if (fd < 0)
                break; /* the listener is closed: the server is stopping */
        }
        char request[2048];
        size_t len = case_request(request, sizeof(request), atomic_fetch_add(&next_ticket, 1), !keep_alive);
        if (!fault_send_all(fd, request, len)) {
            close(fd); /* closed by the server before this request: never began */
            fd = -1;
            continue;
        }
        atomic_fetch_add(&sent, 1);
        struct fault_response r;
        if (fault_read_response(fd, &r, REQUEST_TIMEOUT_MS) != 0) {
            atomic_fetch_add(&unanswered, 1);
            close(fd);
            fd = -1;
            continue;
        }
        if (r.status == 201 || r.status == 200)
            atomic_fetch_add(&answered_2xx, 1);
        else if (r.status == 503)
            atomic_fetch_add(&answered_503, 1);
        else
            atomic_fetch_add(&answered_other, 1);
        char connection[32] = "";
        bool closing = fault_header(&r, "Connection", connection, sizeof(connection))
                       && strcasecmp(connection, "close") == 0;
        fault_response_free(&r);
        if (closing && keep_alive) {
            atomic_fetch_add(&told_to_close, 1);
            /* nothing more may come on it: check before closing */
            struct fault_response extra;
            const char *probe = "GET /healthz HTTP/1.1\r\nHost: redress\r\n\r\n";
            if (fault_send_all(fd, probe, strlen(probe)) && fault_read_response(fd, &extra, 2000) == 0) {
                atomic_fetch_add(&answered_after_close, 1);
                fault_response_free(&extra);
            }
        }
        if (closing || !keep_alive) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void run(bool keep_alive, int clients)
{
    const char *mode = keep_alive ? "keep-alive" : "Connection: close";
    char conninfo[512], key[160];
    fault_database_create(conninfo, sizeof(conninfo));
    char grace[64];
    snprintf(grace, sizeof(grace), "REDRESS_SHUTDOWN_GRACE=%d", GRACE_S);
    /* No rate limit: the load here is far above one tenant's default bucket,
     * and a 429 would hide what is under test. */
    const char *env[] = { "REDRESS_THREADS=4", "REDRESS_LOG_LEVEL=warn", "REDRESS_RATE_LIMIT_PER_SECOND=0", grace, NULL };
    struct fault_server srv;
    fault_server_start(&srv, conninfo, env);
    fault_apikey_create(conninfo, "sigterm", key, sizeof(key));
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    port = srv.port;
    atomic_store(&stopping, false);
    atomic_store(&sent, 0);
    atomic_store(&answered_2xx, 0);
    atomic_store(&answered_503, 0);
    atomic_store(&answered_other, 0);
    atomic_store(&unanswered, 0);
    atomic_store(&told_to_close, 0);
    atomic_store(&answered_after_close, 0);

    pthread_t *threads = calloc((size_t)clients, sizeof(*threads));
    for (int i = 0; i < clients; i++)
        pthread_create(&threads[i], NULL, client, &keep_alive);
    fault_sleep_ms(LOAD_BEFORE_MS);
    long sent_before = atomic_load(&sent);
    atomic_store(&stopping, true);
    double t0 = fault_now();
    int code = fault_server_stop(&srv, GRACE_S + 10);
    double took = fault_now() - t0;
    for (int i = 0; i < clients; i++)
        pthread_join(threads[i], NULL);
    free(threads);

    PGconn *db = fault_db_connect(conninfo);
    long recorded = fault_db_long(db, "SELECT count(*) FROM cases", 0, NULL);
    PQfinish(db);
    fault_log("%s, %d clients: %ld requests before SIGTERM, %ld in all; %ld answered 2xx, %ld 503, %ld other, "
              "%ld unanswered; %ld cases recorded; exit %d after %.2f s (grace %d s); %ld told to close",
              mode, clients, sent_before, atomic_load(&sent), atomic_load(&answered_2xx), atomic_load(&answered_503),
              atomic_load(&answered_other), atomic_load(&unanswered), recorded, code, took, GRACE_S,
              atomic_load(&told_to_close));
    fault_check(code == 0, "%s: exit code %d (0 expected)", mode, code);
    fault_check(took < GRACE_S / 2.0, "%s: stopped in %.2f s, under half its %d s grace", mode, took, GRACE_S);
    fault_check(recorded == atomic_load(&answered_2xx),
                "%s: %ld cases recorded, %ld answered 2xx: nothing committed went unanswered", mode, recorded,
                atomic_load(&answered_2xx));
    fault_check(atomic_load(&answered_other) == 0, "%s: %ld answers other than 2xx and 503", mode,
                atomic_load(&answered_other));
    fault_check(atomic_load(&answered_after_close) == 0, "%s: %ld answers on a connection after Connection: close",
                mode, atomic_load(&answered_after_close));
    if (keep_alive)
        fault_check(atomic_load(&told_to_close) > 0, "keep-alive: %ld clients told Connection: close",
                    atomic_load(&told_to_close));
    if (code != 0 || recorded != atomic_load(&answered_2xx))
        fault_server_log_tail(&srv, 20);
}

int main(void)
{
    fault_init("fault_sigterm", 240);
    const char *n = getenv("FAULT_CLIENTS");
    int clients = n ? atoi(n) : 16;
    if (clients < 1 || clients > 256)
        fault_fail("FAULT_CLIENTS must be 1 to 256");
    run(true, clients);
    run(false, clients);
    return fault_finish();
}
