/* Tenants and API keys. Results are read by column name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_internal.h"
#include "log.h"

/* The text of a column of a row by name; "" for NULL. */
static const char *column(const PGresult *res, int row, const char *name)
{
    int col = db_column(res, name);
    return PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

static void copy_text(char *dest, size_t size, const char *text)
{
    snprintf(dest, size, "%s", text);
}

static void copy_tenant(const PGresult *res, int row, struct db_tenant *out)
{
    out->id = strtoll(column(res, row, "id"), NULL, 10);
    copy_text(out->name, sizeof(out->name), column(res, row, "name"));
}

enum db_status db_tenant_ensure(struct db *db, const char *name, struct db_tenant *out)
{
    enum db_status status;
    const char *const params[] = { name };
    PGresult *res = db_exec(db, STMT_TENANT_ENSURE, 1, params, &status);
    if (res == NULL)
        return status;
    copy_tenant(res, 0, out);
    PQclear(res);
    return DB_OK;
}

enum db_status db_api_key_insert(struct db *db, int64_t tenant_id, const char *prefix,
                                 const uint8_t digest[32])
{
    char tenant[24], digest_text[2 + 64 + 1] = "\\x";
    db_int_text(tenant_id, tenant);
    crypto_hex(digest, 32, digest_text + 2);
    const char *const params[] = { prefix, tenant, digest_text };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_API_KEY_INSERT, 3, params, &status);
    PQclear(res);
    return status;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

enum db_status db_api_key_lookup(struct db *db, const char *prefix, struct db_tenant *tenant,
                                 uint8_t digest[32])
{
    const char *const params[] = { prefix };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_API_KEY_LOOKUP, 1, params, &status);
    if (res == NULL)
        return status;
    status = DB_NOT_FOUND;
    if (PQntuples(res) == 1) {
        copy_tenant(res, 0, tenant);
        const char *hex = column(res, 0, "digest"); /* bytea in hex output: \x... */
        if (strlen(hex) == 66 && hex[0] == '\\' && hex[1] == 'x') {
            status = DB_OK;
            for (int i = 0; i < 32; i++) {
                int hi = hex_value(hex[2 + 2 * i]), lo = hex_value(hex[3 + 2 * i]);
                if (hi < 0 || lo < 0) {
                    status = DB_ERROR;
                    break;
                }
                digest[i] = (uint8_t)((hi << 4) | lo);
            }
        } else {
            status = DB_ERROR;
        }
    }
    PQclear(res);
    return status;
}

enum db_status db_api_key_touch(struct db *db, const char *prefix)
{
    const char *const params[] = { prefix };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_API_KEY_TOUCH, 1, params, &status);
    PQclear(res);
    return status;
}

enum db_status db_api_key_list(struct db *db, const char *tenant_name, struct db_api_key_info **keys,
                               int *count)
{
    *keys = NULL;
    *count = 0;
    const char *const params[] = { tenant_name };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_API_KEY_LIST, 1, params, &status);
    if (res == NULL)
        return status;
    int rows = PQntuples(res);
    if (rows == 0) {
        PQclear(res);
        return DB_NOT_FOUND;
    }
    /* A tenant without keys comes back as one row of NULLs. */
    if (rows == 1 && column(res, 0, "prefix")[0] == '\0') {
        PQclear(res);
        return DB_OK;
    }
    *keys = calloc((size_t)rows, sizeof(**keys));
    if (*keys == NULL) {
        PQclear(res);
        return DB_ERROR;
    }
    for (int row = 0; row < rows; row++) {
        struct db_api_key_info *key = &(*keys)[row];
        copy_text(key->prefix, sizeof(key->prefix), column(res, row, "prefix"));
        copy_text(key->created_at, sizeof(key->created_at), column(res, row, "created_at"));
        copy_text(key->last_used_at, sizeof(key->last_used_at), column(res, row, "last_used_at"));
        copy_text(key->revoked_at, sizeof(key->revoked_at), column(res, row, "revoked_at"));
    }
    *count = rows;
    PQclear(res);
    return DB_OK;
}

enum db_status db_api_key_revoke(struct db *db, const char *prefix, char tenant_name[64],
                                 char revoked_at[32], bool *newly_revoked)
{
    const char *const params[] = { prefix };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_API_KEY_REVOKE, 1, params, &status);
    if (res == NULL)
        return status;
    status = DB_NOT_FOUND;
    if (PQntuples(res) == 1) {
        copy_text(tenant_name, 64, column(res, 0, "tenant"));
        copy_text(revoked_at, 32, column(res, 0, "revoked_at"));
        *newly_revoked = strcmp(column(res, 0, "newly_revoked"), "t") == 0;
        status = DB_OK;
    }
    PQclear(res);
    return status;
}
