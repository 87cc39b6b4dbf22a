/* Issue #11, triage: the buyer's own words open a case. The engine's
 * reading (lexicons checked at start, negation, quoting, languages), held
 * to the labelled set of tests/data/triage (written before the lexicons
 * were tuned); properties over generated text; the decision's use of what
 * it read; and the API: issue.message, POST /v1/triage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_json.h"
#include "engine.h"
#include "harness.h"
#include "triage_set.h"

static const int64_t NOW = 1795000000;

static void engine_setup(void)
{
    char err[512];
    ck_assert_msg(eng_templates_init(err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(eng_triage_init(err, sizeof(err)) == 0, "%s", err);
}

static struct eng_triage read_text(const char *text)
{
    struct eng_triage t;
    ck_assert_int_eq(eng_triage(text, strlen(text), &t), 0);
    return t;
}

static bool has(const struct eng_triage *t, enum eng_triage_signal s)
{
    return (t->signals & ENG_TRIAGE_SIGNAL_BIT(s)) != 0;
}

/* ---- the lexicons are checked at start ---- */

static const char LEXICON_PATH[] = "service/engine/triage/en.json";

/* The embedded English lexicon with one member replaced (JSON text). */
static char *lexicon_with(const char *member, const char *json_value)
{
    size_t len;
    char *text = th_read_file(LEXICON_PATH, &len);
    json_t *doc = json_loadb(text, len, 0, NULL);
    free(text);
    ck_assert_ptr_nonnull(doc);
    json_t *value = json_loads(json_value, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(value);
    const char *dot = strchr(member, '.');
    if (dot == NULL) {
        json_object_set_new(doc, member, value);
    } else {
        char group[64];
        snprintf(group, sizeof(group), "%.*s", (int)(dot - member), member);
        json_object_set_new(json_object_get(doc, group), dot + 1, value);
    }
    char *out = json_dumps(doc, 0);
    json_decref(doc);
    return out;
}

static void assert_refused(const char *member, const char *json_value, const char *expected)
{
    char *text = lexicon_with(member, json_value);
    char err[512] = "";
    int rc = eng_triage_check_lexicon(LEXICON_PATH, text, strlen(text), err, sizeof(err));
    free(text);
    ck_assert_msg(rc == -1, "%s = %s was accepted", member, json_value);
    ck_assert_msg(strstr(err, expected) != NULL, "%s = %s: \"%s\" does not say \"%s\"", member, json_value, err,
                  expected);
}

START_TEST(lexicons_load_and_every_broken_rule_is_refused)
{
    size_t len;
    char *text = th_read_file(LEXICON_PATH, &len);
    char err[512] = "";
    ck_assert_msg(eng_triage_check_lexicon(LEXICON_PATH, text, len, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(eng_triage_check_lexicon("service/engine/triage/de.json", text, len, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "language") != NULL, "%s", err);
    free(text);

    assert_refused("language", "\"ko\"", "language");
    assert_refused("stopword", "[\"the\"]", "stopword: is not a member");
    assert_refused("categories.wrong_items", "{\"wrong\": 3}", "categories");
    assert_refused("categories.wrong_item", "{}", "categories.wrong_item");
    assert_refused("categories.wrong_item", "{\"sent the wrong one\": 6}", "weight must be an integer from 1 to 5");
    assert_refused("categories.wrong_item", "{\"sent the wrong one\": 0}", "weight must be an integer from 1 to 5");
    assert_refused("categories.defective", "{\"broken. really\": 2}", "ends a clause");
    assert_refused("categories.defective", "{\"*\": 2}", "has no letters");
    assert_refused("categories.defective", "{\"rott* in due\": 2}", "stands only at a phrase");
    assert_refused("categories.wrong_item", "{\"ordered ... got ... back\": 2}", "joins two parts");
    assert_refused("signals.requests_refund", "[]", "non-empty array");
    assert_refused("signals.requests_refunds", "[\"refund\"]", "signals");
    assert_refused("signals.abusive_language", "[\"idiot\", 3]", "every entry must be a string");
    assert_refused("negation.window", "9", "window: 0..8");
    assert_refused("reply_headers", "[\"\"]", "reply_headers");
    char long_phrase[200];
    memset(long_phrase, 'a', sizeof(long_phrase) - 1);
    long_phrase[sizeof(long_phrase) - 1] = '\0';
    char value[256];
    snprintf(value, sizeof(value), "{\"%s\": 1}", long_phrase);
    assert_refused("categories.defective", value, "longer than 120 bytes");
    /* start-up is idempotent */
    ck_assert_int_eq(eng_triage_init(err, sizeof(err)), 0);
}
END_TEST

/* ---- how it reads ---- */

/* How it reads, case by case: the signals a message must carry and those
 * it must not, and (where it matters) the category it must or must not get. */
#define SIG(name) ENG_TRIAGE_SIGNAL_BIT(TRIAGE_##name)
enum { ANY_CATEGORY = -1 };
static const struct reading {
    const char *why;
    const char *text;
    unsigned present, absent;
    int category, not_category;
} READINGS[] = {
    /* negation */
    { "a refund refused", "I don't want a refund, I want a replacement.", SIG(REQUESTS_REPLACEMENT),
      SIG(REQUESTS_REFUND), ANY_CATEGORY, ANY_CATEGORY },
    { "money refused", "I do not want my money back. Please just send a new one.", SIG(REQUESTS_REPLACEMENT),
      SIG(REQUESTS_REFUND), ANY_CATEGORY, ANY_CATEGORY },
    { "not broken", "It's not broken, just the wrong colour. I ordered black and got a white one.", 0, 0, ANY_CATEGORY,
      CAT_DEFECTIVE },
    { "not broken (damage)", "It's not broken, just the wrong colour. I ordered black and got a white one.", 0, 0,
      ANY_CATEGORY, CAT_DAMAGED_IN_TRANSIT },
    { "zh refund refused", "我不要退款，我要换货。", SIG(REQUESTS_REPLACEMENT), SIG(REQUESTS_REFUND), ANY_CATEGORY,
      ANY_CATEGORY },
    { "zh not quality", "不是质量问题，是你们发错货了，我买的是黑色的。", 0, 0, CAT_WRONG_ITEM, ANY_CATEGORY },
    { "ja refund not needed", "返金は不要です。交換をお願いします。", SIG(REQUESTS_REPLACEMENT), SIG(REQUESTS_REFUND),
      ANY_CATEGORY, ANY_CATEGORY },
    { "de no refund but", "Ich möchte keine Erstattung, sondern einen Ersatz.", SIG(REQUESTS_REPLACEMENT),
      SIG(REQUESTS_REFUND), ANY_CATEGORY, ANY_CATEGORY },
    { "a cue in its own phrase", "It does not work and I want a refund.", SIG(REQUESTS_REFUND), 0, CAT_DEFECTIVE,
      ANY_CATEGORY },
    /* quoting and e-mail history */
    { "the seller quoted", "Where is my order? You said \"we will refund you in full\" a week ago.", 0,
      SIG(REQUESTS_REFUND), ANY_CATEGORY, ANY_CATEGORY },
    { "reply history", "Still nothing here.\n\nOn Mon, 3 Nov 2026, Shop Support wrote:\n"
                       "We are sorry. We will send you a replacement and a full refund.\n",
      0, SIG(REQUESTS_REFUND) | SIG(REQUESTS_REPLACEMENT), ANY_CATEGORY, ANY_CATEGORY },
    { "> lines", "> I want a refund\nThanks, the new one works fine now.", 0, SIG(REQUESTS_REFUND), ANY_CATEGORY,
      ANY_CATEGORY },
    { "a mark left open", "The 5\" screen cracked and I want a refund.", SIG(REQUESTS_REFUND), 0, ANY_CATEGORY,
      ANY_CATEGORY },
    { "inches", "My 10\" tablet stopped working, I want a refund for it and for the 8\" one.", SIG(REQUESTS_REFUND),
      0, ANY_CATEGORY, ANY_CATEGORY },
    { "the buyer's own 'original message'",
      "As I said in my original message\nthe heater caught fire and burned my hand. I will file an A-to-z claim.",
      SIG(MENTIONS_SAFETY_HAZARD) | SIG(THREATENS_A_TO_Z), 0, ANY_CATEGORY, ANY_CATEGORY },
    { "'wrote:' with no header", "Your agent wrote:\nwe will send a new one\nNothing came. I will dispute the charge "
                                 "with my bank.",
      SIG(THREATENS_CHARGEBACK), 0, ANY_CATEGORY, ANY_CATEGORY },
    { "a separator line", "Still waiting.\n\n-----Original Message-----\nFrom: shop@example.com\nI want a refund\n", 0,
      SIG(REQUESTS_REFUND), ANY_CATEGORY, ANY_CATEGORY },
    /* a hazard is read fail-safe */
    { "a cue not right before it", "I can't believe the charger caught fire on my desk.", SIG(MENTIONS_SAFETY_HAZARD),
      0, ANY_CATEGORY, ANY_CATEGORY },
    { "a quoted hazard", "Your manual says \"may overheat and catch fire\" and that is exactly what happened.",
      SIG(MENTIONS_SAFETY_HAZARD), 0, ANY_CATEGORY, ANY_CATEGORY },
    { "a cue right before it", "It never caught fire, it just stopped working.", 0, SIG(MENTIONS_SAFETY_HAZARD),
      ANY_CATEGORY, ANY_CATEGORY },
};

START_TEST(how_it_reads)
{
    const struct reading *r = &READINGS[_i];
    struct eng_triage t = read_text(r->text);
    ck_assert_msg((t.signals & r->present) == r->present, "%s: signals %#x, %#x expected", r->why, t.signals,
                  r->present);
    ck_assert_msg((t.signals & r->absent) == 0, "%s: signals %#x, none of %#x expected", r->why, t.signals, r->absent);
    ck_assert_msg(r->category == ANY_CATEGORY || (int)t.category == r->category, "%s: %s", r->why,
                  ENG_CATEGORY_NAMES[t.category]);
    ck_assert_msg(r->not_category == ANY_CATEGORY || (int)t.category != r->not_category, "%s: %s", r->why,
                  ENG_CATEGORY_NAMES[t.category]);
}
END_TEST

START_TEST(threats_and_hazards_carry_their_words)
{
    const char *text = "The charger caught fire on my desk. I will file an A-to-z claim and dispute the charge "
                       "with my bank, and leave a 1 star review.";
    struct eng_triage t = read_text(text);
    ck_assert(has(&t, TRIAGE_MENTIONS_SAFETY_HAZARD));
    ck_assert(has(&t, TRIAGE_THREATENS_A_TO_Z));
    ck_assert(has(&t, TRIAGE_THREATENS_CHARGEBACK));
    ck_assert(has(&t, TRIAGE_THREATENS_NEGATIVE_REVIEW));
    /* the words, as written */
    struct eng_text_span a_to_z = t.signal_matched[TRIAGE_THREATENS_A_TO_Z];
    ck_assert_msg(strstr(text, "A-to-z") >= text + a_to_z.offset
                      && strstr(text, "A-to-z") < text + a_to_z.offset + a_to_z.length,
                  "matched \"%.*s\"", a_to_z.length, text + a_to_z.offset);

    t = read_text("我要申请A-to-Z索赔，还要给差评！");
    ck_assert(has(&t, TRIAGE_THREATENS_A_TO_Z));
    ck_assert(has(&t, TRIAGE_THREATENS_NEGATIVE_REVIEW));
    ck_assert_int_eq(t.language, LANG_ZH_HANS);

    /* full-width letters and Traditional characters read as their twins */
    t = read_text("ＲＥＦＵＮＤ please, the item is broken");
    ck_assert(has(&t, TRIAGE_REQUESTS_REFUND));
    t = read_text("包裹一直沒收到，請退款。");
    ck_assert(has(&t, TRIAGE_ITEM_NOT_RECEIVED));
    ck_assert(has(&t, TRIAGE_REQUESTS_REFUND));
    ck_assert_int_eq(t.language, LANG_ZH_HANT);
}
END_TEST

START_TEST(the_language_of_the_message)
{
    static const struct { const char *text; enum eng_language language; } CASES[] = {
        { "Hello, the lamp I ordered does not turn on. What should I do?", LANG_EN },
        { "Hallo, die Lampe, die ich bestellt habe, geht nicht an. Was soll ich tun?", LANG_DE },
        { "Bonjour, la lampe que j'ai commandée ne s'allume pas. Que dois-je faire ?", LANG_FR },
        { "Hola, la lámpara que pedí no enciende. ¿Qué debo hacer?", LANG_ES },
        { "Ciao, la lampada che ho ordinato non si accende. Cosa devo fare?", LANG_IT },
        { "注文したランプが点きません。どうすればいいですか？", LANG_JA },
        { "我订购的台灯打不开，请问怎么办？订单号 112-4839201-5532011", LANG_ZH_HANS },
        { "我訂購的檯燈打不開，請問該怎麼辦？", LANG_ZH_HANT },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        struct eng_triage t = read_text(CASES[i].text);
        ck_assert_msg(t.language_known && t.language == CASES[i].language, "%s: %s", CASES[i].text,
                      t.language_known ? ENG_LANGUAGE_TAGS[t.language] : "unknown");
    }
    struct eng_triage t = read_text("112-4839201-5532011 ??? !!!");
    ck_assert(!t.language_known);
    ck_assert(t.uncertain);
    ck_assert(t.confidence == 0.0);
}
END_TEST

/* The labelled set, held to what the note reports (make triage-report
 * prints the same figures). The four account threats are never missed. */
enum {
    MIN_LANGUAGE_PERCENT = 75, MIN_CATEGORY_PERCENT = 70, MIN_SIGNAL_RECALL_PERCENT = 60,
    MIN_SIGNAL_PRECISION_PERCENT = 80,
};

START_TEST(labelled_messages_in_eight_languages)
{
    struct triage_set set;
    char err[512];
    ck_assert_msg(triage_set_load(NULL, 0, &set, err, sizeof(err)) == 0, "%s", err);
    int right[LANG_COUNT] = { 0 }, total[LANG_COUNT] = { 0 }, cat_right[CAT_COUNT] = { 0 },
        cat_total[CAT_COUNT] = { 0 }, languages_right = 0;
    int found[TRIAGE_SIGNAL_COUNT] = { 0 }, true_found[TRIAGE_SIGNAL_COUNT] = { 0 };
    int present[TRIAGE_SIGNAL_COUNT] = { 0 };
    char missed[2048] = "";
    for (size_t i = 0; i < set.n; i++) {
        const struct triage_example *e = &set.items[i];
        struct eng_triage t;
        if (eng_triage(e->message, strlen(e->message), &t) != 0)
            ck_abort_msg("%s: triage failed", e->id);
        total[e->language]++;
        right[e->language] += t.category == e->category;
        cat_total[e->category]++;
        cat_right[e->category] += t.category == e->category;
        languages_right += t.language_known && t.language == e->language;
        static const enum eng_triage_signal THREATS[] = { TRIAGE_THREATENS_NEGATIVE_REVIEW, TRIAGE_THREATENS_A_TO_Z,
                                                          TRIAGE_THREATENS_CHARGEBACK, TRIAGE_MENTIONS_SAFETY_HAZARD };
        for (size_t k = 0; k < sizeof(THREATS) / sizeof(THREATS[0]); k++) {
            unsigned bit = ENG_TRIAGE_SIGNAL_BIT(THREATS[k]);
            if ((e->signals & bit) && !(t.signals & bit)) {
                size_t used = strlen(missed);
                snprintf(missed + used, sizeof(missed) - used, " %s:%s", e->id, ENG_TRIAGE_SIGNAL_NAMES[THREATS[k]]);
            }
        }
        for (int s = 0; s < TRIAGE_SIGNAL_COUNT; s++) {
            found[s] += (t.signals & ENG_TRIAGE_SIGNAL_BIT(s)) != 0;
            present[s] += (e->signals & ENG_TRIAGE_SIGNAL_BIT(s)) != 0;
            true_found[s] += (t.signals & e->signals & ENG_TRIAGE_SIGNAL_BIT(s)) != 0;
        }
    }
    ck_assert_msg(set.n >= 8 * 40, "%zu labelled messages: the set needs 40 per language", set.n);
    ck_assert_msg(missed[0] == '\0', "account threats missed:%s", missed);
    for (int l = 0; l < LANG_COUNT; l++)
        ck_assert_msg(total[l] >= 40 && right[l] * 100 >= MIN_LANGUAGE_PERCENT * total[l], "%s: %d of %d right",
                      ENG_LANGUAGE_TAGS[l], right[l], total[l]);
    for (int c = 0; c < CAT_COUNT; c++)
        ck_assert_msg(cat_total[c] > 0 && cat_right[c] * 100 >= MIN_CATEGORY_PERCENT * cat_total[c],
                      "%s: %d of %d right", ENG_CATEGORY_NAMES[c], cat_right[c], cat_total[c]);
    ck_assert_msg(languages_right * 100 >= 95 * (int)set.n, "language: %d of %zu", languages_right, set.n);
    for (int s = 0; s < TRIAGE_SIGNAL_COUNT; s++) {
        ck_assert_msg(true_found[s] * 100 >= MIN_SIGNAL_PRECISION_PERCENT * found[s], "%s: %d of %d found are right",
                      ENG_TRIAGE_SIGNAL_NAMES[s], true_found[s], found[s]);
        ck_assert_msg(present[s] > 0 && true_found[s] * 100 >= MIN_SIGNAL_RECALL_PERCENT * present[s],
                      "%s: %d of %d found", ENG_TRIAGE_SIGNAL_NAMES[s], true_found[s], present[s]);
    }
    triage_set_free(&set);
}
END_TEST

/* ---- properties over generated text ---- */

static uint64_t rng_state;
static uint32_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

static const char *const PIECES[] = {
    "refund", "not", "don't", "broken", "A-to-z", "chargeback", "fire", " ", ",", ".", "\"", "\n", "> ",
    "退款", "不是", "没收到", "发错", "差评", "返金", "ない", "壊れ", "退貨", "沒有", "Ｒｅｆｕｎｄ", "ß", "é",
    "кириллица", "😀", "wrote:\n", "\xe2\x80\x9c", "\xe2\x80\x9d", "kaputt", "remboursement", "rimborso",
    "reembolso", "\t", "'", "-", "112-4839201-5532011", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

/* A message of up to `max` bytes built from keywords, scripts, quotes and
 * breaks; with `raw`, random bytes too (not UTF-8). */
static size_t generate(char *out, size_t max, bool raw)
{
    size_t len = 0, target = 1 + rng() % max;
    while (len < target) {
        const char *piece = PIECES[rng() % (sizeof(PIECES) / sizeof(PIECES[0]))];
        char byte[2] = { (char)(rng() % 255 + 1), '\0' };
        if (raw && rng() % 4 == 0)
            piece = byte;
        size_t n = strlen(piece);
        if (len + n > target)
            break;
        memcpy(out + len, piece, n);
        len += n;
    }
    out[len] = '\0';
    return len;
}

static void assert_well_formed(const char *text, size_t len, const struct eng_triage *t)
{
    ck_assert(t->read);
    ck_assert_int_ge(t->category, 0);
    ck_assert_int_lt(t->category, CAT_COUNT);
    ck_assert(t->confidence >= 0.0 && t->confidence <= 1.0);
    ck_assert(t->uncertain == (t->confidence < ENG_TRIAGE_CONFIDENCE_MIN));
    ck_assert_int_ge(t->n_matched, 0);
    ck_assert_int_le(t->n_matched, ENG_TRIAGE_MATCHED_MAX);
    ck_assert(!t->language_known || (t->language >= 0 && t->language < LANG_COUNT));
    ck_assert_uint_eq(t->signals & ~((1u << TRIAGE_SIGNAL_COUNT) - 1u), 0);
    size_t read = len < ENG_TRIAGE_TEXT_MAX ? len : ENG_TRIAGE_TEXT_MAX;
    for (int i = 0; i < t->n_matched; i++)
        ck_assert(t->matched[i].length > 0 && (size_t)t->matched[i].offset + t->matched[i].length <= read);
    for (int s = 0; s < TRIAGE_SIGNAL_COUNT; s++)
        if (t->signals & ENG_TRIAGE_SIGNAL_BIT(s))
            ck_assert(t->signal_matched[s].length > 0
                      && (size_t)t->signal_matched[s].offset + t->signal_matched[s].length <= read);
    (void)text;
}

START_TEST(generated_text_always_gives_a_valid_answer)
{
    enum { SIZE = ENG_TRIAGE_TEXT_MAX + 512 };
    char *text = malloc(SIZE + 1);
    ck_assert_ptr_nonnull(text);
    rng_state = 20261123;
    int bad = 0;
    for (int round = 0; round < 400; round++) {
        size_t len = generate(text, round % 4 == 0 ? SIZE : 600, round % 3 == 0);
        struct eng_triage t;
        if (eng_triage(text, len, &t) != 0) {
            bad++;
            continue;
        }
        assert_well_formed(text, len, &t);
        /* the same text, the same answer */
        struct eng_triage again;
        ck_assert_int_eq(eng_triage(text, len, &again), 0);
        ck_assert(memcmp(&t, &again, sizeof(t)) == 0);
    }
    ck_assert_int_eq(bad, 0);

    /* the adversarial shapes: one keyword 2,000 times, no spaces at all,
     * every script at once, a negation cue everywhere */
    static const char *const REPEATED[] = { "refund ", "退款", "notnotnot", "不是", "ない", "\"a\"", "kaputt*" };
    for (size_t r = 0; r < sizeof(REPEATED) / sizeof(REPEATED[0]); r++) {
        size_t len = 0, n = strlen(REPEATED[r]);
        while (len + n <= ENG_TRIAGE_TEXT_MAX) {
            memcpy(text + len, REPEATED[r], n);
            len += n;
        }
        struct eng_triage t;
        ck_assert_int_eq(eng_triage(text, len, &t), 0);
        assert_well_formed(text, len, &t);
    }
    free(text);
}
END_TEST

/* ---- the decision ---- */

static struct eng_case message_case(const char *message, enum eng_category category, bool from_message)
{
    struct eng_case c;
    memset(&c, 0, sizeof(c));
    c.channel = CHANNEL_AMAZON;
    c.order.order_id = "113-0000000-0000001";
    c.order.sku = "SKU-T";
    c.order.currency = eng_currency_find("USD");
    c.order.item_price = 4000;
    c.order.quantity = 1;
    c.order.unit_cost = 1500;
    c.order.fulfillment = FULFILLMENT_FBM;
    c.order.shipped = true;
    c.order.delivered_at = NOW - 2 * 86400;
    c.buyer.buyer_id = "B1";
    c.issue.items_affected = 1;
    c.issue.message = message;
    c.budget.sku_percent = -1;
    ck_assert_int_eq(eng_triage(message, strlen(message), &c.triage), 0);
    c.category_from_message = from_message;
    c.issue.category = from_message ? c.triage.category : category;
    return c;
}

static bool has_action(const struct eng_remedy *r, enum eng_action a)
{
    for (int i = 0; i < r->n_actions; i++)
        if (r->actions[i].type == a)
            return true;
    return false;
}

static struct eng_decision *decide(const struct eng_case *c, const struct eng_history *h)
{
    static struct eng_decision d;
    static const struct eng_history none;
    ck_assert_int_eq(eng_decide(c, eng_policy_default(), h ? h : &none, NOW, &d), 0);
    return &d;
}

START_TEST(a_safety_hazard_goes_to_a_person_with_the_money_back)
{
    struct eng_case c =
        message_case("The kettle sparked and burned my hand. It is dangerous.", CAT_MINOR_DEFECT, false);
    ck_assert(has(&c.triage, TRIAGE_MENTIONS_SAFETY_HAZARD));
    struct eng_decision *d = decide(&c, NULL);
    ck_assert_int_eq(d->remedy.primary, ACT_FULL_REFUND);
    ck_assert(has_action(&d->remedy, ACT_MANUAL_REVIEW));
    ck_assert(d->remedy.keep_item);
    ck_assert(!d->remedy.return_required);
    ck_assert_int_eq(d->tier, TIER_TOP);
    ck_assert_int_eq(d->remedy.refund_amount, 4000);
    /* never a return at the buyer's cost, whatever the alternatives */
    for (int i = 0; i < d->n_alternatives; i++)
        ck_assert(!d->alternatives[i].return_required || d->alternatives[i].seller_pays_return);

    /* a buyer the history says is risky still gets the refund offered, and a person */
    struct eng_history risky = { .cases_90d = 9, .same_category_90d = 6, .refunded_90d = 6, .abuse_confirmed = 2 };
    d = decide(&c, &risky);
    ck_assert_int_eq(d->risk, RISK_HIGH);
    ck_assert_int_eq(d->remedy.primary, ACT_FULL_REFUND);
    ck_assert(has_action(&d->remedy, ACT_MANUAL_REVIEW));

    /* without the hazard the same case is the category's own remedy */
    c = message_case("There is a small scratch on the lid.", CAT_MINOR_DEFECT, false);
    d = decide(&c, NULL);
    ck_assert_int_eq(d->remedy.primary, ACT_PARTIAL_REFUND);
    ck_assert(!has_action(&d->remedy, ACT_MANUAL_REVIEW));
}
END_TEST

START_TEST(an_uncertain_category_is_confirmed_by_a_person)
{
    struct eng_case c = message_case("Hello, about my order.", CAT_COUNT, true);
    ck_assert(c.triage.uncertain);
    struct eng_decision *d = decide(&c, NULL);
    ck_assert(has_action(&d->remedy, ACT_MANUAL_REVIEW));

    /* the same words with the category given: the request is sure */
    c = message_case("Hello, about my order.", CAT_USAGE_QUESTION, false);
    d = decide(&c, NULL);
    ck_assert(!has_action(&d->remedy, ACT_MANUAL_REVIEW));

    /* confident: the best guess's remedy, no person needed */
    c = message_case("You sent me the wrong item, I ordered a blue one and received a red one.", CAT_COUNT, true);
    ck_assert_int_eq(c.issue.category, CAT_WRONG_ITEM);
    ck_assert(!c.triage.uncertain);
    d = decide(&c, NULL);
    ck_assert(!has_action(&d->remedy, ACT_MANUAL_REVIEW));
    ck_assert_int_eq(d->tier, TIER_TOP);
}
END_TEST

START_TEST(threats_set_deadlines_and_count_as_defects)
{
    struct eng_case c = message_case("There is a small scratch. Fix this or I will open an A-to-z claim.",
                                     CAT_MINOR_DEFECT, false);
    ck_assert(has(&c.triage, TRIAGE_THREATENS_A_TO_Z));
    struct eng_decision *d = decide(&c, NULL);
    ck_assert_int_eq(d->a_to_z_respond_by, NOW + 72 * 3600);
    ck_assert_int_eq(d->chargeback_respond_by, 0);
    ck_assert_int_eq(d->tier, TIER_GOODWILL); /* the order defect rate is not known: the rule stands */

    c.account_health.known = true;
    c.account_health.order_defect_rate = HEALTH_AT_RISK;
    d = decide(&c, NULL);
    ck_assert_str_eq(d->account_health.rule, "favour_buyer");
    ck_assert_str_eq(d->account_health.trigger, "threatens_a_to_z");
    ck_assert_int_eq(d->tier, TIER_TOP);

    c = message_case("Small scratch on the lid. I will dispute the charge with my bank.", CAT_MINOR_DEFECT, false);
    ck_assert(has(&c.triage, TRIAGE_THREATENS_CHARGEBACK));
    d = decide(&c, NULL);
    ck_assert_int_eq(d->chargeback_respond_by, NOW + 168 * 3600);
}
END_TEST

START_TEST(the_remedy_asked_for_among_equal_ones)
{
    /* defective: a replacement and the money back serve equally; the
     * cheaper is recommended, unless the buyer asked for the other */
    struct eng_case c = message_case("It stopped working after two days.", CAT_DEFECTIVE, false);
    struct eng_decision *d = decide(&c, NULL);
    enum eng_action cheapest = d->remedy.primary;
    enum eng_action other = cheapest == ACT_REPLACEMENT ? ACT_FULL_REFUND : ACT_REPLACEMENT;
    c = message_case(other == ACT_REPLACEMENT ? "It stopped working after two days. Please send a replacement."
                                              : "It stopped working after two days. I want a refund.",
                     CAT_DEFECTIVE, false);
    d = decide(&c, NULL);
    ck_assert_int_eq(d->remedy.primary, other);
    bool offered = false;
    for (int i = 0; i < d->n_alternatives; i++)
        offered = offered || d->alternatives[i].primary == cheapest;
    ck_assert(offered);
}
END_TEST

START_TEST(the_reply_speaks_the_messages_language)
{
    struct eng_case c = message_case("Die Lampe ist kaputt angekommen, das Glas ist zerbrochen.", CAT_COUNT, true);
    struct eng_decision *d = decide(&c, NULL);
    ck_assert_int_eq(d->language, LANG_DE);
    ck_assert(!d->language_fell_back);
    c.buyer.language = "fr"; /* the request's language wins */
    d = decide(&c, NULL);
    ck_assert_int_eq(d->language, LANG_FR);
    /* a tag without replies: the message's language, not en */
    c = message_case("注文した商品と違う色が届きました。交換をお願いします。", CAT_COUNT, true);
    c.buyer.language = "ko";
    d = decide(&c, NULL);
    ck_assert_int_eq(d->language, LANG_JA);
    ck_assert(d->language_fell_back);
}
END_TEST

/* ---- the API ---- */

static char conninfo[512];
static struct th_server srv;
static char tenant_name[64], api_key[APIKEY_LEN + 1], auth_header[TH_AUTH_HEADER_SIZE];

static void api_setup(void)
{
    snprintf(conninfo, sizeof(conninfo), "%s", th_conninfo());
    th_server_start(&srv, conninfo, NULL);
    th_tenant_with_auth(conninfo, tenant_name, api_key, auth_header);
}

static void api_teardown(void)
{
    th_server_stop(&srv);
}

static void post(const char *path, const char *body, size_t len, struct th_response *r)
{
    const char *headers[] = { auth_header, "Content-Type: application/json", NULL };
    th_request(srv.port, "POST", path, headers, body, len, r);
}

/* A case body with `issue` as given (JSON members without braces). */
static char *case_with_issue(const char *issue, const char *buyer_language)
{
    char *body = NULL;
    ck_assert_int_ge(asprintf(&body,
                              "{\"order\":{\"order_id\":\"113-5550000-%06d\",\"sku\":\"TRI-1\",\"currency\":\"USD\","
                              "\"item_price\":3000,\"unit_cost\":1000},\"buyer\":{\"buyer_id\":\"TB-%d\"%s%s%s},"
                              "\"issue\":{%s}}",
                              rand() % 1000000, rand() % 100000, buyer_language ? ",\"language\":\"" : "",
                              buyer_language ? buyer_language : "", buyer_language ? "\"" : "", issue),
                     0);
    return body;
}

/* POST path a case with that issue; the response in r (caller frees). */
static void post_issue(const char *path, const char *issue, const char *buyer_language, struct th_response *r)
{
    char *body = case_with_issue(issue, buyer_language);
    post(path, body, strlen(body), r);
    free(body);
}

static const char *str_at(json_t *root, const char *a, const char *b)
{
    json_t *v = json_object_get(root, a);
    return json_string_value(b ? json_object_get(v, b) : v);
}

static bool json_has_signal(json_t *triage, const char *code)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(triage, "signals"), i, s) {
        if (strcmp(str_at(s, "code", NULL), code) == 0)
            return true;
    }
    return false;
}

START_TEST(a_case_opened_by_the_buyers_words)
{
    struct th_response r;
    post_issue("/v1/cases",
               "\"message\":\"Ich habe den falschen Artikel bekommen: bestellt war ein blauer Pullover, geliefert "
               "wurde ein roter. Bitte schicken Sie mir den richtigen.\"",
               NULL, &r);
    ck_assert_int_eq(r.status, 201);
    json_t *triage = json_object_get(r.json, "triage");
    ck_assert_str_eq(str_at(triage, "category", NULL), "wrong_item");
    ck_assert_str_eq(str_at(triage, "source", NULL), "message");
    ck_assert_str_eq(str_at(triage, "language", NULL), "de");
    ck_assert_str_eq(str_at(triage, "language_source", NULL), "message");
    ck_assert(json_array_size(json_object_get(triage, "matched")) >= 1);
    ck_assert_str_eq(str_at(r.json, "reply", "language"), "de");
    ck_assert_str_eq(str_at(r.json, "tier", NULL), "top");
    char case_id[64];
    snprintf(case_id, sizeof(case_id), "%s", str_at(r.json, "case_id", NULL));
    th_response_free(&r);

    /* recorded under the category it read, and read back as decided */
    char path[128];
    snprintf(path, sizeof(path), "/v1/cases/%s", case_id);
    const char *headers[] = { auth_header, NULL };
    th_request(srv.port, "GET", path, headers, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str_at(json_object_get(json_object_get(r.json, "decision"), "triage"), "category", NULL),
                     "wrong_item");
    th_response_free(&r);

    /* an explicit category always wins; the message is still read */
    post_issue("/v1/cases?dry_run=true",
               "\"category\":\"minor_defect\",\"message\":\"You sent the wrong item and I will leave "
               "a 1 star review.\"",
               "en", &r);
    ck_assert_int_eq(r.status, 200);
    triage = json_object_get(r.json, "triage");
    ck_assert_str_eq(str_at(triage, "category", NULL), "minor_defect");
    ck_assert_str_eq(str_at(triage, "source", NULL), "request");
    ck_assert(json_real_value(json_object_get(triage, "confidence")) == 1.0);
    ck_assert(json_has_signal(triage, "threatens_negative_review"));
    ck_assert_str_eq(str_at(triage, "language_source", NULL), "request");
    th_response_free(&r);

    /* a hazard: the money back and a person */
    post_issue("/v1/cases?dry_run=true",
               "\"message\":\"The heater started smoking and melted the plug. I am scared it will "
               "catch fire.\"",
               NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_has_signal(json_object_get(r.json, "triage"), "mentions_safety_hazard"));
    ck_assert_str_eq(str_at(json_object_get(r.json, "remedy"), "primary", NULL), "full_refund");
    json_t *actions = json_object_get(json_object_get(r.json, "remedy"), "actions");
    bool review = false;
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a) review = review || strcmp(str_at(a, "type", NULL), "manual_review") == 0;
    ck_assert(review);
    th_response_free(&r);
}
END_TEST

START_TEST(bad_messages_are_refused_naming_the_field)
{
    struct th_response r;
    /* neither category nor message */
    post_issue("/v1/cases", "\"description\":\"see ticket\"", "en", &r);
    ck_assert_msg(r.status == 422, "%ld %s", r.status, r.body);
    char *errors = json_dumps(json_object_get(r.json, "errors"), 0);
    ck_assert_msg(strstr(errors, "issue.category") && strstr(errors, "issue.message"), "%s", errors);
    free(errors);
    th_response_free(&r);

    /* 8 KiB and one byte */
    char *big = malloc(ENG_TRIAGE_TEXT_MAX + 64);
    ck_assert_ptr_nonnull(big);
    int len = snprintf(big, 32, "\"message\":\"");
    memset(big + len, 'a', ENG_TRIAGE_TEXT_MAX + 1);
    len += ENG_TRIAGE_TEXT_MAX + 1;
    snprintf(big + len, 8, "\"");
    post_issue("/v1/cases", big, "en", &r);
    ck_assert_msg(r.status == 422, "%ld %s", r.status, r.body);
    errors = json_dumps(json_object_get(r.json, "errors"), 0);
    ck_assert_msg(strstr(errors, "issue.message") != NULL, "%s", errors);
    free(errors);
    th_response_free(&r);
    /* exactly 8 KiB is read */
    big[len - 1] = '"';
    big[len] = '\0';
    post_issue("/v1/cases?dry_run=true", big, "en", &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    free(big);

    /* not UTF-8 */
    static const char NOT_UTF8[] = "{\"message\":\"broken \xff\xfe item\"}";
    post("/v1/triage", NOT_UTF8, sizeof(NOT_UTF8) - 1, &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);
    post_issue("/v1/cases", "\"message\":\"broken \xc3\x28 item\"", "en", &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);

    /* POST /v1/triage: message required (a malformed request, 400), and
     * its limit (422, as in a case) */
    post("/v1/triage", "{\"language\":\"en\"}", 17, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "message"));
    th_response_free(&r);
    post("/v1/triage", "{\"message\":\"\"}", 14, &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);
    char *long_message = malloc(ENG_TRIAGE_TEXT_MAX + 32);
    ck_assert_ptr_nonnull(long_message);
    int at = snprintf(long_message, 16, "{\"message\":\"");
    memset(long_message + at, 'x', ENG_TRIAGE_TEXT_MAX + 1);
    snprintf(long_message + at + ENG_TRIAGE_TEXT_MAX + 1, 4, "\"}");
    post("/v1/triage", long_message, strlen(long_message), &r);
    free(long_message);
    ck_assert_int_eq(r.status, 422);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "errors"), 0), "field")),
                     "message");
    ck_assert_ptr_null(json_object_get(json_array_get(json_object_get(r.json, "errors"), 0), "unprocessable"));
    th_response_free(&r);
}
END_TEST

START_TEST(triage_alone_for_routing)
{
    struct th_response r;
    static const char BODY[] = "{\"message\":\"我的包裹还没收到，已经三周了。这是我第三次写信了，再不处理我就拒付。\"}";
    post("/v1/triage", BODY, sizeof(BODY) - 1, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *triage = json_object_get(r.json, "triage");
    ck_assert_str_eq(str_at(triage, "source", NULL), "message");
    ck_assert_str_eq(str_at(triage, "language", NULL), "zh-Hans");
    ck_assert(json_has_signal(triage, "item_not_received"));
    ck_assert(json_has_signal(triage, "threatens_chargeback"));
    const char *category = str_at(triage, "category", NULL);
    ck_assert_msg(strcmp(category, "late_delivery") == 0 || strcmp(category, "lost_in_transit") == 0, "%s", category);
    th_response_free(&r);

    /* the language named wins over the one detected */
    post("/v1/triage", "{\"message\":\"where is my parcel\",\"language\":\"zh-TW\"}", 51, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str_at(json_object_get(r.json, "triage"), "language", NULL), "zh-Hant");
    ck_assert_str_eq(str_at(json_object_get(r.json, "triage"), "language_source", NULL), "request");
    th_response_free(&r);
}
END_TEST

/* A case opened by its message replays as it was decided: the replay
 * reads the same words the same way. */
START_TEST(replays_read_the_message_again)
{
    struct th_response r;
    post_issue("/v1/cases", "\"message\":\"The kettle arrived with a crack in the glass, water leaks out. I want a "
                                 "replacement, not a refund, or I will leave a 1 star review.\"", NULL, &r);
    ck_assert_int_eq(r.status, 201);
    th_response_free(&r);
    post("/v1/policy/simulate", "{\"policy\":1}", 12, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "cases")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "fidelity_mismatches")), 0);
    th_response_free(&r);
}
END_TEST

Suite *triage_suite(void)
{
    Suite *s = suite_create("triage");
    TCase *engine = tcase_create("engine");
    tcase_add_checked_fixture(engine, engine_setup, NULL);
    tcase_set_timeout(engine, 120);
    tcase_add_test(engine, lexicons_load_and_every_broken_rule_is_refused);
    tcase_add_loop_test(engine, how_it_reads, 0, (int)(sizeof(READINGS) / sizeof(READINGS[0])));
    tcase_add_test(engine, threats_and_hazards_carry_their_words);
    tcase_add_test(engine, the_language_of_the_message);
    tcase_add_test(engine, labelled_messages_in_eight_languages);
    tcase_add_test(engine, generated_text_always_gives_a_valid_answer);
    tcase_add_test(engine, a_safety_hazard_goes_to_a_person_with_the_money_back);
    tcase_add_test(engine, an_uncertain_category_is_confirmed_by_a_person);
    tcase_add_test(engine, threats_set_deadlines_and_count_as_defects);
    tcase_add_test(engine, the_remedy_asked_for_among_equal_ones);
    tcase_add_test(engine, the_reply_speaks_the_messages_language);
    suite_add_tcase(s, engine);

    TCase *api = tcase_create("api");
    tcase_add_checked_fixture(api, api_setup, api_teardown);
    tcase_set_timeout(api, 120);
    tcase_add_test(api, a_case_opened_by_the_buyers_words);
    tcase_add_test(api, bad_messages_are_refused_naming_the_field);
    tcase_add_test(api, triage_alone_for_routing);
    tcase_add_test(api, replays_read_the_message_again);
    suite_add_tcase(s, api);
    return s;
}
