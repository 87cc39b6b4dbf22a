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

/* An account-health metric against its target (health.c, below). */
enum eng_health_status { HEALTH_GOOD, HEALTH_AT_RISK, HEALTH_BAD, HEALTH_STATUS_COUNT };

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

/** Decimal text as minor units of a currency with `exponent` decimals:
 * digits, then optionally '.' and at least one digit ("12", "12.5",
 * "12.50"; "1500.00" yen, exact trailing zeros lose nothing). NULL when it
 * is one, else why not ("not an amount", "negative amount", "more decimal
 * places than the currency has", "amount too large"): imports, and the
 * helpdesk connectors' price fields, read amounts this one way. */
const char *eng_money_parse(const char *text, int exponent, int64_t *minor);

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

/* ---- triage (triage.c): the buyer's own words ---- */

/* What a buyer's message can carry besides its category, described once:
 * the enum, the API's names and the lexicons' keys come from this list. */
#define ENG_TRIAGE_SIGNALS(X)                                        \
    X(TRIAGE_THREATENS_NEGATIVE_REVIEW, "threatens_negative_review") \
    X(TRIAGE_THREATENS_A_TO_Z, "threatens_a_to_z")                   \
    X(TRIAGE_THREATENS_CHARGEBACK, "threatens_chargeback")           \
    X(TRIAGE_MENTIONS_SAFETY_HAZARD, "mentions_safety_hazard")       \
    X(TRIAGE_REQUESTS_REFUND, "requests_refund")                     \
    X(TRIAGE_REQUESTS_REPLACEMENT, "requests_replacement")           \
    X(TRIAGE_REQUESTS_RETURN, "requests_return")                     \
    X(TRIAGE_ALREADY_RETURNED, "already_returned")                   \
    X(TRIAGE_ITEM_NOT_RECEIVED, "item_not_received")                 \
    X(TRIAGE_REPEAT_CONTACT, "repeat_contact")                       \
    X(TRIAGE_ABUSIVE_LANGUAGE, "abusive_language")

#define ENG_TRIAGE_SIGNAL_ENUM(id, name) id,
enum eng_triage_signal { ENG_TRIAGE_SIGNALS(ENG_TRIAGE_SIGNAL_ENUM) TRIAGE_SIGNAL_COUNT };
#undef ENG_TRIAGE_SIGNAL_ENUM
extern const char *const ENG_TRIAGE_SIGNAL_NAMES[TRIAGE_SIGNAL_COUNT];
#define ENG_TRIAGE_SIGNAL_BIT(signal) (1u << (unsigned)(signal))
_Static_assert((int)TRIAGE_SIGNAL_COUNT <= 32, "signals are bits of an unsigned");

enum {
    ENG_TRIAGE_TEXT_MAX = 8192,   /* bytes of a message triage reads (the API's limit on issue.message) */
    ENG_TRIAGE_MATCHED_MAX = 5,   /* the words that decided the category, at most */
};

/* A category read from the message below this confidence is a guess a
 * person confirms before money moves (the decision adds manual_review). */
#define ENG_TRIAGE_CONFIDENCE_MIN 0.6

/* Bytes [offset, offset + length) of the message triage read. */
struct eng_text_span {
    uint16_t offset, length;
};
_Static_assert(ENG_TRIAGE_TEXT_MAX <= UINT16_MAX, "spans of a message fit in 16 bits");

struct eng_triage {
    bool read;                      /* a message was read; when false, nothing else is set */
    enum eng_category category;     /* the best guess, also when uncertain */
    double confidence;              /* 0..1, in thousandths */
    bool uncertain;                 /* confidence < ENG_TRIAGE_CONFIDENCE_MIN */
    bool language_known;            /* the script or the words told the language */
    enum eng_language language;     /* when language_known */
    struct eng_text_span matched[ENG_TRIAGE_MATCHED_MAX]; /* what decided the category, in text order */
    int n_matched;
    unsigned signals;               /* ENG_TRIAGE_SIGNAL_BIT()s */
    struct eng_text_span signal_matched[TRIAGE_SIGNAL_COUNT]; /* the first words of each signal present */
};

/** Build the lexicons (embedded data, service/engine/triage/) into one
 * matcher and check them: every language has every category and signal,
 * every phrase normalises to something matchable, weights and windows are
 * in range, the variant table is one character to one. Returns 0, or -1
 * with a message naming the file and the entry in err. Call once at
 * start, before eng_triage. */
int eng_triage_init(char *err, size_t err_size);

/** The same checks on one language's lexicon text, without installing it
 * (what start-up runs on each embedded file; open to tests). */
int eng_triage_check_lexicon(const char *path, const char *text, size_t len, char *err, size_t err_size);

/** Read a buyer's message (UTF-8; at most ENG_TRIAGE_TEXT_MAX bytes are
 * read; bytes that are not UTF-8 separate words). Pure: the same text
 * always gives the same result, in time linear in the text. Returns 0, or
 * -1 when eng_triage_init has not succeeded or memory ran out. */
int eng_triage(const char *text, size_t len, struct eng_triage *out);

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
        const char *message;     /* the buyer's text as received; may be NULL */
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
    /* What triage read in issue.message (the caller runs eng_triage;
     * triage.read false when there is none). category_from_message:
     * issue.category is triage's guess, not the request's. */
    struct eng_triage triage;
    bool category_from_message;
    struct eng_sku_costs sku_costs; /* from the seller's settings, not the request */
    /* From the account's own data, not the request; `known` false (as in a
     * zeroed struct) when it was not read: no rule then uses it. */
    struct {
        bool known;
        int64_t compensation, revenue; /* the SKU's, in the case's currency, over the budget window */
        int sku_percent;               /* the SKU's own budget; < 0: the policy's */
    } budget;
    struct {
        bool known;                    /* orders were imported for the window */
        enum eng_health_status order_defect_rate;
    } account_health;
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

/* A tenant's policy is a versioned document (GET /v1/policy). Every
 * tunable number is described once, in ENG_POLICY_TUNABLES: its group in
 * the document, its kind, its member of struct eng_policy (and name in the
 * document), its range and what it means. The struct, the table that
 * validation, the JSON document and the openapi.yaml check walk, and the
 * documentation all come from this list. The ranges also bound the
 * engine's arithmetic: points × capped counts, percents of int64 amounts. */
enum eng_policy_group {
    POLICY_GROUP_REMEDIES, POLICY_GROUP_COSTS, POLICY_GROUP_ABUSE, POLICY_GROUP_DEADLINES, POLICY_GROUP_COUNT
};
extern const char *const ENG_POLICY_GROUP_NAMES[POLICY_GROUP_COUNT];

enum eng_tunable_kind { TUNABLE_INT, TUNABLE_BOOL, TUNABLE_MONEY };
#define ENG_TUNABLE_CTYPE_INT int
#define ENG_TUNABLE_CTYPE_BOOL bool
#define ENG_TUNABLE_CTYPE_MONEY int64_t

/* The largest amount a policy may name, in minor units (as the API's amounts). */
#define ENG_POLICY_MONEY_MAX 100000000000LL

/* X(GROUP, KIND, member, "document name", min, max, "help") */
#define ENG_POLICY_TUNABLES(X) \
    X(REMEDIES, INT, goodwill_min_percent, "goodwill_min_percent", 0, 100, \
      "Lowest partial refund a goodwill offer may name (seeds: 20 %).") \
    X(REMEDIES, INT, goodwill_max_percent, "goodwill_max_percent", 0, 100, \
      "Highest partial refund a goodwill offer may name (seeds: 30 %).") \
    X(REMEDIES, INT, custom_expectation_percent, "custom_expectation_percent", 0, 100, \
      "Partial refund for a personalised item that is not what the buyer imagined (it cannot go back).") \
    X(REMEDIES, INT, gesture_percent, "gesture_percent", 0, 100, \
      "Small gesture where there is no loss (packaging, service, custom no-return).") \
    X(REMEDIES, INT, usage_coupon_percent, "usage_coupon_percent", 0, 100, \
      "Coupon after a usage question or a delay within the promise (not on Amazon).") \
    X(REMEDIES, INT, top_gesture_percent, "top_gesture_percent", 0, 100, \
      "The \"and more\" of the top tier, on top of a full refund or replacement.") \
    X(REMEDIES, INT, late_major_days, "late_major_days", 0, 365, \
      "A parcel this many days late and not delivered is treated as lost.") \
    X(REMEDIES, MONEY, high_value_minor, "high_value_minor", 0, ENG_POLICY_MONEY_MAX, \
      "Item price from which the seller wants the item back (0: the currency's default).") \
    X(REMEDIES, INT, return_window_days, "return_window_days", 0, 3650, \
      "Days after delivery within which buyer-subjective returns are accepted.") \
    X(REMEDIES, BOOL, favour_buyer_when_odr_at_risk, "favour_buyer_when_odr_at_risk", 0, 1, \
      "With the order defect rate at_risk or bad, an A-to-z claim, a chargeback or threatened negative seller feedback gets the category's top remedy without dispute.") \
    X(COSTS, INT, landed_cost_percent, "landed_cost_percent", 0, 1000, \
      "Unit cost as a share of the price when neither the case nor the SKU says.") \
    X(COSTS, INT, outbound_postage_percent, "outbound_postage_percent", 0, 1000, \
      "Postage to send goods again, as a share of the price.") \
    X(COSTS, INT, return_postage_percent, "return_postage_percent", 0, 1000, \
      "Return postage, as a share of the price.") \
    X(COSTS, INT, handling_percent, "handling_percent", 0, 1000, \
      "Handling of a returned item, as a share of the price.") \
    X(COSTS, INT, resale_percent, "resale_percent", 0, 100, \
      "Share of the landed cost a returned (not personalised) item still fetches.") \
    X(COSTS, INT, parts_cost_percent, "parts_cost_percent", 0, 100, \
      "Missing parts, as a share of the landed cost.") \
    X(COSTS, INT, warranty_cost_percent, "warranty_cost_percent", 0, 100, \
      "An extended warranty, as a share of the price.") \
    X(COSTS, BOOL, return_insurance, "return_insurance", 0, 1, \
      "The seller insures returns (seed 002: 1-3 % of order value).") \
    X(COSTS, INT, insurance_repay_percent, "insurance_repay_percent", 0, 100, \
      "Share of a return's postage the insurance repays (seed 002: 70-90 %).") \
    X(COSTS, INT, compensation_budget_percent, "compensation_budget_percent", 0, 100, \
      "Share of a SKU's revenue the seller accepts to spend on compensation (a SKU may override it).") \
    X(COSTS, BOOL, prefer_cheapest_over_budget, "prefer_cheapest_over_budget", 0, 1, \
      "Over a SKU's budget, recommend the cheapest remedy that makes the buyer equally whole.") \
    X(COSTS, INT, budget_window_days, "budget_window_days", 7, 365, \
      "Days of compensation and revenue a SKU's budget is measured over (ending today).") \
    X(ABUSE, INT, abuse_same_category_points, "same_category_points", 0, 100, \
      "Points per earlier claim in the same category (90 days).") \
    X(ABUSE, INT, abuse_frequent_threshold, "frequent_threshold", 0, 1000, \
      "Claims in 90 days before frequent_claims counts.") \
    X(ABUSE, INT, abuse_frequent_points, "frequent_points", 0, 100, \
      "Points per claim beyond the threshold.") \
    X(ABUSE, INT, abuse_refund_ratio_percent, "refund_ratio_percent", 0, 1000, \
      "Refunds over spend (365 days) at or above this percent count as high_refund_ratio ...") \
    X(ABUSE, INT, abuse_refund_ratio_min_cases, "refund_ratio_min_cases", 0, 1000, \
      "... over at least this many refunded cases.") \
    X(ABUSE, INT, abuse_refund_ratio_points, "refund_ratio_points", 0, 100, \
      "Points for a high refund ratio.") \
    X(ABUSE, INT, abuse_confirmed_points, "confirmed_points", 0, 100, \
      "Points when earlier outcomes confirmed abuse.") \
    X(ABUSE, INT, abuse_not_received_points, "not_received_points", 0, 100, \
      "Points per earlier \"never arrived\" claim (365 days).") \
    X(ABUSE, INT, abuse_quick_claim_hours, "quick_claim_hours", 0, 8760, \
      "A claim this many hours after delivery or sooner is a quick claim.") \
    X(ABUSE, INT, abuse_quick_claim_points, "quick_claim_points", 0, 100, \
      "Points for a quick claim.") \
    X(ABUSE, INT, abuse_high_value_points, "high_value_points", 0, 100, \
      "Points for a high-value order.") \
    X(ABUSE, INT, abuse_medium_score, "medium_score", 1, 10000, \
      "Score from which the risk is medium (inspect before refunding, no gestures).") \
    X(ABUSE, INT, abuse_high_score, "high_score", 1, 10000, \
      "Score from which the risk is high (tier firm, a person decides); above medium_score.") \
    X(DEADLINES, INT, respond_hours, "respond_hours", 1, 720, \
      "Hours to answer every buyer message (Amazon: 24).") \
    X(DEADLINES, INT, a_to_z_hours, "a_to_z_hours", 1, 720, \
      "Hours to answer Amazon on an A-to-z claim (72).") \
    X(DEADLINES, INT, chargeback_hours, "chargeback_hours", 1, 720, \
      "Hours to answer a chargeback (7 calendar days: 168).")

/* One row of the table, for what walks it. */
struct eng_tunable {
    const char *name;              /* in the document, under its group */
    enum eng_policy_group group;
    enum eng_tunable_kind kind;
    size_t offset;                 /* in struct eng_policy */
    int64_t min, max;
    const char *help;
};

/* What the seller decides per category. */
struct eng_category_rule {
    int goodwill_percent;          /* the partial refund the category's rule offers, where it offers one */
    unsigned allowed_actions;      /* ENG_ACTION_BIT(a) set for each action the engine may choose */
    enum eng_tier tier_ceiling;    /* the most generous tier: top, goodwill or courtesy */
};
#define ENG_ACTION_BIT(action) (1u << (unsigned)(action))
#define ENG_ALL_ACTIONS ((1u << (unsigned)ACT_COUNT) - 1u)

/* Currencies the service knows (money.c), by index: per-currency settings. */
enum { ENG_CURRENCY_COUNT = 39 };

/** Every number the decisions use. Percentages are whole percents. */
struct eng_policy {
    int version;
#define ENG_POLICY_MEMBER(group, kind, member, name, min, max, help) ENG_TUNABLE_CTYPE_##kind member;
    ENG_POLICY_TUNABLES(ENG_POLICY_MEMBER)
#undef ENG_POLICY_MEMBER
    struct eng_category_rule categories[CAT_COUNT];
    /* A refund above this (minor units of the currency at that index)
     * adds manual_review; < 0: no limit in that currency. */
    int64_t auto_approve_limit[ENG_CURRENCY_COUNT];
};

#define ENG_POLICY_PLUS_ONE(group, kind, member, name, min, max, help) +1
enum { ENG_TUNABLE_COUNT = 0 ENG_POLICY_TUNABLES(ENG_POLICY_PLUS_ONE) };
#undef ENG_POLICY_PLUS_ONE
extern const struct eng_tunable ENG_TUNABLES[ENG_TUNABLE_COUNT];

/** The documented defaults (policy version 1). */
const struct eng_policy *eng_policy_default(void);

/** The tunable of that group and document name, or NULL. */
const struct eng_tunable *eng_tunable_find(enum eng_policy_group group, const char *name);
/** A tunable's value in a policy (bools as 0/1), and setting it (the
 * caller keeps it within the tunable's range). */
int64_t eng_tunable_get(const struct eng_policy *policy, const struct eng_tunable *t);
void eng_tunable_set(struct eng_policy *policy, const struct eng_tunable *t, int64_t value);

/** The actions a category's rule can offer (as primary or alternative), as
 * ENG_ACTION_BIT()s: an allowed set without any of them leaves the
 * category nothing to offer. */
unsigned eng_category_offers(enum eng_category category);

/** Cross-field rules of a policy whose fields are each in range: calls
 * report(path, message, cls) once per broken rule, with the field's path
 * in the document ("remedies.goodwill_min_percent"). Returns the number
 * of broken rules (0: the policy is consistent). */
int eng_policy_check(const struct eng_policy *policy,
                     void (*report)(const char *path, const char *message, void *cls), void *cls);

/** The currency at index i (0 <= i < ENG_CURRENCY_COUNT), and the index of
 * a currency (as found by eng_currency_find). */
const struct eng_currency *eng_currency_at(int i);
int eng_currency_index(const struct eng_currency *currency);

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
    /* The SKU's compensation against its budget, when its revenue is known
     * (the response's `budget`); rule: what it changed, a static code or NULL. */
    struct {
        bool known;
        int64_t compensation, revenue;
        int percent;
        bool over;
        const char *rule;
    } budget;
    /* The order defect rate's status, when known (`account_health`); rule
     * and trigger: static codes, or NULL when it changed nothing. */
    struct {
        bool known;
        enum eng_health_status order_defect_rate;
        const char *rule, *trigger;
    } account_health;
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

/** The same decision without the reply (subject, body and compliance stay
 * empty): what replays need, at a fraction of the cost. */
int eng_decide_remedy(const struct eng_case *c, const struct eng_policy *policy,
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


/* ---- account health (health.c) ---- */

/* Amazon's seller metrics, described once: the reports and the decisions
 * (the order defect rate's status) read this table. X(id, "name",
 * window_days, target in basis points of a fraction, higher_is_better).
 * Targets are strict: ODR must stay below 1 %, so exactly 1 % is bad; the
 * valid tracking rate must stay above 95 %, so exactly 95 % is bad. The
 * contact response time is the share of cases first answered after 24 h. */
#define ENG_HEALTH_METRICS(X)                                                          \
    X(HEALTH_ORDER_DEFECT_RATE, "order_defect_rate", 60, 100, false)                   \
    X(HEALTH_LATE_SHIPMENT_RATE_10D, "late_shipment_rate_10d", 10, 400, false)         \
    X(HEALTH_LATE_SHIPMENT_RATE_30D, "late_shipment_rate_30d", 30, 400, false)         \
    X(HEALTH_PRE_FULFILLMENT_CANCEL_RATE, "pre_fulfillment_cancel_rate", 7, 250, false) \
    X(HEALTH_VALID_TRACKING_RATE, "valid_tracking_rate", 30, 9500, true)               \
    X(HEALTH_CONTACT_RESPONSE_LATE, "contact_response_time", 30, 1000, false)

#define ENG_HEALTH_ENUM(id, name, days, target_bp, higher) id,
enum eng_health_metric { ENG_HEALTH_METRICS(ENG_HEALTH_ENUM) HEALTH_METRIC_COUNT };
#undef ENG_HEALTH_ENUM

struct eng_health_metric_info {
    const char *name;
    int window_days;
    int target_bp;           /* the target as a fraction, in basis points (1 % = 100) */
    bool higher_is_better;
};
extern const struct eng_health_metric_info ENG_HEALTH_METRIC_INFO[HEALTH_METRIC_COUNT];

/* good: clear of the target by more than 20 % of it; at_risk: within 20 %
 * of the target (inclusive) but still meeting it; bad: missing it. For a
 * higher-is-better target the shortfall from 100 % is what is compared. */
extern const char *const ENG_HEALTH_STATUS_NAMES[HEALTH_STATUS_COUNT];

/** The status of numerator ÷ denominator against a metric's target, in
 * exact integer arithmetic (no rounding at the thresholds). A zero
 * denominator is good: nothing happened that could miss the target. */
enum eng_health_status eng_health_status(enum eng_health_metric metric, int64_t numerator, int64_t denominator);


/* ---- compensation budget (health.c) ---- */

/** Whether compensation ÷ revenue is strictly above budget_percent %, in
 * exact integer arithmetic. Unknown (revenue <= 0: no sales imported for
 * the window) is never over: a budget needs revenue to be a share of. */
bool eng_budget_over(int64_t compensation, int64_t revenue, int budget_percent);

#endif
