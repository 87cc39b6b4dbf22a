/* The helpdesk connectors, apart from HTTP (service/connectors/): their
 * settings as described once (settings.c) and the delivery worker that
 * sends the outbox to Zendesk (outbox.c). Nothing here touches MHD; the
 * handlers parse and reply, the worker runs beside the server. */
#ifndef REDRESS_CONNECTORS_H
#define REDRESS_CONNECTORS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
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

/** Whether text is a Zendesk subdomain as the settings take it ("acme" for
 * acme.zendesk.com: [a-z0-9][a-z0-9-]{0,62}); the worker checks the stored
 * one again before it builds a URL with it. */
bool connectors_subdomain_valid(const char *text);

/* ---- the delivery worker (outbox.c) ---- */

struct config;
struct outbox;

/** Start the worker that sends the outbox (connector_deliveries) to
 * Zendesk: one thread with its own database connection, claiming due rows
 * with a lease, calling Zendesk with no transaction open, recording what
 * came of it. Its settings and REDRESS_SECRET_KEY are copied from cfg.
 * NULL and *err set when cfg cannot be used (a base that is neither https
 * nor loopback) or the thread did not start; NULL with *err empty when
 * there is nothing to do (no REDRESS_SECRET_KEY: no token can be opened). */
struct outbox *outbox_start(const struct config *cfg, char *err, size_t err_size);

/** Stop the worker: a call in progress is cut short (its outcome then
 * unknown, checked before the next attempt); returns within about a
 * second. NULL is fine. */
void outbox_stop(struct outbox *outbox);

/** Tell every running worker that rows were committed (after the case's
 * COMMIT): they look at once instead of at their next poll. Cheap; safe
 * from any thread, and when no worker runs. */
void outbox_wake(void);

/** Whether a Zendesk API base ("https://{subdomain}.zendesk.com") may be
 * used: https, or http to a loopback address. */
bool outbox_base_allowed(const char *base);

#endif
