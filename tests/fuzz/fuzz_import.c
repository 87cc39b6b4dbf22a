/* The import parsers (imp_parser_*) on arbitrary bytes: the first byte
 * picks the kind, the second seeds the split points, the rest is the file,
 * fed once whole and once in pieces of 1 to 64 bytes.
 *
 * Beyond the sanitizers: both feeds give the same records, rejections and
 * structural error (streaming has no seams); a structural error exactly
 * when a call returned -1; rows = records + rejections; every record keeps
 * the limits the database relies on (texts within IMP_TEXT_MAX, quantities
 * and amounts not negative, a three-letter currency exactly when there is
 * an amount, a known category) and every rejection says why. */
#include "buf.h"
#include "engine.h"
#include "fuzz_input.h"
#include "imports.h"

struct seen {
    struct buf text;     /* everything the sink received, as text */
    int64_t records, rejections;
};

static void check_text(const char *s)
{
    FUZZ_REQUIRE(s != NULL);
    FUZZ_REQUIRE(strlen(s) <= IMP_TEXT_MAX);
}

static void check_category(const char *category)
{
    if (strcmp(category, "other") == 0)
        return;
    FUZZ_REQUIRE(eng_enum_parse(ENG_CATEGORY_NAMES, CAT_COUNT, category) >= 0);
}

static int on_record(const struct imp_record *r, void *cls)
{
    struct seen *s = cls;
    s->records++;
    FUZZ_REQUIRE(r->line >= 1);
    switch (r->kind) {
    case IMP_AMAZON_ALL_ORDERS: {
        const struct imp_order_line *o = &r->u.order_line;
        check_text(o->order_id);
        check_text(o->sku);
        check_text(o->order_status);
        check_text(o->item_status);
        check_text(o->sales_channel);
        check_text(o->asin);
        check_text(o->ship_country);
        FUZZ_REQUIRE(o->order_id[0] != '\0' && o->sku[0] != '\0');
        FUZZ_REQUIRE(strcmp(o->fulfillment, "FBA") == 0 || strcmp(o->fulfillment, "FBM") == 0);
        FUZZ_REQUIRE(o->quantity >= 0 && o->quantity <= INT32_MAX);
        FUZZ_REQUIRE(o->has_price ? eng_currency_find(o->currency) != NULL && o->item_price >= 0
                                  : o->currency[0] == '\0' && o->item_price == 0);
        buf_printf(&s->text, "%lld o %s|%s|%s|%s|%s|%s|%s|%s|%lld|%lld|%lld|%s|%lld|%d\n", (long long)r->line,
                   o->order_id, o->sku, o->order_status, o->item_status, o->sales_channel, o->asin,
                   o->ship_country, o->fulfillment, (long long)o->purchased_at, (long long)o->last_updated_at,
                   (long long)o->quantity, o->currency, (long long)o->item_price, o->cancelled);
        break;
    }
    case IMP_AMAZON_FBA_RETURNS:
    case IMP_AMAZON_FBM_RETURNS: {
        const struct imp_return *x = &r->u.ret;
        FUZZ_REQUIRE(x->return_key != NULL && x->return_key[0] != '\0');
        check_text(x->order_id);
        check_text(x->sku);
        check_text(x->asin);
        check_text(x->reason);
        check_text(x->status);
        check_text(x->disposition);
        check_category(x->category);
        FUZZ_REQUIRE(strcmp(x->category, imp_reason_category(x->reason)) == 0);
        FUZZ_REQUIRE(x->quantity >= 0 && x->quantity <= INT32_MAX);
        FUZZ_REQUIRE(x->has_refund ? eng_currency_find(x->currency) != NULL && x->refunded_amount >= 0
                                   : x->currency[0] == '\0');
        buf_printf(&s->text, "%lld r %s|%s|%s|%s|%s|%s|%s|%s|%s|%lld|%lld|%s|%lld|%d\n", (long long)r->line,
                   x->source, x->return_key, x->order_id, x->sku, x->asin, x->reason, x->category, x->status,
                   x->disposition, (long long)x->returned_at, (long long)x->quantity, x->currency,
                   (long long)x->refunded_amount, x->a_to_z_claim);
        break;
    }
    case IMP_EVENTS:
    case IMP_KIND_COUNT: {
        const struct imp_event *e = &r->u.event;
        FUZZ_REQUIRE((unsigned)e->type < IMP_EVENT_TYPE_COUNT);
        check_text(e->order_id);
        FUZZ_REQUIRE(e->order_id[0] != '\0');
        FUZZ_REQUIRE(e->status != NULL);
        buf_printf(&s->text, "%lld e %d|%s|%s|%lld|%d\n", (long long)r->line, (int)e->type, e->order_id,
                   e->status, (long long)e->at, e->counts);
        break;
    }
    }
    return 0;
}

static int on_reject(const struct imp_rejection *r, void *cls)
{
    struct seen *s = cls;
    s->rejections++;
    FUZZ_REQUIRE(r->line >= 1);
    FUZZ_REQUIRE(memchr(r->column, '\0', sizeof(r->column)) != NULL);
    FUZZ_REQUIRE(memchr(r->reason, '\0', sizeof(r->reason)) != NULL && r->reason[0] != '\0');
    buf_printf(&s->text, "%lld x %s|%s\n", (long long)r->line, r->column, r->reason);
    return 0;
}

/* Parse the file, in pieces when seed != 0; what was seen, as text (caller frees). */
static char *parse(enum imp_kind kind, const uint8_t *data, size_t size, uint8_t seed, bool in_pieces)
{
    struct seen s = { .records = 0 };
    buf_init(&s.text, 0);
    struct imp_sink sink = { on_record, on_reject, &s };
    struct imp_parser *p = imp_parser_new(kind);
    FUZZ_REQUIRE(p != NULL);
    int rc = 0;
    uint32_t state = seed * 2654435761u + 1;
    for (size_t at = 0; at < size && rc == 0;) {
        size_t piece = size - at;
        if (in_pieces) {
            state = state * 1103515245u + 12345u;
            size_t want = 1 + (state >> 16) % 64;
            piece = want < piece ? want : piece;
        }
        rc = imp_parser_feed(p, (const char *)data + at, piece, &sink);
        at += piece;
    }
    if (rc == 0)
        rc = imp_parser_finish(p, &sink);
    const struct imp_rejection *error = imp_parser_error(p);
    FUZZ_REQUIRE((rc != 0) == (error != NULL));
    if (error != NULL) {
        FUZZ_REQUIRE(error->reason[0] != '\0' && error->line >= 0);
        buf_printf(&s.text, "error %lld %s\n", (long long)error->line, error->reason);
    }
    FUZZ_REQUIRE(imp_parser_rows(p) == s.records + s.rejections);
    imp_parser_free(p);
    FUZZ_REQUIRE(buf_ok(&s.text));
    return buf_steal(&s.text, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    enum imp_kind kind = (enum imp_kind)(fuzz_byte(&in) % IMP_KIND_COUNT);
    uint8_t seed = fuzz_byte(&in);
    char *whole = parse(kind, in.data, in.size, seed, false);
    char *pieces = parse(kind, in.data, in.size, seed, true);
    FUZZ_REQUIRE(strcmp(whole, pieces) == 0);
    free(whole);
    free(pieces);
    return 0;
}
