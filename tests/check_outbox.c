/* The outbox suite (issue #12): placeholder until its tests land. */
#include <check.h>

#include "harness.h"

Suite *outbox_suite(void)
{
    return suite_create("outbox");
}
