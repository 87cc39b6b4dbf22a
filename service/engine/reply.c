/* Replies: templates (one JSON file per language, embedded), checked at
 * start, and one small renderer that fills {placeholders}.
 *
 * A reply is: greeting; the apology for this category; the explanation for
 * the situation, if any; the remedy with its amount; what comes with it
 * (gesture, return label, carrier claim); the first alternative; a warm
 * close. Nothing in it mentions reviews or feedback, on any channel. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "embedded.h"
#include "engine_internal.h"

enum scope { ON_ALL, ON_SHOP_ONLY }; /* ON_SHOP_ONLY: coupon sentences, never sent on Amazon */

struct template_key {
    const char *path; /* "section.name" */
    enum scope scope;
};

/* Every sentence a language must have. Order defines the T_ indexes. */
static const struct template_key KEYS[] = {
#define ISSUE(name) { "issue." name, ON_ALL }
    { "subject", ON_ALL }, { "greeting", ON_ALL }, { "greeting_anonymous", ON_ALL },
    ISSUE("wrong_item"), ISSUE("defective"), ISSUE("damaged_in_transit"), ISSUE("missing_parts"),
    ISSUE("minor_defect"), ISSUE("packaging_damaged"), ISSUE("not_as_described"),
    ISSUE("expectation_mismatch"), ISSUE("usage_question"), ISSUE("late_delivery"),
    ISSUE("lost_in_transit"), ISSUE("changed_mind"), ISSUE("wrong_size_ordered"),
    ISSUE("cancellation_request"), ISSUE("service_complaint"),
#undef ISSUE
    { "remedy.full_refund", ON_ALL }, { "remedy.partial_refund", ON_ALL }, { "remedy.replacement", ON_ALL },
    { "remedy.reship_parts", ON_ALL }, { "remedy.exchange_seller", ON_ALL }, { "remedy.exchange_buyer", ON_ALL },
    { "remedy.return_refund_seller", ON_ALL }, { "remedy.return_refund_buyer", ON_ALL },
    { "remedy.cancel_refund", ON_ALL }, { "remedy.coupon", ON_SHOP_ONLY }, { "remedy.manual_review", ON_ALL },
    { "extra.gesture_refund", ON_ALL }, { "extra.gesture_coupon", ON_SHOP_ONLY },
    { "extra.carrier_claim", ON_ALL }, { "extra.return_label", ON_ALL },
    { "explanation.usage_help", ON_ALL }, { "explanation.within_promise", ON_ALL },
    { "explanation.fba_delivery", ON_ALL }, { "explanation.shipped_cannot_cancel", ON_ALL },
    { "explanation.custom_no_return", ON_ALL }, { "explanation.packaging_only", ON_ALL },
    { "explanation.service_apology", ON_ALL }, { "explanation.outside_window", ON_ALL },
    { "explanation.firm_review", ON_ALL },
    { "alternative.full_refund", ON_ALL }, { "alternative.partial_refund", ON_ALL },
    { "alternative.replacement", ON_ALL }, { "alternative.reship_parts", ON_ALL },
    { "alternative.exchange_seller", ON_ALL }, { "alternative.exchange_buyer", ON_ALL },
    { "alternative.return_refund_seller", ON_ALL }, { "alternative.return_refund_buyer", ON_ALL },
    { "alternative.coupon", ON_SHOP_ONLY },
    { "close", ON_ALL }, { "close_firm", ON_ALL }, { "signoff", ON_ALL },
};
enum { N_KEYS = sizeof(KEYS) / sizeof(KEYS[0]) };

static const char *const PLACEHOLDERS[] = {
    "name", "order_id", "amount", "percent", "gesture_amount", "gesture_percent", "alt_amount",
    "alt_percent", "return_days", NULL
};

/* Loaded once by eng_templates_init(); read-only afterwards. */
static json_t *documents[LANG_COUNT];
static const char *sentences[LANG_COUNT][N_KEYS];

static int key_index(const char *path)
{
    for (int i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].path, path) == 0)
            return i;
    return -1;
}

static const char *lookup(const json_t *doc, const char *path)
{
    char section[64];
    const char *dot = strchr(path, '.');
    if (dot == NULL)
        return json_string_value(json_object_get(doc, path));
    snprintf(section, sizeof(section), "%.*s", (int)(dot - path), path);
    return json_string_value(json_object_get(json_object_get(doc, section), dot + 1));
}

/* ---- rendering ---- */

struct vars {
    const char *values[sizeof(PLACEHOLDERS) / sizeof(PLACEHOLDERS[0])];
};

struct writer {
    char *out;
    size_t size, len;
    bool overflow;
};

static void put(struct writer *w, const char *s, size_t n)
{
    if (w->overflow || w->len + n >= w->size) {
        w->overflow = true;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
    w->out[w->len] = '\0';
}

static void put_str(struct writer *w, const char *s) { put(w, s, strlen(s)); }

/* Copy template into w, replacing {name} with its value. An unknown or
 * unset placeholder is an error (templates are checked at start). */
static bool render(struct writer *w, const char *template, const struct vars *v)
{
    const char *p = template;
    while (*p) {
        const char *open = strchr(p, '{');
        if (open == NULL) {
            put_str(w, p);
            break;
        }
        put(w, p, (size_t)(open - p));
        const char *close = strchr(open, '}');
        if (close == NULL)
            return false;
        bool found = false;
        for (size_t i = 0; PLACEHOLDERS[i]; i++) {
            size_t n = strlen(PLACEHOLDERS[i]);
            if ((size_t)(close - open - 1) == n && memcmp(open + 1, PLACEHOLDERS[i], n) == 0) {
                if (v->values[i] == NULL)
                    return false;
                put_str(w, v->values[i]);
                found = true;
                break;
            }
        }
        if (!found)
            return false;
        p = close + 1;
    }
    return !w->overflow;
}

static void set_var(struct vars *v, const char *name, const char *value)
{
    for (size_t i = 0; PLACEHOLDERS[i]; i++)
        if (strcmp(PLACEHOLDERS[i], name) == 0)
            v->values[i] = value;
}

/* ---- language tags ---- */

enum eng_language eng_language_resolve(const char *tag, bool *fell_back)
{
    static const struct { const char *prefix; enum eng_language lang; } TAGS[] = {
        { "zh-hant", LANG_ZH_HANT }, { "zh-tw", LANG_ZH_HANT }, { "zh-hk", LANG_ZH_HANT },
        { "zh-mo", LANG_ZH_HANT },   { "zh-hans", LANG_ZH_HANS }, { "zh-cn", LANG_ZH_HANS },
        { "zh-sg", LANG_ZH_HANS },   { "zh", LANG_ZH_HANS },     { "en", LANG_EN },
        { "de", LANG_DE },           { "fr", LANG_FR },           { "es", LANG_ES },
        { "it", LANG_IT },           { "ja", LANG_JA },
    };
    *fell_back = false;
    char lower[40];
    size_t n = tag ? strlen(tag) : 0;
    if (n == 0 || n >= sizeof(lower)) {
        *fell_back = n != 0;
        return LANG_EN;
    }
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)(tag[i] >= 'A' && tag[i] <= 'Z' ? tag[i] + 32 : tag[i]);
    for (size_t i = 0; i < sizeof(TAGS) / sizeof(TAGS[0]); i++) {
        size_t len = strlen(TAGS[i].prefix);
        /* a whole subtag match: "de" or "de-AT", never "dex" */
        if (strncmp(lower, TAGS[i].prefix, len) == 0 && (lower[len] == '\0' || lower[len] == '-'))
            return TAGS[i].lang;
    }
    *fell_back = true;
    return LANG_EN;
}

/* ---- loading and checking ---- */

static bool render_check(enum eng_language lang, int key, char *err, size_t err_size)
{
    struct vars v = { { 0 } };
    const struct eng_currency *usd = eng_currency_find("USD");
    char amount[48], small[48];
    eng_money_format(3098, usd, lang, amount, sizeof(amount));
    eng_money_format(260, usd, lang, small, sizeof(small));
    set_var(&v, "name", "Alex");
    set_var(&v, "order_id", "113-1234567-1234567");
    set_var(&v, "amount", amount);
    set_var(&v, "percent", "30");
    set_var(&v, "gesture_amount", small);
    set_var(&v, "gesture_percent", "10");
    set_var(&v, "alt_amount", amount);
    set_var(&v, "alt_percent", "20");
    set_var(&v, "return_days", "30");
    char text[ENG_BODY_MAX];
    struct writer w = { text, sizeof(text), 0, false };
    text[0] = '\0';
    if (!render(&w, sentences[lang][key], &v)) {
        snprintf(err, err_size, "templates/%s.json: %s has an unknown placeholder or is too long",
                 ENG_LANGUAGE_TAGS[lang], KEYS[key].path);
        return false;
    }
    enum eng_channel channels[] = { CHANNEL_AMAZON, CHANNEL_SHOPIFY };
    for (size_t c = KEYS[key].scope == ON_SHOP_ONLY ? 1 : 0; c < 2; c++) {
        struct eng_guard_result g;
        eng_guard_check(channels[c], text, &g);
        if (!g.passed) {
            snprintf(err, err_size, "templates/%s.json: %s fails the %s guard (%s: %s)",
                     ENG_LANGUAGE_TAGS[lang], KEYS[key].path, ENG_CHANNEL_NAMES[channels[c]],
                     g.violations[0].code, g.violations[0].detail);
            return false;
        }
    }
    return true;
}

/* Parse and check one language's document; on success it becomes that
 * language's templates (replacing any before). */
static int load_language(enum eng_language lang, const char *text, size_t len, const char *path, char *err,
                         size_t err_size)
{
    json_error_t error;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
    if (doc == NULL) {
        snprintf(err, err_size, "%s: line %d: %s", path, error.line, error.text);
        return -1;
    }
    const char *declared = json_string_value(json_object_get(doc, "language"));
    if (declared == NULL || strcmp(declared, ENG_LANGUAGE_TAGS[lang]) != 0) {
        snprintf(err, err_size, "%s: \"language\" must be \"%s\"", path, ENG_LANGUAGE_TAGS[lang]);
        json_decref(doc);
        return -1;
    }
    const char *previous[N_KEYS];
    memcpy(previous, sentences[lang], sizeof(previous));
    for (int k = 0; k < N_KEYS; k++) {
        sentences[lang][k] = lookup(doc, KEYS[k].path);
        if (sentences[lang][k] == NULL || sentences[lang][k][0] == '\0') {
            snprintf(err, err_size, "%s: %s is missing", path, KEYS[k].path);
            memcpy(sentences[lang], previous, sizeof(previous));
            json_decref(doc);
            return -1;
        }
    }
    for (int k = 0; k < N_KEYS; k++) {
        if (!render_check(lang, k, err, err_size)) {
            memcpy(sentences[lang], previous, sizeof(previous));
            json_decref(doc);
            return -1;
        }
    }
    json_decref(documents[lang]);
    documents[lang] = doc;
    return 0;
}

int eng_templates_load(enum eng_language lang, const char *text, size_t len, char *err, size_t err_size)
{
    char path[96];
    snprintf(path, sizeof(path), "service/engine/templates/%s.json", ENG_LANGUAGE_TAGS[lang]);
    return load_language(lang, text, len, path, err, err_size);
}

int eng_templates_init(char *err, size_t err_size)
{
    for (int lang = 0; lang < LANG_COUNT; lang++) {
        if (documents[lang] != NULL)
            continue; /* already loaded and checked */
        char path[96];
        snprintf(path, sizeof(path), "service/engine/templates/%s.json", ENG_LANGUAGE_TAGS[lang]);
        const struct embedded_file *file = embedded_find(path);
        if (file == NULL) {
            snprintf(err, err_size, "%s is missing", path);
            return -1;
        }
        if (load_language((enum eng_language)lang, file->data, file->size, path, err, err_size) != 0)
            return -1;
    }
    return 0;
}

/* ---- composing a reply ---- */

static const char *remedy_key(const struct eng_remedy *r)
{
    switch (r->primary) {
    case ACT_FULL_REFUND: return "full_refund";
    case ACT_PARTIAL_REFUND: return "partial_refund";
    case ACT_REPLACEMENT: return "replacement";
    case ACT_RESHIP_PARTS: return "reship_parts";
    case ACT_EXCHANGE: return r->seller_pays_return ? "exchange_seller" : "exchange_buyer";
    case ACT_RETURN_REFUND: return r->seller_pays_return ? "return_refund_seller" : "return_refund_buyer";
    case ACT_CANCEL_REFUND: return "cancel_refund";
    case ACT_COUPON: return "coupon";
    case ACT_MANUAL_REVIEW: return "manual_review";
    default: return NULL; /* explanation, carrier claim, warranty: said by other sentences */
    }
}

/* Chinese and Japanese run sentences together; the others leave a space. */
static const char *sentence_gap(enum eng_language lang)
{
    return lang == LANG_ZH_HANS || lang == LANG_ZH_HANT || lang == LANG_JA ? "" : " ";
}

static bool say(struct writer *w, enum eng_language lang, const char *path, const struct vars *v,
                const char *separator)
{
    int k = key_index(path);
    if (k < 0 || sentences[lang][k] == NULL)
        return false;
    if (w->len > 0 && separator != NULL)
        put_str(w, separator);
    return render(w, sentences[lang][k], v);
}

int eng_render_reply(const struct eng_case *c, const struct eng_policy *p, struct eng_decision *d,
                     const char *situation)
{
    enum eng_language lang = d->language;
    if (documents[lang] == NULL)
        return -1; /* eng_templates_init() was not called */
    const struct eng_currency *cur = c->order.currency;
    const struct eng_remedy *r = &d->remedy;
    char amount[64] = "", percent[16] = "", gesture_amount[64] = "", gesture_percent[16] = "";
    char alt_amount[64] = "", alt_percent[16] = "", return_days[16];
    struct vars v = { { 0 } };

    /* The primary action carries the amount; a second money action is the gesture. */
    const struct eng_action_item *main_action = r->n_actions > 0 ? &r->actions[0] : NULL;
    if (main_action != NULL) {
        eng_money_format(main_action->amount, cur, lang, amount, sizeof(amount));
        snprintf(percent, sizeof(percent), "%d", main_action->percent);
    }
    for (int i = 1; i < r->n_actions; i++) {
        if (r->actions[i].type == ACT_PARTIAL_REFUND || r->actions[i].type == ACT_COUPON) {
            eng_money_format(r->actions[i].amount, cur, lang, gesture_amount, sizeof(gesture_amount));
            snprintf(gesture_percent, sizeof(gesture_percent), "%d", r->actions[i].percent);
        }
    }
    const struct eng_remedy *alt = d->n_alternatives > 0 && d->tier != TIER_FIRM ? &d->alternatives[0] : NULL;
    if (alt != NULL && alt->n_actions > 0) {
        eng_money_format(alt->actions[0].amount, cur, lang, alt_amount, sizeof(alt_amount));
        snprintf(alt_percent, sizeof(alt_percent), "%d", alt->actions[0].percent);
    }
    snprintf(return_days, sizeof(return_days), "%d", p->return_window_days);
    set_var(&v, "name", c->buyer.name);
    set_var(&v, "order_id", c->order.order_id);
    set_var(&v, "amount", amount);
    set_var(&v, "percent", percent);
    set_var(&v, "gesture_amount", gesture_amount);
    set_var(&v, "gesture_percent", gesture_percent);
    set_var(&v, "alt_amount", alt_amount);
    set_var(&v, "alt_percent", alt_percent);
    set_var(&v, "return_days", return_days);

    struct writer subject = { d->subject, sizeof(d->subject), 0, false };
    d->subject[0] = '\0';
    if (!say(&subject, lang, "subject", &v, NULL))
        return -1;

    const char *gap = sentence_gap(lang);
    struct writer w = { d->body, sizeof(d->body), 0, false };
    d->body[0] = '\0';
    char path[64];
    bool ok = say(&w, lang, c->buyer.name && c->buyer.name[0] ? "greeting" : "greeting_anonymous", &v, NULL);
    snprintf(path, sizeof(path), "issue.%s", ENG_CATEGORY_NAMES[c->issue.category]);
    ok = ok && say(&w, lang, path, &v, "\n\n");
    if (situation != NULL) {
        snprintf(path, sizeof(path), "explanation.%s", situation);
        ok = ok && say(&w, lang, path, &v, gap);
    }
    const char *key = d->tier == TIER_FIRM ? NULL : remedy_key(r);
    if (key != NULL) {
        snprintf(path, sizeof(path), "remedy.%s", key);
        ok = ok && say(&w, lang, path, &v, gap);
    }
    if (d->tier != TIER_FIRM) {
        if (r->return_required && (r->primary == ACT_FULL_REFUND || r->primary == ACT_REPLACEMENT))
            ok = ok && say(&w, lang, "extra.return_label", &v, gap);
        for (int i = 1; i < r->n_actions; i++) {
            if (r->actions[i].type == ACT_PARTIAL_REFUND)
                ok = ok && say(&w, lang, "extra.gesture_refund", &v, gap);
            else if (r->actions[i].type == ACT_COUPON)
                ok = ok && say(&w, lang, "extra.gesture_coupon", &v, gap);
            else if (r->actions[i].type == ACT_CARRIER_CLAIM)
                ok = ok && say(&w, lang, "extra.carrier_claim", &v, gap);
        }
        const char *alt_key = alt != NULL ? remedy_key(alt) : NULL;
        if (alt_key != NULL && strcmp(alt_key, "cancel_refund") != 0 && strcmp(alt_key, "manual_review") != 0) {
            snprintf(path, sizeof(path), "alternative.%s", alt_key);
            ok = ok && say(&w, lang, path, &v, "\n\n");
        }
    }
    ok = ok && say(&w, lang, d->tier == TIER_FIRM ? "close_firm" : "close", &v, "\n\n");
    ok = ok && say(&w, lang, "signoff", &v, "\n\n");
    return ok ? 0 : -1;
}
