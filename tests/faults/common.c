/* See common.h. */
#include "common.h"
#include "http_text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *program_name = "fault";
static atomic_int failures;

enum { MAX_SERVERS = 16 };
static pid_t servers[MAX_SERVERS]; /* started and not yet stopped */

static void kill_servers(void)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (servers[i] > 0) {
            kill(servers[i], SIGKILL);
            waitpid(servers[i], NULL, 0);
            servers[i] = 0;
        }
}

static void on_time_limit(int sig)
{
    (void)sig;
    static const char message[] = "FAIL: the fault program ran out of time\n";
    ssize_t ignored = write(STDOUT_FILENO, message, sizeof(message) - 1);
    (void)ignored;
    _exit(3); /* servers die with us (PR_SET_PDEATHSIG) */
}

void fault_init(const char *name, unsigned seconds)
{
    program_name = name;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_time_limit);
    alarm(seconds);
    atexit(kill_servers);
}

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
    char line[2048];
    vsnprintf(line, sizeof(line), fmt, ap);
    printf("[%s] %s%s\n", program_name, prefix, line);
}

void fault_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint("", fmt, ap);
    va_end(ap);
}

bool fault_check(bool cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(cond ? "ok: " : "FAIL: ", fmt, ap);
    va_end(ap);
    if (!cond)
        atomic_fetch_add(&failures, 1);
    return cond;
}

void fault_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint("FAIL: ", fmt, ap);
    va_end(ap);
    exit(1);
}

int fault_finish(void)
{
    int failed = atomic_load(&failures);
    fault_log("%s", failed == 0 ? "every check held" : "some checks failed");
    return failed == 0 ? 0 : 1;
}

double fault_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fault_sleep_ms(long ms)
{
    struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
        ;
}

const char *fault_tmp_dir(void)
{
    const char *dir = getenv("REDRESS_FAULT_TMP");
    return dir != NULL ? dir : "/tmp";
}

/* ---- the database ---- */

static const char *admin_url(void)
{
    const char *admin = getenv("REDRESS_TEST_ADMIN_URL");
    if (admin == NULL)
        fault_fail("REDRESS_TEST_ADMIN_URL is unset: run with 'make faults'");
    return admin;
}

PGconn *fault_db_connect(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK)
        fault_fail("connecting to the database: %s", PQerrorMessage(conn));
    return conn;
}

long fault_db_long(PGconn *conn, const char *sql, int n_params, const char *const *params)
{
    PGresult *res = PQexecParams(conn, sql, n_params, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1)
        fault_fail("%s: %s", sql, PQerrorMessage(conn));
    long n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

void fault_database_create(char *conninfo, size_t size)
{
    uint8_t random[6];
    if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random))
        fault_fail("getrandom failed");
    char name[64], sql[128];
    snprintf(name, sizeof(name), "redress_fault_%02x%02x%02x%02x%02x%02x", random[0], random[1], random[2],
             random[3], random[4], random[5]);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    PGconn *admin = fault_db_connect(admin_url());
    PGresult *res = PQexec(admin, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        fault_fail("%s: %s", sql, PQerrorMessage(admin));
    PQclear(res);
    PQfinish(admin);
    /* the admin string with our database (later keywords win) */
    snprintf(conninfo, size, "%s dbname=%s", admin_url(), name);
}

int fault_pg_ctl(const char *action)
{
    const char *ctl = getenv("REDRESS_TEST_PG_CTL");
    if (ctl == NULL)
        fault_fail("REDRESS_TEST_PG_CTL is unset: run with 'make faults'");
    char command[1024];
    snprintf(command, sizeof(command), "%s %s", ctl, action);
    int status = system(command);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- the service ---- */

static const char *binary(void)
{
    const char *path = getenv("REDRESS_FAULT_BINARY");
    if (path == NULL)
        fault_fail("REDRESS_FAULT_BINARY is unset: run with 'make faults'");
    return path;
}

unsigned fault_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(addr);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0
        || getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        fault_fail("no free port: %s", strerror(errno));
    close(fd);
    return ntohs(addr.sin_port);
}

static void remember_server(pid_t pid)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (servers[i] == 0) {
            servers[i] = pid;
            return;
        }
    kill(pid, SIGKILL);
    fault_fail("more than %d servers at once", MAX_SERVERS);
}

static void forget_server(pid_t pid)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (servers[i] == pid)
            servers[i] = 0;
}

static long ready_status(unsigned port)
{
    struct fault_response r;
    if (fault_http(port, "GET", "/readyz", NULL, NULL, &r, 2000) != 0)
        return 0;
    long status = r.status;
    fault_response_free(&r);
    return status;
}

void fault_server_start(struct fault_server *srv, const char *conninfo, const char *const *env)
{
    static int started;
    memset(srv, 0, sizeof(*srv));
    srv->port = fault_free_port();
    snprintf(srv->log_path, sizeof(srv->log_path), "%s/%s-server-%d.log", fault_tmp_dir(), program_name,
             ++started);
    char port_text[16];
    snprintf(port_text, sizeof(port_text), "%u", srv->port);
    pid_t pid = fork();
    if (pid < 0)
        fault_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        int log = open(srv->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (log >= 0) {
            dup2(log, STDOUT_FILENO);
            dup2(log, STDERR_FILENO);
        }
        setenv("REDRESS_DATABASE_URL", conninfo, 1);
        setenv("REDRESS_LISTEN_ADDR", "127.0.0.1", 1);
        setenv("REDRESS_PORT", port_text, 1);
        for (const char *const *e = env; e != NULL && *e != NULL; e++)
            putenv((char *)(uintptr_t)*e); /* the child execs at once: the strings outlive it */
        signal(SIGPIPE, SIG_DFL);
        execl(binary(), binary(), "serve", (char *)NULL);
        _exit(127);
    }
    srv->pid = pid;
    remember_server(pid);
    for (double until = fault_now() + 30; fault_now() < until;) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            forget_server(pid);
            fault_server_log_tail(srv, 20);
            fault_fail("redress serve exited before it was ready");
        }
        if (ready_status(srv->port) == 200)
            return;
        fault_sleep_ms(100);
    }
    fault_server_log_tail(srv, 20);
    fault_fail("redress serve was not ready within 30 s");
}

int fault_server_stop(struct fault_server *srv, int grace_s)
{
    if (srv->pid <= 0)
        return -1;
    kill(srv->pid, SIGTERM);
    int status = 0;
    bool exited = false;
    for (double until = fault_now() + grace_s; !exited && fault_now() < until;) {
        exited = waitpid(srv->pid, &status, WNOHANG) == srv->pid;
        if (!exited)
            fault_sleep_ms(20);
    }
    if (!exited) {
        kill(srv->pid, SIGKILL);
        waitpid(srv->pid, &status, 0);
    }
    forget_server(srv->pid);
    srv->pid = 0;
    return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void fault_server_log_tail(const struct fault_server *srv, int lines)
{
    char command[700];
    snprintf(command, sizeof(command), "tail -n %d '%s'", lines, srv->log_path);
    int ignored = system(command);
    (void)ignored;
}

void fault_apikey_create(const char *conninfo, const char *tenant, char *key_out, size_t size)
{
    int out[2];
    if (pipe(out) != 0)
        fault_fail("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        fault_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        setenv("REDRESS_DATABASE_URL", conninfo, 1);
        setenv("REDRESS_LOG_LEVEL", "error", 1);
        execl(binary(), binary(), "apikey", "create", "--tenant", tenant, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char text[512];
    size_t used = 0;
    ssize_t n;
    while (used < sizeof(text) - 1 && (n = read(out[0], text + used, sizeof(text) - 1 - used)) > 0)
        used += (size_t)n;
    close(out[0]);
    text[used] = '\0';
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fault_fail("redress apikey create --tenant %s failed", tenant);
    /* the key is the last line */
    while (used > 0 && (text[used - 1] == '\n' || text[used - 1] == '\r'))
        text[--used] = '\0';
    const char *line = strrchr(text, '\n') ? strrchr(text, '\n') + 1 : text;
    if (strlen(line) + 1 > size || strlen(line) == 0)
        fault_fail("apikey create printed no key");
    snprintf(key_out, size, "%s", line);
}

/* ---- HTTP ---- */

int fault_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

bool fault_send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Read what is there (waiting up to the deadline); 0 at EOF, -1 on error or timeout. */
static ssize_t read_some(int fd, char *buf, size_t size, double deadline)
{
    for (;;) {
        int left = (int)((deadline - fault_now()) * 1000);
        if (left <= 0)
            return -1;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int ready = poll(&pfd, 1, left);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return -1;
        ssize_t n = recv(fd, buf, size, 0);
        if (n < 0 && errno == EINTR)
            continue;
        return n;
    }
}

/* The body, copied out and NUL-terminated (out->body is then the
 * caller's, freed by fault_response_free); false when out of memory. */
static bool take_body(struct fault_response *out, const char *body, size_t len)
{
    out->body = malloc(len + 1);
    if (out->body == NULL)
        return false;
    memcpy(out->body, body, len);
    out->body[len] = '\0';
    out->body_len = len;
    return true;
}

int fault_read_response(int fd, struct fault_response *out, int timeout_ms)
{
    memset(out, 0, sizeof(*out));
    double deadline = fault_now() + timeout_ms / 1000.0;
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap + 1);
    if (buf == NULL)
        return -1;
    char *head_end = NULL;
    long content_length = -1;
    for (;;) {
        if (head_end == NULL) {
            buf[len] = '\0';
            head_end = strstr(buf, "\r\n\r\n");
            if (head_end != NULL) {
                size_t head_len = (size_t)(head_end - buf) + 2;
                snprintf(out->headers, sizeof(out->headers), "%.*s", (int)head_len, buf);
                if (sscanf(buf, "HTTP/1.%*d %d", &out->status) != 1)
                    break;
                char value[64];
                if (fault_header(out, "Content-Length", value, sizeof(value)))
                    content_length = atol(value);
            }
        }
        if (head_end != NULL) {
            size_t body_at = (size_t)(head_end - buf) + 4;
            if (content_length >= 0 && len - body_at >= (size_t)content_length) {
                if (!take_body(out, buf + body_at, (size_t)content_length))
                    break;
                free(buf);
                return 0;
            }
        }
        if (cap - len < 4096) {
            ptrdiff_t head_at = head_end != NULL ? head_end - buf : -1;
            char *grown = realloc(buf, cap * 2 + 1);
            if (grown == NULL)
                break;
            buf = grown;
            head_end = head_at >= 0 ? buf + head_at : NULL;
            cap *= 2;
        }
        ssize_t n = read_some(fd, buf + len, cap - len, deadline);
        if (n <= 0) {
            if (n == 0 && head_end != NULL && content_length < 0) { /* framed by the close */
                size_t body_at = (size_t)(head_end - buf) + 4;
                if (!take_body(out, buf + body_at, len - body_at))
                    break;
                free(buf);
                return 0;
            }
            break;
        }
        len += (size_t)n;
    }
    free(buf);
    out->status = 0;
    return -1;
}

int fault_http(unsigned port, const char *method, const char *path, const char *const *headers,
               const char *body, struct fault_response *out, int timeout_ms)
{
    memset(out, 0, sizeof(*out));
    int fd = fault_connect(port);
    if (fd < 0)
        return -1;
    size_t body_len = body ? strlen(body) : 0;
    size_t cap = 1024 + body_len;
    for (const char *const *h = headers; h && *h; h++)
        cap += strlen(*h) + 2;
    char *request = malloc(cap);
    if (request == NULL) {
        close(fd);
        return -1;
    }
    int used = snprintf(request, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n", method, path,
                        port);
    for (const char *const *h = headers; h && *h; h++)
        used += snprintf(request + used, cap - (size_t)used, "%s\r\n", *h);
    if (body != NULL)
        used += snprintf(request + used, cap - (size_t)used, "Content-Length: %zu\r\n", body_len);
    used += snprintf(request + used, cap - (size_t)used, "\r\n");
    if (body != NULL) {
        memcpy(request + used, body, body_len);
        used += (int)body_len;
    }
    int rc = fault_send_all(fd, request, (size_t)used) ? fault_read_response(fd, out, timeout_ms) : -1;
    free(request);
    close(fd);
    return rc;
}

bool fault_header(const struct fault_response *r, const char *name, char *value, size_t size)
{
    return http_text_header(r->headers, name, value, size);
}

void fault_response_free(struct fault_response *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}
