/* The evidence pack (issue #13): the pure builder on hand-written stored
 * documents, and GET /v1/cases/{id}/evidence end to end. */
#include <cairo.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "evidence.h"
#include "harness.h"

/* ---- stored documents, as the database layer hands them over ---- */

static const char FULL_REQUEST[] =
    "{\"ticket_id\":\"ZD-1\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-0000001-0000001\","
    "\"sku\":\"MUG-01\",\"currency\":\"USD\",\"item_price\":2599,\"fulfillment\":\"FBM\","
    "\"ordered_at\":\"2026-11-10T08:00:00Z\",\"product_description\":\"Blue ceramic mug, 350 ml\","
    "\"shipment\":{\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\","
    "\"shipped_at\":\"2026-11-11T09:30:00+02:00\",\"delivered_at\":\"2026-11-14T15:00:00Z\","
    "\"delivery_confirmation\":\"signature\",\"ship_to_country\":\"US\"}},"
    "\"buyer\":{\"buyer_id\":\"jane@example.com\",\"name\":\"Jane Doe\"},"
    "\"issue\":{\"category\":\"damaged\",\"description\":\"Handle cracked on arrival\","
    "\"message\":\"The mug arrived with a crack.\"}}";

static const char FULL_DECISION[] =
    "{\"case_id\":\"6b0c1a52-8f3e-4c1e-9a77-1f0e2b3c4d5e\",\"created_at\":\"2026-11-15T10:00:00Z\","
    "\"responsibility\":\"seller\",\"tier\":\"goodwill\","
    "\"remedy\":{\"primary\":\"partial_refund\",\"actions\":[{\"type\":\"partial_refund\",\"amount\":780}],"
    "\"refund_amount\":780,\"keep_item\":true,\"return_required\":false,"
    "\"alternatives\":[{\"primary\":\"return_refund\",\"actions\":[],\"refund_amount\":2599,\"keep_item\":false,"
    "\"return_required\":true,\"cost\":900}]},"
    "\"abuse\":{\"risk\":\"low\",\"score\":0,\"signals\":[],\"history\":{}},\"policy_version\":3}";

static const char FULL_OUTCOMES[] =
    "[{\"revision\":1,\"status\":\"accepted\",\"final_refund\":780,\"review_outcome\":\"avoided\","
    "\"order_retained\":true,\"abuse_confirmed\":false,\"note\":null,\"recorded_at\":\"2026-11-17T12:00:00Z\"}]";

/* Recorded out of time order on purpose: the timeline sorts them. */
static const char FULL_MESSAGES[] =
    "[{\"from\":\"buyer\",\"at\":\"2026-11-15T09:00:00Z\",\"channel\":\"amazon\","
    "\"text\":\"杯子到的时候把手裂了。\"},"
    "{\"from\":\"seller\",\"at\":\"2026-11-16T10:00:00Z\",\"channel\":\"amazon\","
    "\"text\":\"Sorry! We refunded $7.80.\",\"compliance\":{\"passed\":true,\"violations\":[]}},"
    "{\"from\":\"seller\",\"at\":\"2026-11-16T11:00:00Z\",\"channel\":\"amazon\","
    "\"text\":\"Please leave us 5 stars for a gift card.\",\"compliance\":{\"passed\":false,"
    "\"violations\":[{\"code\":\"review_request\",\"detail\":\"asks for a review\"}]}}]";

static const char BARE_REQUEST[] =
    "{\"order\":{\"order_id\":\"O-2\",\"sku\":\"LAMP\",\"currency\":\"EUR\",\"item_price\":4000,"
    "\"fulfillment\":\"FBA\"},\"buyer\":{\"buyer_id\":\"A1B2C3\"},\"issue\":{\"category\":\"not_as_described\"}}";

static const char FIRM_DECISION[] =
    "{\"case_id\":\"7c1d2b63-9a4f-4d2f-8b88-2a1f3c4d5e6f\",\"created_at\":\"2026-11-20T10:00:00Z\","
    "\"responsibility\":\"buyer\",\"tier\":\"firm\","
    "\"remedy\":{\"primary\":\"manual_review\",\"actions\":[{\"type\":\"manual_review\"}],\"refund_amount\":0,"
    "\"keep_item\":false,\"return_required\":false,\"alternatives\":[]},"
    "\"abuse\":{\"risk\":\"high\",\"score\":70,\"signals\":[{\"code\":\"repeat_same_category\",\"detail\":\"x\"}],"
    "\"history\":{}},\"policy_version\":1}";

struct docs {
    json_t *request, *decision, *outcomes, *messages;
};

static void docs_load(struct docs *d, const char *request, const char *decision, const char *outcomes,
                      const char *messages)
{
    json_error_t error;
    d->request = json_loads(request, 0, &error);
    ck_assert_msg(d->request != NULL, "request: %s", error.text);
    d->decision = json_loads(decision, 0, &error);
    ck_assert_msg(d->decision != NULL, "decision: %s", error.text);
    d->outcomes = json_loads(outcomes, 0, &error);
    ck_assert_msg(d->outcomes != NULL, "outcomes: %s", error.text);
    d->messages = json_loads(messages, 0, &error);
    ck_assert_msg(d->messages != NULL, "messages: %s", error.text);
}

static void docs_free(struct docs *d)
{
    json_decref(d->request);
    json_decref(d->decision);
    json_decref(d->outcomes);
    json_decref(d->messages);
}

static json_t *build(const struct docs *d, enum evidence_purpose purpose)
{
    struct evidence_input in = { "Mug Shop", d->request, d->decision, d->outcomes, d->messages };
    json_t *pack = evidence_build(&in, purpose);
    ck_assert_msg(pack != NULL, "the builder returned NULL");
    return pack;
}

static const char *str_at(const json_t *object, const char *name)
{
    return json_string_value(json_object_get(object, name));
}

static void assert_str(const json_t *object, const char *name, const char *expected)
{
    const char *got = str_at(object, name);
    ck_assert_msg(got != NULL && strcmp(got, expected) == 0, "%s: expected \"%s\", got \"%s\"", name, expected,
                  got ? got : "(not a string)");
}

static void assert_null(const json_t *object, const char *name)
{
    ck_assert_msg(json_is_null(json_object_get(object, name)), "%s: expected null (present)", name);
}

static void assert_contains(const char *text, const char *part)
{
    ck_assert_msg(text != NULL && strstr(text, part) != NULL, "\"%s\" not in \"%s\"", part, text ? text : "(null)");
}

/* ---- builder ---- */

START_TEST(builder_chargeback_fields_carry_stripe_values)
{
    struct docs d;
    docs_load(&d, FULL_REQUEST, FULL_DECISION, FULL_OUTCOMES, FULL_MESSAGES);
    json_t *pack = build(&d, EVIDENCE_PURPOSE_NONE);
    const json_t *cb = json_object_get(pack, "chargeback");
    assert_str(cb, "customer_communication",
               "2026-11-15T09:00:00Z buyer: 杯子到的时候把手裂了。\n"
               "2026-11-16T10:00:00Z seller: Sorry! We refunded $7.80.\n"
               "2026-11-16T11:00:00Z seller: Please leave us 5 stars for a gift card.");
    assert_str(cb, "customer_name", "Jane Doe");
    assert_str(cb, "customer_email_address", "jane@example.com");
    assert_str(cb, "product_description", "Blue ceramic mug, 350 ml");
    assert_str(cb, "shipping_carrier", "UPS");
    /* 09:30+02:00 is 07:30 UTC the same day. */
    assert_str(cb, "shipping_date", "2026-11-11");
    assert_str(cb, "shipping_tracking_number", "1Z999AA10123456784");
    assert_contains(str_at(cb, "refund_policy_disclosure"), "Mug Shop decided this case under its policy (version 3)");
    assert_contains(str_at(cb, "refund_policy_disclosure"), "partial refund of $7.80; the buyer keeps the item");
    assert_contains(str_at(cb, "refund_policy_disclosure"), "responsibility: seller");
    /* goodwill, accepted: nothing was refused. */
    assert_null(cb, "refund_refusal_explanation");
    assert_contains(str_at(cb, "uncategorized_text"), "Decision: tier goodwill");
    assert_contains(str_at(cb, "uncategorized_text"), "revision 1 (2026-11-17T12:00:00Z): accepted, final refund $7.80");
    json_decref(pack);
    docs_free(&d);
}
END_TEST

START_TEST(builder_without_shipment_or_messages_keeps_every_key)
{
    struct docs d;
    docs_load(&d, BARE_REQUEST, FIRM_DECISION, "[]", "[]");
    json_t *pack = build(&d, EVIDENCE_PURPOSE_NONE);
    const json_t *cb = json_object_get(pack, "chargeback");
    static const char *const NULL_KEYS[] = { "customer_communication", "customer_name", "customer_email_address",
                                             "product_description", "shipping_carrier", "shipping_date",
                                             "shipping_tracking_number" };
    for (size_t i = 0; i < sizeof(NULL_KEYS) / sizeof(NULL_KEYS[0]); i++)
        assert_null(cb, NULL_KEYS[i]);
    /* A firm tier: the refusal is explained with the reasons. */
    assert_contains(str_at(cb, "refund_refusal_explanation"), "tier firm");
    assert_contains(str_at(cb, "refund_refusal_explanation"), "abuse risk high (score 70): repeat_same_category");
    assert_contains(str_at(cb, "uncategorized_text"), "Outcomes: none recorded.");

    const json_t *a2z = json_object_get(pack, "amazon_a_to_z");
    assert_contains(str_at(a2z, "dispatch_method"), "Fulfilled by Amazon (FBA)");
    assert_null(a2z, "carrier");
    assert_null(a2z, "tracking_number");
    assert_null(json_object_get(a2z, "proof_of_delivery"), "delivered_at");
    ck_assert_int_eq(json_array_size(json_object_get(a2z, "buyer_messages")), 0);
    ck_assert(json_is_false(json_object_get(json_object_get(a2z, "return"), "offered")));
    ck_assert(json_is_false(json_object_get(json_object_get(a2z, "return"), "eligible")));
    assert_null(json_object_get(a2z, "return"), "label");

    /* Entries without a time (ordered, shipped, delivered) are left out. */
    const json_t *timeline = json_object_get(pack, "timeline");
    ck_assert_int_eq(json_array_size(timeline), 3);
    assert_str(json_array_get(timeline, 0), "kind", "claim");
    assert_str(json_array_get(timeline, 1), "kind", "decision");
    assert_str(json_array_get(timeline, 2), "kind", "remedy_offered");
    ck_assert(json_is_true(json_object_get(json_object_get(pack, "review_appeal"), "no_incentive_offered")));
    assert_str(json_object_get(pack, "case"), "seller", "Mug Shop");
    assert_null(json_object_get(pack, "case"), "ticket_id");
    assert_null(pack, "purpose");
    json_decref(pack);
    /* A statement for a case without messages says so in words. */
    json_t *stated = build(&d, EVIDENCE_PURPOSE_A_TO_Z);
    assert_contains(str_at(json_object_get(stated, "purpose"), "statement"), "No messages were exchanged on the case.");
    json_decref(stated);
    docs_free(&d);
}
END_TEST

START_TEST(builder_timeline_in_time_order)
{
    struct docs d;
    docs_load(&d, FULL_REQUEST, FULL_DECISION, FULL_OUTCOMES, FULL_MESSAGES);
    json_t *pack = build(&d, EVIDENCE_PURPOSE_NONE);
    const json_t *timeline = json_object_get(pack, "timeline");
    /* The buyer's message (09:00) comes before the claim's record (10:00);
     * claim, decision and remedy share a time and keep their order. */
    static const char *const KINDS[] = { "ordered", "shipped",  "delivered", "message", "claim", "decision",
                                         "remedy_offered", "message", "message", "outcome" };
    static const char *const ATS[] = { "2026-11-10T08:00:00Z", "2026-11-11T07:30:00Z", "2026-11-14T15:00:00Z",
                                       "2026-11-15T09:00:00Z", "2026-11-15T10:00:00Z", "2026-11-15T10:00:00Z",
                                       "2026-11-15T10:00:00Z", "2026-11-16T10:00:00Z", "2026-11-16T11:00:00Z",
                                       "2026-11-17T12:00:00Z" };
    ck_assert_int_eq(json_array_size(timeline), sizeof(KINDS) / sizeof(KINDS[0]));
    for (size_t i = 0; i < sizeof(KINDS) / sizeof(KINDS[0]); i++) {
        assert_str(json_array_get(timeline, i), "kind", KINDS[i]);
        assert_str(json_array_get(timeline, i), "at", ATS[i]);
    }
    const json_t *claim = json_object_get(json_array_get(timeline, 4), "detail");
    assert_str(claim, "description", "Handle cracked on arrival");
    assert_str(claim, "message", "The mug arrived with a crack.");
    assert_str(json_object_get(json_array_get(timeline, 3), "detail"), "text", "杯子到的时候把手裂了。");
    const json_t *decision = json_object_get(json_array_get(timeline, 5), "detail");
    ck_assert_int_eq(json_integer_value(json_object_get(decision, "policy_version")), 3);
    assert_str(decision, "tier", "goodwill");
    json_decref(pack);
    docs_free(&d);
}
END_TEST

START_TEST(builder_review_appeal_flags_failed_seller_message)
{
    struct docs d;
    docs_load(&d, FULL_REQUEST, FULL_DECISION, FULL_OUTCOMES, FULL_MESSAGES);
    json_t *pack = build(&d, EVIDENCE_PURPOSE_NONE);
    const json_t *appeal = json_object_get(pack, "review_appeal");
    ck_assert(json_is_false(json_object_get(appeal, "no_incentive_offered")));
    const json_t *compliance = json_object_get(appeal, "messages_compliance");
    ck_assert_int_eq(json_array_size(compliance), 2);
    ck_assert(json_is_true(json_object_get(json_array_get(compliance, 0), "passed")));
    ck_assert(json_is_false(json_object_get(json_array_get(compliance, 1), "passed")));
    assert_str(json_array_get(json_object_get(json_array_get(compliance, 1), "violations"), 0), "code",
               "review_request");
    /* decision, remedy offered, two messages sent, one outcome */
    ck_assert_int_eq(json_array_size(json_object_get(appeal, "actions")), 5);
    assert_str(json_array_get(json_object_get(appeal, "actions"), 2), "kind", "message_sent");

    /* Without the flagged message, nothing was offered for a review. */
    json_array_remove(d.messages, 2);
    json_t *clean = build(&d, EVIDENCE_PURPOSE_NONE);
    ck_assert(json_is_true(json_object_get(json_object_get(clean, "review_appeal"), "no_incentive_offered")));
    /* A seller message the guard never checked is not a pass (fail closed). */
    json_object_del(json_array_get(d.messages, 1), "compliance");
    json_t *unchecked = build(&d, EVIDENCE_PURPOSE_NONE);
    ck_assert(json_is_false(json_object_get(json_object_get(unchecked, "review_appeal"), "no_incentive_offered")));
    json_decref(unchecked);
    json_decref(clean);
    json_decref(pack);
    docs_free(&d);
}
END_TEST

START_TEST(builder_purpose_statements_and_determinism)
{
    struct docs d;
    docs_load(&d, FULL_REQUEST, FULL_DECISION, FULL_OUTCOMES, FULL_MESSAGES);
    static const struct {
        const char *name;
        const char *expected_part;
    } PURPOSES[] = {
        { "a_to_z", "shipped by the seller on 2026-11-11 with UPS (tracking number 1Z999AA10123456784) and "
                    "delivered on 2026-11-14 with signature confirmation in US" },
        { "chargeback", "The charge is for order 113-0000001-0000001: Blue ceramic mug, 350 ml." },
        { "review_appeal", "1 of the seller's 2 messages were flagged by the compliance check" },
    };
    ck_assert_int_eq(sizeof(PURPOSES) / sizeof(PURPOSES[0]), EVIDENCE_PURPOSE_COUNT);
    for (size_t i = 0; i < sizeof(PURPOSES) / sizeof(PURPOSES[0]); i++) {
        enum evidence_purpose purpose;
        ck_assert(evidence_purpose_parse(PURPOSES[i].name, &purpose));
        json_t *first = build(&d, purpose);
        json_t *again = build(&d, purpose);
        const json_t *p = json_object_get(first, "purpose");
        assert_str(p, "name", PURPOSES[i].name);
        assert_contains(str_at(p, "statement"), PURPOSES[i].expected_part);
        /* The same data gives the same pack, generated_at included: it is
         * the time of the record's latest entry, not the clock's. */
        ck_assert(json_equal(first, again));
        const json_t *timeline = json_object_get(first, "timeline");
        assert_str(json_object_get(first, "case"), "generated_at",
                   str_at(json_array_get(timeline, json_array_size(timeline) - 1), "at"));
        json_decref(first);
        json_decref(again);
    }
    /* the count of messages reads right for one and for several */
    json_t *three = build(&d, EVIDENCE_PURPOSE_A_TO_Z);
    assert_contains(str_at(json_object_get(three, "purpose"), "statement"), "3 messages were exchanged");
    json_decref(three);
    struct docs one;
    docs_load(&one, FULL_REQUEST, FULL_DECISION, FULL_OUTCOMES,
              "[{\"from\":\"buyer\",\"at\":\"2026-11-15T09:00:00Z\",\"channel\":\"amazon\",\"text\":\"Broken.\"}]");
    json_t *single = build(&one, EVIDENCE_PURPOSE_A_TO_Z);
    assert_contains(str_at(json_object_get(single, "purpose"), "statement"), "1 message was exchanged");
    json_decref(single);
    docs_free(&one);
    static const char *const BAD[] = { "", "A_TO_Z", "atoz", "chargeback ", "review" };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        enum evidence_purpose purpose = EVIDENCE_PURPOSE_NONE;
        ck_assert_msg(!evidence_purpose_parse(BAD[i], &purpose), "\"%s\" taken", BAD[i]);
    }
    docs_free(&d);
}
END_TEST

START_TEST(builder_refuses_a_record_without_a_case)
{
    struct docs d;
    docs_load(&d, BARE_REQUEST, "{\"tier\":\"firm\"}", "[]", "[]");
    struct evidence_input in = { "Mug Shop", d.request, d.decision, d.outcomes, d.messages };
    ck_assert(evidence_build(&in, EVIDENCE_PURPOSE_NONE) == NULL);
    docs_free(&d);
}
END_TEST

/* ---- the PDF, read back with poppler's tools ---- */

/* Where the documents and page images are kept after the run:
 * build/evidence-shots/ at the project's root. */
static void shot_path(const char *name, const char *ext, char out[512])
{
    const char *root = getenv("REDRESS_TEST_ROOT");
    char dir[400];
    snprintf(dir, sizeof(dir), "%s/build/evidence-shots", root != NULL ? root : ".");
    mkdir(dir, 0755); /* build/ exists: the suites are built there */
    snprintf(out, 512, "%s/%s%s", dir, name, ext);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Runs of white space as one space: a line the page wrapped reads as the
 * text that was given. */
static char *squeezed(const char *text)
{
    char *out = malloc(strlen(text) + 1);
    ck_assert(out != NULL);
    size_t n = 0;
    bool space = false;
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == ' ' || *c == '\n' || *c == '\t' || *c == '\r' || *c == '\f') {
            space = n > 0;
            continue;
        }
        if (space)
            out[n++] = ' ';
        space = false;
        out[n++] = *c;
    }
    out[n] = '\0';
    return out;
}

/* Writes the PDF of pack as build/evidence-shots/<name>.pdf, and answers
 * its text as pdftotext reads it (squeezed; the caller frees) and its
 * page count. */
static char *pdf_text(const json_t *pack, const char *name, int *pages)
{
    struct buf pdf;
    buf_init(&pdf, 0);
    ck_assert_msg(evidence_pdf_render(pack, &pdf), "render %s", name);
    ck_assert_msg(pdf.len > 1000 && memcmp(pdf.data, "%PDF-", 5) == 0, "not a PDF");
    char path[512], command[1200];
    shot_path(name, ".pdf", path);
    write_file(path, pdf.data, pdf.len);
    buf_cleanup(&pdf);
    snprintf(command, sizeof(command), "pdfinfo '%s' | sed -n 's/^Pages: *//p'", path);
    char *count = th_command_output(command);
    *pages = atoi(count);
    free(count);
    snprintf(command, sizeof(command), "pdftotext -enc UTF-8 '%s' -", path);
    char *text = th_command_output(command);
    /* Without the running head and foot, which a page break puts inside a
     * text that runs on: the text reads whole. */
    for (char *line = text; *line != '\0';) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        char *form_feed = line;
        while (*form_feed == '\f')
            form_feed++;
        if (strncmp(form_feed, "Redress evidence pack · case ", 30) == 0
            || (strncmp(form_feed, "Generated at ", 13) == 0 && memmem(line, len, " · page ", 9) != NULL))
            memset(form_feed, ' ', len - (size_t)(form_feed - line));
        line += len;
    }
    char *out = squeezed(text);
    free(text);
    return out;
}

static void assert_in_pdf(const char *text, const char *part)
{
    char *want = squeezed(part);
    ck_assert_msg(strstr(text, want) != NULL, "\"%.100s\" not in the PDF's text", want);
    free(want);
}

START_TEST(pdf_has_every_timeline_entry_and_messages_verbatim)
{
    struct docs d;
    docs_load(&d, FULL_REQUEST, FULL_DECISION, FULL_OUTCOMES, FULL_MESSAGES);
    json_t *pack = build(&d, EVIDENCE_PURPOSE_A_TO_Z);
    int pages = 0;
    char *text = pdf_text(pack, "full-a_to_z", &pages);
    ck_assert_int_ge(pages, 1);
    /* the header */
    assert_in_pdf(text, "Mug Shop");
    assert_in_pdf(text, "113-0000001-0000001");
    assert_in_pdf(text, "6b0c1a52-8f3e-4c1e-9a77-1f0e2b3c4d5e");
    assert_in_pdf(text, "Generated at: 2026-11-17 12:00:00 UTC");
    /* every timeline entry, its UTC time and its summary */
    size_t i;
    const json_t *entry;
    json_array_foreach(json_object_get(pack, "timeline"), i, entry) {
        char at[32];
        snprintf(at, sizeof(at), "%.10s %.8s UTC", str_at(entry, "at"), str_at(entry, "at") + 11);
        assert_in_pdf(text, at);
        assert_in_pdf(text, str_at(entry, "summary"));
    }
    ck_assert_uint_eq(i, 10);
    /* the tracking number, the claim and each message verbatim, Chinese included */
    assert_in_pdf(text, "1Z999AA10123456784");
    assert_in_pdf(text, "Handle cracked on arrival");
    assert_in_pdf(text, "The mug arrived with a crack.");
    assert_in_pdf(text, "杯子到的时候把手裂了。");
    assert_in_pdf(text, "Please leave us 5 stars for a gift card.");
    /* the decision with its reasons and policy version, and the statement */
    assert_in_pdf(text, "responsibility: seller");
    assert_in_pdf(text, "Policy version: 3");
    assert_in_pdf(text, str_at(json_object_get(pack, "purpose"), "statement"));
    assert_in_pdf(text, "It cannot be shown that no incentive was offered");
    free(text);
    json_decref(pack);
    docs_free(&d);
}
END_TEST

START_TEST(pdf_is_the_same_bytes_for_the_same_record)
{
    struct docs d;
    docs_load(&d, FULL_REQUEST, FULL_DECISION, FULL_OUTCOMES, FULL_MESSAGES);
    json_t *pack = build(&d, EVIDENCE_PURPOSE_CHARGEBACK);
    struct buf first, again;
    buf_init(&first, 0);
    buf_init(&again, 0);
    ck_assert(evidence_pdf_render(pack, &first));
    ck_assert(evidence_pdf_render(pack, &again));
    ck_assert_uint_eq(first.len, again.len);
    ck_assert(memcmp(first.data, again.data, first.len) == 0);
    /* the fixed dates are the record's */
    ck_assert(memmem(first.data, first.len, "/CreationDate (20261117120000Z)", 31) != NULL);
    buf_cleanup(&first);
    buf_cleanup(&again);
    json_decref(pack);
    docs_free(&d);
}
END_TEST

/* Japanese, Chinese and a message longer than a page, among 200 messages:
 * every one is in the text, whole, across several pages. */
START_TEST(pdf_of_200_messages_runs_to_many_pages_unclipped)
{
    struct buf messages, long_text;
    buf_init(&messages, 0);
    buf_init(&long_text, 0);
    for (int w = 0; w < 900; w++)
        buf_printf(&long_text, "word%d ", w);
    buf_append_str(&messages, "[");
    for (int m = 0; m < 200; m++) {
        char text[160];
        if (m == 57)
            snprintf(text, sizeof(text), "マグカップの取っ手が割れていました。返金をお願いします。");
        else if (m == 58)
            snprintf(text, sizeof(text), "收到的杯子有裂缝，请问可以退款吗？");
        else
            snprintf(text, sizeof(text), "Message number %d of the conversation about the cracked mug.", m);
        json_t *message = json_pack("{s:s, s:s, s:s, s:s}", "from", m % 2 ? "seller" : "buyer", "at",
                                    m < 100 ? "2026-11-16T10:00:00Z" : "2026-11-16T11:00:00Z", "channel", "amazon",
                                    "text", m == 120 ? long_text.data : text);
        if (m % 2)
            json_object_set_new(message, "compliance", json_pack("{s:b, s:[]}", "passed", 1, "violations"));
        char *dumped = json_dumps(message, 0);
        buf_printf(&messages, "%s%s", m ? "," : "", dumped);
        free(dumped);
        json_decref(message);
    }
    buf_append_str(&messages, "]");
    ck_assert(buf_ok(&messages));
    struct docs d;
    docs_load(&d, FULL_REQUEST, FULL_DECISION, FULL_OUTCOMES, messages.data);
    json_t *pack = build(&d, EVIDENCE_PURPOSE_REVIEW_APPEAL);
    int pages = 0;
    char *text = pdf_text(pack, "200-messages", &pages);
    ck_assert_int_ge(pages, 10);
    /* the last page's foot counts the pages */
    char path[512], command[1200], expected[64];
    shot_path("200-messages", ".pdf", path);
    snprintf(command, sizeof(command), "pdftotext -enc UTF-8 -f %d -l %d '%s' -", pages, pages, path);
    char *last_page = th_command_output(command);
    snprintf(expected, sizeof(expected), "page %d of %d", pages, pages);
    assert_contains(last_page, expected);
    free(last_page);
    for (int m = 0; m < 200; m += 1) {
        if (m == 57 || m == 58 || m == 120)
            continue;
        char want[96];
        snprintf(want, sizeof(want), "Message number %d of the conversation about the cracked mug.", m);
        assert_in_pdf(text, want);
    }
    assert_in_pdf(text, "マグカップの取っ手が割れていました。返金をお願いします。");
    assert_in_pdf(text, "收到的杯子有裂缝，请问可以退款吗？");
    assert_in_pdf(text, long_text.data);
    free(text);
    json_decref(pack);
    docs_free(&d);
    buf_cleanup(&messages);
    buf_cleanup(&long_text);
}
END_TEST

/* Page 1 as a picture, kept beside the PDF: ink on white, not a blank page. */
START_TEST(pdf_page_one_renders_to_a_picture_with_ink)
{
    struct docs d;
    docs_load(&d, FULL_REQUEST, FULL_DECISION, FULL_OUTCOMES, FULL_MESSAGES);
    json_t *pack = build(&d, EVIDENCE_PURPOSE_A_TO_Z);
    int pages = 0;
    free(pdf_text(pack, "page-one", &pages));
    char pdf[512], png[512], command[1200];
    shot_path("page-one", ".pdf", pdf);
    shot_path("page-one", "", png);
    snprintf(command, sizeof(command), "pdftoppm -png -r 60 -f 1 -l 1 -singlefile '%s' '%s'", pdf, png);
    free(th_command_output(command));
    shot_path("page-one", ".png", png);
    cairo_surface_t *image = cairo_image_surface_create_from_png(png);
    ck_assert_int_eq(cairo_surface_status(image), CAIRO_STATUS_SUCCESS);
    int width = cairo_image_surface_get_width(image), height = cairo_image_surface_get_height(image);
    ck_assert_int_gt(width, 400); /* A4 at 60 dpi: 496 x 702 */
    ck_assert_int_gt(height, 600);
    cairo_surface_flush(image);
    const unsigned char *data = cairo_image_surface_get_data(image);
    int stride = cairo_image_surface_get_stride(image);
    long inked = 0, rows_with_ink = 0;
    for (int y = 0; y < height; y++) {
        long row = 0;
        for (int x = 0; x < width; x++) {
            uint32_t pixel;
            memcpy(&pixel, data + (size_t)y * (size_t)stride + (size_t)x * 4, 4);
            unsigned r = (pixel >> 16) & 0xff, g = (pixel >> 8) & 0xff, b = pixel & 0xff;
            if (r + g + b < 3 * 160)
                row++;
        }
        inked += row;
        rows_with_ink += row > 0;
    }
    /* Text covers a few percent of a page, spread over many lines; a blank
     * or a black page fails both. */
    ck_assert_msg(inked > (long)width * height / 200 && inked < (long)width * height / 4, "inked %ld of %d", inked,
                  width * height);
    ck_assert_msg(rows_with_ink > height / 4, "ink on %ld rows of %d", rows_with_ink, height);
    cairo_surface_destroy(image);
    json_decref(pack);
    docs_free(&d);
}
END_TEST

/* ---- the endpoint ---- */

static struct th_server srv;

static void setup(void)
{
    th_server_start(&srv, th_conninfo(), NULL);
}

static void teardown(void)
{
    th_server_stop(&srv);
}

static void post_case(const char *auth, char case_id[64])
{
    static const char body[] =
        "{\"ticket_id\":\"EV-1\",\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-5550001-0000001\","
        "\"sku\":\"MUG-01\",\"currency\":\"USD\",\"item_price\":2599,\"ordered_at\":\"2026-11-01T10:00:00Z\"},"
        "\"buyer\":{\"buyer_id\":\"EV-BUYER\",\"name\":\"Jane\",\"language\":\"en\"},"
        "\"issue\":{\"category\":\"minor_defect\",\"description\":\"scratch on the side\"}}";
    th_post_case(srv.port, auth, body, case_id);
}

static void get_evidence(const char *auth, const char *accept, const char *case_id, const char *query,
                         struct th_response *r)
{
    const char *headers[] = { auth, accept, NULL };
    char path[192];
    snprintf(path, sizeof(path), "/v1/cases/%s/evidence%s", case_id, query);
    th_request(srv.port, "GET", path, headers, NULL, 0, r);
}

START_TEST(endpoint_json_pdf_purpose_and_tenants)
{
    char name[64], key[APIKEY_LEN + 1], auth[TH_AUTH_HEADER_SIZE], case_id[64];
    th_tenant_with_auth(th_conninfo(), name, key, auth);
    post_case(auth, case_id);
    const char *headers[] = { auth, "Content-Type: application/json", NULL };
    static const char message[] = "{\"from\":\"seller\",\"at\":\"2026-11-20T10:00:00Z\",\"text\":\"Sorry about "
                                  "the scratch, a partial refund is on its way.\"}";
    char path[128];
    snprintf(path, sizeof(path), "/v1/cases/%s/messages", case_id);
    struct th_response r;
    th_request(srv.port, "POST", path, headers, message, strlen(message), &r);
    ck_assert_msg(r.status == 201, "message: %ld %s", r.status, r.body);
    th_response_free(&r);

    static const char *const JSON_ACCEPTS[] = { NULL, "Accept: application/json", "Accept: */*",
                                                "Accept: application/pdf;q=0.5, application/json" };
    for (size_t i = 0; i < sizeof(JSON_ACCEPTS) / sizeof(JSON_ACCEPTS[0]); i++) {
        get_evidence(auth, JSON_ACCEPTS[i], case_id, "", &r);
        ck_assert_msg(r.status == 200, "%s: %ld %s", JSON_ACCEPTS[i] ? JSON_ACCEPTS[i] : "no Accept", r.status,
                      r.body);
        assert_str(json_object_get(r.json, "case"), "case_id", case_id);
        assert_str(json_object_get(r.json, "case"), "seller", name);
        assert_str(json_object_get(r.json, "case"), "ticket_id", "EV-1");
        const json_t *seller = json_array_get(json_object_get(json_object_get(r.json, "amazon_a_to_z"),
                                                              "seller_responses"), 0);
        assert_contains(str_at(seller, "text"), "partial refund is on its way");
        ck_assert(json_is_true(json_object_get(json_object_get(seller, "compliance"), "passed")));
        assert_contains(str_at(json_object_get(r.json, "chargeback"), "customer_communication"),
                        "2026-11-20T10:00:00Z seller: Sorry about the scratch");
        th_response_free(&r);
    }

    get_evidence(auth, "Accept: application/json", case_id, "?purpose=review_appeal", &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    assert_contains(str_at(json_object_get(r.json, "purpose"), "statement"), "passed the marketplace's messaging rules");
    th_response_free(&r);

    get_evidence(auth, "Accept: application/json", case_id, "?purpose=a_to_z&format=pdf", &r);
    ck_assert_msg(r.status == 400, "%ld %s", r.status, r.body);
    assert_contains(str_at(r.json, "detail"), "format");
    th_response_free(&r);

    get_evidence(auth, "Accept: application/json", case_id, "?purpose=appeal", &r);
    ck_assert_msg(r.status == 400, "%ld %s", r.status, r.body);
    assert_contains(str_at(r.json, "detail"), "purpose");
    th_response_free(&r);

    get_evidence(auth, "Accept: text/html, application/json;q=0", case_id, "", &r);
    ck_assert_msg(r.status == 406, "%ld %s", r.status, r.body);
    assert_contains(str_at(r.json, "detail"), "application/pdf");
    th_response_free(&r);

    /* The PDF: an attachment, the same bytes twice, the case's facts and the
     * seller's message in its text. */
    static const char *const PDF_ACCEPTS[] = { "Accept: application/pdf",
                                               "Accept: application/pdf, application/json;q=0.5" };
    char first_pdf[512] = "";
    for (size_t i = 0; i < sizeof(PDF_ACCEPTS) / sizeof(PDF_ACCEPTS[0]); i++) {
        get_evidence(auth, PDF_ACCEPTS[i], case_id, "?purpose=chargeback", &r);
        ck_assert_msg(r.status == 200, "%s: %ld %s", PDF_ACCEPTS[i], r.status, r.body);
        char value[256];
        ck_assert(th_header(&r, "Content-Type", value, sizeof(value)));
        ck_assert_str_eq(value, "application/pdf");
        ck_assert(th_header(&r, "Content-Disposition", value, sizeof(value)));
        char expected[160];
        snprintf(expected, sizeof(expected), "attachment; filename=\"evidence-%s-chargeback.pdf\"", case_id);
        ck_assert_str_eq(value, expected);
        ck_assert(r.body_len > 1000 && memcmp(r.body, "%PDF-", 5) == 0);
        char pdf_path[512];
        shot_path(i == 0 ? "endpoint" : "endpoint-again", ".pdf", pdf_path);
        write_file(pdf_path, r.body, r.body_len);
        if (i == 0) {
            snprintf(first_pdf, sizeof(first_pdf), "%s", pdf_path);
        } else {
            char command[1200];
            snprintf(command, sizeof(command), "cmp '%s' '%s'", first_pdf, pdf_path);
            free(th_command_output(command)); /* exits 0 only when the bytes are the same */
        }
        th_response_free(&r);
    }
    char command[1200];
    snprintf(command, sizeof(command), "pdftotext -enc UTF-8 '%s' -", first_pdf);
    char *raw = th_command_output(command);
    char *text = squeezed(raw);
    free(raw);
    assert_in_pdf(text, case_id);
    assert_in_pdf(text, name);
    assert_in_pdf(text, "113-5550001-0000001");
    assert_in_pdf(text, "scratch on the side");
    assert_in_pdf(text, "Sorry about the scratch, a partial refund is on its way.");
    assert_in_pdf(text, "For the card issuer's chargeback review");
    free(text);

    /* Another tenant's case is not found, as with GET /v1/cases/{id}. */
    char other_name[64], other_key[APIKEY_LEN + 1], other_auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), other_name, other_key, other_auth);
    get_evidence(other_auth, "Accept: application/json", case_id, "", &r);
    ck_assert_msg(r.status == 404, "%ld %s", r.status, r.body);
    th_response_free(&r);
    get_evidence(other_auth, "Accept: application/pdf", case_id, "", &r);
    ck_assert_msg(r.status == 404, "%ld %s", r.status, r.body);
    th_response_free(&r);
}
END_TEST

/* The delivery facts a case is posted with reach the chargeback fields
 * and the timeline through the stored request. */
START_TEST(endpoint_posted_shipment_fills_stripe_fields)
{
    char name[64], key[APIKEY_LEN + 1], auth[TH_AUTH_HEADER_SIZE];
    th_tenant_with_auth(th_conninfo(), name, key, auth);
    static const char body[] =
        "{\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-5550002-0000002\",\"sku\":\"MUG-01\","
        "\"currency\":\"USD\",\"item_price\":2599,\"ordered_at\":\"2026-11-01T10:00:00Z\","
        "\"product_description\":\"Blue ceramic mug, 350 ml\","
        "\"shipment\":{\"carrier\":\"USPS\",\"tracking_number\":\"9400111899223344556677\","
        "\"shipped_at\":\"2026-11-02T16:00:00-05:00\",\"delivered_at\":\"2026-11-05T12:00:00Z\","
        "\"delivery_confirmation\":\"photo\",\"ship_to_country\":\"US\"}},"
        "\"buyer\":{\"buyer_id\":\"li.wei@example.com\",\"name\":\"Li Wei\"},"
        "\"issue\":{\"category\":\"not_as_described\",\"description\":\"颜色和图片不一样\"}}";
    const char *headers[] = { auth, "Content-Type: application/json", NULL };
    struct th_response r;
    th_request(srv.port, "POST", "/v1/cases", headers, body, strlen(body), &r);
    ck_assert_msg(r.status == 201, "case: %ld %s", r.status, r.body);
    char case_id[64], path[128];
    snprintf(case_id, sizeof(case_id), "%s", json_string_value(json_object_get(r.json, "case_id")));
    th_response_free(&r);
    static const char message[] = "{\"from\":\"buyer\",\"at\":\"2026-11-06T08:00:00Z\",\"text\":\"颜色不对。\"}";
    snprintf(path, sizeof(path), "/v1/cases/%s/messages", case_id);
    th_request(srv.port, "POST", path, headers, message, strlen(message), &r);
    ck_assert_msg(r.status == 201, "message: %ld %s", r.status, r.body);
    th_response_free(&r);

    get_evidence(auth, "Accept: application/json", case_id, "?purpose=chargeback", &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    const json_t *cb = json_object_get(r.json, "chargeback");
    assert_str(cb, "customer_communication", "2026-11-06T08:00:00Z buyer: 颜色不对。");
    assert_str(cb, "customer_name", "Li Wei");
    assert_str(cb, "customer_email_address", "li.wei@example.com");
    assert_str(cb, "product_description", "Blue ceramic mug, 350 ml");
    assert_str(cb, "shipping_carrier", "USPS");
    /* 16:00 at -05:00 is 21:00 UTC, the same day. */
    assert_str(cb, "shipping_date", "2026-11-02");
    assert_str(cb, "shipping_tracking_number", "9400111899223344556677");
    const json_t *pod = json_object_get(json_object_get(r.json, "amazon_a_to_z"), "proof_of_delivery");
    assert_str(pod, "delivered_at", "2026-11-05T12:00:00Z");
    assert_str(pod, "delivery_confirmation", "photo");
    assert_str(pod, "ship_to_country", "US");
    const json_t *timeline = json_object_get(r.json, "timeline");
    assert_str(json_array_get(timeline, 0), "kind", "ordered");
    assert_str(json_array_get(timeline, 1), "kind", "shipped");
    assert_str(json_array_get(timeline, 1), "at", "2026-11-02T21:00:00Z");
    assert_str(json_array_get(timeline, 2), "kind", "delivered");
    assert_contains(str_at(json_object_get(r.json, "purpose"), "statement"),
                    "The charge is for order 113-5550002-0000002: Blue ceramic mug, 350 ml.");
    th_response_free(&r);
}
END_TEST

Suite *evidence_suite(void)
{
    Suite *s = suite_create("evidence");
    TCase *builder = tcase_create("builder");
    tcase_add_test(builder, builder_chargeback_fields_carry_stripe_values);
    tcase_add_test(builder, builder_without_shipment_or_messages_keeps_every_key);
    tcase_add_test(builder, builder_timeline_in_time_order);
    tcase_add_test(builder, builder_review_appeal_flags_failed_seller_message);
    tcase_add_test(builder, builder_purpose_statements_and_determinism);
    tcase_add_test(builder, builder_refuses_a_record_without_a_case);
    suite_add_tcase(s, builder);
    TCase *pdf = tcase_create("pdf");
    tcase_set_timeout(pdf, 60);
    tcase_add_test(pdf, pdf_has_every_timeline_entry_and_messages_verbatim);
    tcase_add_test(pdf, pdf_is_the_same_bytes_for_the_same_record);
    tcase_add_test(pdf, pdf_of_200_messages_runs_to_many_pages_unclipped);
    tcase_add_test(pdf, pdf_page_one_renders_to_a_picture_with_ink);
    suite_add_tcase(s, pdf);

    TCase *endpoint = tcase_create("endpoint");
    tcase_add_checked_fixture(endpoint, setup, teardown);
    tcase_set_timeout(endpoint, 60);
    tcase_add_test(endpoint, endpoint_json_pdf_purpose_and_tenants);
    tcase_add_test(endpoint, endpoint_posted_shipment_fills_stripe_fields);
    suite_add_tcase(s, endpoint);
    return s;
}
