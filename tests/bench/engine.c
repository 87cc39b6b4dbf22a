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

/* What buyers write, in the eight languages (no quotes or backslashes:
 * they go into JSON as they are). */
static const char *const SENTENCES[] = {
    "Hello, I ordered the blue one but received a red one instead.",
    "The lid arrived with a small scratch, not a big deal but a bit disappointing.",
    "It stopped working after two days and now it does not turn on at all.",
    "My parcel still has not arrived, the tracking has not moved for a week.",
    "I would like a refund please, or a replacement if that is quicker.",
    "Die Lampe kam kaputt an, das Glas war zerbrochen und der Karton eingedrueckt.",
    "Ich habe schon zweimal geschrieben und keine Antwort bekommen.",
    "Le colis est arrive abime et il manque une piece dans la boite.",
    "Je voudrais etre rembourse, sinon je laisse un avis negatif.",
    "El producto no funciona y quiero que me devuelvan el dinero.",
    "Il pacco non e mai arrivato, vorrei un rimborso al piu presto.",
    "注文した商品と違う色が届きました。交換をお願いします。",
    "电源插上就冒烟了，我要退款，不然我就给差评。",
    "包裹一直沒收到，請幫我查一下物流。",
};

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct run {
    double total, parse, decide, serialise;
    size_t bytes;
};

/* iterations decisions over the n bodies (stride bytes apart): parse and
 * validate (with triage), decide with the reply, serialise. */
static int run(const char *bodies, size_t stride, int n, long iterations, struct run *out)
{
    struct eng_history history = { .cases_90d = 1, .cases_365d = 2, .spent_365d = 8000 };
    double start = cpu_seconds();
    for (long i = 0; i < iterations; i++) {
        const char *text = bodies + (size_t)(i % n) * stride;
        double t0 = cpu_seconds();
        json_t *body = json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, NULL);
        json_t *errors = json_array();
        struct eng_case c;
        if (body == NULL || !case_from_json(body, &c, errors)) { /* the bench's own bodies: never */
            fprintf(stderr, "body %ld is invalid: %s\n", i % n, json_dumps(errors, 0));
            return 1;
        }
        double t1 = cpu_seconds();
        struct eng_decision d;
        if (eng_decide(&c, eng_policy_default(), &history, 1795000000, &d) != 0) {
            fprintf(stderr, "decide failed\n");
            return 1;
        }
        double t2 = cpu_seconds();
        json_t *response = decision_to_json(&c, &d, "0b9f4c1e-0000-4000-8000-000000000000", "2026-11-22T10:00:00Z");
        char *json = json_dumps(response, JSON_COMPACT);
        out->bytes += strlen(json);
        free(json);
        json_decref(response);
        json_decref(errors);
        json_decref(body);
        double t3 = cpu_seconds();
        out->parse += t1 - t0;
        out->decide += t2 - t1;
        out->serialise += t3 - t2;
    }
    out->total = cpu_seconds() - start;
    return 0;
}

static void report(const char *what, long iterations, const struct run *r)
{
    double staged = r->parse + r->decide + r->serialise;
    printf("bench-engine, %s: %ld decisions in %.2f s of CPU on one core\n", what, iterations, r->total);
    printf("  decisions per second per core: %.0f\n", (double)iterations / r->total);
    printf("  mean response size: %zu bytes\n", r->bytes / (size_t)iterations);
    printf("  share of time: parse+validate %.0f %%, decide+reply %.0f %%, serialise %.0f %%\n",
           100 * r->parse / staged, 100 * r->decide / staged, 100 * r->serialise / staged);
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 200000;
    char err[512];
    if (eng_templates_init(err, sizeof(err)) != 0 || eng_triage_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "engine data: %s\n", err);
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

    /* The same cases opened by the buyer's words: the category left out,
     * a message of about 1 KiB in its place (sentences of the eight
     * languages), so triage decides it. */
    static char with_message[N_BODIES][2560], with_description[N_BODIES][2560], with_both[N_BODIES][2560];
    for (int i = 0; i < N_BODIES; i++) {
        char message[1100] = "";
        size_t len = 0;
        for (;;) {
            const char *sentence = SENTENCES[rand() % (sizeof(SENTENCES) / sizeof(SENTENCES[0]))];
            size_t n = strlen(sentence);
            if (len + n + 1 > 1024)
                break;
            memcpy(message + len, sentence, n);
            message[len + n] = ' ';
            len += n + 1;
            message[len] = '\0';
        }
        const char *category = strstr(bodies[i], "\"category\":\"");
        const char *after = strchr(category + 12, '"') + 1;
        snprintf(with_message[i], sizeof(with_message[i]), "%.*s\"message\":\"%s\"%s", (int)(category - bodies[i]),
                 bodies[i], message, after);
        /* the same text where triage does not read it: what parsing 1 KiB more JSON costs */
        const char *description = strstr(bodies[i], "\"description\":\"");
        const char *rest = strchr(description + 15, '"') + 1;
        snprintf(with_description[i], sizeof(with_description[i]), "%.*s\"description\":\"%s\"%s",
                 (int)(description - bodies[i]), bodies[i], message, rest);
        /* the category kept and the text as the message: triage read for
         * its signals, the same category decided (triage's own cost) */
        snprintf(with_both[i], sizeof(with_both[i]), "%.*s\"message\":\"%s\"%s", (int)(description - bodies[i]),
                 bodies[i], message, rest);
    }

    struct run plain = { 0 }, described = { 0 }, messages = { 0 }, both = { 0 };
    if (run((const char *)bodies, sizeof(bodies[0]), N_BODIES, iterations, &plain) != 0
        || run((const char *)with_description, sizeof(with_description[0]), N_BODIES, iterations, &described) != 0
        || run((const char *)with_message, sizeof(with_message[0]), N_BODIES, iterations, &messages) != 0
        || run((const char *)with_both, sizeof(with_both[0]), N_BODIES, iterations, &both) != 0)
        return 1;
    report("with issue.category", iterations, &plain);
    report("with issue.category and the 1 KiB text as issue.description (not triaged)", iterations, &described);
    report("with the 1 KiB text as issue.message instead (triaged)", iterations, &messages);
    report("with issue.category and the 1 KiB text as issue.message (triaged for signals)", iterations, &both);
    double per_plain = plain.total / (double)iterations, per_described = described.total / (double)iterations,
           per_message = messages.total / (double)iterations;
    printf("per decision: %.1f us plain, %.1f us with 1 KiB more JSON, %.1f us with it triaged\n", per_plain * 1e6,
           per_described * 1e6, per_message * 1e6);
    printf("triage of a 1 KiB message adds %.1f us: %.1f %% of the plain decision (parsing the longer body adds "
           "another %.1f %%)\n",
           (per_message - per_described) * 1e6, 100.0 * (per_message - per_described) / per_plain,
           100.0 * (per_described - per_plain) / per_plain);
    double per_both = both.total / (double)iterations;
    printf("with the category given (the same decisions, triage read for signals): %.1f us, triage adds %.1f us: "
           "%.1f %%\n",
           per_both * 1e6, (per_both - per_described) * 1e6, 100.0 * (per_both - per_described) / per_plain);

    /* triage alone, over the same messages */
    double t0 = cpu_seconds();
    long reads = iterations;
    for (long i = 0; i < reads; i++) {
        const char *text = strstr(with_message[i % N_BODIES], "\"message\":\"") + 11;
        struct eng_triage t;
        if (eng_triage(text, (size_t)(strchr(text, '"') - text), &t) != 0)
            return 1;
    }
    printf("eng_triage alone: %.1f us per 1 KiB message\n", (cpu_seconds() - t0) / (double)reads * 1e6);

    /* 8 KiB of what an attacker would send: bounded like any text */
    static const char *const ADVERSARIAL[] = {
        "refund ", "退款", "notnotnot", "不是不是", "ないない", "\"a\" ", "kaputtkaputt", "a ... b ",
        "I don't not never no ", "refund,", "🙂退款 refund ＲＥＦＵＮＤ返金ße ",
    };
    static char big[ENG_TRIAGE_TEXT_MAX + 1];
    double worst = 0;
    const char *worst_text = ADVERSARIAL[0];
    for (size_t a = 0; a < sizeof(ADVERSARIAL) / sizeof(ADVERSARIAL[0]); a++) {
        size_t len = 0, n = strlen(ADVERSARIAL[a]);
        while (len + n <= ENG_TRIAGE_TEXT_MAX) {
            memcpy(big + len, ADVERSARIAL[a], n);
            len += n;
        }
        double a0 = cpu_seconds();
        enum { ROUNDS = 200 };
        for (int r = 0; r < ROUNDS; r++) {
            struct eng_triage t;
            if (eng_triage(big, len, &t) != 0)
                return 1;
        }
        double per = (cpu_seconds() - a0) / ROUNDS;
        if (per > worst) {
            worst = per;
            worst_text = ADVERSARIAL[a];
        }
    }
    printf("eng_triage on 8 KiB of one piece repeated (%zu shapes): at most %.1f us (\"%s\")\n",
           sizeof(ADVERSARIAL) / sizeof(ADVERSARIAL[0]), worst * 1e6, worst_text);
    return 0;
}
