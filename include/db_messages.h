/* The conversation on a case (db/messages.c): messages from the buyer, the
 * seller and the marketplace, numbered per case in recording order. */
#ifndef REDRESS_DB_MESSAGES_H
#define REDRESS_DB_MESSAGES_H

#include <stdint.h>

#include "db.h"

/** What the compliance guard needs of the case a message is on; strings
 * borrowed for the render callback's duration only. */
struct db_message_case {
    const char *channel;   /* the case's marketplace channel (amazon, shopify, other) */
    const char *order_id;
    const char *sku;
    const char *ticket_id; /* NULL when the case named none */
};

struct db_message;

/** Fill m->channel when it is NULL (the case's), m->compliance for a seller
 * message, and m->response_body (malloc'd; free any earlier ones). Return
 * 0, or -1 to roll back with DB_ERROR. Runs inside the transaction, under
 * the case's lock, maybe more than once. */
typedef int (*db_message_render_fn)(struct db_message *m, const struct db_message_case *kase, void *cls);

/** A message being recorded. The caller fills the inputs; free with
 * db_message_cleanup(). */
struct db_message {
    /* inputs */
    const char *message_id;      /* made by the caller (UUID), stable across retries */
    const char *from;            /* buyer, seller or marketplace */
    const char *at;              /* RFC 3339 */
    const char *channel;         /* static name; NULL: the render callback sets it */
    const char *text;
    const char *idempotency_key; /* NULL when none */
    uint8_t request_hash[32];    /* of the route and the canonical body, when keyed */
    /* set in the transaction (render callback) */
    char *compliance;            /* owned: JSON text, NULL for a buyer's or marketplace's message */
    char *response_body;         /* owned (malloc) */
    /* result */
    enum { MESSAGE_RECORDED, MESSAGE_REPLAYED, MESSAGE_KEY_MISMATCH, MESSAGE_KEY_IN_FLIGHT } result;
    char *replay_body;           /* owned (malloc), for MESSAGE_REPLAYED */
};

/** In one transaction: honour the idempotency key, lock the case, number
 * the message, render, record it (and the key with its response).
 * DB_NOT_FOUND when the tenant has no such case. If the connection breaks
 * after COMMIT was sent, checks on a new connection whether the message
 * was recorded: DB_OK only when it was. */
enum db_status db_message_record(struct db **db, int64_t tenant_id, const char *case_id, struct db_message *m,
                                 db_message_render_fn render, void *cls);
void db_message_cleanup(struct db_message *m);

/** The case's messages in order as a JSON array's text (malloc'd, caller
 * frees); "[]" when it has none or the tenant has no such case. */
enum db_status db_case_messages(struct db *db, int64_t tenant_id, const char *case_id, char **json_out);

#endif
