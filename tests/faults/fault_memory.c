/* Memory of the real server process (VmRSS from /proc): idle; with 1,000
 * idle keep-alive connections (KB per connection; goal at most 40 KB with
 * the default REDRESS_CONNECTION_MEMORY_KIB); and over 150,000 requests
 * (a mix of GET /healthz, GET /v1/me and POST /v1/replies/check on
 * keep-alive connections): no growth between the second and the third
 * 50,000. Also: the largest request head the contract allows, with room to
 * spare, is served at that memory setting (not refused as too large). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "http_text.h"

enum {
    IDLE_CONNECTIONS = 1000,
    PER_ADDRESS = 50,          /* under the default per-address limit (64) */
    LOAD_THREADS = 4,
    BATCH = 50000,
    BATCHES = 3,
    GROWTH_TOLERANCE_KB = 512, /* allocator noise, not a leak */
};

static unsigned port;
static char auth[200];
static pid_t server_pid;

static long rss_kb(void)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)server_pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f != NULL && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f != NULL)
        fclose(f);
    if (kb < 0)
        fault_fail("cannot read the server's VmRSS from %s", path);
    return kb;
}

static int connect_from(const char *from)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in local = { .sin_family = AF_INET };
    inet_pton(AF_INET, from, &local.sin_addr);
    struct sockaddr_in remote = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0
        || connect(fd, (struct sockaddr *)&remote, sizeof(remote)) != 0)
        fault_fail("connecting from %s failed", from);
    return fd;
}

/* One request on fd; its status (0: no answer). */
static int exchange(int fd, const char *request, size_t len)
{
    struct fault_response r;
    if (!fault_send_all(fd, request, len) || fault_read_response(fd, &r, 20000) != 0)
        return 0;
    int status = r.status;
    fault_response_free(&r);
    return status;
}

static atomic_long next_request, load_failures;
static atomic_int first_failure_status;

/* Requests until the shared count reaches *target. */
static void *load_main(void *arg)
{
    long target = *(const long *)arg;
    char me[512], check[1024];
    const char *health = "GET /healthz HTTP/1.1\r\nHost: redress\r\n\r\n";
    int me_len = snprintf(me, sizeof(me), "GET /v1/me HTTP/1.1\r\nHost: redress\r\n%s\r\n\r\n", auth);
    const char *body = "{\"channel\":\"amazon\",\"language\":\"en\",\"body\":\"We refunded your order. Thank you.\"}";
    int check_len = snprintf(check, sizeof(check),
                             "POST /v1/replies/check HTTP/1.1\r\nHost: redress\r\n%s\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\n\r\n%s", auth, strlen(body), body);
    int fd = connect_from("127.0.0.2");
    for (long i; (i = atomic_fetch_add(&next_request, 1)) < target;) {
        int status;
        switch (i % 3) {
        case 0: status = exchange(fd, health, strlen(health)); break;
        case 1: status = exchange(fd, me, (size_t)me_len); break;
        default: status = exchange(fd, check, (size_t)check_len); break;
        }
        if (status != 200) {
            int none = 0;
            atomic_compare_exchange_strong(&first_failure_status, &none, status == 0 ? -1 : status);
            atomic_fetch_add(&load_failures, 1);
            close(fd);
            fd = connect_from("127.0.0.2");
        }
    }
    close(fd);
    return NULL;
}

/* The contract's largest legitimate head, and then some (http_text.h):
 * it must still be served with the smaller per-connection memory. */
static int largest_legitimate_head(void)
{
    static char request[16384];
    size_t at = http_text_largest_head(request, sizeof(request), auth);
    int fd = connect_from("127.0.0.3");
    int status = exchange(fd, request, at);
    close(fd);
    fault_log("the largest legitimate head (%zu bytes) was answered %d", at, status);
    return status;
}

int main(void)
{
    fault_init("fault_memory", 280);
    struct rlimit files;
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max; /* the server, our child, inherits it */
    setrlimit(RLIMIT_NOFILE, &files);
    char conninfo[512], key[160];
    fault_database_create(conninfo, sizeof(conninfo));
    /* one tenant at full speed: its rate limit off */
    const char *env[] = { "REDRESS_LOG_LEVEL=warn", "REDRESS_CONNECTION_LIMIT=2000", "REDRESS_THREADS=4",
                          "REDRESS_RATE_LIMIT_PER_SECOND=0", NULL };
    struct fault_server srv;
    fault_server_start(&srv, conninfo, env);
    fault_apikey_create(conninfo, "memory", key, sizeof(key));
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    port = srv.port;
    server_pid = srv.pid;

    int status = largest_legitimate_head();
    fault_check(status == 200 || status == 404, "the largest legitimate head was answered %d", status);

    /* warm: every worker thread has its database connection and caches */
    int warm = connect_from("127.0.0.2");
    const char *health = "GET /healthz HTTP/1.1\r\nHost: redress\r\n\r\n";
    for (int i = 0; i < 200; i++)
        exchange(warm, health, strlen(health));
    close(warm);
    fault_sleep_ms(500);
    long idle = rss_kb();

    static int fds[IDLE_CONNECTIONS];
    for (int i = 0; i < IDLE_CONNECTIONS; i++) {
        char from[32];
        snprintf(from, sizeof(from), "127.0.1.%d", 1 + i / PER_ADDRESS);
        fds[i] = connect_from(from);
        if (exchange(fds[i], health, strlen(health)) != 200)
            fault_fail("idle connection %d was not answered", i);
    }
    fault_sleep_ms(500);
    long with_idle = rss_kb();
    double per_connection = (double)(with_idle - idle) / IDLE_CONNECTIONS;
    for (int i = 0; i < IDLE_CONNECTIONS; i++)
        close(fds[i]);
    fault_log("RSS idle %ld KB; with %d idle keep-alive connections %ld KB: %.1f KB per connection",
              idle, IDLE_CONNECTIONS, with_idle, per_connection);
    fault_check(per_connection <= 40, "%.1f KB per idle connection, at most 40", per_connection);

    long after[BATCHES];
    double t0 = fault_now();
    for (int b = 0; b < BATCHES; b++) {
        pthread_t threads[LOAD_THREADS];
        long target = (long)BATCH * (b + 1);
        for (int i = 0; i < LOAD_THREADS; i++)
            pthread_create(&threads[i], NULL, load_main, &target);
        for (int i = 0; i < LOAD_THREADS; i++)
            pthread_join(threads[i], NULL);
        atomic_store(&next_request, target); /* each thread took one past the end */
        after[b] = rss_kb();
    }
    double took = fault_now() - t0;
    fault_log("%d requests in %.1f s (%.0f/s), %ld failed; RSS after each %d: %ld, %ld, %ld KB", BATCH * BATCHES, took,
              BATCH * BATCHES / took, atomic_load(&load_failures), BATCH, after[0], after[1], after[2]);
    fault_check(atomic_load(&load_failures) == 0, "%ld requests not answered 200 (the first: %d)",
                atomic_load(&load_failures), atomic_load(&first_failure_status));
    fault_check(after[2] - after[1] <= GROWTH_TOLERANCE_KB, "RSS grew %ld KB between the second and third %d requests (at most 512)",
                after[2] - after[1], BATCH);
    fault_check(fault_server_stop(&srv, 30) == 0, "the server stopped cleanly");
    return fault_finish();
}
