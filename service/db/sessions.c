/* The console's sessions. Only a token's SHA-256 ever reaches the
 * database; results are read by column name. */
#include <stdio.h>
#include <stdlib.h>

#include "db_internal.h"
#include "db_sessions.h"

/* The text of a column of the first row by name; "" for NULL. */
static const char *column(const PGresult *res, const char *name)
{
    int col = db_column(res, name);
    return PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col);
}

enum db_status db_session_insert(struct db *db, const uint8_t token_digest[CRYPTO_SHA256_LEN], int64_t tenant_id,
                                 const char *key_prefix, unsigned ttl_minutes, char expires_at[DB_SESSION_TIME_LEN])
{
    char digest[2 + 2 * CRYPTO_SHA256_LEN + 1], tenant[24], minutes[24];
    db_bytea_text(token_digest, CRYPTO_SHA256_LEN, digest);
    db_int_text(tenant_id, tenant);
    db_int_text(ttl_minutes, minutes);
    const char *const params[] = { digest, tenant, key_prefix, minutes };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_SESSION_INSERT, 4, params, &status);
    if (res == NULL)
        return status;
    snprintf(expires_at, DB_SESSION_TIME_LEN, "%s", column(res, "expires_at"));
    PQclear(res);
    return DB_OK;
}

enum db_status db_session_lookup(struct db *db, const uint8_t token_digest[CRYPTO_SHA256_LEN],
                                 struct db_session *out)
{
    char digest[2 + 2 * CRYPTO_SHA256_LEN + 1];
    db_bytea_text(token_digest, CRYPTO_SHA256_LEN, digest);
    const char *const params[] = { digest };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_SESSION_LOOKUP, 1, params, &status);
    if (res == NULL)
        return status;
    status = DB_NOT_FOUND;
    if (PQntuples(res) == 1) {
        out->tenant.id = strtoll(column(res, "id"), NULL, 10);
        snprintf(out->tenant.name, sizeof(out->tenant.name), "%s", column(res, "name"));
        snprintf(out->key_prefix, sizeof(out->key_prefix), "%s", column(res, "key_prefix"));
        snprintf(out->expires_at, sizeof(out->expires_at), "%s", column(res, "expires_at"));
        status = DB_OK;
    }
    PQclear(res);
    return status;
}

enum db_status db_session_revoke(struct db *db, const uint8_t token_digest[CRYPTO_SHA256_LEN])
{
    char digest[2 + 2 * CRYPTO_SHA256_LEN + 1];
    db_bytea_text(token_digest, CRYPTO_SHA256_LEN, digest);
    const char *const params[] = { digest };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_SESSION_REVOKE, 1, params, &status);
    PQclear(res);
    return status;
}

enum db_status db_sessions_purge(struct db *db, long *deleted)
{
    enum db_status status;
    PGresult *res = db_exec(db, STMT_SESSIONS_PURGE, 0, NULL, &status);
    if (res == NULL)
        return status;
    *deleted = atol(PQcmdTuples(res));
    PQclear(res);
    return DB_OK;
}
