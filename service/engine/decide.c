/* Diagnosis, tier and remedy. Each category has a rule (below) naming the
 * remedy packages that serve the buyer equally well and the alternatives
 * to offer; every package is costed with the same model, the cheapest
 * equivalent is recommended, and general passes apply what cuts across
 * categories: a kept item never costs more than taking it back, medium
 * risk drops gestures and inspects before refunding, high risk goes to a
 * person (tier firm). Two rules read the account's own data (issue #10):
 * with the order defect rate at risk, a case that can add a defect is
 * resolved in the buyer's favour (favour_buyer); over the SKU's
 * compensation budget, the cheapest remedy that makes the buyer equally
 * whole is recommended (cheapest_over_budget). What the buyer wrote
 * (issue #11, eng_triage) weighs in where the seeds say it should: a
 * safety hazard goes to a person with the money back in full
 * (safety_first); a threatened A-to-z claim or chargeback sets its
 * deadline and counts as a possible defect; among remedies that serve
 * the buyer equally well, the one they asked for; and a category guessed
 * with too little confidence is confirmed by a person. */
#include <string.h>

#include "engine_internal.h"

/* A remedy before it is costed. */
struct package {
    enum eng_action primary;
    int percent;                /* partial_refund / coupon as primary */
    enum eng_action extra;      /* carrier_claim, explanation, manual_review; ACT_COUNT = none */
    int gesture_percent;        /* the "and more": partial refund on Amazon, coupon elsewhere */
    bool gesture_coupon_only;   /* a coupon or nothing (nothing on Amazon) */
    bool return_item;           /* full_refund / replacement: the item comes back, seller-paid */
    bool seller_pays_return;    /* return_refund / exchange */
};

/* Money of one case, computed once. */
struct money {
    const struct eng_case *c;
    const struct eng_policy *p;
    bool amazon;
    bool high_value;
    bool overflow;
    int64_t value;          /* price of the affected units */
    int64_t ship_share;     /* their share of the shipping paid */
    int64_t paid_total;     /* everything the buyer paid */
    int64_t landed;         /* landed cost of the affected units */
    int64_t landed_all;     /* landed cost of the whole order */
    int64_t outbound;       /* postage to send goods again */
    int64_t return_postage;
    int64_t handling;
    int64_t resale;         /* what returned units still fetch */
    int64_t unit_cost;
    const char *unit_cost_source;
    unsigned allowed;       /* the actions the seller allows for this category */
};

/* Manual review stays possible whatever the seller allows: it is how the
 * engine hands a case to a person. */
static bool allowed(const struct money *m, enum eng_action action)
{
    return action == ACT_MANUAL_REVIEW || (m->allowed & ENG_ACTION_BIT(action)) != 0;
}


static int64_t pct(struct money *m, int64_t amount, int percent)
{
    int64_t out = 0;
    if (!eng_percent_of(amount, percent, &out))
        m->overflow = true;
    return out;
}

static int64_t mul(struct money *m, int64_t a, int64_t b)
{
    int64_t out = 0;
    if (__builtin_mul_overflow(a, b, &out))
        m->overflow = true;
    return out;
}

/* A per-unit amount the seller recorded for the SKU, else a share of the
 * affected units' price. */
static int64_t sku_or_percent(struct money *m, unsigned flag, int64_t per_unit, int percent)
{
    if (m->c->sku_costs.set & flag)
        return mul(m, per_unit, m->c->issue.items_affected);
    return pct(m, m->value, percent);
}

static void money_init(struct money *m, const struct eng_case *c, const struct eng_policy *p)
{
    memset(m, 0, sizeof(*m));
    m->c = c;
    m->p = p;
    m->amazon = c->channel == CHANNEL_AMAZON;
    m->allowed = p->categories[c->issue.category].allowed_actions;
    int64_t goods = mul(m, c->order.item_price, c->order.quantity);
    m->value = mul(m, c->order.item_price, c->issue.items_affected);
    m->ship_share = c->order.quantity > 0 ? mul(m, c->order.shipping_paid, c->issue.items_affected) / c->order.quantity : 0;
    if (__builtin_add_overflow(goods, c->order.shipping_paid, &m->paid_total))
        m->overflow = true;
    /* The case's actual value, else the seller's for this SKU, else a
     * share of the price (the tenant's ratio, or the policy's). */
    const struct eng_sku_costs *sku = &c->sku_costs;
    if (c->order.unit_cost >= 0) {
        m->unit_cost = c->order.unit_cost;
        m->unit_cost_source = "case";
    } else if (sku->set & SKU_UNIT_COST) {
        m->unit_cost = sku->unit_cost;
        m->unit_cost_source = "sku";
    } else {
        m->unit_cost = pct(m, c->order.item_price, p->landed_cost_percent);
        m->unit_cost_source = "ratio";
    }
    m->landed = mul(m, m->unit_cost, c->issue.items_affected);
    m->landed_all = mul(m, m->unit_cost, c->order.quantity);
    m->outbound = sku_or_percent(m, SKU_OUTBOUND_POSTAGE, sku->outbound_postage, p->outbound_postage_percent);
    m->return_postage = sku_or_percent(m, SKU_RETURN_POSTAGE, sku->return_postage, p->return_postage_percent);
    m->handling = sku_or_percent(m, SKU_HANDLING, sku->handling, p->handling_percent);
    /* Personalised items cannot be resold (seed 002). */
    int resale_percent = (sku->set & SKU_RESALE) ? sku->resale_percent : p->resale_percent;
    m->resale = c->order.customized ? 0 : pct(m, m->landed, resale_percent);
    int64_t threshold = p->high_value_minor > 0 ? p->high_value_minor : c->order.currency->high_value_minor;
    m->high_value = c->order.item_price >= threshold;
}

/* ---- building a costed remedy ---- */

/* What one package can add to a remedy, at most: its primary action, a
 * gesture and one extra; goods and postage out (2), the four items of a
 * return, and the gesture. The remedy's arrays hold that by construction;
 * were a change to outgrow them, the decision fails (m->overflow) rather
 * than go out with an item missing from its cost. */
enum { PACKAGE_MAX_ACTIONS = 3, PACKAGE_MAX_BREAKDOWN = 2 + 4 + 1 };
_Static_assert((int)PACKAGE_MAX_ACTIONS <= (int)ENG_MAX_ACTIONS, "a package's actions fit in a remedy");
_Static_assert((int)PACKAGE_MAX_BREAKDOWN <= (int)ENG_MAX_BREAKDOWN, "a package's cost items fit in a remedy");

static void add_action(struct money *m, struct eng_remedy *r, enum eng_action type, int64_t amount, int percent)
{
    if (r->n_actions == ENG_MAX_ACTIONS) {
        m->overflow = true;
        return;
    }
    r->actions[r->n_actions++] = (struct eng_action_item){ type, amount, percent };
    if (type == ACT_FULL_REFUND || type == ACT_PARTIAL_REFUND || type == ACT_RETURN_REFUND
        || type == ACT_CANCEL_REFUND)
        r->refund_amount += amount;
}

static void add_cost(struct money *m, struct eng_remedy *r, const char *item, int64_t amount)
{
    if (amount == 0)
        return;
    if (r->n_breakdown == ENG_MAX_BREAKDOWN) {
        m->overflow = true;
        return;
    }
    r->breakdown[r->n_breakdown++] = (struct eng_breakdown_item){ item, amount };
    r->cost += amount;
}

/* The item comes back at the seller's expense: postage and handling, less
 * what it can still be sold for, less what return insurance repays. */
static void add_return_costs(struct eng_remedy *r, struct money *m, bool seller_pays)
{
    r->keep_item = false;
    r->return_required = true;
    r->seller_pays_return = seller_pays;
    if (seller_pays) {
        add_cost(m, r, "return_postage", m->return_postage);
        if (m->p->return_insurance)
            add_cost(m, r, "insurance_recovery", -pct(m, m->return_postage, m->p->insurance_repay_percent));
    }
    add_cost(m, r, "handling", m->handling);
    add_cost(m, r, "resale_recovery", -m->resale);
}

static void add_gesture(struct eng_remedy *r, struct money *m, const struct package *spec)
{
    if (spec->gesture_percent <= 0 || !allowed(m, m->amazon ? ACT_PARTIAL_REFUND : ACT_COUPON))
        return;
    if (m->amazon) {
        /* Amazon: coupons are marketing; the gesture is money, if anything. */
        if (spec->gesture_coupon_only)
            return;
        int64_t amount = pct(m, m->value, spec->gesture_percent);
        if (r->refund_amount + amount > m->paid_total)
            amount = m->paid_total - r->refund_amount; /* never more than was paid */
        if (amount <= 0)
            return;
        add_action(m, r, ACT_PARTIAL_REFUND, amount, spec->gesture_percent);
        add_cost(m, r, "gesture_refund", amount);
    } else {
        int64_t face = pct(m, m->c->order.item_price, spec->gesture_percent);
        add_action(m, r, ACT_COUPON, face, spec->gesture_percent);
        add_cost(m, r, "coupon", face);
    }
}

static void build(struct money *m, const struct package *spec, struct eng_remedy *r)
{
    memset(r, 0, sizeof(*r));
    r->primary = spec->primary;
    r->keep_item = true;
    int64_t amount;
    switch (spec->primary) {
    case ACT_FULL_REFUND:
        /* Amazon: for a wrong or damaged item, shipping is not deducted. */
        amount = m->value + m->ship_share;
        add_action(m, r, ACT_FULL_REFUND, amount, 100);
        add_cost(m, r, "refund", amount);
        if (spec->return_item)
            add_return_costs(r, m, true);
        break;
    case ACT_PARTIAL_REFUND:
        amount = pct(m, m->value, spec->percent);
        add_action(m, r, ACT_PARTIAL_REFUND, amount, spec->percent);
        add_cost(m, r, "refund", amount);
        break;
    case ACT_REPLACEMENT:
        add_action(m, r, ACT_REPLACEMENT, 0, 0);
        add_cost(m, r, "replacement_goods", m->landed);
        add_cost(m, r, "outbound_postage", m->outbound);
        if (spec->return_item)
            add_return_costs(r, m, true);
        break;
    case ACT_RESHIP_PARTS:
        add_action(m, r, ACT_RESHIP_PARTS, 0, 0);
        add_cost(m, r, "parts", pct(m, m->landed, m->p->parts_cost_percent));
        add_cost(m, r, "outbound_postage", m->outbound);
        break;
    case ACT_EXCHANGE:
        add_action(m, r, ACT_EXCHANGE, 0, 0);
        add_cost(m, r, "replacement_goods", m->landed);
        add_cost(m, r, "outbound_postage", m->outbound);
        add_return_costs(r, m, spec->seller_pays_return);
        break;
    case ACT_RETURN_REFUND:
        /* Buyer-side reasons: the outbound shipping is not refunded. */
        amount = m->value + (spec->seller_pays_return ? m->ship_share : 0);
        add_action(m, r, ACT_RETURN_REFUND, amount, 100);
        add_cost(m, r, "refund", amount);
        add_return_costs(r, m, spec->seller_pays_return);
        break;
    case ACT_CANCEL_REFUND:
        /* Before shipping: price, shipping and tax back in full. The goods
         * stay, so only made-to-order goods are lost. */
        r->keep_item = false;
        add_action(m, r, ACT_CANCEL_REFUND, m->paid_total, 100);
        if (m->c->order.customized)
            add_cost(m, r, "made_to_order_goods", m->landed_all);
        break;
    case ACT_COUPON:
        amount = pct(m, m->c->order.item_price, spec->percent);
        add_action(m, r, ACT_COUPON, amount, spec->percent);
        add_cost(m, r, "coupon", amount);
        break;
    case ACT_EXTENDED_WARRANTY:
        add_action(m, r, ACT_EXTENDED_WARRANTY, 0, 0);
        add_cost(m, r, "warranty", pct(m, m->value, m->p->warranty_cost_percent));
        break;
    case ACT_CARRIER_CLAIM:
    case ACT_EXPLANATION:
    case ACT_MANUAL_REVIEW:
    case ACT_COUNT:
        add_action(m, r, spec->primary, 0, 0);
        break;
    }
    add_gesture(r, m, spec);
    if (spec->extra != ACT_COUNT && spec->extra != spec->primary && allowed(m, spec->extra))
        add_action(m, r, spec->extra, 0, 0);
}

static struct package pkg(enum eng_action primary)
{
    return (struct package){ .primary = primary, .extra = ACT_COUNT };
}

static struct package pkg_percent(enum eng_action primary, int percent)
{
    struct package p = pkg(primary);
    p.percent = percent;
    return p;
}

static struct package pkg_return(enum eng_action primary, bool seller_pays)
{
    struct package p = pkg(primary);
    p.seller_pays_return = seller_pays;
    return p;
}

/* ---- the rules ---- */

enum { MAX_EQUIVALENTS = 3, MAX_RULE_ALTERNATIVES = 3 };

struct rule {
    enum eng_responsibility responsibility;
    enum eng_tier tier;
    struct package equivalents[MAX_EQUIVALENTS]; /* serve the buyer equally: cheapest wins */
    int n_equivalents;
    struct package alternatives[MAX_RULE_ALTERNATIVES];
    int n_alternatives;
    const char *situation;  /* which explanation the reply gives, or NULL */
    unsigned allowed;       /* offers whose primary action is not in it are left out */
    bool overfull;          /* a rule offered more than the arrays hold: a bug, decided by a person */
};

/* Bounded: a rule that offers more than its arrays hold is marked, and
 * eng_decide sends the case to a person instead of choosing from a cut
 * list. */
static void offer(struct rule *r, struct package p)
{
    if (!(p.primary == ACT_MANUAL_REVIEW || (r->allowed & ENG_ACTION_BIT(p.primary))))
        return; /* the seller does not allow it for this category */
    if (r->n_equivalents == MAX_EQUIVALENTS) {
        r->overfull = true;
        return;
    }
    r->equivalents[r->n_equivalents++] = p;
}

static void alternative(struct rule *r, struct package p)
{
    if (!(p.primary == ACT_MANUAL_REVIEW || (r->allowed & ENG_ACTION_BIT(p.primary))))
        return;
    if (r->n_alternatives == MAX_RULE_ALTERNATIVES) {
        r->overfull = true;
        return;
    }
    r->alternatives[r->n_alternatives++] = p;
}

static const enum eng_responsibility DEFAULT_RESPONSIBILITY[CAT_COUNT] = {
    [CAT_WRONG_ITEM] = RESP_SELLER, [CAT_DEFECTIVE] = RESP_SELLER,
    [CAT_DAMAGED_IN_TRANSIT] = RESP_CARRIER, [CAT_MISSING_PARTS] = RESP_SELLER,
    [CAT_MINOR_DEFECT] = RESP_SELLER, [CAT_PACKAGING_DAMAGED] = RESP_CARRIER,
    [CAT_NOT_AS_DESCRIBED] = RESP_SELLER, [CAT_EXPECTATION_MISMATCH] = RESP_SHARED,
    [CAT_USAGE_QUESTION] = RESP_BUYER, [CAT_LATE_DELIVERY] = RESP_CARRIER,
    [CAT_LOST_IN_TRANSIT] = RESP_CARRIER, [CAT_CHANGED_MIND] = RESP_BUYER,
    [CAT_WRONG_SIZE_ORDERED] = RESP_BUYER, [CAT_CANCELLATION_REQUEST] = RESP_BUYER,
    [CAT_SERVICE_COMPLAINT] = RESP_SELLER,
};

/* No loss to make good: an apology or explanation, and a small gesture
 * (money on Amazon, a coupon elsewhere). */
static void courtesy_with_gesture(struct rule *r, int gesture_percent, const char *situation)
{
    r->tier = TIER_COURTESY;
    struct package sorry = pkg(ACT_EXPLANATION);
    sorry.gesture_percent = gesture_percent;
    offer(r, sorry);
    r->situation = situation;
}

/* Buyer-subjective reasons on a personalised item: no return, a polite
 * explanation of why, and at most a small gesture (seed 002). */
static void custom_no_return(struct rule *r, const struct eng_policy *p)
{
    courtesy_with_gesture(r, p->gesture_percent, "custom_no_return");
}

static bool beyond_return_window(const struct eng_case *c, const struct eng_policy *p, int64_t now)
{
    return c->order.delivered_at > 0 && now - c->order.delivered_at > (int64_t)p->return_window_days * 86400;
}

/* Outside policy: polite, firm, nothing beyond policy, a person looks. */
static void outside_policy(struct rule *r, const char *situation)
{
    r->tier = TIER_FIRM;
    struct package explain = pkg(ACT_EXPLANATION);
    explain.extra = ACT_MANUAL_REVIEW;
    offer(r, explain);
    r->situation = situation;
}

/* Serious seller fault (wrong item, defect, not as described): make it
 * fully right, a replacement or the money back, and more (seeds 000/001). */
static void top_tier_fix(struct rule *r, const struct money *m, bool replacement_first)
{
    r->tier = TIER_TOP;
    struct package replace = pkg(ACT_REPLACEMENT), refund = pkg(ACT_FULL_REFUND);
    replace.gesture_percent = refund.gesture_percent = m->p->top_gesture_percent;
    replace.return_item = refund.return_item = m->high_value; /* worth taking back */
    if (replacement_first) {
        offer(r, replace);
        offer(r, refund);
    } else {
        offer(r, refund);
        offer(r, replace);
    }
    alternative(r, pkg_return(ACT_RETURN_REFUND, true));
}

/* Nothing arrived, or it arrived broken: a replacement or the money back,
 * whichever costs less, and the carrier pays where the seller shipped. */
static void carrier_loss(struct rule *r, const struct money *m)
{
    r->tier = TIER_TOP;
    struct package replace = pkg(ACT_REPLACEMENT), refund = pkg(ACT_FULL_REFUND);
    if (m->c->order.fulfillment == FULFILLMENT_FBM)
        replace.extra = refund.extra = ACT_CARRIER_CLAIM; /* FBA: Amazon's own logistics */
    replace.return_item = refund.return_item = false;
    offer(r, replace);
    offer(r, refund);
}

static void cancellation(struct rule *r, const struct money *m)
{
    const struct eng_case *c = m->c;
    r->responsibility = RESP_BUYER;
    r->tier = TIER_COURTESY;
    if (!c->order.shipped) {
        offer(r, pkg(ACT_CANCEL_REFUND));
    } else if (c->order.customized) {
        custom_no_return(r, m->p);
    } else {
        offer(r, pkg(ACT_EXPLANATION));
        alternative(r, pkg_return(ACT_RETURN_REFUND, false));
        r->situation = "shipped_cannot_cancel";
    }
}

/* The seller caps this category's tier: a more generous rule is replaced
 * by the ceiling's own offer (goodwill: the category's partial refund, the
 * item back as the alternative; courtesy: an apology with a small gesture). */
static void limit_to_ceiling(struct rule *r, const struct money *m, const struct eng_category_rule *seller)
{
    bool seller_side = r->responsibility == RESP_SELLER || r->responsibility == RESP_CARRIER;
    r->n_equivalents = r->n_alternatives = 0;
    r->situation = NULL;
    if (seller->tier_ceiling == TIER_GOODWILL) {
        r->tier = TIER_GOODWILL;
        offer(r, pkg_percent(ACT_PARTIAL_REFUND, seller->goodwill_percent));
        alternative(r, pkg_return(ACT_RETURN_REFUND, seller_side));
    } else {
        courtesy_with_gesture(r, m->p->gesture_percent, NULL);
    }
}

static void rule_for(const struct money *m, int64_t now, struct rule *r)
{
    const struct eng_case *c = m->c;
    const struct eng_policy *p = m->p;
    bool custom = c->order.customized;
    const struct eng_category_rule *seller = &p->categories[c->issue.category];
    memset(r, 0, sizeof(*r));
    r->allowed = seller->allowed_actions;
    r->responsibility = DEFAULT_RESPONSIBILITY[c->issue.category];
    switch (c->issue.category) {
    case CAT_WRONG_ITEM:
    case CAT_DEFECTIVE:
        top_tier_fix(r, m, true); /* custom: the replacement is a remake */
        break;
    case CAT_NOT_AS_DESCRIBED:
        if (custom) {
            top_tier_fix(r, m, true);
        } else {
            r->tier = TIER_TOP;
            struct package refund = pkg(ACT_FULL_REFUND), back = pkg_return(ACT_RETURN_REFUND, true);
            refund.gesture_percent = back.gesture_percent = p->top_gesture_percent;
            offer(r, back);
            offer(r, refund);
            alternative(r, pkg_percent(ACT_PARTIAL_REFUND, seller->goodwill_percent));
        }
        break;
    case CAT_DAMAGED_IN_TRANSIT:
        carrier_loss(r, m);
        alternative(r, pkg_return(ACT_RETURN_REFUND, true));
        break;
    case CAT_LOST_IN_TRANSIT:
        carrier_loss(r, m);
        break;
    case CAT_MISSING_PARTS:
        r->tier = TIER_GOODWILL;
        offer(r, pkg(ACT_RESHIP_PARTS));
        alternative(r, pkg_percent(ACT_PARTIAL_REFUND, seller->goodwill_percent));
        alternative(r, pkg_return(ACT_RETURN_REFUND, true));
        break;
    case CAT_MINOR_DEFECT:
        /* The seeds' model case: keep it with 30 % back, may still return. */
        r->tier = TIER_GOODWILL;
        offer(r, pkg_percent(ACT_PARTIAL_REFUND, seller->goodwill_percent));
        alternative(r, pkg_return(ACT_RETURN_REFUND, true));
        alternative(r, custom ? pkg(ACT_REPLACEMENT) : pkg_return(ACT_EXCHANGE, true));
        break;
    case CAT_PACKAGING_DAMAGED:
        courtesy_with_gesture(r, p->gesture_percent, "packaging_only");
        if (!custom)
            alternative(r, pkg_return(ACT_RETURN_REFUND, true));
        break;
    case CAT_EXPECTATION_MISMATCH:
        r->tier = TIER_GOODWILL;
        if (custom) {
            offer(r, pkg_percent(ACT_PARTIAL_REFUND, p->custom_expectation_percent));
        } else {
            offer(r, pkg_percent(ACT_PARTIAL_REFUND, seller->goodwill_percent));
            alternative(r, pkg_return(ACT_RETURN_REFUND, false));
            if (!m->amazon)
                alternative(r, pkg_percent(ACT_COUPON, p->goodwill_min_percent));
        }
        break;
    case CAT_USAGE_QUESTION: {
        r->tier = TIER_COURTESY;
        struct package help = pkg(ACT_EXPLANATION);
        help.gesture_percent = p->usage_coupon_percent;
        help.gesture_coupon_only = true;
        offer(r, help);
        r->situation = "usage_help";
        break;
    }
    case CAT_LATE_DELIVERY:
        if (c->order.fulfillment == FULFILLMENT_FBA) {
            r->tier = TIER_COURTESY;
            offer(r, pkg(ACT_EXPLANATION));
            r->situation = "fba_delivery";
        } else if (c->issue.delay_days <= 0) {
            r->tier = TIER_COURTESY;
            struct package wait = pkg(ACT_EXPLANATION);
            wait.gesture_percent = p->usage_coupon_percent;
            wait.gesture_coupon_only = true;
            offer(r, wait);
            r->situation = "within_promise";
        } else if (c->issue.delay_days > p->late_major_days && c->order.delivered_at == 0) {
            carrier_loss(r, m); /* this late and still not here: treat it as lost */
        } else {
            r->tier = TIER_GOODWILL;
            if (!m->amazon)
                offer(r, pkg_percent(ACT_COUPON, seller->goodwill_percent));
            offer(r, pkg_percent(ACT_PARTIAL_REFUND, seller->goodwill_percent));
            /* Amazon counts a missed delivery date as the seller's fault. */
            alternative(r, pkg_return(ACT_RETURN_REFUND, true));
        }
        break;
    case CAT_CHANGED_MIND:
    case CAT_WRONG_SIZE_ORDERED:
        r->tier = TIER_COURTESY;
        if (!c->order.shipped) {
            cancellation(r, m);
        } else if (custom) {
            custom_no_return(r, p);
        } else if (beyond_return_window(c, p, now)) {
            outside_policy(r, "outside_window");
        } else if (c->issue.category == CAT_WRONG_SIZE_ORDERED) {
            offer(r, pkg_return(ACT_EXCHANGE, false));
            alternative(r, pkg_return(ACT_RETURN_REFUND, false));
        } else {
            offer(r, pkg_return(ACT_RETURN_REFUND, false));
        }
        break;
    case CAT_CANCELLATION_REQUEST:
        cancellation(r, m);
        break;
    case CAT_SERVICE_COMPLAINT:
        courtesy_with_gesture(r, p->gesture_percent, "service_apology");
        break;
    case CAT_COUNT:
        break;
    }
    if (r->tier != TIER_FIRM && r->tier < seller->tier_ceiling)
        limit_to_ceiling(r, m, seller);
}

/* ---- what the buyer wrote (issue #11) ---- */

static bool wrote(const struct eng_case *c, enum eng_triage_signal signal)
{
    return c->triage.read && (c->triage.signals & ENG_TRIAGE_SIGNAL_BIT(signal)) != 0;
}

/* A safety hazard (burn, fire, shock, injury): a person looks before
 * anything else happens, the money goes back in full, and the buyer keeps
 * the item (to dispose of safely) rather than pay to send a dangerous
 * thing back; the alternative, for the person to choose, takes it back at
 * the seller's expense. Neither the seller's tier ceiling nor the actions
 * it allows for the category bind here: a hazard is not a boundary to
 * negotiate. */
static void safety_first(struct rule *r)
{
    r->responsibility = RESP_SELLER;
    r->tier = TIER_TOP;
    r->situation = NULL;
    r->overfull = false;
    struct package refund = pkg(ACT_FULL_REFUND);
    refund.extra = ACT_MANUAL_REVIEW;
    r->equivalents[0] = refund;
    r->n_equivalents = 1;
    r->alternatives[0] = pkg_return(ACT_RETURN_REFUND, true);
    r->n_alternatives = 1;
}

/* Whether the buyer asked for this remedy in so many words. */
static bool asked_for(const struct eng_case *c, enum eng_action action)
{
    switch (action) {
    case ACT_REPLACEMENT:
    case ACT_EXCHANGE:
        return wrote(c, TRIAGE_REQUESTS_REPLACEMENT);
    case ACT_FULL_REFUND:
    case ACT_PARTIAL_REFUND:
    case ACT_CANCEL_REFUND:
        return wrote(c, TRIAGE_REQUESTS_REFUND);
    case ACT_RETURN_REFUND:
        return wrote(c, TRIAGE_REQUESTS_REFUND) || wrote(c, TRIAGE_REQUESTS_RETURN);
    default:
        return false;
    }
}

/* ---- the account's own data (issue #10) ---- */

/* What makes this case a possible order defect: an A-to-z claim, a
 * chargeback, or negative seller feedback (1-2 stars) it threatens; or a
 * claim or chargeback the buyer's message threatens. A
 * product review is not part of the order defect rate, so it does not
 * count here. NULL: none. */
static const char *defect_trigger(const struct eng_case *c)
{
    if (c->signals.a_to_z_claim)
        return "a_to_z_claim";
    if (c->signals.chargeback)
        return "chargeback";
    if (c->signals.review_type == REVIEW_SELLER_FEEDBACK && c->signals.review_rating >= 1
        && c->signals.review_rating <= 2)
        return "negative_feedback";
    /* Threatened in the message: filed, each is a defect. */
    if (wrote(c, TRIAGE_THREATENS_A_TO_Z))
        return "threatens_a_to_z";
    if (wrote(c, TRIAGE_THREATENS_CHARGEBACK))
        return "threatens_chargeback";
    return NULL;
}

/* The order defect rate is at_risk or bad and this case can add a defect,
 * which costs the account more than the refund: the buyer is made whole
 * without dispute. A rule already in the top tier keeps its own offer (a
 * replacement or the money back, and more); any other becomes the top
 * remedy the category allows, the item kept: a full refund or a
 * replacement, whichever costs less, where the goods are at fault; the
 * money back where the buyer's reasons are (a replacement is not what
 * they asked for); before shipping, the order cancelled and refunded in
 * full; where the seller allows none of these, the money back against the
 * item at the seller's expense. Abuse never turns it into a refusal, and
 * nothing is asked back to save cost (see decide).
 * The category's allowed actions still bind; its tier ceiling does not:
 * the switch is the seller's own. Returns false (the rule unchanged) when
 * the category allows nothing of the kind. */
static bool favour_buyer(struct rule *r, const struct money *m)
{
    if (r->tier == TIER_TOP)
        return true;
    struct rule top = *r;
    top.n_equivalents = top.n_alternatives = 0;
    top.overfull = false;
    top.situation = NULL;
    top.tier = TIER_TOP;
    if (!m->c->order.shipped)
        offer(&top, pkg(ACT_CANCEL_REFUND));
    if (top.n_equivalents == 0) {
        offer(&top, pkg(ACT_FULL_REFUND));
        if (r->responsibility == RESP_SELLER || r->responsibility == RESP_CARRIER)
            offer(&top, pkg(ACT_REPLACEMENT));
    }
    if (top.n_equivalents == 0)
        offer(&top, pkg_return(ACT_RETURN_REFUND, true));
    if (top.n_equivalents == 0)
        return false;
    *r = top;
    return true;
}

/* Remedies that make the buyer whole for the problem (goods that work, or
 * the money back, the item kept or returned the same way). Reshipping the
 * missing parts makes whole only a missing_parts case. Partial refunds,
 * coupons and gestures alone leave the buyer short; returns and exchanges
 * ask more of the buyer than keeping the item. */
static bool makes_whole(enum eng_action action, enum eng_category category)
{
    return action == ACT_FULL_REFUND || action == ACT_REPLACEMENT
           || (action == ACT_RESHIP_PARTS && category == CAT_MISSING_PARTS);
}

/* The whole remedies a category's rule does not weigh itself but that
 * serve the buyer as well as the one it recommends, for a SKU over its
 * budget. Only missing parts has any: a complete replacement, or the money
 * back with the item kept, does as much for the buyer as the parts. Every
 * other rule already weighs each whole remedy that fits its problem (a
 * replacement and the money back for goods at fault or lost; for an item
 * not as described, a replacement would repeat the mismatch, so it has
 * none), and the top tier is never touched. */
static const unsigned BUDGET_EQUIVALENTS[CAT_COUNT] = {
    [CAT_MISSING_PARTS] = ENG_ACTION_BIT(ACT_REPLACEMENT) | ENG_ACTION_BIT(ACT_FULL_REFUND),
};

/* Over the SKU's compensation budget: among the remedies that serve the
 * buyer equally well as the recommended one, the cheapest. "Equally well"
 * means: both make the buyer whole for this problem (makes_whole: goods
 * that work, or the money back; never a partial refund, a coupon or a
 * gesture alone), the category lists it (BUDGET_EQUIVALENTS), the seller
 * allows it, and it asks the same of the buyer (the item kept, or
 * returned at the seller's expense, alike) with the same gesture on top.
 * So a seller fault is never moved to a lesser remedy. Returns true when
 * *best changed (*spec then names the new package). */
static bool cheapest_over_budget(struct money *m, const struct rule *r, struct package *spec,
                                 struct eng_remedy *best)
{
    enum eng_category category = m->c->issue.category;
    if (r->tier == TIER_TOP || !makes_whole(best->primary, category))
        return false;
    bool changed = false;
    for (int a = 0; a < ACT_COUNT; a++) {
        enum eng_action action = (enum eng_action)a;
        if (!(BUDGET_EQUIVALENTS[category] & ENG_ACTION_BIT(action)) || action == best->primary
            || !makes_whole(action, category) || !allowed(m, action))
            continue;
        struct package other = *spec;
        other.primary = action;
        struct eng_remedy remedy;
        build(m, &other, &remedy);
        bool same_effort = remedy.keep_item == best->keep_item && remedy.return_required == best->return_required
                           && remedy.seller_pays_return == best->seller_pays_return;
        /* the primary is never a partial refund or coupon here: one of those is the gesture */
        bool same_gesture = eng_remedy_action_amount(&remedy, ACT_PARTIAL_REFUND)
                                >= eng_remedy_action_amount(best, ACT_PARTIAL_REFUND)
                            && eng_remedy_action_amount(&remedy, ACT_COUPON) >= eng_remedy_action_amount(best, ACT_COUPON);
        if (same_effort && same_gesture && remedy.cost < best->cost) {
            *best = remedy;
            *spec = other;
            changed = true;
        }
    }
    return changed;
}

/* ---- general passes ---- */

/* A kept item must not cost more than taking it back: drop the gesture
 * first, then ask for the item back with the same remedy, and failing
 * that, recommend the full return itself. */
static void keep_no_dearer_than_return(struct money *m, struct package *spec, struct eng_remedy *r,
                                       const struct package *full_return_spec,
                                       const struct eng_remedy *full_return)
{
    if (!r->keep_item || r->cost <= full_return->cost)
        return;
    if (spec->gesture_percent != 0) {
        spec->gesture_percent = 0;
        build(m, spec, r);
    }
    if (r->keep_item && r->cost > full_return->cost
        && (spec->primary == ACT_FULL_REFUND || spec->primary == ACT_REPLACEMENT)) {
        spec->return_item = true;
        build(m, spec, r);
    }
    if (r->keep_item && r->cost > full_return->cost && allowed(m, ACT_RETURN_REFUND)) {
        *spec = *full_return_spec;
        *r = *full_return;
    }
}

int64_t eng_remedy_action_amount(const struct eng_remedy *r, enum eng_action type)
{
    for (int i = 0; i < r->n_actions; i++)
        if (r->actions[i].type == type)
            return r->actions[i].amount;
    return 0;
}

/* At most ENG_MAX_ALTERNATIVES, the first offered kept (the high-risk
 * remedy, then the other equivalents, then the rule's alternatives). */
static void push_alternative(struct eng_decision *d, const struct eng_remedy *r)
{
    if (d->n_alternatives == ENG_MAX_ALTERNATIVES || r->primary == d->remedy.primary)
        return;
    for (int i = 0; i < d->n_alternatives; i++)
        if (d->alternatives[i].primary == r->primary)
            return;
    d->alternatives[d->n_alternatives++] = *r;
}

static int decide(const struct eng_case *c, const struct eng_policy *policy, const struct eng_history *history,
                  int64_t now, struct eng_decision *out, bool with_reply)
{
    memset(out, 0, sizeof(*out));
    if (c->order.currency == NULL || c->order.quantity < 1 || c->issue.items_affected < 1
        || c->issue.items_affected > c->order.quantity || c->order.item_price < 0
        || c->order.shipping_paid < 0 || (unsigned)c->issue.category >= CAT_COUNT)
        return -1;
    struct money m;
    money_init(&m, c, policy);
    struct rule rule;
    rule_for(&m, now, &rule);
    bool safety = wrote(c, TRIAGE_MENTIONS_SAFETY_HAZARD);
    if (safety)
        safety_first(&rule);
    out->policy_version = policy->version;
    out->unit_cost = m.unit_cost;
    out->unit_cost_source = m.unit_cost_source;
    out->responsibility = rule.responsibility;
    out->tier = rule.tier;
    out->history = *history;

    /* The comparator: a full return, costed the same way. */
    bool seller_side = rule.responsibility == RESP_SELLER || rule.responsibility == RESP_CARRIER;
    struct package full_return = pkg_return(ACT_RETURN_REFUND, seller_side);
    build(&m, &full_return, &out->full_return);

    eng_assess_abuse(c, policy, history, now, m.high_value, out);

    /* The account's own data: what the response reports, and the rules. */
    if (c->budget.known && c->budget.revenue > 0) {
        out->budget.known = true;
        out->budget.compensation = c->budget.compensation;
        out->budget.revenue = c->budget.revenue;
        out->budget.percent = c->budget.sku_percent >= 0 ? c->budget.sku_percent : policy->compensation_budget_percent;
        out->budget.over = eng_budget_over(c->budget.compensation, c->budget.revenue, out->budget.percent);
    }
    bool favour = false;
    if (c->account_health.known) {
        out->account_health.known = true;
        out->account_health.order_defect_rate = c->account_health.order_defect_rate;
        const char *trigger = defect_trigger(c);
        if (policy->favour_buyer_when_odr_at_risk && trigger != NULL
            && c->account_health.order_defect_rate != HEALTH_GOOD && favour_buyer(&rule, &m)) {
            favour = true;
            out->tier = rule.tier;
            out->account_health.rule = "favour_buyer";
            out->account_health.trigger = trigger;
        }
    }

    /* A rule that offers nothing, or more than it holds, is a bug in the
     * rules: nothing it offers is safe to recommend, so a person decides
     * (below, as for high risk), with no alternatives to pick from. */
    if (rule.overfull)
        rule.n_equivalents = rule.n_alternatives = 0;

    /* Cheapest of the equivalents, or of those the buyer asked for when
     * they asked for one; the others become alternatives. Favouring the
     * buyer, and a safety hazard, keep their offer as it is. */
    bool keep_offer = favour || safety;
    bool honour_request = false;
    for (int i = 0; i < rule.n_equivalents; i++)
        honour_request = honour_request || asked_for(c, rule.equivalents[i].primary);
    struct eng_remedy candidates[MAX_EQUIVALENTS];
    int best = -1; /* none yet */
    for (int i = 0; i < rule.n_equivalents; i++) {
        if (out->risk == RISK_MEDIUM && !keep_offer) {
            /* inspect before refunding; no gestures */
            rule.equivalents[i].gesture_percent = 0;
            if (rule.equivalents[i].primary == ACT_FULL_REFUND)
                rule.equivalents[i].return_item = true;
        }
        build(&m, &rule.equivalents[i], &candidates[i]);
        if (!keep_offer)
            keep_no_dearer_than_return(&m, &rule.equivalents[i], &candidates[i], &full_return, &out->full_return);
        if (honour_request && !asked_for(c, rule.equivalents[i].primary))
            continue;
        if (best < 0 || candidates[i].cost < candidates[best].cost)
            best = i;
    }
    if (best >= 0)
        out->remedy = candidates[best];
    /* Over budget, the cheapest that serves the buyer equally well; the
     * remedy it replaces is offered as the first alternative. Favouring
     * the buyer comes first: a defect costs more than any budget; so do a
     * hazard and the remedy the buyer asked for. */
    struct eng_remedy before_budget;
    bool budget_changed = false;
    if (best >= 0 && out->budget.over && policy->prefer_cheapest_over_budget && !keep_offer && !honour_request
        && out->risk != RISK_HIGH) {
        before_budget = out->remedy;
        budget_changed = cheapest_over_budget(&m, &rule, &rule.equivalents[best], &out->remedy);
        if (budget_changed) {
            out->budget.rule = "over_budget_cheapest_remedy";
            push_alternative(out, &before_budget);
        }
    }

    if ((out->risk == RISK_HIGH && !keep_offer) || best < 0) {
        /* Abuse suspected (or no remedy to recommend): no automatic
         * compensation; a person decides, and sees what policy would
         * otherwise have given. */
        out->tier = TIER_FIRM;
        struct package firm = pkg(ACT_MANUAL_REVIEW);
        firm.extra = ACT_EXPLANATION;
        build(&m, &firm, &out->remedy);
        out->remedy.keep_item = false;
        if (best >= 0)
            push_alternative(out, &candidates[best]);
        rule.situation = "firm_review";
    }
    for (int i = 0; i < rule.n_equivalents; i++)
        if (i != best)
            push_alternative(out, &candidates[i]);
    for (int i = 0; i < rule.n_alternatives; i++) {
        struct eng_remedy alt;
        if (out->risk != RISK_LOW)
            rule.alternatives[i].gesture_percent = 0;
        build(&m, &rule.alternatives[i], &alt);
        push_alternative(out, &alt);
    }
    /* Above the seller's automatic-approval limit in this currency, or
     * with a category triage was not sure of, a person confirms; the
     * decision still says what to offer. */
    int64_t limit = policy->auto_approve_limit[eng_currency_index(c->order.currency)];
    bool reviewed = false;
    for (int i = 0; i < out->remedy.n_actions; i++)
        reviewed = reviewed || out->remedy.actions[i].type == ACT_MANUAL_REVIEW;
    bool confirm = (limit >= 0 && out->remedy.refund_amount > limit)
                   || (c->category_from_message && c->triage.read && c->triage.uncertain);
    if (confirm && !reviewed)
        add_action(&m, &out->remedy, ACT_MANUAL_REVIEW, 0, 0);
    if (m.overflow)
        return -1;

    out->respond_by = now + (int64_t)policy->respond_hours * 3600;
    /* A threatened claim gets the claim's deadline: answered in time, it
     * is never filed. */
    if (c->signals.a_to_z_claim || wrote(c, TRIAGE_THREATENS_A_TO_Z))
        out->a_to_z_respond_by = now + (int64_t)policy->a_to_z_hours * 3600;
    if (c->signals.chargeback || wrote(c, TRIAGE_THREATENS_CHARGEBACK))
        out->chargeback_respond_by = now + (int64_t)policy->chargeback_hours * 3600;

    /* The buyer's language as the request names it, when we have replies
     * in it; else the language their message is written in; else English. */
    bool message_language = c->triage.read && c->triage.language_known;
    if (c->buyer.language != NULL)
        out->language = eng_language_resolve(c->buyer.language, &out->language_fell_back);
    /* a tag we have no replies for ("ko"): the message's language beats en */
    if (c->buyer.language == NULL || out->language_fell_back)
        out->language = message_language ? c->triage.language : LANG_EN;
    if (!with_reply)
        return 0;
    if (eng_render_reply(c, policy, out, rule.situation) != 0)
        return -1;
    /* The case's own identifiers in the text Redress wrote are not contact details. */
    const char *const own_ids[] = { c->order.order_id, c->order.sku, c->ticket_id };
    eng_guard_check_case(c->channel, out->body, own_ids, sizeof(own_ids) / sizeof(own_ids[0]), &out->compliance);
    return 0;
}

int eng_decide(const struct eng_case *c, const struct eng_policy *policy, const struct eng_history *history,
               int64_t now, struct eng_decision *out)
{
    return decide(c, policy, history, now, out, true);
}

int eng_decide_remedy(const struct eng_case *c, const struct eng_policy *policy, const struct eng_history *history,
                      int64_t now, struct eng_decision *out)
{
    return decide(c, policy, history, now, out, false);
}
