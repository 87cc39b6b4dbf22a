/* make bench-engine: decisions per second on one core, over a realistic mix
 * of cases, including JSON parsing and validation, the decision with its
 * reply, and serialising the response. CPU time of this process is used,
 * so other load on the machine matters less; the stage shares are ratios
 * from the same run. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "case_json.h"
#include "engine.h"

/* Roughly how often each problem reaches a support desk. */
static const struct { const char *category; int weight; } MIX[] = {
    { "minor_defect", 16 }, { "late_delivery", 14 }, { "damaged_in_transit", 10 }, { "defective", 9 },
    { "expectation_mismatch", 9 }, { "wrong_size_ordered", 7 }, { "changed_mind", 7 }, { "missing_parts", 6 },
    { "lost_in_transit", 5 }, { "wrong_item", 4 }, { "usage_question", 4 }, { "packaging_damaged", 3 },
    { "not_as_described", 3 }, { "cancellation_request", 2 }, { "service_complaint", 1 },
};
static const char *const LANGS[] = { "en", "en", "en", "de", "fr", "es", "it", "ja", "zh-CN", "zh-TW" };
static const char *const CURRENCIES[] = { "USD", "USD", "EUR", "EUR", "GBP", "JPY", "CNY" };
static const char *const CHANNELS[] = { "amazon", "amazon", "amazon", "shopify", "other" };

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 200000;
    char err[512];
    if (eng_templates_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "templates: %s\n", err);
        return 1;
    }
    enum { N_BODIES = 512 };
    static char bodies[N_BODIES][1024];
    int total_weight = 0;
    for (size_t i = 0; i < sizeof(MIX) / sizeof(MIX[0]); i++)
        total_weight += MIX[i].weight;
    srand(42);
    for (int i = 0; i < N_BODIES; i++) {
        int pick = rand() % total_weight, k = 0;
        while (pick >= MIX[k].weight)
            pick -= MIX[k++].weight;
        snprintf(bodies[i], sizeof(bodies[i]),
                 "{\"ticket_id\":\"ZD-%d\",\"channel\":\"%s\",\"marketplace\":\"US\","
                 "\"order\":{\"order_id\":\"113-%07d-%07d\",\"sku\":\"SKU-%d\",\"currency\":\"%s\","
                 "\"item_price\":%d,\"quantity\":%d,\"shipping_paid\":%d,\"fulfillment\":\"%s\","
                 "\"customized\":%s,\"shipped\":true,\"ordered_at\":\"2026-11-01T10:00:00Z\","
                 "\"delivered_at\":\"2026-11-05T16:00:00Z\"},"
                 "\"buyer\":{\"buyer_id\":\"B%d\",\"name\":\"Jane\",\"language\":\"%s\"},"
                 "\"issue\":{\"category\":\"%s\",\"description\":\"small scratch on the lid\",\"delay_days\":%d,"
                 "\"items_affected\":1},\"signals\":{\"a_to_z_claim\":%s,\"chargeback\":false,\"return_requested\":false}}",
                 i, CHANNELS[rand() % 5], rand() % 9999999, rand() % 9999999, rand() % 300,
                 CURRENCIES[rand() % 7], 500 + rand() % 20000, 1 + rand() % 3, rand() % 900,
                 rand() % 3 ? "FBM" : "FBA", rand() % 4 ? "false" : "true", rand() % 5000, LANGS[rand() % 10],
                 MIX[k].category, rand() % 6 - 1, rand() % 10 ? "false" : "true");
    }

    struct eng_history history = { .cases_90d = 1, .cases_365d = 2, .spent_365d = 8000 };
    double parse_s = 0, decide_s = 0, serialise_s = 0;
    size_t bytes = 0;
    double start = cpu_seconds();
    for (long i = 0; i < iterations; i++) {
        const char *text = bodies[i % N_BODIES];
        double t0 = cpu_seconds();
        json_t *body = json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, NULL);
        json_t *errors = json_array();
        struct eng_case c;
        if (body == NULL || !case_from_json(body, &c, errors)) {
            fprintf(stderr, "body %ld is invalid: %s\n", i % N_BODIES, json_dumps(errors, 0));
            return 1;
        }
        double t1 = cpu_seconds();
        struct eng_decision d;
        if (eng_decide(&c, eng_policy_default(), &history, 1795000000, &d) != 0) {
            fprintf(stderr, "decide failed\n");
            return 1;
        }
        double t2 = cpu_seconds();
        json_t *out = decision_to_json(&c, &d, "0b9f4c1e-0000-4000-8000-000000000000", "2026-11-22T10:00:00Z");
        char *json = json_dumps(out, JSON_COMPACT);
        bytes += strlen(json);
        free(json);
        json_decref(out);
        json_decref(errors);
        json_decref(body);
        double t3 = cpu_seconds();
        parse_s += t1 - t0;
        decide_s += t2 - t1;
        serialise_s += t3 - t2;
    }
    double total = cpu_seconds() - start;
    double staged = parse_s + decide_s + serialise_s;
    printf("bench-engine: %ld decisions in %.2f s of CPU on one core\n", iterations, total);
    printf("  decisions per second per core: %.0f\n", (double)iterations / total);
    printf("  mean response size: %zu bytes\n", bytes / (size_t)iterations);
    printf("  share of time: parse+validate %.0f %%, decide+reply %.0f %%, serialise %.0f %%\n",
           100 * parse_s / staged, 100 * decide_s / staged, 100 * serialise_s / staged);
    return 0;
}
