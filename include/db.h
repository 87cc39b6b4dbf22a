/* Database layer: the only code that speaks SQL or libpq.
 *
 * Each thread that touches the database (one per MHD worker) owns one
 * connection, made on first use, prepared with every statement from
 * service/db/statements.sql, and made again when PostgreSQL has gone away.
 * Callers get a `struct db *` from db_thread_connection() and never free it:
 * it is closed when the thread ends or by db_thread_close(). */
#ifndef REDRESS_DB_H
#define REDRESS_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

/* After a failed connect, a thread waits this long before trying again, so
 * that an outage costs each request one fast 503 rather than a connect. */
enum { DB_RECONNECT_BACKOFF_MS = 200 };

/* Every status once, with its name: the enum and db_status_name() are
 * made from this list. */
#define DB_STATUS_LIST(X)                                                                  \
    X(DB_OK, "ok")                                                                         \
    X(DB_NOT_FOUND, "not_found")     /* the row asked for does not exist (for this tenant) */ \
    X(DB_CONFLICT, "conflict")       /* a unique constraint said no */                      \
    X(DB_SERIALIZATION, "serialization") /* 40001 / 40P01: the transaction helper retries */ \
    X(DB_UNAVAILABLE, "unavailable") /* no connection, or it broke: answer 503 */           \
    /* the connection broke after COMMIT was sent: whether it happened is unknown */       \
    X(DB_COMMIT_UNKNOWN, "commit_unknown")                                                 \
    X(DB_SCHEMA_NOT_READY, "schema_not_ready") /* migrations are missing or were edited */ \
    X(DB_SETTLED, "settled") /* a transaction callback's "done, write nothing": rolled back */ \
    X(DB_ERROR, "error")             /* anything else; logged where it happened */

#define DB_STATUS_ENUM(name, text) name,
enum db_status { DB_STATUS_LIST(DB_STATUS_ENUM) DB_STATUS_COUNT };
#undef DB_STATUS_ENUM

/** The status's name; "invalid" for a value outside the enum. */
const char *db_status_name(enum db_status status);

/** Remember the connection string for every thread's connection. The string
 * is copied. Call once before any thread uses the database. */
int db_global_init(const char *conninfo);

/** This thread's connection, connecting (or reconnecting after a failure)
 * as needed. Returns NULL when the database cannot be reached or its schema
 * is not current; *why (if not NULL) then says which (DB_UNAVAILABLE or
 * DB_SCHEMA_NOT_READY). */
struct db *db_thread_connection(enum db_status *why);

/** How often a thread's connection prepares its statements again, so that
 * cached generic plans follow the tables' sizes: after 1, 2, 4 ... seconds,
 * then at most this often (default 30 s). */
void db_set_replan_interval_ms(int ms);

/** Close this thread's connection now (threads that end do it themselves). */
void db_thread_close(void);

/** Roll back a transaction a failed request left open, so that the next
 * request on this connection starts clean. */
void db_after_request(struct db *db);

/** A unit of work run inside one transaction.
 * Contract: return DB_OK to commit; DB_SETTLED to roll back because there
 * is nothing to write (returned as is); any other status rolls back and is
 * returned, except DB_SERIALIZATION, after which the helper runs the whole
 * callback again (so it must reset any output it wrote). A connection lost
 * before COMMIT was sent is also run again, once, on a fresh connection.
 * A connection lost after COMMIT was sent (with db_exec_commit() or by the
 * helper) is never run again: the helper returns DB_COMMIT_UNKNOWN, whatever
 * the callback returned, and the caller checks on a fresh connection whether
 * the work landed. */
typedef enum db_status (*db_txn_fn)(struct db *db, void *cls);

/** Run fn in a transaction at the given isolation ("READ COMMITTED",
 * "REPEATABLE READ" or "SERIALIZABLE"), retrying as the contract says.
 * *db may be replaced by a fresh connection, or set to NULL when the
 * connection broke and none could be made. */
enum db_status db_run_transaction(struct db **db, const char *isolation, db_txn_fn fn, void *cls);

/* ---- Migrations (db/migrate.c) ---- */

/** Apply every pending embedded migration, each in its own transaction,
 * under an advisory lock so that concurrent runs are safe. Uses its own
 * connection. Returns 0, or -1 with a message in err. */
int db_migrate(const char *conninfo, char *err, size_t err_size);

/** db_migrate, saying why it failed: DB_UNAVAILABLE when the database could
 * not be reached or the connection broke (worth trying again), DB_SCHEMA_
 * NOT_READY when an applied migration was edited or is unknown to this
 * build, DB_ERROR when a migration itself failed. */
enum db_status db_migrate_try(const char *conninfo, char *err, size_t err_size);

/** Whether every embedded migration is applied with an unchanged checksum.
 * Returns DB_OK, DB_SCHEMA_NOT_READY (detail says why) or DB_UNAVAILABLE. */
enum db_status db_migrations_current(struct db *db, char *detail, size_t detail_size);

/* ---- Tenants and API keys (db/tenants.c) ---- */

struct db_tenant {
    int64_t id;
    char name[64];
};

/** Create the tenant if it does not exist; fill *out either way. */
enum db_status db_tenant_ensure(struct db *db, const char *name, struct db_tenant *out);

/** Store a key's public prefix and digest for a tenant. */
enum db_status db_api_key_insert(struct db *db, int64_t tenant_id, const char *prefix,
                                 const uint8_t digest[32]);

/** Find the tenant of an unrevoked key by its prefix, and the stored digest
 * (the caller compares digests in constant time). DB_NOT_FOUND if none. */
enum db_status db_api_key_lookup(struct db *db, const char *prefix, struct db_tenant *tenant,
                                 uint8_t digest[32]);

/** Record that a verified key was used (its "last used" moves at most once
 * a minute, whatever the number of calls; call about that often). */
enum db_status db_api_key_touch(struct db *db, const char *prefix);

/** One key as `redress apikey list` shows it; times are RFC 3339 UTC, ""
 * when never used / not revoked. */
struct db_api_key_info {
    char prefix[16];
    char created_at[32];
    char last_used_at[32];
    char revoked_at[32];
};

/** A tenant's keys, oldest first, in *keys (malloc'd, caller frees; NULL
 * when there are none) and their number in *count. DB_NOT_FOUND when no
 * tenant has that name. */
enum db_status db_api_key_list(struct db *db, const char *tenant_name, struct db_api_key_info **keys,
                               int *count);

/** Revoke a key by its prefix: fills the tenant's name, when it was revoked
 * and whether this call revoked it (false: it already was). DB_NOT_FOUND
 * when no key has that prefix. */
enum db_status db_api_key_revoke(struct db *db, const char *prefix, char tenant_name[64],
                                 char revoked_at[32], bool *newly_revoked);

/* ---- Cost settings (db/costs.c) ---- */

struct eng_policy;

/** A tenant's cost settings and one SKU's. -1 (or "") means not set. */
struct db_cost_settings {
    /* tenant-wide, percentages of the item price */
    int landed_cost_percent, outbound_postage_percent, return_postage_percent, handling_percent, resale_percent;
    int return_insurance;          /* -1 not set, 0, 1 */
    /* the SKU's, per unit in sku_currency */
    char sku_currency[4];          /* "" when the SKU has no settings */
    int64_t unit_cost, outbound_postage, return_postage, handling;
    int sku_resale_percent;
    int sku_compensation_budget_percent; /* overrides the policy's costs.compensation_budget_percent */
    /* The tenant's current policy, which the settings refine (borrowed;
     * NULL: version 1, the defaults). Set by the caller, not the database. */
    const struct eng_policy *policy;
    /* What the account's own data said (db_case_account_get, or the case's
     * first round trip; replays read it from decision_inputs). A zeroed
     * struct knows nothing, and no rule then uses it. */
    struct db_account_inputs {
        bool budget_known;          /* the SKU's sums were read ... */
        int budget_window_days;     /* ... over this many days (the policy's costs.budget_window_days) */
        int64_t sku_compensation;   /* case rollups' remedy_cost, in the case's currency */
        int64_t sku_revenue;        /* sales rollups' revenue, same currency */
        bool odr_known;             /* the order defect rate's counts were read */
        int64_t odr_defect_orders, odr_orders; /* every channel, the metric's window */
    } account;
};

/** Both for (tenant, sku); all unset when there are none. */
enum db_status db_cost_settings_get(struct db *db, int64_t tenant_id, const char *sku, struct db_cost_settings *out);
/** What the account's data says about a case of this SKU and currency
 * (db/cases.c): the SKU's compensation and revenue over the current
 * policy's budget window, the order defect rate's counts. */
enum db_status db_case_account_get(struct db *db, int64_t tenant_id, const char *sku, const char *currency,
                                   struct db_account_inputs *out);
/** Replace the tenant-wide settings (the tenant-wide fields of in). */
enum db_status db_tenant_costs_put(struct db *db, int64_t tenant_id, const struct db_cost_settings *in);
/** Replace one SKU's settings (the sku fields of in). */
enum db_status db_sku_costs_put(struct db *db, int64_t tenant_id, const char *sku, const struct db_cost_settings *in);

/* ---- Policies (db/policies.c) ---- */

/** One version of a tenant's policy. Version 1 (the defaults) has no row:
 * document is NULL for it. Free with db_policy_version_cleanup(). */
struct db_policy_version {
    int version;
    char *document;               /* owned (malloc): the stored JSON; NULL for version 1 */
    char *note;                   /* owned (malloc); NULL when none */
    char created_by[24];          /* API key prefix; "" when none */
    char created_at[32];          /* RFC 3339 UTC */
};
void db_policy_version_cleanup(struct db_policy_version *v);

/** The tenant's current version and, unless it is cached_version or 1,
 * its document (*document malloc'd, caller frees; else NULL). */
enum db_status db_policy_current(struct db *db, int64_t tenant_id, int cached_version, int *version,
                                 char **document);
/** Version `version` of the tenant's policy (0: the current one). Version
 * 1 is answered from the tenant's row (document NULL); DB_NOT_FOUND for a
 * version the tenant does not have. */
enum db_status db_policy_get(struct db *db, int64_t tenant_id, int version, struct db_policy_version *out);
/** Store document as version if_match + 1, only while if_match is current:
 * DB_CONFLICT when it is not (stale, or a concurrent writer won). Fills
 * out->version and out->created_at. */
enum db_status db_policy_insert(struct db *db, int64_t tenant_id, int if_match, const char *document,
                                const char *note, const char *created_by, struct db_policy_version *out);
/** Up to limit versions below `before`, newest first, without documents:
 * *out malloc'd (caller frees each with db_policy_version_cleanup, then the
 * array), *count of them. */
enum db_status db_policy_list(struct db *db, int64_t tenant_id, int before, int limit,
                              struct db_policy_version **out, int *count);

/* What a decision used beyond its request, stored beside it as
 * decision_inputs (migration 0007) and read back as columns, by name: the
 * buyer's history (struct eng_history) and the seller's cost settings
 * (the numbers of struct db_cost_settings, plus sku_currency). */
#define DB_REPLAY_HISTORY(X) \
    X(cases_90d) X(cases_365d) X(same_category_90d) X(refunded_90d) X(refunded_amount_365d) X(spent_365d) \
    X(not_received_365d) X(abuse_confirmed)
#define DB_REPLAY_INPUT_NUMBERS(X) \
    X(landed_cost_percent) X(outbound_postage_percent) X(return_postage_percent) X(handling_percent) \
    X(resale_percent) X(return_insurance) X(sku_resale_percent) X(unit_cost) X(outbound_postage) \
    X(return_postage) X(handling)
/* ... and what the account's data said (struct db_account_inputs, and the
 * SKU's own budget): absent from cases recorded before issue #10, which
 * replay with these unknown; budget_* and odr_* only when they were read. */
#define DB_REPLAY_ACCOUNT_NUMBERS(X) \
    X(sku_compensation_budget_percent) X(budget_window_days) X(budget_compensation) X(budget_revenue) \
    X(odr_defect_orders) X(odr_orders)
#define DB_REPLAY_ONE(name) +1
enum {
    DB_REPLAY_HISTORY_COUNT = 0 DB_REPLAY_HISTORY(DB_REPLAY_ONE),
    DB_REPLAY_INPUT_COUNT = 0 DB_REPLAY_INPUT_NUMBERS(DB_REPLAY_ONE),
    DB_REPLAY_ACCOUNT_COUNT = 0 DB_REPLAY_ACCOUNT_NUMBERS(DB_REPLAY_ONE),
};

/** One recorded case as the simulator replays it (db/policies.c). Strings
 * are borrowed from the page being read: valid until the page's replay
 * callback returns. */
struct db_replay_row {
    const char *case_id;
    const char *request;          /* the request as recorded (JSON) */
    bool has_inputs;              /* false for cases recorded before decision_inputs */
    /* in DB_REPLAY_HISTORY order: decimal integers as stored, NULL when absent */
    const char *history[DB_REPLAY_HISTORY_COUNT];
    /* in DB_REPLAY_INPUT_NUMBERS order, likewise; sku_currency NULL when absent */
    const char *inputs[DB_REPLAY_INPUT_COUNT];
    /* in DB_REPLAY_ACCOUNT_NUMBERS order, likewise */
    const char *account[DB_REPLAY_ACCOUNT_COUNT];
    const char *sku_currency;
    const char *tier, *primary_action, *currency, *category, *sku;
    int policy_version;
    int64_t decided_at;           /* Unix seconds: the decision's "now" */
    int64_t remedy_cost, full_return_cost;
};
/** A page of rows; return 0 to go on, -1 to stop (the replay then returns
 * DB_ERROR). */
typedef int (*db_replay_page_fn)(const struct db_replay_row *rows, int n, void *cls);

/** Which cases: created in [from, to) (RFC 3339), and when not NULL, of
 * this category, SKU and channel. */
struct db_replay_filter {
    const char *from, *to, *category, *sku, *channel;
};

/** Every matching case of the tenant, oldest first, read in pages of
 * page_size (keyset order on cases_tenant_time_idx): memory stays flat
 * whatever the window. For each page, prepare runs first with the
 * connection free for its own statements; then the next page is asked for
 * and replay runs while the server reads it (replay must not use the
 * connection). */
enum db_status db_cases_replay(struct db *db, int64_t tenant_id, const struct db_replay_filter *filter,
                               int page_size, db_replay_page_fn prepare, db_replay_page_fn replay, void *cls);

/* ---- Cases (db/cases.c) ---- */

struct eng_history;

/** The outbox row's payload for a decided case: the JSON text of the
 * request body to send the helpdesk (malloc'd; the database layer frees
 * it), made from the case's response (the decision JSON text) and the
 * row's delivery_id; NULL rolls the case back with DB_ERROR. Runs inside
 * the transaction after the decision, maybe more than once. */
typedef char *(*db_outbox_payload_fn)(const char *response_body, const char *delivery_id, void *cls);

/** What a case that comes of a helpdesk ticket writes in the case's own
 * transaction, before COMMIT (statement case_ticket_insert): the ticket's
 * link to the case, the message received and the note owed to the
 * helpdesk. A case and these are recorded together or not at all. */
struct db_case_ticket {
    const char *connector;        /* "zendesk", "gorgias" */
    const char *ticket_id;        /* the helpdesk's ticket id (decimal text for Zendesk) */
    /* the message received: case_messages number 1, from the buyer; NULL message_id: none */
    const char *message_id;       /* made by the caller (UUID) */
    const char *message_at;       /* RFC 3339 */
    const char *message_channel;  /* "zendesk", "gorgias" */
    const char *message_text;
    /* the outbox row (connector_deliveries, state pending); NULL delivery_id: none */
    const char *delivery_id;      /* made by the caller (UUID), named in the note */
    db_outbox_payload_fn payload;
    void *payload_cls;
};

/** A case being recorded. The caller fills the inputs; the decide
 * callback fills the decision's columns and response; db_case_create
 * fills the result. Free with db_case_new_cleanup(). */
struct db_case_new {
    /* inputs */
    int64_t tenant_id;
    const char *case_id;          /* made by the caller, stable across retries */
    const char *created_at;       /* RFC 3339 */
    const char *buyer_id, *order_id, *sku, *channel, *category, *currency;
    int64_t order_value;
    const char *request_json;     /* canonical JSON of the request */
    const char *idempotency_key;  /* NULL when none */
    uint8_t request_hash[32];
    int policy_cached_version;    /* the tenant's version the caller has parsed already; 0: none */
    const struct db_case_ticket *ticket; /* NULL: a case not from a helpdesk ticket */
    /* read in the transaction, for the decide callback */
    int policy_version;           /* the tenant's current version: it decides, the case row records it */
    char *policy_document;        /* owned (malloc): its JSON, NULL when it is version 1 or the cached one */
    /* filled by the decide callback */
    const char *responsibility, *tier, *primary_action, *risk; /* static strings */
    char *decision_inputs;        /* owned (malloc): JSON of what the decision used beyond the request,
                                     the policy version and the history (for replays); NULL: none */
    int64_t refund_amount, remedy_cost, full_return_cost;
    char *response_body;          /* owned (malloc) */
    /* result; CASE_TICKET_TAKEN: another case came of ticket->ticket_id
     * meanwhile (nothing was written) */
    enum { CASE_CREATED, CASE_REPLAYED, CASE_KEY_MISMATCH, CASE_KEY_IN_FLIGHT, CASE_TICKET_TAKEN } result;
    char *replay_body;            /* owned (malloc), for CASE_REPLAYED */
    char replay_case_id[40];
};

/** Decide with the buyer's history and the seller's cost settings, inside
 * the transaction. Fill the decision fields of c (freeing any
 * response_body a previous attempt left). Return 0, or -1 to roll back
 * with DB_ERROR. May run more than once. */
typedef int (*db_decide_fn)(const struct eng_history *history, const struct db_cost_settings *costs,
                            struct db_case_new *c, void *cls);

/** In one transaction: honour the idempotency key, lock the buyer, read
 * the history, decide, record the case (and the key with its response),
 * and with c->ticket its link, message and outbox row (CASE_TICKET_TAKEN,
 * nothing written, when the ticket already has a case). If the connection
 * breaks during COMMIT, checks on a new connection whether the case (so
 * all of it) was recorded before answering. */
enum db_status db_case_create(struct db **db, struct db_case_new *c, db_decide_fn decide, void *cls);
void db_case_new_cleanup(struct db_case_new *c);

/** Which case the tenant's ticket of connector became: case_id gets it
 * (DB_OK), or DB_NOT_FOUND when none did (yet). */
enum db_status db_case_ticket_lookup(struct db *db, int64_t tenant_id, const char *connector, const char *ticket_id,
                                     char case_id[40]);

/** The buyer's history for a category and currency, without locking
 * (dry runs and the buyer view). */
enum db_status db_buyer_history(struct db *db, int64_t tenant_id, const char *buyer_id, const char *category,
                                const char *currency, struct eng_history *out);

/** A recorded case: request, decision and outcomes as JSON text (each
 * malloc'd, caller frees). DB_NOT_FOUND for another tenant's id. */
enum db_status db_case_get(struct db *db, int64_t tenant_id, const char *case_id, char **request_json,
                           char **decision_json, char **outcomes_json);

/** What GET /v1/cases looks for: each filter NULL when not given. */
struct db_case_search {
    const char *buyer_id, *order_id, *ticket_id, *sku;
    bool after_cursor;          /* the page continues after (cursor_micros, cursor_case_id) */
    int64_t cursor_micros;      /* the previous page's last case: created_at in µs since the epoch */
    const char *cursor_case_id; /* ... and its id (a valid UUID) */
    int limit;                  /* 1..DB_CASE_SEARCH_MAX */
};
enum { DB_CASE_SEARCH_MAX = 100 };

/** A page of the tenant's cases, newest first: *cases_json a JSON array of
 * CaseListItem (openapi.yaml), *next the cursor of the following page
 * ("<micros>.<case id>") or NULL when this is the last; both malloc'd,
 * caller frees. */
enum db_status db_cases_search(struct db *db, int64_t tenant_id, const struct db_case_search *search,
                               char **cases_json, char **next);

struct db_outcome;

/** Render the outcome's response (o->revision is set by now) into
 * o->response_body (malloc'd; free any earlier one). Return 0, or -1 to roll
 * back with DB_ERROR. Runs inside the transaction, maybe more than once. */
typedef int (*db_outcome_render_fn)(struct db_outcome *o, void *cls);

/** An outcome being recorded. The caller fills the inputs; free with
 * db_outcome_cleanup(). */
struct db_outcome {
    /* inputs */
    const char *outcome_id;      /* made by the caller (UUID), stable across retries */
    const char *recorded_at;     /* RFC 3339 */
    const char *status;
    int64_t final_refund;        /* < 0: not given */
    const char *review_outcome;
    int order_retained;          /* -1 not given, 0, 1 */
    bool abuse_confirmed;
    const char *note;            /* may be NULL */
    const char *idempotency_key; /* NULL when none */
    uint8_t request_hash[32];    /* of the route and the canonical body, when keyed */
    /* set in the transaction */
    int revision;
    char *response_body;         /* owned (malloc), from the render callback */
    /* result */
    enum { OUTCOME_RECORDED, OUTCOME_REPLAYED, OUTCOME_KEY_MISMATCH, OUTCOME_KEY_IN_FLIGHT } result;
    char *replay_body;           /* owned (malloc), for OUTCOME_REPLAYED */
};

/** In one transaction: honour the idempotency key, lock the case, number the
 * revision, render, record the outcome (and the key with its response).
 * DB_NOT_FOUND when the tenant has no such case. If the connection breaks
 * after COMMIT was sent, checks on a new connection whether the outcome was
 * recorded: DB_OK only when it was. */
enum db_status db_outcome_record(struct db **db, int64_t tenant_id, const char *case_id, struct db_outcome *o,
                                 db_outcome_render_fn render, void *cls);
void db_outcome_cleanup(struct db_outcome *o);

/** This tenant's view of a buyer as JSON text (malloc'd), or DB_NOT_FOUND. */
enum db_status db_buyer_summary(struct db *db, int64_t tenant_id, const char *buyer_id, char **json_out);

/** Delete idempotency keys older than max(older_than_s, 24 h). */
enum db_status db_idempotency_purge(struct db *db, long older_than_s, long *deleted);

/** Counters for /metrics, exact under concurrency. */
struct db_stats {
    unsigned long unavailable, serialization, other; /* failed statements */
    unsigned long connects, reconnects;
};
void db_stats_read(struct db_stats *out);

/** Start the maintenance thread (idempotency keys older than 25 hours are
 * purged every every_s seconds); stop it before exit. */
int db_maintenance_start(unsigned every_s);
void db_maintenance_stop(void);

/** A connection made outside the per-thread pool (for the CLI): caller
 * frees it with db_close(). NULL on failure, with the reason in err. */
struct db *db_open(const char *conninfo, char *err, size_t err_size);
void db_close(struct db *db);

#endif
