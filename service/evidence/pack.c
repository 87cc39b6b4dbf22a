/* The evidence pack as data: one reading of the stored case (the facts),
 * then a section per audience built from it. Every member the contract
 * names is present whatever the case holds (null when the case does not
 * say), so that a form filler can rely on the shape. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine.h"
#include "evidence.h"
#include "validate.h"

#define EVIDENCE_PURPOSE_NAME(name, text) [name] = text,
static const char *const PURPOSE_NAMES[EVIDENCE_PURPOSE_COUNT] = { EVIDENCE_PURPOSES(EVIDENCE_PURPOSE_NAME) };
#undef EVIDENCE_PURPOSE_NAME

bool evidence_purpose_parse(const char *text, enum evidence_purpose *out)
{
    for (int i = 0; i < EVIDENCE_PURPOSE_COUNT; i++)
        if (text != NULL && strcmp(text, PURPOSE_NAMES[i]) == 0) {
            *out = (enum evidence_purpose)i;
            return true;
        }
    return false;
}

/* ---- building JSON with one sticky failure flag ---- */

struct builder {
    bool failed;
};

static void put(struct builder *b, json_t *object, const char *key, json_t *value)
{
    if (value == NULL || json_object_set_new(object, key, value) != 0)
        b->failed = true;
}

static void append(struct builder *b, json_t *array, json_t *value)
{
    if (value == NULL || json_array_append_new(array, value) != 0)
        b->failed = true;
}

/* A string, or null when the case does not say. */
static json_t *string_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* The buffer's text as JSON (null when empty), and the buffer emptied. */
static json_t *text_or_null(struct builder *b, struct buf *text)
{
    if (!buf_ok(text))
        b->failed = true;
    json_t *value = text->len > 0 && buf_ok(text) ? json_stringn(text->data, text->len) : json_null();
    buf_cleanup(text);
    buf_init(text, 0);
    return value;
}

static const char *member(const json_t *object, const char *name)
{
    return json_string_value(json_object_get(object, name));
}

/* ---- the facts, read once ---- */

/* A time of the record: as Unix seconds (for order) and as RFC 3339 UTC. */
struct pack_time {
    bool known;
    int64_t t;
    char text[32];
};

static struct pack_time time_of(const char *rfc3339)
{
    struct pack_time out = { false, 0, "" };
    if (rfc3339 != NULL && validate_parse_time(rfc3339, &out.t)) {
        out.known = true;
        validate_format_time(out.t, out.text);
    }
    return out;
}

struct pack_facts {
    const char *seller;
    const json_t *order, *shipment, *buyer, *issue, *decision, *remedy, *outcomes, *messages;
    const char *case_id, *order_id, *sku, *channel, *buyer_id, *ticket_id, *tier, *category;
    const char *carrier, *tracking_number, *delivery_confirmation, *ship_to_country, *product_description;
    const char *fulfillment;
    const struct eng_currency *currency;
    struct pack_time created, ordered, shipped, delivered;
    json_int_t policy_version;
    int seller_messages, seller_messages_flagged; /* flagged: no compliance, or it did not pass */
};

static bool facts_read(const struct evidence_input *in, struct pack_facts *f)
{
    memset(f, 0, sizeof(*f));
    const json_t *request = in->request;
    f->seller = in->seller;
    f->order = json_object_get(request, "order");
    f->shipment = json_object_get(f->order, "shipment");
    f->buyer = json_object_get(request, "buyer");
    f->issue = json_object_get(request, "issue");
    f->decision = in->decision;
    f->remedy = json_object_get(in->decision, "remedy");
    f->outcomes = in->outcomes;
    f->messages = in->messages;
    f->case_id = member(in->decision, "case_id");
    f->order_id = member(f->order, "order_id");
    f->sku = member(f->order, "sku");
    f->channel = member(request, "channel") ? member(request, "channel") : "amazon"; /* the contract's default */
    f->buyer_id = member(f->buyer, "buyer_id");
    f->ticket_id = member(request, "ticket_id");
    f->tier = member(in->decision, "tier");
    f->category = member(f->issue, "category") ? member(f->issue, "category")
                                               : member(json_object_get(in->decision, "triage"), "category");
    f->carrier = member(f->shipment, "carrier");
    f->tracking_number = member(f->shipment, "tracking_number");
    f->delivery_confirmation = member(f->shipment, "delivery_confirmation");
    f->ship_to_country = member(f->shipment, "ship_to_country");
    f->product_description = member(f->order, "product_description");
    f->fulfillment = member(f->order, "fulfillment") ? member(f->order, "fulfillment") : "FBM";
    f->currency = eng_currency_find(member(f->order, "currency") ? member(f->order, "currency") : "");
    f->created = time_of(member(in->decision, "created_at"));
    f->ordered = time_of(member(f->order, "ordered_at"));
    f->shipped = time_of(member(f->shipment, "shipped_at"));
    f->delivered = time_of(member(f->shipment, "delivered_at") ? member(f->shipment, "delivered_at")
                                                                : member(f->order, "delivered_at"));
    f->policy_version = json_integer_value(json_object_get(in->decision, "policy_version"));
    size_t i;
    const json_t *message;
    json_array_foreach(in->messages, i, message) {
        if (strcmp(member(message, "from") ? member(message, "from") : "", "seller") != 0)
            continue;
        f->seller_messages++;
        if (!json_is_true(json_object_get(json_object_get(message, "compliance"), "passed")))
            f->seller_messages_flagged++;
    }
    return f->case_id != NULL && f->created.known && f->order_id != NULL && f->sku != NULL && f->tier != NULL
           && json_is_object(f->remedy) && f->currency != NULL && json_is_array(in->outcomes)
           && json_is_array(in->messages) && in->seller != NULL;
}

/* ---- words ---- */

/* "partial_refund" as "partial refund". */
static void code_words(struct buf *out, const char *code)
{
    for (const char *c = code ? code : "unknown"; *c != '\0'; c++)
        buf_append(out, *c == '_' ? " " : c, 1);
}

static void money_words(struct buf *out, const struct pack_facts *f, json_int_t minor)
{
    char amount[64];
    if (eng_money_format((int64_t)minor, f->currency, LANG_EN, amount, sizeof(amount)))
        buf_append_str(out, amount);
    else
        buf_printf(out, "%lld %s minor units", (long long)minor, f->currency->code);
}

/* What the decision offers, in words: "partial refund of $7.80 and coupon
 * of $5.00; the buyer keeps the item". */
static void remedy_words(struct buf *out, const struct pack_facts *f)
{
    const json_t *actions = json_object_get(f->remedy, "actions");
    if (json_array_size(actions) == 0)
        code_words(out, member(f->remedy, "primary"));
    size_t i;
    const json_t *action;
    json_array_foreach(actions, i, action) {
        if (i > 0)
            buf_append_str(out, " and ");
        code_words(out, member(action, "type"));
        const json_t *amount = json_object_get(action, "amount");
        if (json_is_integer(amount) && json_integer_value(amount) > 0) {
            buf_append_str(out, " of ");
            money_words(out, f, json_integer_value(amount));
        }
    }
    if (json_is_true(json_object_get(f->remedy, "return_required")))
        buf_append_str(out, "; the item is to be returned");
    else if (json_is_true(json_object_get(f->remedy, "keep_item")))
        buf_append_str(out, "; the buyer keeps the item");
}

/* Why the decision is what it is, one short sentence each, in a fixed
 * order: the category, who was responsible, the abuse reading, and the
 * rules that changed the recommendation. */
static json_t *decision_reasons(struct builder *b, const struct pack_facts *f)
{
    json_t *reasons = json_array();
    struct buf line;
    buf_init(&line, 0);
    if (f->category != NULL) {
        buf_append_str(&line, "the claim is ");
        code_words(&line, f->category);
        append(b, reasons, text_or_null(b, &line));
    }
    const char *responsibility = member(f->decision, "responsibility");
    if (responsibility != NULL) {
        buf_printf(&line, "responsibility: %s", responsibility);
        append(b, reasons, text_or_null(b, &line));
    }
    const json_t *abuse = json_object_get(f->decision, "abuse");
    if (member(abuse, "risk") != NULL) {
        buf_printf(&line, "abuse risk %s (score %lld)", member(abuse, "risk"),
                   (long long)json_integer_value(json_object_get(abuse, "score")));
        size_t i;
        const json_t *signal;
        json_array_foreach(json_object_get(abuse, "signals"), i, signal)
            buf_printf(&line, "%s%s", i == 0 ? ": " : ", ", member(signal, "code") ? member(signal, "code") : "");
        append(b, reasons, text_or_null(b, &line));
    }
    const json_t *triage = json_object_get(f->decision, "triage");
    if (json_is_true(json_object_get(triage, "uncertain"))) {
        buf_printf(&line, "the category was read from the message with confidence %.3f, so a person confirms it",
                   json_number_value(json_object_get(triage, "confidence")));
        append(b, reasons, text_or_null(b, &line));
    }
    if (member(json_object_get(f->decision, "budget"), "rule") != NULL) {
        buf_append_str(&line, "the SKU is over its compensation budget: the cheapest remedy that makes the buyer "
                              "equally whole");
        append(b, reasons, text_or_null(b, &line));
    }
    const json_t *health = json_object_get(f->decision, "account_health");
    if (member(health, "rule") != NULL) {
        buf_printf(&line, "the account's order defect rate is %s and the case can add a defect (%s): the buyer is "
                          "favoured",
                   member(health, "order_defect_rate_status") ? member(health, "order_defect_rate_status") : "?",
                   member(health, "trigger") ? member(health, "trigger") : "?");
        append(b, reasons, text_or_null(b, &line));
    }
    buf_cleanup(&line);
    return reasons;
}

static void reasons_words(struct buf *out, const json_t *reasons)
{
    size_t i;
    const json_t *reason;
    json_array_foreach(reasons, i, reason)
        buf_printf(out, "%s%s", i == 0 ? "" : "; ", json_string_value(reason));
}

/* "revision 2 (2026-11-21T09:00:00Z): accepted, final refund $7.80, note: ..." */
static void outcome_words(struct buf *out, const struct pack_facts *f, const json_t *outcome)
{
    struct pack_time at = time_of(member(outcome, "recorded_at"));
    buf_printf(out, "revision %lld (%s): %s", (long long)json_integer_value(json_object_get(outcome, "revision")),
               at.known ? at.text : "time unknown", member(outcome, "status") ? member(outcome, "status") : "?");
    const json_t *refund = json_object_get(outcome, "final_refund");
    if (json_is_integer(refund)) {
        buf_append_str(out, ", final refund ");
        money_words(out, f, json_integer_value(refund));
    }
    const char *review = member(outcome, "review_outcome");
    if (review != NULL && strcmp(review, "none") != 0)
        buf_printf(out, ", review %s", review);
    if (member(outcome, "note") != NULL)
        buf_printf(out, ", note: %s", member(outcome, "note"));
}

static const json_t *latest_outcome(const struct pack_facts *f)
{
    size_t n = json_array_size(f->outcomes);
    return n > 0 ? json_array_get(f->outcomes, n - 1) : NULL;
}

/* The seller refused (in part): a firm tier, or the last outcome says declined. */
static bool refused(const struct pack_facts *f)
{
    const char *status = member(latest_outcome(f), "status");
    return strcmp(f->tier, "firm") == 0 || (status != NULL && strcmp(status, "declined") == 0);
}

/* ---- case ---- */

static json_t *case_section(struct builder *b, const struct pack_facts *f, const char *generated_at)
{
    json_t *kase = json_object();
    if (kase == NULL)
        return NULL;
    put(b, kase, "case_id", json_string(f->case_id));
    put(b, kase, "seller", json_string(f->seller));
    put(b, kase, "order_id", json_string(f->order_id));
    put(b, kase, "sku", json_string(f->sku));
    put(b, kase, "channel", json_string(f->channel));
    put(b, kase, "buyer_id", string_or_null(f->buyer_id));
    put(b, kase, "ticket_id", string_or_null(f->ticket_id));
    put(b, kase, "generated_at", json_string(generated_at));
    return kase;
}

/* ---- timeline ---- */

struct timeline_entry {
    int64_t t;
    size_t seq; /* the order of making: ties keep it (a stable sort) */
    json_t *entry;
};

struct timeline {
    struct timeline_entry *entries;
    size_t count, cap;
};

/* An entry at a known time (entries without one are left out); takes detail. */
static void timeline_add(struct builder *b, struct timeline *tl, const struct pack_time *at, const char *kind,
                         struct buf *summary, json_t *detail)
{
    if (!at->known || b->failed) {
        json_decref(detail);
        buf_cleanup(summary);
        buf_init(summary, 0);
        return;
    }
    if (tl->count == tl->cap) {
        size_t cap = tl->cap ? tl->cap * 2 : 16;
        struct timeline_entry *grown = realloc(tl->entries, cap * sizeof(*grown));
        if (grown == NULL) {
            b->failed = true;
            json_decref(detail);
            return;
        }
        tl->entries = grown;
        tl->cap = cap;
    }
    json_t *entry = json_object();
    if (entry == NULL) {
        b->failed = true;
        json_decref(detail);
        return;
    }
    put(b, entry, "at", json_string(at->text));
    put(b, entry, "kind", json_string(kind));
    put(b, entry, "summary", text_or_null(b, summary));
    put(b, entry, "detail", detail);
    tl->entries[tl->count] = (struct timeline_entry){ at->t, tl->count, entry };
    tl->count++;
}

static int timeline_order(const void *a, const void *b)
{
    const struct timeline_entry *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static json_t *compliance_of(const json_t *message)
{
    const json_t *compliance = json_object_get(message, "compliance");
    return compliance != NULL ? json_deep_copy(compliance) : json_null();
}

static void timeline_messages(struct builder *b, const struct pack_facts *f, struct timeline *tl, struct buf *s)
{
    size_t i;
    const json_t *message;
    json_array_foreach(f->messages, i, message) {
        const char *from = member(message, "from") ? member(message, "from") : "unknown";
        struct pack_time at = time_of(member(message, "at"));
        buf_printf(s, "%s wrote via %s", from, member(message, "channel") ? member(message, "channel") : "?");
        if (strcmp(from, "seller") == 0)
            buf_append_str(s, json_is_true(json_object_get(json_object_get(message, "compliance"), "passed"))
                                  ? " (passed the compliance guard)"
                                  : " (flagged by the compliance guard)");
        json_t *detail = json_pack("{s:s, s:o, s:o}", "from", from, "channel",
                                   string_or_null(member(message, "channel")), "text",
                                   string_or_null(member(message, "text")));
        if (detail != NULL && strcmp(from, "seller") == 0)
            put(b, detail, "compliance", compliance_of(message));
        timeline_add(b, tl, &at, "message", s, detail);
    }
}

static json_t *timeline_section(struct builder *b, const struct pack_facts *f, const json_t *reasons)
{
    struct timeline tl = { NULL, 0, 0 };
    struct buf s;
    buf_init(&s, 0);

    buf_printf(&s, "order %s placed (%s)", f->order_id, f->sku);
    timeline_add(b, &tl, &f->ordered, "ordered", &s,
                 json_pack("{s:s, s:s, s:I}", "order_id", f->order_id, "sku", f->sku, "quantity",
                           json_is_integer(json_object_get(f->order, "quantity"))
                               ? json_integer_value(json_object_get(f->order, "quantity"))
                               : (json_int_t)1));
    buf_printf(&s, "shipped%s%s%s%s", f->carrier ? " with " : "", f->carrier ? f->carrier : "",
               f->tracking_number ? ", tracking " : "", f->tracking_number ? f->tracking_number : "");
    timeline_add(b, &tl, &f->shipped, "shipped", &s,
                 json_pack("{s:o, s:o}", "carrier", string_or_null(f->carrier), "tracking_number",
                           string_or_null(f->tracking_number)));
    buf_printf(&s, "delivered%s%s", f->delivery_confirmation ? ", confirmed by " : "",
               f->delivery_confirmation ? f->delivery_confirmation : "");
    timeline_add(b, &tl, &f->delivered, "delivered", &s,
                 json_pack("{s:o, s:o}", "delivery_confirmation", string_or_null(f->delivery_confirmation),
                           "ship_to_country", string_or_null(f->ship_to_country)));

    buf_append_str(&s, "the buyer's claim");
    if (f->category != NULL) {
        buf_append_str(&s, ": ");
        code_words(&s, f->category);
    }
    timeline_add(b, &tl, &f->created, "claim", &s,
                 json_pack("{s:o, s:o, s:o}", "category", string_or_null(f->category), "description",
                           string_or_null(member(f->issue, "description")), "message",
                           string_or_null(member(f->issue, "message"))));

    timeline_messages(b, f, &tl, &s);

    buf_printf(&s, "decided: tier %s, ", f->tier);
    code_words(&s, member(f->remedy, "primary"));
    buf_printf(&s, " (policy version %lld)", (long long)f->policy_version);
    timeline_add(b, &tl, &f->created, "decision", &s,
                 json_pack("{s:s, s:O, s:O, s:I}", "tier", f->tier, "remedy", f->remedy, "reasons", reasons,
                           "policy_version", f->policy_version));

    buf_append_str(&s, "offered: ");
    remedy_words(&s, f);
    timeline_add(b, &tl, &f->created, "remedy_offered", &s,
                 json_pack("{s:O, s:O, s:s, s:O, s:O}", "primary", json_object_get(f->remedy, "primary"),
                           "actions", json_object_get(f->remedy, "actions"), "currency", f->currency->code,
                           "refund_amount", json_object_get(f->remedy, "refund_amount"), "return_required",
                           json_object_get(f->remedy, "return_required")));

    size_t i;
    const json_t *outcome;
    json_array_foreach(f->outcomes, i, outcome) {
        struct pack_time at = time_of(member(outcome, "recorded_at"));
        buf_append_str(&s, "outcome ");
        outcome_words(&s, f, outcome);
        timeline_add(b, &tl, &at, "outcome", &s, json_deep_copy(outcome));
    }
    buf_cleanup(&s);

    qsort(tl.entries, tl.count, sizeof(*tl.entries), timeline_order);
    json_t *timeline = json_array();
    for (size_t k = 0; k < tl.count; k++) {
        if (timeline != NULL)
            append(b, timeline, tl.entries[k].entry);
        else
            json_decref(tl.entries[k].entry);
    }
    free(tl.entries);
    return timeline;
}

/* ---- amazon_a_to_z ---- */

/* Whether the remedy or one of its alternatives takes the item back. */
static bool return_eligible(const struct pack_facts *f)
{
    if (json_is_true(json_object_get(f->remedy, "return_required")))
        return true;
    size_t i;
    const json_t *alternative;
    json_array_foreach(json_object_get(f->remedy, "alternatives"), i, alternative)
        if (json_is_true(json_object_get(alternative, "return_required")))
            return true;
    return false;
}

static json_t *a_to_z_section(struct builder *b, const struct pack_facts *f)
{
    json_t *buyer_messages = json_array(), *seller_responses = json_array();
    size_t i;
    const json_t *message;
    json_array_foreach(f->messages, i, message) {
        const char *from = member(message, "from") ? member(message, "from") : "";
        struct pack_time at = time_of(member(message, "at"));
        json_t *item = json_pack("{s:o, s:o, s:o}", "at", at.known ? json_string(at.text) : json_null(), "channel",
                                 string_or_null(member(message, "channel")), "text",
                                 string_or_null(member(message, "text")));
        if (strcmp(from, "buyer") == 0) {
            append(b, buyer_messages, item);
        } else if (strcmp(from, "seller") == 0) {
            if (item != NULL)
                put(b, item, "compliance", compliance_of(message));
            append(b, seller_responses, item);
        } else {
            json_decref(item);
        }
    }
    bool fba = strcmp(f->fulfillment, "FBA") == 0;
    return json_pack("{s:s, s:o, s:o, s:{s:o, s:o, s:o}, s:o, s:o, s:{s:b, s:b, s:n}}", "dispatch_method",
                     fba ? "Fulfilled by Amazon (FBA): Amazon stored, packed and shipped the order"
                         : "Fulfilled by the merchant (FBM): the seller shipped the order",
                     "carrier", string_or_null(f->carrier), "tracking_number", string_or_null(f->tracking_number),
                     "proof_of_delivery", "delivered_at",
                     f->delivered.known ? json_string(f->delivered.text) : json_null(), "delivery_confirmation",
                     string_or_null(f->delivery_confirmation), "ship_to_country",
                     string_or_null(f->ship_to_country), "buyer_messages", buyer_messages, "seller_responses",
                     seller_responses, "return", "offered",
                     json_is_true(json_object_get(f->remedy, "return_required")), "eligible", return_eligible(f),
                     "label");
}

/* ---- chargeback: Stripe's Dispute.evidence names ---- */

/* A buyer id that is an e-mail address: one '@' with a local part before
 * and a dotted domain after, no spaces. */
static bool is_email(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || strpbrk(s, " \t\r\n") != NULL)
        return false;
    const char *dot = strrchr(at + 1, '.');
    return dot != NULL && dot > at + 1 && dot[1] != '\0';
}

static json_t *chargeback_section(struct builder *b, const struct pack_facts *f, const json_t *reasons)
{
    json_t *cb = json_object();
    if (cb == NULL)
        return NULL;
    struct buf text;
    buf_init(&text, 0);

    size_t i;
    const json_t *message;
    json_array_foreach(f->messages, i, message) {
        struct pack_time at = time_of(member(message, "at"));
        buf_printf(&text, "%s%s %s: %s", text.len ? "\n" : "", at.known ? at.text : "time-unknown",
                   member(message, "from") ? member(message, "from") : "unknown",
                   member(message, "text") ? member(message, "text") : "");
    }
    put(b, cb, "customer_communication", text_or_null(b, &text));
    put(b, cb, "customer_email_address", is_email(f->buyer_id) ? json_string(f->buyer_id) : json_null());
    put(b, cb, "customer_name", string_or_null(member(f->buyer, "name")));
    put(b, cb, "product_description", string_or_null(f->product_description));

    buf_printf(&text, "%s decided this case under its policy (version %lld): ", f->seller,
               (long long)f->policy_version);
    remedy_words(&text, f);
    buf_append_str(&text, ". Why: ");
    reasons_words(&text, reasons);
    buf_append_str(&text, ".");
    put(b, cb, "refund_policy_disclosure", text_or_null(b, &text));

    if (refused(f)) {
        buf_printf(&text, "The request was not granted in full (tier %s", f->tier);
        const char *status = member(latest_outcome(f), "status");
        if (status != NULL)
            buf_printf(&text, ", outcome %s", status);
        buf_append_str(&text, "): ");
        reasons_words(&text, reasons);
        buf_append_str(&text, ".");
    }
    put(b, cb, "refund_refusal_explanation", text_or_null(b, &text));
    put(b, cb, "shipping_carrier", string_or_null(f->carrier));
    put(b, cb, "shipping_date", f->shipped.known ? json_stringn(f->shipped.text, 10) : json_null());
    put(b, cb, "shipping_tracking_number", string_or_null(f->tracking_number));

    buf_printf(&text, "Decision: tier %s, ", f->tier);
    remedy_words(&text, f);
    buf_printf(&text, " (policy version %lld). Outcomes:", (long long)f->policy_version);
    const json_t *outcome;
    json_array_foreach(f->outcomes, i, outcome) {
        buf_append_str(&text, i ? "; " : " ");
        outcome_words(&text, f, outcome);
    }
    buf_append_str(&text, json_array_size(f->outcomes) ? "." : " none recorded.");
    put(b, cb, "uncategorized_text", text_or_null(b, &text));
    buf_cleanup(&text);
    return cb;
}

/* ---- review_appeal ---- */

static json_t *review_appeal_section(struct builder *b, const struct pack_facts *f, const json_t *timeline)
{
    json_t *actions = json_array(), *compliance = json_array();
    size_t i;
    const json_t *entry;
    json_array_foreach(timeline, i, entry) {
        const char *kind = member(entry, "kind");
        const json_t *detail = json_object_get(entry, "detail");
        bool seller_message = strcmp(kind, "message") == 0 && strcmp(member(detail, "from"), "seller") == 0;
        if (strcmp(kind, "decision") == 0 || strcmp(kind, "remedy_offered") == 0 || strcmp(kind, "outcome") == 0
            || seller_message)
            append(b, actions, json_pack("{s:O, s:s, s:O}", "at", json_object_get(entry, "at"), "kind",
                                         seller_message ? "message_sent" : kind, "summary",
                                         json_object_get(entry, "summary")));
        if (seller_message) {
            const json_t *c = json_object_get(detail, "compliance");
            append(b, compliance,
                   json_pack("{s:O, s:b, s:o}", "at", json_object_get(entry, "at"), "passed",
                             json_is_true(json_object_get(c, "passed")), "violations",
                             json_object_get(c, "violations") ? json_deep_copy(json_object_get(c, "violations"))
                                                              : json_array()));
        }
    }
    /* A seller message without a time is not in the timeline; it still
     * counts here, so that a flagged one cannot go unseen. */
    return json_pack("{s:o, s:b, s:o}", "actions", actions, "no_incentive_offered",
                     f->seller_messages_flagged == 0, "messages_compliance", compliance);
}

/* ---- purpose statements ---- */

static void shipping_words(struct buf *s, const struct pack_facts *f)
{
    buf_printf(s, "Order %s (%s) was %s", f->order_id, f->sku,
               strcmp(f->fulfillment, "FBA") == 0 ? "fulfilled by Amazon" : "shipped by the seller");
    if (f->shipped.known)
        buf_printf(s, " on %.10s", f->shipped.text);
    if (f->carrier != NULL)
        buf_printf(s, " with %s", f->carrier);
    if (f->tracking_number != NULL)
        buf_printf(s, " (tracking number %s)", f->tracking_number);
    if (f->delivered.known) {
        buf_printf(s, " and delivered on %.10s", f->delivered.text);
        if (f->delivery_confirmation != NULL)
            buf_printf(s, " with %s confirmation", f->delivery_confirmation);
        if (f->ship_to_country != NULL)
            buf_printf(s, " in %s", f->ship_to_country);
    }
    buf_append_str(s, ". ");
}

static void compliance_words(struct buf *s, const struct pack_facts *f)
{
    if (f->seller_messages == 0)
        buf_printf(s, "%s sent the buyer no message outside this decision.", f->seller);
    else if (f->seller_messages_flagged == 0)
        buf_printf(s, "Each of the seller's %d messages passed the marketplace's messaging rules; none asked for a "
                      "review or offered anything for one.",
                   f->seller_messages);
    else
        buf_printf(s, "%d of the seller's %d messages were flagged by the compliance check (see "
                      "review_appeal.messages_compliance).",
                   f->seller_messages_flagged, f->seller_messages);
}

static void latest_outcome_words(struct buf *s, const struct pack_facts *f)
{
    const json_t *outcome = latest_outcome(f);
    if (outcome == NULL)
        return;
    buf_append_str(s, " Latest outcome: ");
    outcome_words(s, f, outcome);
    buf_append_str(s, ".");
}

static json_t *statement(struct builder *b, const struct pack_facts *f, enum evidence_purpose purpose,
                         const json_t *reasons)
{
    struct buf s;
    buf_init(&s, 0);
    switch (purpose) {
    case EVIDENCE_PURPOSE_A_TO_Z:
        shipping_words(&s, f);
        buf_printf(&s, "The buyer's claim was recorded on %.10s and answered under %s's policy (version %lld) "
                       "with: ",
                   f->created.text, f->seller, (long long)f->policy_version);
        remedy_words(&s, f);
        if (json_array_size(f->messages) == 0)
            buf_append_str(&s, ". No messages were exchanged on the case. ");
        else
            buf_printf(&s, ". %zu %s exchanged on the case. ", json_array_size(f->messages),
                       json_array_size(f->messages) == 1 ? "message was" : "messages were");
        compliance_words(&s, f);
        latest_outcome_words(&s, f);
        break;
    case EVIDENCE_PURPOSE_CHARGEBACK:
        buf_printf(&s, "The charge is for order %s: %s. ", f->order_id,
                   f->product_description ? f->product_description : f->sku);
        shipping_words(&s, f);
        buf_printf(&s, "When the buyer raised the issue on %.10s, %s offered: ", f->created.text, f->seller);
        remedy_words(&s, f);
        buf_append_str(&s, " (");
        reasons_words(&s, reasons);
        buf_append_str(&s, ").");
        latest_outcome_words(&s, f);
        break;
    case EVIDENCE_PURPOSE_REVIEW_APPEAL:
        buf_printf(&s, "%s answered the buyer's claim on order %s on %.10s with: ", f->seller, f->order_id,
                   f->created.text);
        remedy_words(&s, f);
        buf_append_str(&s, ". ");
        compliance_words(&s, f);
        latest_outcome_words(&s, f);
        break;
    default:
        break;
    }
    json_t *out = json_pack("{s:s, s:o}", "name", PURPOSE_NAMES[purpose], "statement", text_or_null(b, &s));
    buf_cleanup(&s);
    return out;
}

json_t *evidence_build(const struct evidence_input *in, enum evidence_purpose purpose)
{
    struct pack_facts f;
    if (!facts_read(in, &f))
        return NULL;
    struct builder b = { false };
    json_t *reasons = decision_reasons(&b, &f);
    json_t *timeline = reasons ? timeline_section(&b, &f, reasons) : NULL;
    json_t *pack = json_object();
    if (pack != NULL && timeline != NULL && reasons != NULL) {
        /* The record's latest time, not the clock's: the same record gives
         * the same pack (and PDF) byte for byte. The timeline always holds
         * the claim, at the case's creation. */
        const char *latest = member(json_array_get(timeline, json_array_size(timeline) - 1), "at");
        put(&b, pack, "case", case_section(&b, &f, latest ? latest : f.created.text));
        put(&b, pack, "timeline", json_incref(timeline));
        put(&b, pack, "amazon_a_to_z", a_to_z_section(&b, &f));
        put(&b, pack, "chargeback", chargeback_section(&b, &f, reasons));
        put(&b, pack, "review_appeal", review_appeal_section(&b, &f, timeline));
        put(&b, pack, "purpose", purpose == EVIDENCE_PURPOSE_NONE ? json_null() : statement(&b, &f, purpose, reasons));
    } else {
        b.failed = true;
    }
    json_decref(reasons);
    json_decref(timeline);
    if (b.failed) {
        json_decref(pack);
        return NULL;
    }
    return pack;
}
