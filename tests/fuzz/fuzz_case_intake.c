/* The case intake as POST /v1/cases runs it, minus the database and HTTP:
 * raw body → JSON (json_loadb with JSON_REJECT_DUPLICATES, an object, as
 * server.c parses it) → case_from_json (the spec tables) → case_evaluate
 * (the seller's costs, eng_decide, decision_to_json) → JSON text.
 *
 * Input: the body, optionally followed by a NUL byte and bytes that choose
 * the buyer's history, the seller's cost settings and the clock (a NUL
 * never belongs to a JSON text, so a body on its own, as in the seeds,
 * means no history, no settings and a fixed clock).
 *
 * Beyond the sanitizers it checks what the handler relies on: validation
 * answers true exactly when it reported nothing, every problem names its
 * field, and the engine decides every case validation let through. */
#include <jansson.h>

#include "case_json.h"
#include "db.h"
#include "engine.h"
#include "fuzz_input.h"

static const int64_t FIXED_NOW = 1795341600; /* 2026-11-22T10:00:00Z */
static const int64_t NOW_MIN = 1577836800;   /* 2020-01-01 */
static const int64_t NOW_MAX = 4102444800LL; /* 2100-01-01 */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    if (eng_templates_init(err, sizeof(err)) != 0 || eng_triage_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_case_intake: %s\n", err);
        abort();
    }
    return 0;
}

/* Nothing recorded: what db_cost_settings_get reports for a new tenant. */
static void costs_unset(struct db_cost_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->landed_cost_percent = s->outbound_postage_percent = s->return_postage_percent = -1;
    s->handling_percent = s->resale_percent = s->return_insurance = -1;
    s->unit_cost = s->outbound_postage = s->return_postage = s->handling = -1;
    s->sku_resale_percent = -1;
}

/* A value as the settings endpoints accept it, or unset (-1). */
static int64_t setting(struct fuzz_input *in, int64_t max)
{
    return fuzz_bool(in) ? fuzz_int_in(in, 0, max) : -1;
}

/* History counts and the settings within the ranges the database and the
 * settings endpoints can produce; the clock between 2020 and 2100. */
static int64_t trailer_read(struct fuzz_input *in, const struct eng_case *c, struct eng_history *h,
                            struct db_cost_settings *s)
{
    const int64_t MAX_COUNT = 100000, MAX_SUM = 100000000000000LL; /* 1e14 minor units */
    h->cases_90d = fuzz_int_in(in, 0, MAX_COUNT);
    h->cases_365d = h->cases_90d + fuzz_int_in(in, 0, MAX_COUNT);
    h->same_category_90d = fuzz_int_in(in, 0, h->cases_90d);
    h->refunded_90d = fuzz_int_in(in, 0, h->cases_90d);
    h->refunded_amount_365d = fuzz_int_in(in, 0, MAX_SUM);
    h->spent_365d = fuzz_int_in(in, 0, MAX_SUM);
    h->not_received_365d = fuzz_int_in(in, 0, h->cases_365d);
    h->abuse_confirmed = fuzz_int_in(in, 0, h->cases_365d);
    s->landed_cost_percent = (int)setting(in, 1000);
    s->outbound_postage_percent = (int)setting(in, 1000);
    s->return_postage_percent = (int)setting(in, 1000);
    s->handling_percent = (int)setting(in, 1000);
    s->resale_percent = (int)setting(in, 100);
    s->return_insurance = (int)fuzz_int_in(in, -1, 1);
    if (fuzz_bool(in)) /* the SKU has settings, in the case's currency */
        snprintf(s->sku_currency, sizeof(s->sku_currency), "%s", c->order.currency->code);
    s->unit_cost = setting(in, 100000000000LL);
    s->outbound_postage = setting(in, 100000000000LL);
    s->return_postage = setting(in, 100000000000LL);
    s->handling = setting(in, 100000000000LL);
    s->sku_resale_percent = (int)setting(in, 100);
    return in->size > 0 ? fuzz_int_in(in, NOW_MIN, NOW_MAX) : FIXED_NOW;
}

static void check_errors_named(const json_t *errors)
{
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e) {
        FUZZ_REQUIRE(json_is_string(json_object_get(e, "field")));
        FUZZ_REQUIRE(json_is_string(json_object_get(e, "message")));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t body_len = nul != NULL ? (size_t)(nul - data) : size;
    struct fuzz_input trailer = { nul != NULL ? nul + 1 : data + size, nul != NULL ? size - body_len - 1 : 0 };

    json_error_t error;
    json_t *body = json_loadb((const char *)data, body_len, JSON_REJECT_DUPLICATES, &error);
    if (body == NULL || !json_is_object(body)) { /* 400 malformed_json */
        json_decref(body);
        return 0;
    }
    json_t *errors = json_array();
    FUZZ_REQUIRE(errors != NULL);
    struct eng_case c;
    bool valid = case_from_json(body, &c, errors);
    FUZZ_REQUIRE(valid == (json_array_size(errors) == 0));
    check_errors_named(errors);
    json_decref(errors);

    if (valid) {
        struct eng_history history = { 0 };
        struct db_cost_settings costs;
        costs_unset(&costs);
        int64_t now = nul != NULL ? trailer_read(&trailer, &c, &history, &costs) : FIXED_NOW;
        struct eng_decision *d = malloc(sizeof(*d));
        FUZZ_REQUIRE(d != NULL);
        json_t *response = NULL;
        int rc = case_evaluate(&c, &costs, &history, now, NULL, NULL, d, &response);
        FUZZ_REQUIRE(rc == 0);          /* the engine refused a validated case: a 500 */
        FUZZ_REQUIRE(response != NULL); /* the response could not be built: a 500 */
        char *text = json_dumps(response, JSON_COMPACT);
        FUZZ_REQUIRE(text != NULL);
        free(text);
        json_decref(response);
        free(d);
    }
    json_decref(body);
    return 0;
}
