/* Abuse assessment from the buyer's history with this seller. What the
 * return-abuse tools weigh (DOMAIN.md): how often and how alike the claims
 * are, refunds against spend, confirmed abuse, "never arrived" claims,
 * claims right after delivery, high order value. Points and thresholds
 * come from the policy. */
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"

enum { MAX_COUNTED = 50 }; /* beyond this many, more of the same adds nothing */

static int capped(int64_t n)
{
    return n > MAX_COUNTED ? MAX_COUNTED : (int)n;
}

static void add_signal(struct eng_decision *d, int points, const char *code, const char *detail)
{
    d->abuse_score += points;
    if (d->n_signals == ENG_MAX_SIGNALS)
        return;
    struct eng_signal *s = &d->signals[d->n_signals++];
    s->code = code;
    snprintf(s->detail, sizeof(s->detail), "%s", detail);
}

/* refunded / spent as a whole percent, without overflow. */
static int64_t refund_ratio_percent(const struct eng_history *h)
{
    int64_t scaled;
    if (!__builtin_mul_overflow(h->refunded_amount_365d, (int64_t)100, &scaled))
        return scaled / h->spent_365d;
    return h->refunded_amount_365d / (h->spent_365d / 100 + 1);
}

void eng_assess_abuse(const struct eng_case *c, const struct eng_policy *p, const struct eng_history *h,
                      int64_t now, bool high_value, struct eng_decision *out)
{
    char detail[ENG_DETAIL_MAX];
    out->abuse_score = 0;
    out->n_signals = 0;
    if (h->abuse_confirmed > 0) {
        snprintf(detail, sizeof(detail), "%lld earlier case(s) ended with abuse confirmed",
                 (long long)h->abuse_confirmed);
        add_signal(out, p->abuse_confirmed_points, "prior_abuse_confirmed", detail);
    }
    if (h->same_category_90d > 0) {
        snprintf(detail, sizeof(detail), "%lld earlier claim(s) for %s in 90 days",
                 (long long)h->same_category_90d, ENG_CATEGORY_NAMES[c->issue.category]);
        add_signal(out, p->abuse_same_category_points * capped(h->same_category_90d), "repeat_same_category",
                   detail);
    }
    if (h->cases_90d > p->abuse_frequent_threshold) {
        snprintf(detail, sizeof(detail), "%lld earlier claims in 90 days (more than %d is unusual)",
                 (long long)h->cases_90d, p->abuse_frequent_threshold);
        add_signal(out, p->abuse_frequent_points * capped(h->cases_90d - p->abuse_frequent_threshold),
                   "frequent_claims", detail);
    }
    if (h->spent_365d > 0 && h->refunded_90d >= p->abuse_refund_ratio_min_cases) {
        int64_t ratio = refund_ratio_percent(h);
        if (ratio >= p->abuse_refund_ratio_percent) {
            snprintf(detail, sizeof(detail), "refunds are %lld %% of what this buyer spent in 365 days"
                     " (threshold %d %%)", (long long)ratio, p->abuse_refund_ratio_percent);
            add_signal(out, p->abuse_refund_ratio_points, "high_refund_ratio", detail);
        }
    }
    if (c->issue.category == CAT_LOST_IN_TRANSIT && h->not_received_365d > 0) {
        snprintf(detail, sizeof(detail), "%lld earlier \"never arrived\" claim(s) in 365 days",
                 (long long)h->not_received_365d);
        add_signal(out, p->abuse_not_received_points * capped(h->not_received_365d), "repeat_not_received",
                   detail);
    }
    if (c->order.delivered_at > 0 && now >= c->order.delivered_at
        && now - c->order.delivered_at < (int64_t)p->abuse_quick_claim_hours * 3600) {
        snprintf(detail, sizeof(detail), "claimed %lld hour(s) after delivery (under %d)",
                 (long long)((now - c->order.delivered_at) / 3600), p->abuse_quick_claim_hours);
        add_signal(out, p->abuse_quick_claim_points, "quick_claim", detail);
    }
    if (high_value) {
        snprintf(detail, sizeof(detail), "item price %lld (minor units) is at or above the high-value threshold",
                 (long long)c->order.item_price);
        add_signal(out, p->abuse_high_value_points, "high_order_value", detail);
    }
    out->risk = out->abuse_score >= p->abuse_high_score     ? RISK_HIGH
                : out->abuse_score >= p->abuse_medium_score ? RISK_MEDIUM
                                                            : RISK_LOW;
}

void eng_assess_history(const struct eng_policy *policy, const struct eng_history *history,
                        enum eng_category category, struct eng_decision *out)
{
    struct eng_case c;
    memset(&c, 0, sizeof(c));
    c.issue.category = category;
    out->history = *history;
    eng_assess_abuse(&c, policy, history, 0, false, out);
}

const char *eng_risk_recommendation(enum eng_risk risk)
{
    static const char *const RECOMMENDATIONS[RISK_COUNT] = { "approve", "inspect_before_refund", "manual_review" };
    return RECOMMENDATIONS[risk];
}
