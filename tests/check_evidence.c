/* The evidence suite (issue #13): placeholder until its tests land. */
#include <check.h>

#include "harness.h"

Suite *evidence_suite(void)
{
    return suite_create("evidence");
}
