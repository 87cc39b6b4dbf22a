/* Issue #12: being written (see /work/briefs/i12). */
#include "harness.h"

Suite *connectors_suite(void)
{
    return suite_create("connectors");
}
