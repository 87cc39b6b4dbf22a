/* Two instances, one database, behind nginx: the way users deploy it.
 * Real processes (the built binary), a real nginx (Debian's), the run's
 * PostgreSQL. */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "harness.h"

struct instance {
    pid_t pid;
    unsigned port;
    char log_path[256];
};

static char dir[128];
static struct instance a, b;
static pid_t nginx_pid;
static unsigned proxy_port;
static char auth_header[TH_AUTH_HEADER_SIZE];

static void start_instance(struct instance *inst, const char *name)
{
    const char *binary = getenv("REDRESS_TEST_BINARY");
    ck_assert_ptr_nonnull(binary);
    snprintf(inst->log_path, sizeof(inst->log_path), "%s/%s.log", dir, name);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    inst->pid = fork();
    ck_assert_int_ge(inst->pid, 0);
    if (inst->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a failed test leaves nothing running */
        /* stderr: the first lines to the pipe (for the port), all to the log */
        FILE *log = fopen(inst->log_path, "w");
        dup2(fileno(log), STDERR_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        setenv("REDRESS_DATABASE_URL", th_conninfo(), 1);
        setenv("REDRESS_PORT", "0", 1);
        setenv("REDRESS_THREADS", "4", 1);
        setenv("REDRESS_LOG_LEVEL", "info", 1);
        setenv("REDRESS_TRUSTED_PROXIES", "127.0.0.1", 1);
        execl(binary, binary, "serve", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    close(fds[0]);
    /* the log says where it listens */
    for (int i = 0; i < 300 && inst->port == 0; i++) {
        FILE *log = fopen(inst->log_path, "r");
        char line[1024];
        while (log && fgets(line, sizeof(line), log)) {
            char *at = strstr(line, "listening on http://127.0.0.1:");
            if (at)
                inst->port = (unsigned)atoi(at + strlen("listening on http://127.0.0.1:"));
        }
        if (log)
            fclose(log);
        struct timespec pause = { 0, 50 * 1000000L };
        nanosleep(&pause, NULL);
    }
    ck_assert_msg(inst->port != 0, "%s did not start (see %s)", name, inst->log_path);
}

static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(addr);
    bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    getsockname(fd, (struct sockaddr *)&addr, &len);
    close(fd);
    return ntohs(addr.sin_port);
}

/* Replace the one occurrence of `from` in text (a malloc'd string) by `to`:
 * the test fails if the deployed file no longer has the line it adapts. */
static char *replace_once(char *text, const char *from, const char *to)
{
    char *at = strstr(text, from);
    ck_assert_msg(at != NULL && strstr(at + 1, from) == NULL, "deploy/nginx.conf: '%s' not found once", from);
    size_t head = (size_t)(at - text), from_len = strlen(from), to_len = strlen(to);
    char *out = malloc(strlen(text) - from_len + to_len + 1);
    ck_assert_ptr_nonnull(out);
    memcpy(out, text, head);
    memcpy(out + head, to, to_len);
    strcpy(out + head + to_len, at + from_len);
    free(text);
    return out;
}

/* deploy/nginx.conf itself, adapted only where a test run must differ:
 * the two instances as upstream, a loopback port, files in dir. */
static void start_nginx(void)
{
    proxy_port = free_port();
    char path[512];
    const char *root = getenv("REDRESS_TEST_ROOT");
    snprintf(path, sizeof(path), "%s/deploy/nginx.conf", root ? root : ".");
    FILE *in = fopen(path, "r");
    ck_assert_msg(in != NULL, "cannot read %s", path);
    static char original[65536];
    size_t n = fread(original, 1, sizeof(original) - 1, in);
    fclose(in);
    original[n] = '\0';
    char *conf = strdup(original);
    char line[1024];
    snprintf(line, sizeof(line), "server 127.0.0.1:%u; server 127.0.0.1:%u;", a.port, b.port);
    conf = replace_once(conf, "server redress:8080 max_fails=3 fail_timeout=5s;", line);
    snprintf(line, sizeof(line), "listen 127.0.0.1:%u;", proxy_port);
    conf = replace_once(conf, "listen 80;", line);
    conf = replace_once(conf, "access_log /dev/stdout main;", "access_log off;");
    snprintf(line, sizeof(line), "%sworker_processes 1;\nerror_log %s/nginx-error.log;\npid %s/nginx.pid;",
             geteuid() == 0 ? "user root;\n" : "", dir, dir);
    conf = replace_once(conf, "worker_processes auto;", line);
    snprintf(line, sizeof(line),
             "http {\n  client_body_temp_path %s/body; proxy_temp_path %s/proxy;\n"
             "  fastcgi_temp_path %s/fcgi; uwsgi_temp_path %s/uwsgi; scgi_temp_path %s/scgi;",
             dir, dir, dir, dir, dir);
    conf = replace_once(conf, "http {", line);
    char conf_path[256];
    snprintf(conf_path, sizeof(conf_path), "%s/nginx.conf", dir);
    FILE *out = fopen(conf_path, "w");
    ck_assert_ptr_nonnull(out);
    fputs(conf, out);
    fclose(out);
    free(conf);
    nginx_pid = fork();
    ck_assert_int_ge(nginx_pid, 0);
    if (nginx_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execl("/usr/sbin/nginx", "nginx", "-p", dir, "-c", conf_path, "-g", "daemon off;", (char *)NULL);
        _exit(127);
    }
    ck_assert_msg(th_wait_for_status(proxy_port, "/healthz", 200, 20), "nginx did not come up (see %s)", dir);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/redress-deploy.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    start_instance(&a, "a");
    start_instance(&b, "b");
    start_nginx();
    char name[64], key[APIKEY_LEN + 1];
    th_tenant_with_auth(th_conninfo(), name, key, auth_header);
}

static void stop(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

static void teardown(void)
{
    stop(nginx_pid);
    stop(a.pid);
    stop(b.pid);
    char command[256];
    snprintf(command, sizeof(command), "rm -rf %s", dir);
    ck_assert_int_eq(system(command), 0);
}

static const char *case_body(const char *buyer, const char *category)
{
    static __thread char body[1024];
    snprintf(body, sizeof(body),
             "{\"order\":{\"order_id\":\"113-1234567-1234567\",\"sku\":\"S\",\"currency\":\"EUR\",\"item_price\":2599},"
             "\"buyer\":{\"buyer_id\":\"%s\",\"language\":\"de\"},\"issue\":{\"category\":\"%s\"}}", buyer, category);
    return body;
}

static long created_on(unsigned port)
{
    struct th_response r;
    th_request(port, "GET", "/metrics", NULL, NULL, 0, &r);
    const char *series = "\nredress_http_requests_total{route=\"POST /v1/cases\",status=\"201\"} ";
    const char *at = strstr(r.body, series);
    long n = at ? atol(at + strlen(series)) : 0;
    th_response_free(&r);
    return n;
}

struct claim {
    int index;
    struct th_response r;
};

static void *claim_through_proxy(void *p)
{
    struct claim *c = p;
    const char *headers[] = { auth_header, "Content-Type: application/json", NULL };
    const char *body = case_body("TWO-INSTANCE-BUYER", c->index % 2 ? "late_delivery" : "usage_question");
    th_request(proxy_port, "POST", "/v1/cases", headers, body, strlen(body), &c->r);
    return NULL;
}

START_TEST(claims_across_instances_are_serialised)
{
    enum { N = 12 };
    static struct claim claims[N];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        claims[i].index = i;
        pthread_create(&threads[i], NULL, claim_through_proxy, &claims[i]);
    }
    bool seen[N] = { false };
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(claims[i].r.status, 201);
        json_int_t before = json_integer_value(
            json_object_get(json_object_get(json_object_get(claims[i].r.json, "abuse"), "history"), "cases_90d"));
        ck_assert_msg(before >= 0 && before < N && !seen[before], "history %lld seen twice", (long long)before);
        seen[before] = true;
        th_response_free(&claims[i].r);
    }
    /* both instances took part */
    long on_a = created_on(a.port), on_b = created_on(b.port);
    ck_assert_int_gt(on_a, 0);
    ck_assert_int_gt(on_b, 0);
    ck_assert_int_eq(on_a + on_b, N);
}
END_TEST

START_TEST(retry_answered_by_the_other_instance_replays)
{
    const char *headers[] = { auth_header, "Content-Type: application/json", "Idempotency-Key: cross-instance-1", NULL };
    const char *body = case_body("REPLAY-BUYER", "wrong_item");
    struct th_response first, retry;
    th_request(a.port, "POST", "/v1/cases", headers, body, strlen(body), &first);
    ck_assert_int_eq(first.status, 201);
    th_request(b.port, "POST", "/v1/cases", headers, body, strlen(body), &retry);
    ck_assert_int_eq(retry.status, 200);
    ck_assert_str_eq(retry.body, first.body);
    char value[32];
    ck_assert(th_header(&retry, "Idempotent-Replayed", value, sizeof(value)));
    th_response_free(&first);
    th_response_free(&retry);
    ck_assert_int_eq(created_on(a.port) + created_on(b.port), 1);
}
END_TEST

START_TEST(proxy_passes_request_id_and_real_client)
{
    const char *headers[] = { auth_header, "X-Request-Id: trace-7f3a", "X-Forwarded-For: 203.0.113.7", NULL };
    struct th_response r;
    th_request(proxy_port, "GET", "/v1/me", headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    char value[64];
    ck_assert(th_header(&r, "X-Request-Id", value, sizeof(value)));
    ck_assert_str_eq(value, "trace-7f3a");
    th_response_free(&r);
    /* the access line names the client nginx vouched for */
    bool found = false;
    for (int tries = 0; tries < 40 && !found; tries++) {
        const char *logs[] = { a.log_path, b.log_path };
        for (int i = 0; i < 2 && !found; i++) {
            FILE *log = fopen(logs[i], "r");
            char line[2048];
            while (log && fgets(line, sizeof(line), log))
                found = found || (strstr(line, "\"request_id\":\"trace-7f3a\"") && strstr(line, "\"client\":\"203.0.113.7\""));
            if (log)
                fclose(log);
        }
        struct timespec pause = { 0, 50 * 1000000L };
        nanosleep(&pause, NULL);
    }
    ck_assert_msg(found, "no access line with the forwarded client (logs in %s)", dir);
    /* (an untrusted peer's X-Forwarded-For is ignored: see the util suite) */
}
END_TEST

/* One raw request through nginx; the whole exchange until nginx closes
 * (NUL-terminated in out). The timeout only keeps a hang from hanging the
 * test. */
static void raw_exchange(const char *request, size_t len, char *out, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)proxy_port) };
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(send(fd, request, len, MSG_NOSIGNAL), (ssize_t)len);
    size_t got = 0;
    bool closed = false;
    while (!closed && got < size - 1) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ck_assert_msg(poll(&p, 1, 20000) == 1, "no end of response: %.*s", (int)got, out);
        ssize_t n = recv(fd, out + got, size - 1 - got, 0);
        closed = n <= 0;
        got += n > 0 ? (size_t)n : 0;
    }
    out[got] = '\0';
    close(fd);
}

/* What libmicrohttpd answers in HTML, twice over, or not at all, nginx
 * refuses before it reaches an instance: exactly one problem+json. */
START_TEST(malformed_http_answered_once_as_problem_by_nginx)
{
    static char long_query[8192], big_headers[16384];
    size_t at = (size_t)snprintf(long_query, sizeof(long_query), "GET /healthz?");
    for (int i = 0; i < 1000; i++)
        at += (size_t)snprintf(long_query + at, sizeof(long_query) - at, "%sp%d=v", i ? "&" : "", i);
    snprintf(long_query + at, sizeof(long_query) - at, " HTTP/1.1\r\nHost: x\r\n\r\n");
    at = (size_t)snprintf(big_headers, sizeof(big_headers), "GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 4; i++) {
        at += (size_t)snprintf(big_headers + at, sizeof(big_headers) - at, "X-Pad-%d: ", i);
        memset(big_headers + at, 'a', 3000);
        at += 3000;
        at += (size_t)snprintf(big_headers + at, sizeof(big_headers) - at, "\r\n");
    }
    snprintf(big_headers + at, sizeof(big_headers) - at, "\r\n");
    static const char nul_key[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nIdempotency-Key: abc\0def\r\n\r\n";
    struct {
        const char *request;
        size_t len;
        long status;
    } cases[] = {
        { "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 0, 400 },
        { "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 0, 400 },
        { "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 0, 400 },
        { "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\nhello", 0, 400 },
        { "POST /v1/replies/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 0, 400 },
        { nul_key, sizeof(nul_key) - 1, 400 },
        { "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 0, 505 },
        { long_query, 0, 414 },
        { big_headers, 0, 431 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        static char response[16384];
        raw_exchange(cases[i].request, cases[i].len ? cases[i].len : strlen(cases[i].request), response,
                     sizeof(response));
        int responses = 0;
        for (const char *p = response; (p = strstr(p, "HTTP/1.")) != NULL; p++)
            responses += p == response || p[-1] == '\n';
        ck_assert_msg(responses == 1, "case %zu: %d responses: %s", i, responses, response);
        char expected[32];
        snprintf(expected, sizeof(expected), "HTTP/1.1 %ld ", cases[i].status);
        ck_assert_msg(strncmp(response, expected, strlen(expected)) == 0, "case %zu: %s", i, response);
        ck_assert_msg(strstr(response, "\r\nContent-Type: application/problem+json\r\n") != NULL,
                      "case %zu: not problem+json: %s", i, response);
        const char *body = strstr(response, "\r\n\r\n");
        ck_assert_ptr_nonnull(body);
        json_t *problem = json_loads(body + 4, 0, NULL);
        ck_assert_msg(problem != NULL, "case %zu: body is not JSON: %s", i, body + 4);
        ck_assert_int_eq(json_integer_value(json_object_get(problem, "status")), cases[i].status);
        ck_assert(strncmp(json_string_value(json_object_get(problem, "type")), "urn:redress:problem:", 20) == 0);
        json_decref(problem);
    }
    /* a proper request still passes */
    struct th_response r;
    th_request(proxy_port, "GET", "/healthz", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
}
END_TEST

Suite *deploy_suite(void)
{
    Suite *s = suite_create("deploy");
    TCase *tc = tcase_create("two_instances");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, claims_across_instances_are_serialised);
    tcase_add_test(tc, retry_answered_by_the_other_instance_replays);
    tcase_add_test(tc, proxy_passes_request_id_and_real_client);
    tcase_add_test(tc, malformed_http_answered_once_as_problem_by_nginx);
    suite_add_tcase(s, tc);
    return s;
}
