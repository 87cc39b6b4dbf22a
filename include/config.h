/* Service configuration, read from the environment through one spec table
 * (config.c) that gives every variable its type, default, range and help. */
#ifndef REDRESS_CONFIG_H
#define REDRESS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

struct config {
    char database_url[1024];
    char listen_addr[64];
    unsigned port;
    unsigned threads;
    enum log_level log_level;
    unsigned connection_timeout_s;
    unsigned connection_limit;
    unsigned connection_memory_kib;
    unsigned shutdown_grace_s;
    bool migrate_on_start;
    char trusted_proxies[512];
    unsigned api_key_cache_s;        /* 0: every request looks its key up */
    unsigned rate_limit_per_second;  /* per tenant; 0: no limit */
    unsigned rate_limit_burst;
    unsigned request_head_timeout_s;
    unsigned connection_limit_per_address;
    unsigned import_max_mib;         /* largest import file, as sent and decoded */
    unsigned import_concurrency;     /* imports streaming at once (each holds a database connection) */
    unsigned evidence_renders;       /* evidence PDFs rendering at once (each on a thread of its own) */
    unsigned session_ttl_minutes;    /* how long a console session lasts from sign-in */
    struct config_secret_key {       /* REDRESS_SECRET_KEY: seals connector secrets (AES-256-GCM) */
        bool set;                    /* false: connectors cannot store secrets */
        uint8_t bytes[32];
    } secret_key;
    /* The delivery worker (connectors/outbox.c): where Zendesk is, and how patiently it is called. */
    char zendesk_api_base[256];      /* "{subdomain}" is replaced by the tenant's */
    unsigned delivery_connect_timeout_ms;
    unsigned delivery_timeout_ms;    /* a whole call */
    unsigned delivery_backoff_ms;    /* the first retry's delay; doubled each attempt */
    unsigned delivery_backoff_max_s;
    unsigned delivery_give_up_s;     /* a note still not delivered this long after its case: failed */
    unsigned delivery_workers;       /* worker threads, each with its own database connection */
};

/** Looks a variable up; returns NULL when unset. getenv fits. */
typedef const char *(*config_lookup_fn)(const char *name);

/** Fill cfg from defaults overridden by lookup(). On an invalid value
 * returns -1 with a message naming the variable in err. */
int config_load(struct config *cfg, config_lookup_fn lookup, char *err, size_t err_size);

/** The configuration table (name, default, meaning) for --help. */
void config_print_help(FILE *out);

#endif
