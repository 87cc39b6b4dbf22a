/* Amazon's flat files: the All Orders report and the two returns reports.
 * Each kind is a table of the columns it reads (by header name, in any
 * order; the others are ignored) and one function from a row to a record.
 * Kept: ids, statuses, SKUs, counts, money and the ship country; never the
 * buyer's address, product names or free text from the buyer. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imports_internal.h"

/* X(id, "header", "other header or NULL", required) */
#define COLUMN_SPEC(id, name, alias, required) [id] = { name, alias, required },
#define COLUMN_ID(id, name, alias, required) id,

/* ---- All Orders (by order date or by last update; 32 or 29 columns) ---- */

#define ALL_ORDERS_COLUMNS(X)                                  \
    X(AO_ORDER_ID, "amazon-order-id", NULL, true)              \
    X(AO_PURCHASE_DATE, "purchase-date", NULL, true)           \
    X(AO_LAST_UPDATED, "last-updated-date", NULL, true)        \
    X(AO_ORDER_STATUS, "order-status", NULL, true)             \
    X(AO_FULFILLMENT, "fulfillment-channel", NULL, true)       \
    X(AO_SALES_CHANNEL, "sales-channel", NULL, false)          \
    X(AO_SKU, "sku", NULL, true)                               \
    X(AO_ASIN, "asin", NULL, false)                            \
    X(AO_ITEM_STATUS, "item-status", NULL, false)              \
    X(AO_QUANTITY, "quantity", "quantity-purchased", true)     \
    X(AO_CURRENCY, "currency", NULL, true)                     \
    X(AO_ITEM_PRICE, "item-price", NULL, true)                 \
    X(AO_SHIP_COUNTRY, "ship-country", NULL, false)

enum { ALL_ORDERS_COLUMNS(COLUMN_ID) AO_COUNT };
static const struct imp_column ALL_ORDERS_COLUMN_SPECS[AO_COUNT] = { ALL_ORDERS_COLUMNS(COLUMN_SPEC) };
_Static_assert((int)AO_COUNT <= (int)IMP_COLUMNS_MAX, "IMP_COLUMNS_MAX holds the All Orders columns");

/* fulfillment-channel as the report prints it (and as the Orders API
 * names it) → ours. */
static const struct {
    const char *text, *ours;
} FULFILLMENT_CHANNELS[] = {
    { "Amazon", "FBA" }, { "AFN", "FBA" }, { "Merchant", "FBM" }, { "MFN", "FBM" },
};

static bool is_cancelled(const char *status)
{
    return strcasecmp(status, "Cancelled") == 0 || strcasecmp(status, "Canceled") == 0;
}

static bool convert_order_line(struct imp_row *row, struct imp_record *record)
{
    struct imp_order_line *o = &record->u.order_line;
    o->order_id = imp_text(row, AO_ORDER_ID, true);
    o->purchased_at = imp_time(row, AO_PURCHASE_DATE);
    o->last_updated_at = imp_time(row, AO_LAST_UPDATED);
    o->order_status = imp_text(row, AO_ORDER_STATUS, true);
    const char *channel = imp_text(row, AO_FULFILLMENT, true);
    o->fulfillment = NULL;
    for (size_t i = 0; i < sizeof(FULFILLMENT_CHANNELS) / sizeof(FULFILLMENT_CHANNELS[0]); i++)
        if (strcasecmp(channel, FULFILLMENT_CHANNELS[i].text) == 0)
            o->fulfillment = FULFILLMENT_CHANNELS[i].ours;
    if (o->fulfillment == NULL)
        imp_row_fail(row, row->column_name[AO_FULFILLMENT], "must be Amazon or Merchant");
    o->sales_channel = imp_text(row, AO_SALES_CHANNEL, false);
    o->sku = imp_text(row, AO_SKU, true);
    o->asin = imp_text(row, AO_ASIN, false);
    o->item_status = imp_text(row, AO_ITEM_STATUS, false);
    o->quantity = imp_quantity(row, AO_QUANTITY);
    o->has_price = imp_amount(row, AO_ITEM_PRICE, AO_CURRENCY, o->currency, &o->item_price);
    o->ship_country = imp_text(row, AO_SHIP_COUNTRY, false);
    o->cancelled = is_cancelled(o->order_status) || is_cancelled(o->item_status);
    return !row->bad;
}

const struct imp_kind_spec IMP_ALL_ORDERS_SPEC = {
    .tabular = true,
    .columns = ALL_ORDERS_COLUMN_SPECS,
    .column_count = AO_COUNT,
    .convert = convert_order_line,
};

/* ---- returns: the key that identifies a return within its report ---- */

_Static_assert((int)IMP_KEY_MAX > 3 * (int)IMP_TEXT_MAX + 2, "a return key of three kept texts is never cut");

/* "a|b|c" from three texts; with c empty, the return's time stands in for
 * it ("a|b|@1705314225"), so a report re-downloaded later keys the same
 * rows the same way. */
static const char *return_key(struct imp_row *row, const char *a, const char *b, const char *c,
                              int64_t returned_at)
{
    if (*c != '\0')
        snprintf(row->key, sizeof(row->key), "%s|%s|%s", a, b, c);
    else
        snprintf(row->key, sizeof(row->key), "%s|%s|@%lld", a, b, (long long)returned_at);
    return row->key;
}

/* ---- FBA customer returns ---- */

#define FBA_RETURNS_COLUMNS(X)                                  \
    X(FR_RETURN_DATE, "return-date", NULL, true)                \
    X(FR_ORDER_ID, "order-id", "amazon-order-id", true)         \
    X(FR_SKU, "sku", NULL, true)                                \
    X(FR_ASIN, "asin", NULL, false)                             \
    X(FR_QUANTITY, "quantity", NULL, true)                      \
    X(FR_DISPOSITION, "detailed-disposition", NULL, false)      \
    X(FR_REASON, "reason", NULL, false)                         \
    X(FR_STATUS, "status", NULL, false)                         \
    X(FR_LPN, "license-plate-number", NULL, false)

enum { FBA_RETURNS_COLUMNS(COLUMN_ID) FR_COUNT };
static const struct imp_column FBA_RETURNS_COLUMN_SPECS[FR_COUNT] = { FBA_RETURNS_COLUMNS(COLUMN_SPEC) };
_Static_assert((int)FR_COUNT <= (int)IMP_COLUMNS_MAX, "IMP_COLUMNS_MAX holds the FBA returns columns");

static bool convert_fba_return(struct imp_row *row, struct imp_record *record)
{
    struct imp_return *r = &record->u.ret;
    r->source = "fba";
    r->returned_at = imp_time(row, FR_RETURN_DATE);
    r->order_id = imp_text(row, FR_ORDER_ID, true);
    r->sku = imp_text(row, FR_SKU, true);
    r->asin = imp_text(row, FR_ASIN, false);
    r->quantity = imp_quantity(row, FR_QUANTITY);
    r->disposition = imp_text(row, FR_DISPOSITION, false);
    r->reason = imp_text(row, FR_REASON, false);
    r->status = imp_text(row, FR_STATUS, false);
    const char *lpn = imp_text(row, FR_LPN, false);
    if (row->bad)
        return false;
    r->category = imp_reason_category(r->reason);
    /* One row per returned unit's license plate; without one, the time it
     * was processed tells the rows of an order and SKU apart. */
    r->return_key = return_key(row, r->order_id, r->sku, lpn, r->returned_at);
    r->currency[0] = '\0';
    r->has_refund = false;
    r->refunded_amount = 0;
    r->a_to_z_claim = false;
    return true;
}

const struct imp_kind_spec IMP_FBA_RETURNS_SPEC = {
    .tabular = true,
    .columns = FBA_RETURNS_COLUMN_SPECS,
    .column_count = FR_COUNT,
    .convert = convert_fba_return,
};

/* ---- seller-fulfilled (FBM) returns ---- */

#define FBM_RETURNS_COLUMNS(X)                                  \
    X(MR_ORDER_ID, "Order ID", NULL, true)                      \
    X(MR_REQUEST_DATE, "Return request date", NULL, true)       \
    X(MR_STATUS, "Return request status", NULL, false)          \
    X(MR_RMA_ID, "Amazon RMA ID", NULL, false)                  \
    X(MR_CURRENCY, "Currency code", NULL, false)                \
    X(MR_A_TO_Z, "A-to-Z Claim", NULL, false)                   \
    X(MR_ASIN, "ASIN", NULL, false)                             \
    X(MR_SKU, "Merchant SKU", NULL, true)                       \
    X(MR_QUANTITY, "Return quantity", NULL, true)               \
    X(MR_REASON, "Return Reason", NULL, false)                  \
    X(MR_RESOLUTION, "Resolution", NULL, false)                 \
    X(MR_REFUNDED, "Refunded Amount", NULL, false)

enum { FBM_RETURNS_COLUMNS(COLUMN_ID) MR_COUNT };
static const struct imp_column FBM_RETURNS_COLUMN_SPECS[MR_COUNT] = { FBM_RETURNS_COLUMNS(COLUMN_SPEC) };
_Static_assert((int)MR_COUNT <= (int)IMP_COLUMNS_MAX, "IMP_COLUMNS_MAX holds the FBM returns columns");

/* "A-to-Z Claim": the report prints Y or N; empty reads as no claim. */
static const struct {
    const char *text;
    bool claim;
} YES_NO[] = {
    { "Y", true }, { "Yes", true }, { "true", true }, { "N", false }, { "No", false }, { "false", false },
    { "", false },
};

static bool convert_fbm_return(struct imp_row *row, struct imp_record *record)
{
    struct imp_return *r = &record->u.ret;
    r->source = "fbm";
    r->order_id = imp_text(row, MR_ORDER_ID, true);
    r->returned_at = imp_time(row, MR_REQUEST_DATE);
    r->status = imp_text(row, MR_STATUS, false);
    const char *rma = imp_text(row, MR_RMA_ID, false);
    const char *claim = imp_text(row, MR_A_TO_Z, false);
    bool claim_known = false;
    for (size_t i = 0; i < sizeof(YES_NO) / sizeof(YES_NO[0]); i++)
        if (strcasecmp(claim, YES_NO[i].text) == 0) {
            r->a_to_z_claim = YES_NO[i].claim;
            claim_known = true;
        }
    if (!claim_known)
        imp_row_fail(row, row->column_name[MR_A_TO_Z], "must be Y or N");
    r->asin = imp_text(row, MR_ASIN, false);
    r->sku = imp_text(row, MR_SKU, true);
    r->quantity = imp_quantity(row, MR_QUANTITY);
    r->reason = imp_text(row, MR_REASON, false);
    /* No fulfilment-centre disposition for a seller's own returns: what
     * Amazon resolved (StandardRefund, Replacement...) stands in its place. */
    r->disposition = imp_text(row, MR_RESOLUTION, false);
    r->has_refund = imp_amount(row, MR_REFUNDED, MR_CURRENCY, r->currency, &r->refunded_amount);
    if (row->bad)
        return false;
    r->category = imp_reason_category(r->reason);
    /* An RMA id names one return authorisation, which may cover several
     * SKUs of the order; without one (a returnless refund), the request
     * date tells them apart. */
    r->return_key = *rma != '\0' ? return_key(row, r->order_id, rma, r->sku, r->returned_at)
                                 : return_key(row, r->order_id, r->sku, "", r->returned_at);
    return true;
}

const struct imp_kind_spec IMP_FBM_RETURNS_SPEC = {
    .tabular = true,
    .columns = FBM_RETURNS_COLUMN_SPECS,
    .column_count = MR_COUNT,
    .convert = convert_fbm_return,
};
