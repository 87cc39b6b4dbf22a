/* The console's files served by the binary (issue #14): placeholder until its tests land. */
#include <check.h>

#include "harness.h"

Suite *console_suite(void)
{
    return suite_create("console");
}
