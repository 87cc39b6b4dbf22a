/* The helpdesk connectors' settings (db/connectors.c, migration 0012). A
 * tenant has one row per connector: a JSON document of its settings and a
 * JSON object of its secrets, each sealed (crypto_seal) and stored as hex;
 * the database layer neither seals nor opens them. */
#ifndef REDRESS_DB_CONNECTORS_H
#define REDRESS_DB_CONNECTORS_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"

/** The tenant's row for connector ("zendesk", "gorgias"): *settings and
 * *secrets get its JSON text (malloc'd, caller frees), both NULL when the
 * tenant has saved nothing yet (still DB_OK). */
enum db_status db_connector_settings_get(struct db *db, int64_t tenant_id, const char *connector, char **settings,
                                         char **secrets);

/** Judges the secrets a write would leave (JSON text: name -> sealed hex):
 * true commits it, false rolls it back. May run more than once. */
typedef bool (*db_connector_accept_fn)(const char *secrets, void *cls);

/** In one transaction, replace the tenant's settings document for connector
 * (JSON text), add or replace the secrets of set_secrets (a JSON object of
 * name -> sealed hex), remove those named by clear_secrets (a PostgreSQL
 * text[] literal such as "{api_token}"), keep the others, and let accept
 * judge the result. DB_OK when written; DB_SETTLED when accept said no
 * (nothing written); else the failure. *db as db_run_transaction. */
enum db_status db_connector_settings_put(struct db **db, int64_t tenant_id, const char *connector,
                                         const char *settings, const char *set_secrets, const char *clear_secrets,
                                         db_connector_accept_fn accept, void *cls);

#endif
