/* Loads the named statements of statements.sql (embedded in the binary). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "embedded.h"

static const char *const STMT_NAMES[STMT_COUNT] = {
    [STMT_TENANT_ENSURE] = "tenant_ensure",
    [STMT_API_KEY_INSERT] = "api_key_insert",
    [STMT_API_KEY_LOOKUP] = "api_key_lookup",
    [STMT_IDEMPOTENCY_CLAIM] = "idempotency_claim",
    [STMT_BUYER_LOCK] = "buyer_lock",
    [STMT_BUYER_HISTORY] = "buyer_history",
    [STMT_CASE_INSERT] = "case_insert",
    [STMT_CASE_EXISTS] = "case_exists",
    [STMT_CASE_GET] = "case_get",
    [STMT_CASE_LOCK] = "case_lock",
    [STMT_CASES_SEARCH] = "cases_search",
    [STMT_OUTCOME_INSERT] = "outcome_insert",
    [STMT_OUTCOME_NEXT_REVISION] = "outcome_next_revision",
    [STMT_OUTCOME_EXISTS] = "outcome_exists",
    [STMT_BUYER_SUMMARY] = "buyer_summary",
    [STMT_IDEMPOTENCY_PURGE] = "idempotency_purge",
    [STMT_COST_SETTINGS] = "cost_settings",
    [STMT_TENANT_COSTS_UPSERT] = "tenant_costs_upsert",
    [STMT_SKU_COSTS_UPSERT] = "sku_costs_upsert",
    [STMT_API_KEY_TOUCH] = "api_key_touch",
    [STMT_API_KEY_LIST] = "api_key_list",
    [STMT_API_KEY_REVOKE] = "api_key_revoke",
    [STMT_POLICY_CURRENT] = "policy_current",
    [STMT_POLICY_VERSION_GET] = "policy_version_get",
    [STMT_POLICY_INSERT] = "policy_insert",
    [STMT_POLICY_VERSIONS_LIST] = "policy_versions_list",
    [STMT_TENANT_CREATED_AT] = "tenant_created_at",
    [STMT_CASES_REPLAY_PAGE] = "cases_replay_page",
    /* imports (db/imports.c) */
    [STMT_IMPORT_LOCK] = "import_lock",
    [STMT_IMPORT_MERGE_ORDER_LINES] = "import_merge_order_lines",
    [STMT_IMPORT_MERGE_RETURNS] = "import_merge_returns",
    [STMT_IMPORT_MERGE_EVENTS] = "import_merge_events",
    [STMT_IMPORT_SALES_CLEAR] = "import_sales_clear",
    [STMT_IMPORT_SALES_ROLLUP] = "import_sales_rollup",
    [STMT_IMPORT_RETURNS_CLEAR] = "import_returns_clear",
    [STMT_IMPORT_RETURNS_ROLLUP] = "import_returns_rollup",
    [STMT_IMPORT_HEALTH_CLEAR] = "import_health_clear",
    [STMT_IMPORT_HEALTH_ROLLUP] = "import_health_rollup",
    [STMT_IMPORT_STAGE_CLEAR] = "import_stage_clear",
    [STMT_IMPORT_RECORD] = "import_record",
    [STMT_IMPORTS_LIST] = "imports_list",
    [STMT_IMPORT_GET] = "import_get",
    [STMT_IMPORT_SALES_SPANS_CLEAR] = "import_sales_spans_clear",
    [STMT_IMPORT_SALES_SPANS] = "import_sales_spans",
    [STMT_IMPORT_RETURNS_SPANS_CLEAR] = "import_returns_spans_clear",
    [STMT_IMPORT_RETURNS_SPANS] = "import_returns_spans",
    /* reports (db/reports.c) */
    [STMT_REPORT_CASE_SUMMARY] = "report_case_summary",
    [STMT_REPORT_OUTCOME_SUMMARY] = "report_outcome_summary",
    [STMT_REPORT_SKUS] = "report_skus",
    [STMT_REPORT_HEALTH_DAYS] = "report_health_days",
    [STMT_REPORT_RESPONSE_DAYS] = "report_response_days",
    /* case rollups and decision inputs (db/cases.c) */
    [STMT_CASE_ACCOUNT] = "case_account",
    /* ticket links (db/cases.c) */
    [STMT_CASE_TICKET_INSERT] = "case_ticket_insert",
    [STMT_CASE_TICKET_LOOKUP] = "case_ticket_lookup",
    /* outbox (db/outbox.c) */
    [STMT_OUTBOX_CLAIM] = "outbox_claim",
    [STMT_OUTBOX_RECORD] = "outbox_record",
    [STMT_OUTBOX_NEXT_DUE] = "outbox_next_due",
    [STMT_OUTBOX_PUSH_BACK] = "outbox_push_back",
    [STMT_DELIVERIES_PAGE] = "deliveries_page",
    [STMT_DELIVERY_EXISTS] = "delivery_exists",
    /* connector settings (db/connectors.c) */
    [STMT_CONNECTOR_SETTINGS_GET] = "connector_settings_get",
    [STMT_CONNECTOR_SETTINGS_PUT] = "connector_settings_put",
    /* the conversation on a case (db/messages.c) */
    [STMT_MESSAGE_CASE] = "message_case",
    [STMT_MESSAGE_NEXT_SEQ] = "message_next_seq",
    [STMT_MESSAGE_INSERT] = "message_insert",
    [STMT_MESSAGE_EXISTS] = "message_exists",
    [STMT_CASE_MESSAGES] = "case_messages",
    /* sessions (db/sessions.c) */
    [STMT_SESSION_INSERT] = "session_insert",
    [STMT_SESSION_LOOKUP] = "session_lookup",
    [STMT_SESSION_REVOKE] = "session_revoke",
    [STMT_SESSIONS_PURGE] = "sessions_purge",
};

/* Written once by db_statements_load() before any thread connects. */
static char *stmt_sql[STMT_COUNT];

/* Callers pass enum values; anything else is a bug caught here, loudly. */
static enum db_stmt checked(enum db_stmt stmt)
{
    if ((unsigned)stmt >= STMT_COUNT) {
        fprintf(stderr, "redress: statement number %d is out of range\n", (int)stmt);
        abort();
    }
    return stmt;
}

const char *db_stmt_name(enum db_stmt stmt) { return STMT_NAMES[checked(stmt)]; }
const char *db_stmt_sql(enum db_stmt stmt) { return stmt_sql[checked(stmt)]; }

static const char NAME_MARKER[] = "-- name: ";

/* Copy the body of one statement: from `start` up to the next marker or
 * the end, without trailing blanks and the final semicolon. */
static char *copy_statement(const char *start)
{
    const char *end = strstr(start, NAME_MARKER);
    if (end == NULL)
        end = start + strlen(start);
    while (end > start && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\t' || end[-1] == ';'))
        end--;
    size_t len = (size_t)(end - start);
    char *sql = malloc(len + 1);
    if (sql != NULL) {
        memcpy(sql, start, len);
        sql[len] = '\0';
    }
    return sql;
}

const char *db_statements_load(void)
{
    static char message[160];
    const struct embedded_file *file = embedded_find("service/db/statements.sql");
    if (file == NULL)
        return "service/db/statements.sql is not embedded";
    for (int i = 0; i < STMT_COUNT; i++) {
        if (stmt_sql[i] != NULL)
            continue;
        if (STMT_NAMES[i] == NULL) { /* an enum entry without its name above */
            snprintf(message, sizeof(message), "statement %d has no name in statements.c", i);
            return message;
        }
        char marker[96];
        snprintf(marker, sizeof(marker), "%s%s\n", NAME_MARKER, STMT_NAMES[i]);
        const char *at = strstr(file->data, marker);
        if (at == NULL) {
            snprintf(message, sizeof(message), "statements.sql has no statement named '%s'",
                     STMT_NAMES[i]);
            return message;
        }
        stmt_sql[i] = copy_statement(at + strlen(marker));
        if (stmt_sql[i] == NULL)
            return "out of memory loading statements";
    }
    return NULL;
}
