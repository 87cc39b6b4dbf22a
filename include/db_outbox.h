/* The outbox of the helpdesk connectors (db/outbox.c, migrations 0013 and
 * 0015): connector_deliveries rows, written in a case's transaction,
 * claimed with a lease and sent by the delivery worker (connectors/outbox.c),
 * listed by GET /v1/connectors/zendesk/deliveries. */
#ifndef REDRESS_DB_OUTBOX_H
#define REDRESS_DB_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"

/** A row the worker claimed. Strings are malloc'd: db_outbox_claim_cleanup. */
struct db_outbox_claim {
    int64_t tenant_id;
    char delivery_id[40];
    char connector[16];
    char *ticket_id;
    char *payload;      /* the request body, JSON text */
    int attempts;       /* counting this one */
    bool check_first;   /* an earlier attempt may have landed: look before sending */
    double age_s;       /* since the row was written */
};
void db_outbox_claim_cleanup(struct db_outbox_claim *c);

/** Claim the soonest due row no worker holds, for lease_s seconds, and
 * count the attempt; committed on return. DB_NOT_FOUND when none is due. */
enum db_status db_outbox_claim(struct db *db, unsigned lease_s, struct db_outbox_claim *out);

/** What an attempt came to. */
struct db_outbox_result {
    const char *state;       /* "pending", "delivered" or "failed" */
    int last_status;         /* the helpdesk's HTTP status; 0: no answer (stored as NULL) */
    const char *last_error;  /* NULL: none; never a secret */
    bool unsure;             /* this attempt may have landed unseen */
    double retry_in_s;       /* when still pending */
};
/** Record it and end the lease, only while the row is pending and still
 * at the claim's attempts (the claim's db_outbox_claim.attempts): a worker
 * whose lease ran out and whose row was claimed again records nothing, and
 * gets DB_NOT_FOUND. */
enum db_status db_outbox_record(struct db *db, int64_t tenant_id, const char *delivery_id, int attempts,
                                const struct db_outbox_result *result);

/** After an attempt got no answer: the tenant's other pending rows of
 * connector (all but delivery_id) wait at least delay_s seconds from now. */
enum db_status db_outbox_push_back(struct db *db, int64_t tenant_id, const char *connector, const char *delivery_id,
                                   double delay_s);

/** Milliseconds until the soonest pending row may be claimed (0 when one
 * is due); DB_NOT_FOUND when nothing is pending. */
enum db_status db_outbox_next_due(struct db *db, int64_t *wait_ms);

/** One delivery as GET .../deliveries shows it ("" for a time not set,
 * last_status 0 and last_error NULL when there is none). */
struct db_delivery_row {
    char delivery_id[40];
    char case_id[40];
    char *ticket_id;
    char state[16];
    int attempts;
    int last_status;
    char *last_error;
    char next_attempt_at[32], created_at[32], delivered_at[32];
};
void db_delivery_row_cleanup(struct db_delivery_row *r);

/** The tenant's deliveries of connector, newest first, after the delivery
 * `after` (NULL: from the newest), in `state` (NULL: any), at most limit:
 * *rows (malloc'd array, caller cleans each and frees; NULL when none),
 * *n their number. */
enum db_status db_deliveries_list(struct db *db, int64_t tenant_id, const char *connector, const char *state,
                                  const char *after, int limit, struct db_delivery_row **rows, int *n);

/** DB_OK when the tenant has that delivery of connector, else DB_NOT_FOUND. */
enum db_status db_delivery_exists(struct db *db, int64_t tenant_id, const char *connector, const char *delivery_id);

#endif
