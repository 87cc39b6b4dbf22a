/* Sessions, cookies and CSRF (issue #14): placeholder until its tests land. */
#include <check.h>

#include "harness.h"

Suite *sessions_suite(void)
{
    return suite_create("sessions");
}
