/* Imports: the seller's own files (Amazon flat-file reports, our NDJSON
 * account events) read as a stream of records. Pure: no I/O, no MHD, no
 * libpq. The HTTP layer feeds decoded bytes in whatever pieces they
 * arrive; the parser calls the sink once per good row (a record) and once
 * per bad row (a rejection), and stops at the first error that makes the
 * whole file unreadable (a structural error). The database layer stores
 * the records. */
#ifndef REDRESS_IMPORTS_H
#define REDRESS_IMPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(kind, "name in the URL", "source for returns") */
#define IMP_KINDS(X)                                          \
    X(IMP_AMAZON_ALL_ORDERS, "amazon-all-orders")             \
    X(IMP_AMAZON_FBA_RETURNS, "amazon-fba-returns")           \
    X(IMP_AMAZON_FBM_RETURNS, "amazon-fbm-returns")           \
    X(IMP_EVENTS, "events")

#define IMP_KIND_ENUM(kind, name) kind,
enum imp_kind { IMP_KINDS(IMP_KIND_ENUM) IMP_KIND_COUNT };
#undef IMP_KIND_ENUM
extern const char *const IMP_KIND_NAMES[IMP_KIND_COUNT];

/* Account-health event types (the `type` of an events line). */
#define IMP_EVENT_TYPES(X)                                   \
    X(IMP_EVENT_NEGATIVE_FEEDBACK, "negative_feedback")      \
    X(IMP_EVENT_A_TO_Z_CLAIM, "a_to_z_claim")                \
    X(IMP_EVENT_CHARGEBACK, "chargeback")                    \
    X(IMP_EVENT_LATE_SHIPMENT, "late_shipment")              \
    X(IMP_EVENT_SELLER_CANCELLATION, "seller_cancellation")  \
    X(IMP_EVENT_VALID_TRACKING, "valid_tracking")

#define IMP_EVENT_ENUM(type, name) type,
enum imp_event_type { IMP_EVENT_TYPES(IMP_EVENT_ENUM) IMP_EVENT_TYPE_COUNT };
#undef IMP_EVENT_ENUM
extern const char *const IMP_EVENT_TYPE_NAMES[IMP_EVENT_TYPE_COUNT];

enum {
    IMP_TEXT_MAX = 255,        /* longest id or short text field kept (bytes) */
    IMP_REJECTED_KEPT = 100,   /* rejected rows an answer lists */
    IMP_LINE_MAX = 1 << 20,    /* longest physical line (a structural error beyond) */
    IMP_FIELDS_MAX = 256,      /* most fields in one line (a structural error beyond) */
};

/* Times are Unix seconds (UTC); money is in minor units of `currency`.
 * Strings are borrowed from the parser: valid only during the sink call. */
struct imp_order_line {
    const char *order_id, *sku, *order_status, *item_status, *sales_channel, *asin, *ship_country;
    const char *fulfillment;     /* "FBA" (Amazon) or "FBM" (Merchant) */
    int64_t purchased_at, last_updated_at;
    int64_t quantity;
    char currency[4];            /* "" when the line has no price */
    bool has_price;
    int64_t item_price;          /* the line's total (quantity × unit price) */
    bool cancelled;              /* order-status or item-status Cancelled */
};

struct imp_return {
    const char *source;          /* "fba" or "fbm" */
    const char *return_key;      /* identifies the return within its report: three
                                  * kept texts and a time, so up to about
                                  * 3 × IMP_TEXT_MAX bytes (README "Import files") */
    const char *order_id, *sku, *asin, *reason, *status, *disposition;
    const char *category;        /* imp_reason_category(reason) */
    int64_t returned_at;
    int64_t quantity;
    char currency[4];            /* "" when no refunded amount */
    bool has_refund;
    int64_t refunded_amount;
    bool a_to_z_claim;
};

struct imp_event {
    enum imp_event_type type;
    const char *order_id;
    const char *status;          /* "" when the line has none */
    int64_t at;
    bool counts;                 /* counts against its metric */
};

struct imp_record {
    enum imp_kind kind;
    int64_t line;                /* 1-based physical line where the row starts */
    union {
        struct imp_order_line order_line;
        struct imp_return ret;
        struct imp_event event;
    } u;
};

struct imp_rejection {
    int64_t line;
    char column[64];             /* the header name ("purchase-date"), or "" for the whole line */
    char reason[192];
};

struct imp_sink {
    /* Return 0 to go on, -1 to stop the import (the feed then returns -1
     * with a structural error "stopped by the sink"). */
    int (*record)(const struct imp_record *record, void *cls);
    int (*reject)(const struct imp_rejection *rejection, void *cls);
    void *cls;
};

struct imp_parser;

/** A parser for one file of that kind (malloc'd; free with
 * imp_parser_free). NULL when out of memory. */
struct imp_parser *imp_parser_new(enum imp_kind kind);
void imp_parser_free(struct imp_parser *parser);

/** Feed the next bytes of the file, in any pieces. Returns 0, or -1 on a
 * structural error (see imp_parser_error), after which the parser takes
 * nothing more. */
int imp_parser_feed(struct imp_parser *parser, const char *data, size_t len, const struct imp_sink *sink);
/** The file ended: the last line without its line end is read. Returns 0
 * or -1 as imp_parser_feed (an empty file, a missing header and an open
 * quote at the end are structural errors). */
int imp_parser_finish(struct imp_parser *parser, const struct imp_sink *sink);
/** The structural error (line 0 when it concerns the whole file). */
const struct imp_rejection *imp_parser_error(const struct imp_parser *parser);
/** Data rows read so far (records + rejections). */
int64_t imp_parser_rows(const struct imp_parser *parser);

/** A time as the reports and event lines write it, in Unix seconds (UTC):
 * RFC 3339 ("2024-01-15T10:23:45+00:00", "...Z", fractions dropped), the
 * same with a space for the T and the zone as an offset, "UTC", "GMT" or a
 * US/European abbreviation ("PST", "CEST"), or no zone (read as UTC); a
 * date alone ("2024-01-15"; "14-Aug-2024" as the seller-fulfilled returns
 * report prints it; "14-08-2024", day first, as Amazon defines the FBA
 * returns report's return-date) is its midnight UTC; the two day-first
 * forms may be followed by a time as above. False for anything else or
 * an impossible date ("2024-02-30"). */
bool imp_parse_time(const char *text, int64_t *unix_seconds);

/** One of the 15 case categories ("defective") for an Amazon return
 * reason, with or without its "CR-" prefix, case-insensitive; "other"
 * for anything else, empty included. */
const char *imp_reason_category(const char *reason);

#endif
