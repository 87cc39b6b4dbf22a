/* The reply renderer (service/engine/reply.c, eng_render_reply) with
 * arbitrary buyer names, order ids, amounts, percentages, currencies,
 * languages, remedies and tiers, all carved from the fuzz bytes; and the
 * money formatter and the language resolver it relies on, with any amount
 * and any tag.
 *
 * Beyond the sanitizers: what is rendered is terminated and fits; with a
 * name and an order id within the API's limits (128 and 64 bytes) the
 * reply always renders (else eng_decide refuses the case: a 500); and for
 * valid UTF-8 inputs the subject and body are valid UTF-8 (else the
 * response cannot be built: a 500). */
#include <jansson.h>

#include "engine.h"
#include "engine_internal.h"
#include "fuzz_input.h"

enum { API_NAME_MAX = 128, API_ORDER_ID_MAX = 64 };

/* The situations the engine explains (decide.c), and "none". */
static const char *const SITUATIONS[] = {
    "usage_help", "within_promise", "fba_delivery", "shipped_cannot_cancel", "custom_no_return",
    "packaging_only", "service_apology", "outside_window", "firm_review", NULL,
};
enum { N_SITUATIONS = sizeof(SITUATIONS) / sizeof(SITUATIONS[0]) };

/* Currencies with every exponent, and the symbol and name tables' cases. */
static const char *const CURRENCIES[] = { "USD", "EUR", "JPY", "KWD", "GBP", "CHF", "HKD", "TWD", "CNY", "SEK" };
enum { N_CURRENCIES = sizeof(CURRENCIES) / sizeof(CURRENCIES[0]) };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    if (eng_templates_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_reply: %s\n", err);
        abort();
    }
    return 0;
}

static bool valid_utf8(const char *s)
{
    json_t *probe = json_string(s);
    json_decref(probe);
    return probe != NULL;
}

static void fill_remedy(struct fuzz_input *in, struct eng_remedy *r)
{
    r->primary = (enum eng_action)fuzz_pick(in, ACT_COUNT);
    r->n_actions = fuzz_pick(in, ENG_MAX_ACTIONS + 1);
    for (int i = 0; i < r->n_actions; i++) {
        r->actions[i].type = i == 0 ? r->primary : (enum eng_action)fuzz_pick(in, ACT_COUNT);
        r->actions[i].amount = fuzz_int64_edgy(in);
        r->actions[i].percent = (int)fuzz_int64_edgy(in);
    }
    r->return_required = fuzz_bool(in);
    r->seller_pays_return = fuzz_bool(in);
    r->keep_item = !r->return_required;
}

/* eng_money_format on its own: any amount, any currency, any language. */
static void check_money(struct fuzz_input *in, const struct eng_currency *currency, enum eng_language lang)
{
    char out[64];
    size_t size = (size_t)fuzz_int_in(in, 1, sizeof(out));
    int64_t amount = fuzz_int64_edgy(in);
    if (eng_money_format(amount, currency, lang, out, size))
        FUZZ_REQUIRE(memchr(out, '\0', size) != NULL && valid_utf8(out));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    struct eng_case c;
    struct eng_policy policy = *eng_policy_default();
    struct eng_decision *d = calloc(1, sizeof(*d));
    FUZZ_REQUIRE(d != NULL);
    memset(&c, 0, sizeof(c));

    char *language_tag = fuzz_string(&in, 48);
    bool fell_back;
    d->language = eng_language_resolve(language_tag, &fell_back);
    FUZZ_REQUIRE(d->language >= 0 && d->language < LANG_COUNT);
    if (fuzz_bool(&in)) /* or any language directly */
        d->language = (enum eng_language)fuzz_pick(&in, LANG_COUNT);
    char *currency_code = fuzz_string(&in, 4); /* the dictionary knows the codes */
    c.order.currency = eng_currency_find(currency_code);
    if (c.order.currency == NULL)
        c.order.currency = eng_currency_find(CURRENCIES[fuzz_pick(&in, N_CURRENCIES)]);
    FUZZ_REQUIRE(c.order.currency != NULL);
    check_money(&in, c.order.currency, d->language);

    char *name = fuzz_bool(&in) ? fuzz_string(&in, 2 * API_NAME_MAX) : NULL;
    char *order_id = fuzz_string(&in, 2 * API_ORDER_ID_MAX);
    c.buyer.name = name;
    c.order.order_id = order_id;
    c.channel = (enum eng_channel)fuzz_pick(&in, CHANNEL_COUNT);
    c.issue.category = (enum eng_category)fuzz_pick(&in, CAT_COUNT);
    d->tier = (enum eng_tier)fuzz_pick(&in, TIER_COUNT);
    policy.return_window_days = (int)fuzz_int64_edgy(&in);
    fill_remedy(&in, &d->remedy);
    d->n_alternatives = fuzz_pick(&in, ENG_MAX_ALTERNATIVES + 1);
    for (int i = 0; i < d->n_alternatives; i++)
        fill_remedy(&in, &d->alternatives[i]);
    const char *situation = SITUATIONS[fuzz_pick(&in, N_SITUATIONS)];

    int rc = eng_render_reply(&c, &policy, d, situation);
    FUZZ_REQUIRE(memchr(d->subject, '\0', sizeof(d->subject)) != NULL);
    FUZZ_REQUIRE(memchr(d->body, '\0', sizeof(d->body)) != NULL);
    bool within_limits = (name == NULL || strlen(name) <= API_NAME_MAX) && strlen(order_id) <= API_ORDER_ID_MAX;
    if (within_limits)
        FUZZ_REQUIRE(rc == 0);
    if (rc == 0 && (name == NULL || valid_utf8(name)) && valid_utf8(order_id)) {
        FUZZ_REQUIRE(valid_utf8(d->subject));
        FUZZ_REQUIRE(valid_utf8(d->body));
    }

    free(name);
    free(order_id);
    free(currency_code);
    free(language_tag);
    free(d);
    return 0;
}
