/* Policy version 1: every number a decision uses, with where it comes
 * from. A tenant's overrides will start from a copy of this. */
#include <string.h>

#include "engine.h"

const char *const ENG_CHANNEL_NAMES[CHANNEL_COUNT] = { "amazon", "shopify", "other" };
const char *const ENG_FULFILLMENT_NAMES[FULFILLMENT_COUNT] = { "FBM", "FBA" };
const char *const ENG_CATEGORY_NAMES[CAT_COUNT] = {
    "wrong_item", "defective", "damaged_in_transit", "missing_parts", "minor_defect",
    "packaging_damaged", "not_as_described", "expectation_mismatch", "usage_question",
    "late_delivery", "lost_in_transit", "changed_mind", "wrong_size_ordered",
    "cancellation_request", "service_complaint",
};
const char *const ENG_RESPONSIBILITY_NAMES[RESP_COUNT] = { "seller", "carrier", "buyer", "shared" };
const char *const ENG_TIER_NAMES[TIER_COUNT] = { "top", "goodwill", "courtesy", "firm" };
const char *const ENG_ACTION_NAMES[ACT_COUNT] = {
    "full_refund", "partial_refund", "replacement", "reship_parts", "exchange", "return_refund",
    "cancel_refund", "coupon", "extended_warranty", "carrier_claim", "explanation", "manual_review",
};
const char *const ENG_RISK_NAMES[RISK_COUNT] = { "low", "medium", "high" };
const char *const ENG_LANGUAGE_TAGS[LANG_COUNT] = { "en", "zh-Hans", "zh-Hant", "de", "fr", "es", "it", "ja" };
const char *const ENG_REVIEW_TYPE_NAMES[REVIEW_COUNT] = { "none", "product_review", "seller_feedback" };

int eng_enum_parse(const char *const *names, int count, const char *text)
{
    for (int i = 0; text != NULL && i < count; i++)
        if (strcmp(names[i], text) == 0)
            return i;
    return -1;
}

static const struct eng_policy DEFAULT_POLICY = {
    .version = 1,
    /* Seeds 000/001: goodwill is a 20-30 % partial refund; 30 % is the
     * worked example for a small flaw; 5 % off after a usage question; the
     * top tier adds a small gift or coupon to a full refund and reshipment. */
    .goodwill_min_percent = 20,
    .goodwill_max_percent = 30,
    .minor_flaw_percent = 30,
    .expectation_percent = 20,
    .custom_expectation_percent = 30, /* seed 002: 20-30 %; custom items cannot be returned */
    .late_beyond_promise_percent = 20,
    .missing_parts_alt_percent = 20,
    .gesture_percent = 10,
    .usage_coupon_percent = 5,
    .top_gesture_percent = 10,
    .late_major_days = 7,
    .high_value_minor = 0,
    /* Cost model defaults, as shares of the item price until the tenant
     * sets its own amounts (DOMAIN.md, "Cost, in the seller's terms"). */
    .landed_cost_percent = 35,
    .outbound_postage_percent = 10,
    .return_postage_percent = 12,
    .handling_percent = 8,
    .resale_percent = 50,
    .parts_cost_percent = 25,
    .warranty_cost_percent = 3,
    /* Seed 002: return insurance costs 1-3 % of order value and repays
     * 70-90 % of a return's cost. Off until the seller says it insures;
     * the premium is paid on every order, so it is no cost of one case. */
    .return_insurance = false,
    .insurance_repay_percent = 80,
    .return_window_days = 30, /* Amazon's standard return window */
    /* Abuse (DOMAIN.md, anchors): repeated identical reasons weigh most;
     * two earlier same-category claims make medium, three make high. */
    .abuse_same_category_points = 4,
    .abuse_frequent_threshold = 2,
    .abuse_frequent_points = 2,
    .abuse_refund_ratio_percent = 50,
    .abuse_refund_ratio_min_cases = 2, /* one refunded order says nothing */
    .abuse_refund_ratio_points = 3,
    .abuse_confirmed_points = 10,
    .abuse_not_received_points = 3,
    .abuse_quick_claim_hours = 24,
    .abuse_quick_claim_points = 1,
    .abuse_high_value_points = 1,
    .abuse_medium_score = 5,
    .abuse_high_score = 10,
    /* Amazon: answer within 24 h; A-to-z: 72 h; chargebacks: 7 days. */
    .respond_hours = 24,
    .a_to_z_hours = 72,
    .chargeback_hours = 168,
};

const struct eng_policy *eng_policy_default(void)
{
    return &DEFAULT_POLICY;
}
