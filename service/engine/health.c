/* Account-health statuses against Amazon's targets (ENG_HEALTH_METRICS). */
#include <stdint.h>

#include "engine.h"

#define ENG_HEALTH_INFO(id, name, days, target_bp, higher) [id] = { name, days, target_bp, higher },
const struct eng_health_metric_info ENG_HEALTH_METRIC_INFO[HEALTH_METRIC_COUNT] = {
    ENG_HEALTH_METRICS(ENG_HEALTH_INFO)
};
#undef ENG_HEALTH_INFO

const char *const ENG_HEALTH_STATUS_NAMES[HEALTH_STATUS_COUNT] = {
    [HEALTH_GOOD] = "good", [HEALTH_AT_RISK] = "at_risk", [HEALTH_BAD] = "bad",
};

/* Basis points of a whole, and the at-risk band: within 20 % (1/5) of the target. */
enum { BP_WHOLE = 10000, AT_RISK_BAND_NUM = 4, AT_RISK_BAND_DEN = 5 };

enum eng_health_status eng_health_status(enum eng_health_metric metric, int64_t numerator, int64_t denominator)
{
    if ((unsigned)metric >= HEALTH_METRIC_COUNT || denominator <= 0 || numerator < 0)
        return HEALTH_GOOD;
    if (numerator > denominator)
        numerator = denominator;
    const struct eng_health_metric_info *info = &ENG_HEALTH_METRIC_INFO[metric];
    /* Compare the share that misses (defects; or what falls short of a
     * higher-is-better target) with the most that may: rate ≥ limit is bad.
     * Counts are far below 2^63 / 10^5, so the products cannot overflow. */
    int64_t missing = info->higher_is_better ? denominator - numerator : numerator;
    int64_t limit_bp = info->higher_is_better ? BP_WHOLE - info->target_bp : info->target_bp;
    if (missing * BP_WHOLE >= limit_bp * denominator)
        return HEALTH_BAD;
    if (missing * BP_WHOLE * AT_RISK_BAND_DEN >= limit_bp * AT_RISK_BAND_NUM * denominator)
        return HEALTH_AT_RISK;
    return HEALTH_GOOD;
}

bool eng_budget_over(int64_t compensation, int64_t revenue, int budget_percent)
{
    if (revenue <= 0 || compensation <= 0)
        return false;
    if (budget_percent < 0)
        budget_percent = 0;
    /* compensation × 100 > revenue × budget, without overflow: amounts are
     * below 2^63 / 100 (the API caps money far lower), else compare by division. */
    if (compensation <= INT64_MAX / 100 && revenue <= INT64_MAX / 100)
        return compensation * 100 > revenue * budget_percent;
    return (long double)compensation * 100 > (long double)revenue * budget_percent;
}
