/* Slow clients. 1,000 connections from 127.0.0.1 each send a request line
 * and then one header line every 10 s, reconnecting whenever the server
 * closes or refuses them; meanwhile a normal client on 127.0.0.2 sends a
 * request every 50 ms on a new connection. Promised: every normal request
 * is answered, with p99 under 100 ms (p50 and p99 reported); the trickling
 * connections are held to the per-address limit and closed at the request
 * head deadline. Then, on a server with REDRESS_CONNECTION_LIMIT=100,
 * connections beyond the limit are refused at once (closed without an
 * answer), not left hanging, and served again once others close. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

enum {
    TRICKLERS = 1000,
    TRICKLE_INTERVAL_MS = 10000,
    RUN_MS = 35000,            /* past three head deadlines (10 s) */
    NORMAL_EVERY_MS = 50,
    MAX_SAMPLES = RUN_MS / NORMAL_EVERY_MS + 16,
    LIMIT = 100,               /* the second server's REDRESS_CONNECTION_LIMIT */
};

static unsigned port;
static char auth[200];
static atomic_bool done;

/* A non-blocking connection from `from` (a loopback address), or -1. */
static int connect_from(const char *from, bool blocking)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in local = { .sin_family = AF_INET };
    inet_pton(AF_INET, from, &local.sin_addr);
    struct sockaddr_in remote = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
        close(fd);
        return -1;
    }
    if (!blocking)
        fcntl(fd, F_SETFL, O_NONBLOCK);
    if (connect(fd, (struct sockaddr *)&remote, sizeof(remote)) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- the tricklers ---- */

struct trickler {
    int fd;
    double next_line;
    double reconnect_at;  /* closed: try again a second later */
    int lines;
};

static atomic_long trickle_connects, trickle_closed;

static void trickler_open(struct trickler *t, double now, int i)
{
    t->fd = connect_from("127.0.0.1", false);
    t->lines = 0;
    /* spread the lines over the interval */
    t->next_line = now + (double)(i % 100) * TRICKLE_INTERVAL_MS / 100 / 1000.0;
    atomic_fetch_add(&trickle_connects, 1);
}

static void *tricklers_main(void *unused)
{
    (void)unused;
    static struct trickler t[TRICKLERS];
    double now = fault_now();
    for (int i = 0; i < TRICKLERS; i++)
        trickler_open(&t[i], now, i);
    while (!atomic_load(&done)) {
        now = fault_now();
        for (int i = 0; i < TRICKLERS; i++) {
            if (t[i].fd < 0) {
                if (now >= t[i].reconnect_at)
                    trickler_open(&t[i], now, i);
                continue;
            }
            /* closed by the server (refused, or the head deadline)? */
            char byte;
            ssize_t n = recv(t[i].fd, &byte, 1, MSG_DONTWAIT);
            bool closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN);
            if (!closed && now >= t[i].next_line) {
                char line[64];
                int len = t[i].lines == 0 ? snprintf(line, sizeof(line), "GET /healthz HTTP/1.1\r\n")
                                          : snprintf(line, sizeof(line), "X-Slow-%d: x\r\n", t[i].lines);
                closed = send(t[i].fd, line, (size_t)len, MSG_NOSIGNAL) < 0 && errno != EAGAIN;
                t[i].lines++;
                t[i].next_line = now + TRICKLE_INTERVAL_MS / 1000.0;
            }
            if (closed) {
                close(t[i].fd);
                t[i].fd = -1;
                t[i].reconnect_at = now + 1;
                atomic_fetch_add(&trickle_closed, 1);
            }
        }
        fault_sleep_ms(20);
    }
    for (int i = 0; i < TRICKLERS; i++)
        if (t[i].fd >= 0)
            close(t[i].fd);
    return NULL;
}

/* ---- the normal client ---- */

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One GET /v1/me from 127.0.0.2 on a new connection; its latency in ms,
 * or -1 when it was not answered 200. */
static double normal_request(void)
{
    double t0 = fault_now();
    int fd = connect_from("127.0.0.2", true);
    if (fd < 0)
        return -1;
    char request[512];
    int len = snprintf(request, sizeof(request), "GET /v1/me HTTP/1.1\r\nHost: redress\r\n%s\r\nConnection: close\r\n\r\n",
                       auth);
    struct fault_response r;
    double ms = -1;
    if (fault_send_all(fd, request, (size_t)len) && fault_read_response(fd, &r, 10000) == 0) {
        if (r.status == 200)
            ms = (fault_now() - t0) * 1000;
        fault_response_free(&r);
    }
    close(fd);
    return ms;
}

static void slow_clients_run(void)
{
    char conninfo[512], key[160];
    fault_database_create(conninfo, sizeof(conninfo));
    const char *env[] = { "REDRESS_LOG_LEVEL=warn", NULL }; /* the defaults: 512, 64 per address, 10 s */
    struct fault_server srv;
    fault_server_start(&srv, conninfo, env);
    fault_apikey_create(conninfo, "slow", key, sizeof(key));
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    port = srv.port;

    pthread_t tricklers;
    atomic_store(&done, false);
    pthread_create(&tricklers, NULL, tricklers_main, NULL);
    fault_sleep_ms(1000); /* the tricklers are in */
    static double samples[MAX_SAMPLES];
    int n = 0, failed = 0;
    for (double until = fault_now() + RUN_MS / 1000.0; fault_now() < until && n < MAX_SAMPLES;) {
        double ms = normal_request();
        if (ms < 0)
            failed++;
        else
            samples[n++] = ms;
        fault_sleep_ms(NORMAL_EVERY_MS);
    }
    atomic_store(&done, true);
    pthread_join(tricklers, NULL);
    qsort(samples, (size_t)n, sizeof(double), compare_double);
    double p50 = n ? samples[n / 2] : 0, p99 = n ? samples[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] : 0;
    fault_log("%d trickling connections from 127.0.0.1 (%ld connects, %ld closed or refused by the server) for %d s; "
              "normal requests from 127.0.0.2: %d answered, %d not; p50 %.1f ms, p99 %.1f ms, max %.1f ms",
              TRICKLERS, atomic_load(&trickle_connects), atomic_load(&trickle_closed), RUN_MS / 1000, n, failed, p50,
              p99, n ? samples[n - 1] : 0);
    fault_check(failed == 0, "%d normal requests not answered 200", failed);
    fault_check(p99 < 100, "p99 of normal requests %.1f ms, under 100 ms", p99);
    fault_check(atomic_load(&trickle_closed) >= TRICKLERS - 64,
                "%ld trickling connections refused or closed (at most 64 may stay)", atomic_load(&trickle_closed));
    fault_check(fault_server_stop(&srv, 30) == 0, "the server stopped cleanly");
}

/* ---- beyond the connection limit ---- */

/* The server's answer to a new connection: 1 answered, 0 closed without an
 * answer, -1 nothing within timeout_ms (hung). */
static int try_connection(const char *from, int timeout_ms, int *fd_out)
{
    int fd = connect_from(from, true);
    if (fd < 0)
        return 0;
    const char *get = "GET /healthz HTTP/1.1\r\nHost: redress\r\n\r\n";
    send(fd, get, strlen(get), MSG_NOSIGNAL);
    struct fault_response r;
    double t0 = fault_now();
    if (fault_read_response(fd, &r, timeout_ms) == 0) {
        fault_response_free(&r);
        *fd_out = fd;
        return 1;
    }
    close(fd);
    *fd_out = -1;
    return fault_now() - t0 >= timeout_ms / 1000.0 - 0.05 ? -1 : 0;
}

static void connection_limit_run(void)
{
    char conninfo[512];
    fault_database_create(conninfo, sizeof(conninfo));
    char limit[64];
    snprintf(limit, sizeof(limit), "REDRESS_CONNECTION_LIMIT=%d", LIMIT);
    const char *env[] = { "REDRESS_LOG_LEVEL=warn", limit, "REDRESS_CONNECTION_LIMIT_PER_ADDRESS=100000", NULL };
    struct fault_server srv;
    fault_server_start(&srv, conninfo, env);
    port = srv.port;
    fault_sleep_ms(500); /* the readiness probes' connections are gone */
    static int held[LIMIT];
    int admitted = 0;
    for (int i = 0; i < LIMIT; i++) {
        int fd;
        if (try_connection("127.0.0.3", 5000, &fd) == 1)
            held[admitted++] = fd;
    }
    int refused = 0, hung = 0, answered = 0;
    double worst = 0;
    for (int i = 0; i < 50; i++) {
        double t0 = fault_now();
        int fd, verdict = try_connection("127.0.0.4", 5000, &fd);
        worst = fault_now() - t0 > worst ? fault_now() - t0 : worst;
        refused += verdict == 0;
        hung += verdict < 0;
        if (verdict == 1) {
            answered++;
            close(fd);
        }
    }
    for (int i = 0; i < admitted; i++)
        close(held[i]);
    fault_sleep_ms(500);
    int fd, after = try_connection("127.0.0.4", 5000, &fd);
    if (fd >= 0)
        close(fd);
    fault_log("REDRESS_CONNECTION_LIMIT=%d: %d held; 50 more: %d refused at once (slowest %.0f ms), %d hung, %d answered; "
              "after closing: %s", LIMIT, admitted, refused, worst * 1000, hung, answered,
              after == 1 ? "answered" : "not answered");
    fault_check(admitted == LIMIT, "%d of %d connections admitted", admitted, LIMIT);
    fault_check(refused == 50 && hung == 0, "beyond the limit: %d refused, %d hung, %d answered", refused, hung,
                answered);
    fault_check(after == 1, "a connection admitted once the held ones closed");
    fault_check(fault_server_stop(&srv, 30) == 0, "the server stopped cleanly");
}

int main(void)
{
    fault_init("fault_slow_clients", 200);
    struct rlimit files;
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max; /* 1,000 sockets here; the server, our child, inherits it */
    setrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur < TRICKLERS + 256)
        fault_fail("the open-file limit %lu is below %d", (unsigned long)files.rlim_cur, TRICKLERS + 256);
    slow_clients_run();
    connection_limit_run();
    return fault_finish();
}
