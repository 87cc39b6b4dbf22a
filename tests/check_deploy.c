/* Two instances, one database, behind nginx: the way users deploy it.
 * Real processes (the built binary), a real nginx (Debian's), the run's
 * PostgreSQL. */
#include <arpa/inet.h>
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
static char auth_header[APIKEY_LEN + 32];

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

static void start_nginx(void)
{
    proxy_port = free_port();
    char conf_path[256];
    snprintf(conf_path, sizeof(conf_path), "%s/nginx.conf", dir);
    FILE *conf = fopen(conf_path, "w");
    ck_assert_ptr_nonnull(conf);
    fprintf(conf,
            "%s"
            "worker_processes 1;\n"
            "error_log %s/nginx-error.log;\n"
            "pid %s/nginx.pid;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            "  access_log off;\n"
            "  client_body_temp_path %s/body; proxy_temp_path %s/proxy;\n"
            "  fastcgi_temp_path %s/fcgi; uwsgi_temp_path %s/uwsgi; scgi_temp_path %s/scgi;\n"
            "  upstream redress { server 127.0.0.1:%u; server 127.0.0.1:%u; keepalive 16; }\n"
            "  server {\n"
            "    listen 127.0.0.1:%u;\n"
            "    location / {\n"
            "      proxy_pass http://redress;\n"
            "      proxy_http_version 1.1;\n"
            "      proxy_set_header Connection \"\";\n"
            "      proxy_set_header Host $host;\n"
            "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            "    }\n"
            "  }\n"
            "}\n",
            geteuid() == 0 ? "user root;\n" : "", dir, dir, dir, dir, dir, dir, dir, a.port, b.port, proxy_port);
    fclose(conf);
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
    th_tenant_with_key(th_conninfo(), name, key);
    snprintf(auth_header, sizeof(auth_header), "Authorization: Bearer %s", key);
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

Suite *deploy_suite(void)
{
    Suite *s = suite_create("deploy");
    TCase *tc = tcase_create("two_instances");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, claims_across_instances_are_serialised);
    tcase_add_test(tc, retry_answered_by_the_other_instance_replays);
    tcase_add_test(tc, proxy_passes_request_id_and_real_client);
    suite_add_tcase(s, tc);
    return s;
}
