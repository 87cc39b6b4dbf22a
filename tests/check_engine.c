/* The decision engine: table-driven cases from tests/data, properties over
 * generated cases, money, languages, templates and the compliance guard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_json.h"
#include "engine.h"
#include "harness.h"

static const int64_t NOW = 1795000000; /* 2026-11-18T... fixed, so cases are reproducible */

static void engine_setup(void)
{
    char err[512];
    ck_assert_msg(eng_templates_init(err, sizeof(err)) == 0, "%s", err);
}

static FILE *open_data(const char *name)
{
    const char *root = getenv("REDRESS_TEST_ROOT");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/data/%s", root ? root : ".", name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    return f;
}

/* Split a line at tabs into at most max fields (in place). */
static int split_tabs(char *line, char **fields, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        fields[n++] = line;
        char *tab = strchr(line, '\t');
        if (tab == NULL)
            break;
        *tab = '\0';
        line = tab + 1;
    }
    return n;
}

/* ---- the decision table ---- */

enum col { C_CATEGORY, C_CHANNEL, C_FUL, C_CUSTOM, C_SHIP, C_DELAY, C_DELIV, C_PRICE, C_HISTORY,
           C_RESP, C_TIER, C_PRIMARY, C_REFUND, C_FLAGS, N_COLS };

static const char *const DELAYS[] = { "-2", "0", "3", "12" };
static const char *const YES_NO[] = { "y", "n" };

static bool has_action(const struct eng_remedy *r, enum eng_action type)
{
    for (int i = 0; i < r->n_actions; i++)
        if (r->actions[i].type == type)
            return true;
    return false;
}

static bool has_alternative(const struct eng_decision *d, const char *primary)
{
    for (int i = 0; i < d->n_alternatives; i++)
        if (strcmp(ENG_ACTION_NAMES[d->alternatives[i].primary], primary) == 0)
            return true;
    return false;
}

static void parse_history(const char *text, struct eng_history *h)
{
    memset(h, 0, sizeof(*h));
    if (strcmp(text, "-") == 0)
        return;
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", text);
    for (char *item = strtok(copy, ","); item; item = strtok(NULL, ",")) {
        char *eq = strchr(item, '=');
        ck_assert_msg(eq != NULL, "history item '%s'", item);
        *eq = '\0';
        int64_t v = atoll(eq + 1);
        if (strcmp(item, "same") == 0) { h->same_category_90d = v; h->cases_90d += v; }
        else if (strcmp(item, "cases") == 0) h->cases_90d = v;
        else if (strcmp(item, "refunds") == 0) h->refunded_90d = v;
        else if (strcmp(item, "abuse") == 0) h->abuse_confirmed = v;
        else if (strcmp(item, "inr") == 0) h->not_received_365d = v;
        else if (strcmp(item, "refunded") == 0) h->refunded_amount_365d = v;
        else if (strcmp(item, "spent") == 0) h->spent_365d = v;
        else ck_abort_msg("unknown history key '%s'", item);
    }
    h->cases_365d = h->cases_90d;
}

static int rows_run;

/* One fully expanded row. Returns a failure message or NULL. */
static const char *run_row(char **f, int line, char *why, size_t why_size)
{
    struct eng_case c;
    memset(&c, 0, sizeof(c));
    c.channel = eng_enum_parse(ENG_CHANNEL_NAMES, CHANNEL_COUNT, f[C_CHANNEL]);
    c.order.order_id = "113-1234567-1234567";
    c.order.sku = "SKU-1";
    c.order.currency = eng_currency_find("USD");
    c.order.item_price = atoll(f[C_PRICE]);
    c.order.quantity = 1;
    c.order.shipping_paid = 499;
    c.order.unit_cost = -1;
    c.order.fulfillment = eng_enum_parse(ENG_FULFILLMENT_NAMES, FULFILLMENT_COUNT, f[C_FUL]);
    c.order.customized = f[C_CUSTOM][0] == 'y';
    c.order.shipped = f[C_SHIP][0] == 'y';
    c.order.ordered_at = NOW - 60 * 86400;
    c.order.delivered_at = strcmp(f[C_DELIV], "-") == 0 ? 0 : NOW - atoll(f[C_DELIV]) * 86400;
    c.buyer.buyer_id = "A2X9EXAMPLE";
    c.buyer.name = "Jane";
    c.buyer.language = "en";
    c.issue.category = eng_enum_parse(ENG_CATEGORY_NAMES, CAT_COUNT, f[C_CATEGORY]);
    c.issue.delay_days = atoll(f[C_DELAY]);
    c.issue.items_affected = 1;
    ck_assert_msg((int)c.channel >= 0 && (int)c.order.fulfillment >= 0 && (int)c.issue.category >= 0,
                  "line %d: bad input value", line);
    struct eng_history h;
    parse_history(f[C_HISTORY], &h);
    struct eng_decision d;
    if (eng_decide(&c, eng_policy_default(), &h, NOW, &d) != 0)
        return "eng_decide failed";
    rows_run++;
    bool amazon = c.channel == CHANNEL_AMAZON;

    if (strcmp(ENG_RESPONSIBILITY_NAMES[d.responsibility], f[C_RESP]) != 0)
        return snprintf(why, why_size, "responsibility %s", ENG_RESPONSIBILITY_NAMES[d.responsibility]), why;
    if (strcmp(ENG_TIER_NAMES[d.tier], f[C_TIER]) != 0)
        return snprintf(why, why_size, "tier %s", ENG_TIER_NAMES[d.tier]), why;
    if (strcmp(ENG_ACTION_NAMES[d.remedy.primary], f[C_PRIMARY]) != 0)
        return snprintf(why, why_size, "primary %s", ENG_ACTION_NAMES[d.remedy.primary]), why;

    int64_t price = c.order.item_price, expected = 0;
    const char *refund = f[C_REFUND];
    if (strcmp(refund, "full") == 0) expected = price + c.order.shipping_paid;
    else if (strcmp(refund, "goods") == 0) expected = price;
    else if (strcmp(refund, "paid") == 0) expected = price + c.order.shipping_paid;
    else if (strcmp(refund, "gesture") == 0) expected = amazon ? (price * 10 + 50) / 100 : 0;
    else if (strchr(refund, '%') != NULL) expected = (price * atoll(refund) + 50) / 100;
    else expected = atoll(refund);
    if (d.remedy.refund_amount != expected)
        return snprintf(why, why_size, "refund %lld, expected %lld", (long long)d.remedy.refund_amount,
                        (long long)expected), why;

    char flags[256];
    snprintf(flags, sizeof(flags), "%s", f[C_FLAGS]);
    for (char *flag = strtok(flags, ","); flag && strcmp(flag, "-") != 0; flag = strtok(NULL, ",")) {
        bool coupon = has_action(&d.remedy, ACT_COUPON);
        bool gesture = amazon ? d.remedy.primary != ACT_PARTIAL_REFUND && has_action(&d.remedy, ACT_PARTIAL_REFUND)
                              : coupon;
        bool ok = true;
        if (strcmp(flag, "keep") == 0) ok = d.remedy.keep_item && !d.remedy.return_required;
        else if (strcmp(flag, "return") == 0) ok = d.remedy.return_required && !d.remedy.keep_item;
        else if (strcmp(flag, "gesture") == 0) ok = gesture;
        else if (strcmp(flag, "nogesture") == 0) ok = !gesture;
        else if (strcmp(flag, "coupon") == 0) ok = coupon;
        else if (strcmp(flag, "nocoupon") == 0) ok = !coupon;
        else if (strcmp(flag, "claim") == 0) ok = has_action(&d.remedy, ACT_CARRIER_CLAIM);
        else if (strcmp(flag, "noclaim") == 0) ok = !has_action(&d.remedy, ACT_CARRIER_CLAIM);
        else if (strcmp(flag, "review") == 0) ok = has_action(&d.remedy, ACT_MANUAL_REVIEW);
        else if (strncmp(flag, "alt:", 4) == 0) ok = has_alternative(&d, flag + 4);
        else if (strncmp(flag, "noalt:", 6) == 0) ok = !has_alternative(&d, flag + 6);
        else if (strncmp(flag, "risk:", 5) == 0) ok = strcmp(ENG_RISK_NAMES[d.risk], flag + 5) == 0;
        else ck_abort_msg("line %d: unknown flag '%s'", line, flag);
        if (!ok)
            return snprintf(why, why_size, "flag %s does not hold (risk %s, score %d)", flag,
                            ENG_RISK_NAMES[d.risk], d.abuse_score), why;
    }
    if (!d.compliance.passed)
        return snprintf(why, why_size, "reply fails the guard: %s", d.compliance.violations[0].detail), why;
    return NULL;
}

/* Expand the first * in the row and recurse; run the row when none is left. */
static int expand_and_run(char **f, int line)
{
    static const struct { int col; const char *const *values; int n; } SETS[] = {
        { C_CHANNEL, ENG_CHANNEL_NAMES, CHANNEL_COUNT },
        { C_FUL, ENG_FULFILLMENT_NAMES, FULFILLMENT_COUNT },
        { C_CUSTOM, YES_NO, 2 },
        { C_SHIP, YES_NO, 2 },
        { C_DELAY, DELAYS, 4 },
    };
    for (size_t s = 0; s < sizeof(SETS) / sizeof(SETS[0]); s++) {
        if (strcmp(f[SETS[s].col], "*") != 0)
            continue;
        int failures = 0;
        for (int v = 0; v < SETS[s].n; v++) {
            f[SETS[s].col] = (char *)(uintptr_t)SETS[s].values[v];
            failures += expand_and_run(f, line);
        }
        f[SETS[s].col] = (char *)"*";
        return failures;
    }
    char why[256];
    const char *failure = run_row(f, line, why, sizeof(why));
    if (failure != NULL) {
        fprintf(stderr, "engine_cases.tsv:%d [%s %s %s custom=%s shipped=%s delay=%s]: %s\n", line,
                f[C_CATEGORY], f[C_CHANNEL], f[C_FUL], f[C_CUSTOM], f[C_SHIP], f[C_DELAY], failure);
        return 1;
    }
    return 0;
}

START_TEST(decision_table)
{
    FILE *file = open_data("engine_cases.tsv");
    char line_text[1024];
    int line = 0, failures = 0;
    rows_run = 0;
    while (fgets(line_text, sizeof(line_text), file) != NULL) {
        line++;
        if (line_text[0] == '#' || line_text[0] == '\n')
            continue;
        char *f[N_COLS];
        ck_assert_msg(split_tabs(line_text, f, N_COLS) == N_COLS, "engine_cases.tsv:%d: needs %d columns", line, N_COLS);
        failures += expand_and_run(f, line);
    }
    fclose(file);
    ck_assert_msg(failures == 0, "%d decision-table cases failed (see above)", failures);
    ck_assert_int_ge(rows_run, 150); /* every category x channel x fulfilment x custom that matters */
}
END_TEST

/* ---- properties over generated cases ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int64_t rng_range(int64_t lo, int64_t hi) { return lo + (int64_t)(rng() % (uint64_t)(hi - lo + 1)); }

static void random_case(struct eng_case *c, struct eng_history *h)
{
    static const char *const CURRENCIES[] = { "USD", "EUR", "JPY", "KWD", "GBP", "CNY", "TWD" };
    static const char *const LANGS[] = { "en", "zh-Hans", "zh", "zh-TW", "zh-Hant", "de", "fr", "es", "it",
                                         "ja", "pt-BR", "ko", "en-GB", "de-CH" };
    static const char *const NAMES[] = { "Jane", "Zoë", "王芳", "田中", "", NULL };
    memset(c, 0, sizeof(*c));
    c->channel = (enum eng_channel)rng_range(0, CHANNEL_COUNT - 1);
    c->order.order_id = "113-1234567-1234567";
    c->order.sku = "SKU";
    c->order.currency = eng_currency_find(CURRENCIES[rng_range(0, 6)]);
    c->order.item_price = rng_range(0, 3) == 0 ? rng_range(0, 100) : rng_range(100, 100000000);
    c->order.quantity = rng_range(1, 6);
    c->order.shipping_paid = rng_range(0, 3000);
    c->order.unit_cost = rng_range(0, 2) == 0 ? -1 : rng_range(0, c->order.item_price * 2 + 1);
    c->order.fulfillment = (enum eng_fulfillment)rng_range(0, 1);
    c->order.customized = rng_range(0, 1);
    c->order.shipped = rng_range(0, 4) != 0;
    c->order.delivered_at = c->order.shipped && rng_range(0, 1) ? NOW - rng_range(0, 90 * 86400) : 0;
    c->buyer.buyer_id = "B";
    c->buyer.name = NAMES[rng_range(0, 5)];
    c->buyer.language = LANGS[rng_range(0, 13)];
    c->issue.category = (enum eng_category)rng_range(0, CAT_COUNT - 1);
    c->issue.delay_days = rng_range(-5, 30);
    c->issue.items_affected = rng_range(1, c->order.quantity);
    c->signals.a_to_z_claim = rng_range(0, 5) == 0;
    c->signals.chargeback = rng_range(0, 9) == 0;
    memset(h, 0, sizeof(*h));
    if (rng_range(0, 2) == 0) {
        h->cases_90d = rng_range(0, 8);
        h->same_category_90d = rng_range(0, h->cases_90d);
        h->refunded_90d = rng_range(0, h->cases_90d);
        h->spent_365d = rng_range(0, 500000);
        h->refunded_amount_365d = rng_range(0, 500000);
        h->not_received_365d = rng_range(0, 3);
        h->abuse_confirmed = rng_range(0, 8) == 0;
    }
}

static void check_remedy_bounds(const struct eng_case *c, const struct eng_remedy *r, const char *what)
{
    int64_t paid = c->order.item_price * c->order.quantity + c->order.shipping_paid;
    ck_assert_msg(r->refund_amount >= 0 && r->refund_amount <= paid, "%s: refund %lld exceeds paid %lld", what,
                  (long long)r->refund_amount, (long long)paid);
    if (c->channel == CHANNEL_AMAZON)
        ck_assert_msg(!has_action(r, ACT_COUPON), "%s: a coupon on Amazon", what);
}

START_TEST(properties_hold_for_generated_cases)
{
    enum { N = 20000 };
    int firm = 0;
    for (int i = 0; i < N; i++) {
        struct eng_case c;
        struct eng_history h;
        random_case(&c, &h);
        struct eng_decision d;
        ck_assert_msg(eng_decide(&c, eng_policy_default(), &h, NOW, &d) == 0, "case %d: decide failed", i);
        check_remedy_bounds(&c, &d.remedy, "remedy");
        for (int a = 0; a < d.n_alternatives; a++)
            check_remedy_bounds(&c, &d.alternatives[a], "alternative");
        if (d.remedy.keep_item && d.tier != TIER_FIRM)
            ck_assert_msg(d.remedy.cost <= d.full_return.cost,
                          "case %d (%s): keeping costs %lld, a return %lld", i, ENG_CATEGORY_NAMES[c.issue.category],
                          (long long)d.remedy.cost, (long long)d.full_return.cost);
        ck_assert_msg(d.compliance.passed, "case %d: reply fails the guard (%s): %s", i,
                      d.compliance.violations[0].code, d.body);
        ck_assert_msg(strchr(d.body, '{') == NULL && d.body[0] != '\0', "case %d: unrendered reply", i);
        ck_assert((d.tier == TIER_FIRM) == (d.risk == RISK_HIGH || has_action(&d.remedy, ACT_MANUAL_REVIEW)));
        if (d.risk == RISK_HIGH)
            ck_assert_msg(d.remedy.refund_amount == 0, "high risk must not refund automatically");
        ck_assert(d.respond_by == NOW + 24 * 3600);
        ck_assert((d.a_to_z_respond_by != 0) == c.signals.a_to_z_claim);
        firm += d.tier == TIER_FIRM;
    }
    ck_assert_int_gt(firm, 0); /* the generator does reach the firm tier */
}
END_TEST

START_TEST(every_template_renders_in_every_language_and_exponent)
{
    static const char *const CURRENCIES[] = { "JPY", "USD", "KWD" }; /* exponents 0, 2, 3 */
    int rendered = 0;
    for (int lang = 0; lang < LANG_COUNT; lang++)
        for (int cur = 0; cur < 3; cur++)
            for (int cat = 0; cat < CAT_COUNT; cat++)
                for (int ch = 0; ch < CHANNEL_COUNT; ch++)
                    for (int variant = 0; variant < 8; variant++) {
                        struct eng_case c;
                        memset(&c, 0, sizeof(c));
                        c.channel = (enum eng_channel)ch;
                        c.order.order_id = "A-1";
                        c.order.sku = "S";
                        c.order.currency = eng_currency_find(CURRENCIES[cur]);
                        c.order.item_price = 123456;
                        c.order.quantity = 2;
                        c.order.shipping_paid = 500;
                        c.order.unit_cost = -1;
                        c.order.customized = variant & 1;
                        c.order.shipped = !(variant & 2);
                        c.order.fulfillment = (variant & 4) ? FULFILLMENT_FBA : FULFILLMENT_FBM;
                        c.order.delivered_at = (variant & 2) ? 0 : NOW - 86400 * (variant & 4 ? 40 : 2);
                        c.buyer.buyer_id = "B";
                        c.buyer.name = variant & 1 ? "Kim" : NULL;
                        c.buyer.language = ENG_LANGUAGE_TAGS[lang];
                        c.issue.category = (enum eng_category)cat;
                        c.issue.items_affected = 1;
                        c.issue.delay_days = variant & 2 ? 12 : 3;
                        struct eng_history h = { 0 };
                        if (variant == 7)
                            h.same_category_90d = h.cases_90d = 3;
                        struct eng_decision d;
                        ck_assert(eng_decide(&c, eng_policy_default(), &h, NOW, &d) == 0);
                        ck_assert_int_eq(d.language, lang);
                        ck_assert_msg(d.compliance.passed, "%s %s %s: %s", ENG_LANGUAGE_TAGS[lang],
                                      CURRENCIES[cur], ENG_CATEGORY_NAMES[cat], d.compliance.violations[0].detail);
                        ck_assert_msg(strstr(d.body, "A-1") != NULL && strstr(d.subject, "A-1") != NULL,
                                      "%s %s variant %d: order id missing: %s", ENG_LANGUAGE_TAGS[lang],
                                      ENG_CATEGORY_NAMES[cat], variant, d.body);
                        rendered++;
                    }
    ck_assert_int_eq(rendered, LANG_COUNT * 3 * CAT_COUNT * CHANNEL_COUNT * 8);
}
END_TEST

/* A plain shipped case to start from: one unit, Amazon, FBM, English. */
static struct eng_case plain_case(enum eng_category category, const char *currency, int64_t price)
{
    struct eng_case c;
    memset(&c, 0, sizeof(c));
    c.channel = CHANNEL_AMAZON;
    c.order.order_id = "X";
    c.order.sku = "S";
    c.order.currency = eng_currency_find(currency);
    c.order.item_price = price;
    c.order.quantity = 1;
    c.order.unit_cost = -1;
    c.order.shipped = true;
    c.buyer.buyer_id = "B";
    c.buyer.language = "en";
    c.issue.category = category;
    c.issue.items_affected = 1;
    return c;
}

START_TEST(reply_structure_and_personalisation)
{
    struct eng_case c = plain_case(CAT_MINOR_DEFECT, "USD", 2599);
    c.order.order_id = "113-1234567-1234567";
    c.order.shipping_paid = 499;
    c.order.unit_cost = 900;
    c.order.customized = true;
    c.buyer.name = "Jane";
    struct eng_history h = { 0 };
    struct eng_decision d;
    ck_assert(eng_decide(&c, eng_policy_default(), &h, NOW, &d) == 0);
    /* the contract's worked example: 30 % of 25.99 is 7.80, and she may still return it */
    ck_assert_int_eq(d.remedy.refund_amount, 780);
    ck_assert(strstr(d.body, "Hi Jane,") == d.body);                         /* personal */
    char *sorry = strstr(d.body, "sorry"), *offer = strstr(d.body, "$7.80");
    ck_assert(sorry != NULL && offer != NULL && sorry < offer);              /* apology first */
    ck_assert(strstr(d.body, "30%") != NULL);
    char *alt = strstr(d.body, "$30.98");                                    /* the alternative */
    ck_assert(alt != NULL && alt > offer);
    ck_assert(strstr(d.body, "Thank you") != NULL);                          /* a warm close */
    ck_assert(strstr(d.body, "review") == NULL && strstr(d.body, "feedback") == NULL);
    /* a review on Amazon changes nothing about the remedy */
    c.signals.review_type = REVIEW_PRODUCT;
    c.signals.review_rating = 1;
    struct eng_decision with_review;
    ck_assert(eng_decide(&c, eng_policy_default(), &h, NOW, &with_review) == 0);
    ck_assert_int_eq(with_review.remedy.refund_amount, d.remedy.refund_amount);
    ck_assert_str_eq(with_review.body, d.body);
    /* no name: a greeting without one */
    c.buyer.name = NULL;
    ck_assert(eng_decide(&c, eng_policy_default(), &h, NOW, &d) == 0);
    ck_assert(strstr(d.body, "Hello,") == d.body);
}
END_TEST

START_TEST(deadlines_follow_signals)
{
    struct eng_case c = plain_case(CAT_LOST_IN_TRANSIT, "EUR", 1000);
    c.buyer.language = "de";
    c.signals.a_to_z_claim = true;
    c.signals.chargeback = true;
    struct eng_history h = { 0 };
    struct eng_decision d;
    ck_assert(eng_decide(&c, eng_policy_default(), &h, NOW, &d) == 0);
    ck_assert_int_eq(d.respond_by - NOW, 24 * 3600);
    ck_assert_int_eq(d.a_to_z_respond_by - NOW, 72 * 3600);
    ck_assert_int_eq(d.chargeback_respond_by - NOW, 7 * 24 * 3600);
}
END_TEST

START_TEST(items_affected_and_quantity)
{
    struct eng_case c = plain_case(CAT_MINOR_DEFECT, "USD", 1000);
    c.channel = CHANNEL_SHOPIFY;
    c.order.quantity = 4;
    c.order.shipping_paid = 400;
    c.issue.items_affected = 2;
    struct eng_history h = { 0 };
    struct eng_decision d;
    ck_assert(eng_decide(&c, eng_policy_default(), &h, NOW, &d) == 0);
    ck_assert_int_eq(d.remedy.refund_amount, 600); /* 30 % of the two affected units */
    /* the return alternative refunds the affected units and their shipping share */
    ck_assert_int_eq(eng_remedy_action_amount(&d.alternatives[0], ACT_RETURN_REFUND), 2000 + 200);
    c.issue.items_affected = 5;
    ck_assert_int_eq(eng_decide(&c, eng_policy_default(), &h, NOW, &d), -1);
}
END_TEST

START_TEST(sku_costs_replace_the_ratios)
{
    struct eng_case c = plain_case(CAT_DAMAGED_IN_TRANSIT, "USD", 10000);
    c.channel = CHANNEL_SHOPIFY;
    c.order.quantity = 3;
    c.issue.items_affected = 2;
    struct eng_history h = { 0 };
    struct eng_decision d;
    ck_assert(eng_decide(&c, eng_policy_default(), &h, NOW, &d) == 0);
    ck_assert_str_eq(d.unit_cost_source, "ratio");
    ck_assert_int_eq(d.unit_cost, 3500);
    c.sku_costs.set = SKU_UNIT_COST | SKU_OUTBOUND_POSTAGE | SKU_RETURN_POSTAGE | SKU_HANDLING | SKU_RESALE;
    c.sku_costs.unit_cost = 4000;
    c.sku_costs.outbound_postage = 700;
    c.sku_costs.return_postage = 900;
    c.sku_costs.handling = 100;
    c.sku_costs.resale_percent = 0;
    ck_assert(eng_decide(&c, eng_policy_default(), &h, NOW, &d) == 0);
    ck_assert_str_eq(d.unit_cost_source, "sku");
    ck_assert_int_eq(d.remedy.primary, ACT_REPLACEMENT);
    ck_assert_int_eq(d.remedy.cost, 2 * 4000 + 2 * 700); /* per unit, times the two affected */
    /* full return: refund 20000 + return postage 1800 + handling 200, nothing resold */
    ck_assert_int_eq(d.full_return.cost, 20000 + 1800 + 200);
}
END_TEST

START_TEST(percent_rounds_half_up_without_overflow)
{
    int64_t out;
    ck_assert(eng_percent_of(2599, 30, &out) && out == 780); /* 779.7 */
    ck_assert(eng_percent_of(5, 10, &out) && out == 1);      /* 0.5 rounds up */
    ck_assert(eng_percent_of(4, 10, &out) && out == 0);      /* 0.4 rounds down */
    ck_assert(eng_percent_of(1, 50, &out) && out == 1);
    ck_assert(eng_percent_of(0, 30, &out) && out == 0);
    ck_assert(eng_percent_of(100000000000LL, 100, &out) && out == 100000000000LL);
    ck_assert(!eng_percent_of(INT64_MAX / 10, 100, &out));
    ck_assert(!eng_percent_of(-1, 10, &out));
}
END_TEST

START_TEST(money_formats_as_natives_write_it)
{
    static const struct { int64_t minor; const char *cur; enum eng_language lang; const char *expected; } CASES[] = {
        { 780, "USD", LANG_EN, "$7.80" },
        { 123456789, "USD", LANG_EN, "$1,234,567.89" },
        { 780, "EUR", LANG_EN, "€7.80" },
        { 780, "EUR", LANG_DE, "7,80 €" },
        { 123456, "EUR", LANG_DE, "1.234,56 €" },
        { 123456, "EUR", LANG_FR, "1\u202f234,56 €" },
        { 123456, "EUR", LANG_ES, "1.234,56 €" },
        { 780, "EUR", LANG_IT, "7,80 €" },
        { 780, "USD", LANG_DE, "7,80 $" },
        { 780, "JPY", LANG_JA, "780円" },
        { 1500, "JPY", LANG_EN, "¥1,500" },
        { 780, "USD", LANG_JA, "$7.80" },
        { 7800, "KWD", LANG_EN, "KWD 7.800" },
        { 7800, "KWD", LANG_DE, "7,800 KWD" },
        { 780, "USD", LANG_ZH_HANS, "7.80美元" },
        { 780, "CNY", LANG_ZH_HANS, "7.80元" },
        { 780, "EUR", LANG_ZH_HANT, "7.80歐元" },
        { 780, "TWD", LANG_ZH_HANT, "NT$7.80" },
        { 780, "JPY", LANG_ZH_HANT, "780日圓" },
        { 5, "USD", LANG_EN, "$0.05" },
        { 0, "JPY", LANG_JA, "0円" },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        char out[64];
        ck_assert(eng_money_format(CASES[i].minor, eng_currency_find(CASES[i].cur), CASES[i].lang, out, sizeof(out)));
        ck_assert_str_eq(out, CASES[i].expected);
    }
    ck_assert_ptr_null(eng_currency_find("XXX"));
    ck_assert_ptr_null(eng_currency_find("usd"));
    ck_assert_int_eq(eng_currency_find("JPY")->exponent, 0);
    ck_assert_int_eq(eng_currency_find("KWD")->exponent, 3);
}
END_TEST

/* One reader of decimal amounts for imports and the connectors' price
 * fields: the currency's own decimals, exact trailing zeros allowed. */
START_TEST(money_parses_decimal_text_by_the_currency)
{
    static const struct {
        const char *text;
        int exponent;
        int64_t minor; /* -1: refused */
    } CASES[] = {
        { "12", 2, 1200 },     { "12.5", 2, 1250 },    { "12.50", 2, 1250 },   { "0.05", 2, 5 },
        { "1500", 0, 1500 },   { "1500.00", 0, 1500 }, { "1.234", 3, 1234 },   { "1500.5", 0, -1 },
        { "12.345", 2, -1 },   { "12.", 2, -1 },       { ".5", 2, -1 },        { "", 2, -1 },
        { "-1", 2, -1 },       { "1,50", 2, -1 },      { "1 500", 2, -1 },     { "$5", 2, -1 },
        { "99999999999999999999", 2, -1 },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        int64_t minor = -7;
        const char *why = eng_money_parse(CASES[i].text, CASES[i].exponent, &minor);
        if (CASES[i].minor < 0) {
            ck_assert_msg(why != NULL, "%s accepted", CASES[i].text);
        } else {
            ck_assert_msg(why == NULL, "%s: %s", CASES[i].text, why);
            ck_assert_int_eq(minor, CASES[i].minor);
        }
    }
}
END_TEST

START_TEST(language_tags_map_and_fall_back)
{
    static const struct { const char *tag; enum eng_language lang; bool fell_back; } CASES[] = {
        { "en", LANG_EN, false }, { "EN-us", LANG_EN, false }, { "zh", LANG_ZH_HANS, false },
        { "zh-CN", LANG_ZH_HANS, false }, { "zh-Hans", LANG_ZH_HANS, false }, { "zh-Hant", LANG_ZH_HANT, false },
        { "zh-TW", LANG_ZH_HANT, false }, { "zh-HK", LANG_ZH_HANT, false }, { "zh-Hant-TW", LANG_ZH_HANT, false },
        { "de", LANG_DE, false }, { "de-AT", LANG_DE, false }, { "fr-CA", LANG_FR, false },
        { "es-MX", LANG_ES, false }, { "it", LANG_IT, false }, { "ja-JP", LANG_JA, false },
        { "pt-BR", LANG_EN, true }, { "ko", LANG_EN, true }, { "dex", LANG_EN, true },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        bool fell_back;
        ck_assert_msg(eng_language_resolve(CASES[i].tag, &fell_back) == CASES[i].lang, "%s", CASES[i].tag);
        ck_assert_msg(fell_back == CASES[i].fell_back, "%s", CASES[i].tag);
    }
}
END_TEST

/* ---- the guard ---- */

/* Escapes in guard_cases.tsv, so that invisible and invalid text stays
 * readable: \xHH is that byte, \u{H...} that code point in UTF-8,
 * {N*text} is text N times, \\ a backslash. In place (never longer). */
static void unescape(char *s)
{
    char *out = s;
    while (*s) {
        if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
            char hex[3] = { s[2], s[3], 0 };
            *out++ = (char)strtol(hex, NULL, 16);
            s += 4;
        } else if (s[0] == '\\' && s[1] == 'u' && s[2] == '{') {
            char *close;
            unsigned long cp = strtoul(s + 3, &close, 16);
            ck_assert_msg(*close == '}', "bad \\u{} escape");
            if (cp < 0x80) {
                *out++ = (char)cp;
            } else if (cp < 0x800) {
                *out++ = (char)(0xC0 | cp >> 6);
                *out++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *out++ = (char)(0xE0 | cp >> 12);
                *out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *out++ = (char)(0x80 | (cp & 0x3F));
            }
            s = close + 1;
        } else if (s[0] == '\\' && s[1] == '\\') {
            *out++ = '\\';
            s += 2;
        } else {
            *out++ = *s++;
        }
    }
    *out = '\0';
}

/* {N*text} repeated, into a new string (caller frees). */
static char *expand_repeats(const char *s)
{
    size_t cap = strlen(s) + 1;
    for (const char *open = strchr(s, '{'); open; open = strchr(open + 1, '{')) {
        char *star;
        long n = strtol(open + 1, &star, 10);
        const char *close = strchr(open, '}');
        if (*star == '*' && close != NULL && n > 0)
            cap += (size_t)n * (size_t)(close - star);
    }
    char *out = malloc(cap), *w = out;
    ck_assert_ptr_nonnull(out);
    while (*s) {
        char *star;
        long n = *s == '{' ? strtol(s + 1, &star, 10) : 0;
        const char *close = n > 0 && *star == '*' ? strchr(star, '}') : NULL;
        if (close == NULL) {
            *w++ = *s++;
            continue;
        }
        for (long i = 0; i < n; i++) {
            memcpy(w, star + 1, (size_t)(close - star - 1));
            w += close - star - 1;
        }
        s = close + 1;
    }
    *w = '\0';
    return out;
}

/* The codes of a result, sorted, comma-separated. */
static void sorted_codes(const struct eng_guard_result *g, char *out, size_t size)
{
    const char *codes[ENG_MAX_VIOLATIONS];
    int n = 0;
    for (int v = 0; v < g->n_violations && n < ENG_MAX_VIOLATIONS; v++)
        codes[n++] = g->violations[v].code;
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            if (strcmp(codes[a], codes[b]) > 0) {
                const char *t = codes[a];
                codes[a] = codes[b];
                codes[b] = t;
            }
    out[0] = '\0';
    for (int a = 0; a < n; a++) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s", a ? "," : "", codes[a]);
    }
}

START_TEST(guard_cases_from_data)
{
    FILE *file = open_data("guard_cases.tsv");
    char text[8192];
    int line = 0, checked = 0, failures = 0;
    while (fgets(text, sizeof(text), file) != NULL) {
        line++;
        ck_assert_msg(strchr(text, '\n') != NULL || feof(file), "guard_cases.tsv:%d: line too long", line);
        if (text[0] == '#' || text[0] == '\n')
            continue;
        /* channel, expected codes, text, and optionally the case's own ids */
        char *f[4];
        int n_fields = split_tabs(text, f, 4);
        ck_assert_msg(n_fields >= 3, "guard_cases.tsv:%d: needs 3 or 4 columns", line);
        int channel = eng_enum_parse(ENG_CHANNEL_NAMES, CHANNEL_COUNT, f[0]);
        ck_assert(channel >= 0);
        unescape(f[2]);
        char *body = expand_repeats(f[2]);
        const char *ids[8];
        size_t n_ids = 0;
        for (char *id = n_fields == 4 ? strtok(f[3], ",") : NULL; id && n_ids < 8; id = strtok(NULL, ","))
            ids[n_ids++] = id;
        struct eng_guard_result g;
        eng_guard_check_case((enum eng_channel)channel, body, ids, n_ids, &g);
        const char *want = strcmp(f[1], "ok") == 0 ? "" : f[1];
        char got[256];
        sorted_codes(&g, got, sizeof(got));
        if (strcmp(got, want) != 0 || g.passed != (want[0] == '\0')) {
            fprintf(stderr, "guard_cases.tsv:%d: expected [%s], got [%s]: %.200s\n", line, want, got, body);
            failures++;
        }
        free(body);
        checked++;
    }
    fclose(file);
    ck_assert_msg(failures == 0, "%d guard cases failed (see above)", failures);
    ck_assert_int_ge(checked, 60);
}
END_TEST

/* "Thanks " + words × "word " + tail, on the heap. */
static char *filler_then(size_t words, const char *word, const char *tail)
{
    size_t n = strlen(word);
    char *text = malloc(7 + words * n + strlen(tail) + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, "Thanks ", 7);
    for (size_t i = 0; i < words; i++)
        memcpy(text + 7 + i * n, word, n);
    strcpy(text + 7 + words * n, tail);
    return text;
}

/* Issue #8, defect 1: 256 words per sentence were read and the rest passed. */
START_TEST(guard_reads_sentences_of_any_length)
{
    static const size_t WORDS[] = { 10, 255, 256, 257, 260, 1000, 5000, 100000 };
    static const struct { const char *word, *tail, *code; } CASES[] = {
        { "word ", "and please leave a positive review.", "review_request" },
        { "word ", "and we refund you if you remove your review.", "review_request" },
        { "word ", "call +1 555 123 4567.", "phone_number" },
        { "word ", "write to help@myshop.com.", "email_address" },
        { "word ", "see myshop.com.", "external_link" },
        { "word ", "<b>now</b>", "html" },
        { "word ", "here is a coupon.", "coupon_marketing" },
        { "谢谢", "请给我们好评", "review_request" },
        { "Dank ", "bitte hinterlassen Sie eine Bewertung.", "review_request" },
    };
    for (size_t w = 0; w < sizeof(WORDS) / sizeof(WORDS[0]); w++)
        for (size_t k = 0; k < sizeof(CASES) / sizeof(CASES[0]); k++) {
            char *text = filler_then(WORDS[w], CASES[k].word, CASES[k].tail);
            struct eng_guard_result g;
            eng_guard_check(CHANNEL_AMAZON, text, &g);
            ck_assert_msg(!g.passed && g.n_violations == 1 && strcmp(g.violations[0].code, CASES[k].code) == 0,
                          "%zu x '%s' then '%s': expected %s, got %s", WORDS[w], CASES[k].word, CASES[k].tail,
                          CASES[k].code, g.n_violations ? g.violations[0].code : "a pass");
            free(text);
        }
    /* and a long innocent sentence still passes */
    char *fine = filler_then(5000, "word ", "and thank you for your order.");
    struct eng_guard_result g;
    eng_guard_check(CHANNEL_AMAZON, fine, &g);
    ck_assert_msg(g.passed, "%s", g.n_violations ? g.violations[0].detail : "");
    free(fine);
}
END_TEST

/* What the guard cannot read is a violation, never a pass. */
START_TEST(guard_refuses_what_it_cannot_read)
{
    static const char *const NOT_UTF8[] = {
        "Thanks \xff for your order.", "Thanks \xc0\x80 (overlong)", "Thanks \xed\xa0\x80 (surrogate)",
        "Thanks \xf4\x90\x80\x80 (above U+10FFFF)", "Thanks, cut short: \xe3\x81", "\x80 a lone continuation",
    };
    for (size_t i = 0; i < sizeof(NOT_UTF8) / sizeof(NOT_UTF8[0]); i++) {
        struct eng_guard_result g;
        eng_guard_check(CHANNEL_SHOPIFY, NOT_UTF8[i], &g);
        ck_assert_msg(!g.passed && g.n_violations == 1, "case %zu passed", i);
        ck_assert_str_eq(g.violations[0].code, "unchecked");
        ck_assert(strstr(g.violations[0].detail, "UTF-8") != NULL);
    }
    /* the rest of such a text is checked all the same */
    struct eng_guard_result g;
    eng_guard_check(CHANNEL_AMAZON, "Thanks \xff, please leave a review.", &g);
    char codes[128];
    sorted_codes(&g, codes, sizeof(codes));
    ck_assert_str_eq(codes, "review_request,unchecked");
    /* the longest text it reads, and one byte more */
    char *text = malloc(ENG_GUARD_TEXT_MAX + 2);
    ck_assert_ptr_nonnull(text);
    for (size_t i = 0; i < ENG_GUARD_TEXT_MAX; i++)
        text[i] = i % 8 == 7 ? ' ' : 'a';
    text[ENG_GUARD_TEXT_MAX] = '\0';
    eng_guard_check(CHANNEL_AMAZON, text, &g);
    ck_assert_msg(g.passed, "%s", g.n_violations ? g.violations[0].detail : "");
    text[ENG_GUARD_TEXT_MAX] = 'a';
    text[ENG_GUARD_TEXT_MAX + 1] = '\0';
    eng_guard_check(CHANNEL_AMAZON, text, &g);
    ck_assert(!g.passed && g.n_violations == 1);
    ck_assert_str_eq(g.violations[0].code, "unchecked");
    free(text);
    eng_guard_check(CHANNEL_AMAZON, NULL, &g);
    ck_assert(!g.passed);
    ck_assert_str_eq(g.violations[0].code, "unchecked");
}
END_TEST

/* One name per violation, each one the contract's enumeration lists. */
START_TEST(guard_violation_names_are_the_contracts)
{
    const char *root = getenv("REDRESS_TEST_ROOT");
    char path[1024];
    snprintf(path, sizeof(path), "%s/openapi.yaml", root ? root : ".");
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024], enumeration[1024] = "";
    while (fgets(line, sizeof(line), f) != NULL)
        if (strstr(line, "enum: [review_request") != NULL)
            snprintf(enumeration, sizeof(enumeration), "%s", line);
    fclose(f);
    ck_assert_msg(enumeration[0] != '\0', "openapi.yaml: no violation enumeration");
    /* the names between [ and ] */
    char *open = strchr(strstr(enumeration, "enum:"), '['), *close = open ? strchr(open, ']') : NULL;
    ck_assert(open != NULL && close != NULL);
    *close = '\0';
    const char *listed[32];
    int n_listed = 0;
    for (char *name = strtok(open + 1, ", "); name && n_listed < 32; name = strtok(NULL, ", "))
        listed[n_listed++] = name;
    for (int v = 0; v < VIOLATION_COUNT; v++) {
        ck_assert_ptr_nonnull(ENG_VIOLATION_NAMES[v]);
        bool found = false;
        for (int k = 0; k < n_listed; k++)
            found = found || strcmp(listed[k], ENG_VIOLATION_NAMES[v]) == 0;
        ck_assert_msg(found, "openapi.yaml does not list violation %s", ENG_VIOLATION_NAMES[v]);
    }
    ck_assert_int_eq(n_listed, VIOLATION_COUNT); /* and lists nothing the guard does not say */
}
END_TEST

/* Issue #8, defect 3: a case's own order id shaped like a phone number
 * failed the reply Redress wrote for it; a real number still fails. */
START_TEST(own_identifiers_are_not_contact_details)
{
    static const char *const SHAPED[] = { "113-4567890", "0301 2345 678", "+44 20 7946 0958", "shop.com", "a@b.co" };
    for (int lang = 0; lang < LANG_COUNT; lang++)
        for (int cat = 0; cat < CAT_COUNT; cat++)
            for (size_t k = 0; k < sizeof(SHAPED) / sizeof(SHAPED[0]); k++) {
                struct eng_case c = plain_case((enum eng_category)cat, "USD", 2599);
                c.order.order_id = SHAPED[k];
                c.order.sku = "MUG.CO";
                c.ticket_id = "0800-1234567";
                c.buyer.language = ENG_LANGUAGE_TAGS[lang];
                struct eng_history h = { 0 };
                struct eng_decision d;
                ck_assert(eng_decide(&c, eng_policy_default(), &h, NOW, &d) == 0);
                ck_assert_msg(strstr(d.body, SHAPED[k]) != NULL, "the reply names the order");
                ck_assert_msg(d.compliance.passed, "%s %s, order %s: %s", ENG_LANGUAGE_TAGS[lang],
                              ENG_CATEGORY_NAMES[cat], SHAPED[k], d.compliance.violations[0].detail);
            }
    /* a phone number the buyer's name carries is no identifier of the case */
    struct eng_case c = plain_case(CAT_MINOR_DEFECT, "USD", 2599);
    c.order.order_id = "113-4567890";
    c.buyer.name = "Jane 555-123-4567";
    struct eng_history h = { 0 };
    struct eng_decision d;
    ck_assert(eng_decide(&c, eng_policy_default(), &h, NOW, &d) == 0);
    ck_assert(!d.compliance.passed);
    ck_assert_str_eq(d.compliance.violations[0].code, "phone_number");
}
END_TEST

/* Issue #8, defect 10: every rule offers a remedy (none is chosen from an
 * empty list); below high risk, no case falls back to a person for want
 * of one. */
START_TEST(every_rule_offers_a_remedy)
{
    static const int64_t DELIVERED_DAYS[] = { -1, 2, 40 };
    static const int64_t DELAYS_DAYS[] = { -2, 0, 3, 12 };
    static const int64_t PRICES[] = { 1999, 99999 };
    int decided = 0;
    for (int cat = 0; cat < CAT_COUNT; cat++)
        for (int ch = 0; ch < CHANNEL_COUNT; ch++)
            for (int bits = 0; bits < 8; bits++)
                for (size_t dd = 0; dd < 3; dd++)
                    for (size_t dl = 0; dl < 4; dl++)
                        for (size_t pr = 0; pr < 2; pr++) {
                            struct eng_case c = plain_case((enum eng_category)cat, "USD", PRICES[pr]);
                            c.channel = (enum eng_channel)ch;
                            c.order.fulfillment = bits & 1 ? FULFILLMENT_FBA : FULFILLMENT_FBM;
                            c.order.customized = bits & 2;
                            c.order.shipped = !(bits & 4) || DELIVERED_DAYS[dd] >= 0;
                            c.order.delivered_at = DELIVERED_DAYS[dd] < 0 ? 0 : NOW - DELIVERED_DAYS[dd] * 86400;
                            c.issue.delay_days = DELAYS_DAYS[dl];
                            struct eng_history h = { 0 };
                            struct eng_decision d;
                            ck_assert(eng_decide(&c, eng_policy_default(), &h, NOW, &d) == 0);
                            ck_assert_int_eq(d.risk, RISK_LOW);
                            ck_assert_msg(d.remedy.n_actions > 0 && d.remedy.primary != ACT_MANUAL_REVIEW,
                                          "%s: no remedy offered", ENG_CATEGORY_NAMES[cat]);
                            decided++;
                        }
    ck_assert_int_eq(decided, CAT_COUNT * CHANNEL_COUNT * 8 * 3 * 4 * 2);
}
END_TEST

/* ---- request validation (the HTTP layer's mapping, pure) ---- */

START_TEST(case_validation_names_every_bad_field)
{
    json_t *body = json_loads(
        "{\"channel\":\"ebay\",\"order\":{\"order_id\":\"\",\"currency\":\"usd\",\"item_price\":25.99,"
        "\"quantity\":2,\"colour\":\"red\",\"delivered_at\":\"yesterday\"},"
        "\"buyer\":{\"language\":\"english please\"},\"issue\":{\"category\":\"broken\",\"items_affected\":1},"
        "\"extra\":true}", 0, NULL);
    ck_assert_ptr_nonnull(body);
    json_t *errors = json_array();
    struct eng_case c;
    ck_assert(!case_from_json(body, &c, errors));
    const char *expected[] = { "channel", "order.order_id", "order.sku", "order.currency", "order.item_price",
                               "order.colour", "order.delivered_at", "buyer.buyer_id", "buyer.language",
                               "issue.category", "extra", NULL };
    for (int i = 0; expected[i]; i++) {
        bool found = false;
        size_t k;
        json_t *e;
        json_array_foreach(errors, k, e)
            found = found || strcmp(json_string_value(json_object_get(e, "field")), expected[i]) == 0;
        ck_assert_msg(found, "no error for %s in %s", expected[i], json_dumps(errors, 0));
    }
    json_decref(errors);
    json_decref(body);
}
END_TEST

START_TEST(case_validation_defaults_and_cross_field_rules)
{
    json_t *body = json_loads("{\"order\":{\"order_id\":\"1\",\"sku\":\"S\",\"currency\":\"JPY\",\"item_price\":780},"
                              "\"buyer\":{\"buyer_id\":\"B\"},\"issue\":{\"category\":\"usage_question\"}}", 0, NULL);
    json_t *errors = json_array();
    struct eng_case c;
    ck_assert(case_from_json(body, &c, errors));
    ck_assert_int_eq(c.channel, CHANNEL_AMAZON);
    ck_assert_int_eq(c.order.quantity, 1);
    ck_assert_int_eq(c.order.shipping_paid, 0);
    ck_assert_int_eq(c.order.fulfillment, FULFILLMENT_FBM);
    ck_assert(!c.order.customized && c.order.shipped);
    ck_assert_ptr_null(c.buyer.language); /* absent: the message's language, else en (eng_decide) */
    ck_assert_int_eq(c.order.unit_cost, -1);
    struct eng_decision *d = malloc(sizeof(*d));
    struct eng_history none = { 0 };
    ck_assert_int_eq(eng_decide(&c, eng_policy_default(), &none, 1795000000, d), 0);
    ck_assert_int_eq(d->language, LANG_EN);
    ck_assert(!d->language_fell_back);
    free(d);
    json_decref(body);
    body = json_loads("{\"order\":{\"order_id\":\"1\",\"sku\":\"S\",\"currency\":\"USD\",\"item_price\":100,"
                      "\"quantity\":2,\"ordered_at\":\"2026-11-05T00:00:00Z\",\"delivered_at\":\"2026-11-01T00:00:00+02:00\"},"
                      "\"buyer\":{\"buyer_id\":\"B\"},\"issue\":{\"category\":\"defective\",\"items_affected\":3}}",
                      0, NULL);
    ck_assert(!case_from_json(body, &c, errors));
    ck_assert_int_eq(json_array_size(errors), 2); /* items_affected > quantity; delivered before ordered */
    json_decref(body);
    body = json_loads("{\"order\":{\"order_id\":\"1\",\"sku\":\"S\",\"currency\":\"USD\",\"item_price\":100000000001},"
                      "\"buyer\":{\"buyer_id\":\"B\"},\"issue\":{\"category\":\"defective\"}}", 0, NULL);
    json_array_clear(errors);
    ck_assert(!case_from_json(body, &c, errors)); /* an amount that could overflow sums is refused */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errors, 0), "field")), "order.item_price");
    json_decref(body);
    json_decref(errors);
}
END_TEST

/* The embedded English file, with one sentence replaced. */
static char *english_with(const char *section, const char *key, const char *text)
{
    const char *root = getenv("REDRESS_TEST_ROOT");
    char path[1024];
    snprintf(path, sizeof(path), "%s/service/engine/templates/en.json", root ? root : ".");
    json_t *doc = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    json_t *target = section ? json_object_get(doc, section) : doc;
    if (text != NULL)
        json_object_set_new(target, key, json_string(text));
    else
        json_object_del(target, key);
    char *out = json_dumps(doc, 0);
    json_decref(doc);
    return out;
}

START_TEST(bad_templates_are_refused_with_a_clear_message)
{
    static const struct { const char *section, *key, *text, *expected; } CASES[] = {
        { NULL, "close", "Thanks! Please leave us a 5-star review.", "close fails the amazon guard (review_request" },
        { "remedy", "full_refund", "Refunded {amount}. Questions? Call +1 555 123 4567.", "phone_number" },
        { "extra", "gesture_refund", "Here is 10% off your next order too.", "fails the amazon guard (coupon_marketing" },
        { "remedy", "replacement", "A new one ships to {adress}.", "unknown placeholder" },
        { "issue", "defective", NULL, "issue.defective is missing" },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        char *text = english_with(CASES[i].section, CASES[i].key, CASES[i].text);
        char err[512] = "";
        ck_assert_int_eq(eng_templates_load(LANG_EN, text, strlen(text), err, sizeof(err)), -1);
        ck_assert_msg(strstr(err, CASES[i].expected) != NULL, "message '%s' should say '%s'", err, CASES[i].expected);
        ck_assert(strstr(err, "en.json") != NULL);
        free(text);
    }
    /* a coupon sentence is fine where coupons are: only Amazon's guard applies to the others */
    char *fine = english_with("extra", "gesture_coupon", "As a thank-you, {gesture_percent}% off your next order.");
    char err[512];
    ck_assert_int_eq(eng_templates_load(LANG_EN, fine, strlen(fine), err, sizeof(err)), 0);
    free(fine);
}
END_TEST

/* ---- the guard over HTTP ---- */

static struct th_server guard_srv;
static char guard_auth[TH_AUTH_HEADER_SIZE];

static void guard_http_setup(void)
{
    char name[64], key[APIKEY_LEN + 1];
    th_server_start(&guard_srv, th_conninfo(), NULL);
    th_tenant_with_auth(th_conninfo(), name, key, guard_auth);
}

static void guard_http_teardown(void)
{
    th_server_stop(&guard_srv);
}

/* POST a JSON body (built with json_pack) to path; r->json is the answer. */
static void post_json(const char *path, json_t *body, struct th_response *r)
{
    ck_assert_ptr_nonnull(body);
    char *text = json_dumps(body, 0);
    json_decref(body);
    const char *headers[] = { guard_auth, "Content-Type: application/json", NULL };
    th_request(guard_srv.port, "POST", path, headers, text, strlen(text), r);
    free(text);
}

/* "ok" or the sorted codes of a replies/check answer. */
static const char *verdict(const struct th_response *r, char *out, size_t size)
{
    ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
    json_t *violations = json_object_get(r->json, "violations");
    struct eng_guard_result g = { .passed = json_is_true(json_object_get(r->json, "passed")) };
    static char codes[ENG_MAX_VIOLATIONS][32];
    for (size_t i = 0; i < json_array_size(violations) && i < ENG_MAX_VIOLATIONS; i++) {
        snprintf(codes[i], sizeof(codes[i]), "%s",
                 json_string_value(json_object_get(json_array_get(violations, i), "code")));
        g.violations[g.n_violations++].code = codes[i];
    }
    ck_assert(g.passed == (g.n_violations == 0));
    sorted_codes(&g, out, size);
    return out[0] ? out : "ok";
}

START_TEST(replies_check_exempts_the_named_case_only)
{
    static const struct { const char *body, *order_id, *sku, *ticket_id, *case_id, *expected; } CASES[] = {
        { "Your order 113-4567890 has shipped.", NULL, NULL, NULL, NULL, "phone_number" },
        { "Your order 113-4567890 has shipped.", "113-4567890", NULL, NULL, NULL, "ok" },
        { "Your order １１３－４５６７８９０ has shipped。", "113-4567890", NULL, NULL, NULL, "ok" },
        { "Order 113-4567890: call us on 555-123-4567.", "113-4567890", NULL, NULL, NULL, "phone_number" },
        { "Call +1 113-4567890.", "113-4567890", NULL, NULL, NULL, "phone_number" },
        { "Order 9113-4567890 has shipped.", "113-4567890", NULL, NULL, NULL, "phone_number" },
        { "SKU MUG.CO is back in stock.", NULL, NULL, NULL, NULL, "external_link" },
        { "SKU MUG.CO is back in stock.", NULL, "MUG.CO", NULL, NULL, "ok" },
        { "Ticket 0800-1234567 is closed.", NULL, NULL, "0800-1234567", NULL, "ok" },
        { "Case 0800-1234567 is closed.", NULL, NULL, NULL, "0800-1234567", "ok" },
        { "Ticket 0800-1234567: leave a review.", NULL, NULL, "0800-1234567", NULL, "review_request" },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        json_t *body = json_pack("{s:s, s:s}", "channel", "amazon", "body", CASES[i].body);
        if (CASES[i].order_id)
            json_object_set_new(body, "order_id", json_string(CASES[i].order_id));
        if (CASES[i].sku)
            json_object_set_new(body, "sku", json_string(CASES[i].sku));
        if (CASES[i].ticket_id)
            json_object_set_new(body, "ticket_id", json_string(CASES[i].ticket_id));
        if (CASES[i].case_id)
            json_object_set_new(body, "case_id", json_string(CASES[i].case_id));
        struct th_response r;
        post_json("/v1/replies/check", body, &r);
        char codes[128];
        ck_assert_msg(strcmp(verdict(&r, codes, sizeof(codes)), CASES[i].expected) == 0, "case %zu (%s): got %s",
                      i, CASES[i].body, codes[0] ? codes : "ok");
        th_response_free(&r);
    }
    /* the new fields are validated like the rest */
    struct th_response r;
    post_json("/v1/replies/check", json_pack("{s:s, s:s, s:s, s:i}", "channel", "amazon", "body", "Hi.", "order_id",
                                             "", "sku", 5), &r);
    ck_assert_int_eq(r.status, 400);
    json_t *errors = json_object_get(r.json, "errors");
    ck_assert_int_eq(json_array_size(errors), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errors, 0), "field")), "order_id");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errors, 1), "field")), "sku");
    th_response_free(&r);
}
END_TEST

/* Defects 1 and 2 as a client sees them. */
START_TEST(replies_check_catches_long_and_wide_text)
{
    char *long_sentence = filler_then(260, "word ", "and please leave a positive review.");
    static const struct { const char *body, *expected; } CASES[] = {
        { NULL, "review_request" },
        { "Write to help@myshop.example.com.", "email_address" },
        { "Write to help＠myshop.com。", "email_address" },
        { "jane.doe@gmail.com", "email_address" },
        { "See ｍｙｓｈｏｐ．ｃｏｍ！", "external_link" },
        { "Call ＋１ ５５５ １２３ ４５６７。", "phone_number" },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        struct th_response r;
        post_json("/v1/replies/check",
                  json_pack("{s:s, s:s}", "channel", "amazon", "body", CASES[i].body ? CASES[i].body : long_sentence),
                  &r);
        char codes[128];
        ck_assert_msg(strcmp(verdict(&r, codes, sizeof(codes)), CASES[i].expected) == 0, "case %zu: got %s", i,
                      codes[0] ? codes : "ok");
        th_response_free(&r);
    }
    free(long_sentence);
}
END_TEST

/* Defect 3 end to end: a recorded case whose order id looks like a phone
 * number gets a reply that passes its own guard. */
START_TEST(case_with_phone_shaped_order_id_passes_its_own_reply)
{
    static const char *const PATHS[] = { "/v1/cases", "/v1/cases?dry_run=true" };
    static const long STATUS[] = { 201, 200 };
    for (int i = 0; i < 2; i++) {
        json_t *body = json_pack(
            "{s:s, s:s, s:{s:s, s:s, s:s, s:i}, s:{s:s, s:s, s:s}, s:{s:s}}", "ticket_id", "0800-1234567",
            "channel", "amazon", "order", "order_id", "113-4567890", "sku", "MUG.CO", "currency", "USD",
            "item_price", 2599, "buyer", "buyer_id", "GUARD-1", "name", "Jane", "language", "en", "issue",
            "category", "minor_defect");
        struct th_response r;
        post_json(PATHS[i], body, &r);
        ck_assert_msg(r.status == STATUS[i], "%s: %ld %s", PATHS[i], r.status, r.body);
        json_t *reply = json_object_get(r.json, "reply");
        ck_assert(strstr(json_string_value(json_object_get(reply, "body")), "113-4567890") != NULL);
        json_t *compliance = json_object_get(reply, "compliance");
        ck_assert_msg(json_is_true(json_object_get(compliance, "passed")), "%s",
                      json_dumps(compliance, 0));
        ck_assert_int_eq(json_array_size(json_object_get(compliance, "violations")), 0);
        th_response_free(&r);
    }
}
END_TEST

Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("decisions");
    tcase_add_unchecked_fixture(tc, engine_setup, NULL);
    tcase_add_checked_fixture(tc, engine_setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, decision_table);
    tcase_add_test(tc, properties_hold_for_generated_cases);
    tcase_add_test(tc, every_template_renders_in_every_language_and_exponent);
    tcase_add_test(tc, reply_structure_and_personalisation);
    tcase_add_test(tc, deadlines_follow_signals);
    tcase_add_test(tc, items_affected_and_quantity);
    tcase_add_test(tc, sku_costs_replace_the_ratios);
    tcase_add_test(tc, percent_rounds_half_up_without_overflow);
    tcase_add_test(tc, money_formats_as_natives_write_it);
    tcase_add_test(tc, money_parses_decimal_text_by_the_currency);
    tcase_add_test(tc, language_tags_map_and_fall_back);
    tcase_add_test(tc, guard_cases_from_data);
    tcase_add_test(tc, guard_reads_sentences_of_any_length);
    tcase_add_test(tc, guard_refuses_what_it_cannot_read);
    tcase_add_test(tc, guard_violation_names_are_the_contracts);
    tcase_add_test(tc, own_identifiers_are_not_contact_details);
    tcase_add_test(tc, every_rule_offers_a_remedy);
    tcase_add_test(tc, case_validation_names_every_bad_field);
    tcase_add_test(tc, case_validation_defaults_and_cross_field_rules);
    tcase_add_test(tc, bad_templates_are_refused_with_a_clear_message);
    suite_add_tcase(s, tc);

    TCase *http = tcase_create("guard over HTTP");
    tcase_add_checked_fixture(http, guard_http_setup, guard_http_teardown);
    tcase_set_timeout(http, 120);
    tcase_add_test(http, replies_check_exempts_the_named_case_only);
    tcase_add_test(http, replies_check_catches_long_and_wide_text);
    tcase_add_test(http, case_with_phone_shaped_order_id_passes_its_own_reply);
    suite_add_tcase(s, http);
    return s;
}
