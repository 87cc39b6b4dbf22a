/* Lost replies: the service reaches PostgreSQL through tests/pgproxy.c,
 * which, while clients write, keeps losing round trips that carry COMMIT:
 * either the COMMIT runs and its reply is swallowed, or the round trip is
 * dropped before it. For cases and outcomes, with and without an
 * Idempotency-Key, every write must be recorded if and only if a 2xx was
 * returned for it, and a keyed retry must replay rather than duplicate.
 * FAULT_WRITES (per client) and FAULT_CLIENTS override the counts. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "pgproxy.h"

enum { REQUEST_TIMEOUT_MS = 30000, MAX_RETRIES = 200 };

enum write_kind { CASE_KEYED, CASE_PLAIN, OUTCOME_KEYED, OUTCOME_PLAIN, KIND_COUNT };
static const char *const KIND_NAMES[KIND_COUNT] = { "case with key", "case without key", "outcome with key",
                                                    "outcome without key" };

struct write {
    enum write_kind kind;
    int first_status;   /* of the first attempt (0: no response) */
    int final_status;   /* after keyed retries */
    char case_id[40];   /* from a case's 2xx */
    char *body;         /* the final 2xx body (keyed: the first 2xx, compared with replays) */
};

static unsigned port;
static char auth[160];
static int writes_per_client, clients;
static struct write *writes; /* [client][i] */
static char (*outcome_case)[40]; /* per client: the case its outcomes go to */
static atomic_bool load_done;
static atomic_long count_2xx, count_503, count_other, count_dropped, count_replays, count_replay_mismatch;

static void case_body(const char *tag, char *out, size_t size)
{
    snprintf(out, size,
             "{\"ticket_id\":\"%s\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"%s\","
             "\"sku\":\"MUG-01\",\"currency\":\"USD\",\"item_price\":2599,\"shipping_paid\":499},"
             "\"buyer\":{\"buyer_id\":\"LR-%s\",\"name\":\"Jane\",\"language\":\"en\"},"
             "\"issue\":{\"category\":\"minor_defect\",\"description\":\"scratch\"}}",
             tag, tag, tag);
}

static void case_id_of(const char *body, char *out, size_t size)
{
    const char *at = strstr(body, "\"case_id\":\"");
    out[0] = '\0';
    if (at != NULL)
        snprintf(out, size, "%.36s", at + strlen("\"case_id\":\""));
}

/* One attempt; the status, or 0 when no response came. body_out gets a
 * 2xx's body (malloc'd). */
static int attempt(const char *path, const char *key, const char *body, char **body_out)
{
    char key_header[96];
    snprintf(key_header, sizeof(key_header), "Idempotency-Key: %s", key ? key : "");
    const char *headers[] = { auth, "Content-Type: application/json", key ? key_header : NULL, NULL };
    struct fault_response r;
    if (fault_http(port, "POST", path, headers, body, &r, REQUEST_TIMEOUT_MS) != 0) {
        atomic_fetch_add(&count_dropped, 1);
        return 0;
    }
    int status = r.status;
    if (status == 200 || status == 201) {
        atomic_fetch_add(&count_2xx, 1);
        *body_out = r.body;
        r.body = NULL;
    } else if (status == 503) {
        atomic_fetch_add(&count_503, 1);
    } else {
        atomic_fetch_add(&count_other, 1);
        fault_log("%s: unexpected %d: %.300s", path, status, r.body);
    }
    fault_response_free(&r);
    return status;
}

static void do_write(int client, int i, struct write *w)
{
    char tag[64], key[64], body[1024], path[96];
    snprintf(tag, sizeof(tag), "LR-%d-%d", client, i);
    snprintf(key, sizeof(key), "lost-reply-%d-%d", client, i);
    w->kind = (enum write_kind)(i % KIND_COUNT);
    bool keyed = w->kind == CASE_KEYED || w->kind == OUTCOME_KEYED;
    if (w->kind == CASE_KEYED || w->kind == CASE_PLAIN) {
        snprintf(path, sizeof(path), "/v1/cases");
        case_body(tag, body, sizeof(body));
    } else {
        snprintf(path, sizeof(path), "/v1/cases/%s/outcome", outcome_case[client]);
        snprintf(body, sizeof(body), "{\"status\":\"accepted\",\"final_refund\":%d,\"note\":\"%s\"}", i, tag);
    }
    w->first_status = w->final_status = attempt(path, keyed ? key : NULL, body, &w->body);
    /* a keyed write is retried until it is answered, then once more: the
     * retry must replay the same response */
    for (int retry = 0; keyed && w->body == NULL && retry < MAX_RETRIES; retry++) {
        fault_sleep_ms(20);
        w->final_status = attempt(path, key, body, &w->body);
    }
    if (keyed && w->body != NULL) {
        char *again = NULL;
        int status = attempt(path, key, body, &again);
        atomic_fetch_add(&count_replays, 1);
        if (status != 200 || again == NULL || strcmp(again, w->body) != 0) {
            atomic_fetch_add(&count_replay_mismatch, 1);
            fault_log("%s: the replay (%d) differs from the first answer", tag, status);
        }
        free(again);
    }
    if (w->body != NULL && (w->kind == CASE_KEYED || w->kind == CASE_PLAIN))
        case_id_of(w->body, w->case_id, sizeof(w->case_id));
}

static void *client_run(void *arg)
{
    int client = (int)(intptr_t)arg;
    for (int i = 0; i < writes_per_client; i++)
        do_write(client, i, &writes[client * writes_per_client + i]);
    return NULL;
}

/* Keeps a fault armed: the next COMMIT, whoever sends it, is lost one way
 * or the other, in turn. */
static void *fault_run(void *arg)
{
    struct pgproxy *proxy = arg;
    for (int n = 0; !atomic_load(&load_done); n++) {
        pgproxy_arm(proxy, n % 2 == 0 ? PGPROXY_LOSE_COMMIT_REPLY : PGPROXY_DROP_BEFORE_COMMIT);
        while (!atomic_load(&load_done) && pgproxy_fired(proxy) <= n)
            fault_sleep_ms(5);
        fault_sleep_ms(30); /* let some writes through untouched */
    }
    pgproxy_arm(proxy, PGPROXY_PASS);
    return NULL;
}

int main(void)
{
    fault_init("fault_lost_reply", 280);
    writes_per_client = getenv("FAULT_WRITES") ? atoi(getenv("FAULT_WRITES")) : 100;
    clients = getenv("FAULT_CLIENTS") ? atoi(getenv("FAULT_CLIENTS")) : 4;
    if (writes_per_client < KIND_COUNT || clients < 1 || clients > 32)
        fault_fail("FAULT_WRITES must be at least %d, FAULT_CLIENTS 1 to 32", KIND_COUNT);
    writes = calloc((size_t)(clients * writes_per_client), sizeof(*writes));
    outcome_case = calloc((size_t)clients, sizeof(*outcome_case));
    const char *socket_path = getenv("REDRESS_TEST_PG_SOCKET");
    if (writes == NULL || outcome_case == NULL || socket_path == NULL)
        fault_fail("out of memory, or REDRESS_TEST_PG_SOCKET unset (run with 'make faults')");

    char conninfo[600], proxied[800], key[128];
    fault_database_create(conninfo, sizeof(conninfo));
    struct pgproxy *proxy = pgproxy_start(socket_path);
    if (proxy == NULL)
        fault_fail("the proxy did not start");
    pgproxy_conninfo(proxy, conninfo, proxied, sizeof(proxied));
    const char *env[] = { "REDRESS_THREADS=4", "REDRESS_LOG_LEVEL=warn", NULL };
    struct fault_server srv;
    fault_server_start(&srv, proxied, env);
    port = srv.port;
    fault_apikey_create(conninfo, "lostreply", key, sizeof(key));
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);

    /* one case per client for its outcomes, made before any fault */
    for (int c = 0; c < clients; c++) {
        char tag[32], body[1024], *answer = NULL;
        snprintf(tag, sizeof(tag), "LR-BASE-%d", c);
        case_body(tag, body, sizeof(body));
        if (attempt("/v1/cases", NULL, body, &answer) != 201 || answer == NULL)
            fault_fail("the base case for client %d was not recorded", c);
        case_id_of(answer, outcome_case[c], sizeof(outcome_case[c]));
        free(answer);
    }
    atomic_store(&count_2xx, 0);

    fault_log("%d clients x %d writes (cases and outcomes, with and without keys) while COMMITs are lost",
              clients, writes_per_client);
    double started = fault_now();
    pthread_t threads[32], faulter;
    pthread_create(&faulter, NULL, fault_run, proxy);
    for (int c = 0; c < clients; c++)
        pthread_create(&threads[c], NULL, client_run, (void *)(intptr_t)c);
    for (int c = 0; c < clients; c++)
        pthread_join(threads[c], NULL);
    atomic_store(&load_done, true);
    pthread_join(faulter, NULL);
    double elapsed = fault_now() - started;

    /* Each write against the database. */
    PGconn *db = fault_db_connect(conninfo);
    long lost[KIND_COUNT] = { 0 }, phantom[KIND_COUNT] = { 0 }, duplicated[KIND_COUNT] = { 0 };
    long answered[KIND_COUNT] = { 0 }, refused[KIND_COUNT] = { 0 }, unanswered_keyed = 0;
    for (int c = 0; c < clients; c++)
        for (int i = 0; i < writes_per_client; i++) {
            struct write *w = &writes[c * writes_per_client + i];
            char tag[64];
            snprintf(tag, sizeof(tag), "LR-%d-%d", c, i);
            const char *params[] = { tag };
            long rows = w->kind == CASE_KEYED || w->kind == CASE_PLAIN
                            ? fault_db_long(db, "SELECT count(*) FROM cases WHERE order_id = $1", 1, params)
                            : fault_db_long(db, "SELECT count(*) FROM outcomes WHERE note = $1", 1, params);
            bool got_2xx = w->body != NULL;
            if (w->first_status == 200 || w->first_status == 201)
                answered[w->kind]++;
            else
                refused[w->kind]++;
            if (got_2xx && rows == 0)
                lost[w->kind]++;
            if (!got_2xx && rows > 0)
                phantom[w->kind]++;
            if (rows > 1)
                duplicated[w->kind] += rows - 1;
            if (!got_2xx && (w->kind == CASE_KEYED || w->kind == OUTCOME_KEYED))
                unanswered_keyed++;
            if (got_2xx && w->case_id[0] != '\0') { /* the case the answer names is the one stored */
                const char *id_params[] = { tag, w->case_id };
                if (fault_db_long(db, "SELECT count(*) FROM cases WHERE order_id = $1 AND case_id::text = $2", 2,
                                  id_params) != 1)
                    lost[w->kind]++;
            }
        }
    PQfinish(db);

    int fired = pgproxy_fired(proxy);
    fault_log("figures: %d writes in %.1f s, %d COMMITs lost (half after running, half before); "
              "answers: 2xx %ld, 503 %ld, other %ld, no response %ld; keyed replays %ld (%ld differing)",
              clients * writes_per_client, elapsed, fired, atomic_load(&count_2xx), atomic_load(&count_503),
              atomic_load(&count_other), atomic_load(&count_dropped), atomic_load(&count_replays),
              atomic_load(&count_replay_mismatch));
    long total_lost = 0, total_phantom = 0, total_duplicated = 0;
    for (int k = 0; k < KIND_COUNT; k++) {
        fault_log("figures: %-19s first attempt 2xx %ld, 503 %ld; lost %ld, recorded without a 2xx %ld, "
                  "duplicated %ld", KIND_NAMES[k], answered[k], refused[k], lost[k], phantom[k], duplicated[k]);
        total_lost += lost[k];
        total_phantom += phantom[k];
        total_duplicated += duplicated[k];
    }
    fault_check(fired >= 10, "COMMITs were lost (%d)", fired);
    fault_check(total_lost == 0, "no write answered 2xx is missing (%ld)", total_lost);
    fault_check(total_phantom == 0, "no write is recorded that was not answered 2xx (%ld)", total_phantom);
    fault_check(total_duplicated == 0, "no write is recorded twice (%ld)", total_duplicated);
    fault_check(unanswered_keyed == 0, "every keyed write was answered 2xx in the end (%ld not)", unanswered_keyed);
    fault_check(atomic_load(&count_replay_mismatch) == 0, "every keyed retry replayed the first answer");
    fault_check(atomic_load(&count_other) == 0 && atomic_load(&count_dropped) == 0,
                "no answer but 2xx and 503, and every request answered");
    int exit_code = fault_server_stop(&srv, 15);
    fault_check(exit_code == 0, "the service stopped cleanly on SIGTERM (exit %d)", exit_code);
    if (exit_code != 0)
        fault_server_log_tail(&srv, 30);
    pgproxy_stop(proxy);
    return fault_finish();
}
