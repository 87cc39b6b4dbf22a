/* See pgproxy.h. One thread accepts; one thread per connection forwards
 * whole protocol messages both ways, so that it can tell which round trip
 * carries COMMIT and which server message ends it (ReadyForQuery). */
#include "pgproxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct pgproxy {
    int listen_fd;
    unsigned port;
    char socket_path[108];
    atomic_int armed;   /* enum pgproxy_fault for the next COMMIT */
    atomic_int fired;
    atomic_bool stopping;
    atomic_int connections; /* running connection threads */
    pthread_t acceptor;
};

/* Bytes read from one side and not yet forwarded (only part of a message). */
struct stream {
    char *data;
    size_t len, cap;
};

struct link {
    struct pgproxy *proxy;
    int client_fd, server_fd;
    struct stream from_client, from_server;
    bool startup_done;   /* the client's first message has no type byte */
    bool losing;         /* a COMMIT went through: swallow until ReadyForQuery */
};

static uint32_t be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static bool send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static bool stream_fill(int fd, struct stream *s)
{
    if (s->cap - s->len < 65536) {
        size_t cap = s->cap * 2 + 65536;
        char *grown = realloc(s->data, cap);
        if (grown == NULL)
            return false;
        s->data = grown;
        s->cap = cap;
    }
    ssize_t n = recv(fd, s->data + s->len, s->cap - s->len, 0);
    if (n <= 0)
        return false;
    s->len += (size_t)n;
    return true;
}

/* Length of the complete message at the start of data (0: incomplete). */
static size_t message_len(const char *data, size_t len, bool typed)
{
    size_t head = typed ? 5 : 4;
    if (len < head)
        return 0;
    size_t total = (typed ? 1 : 0) + (size_t)be32(data + (typed ? 1 : 0));
    return total <= len ? total : 0;
}

/* Whether a frontend message runs COMMIT: a simple Query, or the Parse of
 * an unnamed statement (how libpq sends a parameterless query in a pipeline). */
static bool is_commit(const char *msg, size_t len)
{
    const char *query = NULL;
    const char *end = msg + len;
    if (msg[0] == 'Q') {
        query = msg + 5;
    } else if (msg[0] == 'P') {
        const char *name_end = memchr(msg + 5, '\0', (size_t)(end - (msg + 5)));
        query = name_end ? name_end + 1 : NULL;
    }
    if (query == NULL || query >= end || memchr(query, '\0', (size_t)(end - query)) == NULL)
        return false;
    size_t n = strlen(query);
    while (n > 0 && (query[n - 1] == ';' || query[n - 1] == ' ' || query[n - 1] == '\n'))
        n--;
    return n == 6 && strncasecmp(query, "COMMIT", 6) == 0;
}

/* Forward the complete messages the client sent. Returns false when the
 * connection is to be closed. */
static bool from_client(struct link *l)
{
    struct stream *s = &l->from_client;
    size_t at = 0, forward = 0;
    bool drop = false;
    for (;;) {
        size_t n = message_len(s->data + at, s->len - at, l->startup_done);
        if (n == 0)
            break;
        bool typed = l->startup_done;
        l->startup_done = true;
        if (typed && !l->losing && is_commit(s->data + at, n)) {
            int fault = atomic_load(&l->proxy->armed);
            if (fault != PGPROXY_PASS
                && atomic_compare_exchange_strong(&l->proxy->armed, &fault, PGPROXY_PASS)) {
                atomic_fetch_add(&l->proxy->fired, 1);
                if (fault == PGPROXY_DROP_BEFORE_COMMIT) {
                    drop = true;
                    break;
                }
                l->losing = true;
            }
        }
        at += n;
        forward = at;
    }
    if (forward > 0 && !send_all(l->server_fd, s->data, forward))
        return false;
    if (drop)
        return false;
    memmove(s->data, s->data + forward, s->len - forward);
    s->len -= forward;
    return true;
}

/* Forward the server's complete messages, or swallow them while losing a
 * COMMIT's reply; the ReadyForQuery that ends that round trip closes. */
static bool from_server(struct link *l)
{
    struct stream *s = &l->from_server;
    size_t at = 0;
    for (;;) {
        size_t n = message_len(s->data + at, s->len - at, true);
        if (n == 0)
            break;
        if (l->losing && s->data[at] == 'Z')
            return false;
        at += n;
    }
    if (at > 0 && !l->losing && !send_all(l->client_fd, s->data, at))
        return false;
    memmove(s->data, s->data + at, s->len - at);
    s->len -= at;
    return true;
}

static void *link_run(void *arg)
{
    struct link *l = arg;
    struct pollfd pfd[2] = { { .fd = l->client_fd, .events = POLLIN }, { .fd = l->server_fd, .events = POLLIN } };
    while (!atomic_load(&l->proxy->stopping)) {
        int ready = poll(pfd, 2, 100);
        if (ready < 0 && errno != EINTR)
            break;
        if (ready <= 0)
            continue;
        if (pfd[0].revents != 0 && (!stream_fill(l->client_fd, &l->from_client) || !from_client(l)))
            break;
        if (pfd[1].revents != 0 && (!stream_fill(l->server_fd, &l->from_server) || !from_server(l)))
            break;
    }
    close(l->client_fd);
    close(l->server_fd);
    free(l->from_client.data);
    free(l->from_server.data);
    atomic_fetch_sub(&l->proxy->connections, 1);
    free(l);
    return NULL;
}

static int connect_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void *accept_run(void *arg)
{
    struct pgproxy *proxy = arg;
    struct pollfd pfd = { .fd = proxy->listen_fd, .events = POLLIN };
    while (!atomic_load(&proxy->stopping)) {
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        int client = accept4(proxy->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0)
            continue;
        int server = connect_unix(proxy->socket_path);
        struct link *l = server >= 0 ? calloc(1, sizeof(*l)) : NULL;
        pthread_t thread;
        if (l != NULL) {
            *l = (struct link){ .proxy = proxy, .client_fd = client, .server_fd = server };
            atomic_fetch_add(&proxy->connections, 1);
            if (pthread_create(&thread, NULL, link_run, l) == 0) {
                pthread_detach(thread);
                continue;
            }
            atomic_fetch_sub(&proxy->connections, 1);
            free(l);
        }
        /* the database is down (or we are out of memory): so is the proxy */
        close(client);
        if (server >= 0)
            close(server);
    }
    return NULL;
}

struct pgproxy *pgproxy_start(const char *socket_path)
{
    struct pgproxy *proxy = calloc(1, sizeof(*proxy));
    if (proxy == NULL)
        return NULL;
    snprintf(proxy->socket_path, sizeof(proxy->socket_path), "%s", socket_path);
    proxy->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t addr_len = sizeof(addr);
    if (proxy->listen_fd < 0 || bind(proxy->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0
        || listen(proxy->listen_fd, 64) != 0
        || getsockname(proxy->listen_fd, (struct sockaddr *)&addr, &addr_len) != 0
        || pthread_create(&proxy->acceptor, NULL, accept_run, proxy) != 0) {
        if (proxy->listen_fd >= 0)
            close(proxy->listen_fd);
        free(proxy);
        return NULL;
    }
    proxy->port = ntohs(addr.sin_port);
    return proxy;
}

unsigned pgproxy_port(const struct pgproxy *proxy) { return proxy->port; }

void pgproxy_arm(struct pgproxy *proxy, enum pgproxy_fault fault) { atomic_store(&proxy->armed, (int)fault); }

int pgproxy_fired(struct pgproxy *proxy) { return atomic_load(&proxy->fired); }

void pgproxy_stop(struct pgproxy *proxy)
{
    atomic_store(&proxy->stopping, true);
    pthread_join(proxy->acceptor, NULL);
    close(proxy->listen_fd);
    while (atomic_load(&proxy->connections) > 0)
        usleep(10000);
    free(proxy);
}

void pgproxy_conninfo(const struct pgproxy *proxy, const char *base, char *out, size_t size)
{
    snprintf(out, size, "%s host=127.0.0.1 port=%u sslmode=disable gssencmode=disable", base, proxy->port);
}
