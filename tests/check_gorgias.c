/* The gorgias suite (issue #12): placeholder until its tests land. */
#include <check.h>

#include "harness.h"

Suite *gorgias_suite(void)
{
    return suite_create("gorgias");
}
