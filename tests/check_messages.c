/* Issue #12: being written (see /work/briefs/i12). */
#include "harness.h"

Suite *messages_suite(void)
{
    return suite_create("messages");
}
