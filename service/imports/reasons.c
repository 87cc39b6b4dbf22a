/* Amazon's return reason codes → our case categories: one table, read by
 * imp_reason_category. The buyer's form sends the codes with "CR-"; the FBA
 * returns report prints them without. Each row says why it maps where it
 * does; README.md ("Import files") shows the same table. */
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "imports.h"

static const struct {
    const char *code;
    enum eng_category category;
} REASONS[] = {
    /* The item does not work. */
    { "DEFECTIVE", CAT_DEFECTIVE },
    /* "Performance or quality not adequate": it works, but not well enough —
     * a fault of the product, short of broken. */
    { "QUALITY_UNACCEPTABLE", CAT_MINOR_DEFECT },
    { "DAMAGED_BY_CARRIER", CAT_DAMAGED_IN_TRANSIT },
    /* Damaged in Amazon's fulfilment centre: for the buyer it arrived
     * damaged, like carrier damage; neither is the seller's product fault. */
    { "DAMAGED_BY_FC", CAT_DAMAGED_IN_TRANSIT },
    /* "Wrong item was sent". */
    { "SWITCHEROO", CAT_WRONG_ITEM },
    /* An extra item the buyer did not order arrived: a picking error, like
     * a wrong item. */
    { "EXTRA_ITEM", CAT_WRONG_ITEM },
    { "MISSING_PARTS", CAT_MISSING_PARTS },
    { "AMZ-PG-BAD-DESC", CAT_NOT_AS_DESCRIBED },
    { "NOT_AS_DESCRIBED", CAT_NOT_AS_DESCRIBED },
    { "INACCURATE_WEBSITE_DESCRIPTION", CAT_NOT_AS_DESCRIBED },
    /* Does not fit the buyer's other equipment: the item is as listed, the
     * buyer expected otherwise. */
    { "NOT_COMPATIBLE", CAT_EXPECTATION_MISMATCH },
    { "PART_NOT_COMPATIBLE", CAT_EXPECTATION_MISMATCH },
    { "APPAREL_STYLE", CAT_EXPECTATION_MISMATCH },
    /* The buyer chose the wrong size or variant. */
    { "ORDERED_WRONG_ITEM", CAT_WRONG_SIZE_ORDERED },
    { "APPAREL_TOO_SMALL", CAT_WRONG_SIZE_ORDERED },
    { "APPAREL_TOO_LARGE", CAT_WRONG_SIZE_ORDERED },
    /* Nothing wrong with the item: the buyer no longer wants it. */
    { "UNWANTED_ITEM", CAT_CHANGED_MIND },
    { "FOUND_BETTER_PRICE", CAT_CHANGED_MIND },
    { "ACCIDENTAL_ORDER", CAT_CHANGED_MIND },
    { "UNDELIVERABLE_REFUSED", CAT_CHANGED_MIND },
    { "MISSED_ESTIMATED_DELIVERY", CAT_LATE_DELIVERY },
    /* The parcel never reached the buyer (returned to sender). */
    { "NEVER_ARRIVED", CAT_LOST_IN_TRANSIT },
    { "UNDELIVERABLE_UNKNOWN", CAT_LOST_IN_TRANSIT },
    { "UNDELIVERABLE_INSUFFICIENT_ADDRESS", CAT_LOST_IN_TRANSIT },
    { "UNDELIVERABLE_FAILED_DELIVERY_ATTEMPTS", CAT_LOST_IN_TRANSIT },
    { "UNDELIVERABLE_CARRIER_MISS_SORTED", CAT_LOST_IN_TRANSIT },
    { "UNDELIVERABLE_MISSING_LABEL", CAT_LOST_IN_TRANSIT },
    /* Left in "other" on purpose: an unauthorised purchase is an account
     * matter, not a problem with the item or its delivery; no reason given
     * says nothing. Listed so that the table shows they were considered. */
    { "UNAUTHORIZED_PURCHASE", CAT_COUNT },
    { "NO_REASON_GIVEN", CAT_COUNT },
};

const char *imp_reason_category(const char *reason)
{
    static const char OTHER[] = "other";
    if (reason == NULL)
        return OTHER;
    while (*reason == ' ')
        reason++;
    if (strncasecmp(reason, "CR-", 3) == 0)
        reason += 3;
    size_t len = strlen(reason);
    while (len > 0 && reason[len - 1] == ' ')
        len--;
    for (size_t i = 0; i < sizeof(REASONS) / sizeof(REASONS[0]); i++)
        if (strlen(REASONS[i].code) == len && strncasecmp(reason, REASONS[i].code, len) == 0)
            return REASONS[i].category == CAT_COUNT ? OTHER : ENG_CATEGORY_NAMES[REASONS[i].category];
    return OTHER;
}
