/* PostgreSQL killed under load: CLIENTS threads post CASES distinct cases,
 * each with its own Idempotency-Key, retrying (same key, same body) on 503,
 * 409 or a dropped connection, while the postmaster is SIGKILLed twice and
 * restarted. Then, from the database itself: every key that got a 2xx has
 * exactly one case, the one its response named; no case exists that no 2xx
 * announced; no 5xx but 503; and every worker serves again.
 * FAULT_CASES and FAULT_CLIENTS override the counts. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { SERVER_THREADS = 4, MAX_ATTEMPTS = 1200, RETRY_PAUSE_MS = 50, REQUEST_TIMEOUT_MS = 20000 };

struct outcome {
    int status;           /* the final answer: 201, 200 (replayed), or 0 (gave up) */
    char case_id[40];     /* from the 2xx body */
};

static unsigned port;
static int cases, clients;
static char auth[160];
static struct outcome *outcomes;
static atomic_int next_case, done_cases;
static atomic_long count_2xx, count_201, count_replayed, count_503, count_409, count_dropped, count_other;
static atomic_long count_5xx_not_503;

static void case_body(int i, char *out, size_t size)
{
    snprintf(out, size,
             "{\"ticket_id\":\"PGK-%d\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"PGK-ORDER-%d\","
             "\"sku\":\"MUG-01\",\"currency\":\"USD\",\"item_price\":2599,\"shipping_paid\":499},"
             "\"buyer\":{\"buyer_id\":\"PGK-BUYER-%d\",\"name\":\"Jane\",\"language\":\"en\"},"
             "\"issue\":{\"category\":\"minor_defect\",\"description\":\"scratch\"}}",
             i, i, i % 97);
}

/* The case_id a decision names. */
static void case_id_of(const char *body, char *out, size_t size)
{
    const char *at = strstr(body, "\"case_id\":\"");
    out[0] = '\0';
    if (at != NULL)
        snprintf(out, size, "%.36s", at + strlen("\"case_id\":\""));
}

static void post_until_answered(int i)
{
    char body[1024], key[64];
    case_body(i, body, sizeof(body));
    snprintf(key, sizeof(key), "Idempotency-Key: pgkill-%d", i);
    const char *headers[] = { auth, "Content-Type: application/json", key, NULL };
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        struct fault_response r;
        if (fault_http(port, "POST", "/v1/cases", headers, body, &r, REQUEST_TIMEOUT_MS) != 0) {
            atomic_fetch_add(&count_dropped, 1);
        } else if (r.status == 201 || r.status == 200) {
            atomic_fetch_add(&count_2xx, 1);
            atomic_fetch_add(r.status == 201 ? &count_201 : &count_replayed, 1);
            outcomes[i].status = r.status;
            case_id_of(r.body, outcomes[i].case_id, sizeof(outcomes[i].case_id));
            fault_response_free(&r);
            return;
        } else if (r.status == 503) {
            atomic_fetch_add(&count_503, 1);
        } else if (r.status == 409) { /* an earlier attempt is still running */
            atomic_fetch_add(&count_409, 1);
        } else {
            atomic_fetch_add(r.status >= 500 ? &count_5xx_not_503 : &count_other, 1);
            fault_log("case %d: unexpected %d: %.300s", i, r.status, r.body);
            fault_response_free(&r);
            return;
        }
        fault_response_free(&r);
        fault_sleep_ms(RETRY_PAUSE_MS);
    }
}

static void *client(void *arg)
{
    (void)arg;
    for (int i; (i = atomic_fetch_add(&next_case, 1)) < cases;) {
        post_until_answered(i);
        atomic_fetch_add(&done_cases, 1);
    }
    return NULL;
}

static void wait_for_done(int n)
{
    while (atomic_load(&done_cases) < n)
        fault_sleep_ms(20);
}

/* GETs in parallel after recovery: each must be 200. */
static atomic_int recovered_ok, recovered_total;
static char probe_path[96];

static void *probe(void *arg)
{
    (void)arg;
    const char *headers[] = { auth, NULL };
    for (int i = 0; i < 4; i++) {
        struct fault_response r;
        int rc = fault_http(port, "GET", probe_path, headers, NULL, &r, REQUEST_TIMEOUT_MS);
        atomic_fetch_add(&recovered_total, 1);
        if (rc == 0 && r.status == 200)
            atomic_fetch_add(&recovered_ok, 1);
        fault_response_free(&r);
    }
    return NULL;
}

int main(void)
{
    fault_init("fault_pg_kill", 280);
    cases = getenv("FAULT_CASES") ? atoi(getenv("FAULT_CASES")) : 2000;
    clients = getenv("FAULT_CLIENTS") ? atoi(getenv("FAULT_CLIENTS")) : 8;
    outcomes = calloc((size_t)cases, sizeof(*outcomes));
    if (cases < 10 || clients < 1 || outcomes == NULL)
        fault_fail("FAULT_CASES must be at least 10, FAULT_CLIENTS at least 1");

    char conninfo[600], key[128];
    fault_database_create(conninfo, sizeof(conninfo));
    const char *env[] = { "REDRESS_THREADS=4", "REDRESS_LOG_LEVEL=warn", NULL };
    _Static_assert(SERVER_THREADS == 4, "REDRESS_THREADS above says 4");
    struct fault_server srv;
    fault_server_start(&srv, conninfo, env);
    port = srv.port;
    fault_apikey_create(conninfo, "pgkill", key, sizeof(key));
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);

    fault_log("%d cases, %d clients, PostgreSQL SIGKILLed at 25%% and 60%%", cases, clients);
    double started = fault_now();
    pthread_t threads[64];
    if (clients > 64)
        clients = 64;
    for (int i = 0; i < clients; i++)
        pthread_create(&threads[i], NULL, client, NULL);
    int kills = 0;
    for (int at = 0; at < 2; at++) {
        wait_for_done(at == 0 ? cases / 4 : cases * 6 / 10);
        fault_log("SIGKILL to the postmaster after %d cases", atomic_load(&done_cases));
        if (fault_check(fault_pg_ctl("kill") == 0, "postgres killed and restarted"))
            kills++;
    }
    for (int i = 0; i < clients; i++)
        pthread_join(threads[i], NULL);
    double elapsed = fault_now() - started;

    /* What the database holds, against what the clients were told. */
    PGconn *db = fault_db_connect(conninfo);
    const char *tenant[] = { "pgkill" };
    long stored_cases = fault_db_long(db, "SELECT count(*) FROM cases WHERE tenant_id = "
                                      "(SELECT id FROM tenants WHERE name = $1)", 1, tenant);
    long lost = 0, duplicated = 0, mismatched = 0, unanswered = 0;
    for (int i = 0; i < cases; i++) {
        char key_text[64];
        snprintf(key_text, sizeof(key_text), "pgkill-%d", i);
        const char *params[] = { "pgkill", key_text, outcomes[i].case_id };
        if (outcomes[i].status == 0) {
            unanswered++;
            continue;
        }
        /* the key's case, and cases of this order (a duplicate would be another) */
        long keyed = fault_db_long(db, "SELECT count(*) FROM idempotency_keys k JOIN cases c USING (tenant_id, case_id)"
                                   " WHERE k.tenant_id = (SELECT id FROM tenants WHERE name = $1) AND k.key = $2"
                                   " AND c.case_id::text = $3", 3, params);
        char order[64];
        snprintf(order, sizeof(order), "PGK-ORDER-%d", i);
        const char *order_params[] = { "pgkill", order };
        long of_order = fault_db_long(db, "SELECT count(*) FROM cases WHERE tenant_id = "
                                      "(SELECT id FROM tenants WHERE name = $1) AND order_id = $2", 2, order_params);
        if (of_order == 0)
            lost++;
        else if (of_order > 1)
            duplicated += of_order - 1;
        if (keyed != 1)
            mismatched++;
    }
    PQfinish(db);

    fault_log("figures: %d cases in %.1f s; 2xx %ld (201 %ld, replayed 200 %ld); 503 %ld; 409 %ld; "
              "dropped connections %ld; other 4xx %ld; 5xx other than 503 %ld; %d kills",
              cases, elapsed, atomic_load(&count_2xx), atomic_load(&count_201), atomic_load(&count_replayed),
              atomic_load(&count_503), atomic_load(&count_409), atomic_load(&count_dropped),
              atomic_load(&count_other), atomic_load(&count_5xx_not_503), kills);
    fault_log("figures: stored %ld, lost %ld, duplicated %ld, key/case mismatches %ld, unanswered %ld",
              stored_cases, lost, duplicated, mismatched, unanswered);
    fault_check(kills == 2, "the postmaster was killed twice");
    fault_check(unanswered == 0, "every case got a 2xx in the end (%ld did not)", unanswered);
    fault_check(lost == 0, "no case announced by a 2xx is missing (%ld lost)", lost);
    fault_check(duplicated == 0, "no case recorded twice (%ld duplicates)", duplicated);
    fault_check(mismatched == 0, "every 2xx names the case its key holds (%ld mismatches)", mismatched);
    fault_check(stored_cases == cases - unanswered, "no case exists that no 2xx announced (%ld stored)",
                stored_cases);
    fault_check(atomic_load(&count_5xx_not_503) == 0 && atomic_load(&count_other) == 0,
                "no answer but 2xx, 409 and 503");

    /* every worker serves again */
    snprintf(probe_path, sizeof(probe_path), "/v1/cases/%s", outcomes[0].case_id);
    pthread_t probes[SERVER_THREADS * 4];
    for (int i = 0; i < SERVER_THREADS * 4; i++)
        pthread_create(&probes[i], NULL, probe, NULL);
    for (int i = 0; i < SERVER_THREADS * 4; i++)
        pthread_join(probes[i], NULL);
    fault_check(atomic_load(&recovered_ok) == atomic_load(&recovered_total),
                "after the kills, %d of %d reads in parallel answered 200", atomic_load(&recovered_ok),
                atomic_load(&recovered_total));
    int exit_code = fault_server_stop(&srv, 15);
    fault_check(exit_code == 0, "the service stopped cleanly on SIGTERM (exit %d)", exit_code);
    if (exit_code != 0)
        fault_server_log_tail(&srv, 30);
    return fault_finish();
}
