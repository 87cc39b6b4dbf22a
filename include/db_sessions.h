/* The console's sessions (db/sessions.c): a random token exchanged once
 * for an API key, stored only as its SHA-256, with an expiry. */
#ifndef REDRESS_DB_SESSIONS_H
#define REDRESS_DB_SESSIONS_H

#include <stdint.h>

#include "crypto.h"
#include "db.h"

enum { DB_SESSION_TIME_LEN = 32 }; /* "2026-11-22T10:00:00Z" and its NUL, with room */

/** Store a new session for the key `key_prefix` of tenant `tenant_id`, by
 * its token's digest, valid `ttl_minutes` from now (the database's clock).
 * expires_at gets the expiry, RFC 3339 UTC. */
enum db_status db_session_insert(struct db *db, const uint8_t token_digest[CRYPTO_SHA256_LEN], int64_t tenant_id,
                                 const char *key_prefix, unsigned ttl_minutes, char expires_at[DB_SESSION_TIME_LEN]);

/** A live session: the tenant, the API key it was opened with and its
 * expiry (RFC 3339 UTC). */
struct db_session {
    struct db_tenant tenant;
    char key_prefix[16];
    char expires_at[DB_SESSION_TIME_LEN];
};

/** The session with this token digest, if it is live: not expired, not
 * revoked, its API key not revoked. DB_NOT_FOUND otherwise. Always asks
 * the database (no cache), so that revoking takes effect at once. */
enum db_status db_session_lookup(struct db *db, const uint8_t token_digest[CRYPTO_SHA256_LEN],
                                 struct db_session *out);

/** Revoke the session with this token digest (revoking twice is a no-op). */
enum db_status db_session_revoke(struct db *db, const uint8_t token_digest[CRYPTO_SHA256_LEN]);

/** Delete the sessions past their expiry; *deleted gets how many. */
enum db_status db_sessions_purge(struct db *db, long *deleted);

#endif
