/* The helpdesk connectors, apart from HTTP (service/connectors/): their
 * settings as described once (settings.c) and the delivery worker that
 * sends the outbox to Zendesk (outbox.c). Nothing here touches MHD; the
 * handlers parse and reply, the worker runs beside the server. */
#ifndef REDRESS_CONNECTORS_H
#define REDRESS_CONNECTORS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"

/* ---- settings (settings.c) ---- */

/** Whether name is a connector ("zendesk", "gorgias"). */
bool connectors_known(const char *name);

/** The tenant's settings for connector ("zendesk", "gorgias") as GET shows
 * them (defaults where nothing was saved; secrets only as <name>_set): a
 * new reference, or NULL with *status saying why (DB_NOT_FOUND for another
 * connector name, DB_ERROR logged). */
json_t *connectors_settings(struct db *db, int64_t tenant_id, const char *connector, enum db_status *status);

/** The tenant's secret `name` of connector ("zendesk", "webhook_secret"),
 * opened with key (REDRESS_SECRET_KEY's bytes; NULL: none): *out gets it,
 * NUL-terminated (malloc'd; caller wipes and frees). DB_NOT_FOUND when it
 * is not set; DB_ERROR (logged, never the value) when there is no key or it
 * does not open: altered, moved from another row, or another key's. */
enum db_status connectors_secret_open(struct db *db, const uint8_t *key, int64_t tenant_id, const char *connector,
                                      const char *name, char **out);

/** What a settings write came to. */
enum connectors_put_outcome {
    CONNECTORS_PUT_STORED,
    CONNECTORS_PUT_UNKNOWN,   /* no such connector */
    CONNECTORS_PUT_INVALID,   /* errors says which fields (shape, or what enabling needs) */
    CONNECTORS_PUT_NO_KEY,    /* the body sets a secret and there is no REDRESS_SECRET_KEY */
    CONNECTORS_PUT_FAILED,    /* out of memory, or sealing failed (logged) */
    CONNECTORS_PUT_DB_ERROR,  /* *db_status says how */
};

/** Validate body (a PUT /v1/connectors/{connector} body) against the
 * connector's spec table and store it for the tenant: the settings that
 * are not secrets as its document, the secrets given as strings sealed
 * under key, those given as null cleared, the others kept. errors (owned
 * by the caller) gets the problems when INVALID. *db as db_run_transaction. */
enum connectors_put_outcome connectors_settings_put(struct db **db, const uint8_t *key, int64_t tenant_id,
                                                    const char *connector, const json_t *body, json_t *errors,
                                                    enum db_status *db_status);

#endif
