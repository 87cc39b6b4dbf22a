/* The decision engine: pure functions, no I/O.
 *
 * A case, the tenant's policy and a summary of the buyer's history go in;
 * a decision comes out (responsibility, tier, remedy, cost, abuse
 * assessment, reply, deadlines). Strings in eng_case are borrowed from the
 * caller and must outlive the call; eng_decision owns all of its storage
 * (fixed-size, no heap), so it can be copied and dropped freely. */
#ifndef REDRESS_ENGINE_H
#define REDRESS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum eng_channel { CHANNEL_AMAZON, CHANNEL_SHOPIFY, CHANNEL_OTHER, CHANNEL_COUNT };
enum eng_fulfillment { FULFILLMENT_FBM, FULFILLMENT_FBA, FULFILLMENT_COUNT };

enum eng_category {
    CAT_WRONG_ITEM, CAT_DEFECTIVE, CAT_DAMAGED_IN_TRANSIT, CAT_MISSING_PARTS, CAT_MINOR_DEFECT,
    CAT_PACKAGING_DAMAGED, CAT_NOT_AS_DESCRIBED, CAT_EXPECTATION_MISMATCH, CAT_USAGE_QUESTION,
    CAT_LATE_DELIVERY, CAT_LOST_IN_TRANSIT, CAT_CHANGED_MIND, CAT_WRONG_SIZE_ORDERED,
    CAT_CANCELLATION_REQUEST, CAT_SERVICE_COMPLAINT, CAT_COUNT
};

enum eng_responsibility { RESP_SELLER, RESP_CARRIER, RESP_BUYER, RESP_SHARED, RESP_COUNT };
enum eng_tier { TIER_TOP, TIER_GOODWILL, TIER_COURTESY, TIER_FIRM, TIER_COUNT };

enum eng_action {
    ACT_FULL_REFUND, ACT_PARTIAL_REFUND, ACT_REPLACEMENT, ACT_RESHIP_PARTS, ACT_EXCHANGE,
    ACT_RETURN_REFUND, ACT_CANCEL_REFUND, ACT_COUPON, ACT_EXTENDED_WARRANTY, ACT_CARRIER_CLAIM,
    ACT_EXPLANATION, ACT_MANUAL_REVIEW, ACT_COUNT
};

enum eng_risk { RISK_LOW, RISK_MEDIUM, RISK_HIGH, RISK_COUNT };

enum eng_language {
    LANG_EN, LANG_ZH_HANS, LANG_ZH_HANT, LANG_DE, LANG_FR, LANG_ES, LANG_IT, LANG_JA, LANG_COUNT
};

enum eng_review_type { REVIEW_NONE, REVIEW_PRODUCT, REVIEW_SELLER_FEEDBACK, REVIEW_COUNT };

/* Names as they appear in the API (contract enumerations), by value. */
extern const char *const ENG_CHANNEL_NAMES[CHANNEL_COUNT];
extern const char *const ENG_FULFILLMENT_NAMES[FULFILLMENT_COUNT];
extern const char *const ENG_CATEGORY_NAMES[CAT_COUNT];
extern const char *const ENG_RESPONSIBILITY_NAMES[RESP_COUNT];
extern const char *const ENG_TIER_NAMES[TIER_COUNT];
extern const char *const ENG_ACTION_NAMES[ACT_COUNT];
extern const char *const ENG_RISK_NAMES[RISK_COUNT];
extern const char *const ENG_LANGUAGE_TAGS[LANG_COUNT];
extern const char *const ENG_REVIEW_TYPE_NAMES[REVIEW_COUNT];

/** Index of text in names[0..count), or -1. */
int eng_enum_parse(const char *const *names, int count, const char *text);

/* ---- money (money.c) ---- */

struct eng_currency {
    char code[4];
    int exponent;               /* minor-unit digits: JPY 0, USD 2, KWD 3 */
    int64_t high_value_minor;   /* default "high value" threshold in minor units */
};

/** The currency for an ISO 4217 code, or NULL if unsupported. */
const struct eng_currency *eng_currency_find(const char *code);

/** amount × percent / 100, rounded half up (amounts are never negative).
 * Returns false on overflow. */
bool eng_percent_of(int64_t amount, int percent, int64_t *out);

/** Format an amount as a native reader of the language expects it
 * ("$7.80", "7,80 €", "780円"). Returns false if out is too small. */
bool eng_money_format(int64_t minor, const struct eng_currency *currency, enum eng_language lang,
                      char *out, size_t size);

/* ---- input ---- */

/* What the seller recorded for this SKU, in the case's currency and per
 * unit; `set` says which values are known (a zeroed struct knows none). */
enum {
    SKU_UNIT_COST = 1, SKU_OUTBOUND_POSTAGE = 2, SKU_RETURN_POSTAGE = 4, SKU_HANDLING = 8, SKU_RESALE = 16,
};
struct eng_sku_costs {
    unsigned set;
    int64_t unit_cost, outbound_postage, return_postage, handling;
    int resale_percent;
};

struct eng_case {
    const char *ticket_id;      /* may be NULL */
    enum eng_channel channel;
    const char *marketplace;    /* may be NULL */
    struct {
        const char *order_id;
        const char *sku;
        const struct eng_currency *currency;
        int64_t item_price;     /* one unit, minor units */
        int64_t quantity;
        int64_t shipping_paid;  /* whole order */
        int64_t unit_cost;      /* landed cost of one unit; < 0 when unknown */
        enum eng_fulfillment fulfillment;
        bool customized;
        bool shipped;
        int64_t ordered_at;     /* Unix seconds; 0 when unknown */
        int64_t delivered_at;   /* Unix seconds; 0 when unknown */
    } order;
    struct {
        const char *buyer_id;
        const char *name;       /* may be NULL */
        const char *language;   /* BCP 47 tag as sent */
    } buyer;
    struct {
        enum eng_category category;
        const char *description; /* may be NULL */
        int64_t delay_days;
        int64_t items_affected; /* 1..quantity */
    } issue;
    struct {
        enum eng_review_type review_type;
        int64_t review_rating;  /* 0 when none */
        bool a_to_z_claim;
        bool chargeback;
        bool return_requested;
    } signals;
    struct eng_sku_costs sku_costs; /* from the seller's settings, not the request */
};

/** What the store knows of this buyer with this tenant, before this case. */
struct eng_history {
    int64_t cases_90d;
    int64_t cases_365d;
    int64_t same_category_90d;
    int64_t refunded_90d;           /* cases with money refunded, last 90 days */
    int64_t refunded_amount_365d;   /* minor units, this case's currency */
    int64_t spent_365d;             /* order value of those cases, same currency */
    int64_t not_received_365d;      /* earlier lost_in_transit claims */
    int64_t abuse_confirmed;        /* outcomes with abuse_confirmed */
};

/* ---- policy (policy.c) ---- */

/** Every number the decisions use. Percentages are whole percents. */
struct eng_policy {
    int version;
    /* remedies */
    int goodwill_min_percent;        /* 20: the goodwill band ... */
    int goodwill_max_percent;        /* 30: ... from the seeds */
    int minor_flaw_percent;          /* 30: scratch, stain: keep it with 30 % back */
    int expectation_percent;         /* 20: works, but not what was imagined */
    int custom_expectation_percent;  /* 30: custom items cannot go back, so the top of the band */
    int late_beyond_promise_percent; /* 20: late past the promised date */
    int missing_parts_alt_percent;   /* 20: keep it as is, instead of waiting for the parts */
    int gesture_percent;             /* 10: small gesture (service, packaging, custom no-return) */
    int usage_coupon_percent;        /* 5: "thanks for your patience, 5 % off next time" */
    int top_gesture_percent;         /* 10: the "and more" of the top tier (coupon, not on Amazon) */
    int late_major_days;             /* 7: late by more than this is treated like lost */
    int64_t high_value_minor;        /* > 0 overrides the currency's high-value threshold */
    /* cost model (percent of the item price unless the tenant sets amounts) */
    int landed_cost_percent;         /* 35: unit cost when none is known */
    int outbound_postage_percent;    /* 10 */
    int return_postage_percent;      /* 12 */
    int handling_percent;            /* 8 */
    int resale_percent;              /* 50: share of landed cost a returned item still fetches */
    int parts_cost_percent;          /* 25: missing parts as a share of landed cost */
    int warranty_cost_percent;       /* 3 */
    bool return_insurance;           /* the seller insures returns (1-3 % of order value) ... */
    int insurance_repay_percent;     /* 80: ... which repays 70-90 % of a return's postage */
    int return_window_days;          /* 30: buyer-subjective returns after delivery */
    /* abuse */
    int abuse_same_category_points;  /* per earlier claim in the same category (90 days) */
    int abuse_frequent_threshold;    /* claims in 90 days before frequent_claims counts */
    int abuse_frequent_points;       /* per claim beyond the threshold */
    int abuse_refund_ratio_percent;  /* refunds ÷ spend over this (365 days) ... */
    int abuse_refund_ratio_min_cases; /* ... over at least this many refunded cases */
    int abuse_refund_ratio_points;
    int abuse_confirmed_points;
    int abuse_not_received_points;   /* per earlier "never arrived" claim */
    int abuse_quick_claim_hours;     /* claims this soon after delivery */
    int abuse_quick_claim_points;
    int abuse_high_value_points;
    int abuse_medium_score;          /* score ≥ this: medium */
    int abuse_high_score;            /* score ≥ this: high → tier firm */
    /* deadlines, hours */
    int respond_hours;               /* 24: every buyer message */
    int a_to_z_hours;                /* 72: answer Amazon on an A-to-z claim */
    int chargeback_hours;            /* 168: 7 calendar days */
};

/** The documented defaults (policy version 1). */
const struct eng_policy *eng_policy_default(void);

/* ---- output ---- */

enum {
    ENG_MAX_ACTIONS = 5, ENG_MAX_ALTERNATIVES = 4, ENG_MAX_BREAKDOWN = 8,
    ENG_MAX_SIGNALS = 8, ENG_MAX_VIOLATIONS = 8, ENG_SUBJECT_MAX = 256, ENG_BODY_MAX = 4096,
    ENG_DETAIL_MAX = 160,
};

struct eng_action_item {
    enum eng_action type;
    int64_t amount;   /* money the action moves (refund, coupon face value); 0 when none */
    int percent;      /* for percentage actions; 0 otherwise */
};

struct eng_breakdown_item {
    const char *item; /* static: "refund", "replacement_goods", "outbound_postage", ... */
    int64_t amount;   /* negative for recoveries */
};

struct eng_remedy {
    enum eng_action primary;
    struct eng_action_item actions[ENG_MAX_ACTIONS];
    int n_actions;
    int64_t refund_amount;
    bool keep_item;
    bool return_required;
    bool seller_pays_return;
    int64_t cost;
    struct eng_breakdown_item breakdown[ENG_MAX_BREAKDOWN];
    int n_breakdown;
};

struct eng_signal {
    const char *code; /* static, stable */
    char detail[ENG_DETAIL_MAX];
};

/* What the compliance guard finds, one code each (the contract's names in
 * ENG_VIOLATION_NAMES). `unchecked`: text the guard could not read in full
 * (not UTF-8, longer than ENG_GUARD_TEXT_MAX, out of memory): never a pass. */
enum eng_violation {
    VIOLATION_UNCHECKED, VIOLATION_REVIEW_REQUEST, VIOLATION_EXTERNAL_LINK, VIOLATION_EMAIL_ADDRESS,
    VIOLATION_PHONE_NUMBER, VIOLATION_HTML, VIOLATION_COUPON_MARKETING, VIOLATION_COUNT
};
extern const char *const ENG_VIOLATION_NAMES[VIOLATION_COUNT];

/* Every kind of violation fits in a result at once. */
_Static_assert((int)VIOLATION_COUNT <= (int)ENG_MAX_VIOLATIONS, "ENG_MAX_VIOLATIONS must hold one of each violation");

/* The longest text the guard reads (bytes); longer is `unchecked`. */
enum { ENG_GUARD_TEXT_MAX = 1 << 20 };

struct eng_guard_result {
    bool passed;
    struct eng_signal violations[ENG_MAX_VIOLATIONS];
    int n_violations;
};

struct eng_decision {
    enum eng_responsibility responsibility;
    enum eng_tier tier;
    struct eng_remedy remedy;
    struct eng_remedy alternatives[ENG_MAX_ALTERNATIVES];
    int n_alternatives;
    struct eng_remedy full_return;        /* the comparator, costed the same way */
    enum eng_risk risk;
    int abuse_score;
    struct eng_signal signals[ENG_MAX_SIGNALS];
    int n_signals;
    struct eng_history history;
    enum eng_language language;
    bool language_fell_back;              /* the buyer's tag had no reply templates */
    char subject[ENG_SUBJECT_MAX];
    char body[ENG_BODY_MAX];
    struct eng_guard_result compliance;
    int64_t unit_cost;                    /* the landed cost of one unit the costs used ... */
    const char *unit_cost_source;         /* ... and where it came from: "case", "sku" or "ratio" */
    int64_t respond_by;                   /* Unix seconds */
    int64_t a_to_z_respond_by;            /* 0 when no A-to-z claim */
    int64_t chargeback_respond_by;        /* 0 when no chargeback */
    int policy_version;
};

/** Load and check the reply templates (embedded data): every language has
 * every sentence, every placeholder is known, and every rendering passes
 * the compliance guard on the channels it is used on. Returns 0, or -1
 * with a message in err. Call once at start, before eng_decide. */
int eng_templates_init(char *err, size_t err_size);

/** Load one language's templates from JSON text, with the same checks;
 * on failure the language keeps what it had. (Start-up uses the embedded
 * files; this is the same check, open to tests.) */
int eng_templates_load(enum eng_language lang, const char *text, size_t len, char *err, size_t err_size);

/** Map a BCP 47 tag to a reply language; *fell_back says when it is en
 * only because the tag is not supported. */
enum eng_language eng_language_resolve(const char *tag, bool *fell_back);

/** Decide a case. now is Unix seconds. Returns 0, or -1 if the case is
 * inconsistent (the HTTP layer validates first, so this is a bug guard). */
int eng_decide(const struct eng_case *c, const struct eng_policy *policy,
               const struct eng_history *history, int64_t now, struct eng_decision *out);

/** The abuse assessment of a history alone, as if a claim in category
 * arrived now: fills risk, abuse_score, signals and history of out. */
void eng_assess_history(const struct eng_policy *policy, const struct eng_history *history,
                        enum eng_category category, struct eng_decision *out);

/** What to do at a risk level: "approve", "inspect_before_refund", "manual_review". */
const char *eng_risk_recommendation(enum eng_risk risk);

/** The amount of the first action of that type in a remedy (0 if none). */
int64_t eng_remedy_action_amount(const struct eng_remedy *r, enum eng_action type);

/** Check a reply against the marketplace's messaging rules. The whole text
 * is checked; what cannot be is an `unchecked` violation, never a pass. */
void eng_guard_check(enum eng_channel channel, const char *text, struct eng_guard_result *out);

/** The same for a reply about one case: own_ids[0..n_own_ids) are the
 * case's own identifiers (order id, SKU, ticket id, case id; NULL or empty
 * entries are skipped). A phone number, address or link that is exactly
 * one of them, as a whole token, is the case's identifier, not a contact
 * detail; anything around it is still checked. */
void eng_guard_check_case(enum eng_channel channel, const char *text, const char *const *own_ids, size_t n_own_ids,
                          struct eng_guard_result *out);

#endif
