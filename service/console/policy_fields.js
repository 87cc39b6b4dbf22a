// Generated from openapi.yaml by tests/console/policy-fields.mjs: do not edit.
// The policy form's fields, their ranges and help (the API checks them too).
export const POLICY_GROUPS = {
  "remedies": [
    {
      "name": "goodwill_min_percent",
      "type": "integer",
      "help": "Lowest partial refund a goodwill offer may name (seeds: 20 %).",
      "min": 0,
      "max": 100
    },
    {
      "name": "goodwill_max_percent",
      "type": "integer",
      "help": "Highest partial refund a goodwill offer may name (seeds: 30 %).",
      "min": 0,
      "max": 100
    },
    {
      "name": "custom_expectation_percent",
      "type": "integer",
      "help": "Partial refund for a personalised item that is not what the buyer imagined (it cannot go back).",
      "min": 0,
      "max": 100
    },
    {
      "name": "gesture_percent",
      "type": "integer",
      "help": "Small gesture where there is no loss (packaging, service, custom no-return).",
      "min": 0,
      "max": 100
    },
    {
      "name": "usage_coupon_percent",
      "type": "integer",
      "help": "Coupon after a usage question or a delay within the promise (not on Amazon).",
      "min": 0,
      "max": 100
    },
    {
      "name": "top_gesture_percent",
      "type": "integer",
      "help": "The \"and more\" of the top tier, on top of a full refund or replacement.",
      "min": 0,
      "max": 100
    },
    {
      "name": "late_major_days",
      "type": "integer",
      "help": "A parcel this many days late and not delivered is treated as lost.",
      "min": 0,
      "max": 365
    },
    {
      "name": "high_value_minor",
      "type": "integer",
      "help": "Item price from which the seller wants the item back (0: the currency's default).",
      "min": 0,
      "max": 100000000000
    },
    {
      "name": "return_window_days",
      "type": "integer",
      "help": "Days after delivery within which buyer-subjective returns are accepted.",
      "min": 0,
      "max": 3650
    },
    {
      "name": "favour_buyer_when_odr_at_risk",
      "type": "boolean",
      "help": "With the order defect rate at_risk or bad, an A-to-z claim, a chargeback or threatened negative seller feedback gets the category's top remedy without dispute."
    }
  ],
  "costs": [
    {
      "name": "landed_cost_percent",
      "type": "integer",
      "help": "Unit cost as a share of the price when neither the case nor the SKU says.",
      "min": 0,
      "max": 1000
    },
    {
      "name": "outbound_postage_percent",
      "type": "integer",
      "help": "Postage to send goods again, as a share of the price.",
      "min": 0,
      "max": 1000
    },
    {
      "name": "return_postage_percent",
      "type": "integer",
      "help": "Return postage, as a share of the price.",
      "min": 0,
      "max": 1000
    },
    {
      "name": "handling_percent",
      "type": "integer",
      "help": "Handling of a returned item, as a share of the price.",
      "min": 0,
      "max": 1000
    },
    {
      "name": "resale_percent",
      "type": "integer",
      "help": "Share of the landed cost a returned (not personalised) item still fetches.",
      "min": 0,
      "max": 100
    },
    {
      "name": "parts_cost_percent",
      "type": "integer",
      "help": "Missing parts, as a share of the landed cost.",
      "min": 0,
      "max": 100
    },
    {
      "name": "warranty_cost_percent",
      "type": "integer",
      "help": "An extended warranty, as a share of the price.",
      "min": 0,
      "max": 100
    },
    {
      "name": "return_insurance",
      "type": "boolean",
      "help": "The seller insures returns (seed 002: 1-3 % of order value)."
    },
    {
      "name": "insurance_repay_percent",
      "type": "integer",
      "help": "Share of a return's postage the insurance repays (seed 002: 70-90 %).",
      "min": 0,
      "max": 100
    },
    {
      "name": "compensation_budget_percent",
      "type": "integer",
      "help": "Share of a SKU's revenue the seller accepts to spend on compensation (a SKU may override it).",
      "min": 0,
      "max": 100
    },
    {
      "name": "prefer_cheapest_over_budget",
      "type": "boolean",
      "help": "Over a SKU's budget, recommend the cheapest remedy that makes the buyer equally whole."
    },
    {
      "name": "budget_window_days",
      "type": "integer",
      "help": "Days of compensation and revenue a SKU's budget is measured over (ending today).",
      "min": 7,
      "max": 365
    }
  ],
  "abuse": [
    {
      "name": "same_category_points",
      "type": "integer",
      "help": "Points per earlier claim in the same category (90 days).",
      "min": 0,
      "max": 100
    },
    {
      "name": "frequent_threshold",
      "type": "integer",
      "help": "Claims in 90 days before frequent_claims counts.",
      "min": 0,
      "max": 1000
    },
    {
      "name": "frequent_points",
      "type": "integer",
      "help": "Points per claim beyond the threshold.",
      "min": 0,
      "max": 100
    },
    {
      "name": "refund_ratio_percent",
      "type": "integer",
      "help": "Refunds over spend (365 days) at or above this percent count as high_refund_ratio ...",
      "min": 0,
      "max": 1000
    },
    {
      "name": "refund_ratio_min_cases",
      "type": "integer",
      "help": "... over at least this many refunded cases.",
      "min": 0,
      "max": 1000
    },
    {
      "name": "refund_ratio_points",
      "type": "integer",
      "help": "Points for a high refund ratio.",
      "min": 0,
      "max": 100
    },
    {
      "name": "confirmed_points",
      "type": "integer",
      "help": "Points when earlier outcomes confirmed abuse.",
      "min": 0,
      "max": 100
    },
    {
      "name": "not_received_points",
      "type": "integer",
      "help": "Points per earlier \"never arrived\" claim (365 days).",
      "min": 0,
      "max": 100
    },
    {
      "name": "quick_claim_hours",
      "type": "integer",
      "help": "A claim this many hours after delivery or sooner is a quick claim.",
      "min": 0,
      "max": 8760
    },
    {
      "name": "quick_claim_points",
      "type": "integer",
      "help": "Points for a quick claim.",
      "min": 0,
      "max": 100
    },
    {
      "name": "high_value_points",
      "type": "integer",
      "help": "Points for a high-value order.",
      "min": 0,
      "max": 100
    },
    {
      "name": "medium_score",
      "type": "integer",
      "help": "Score from which the risk is medium (inspect before refunding, no gestures).",
      "min": 1,
      "max": 10000
    },
    {
      "name": "high_score",
      "type": "integer",
      "help": "Score from which the risk is high (tier firm, a person decides); above medium_score.",
      "min": 1,
      "max": 10000
    }
  ],
  "deadlines": [
    {
      "name": "respond_hours",
      "type": "integer",
      "help": "Hours to answer every buyer message (Amazon: 24).",
      "min": 1,
      "max": 720
    },
    {
      "name": "a_to_z_hours",
      "type": "integer",
      "help": "Hours to answer Amazon on an A-to-z claim (72).",
      "min": 1,
      "max": 720
    },
    {
      "name": "chargeback_hours",
      "type": "integer",
      "help": "Hours to answer a chargeback (7 calendar days: 168).",
      "min": 1,
      "max": 720
    }
  ]
};
export const CATEGORY_RULE = [
  {
    "name": "goodwill_percent",
    "type": "integer",
    "help": "The partial refund the category's rule offers where it makes one (or a goodwill ceiling makes it); within remedies.goodwill_min_percent..goodwill_max_percent.",
    "min": 0,
    "max": 100
  },
  {
    "name": "allowed_actions",
    "type": "array",
    "help": "The actions the engine may choose for this category (primary, alternatives, gestures, extras); manual_review is always possible. Must keep at least one of the actions the category's rule offers.",
    "enum": [
      "full_refund",
      "partial_refund",
      "replacement",
      "reship_parts",
      "exchange",
      "return_refund",
      "cancel_refund",
      "coupon",
      "extended_warranty",
      "carrier_claim",
      "explanation",
      "manual_review"
    ]
  },
  {
    "name": "tier_ceiling",
    "type": "string",
    "help": "The most generous tier; a more generous rule is replaced by the ceiling's own offer.",
    "enum": [
      "top",
      "goodwill",
      "courtesy"
    ]
  }
];
export const CATEGORIES = ["wrong_item","defective","damaged_in_transit","missing_parts","minor_defect","packaging_damaged","not_as_described","expectation_mismatch","usage_question","late_delivery","lost_in_transit","changed_mind","wrong_size_ordered","cancellation_request","service_complaint"];
export const AUTO_APPROVE_LIMIT = {"min":0,"max":100000000000};
export const NOTE_MAX = 500;
