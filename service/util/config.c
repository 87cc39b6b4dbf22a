#include "config.h"
#include "crypto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

enum config_kind { CFG_STRING, CFG_UINT, CFG_BOOL, CFG_LOG_LEVEL, CFG_IP_ADDRESS, CFG_SECRET_KEY };

struct config_spec {
    const char *name;
    enum config_kind kind;
    size_t offset;
    size_t size;        /* CFG_STRING / CFG_IP_ADDRESS: destination size */
    unsigned min, max;  /* CFG_UINT: inclusive range */
    const char *default_value;
    const char *help;
};

#define FIELD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)

static const struct config_spec CONFIG_SPECS[] = {
    { "REDRESS_DATABASE_URL", CFG_STRING, FIELD(database_url), 0, 0,
      "postgresql:///redress", "libpq connection string or URI" },
    { "REDRESS_LISTEN_ADDR", CFG_IP_ADDRESS, FIELD(listen_addr), 0, 0,
      "127.0.0.1", "IPv4 or IPv6 address to listen on" },
    { "REDRESS_PORT", CFG_UINT, FIELD(port), 0, 65535,
      "8080", "TCP port (0 picks a free one)" },
    { "REDRESS_THREADS", CFG_UINT, FIELD(threads), 1, 256,
      "4", "HTTP worker threads, each with its own database connection" },
    { "REDRESS_LOG_LEVEL", CFG_LOG_LEVEL, FIELD(log_level), 0, 0,
      "info", "debug | info | warn | error" },
    { "REDRESS_CONNECTION_TIMEOUT", CFG_UINT, FIELD(connection_timeout_s), 1, 3600,
      "15", "seconds an idle or slow client connection is kept" },
    { "REDRESS_CONNECTION_LIMIT", CFG_UINT, FIELD(connection_limit), 1, 100000,
      "512", "most client connections at once" },
    { "REDRESS_CONNECTION_MEMORY_KIB", CFG_UINT, FIELD(connection_memory_kib), 16, 65536,
      "32", "memory for one connection's headers and buffers, in KiB" },
    { "REDRESS_SHUTDOWN_GRACE", CFG_UINT, FIELD(shutdown_grace_s), 0, 600,
      "10", "seconds in-flight requests get to finish on SIGTERM" },
    { "REDRESS_MIGRATE_ON_START", CFG_BOOL, FIELD(migrate_on_start), 0, 0,
      "true", "serve applies pending migrations, once the database answers" },
    { "REDRESS_TRUSTED_PROXIES", CFG_STRING, FIELD(trusted_proxies), 0, 0,
      "", "comma-separated proxy addresses whose X-Forwarded-For (the client's address) and"
          " X-Forwarded-Proto (https: the session cookie is Secure) are trusted" },
    { "REDRESS_API_KEY_CACHE_SECONDS", CFG_UINT, FIELD(api_key_cache_s), 0, 3600,
      "10", "seconds a verified API key is trusted without asking the database (a revoked key works"
            " that long; 0: ask every time)" },
    { "REDRESS_RATE_LIMIT_PER_SECOND", CFG_UINT, FIELD(rate_limit_per_second), 0, 1000000,
      "1000", "requests per second each tenant may sustain, per instance (0: no limit)" },
    { "REDRESS_RATE_LIMIT_BURST", CFG_UINT, FIELD(rate_limit_burst), 1, 10000000,
      "2000", "requests a tenant may send at once above that rate" },
    { "REDRESS_REQUEST_HEAD_TIMEOUT", CFG_UINT, FIELD(request_head_timeout_s), 1, 3600,
      "10", "seconds a client has to complete a request head once its first byte came (then the"
            " connection is closed)" },
    { "REDRESS_CONNECTION_LIMIT_PER_ADDRESS", CFG_UINT, FIELD(connection_limit_per_address), 1, 100000,
      "64", "most connections from one client address; REDRESS_TRUSTED_PROXIES are exempt" },
    { "REDRESS_IMPORT_MAX_MIB", CFG_UINT, FIELD(import_max_mib), 1, 65536,
      "512", "largest file POST /v1/imports/{kind} takes, in MiB, as sent and once decompressed" },
    { "REDRESS_IMPORT_CONCURRENCY", CFG_UINT, FIELD(import_concurrency), 1, 256,
      "4", "imports that may stream at once (each holds a database connection); more get 503 with Retry-After" },
    { "REDRESS_EVIDENCE_RENDERS", CFG_UINT, FIELD(evidence_renders), 1, 64,
      "2", "evidence PDFs that may render at once, each on a thread of its own (about one per core); more get"
           " 503 with Retry-After" },
    { "REDRESS_SESSION_TTL_MINUTES", CFG_UINT, FIELD(session_ttl_minutes), 5, 43200,
      "480", "minutes a console session (POST /v1/sessions) lasts from sign-in; then the seller signs in again" },
    { "REDRESS_SECRET_KEY", CFG_SECRET_KEY, FIELD(secret_key), 0, 0,
      "", "64 hex characters (32 bytes, e.g. `openssl rand -hex 32`) that encrypt connector secrets; unset:"
          " connectors cannot store secrets" },
    { "REDRESS_ZENDESK_API_BASE", CFG_STRING, FIELD(zendesk_api_base), 0, 0,
      "https://{subdomain}.zendesk.com", "where the delivery worker calls Zendesk's API ({subdomain}: the"
      " tenant's); https, or http only to a loopback address (tests, a local proxy)" },
    { "REDRESS_DELIVERY_CONNECT_TIMEOUT_MS", CFG_UINT, FIELD(delivery_connect_timeout_ms), 50, 60000,
      "5000", "milliseconds a call to a helpdesk may take to connect" },
    { "REDRESS_DELIVERY_TIMEOUT_MS", CFG_UINT, FIELD(delivery_timeout_ms), 100, 300000,
      "20000", "milliseconds a whole call to a helpdesk may take (then its outcome is unknown: checked before"
      " sending again)" },
    { "REDRESS_DELIVERY_BACKOFF_MS", CFG_UINT, FIELD(delivery_backoff_ms), 10, 600000,
      "2000", "milliseconds before the first retry of a delivery; doubled each attempt, with jitter" },
    { "REDRESS_DELIVERY_BACKOFF_MAX_S", CFG_UINT, FIELD(delivery_backoff_max_s), 1, 86400,
      "600", "most seconds between two attempts (also the wait after the helpdesk refused the credentials)" },
    { "REDRESS_DELIVERY_GIVE_UP_S", CFG_UINT, FIELD(delivery_give_up_s), 1, 2592000,
      "86400", "seconds after its case a note still not delivered is marked failed" },
    { "REDRESS_DELIVERY_WORKERS", CFG_UINT, FIELD(delivery_workers), 1, 8,
      "2", "delivery worker threads (each with its own database connection): a helpdesk that does not answer"
      " holds one, not every note" },
};
_Static_assert(sizeof(((struct config_secret_key *)0)->bytes) == CRYPTO_SEAL_KEY_LEN,
               "REDRESS_SECRET_KEY is an AES-256 key");

static int parse_bool(const char *text, bool *out)
{
    static const char *const YES[] = { "1", "true", "yes", "on" };
    static const char *const NO[] = { "0", "false", "no", "off" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, YES[i]) == 0) { *out = true; return 0; }
        if (strcasecmp(text, NO[i]) == 0) { *out = false; return 0; }
    }
    return -1;
}

static int apply_spec(struct config *cfg, const struct config_spec *spec, const char *value,
                      char *err, size_t err_size)
{
    char *dest = (char *)cfg + spec->offset;
    switch (spec->kind) {
    case CFG_IP_ADDRESS: {
        unsigned char probe[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, value, probe) != 1 && inet_pton(AF_INET6, value, probe) != 1) {
            snprintf(err, err_size, "%s: '%s' is not an IPv4 or IPv6 address", spec->name, value);
            return -1;
        }
    }
        __attribute__((fallthrough)); /* stored as text */
    case CFG_STRING:
        if (strlen(value) >= spec->size) {
            snprintf(err, err_size, "%s: longer than %zu characters", spec->name, spec->size - 1);
            return -1;
        }
        memcpy(dest, value, strlen(value) + 1);
        return 0;
    case CFG_UINT: {
        char *end = NULL;
        errno = 0;
        unsigned long n = strtoul(value, &end, 10);
        if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0
            || n < spec->min || n > spec->max) {
            snprintf(err, err_size, "%s: '%s' is not a whole number from %u to %u",
                     spec->name, value, spec->min, spec->max);
            return -1;
        }
        *(unsigned *)(void *)dest = (unsigned)n;
        return 0;
    }
    case CFG_BOOL:
        if (parse_bool(value, (bool *)(void *)dest) != 0) {
            snprintf(err, err_size, "%s: '%s' is not true or false", spec->name, value);
            return -1;
        }
        return 0;
    case CFG_SECRET_KEY: {
        /* The value is a secret: no message repeats it. */
        struct config_secret_key *key = (struct config_secret_key *)(void *)dest;
        key->set = value[0] != '\0';
        if (key->set && crypto_unhex(value, key->bytes, sizeof(key->bytes)) != 0) {
            snprintf(err, err_size, "%s: must be 64 hex characters (32 bytes), such as `openssl rand -hex 32`"
                     " prints", spec->name);
            return -1;
        }
        return 0;
    }
    case CFG_LOG_LEVEL:
        if (log_level_parse(value, (enum log_level *)(void *)dest) != 0) {
            snprintf(err, err_size, "%s: '%s' is not debug, info, warn or error", spec->name, value);
            return -1;
        }
        return 0;
    }
    return -1;
}

int config_load(struct config *cfg, config_lookup_fn lookup, char *err, size_t err_size)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < sizeof(CONFIG_SPECS) / sizeof(CONFIG_SPECS[0]); i++) {
        const struct config_spec *spec = &CONFIG_SPECS[i];
        const char *value = lookup(spec->name);
        if (value == NULL)
            value = spec->default_value;
        if (apply_spec(cfg, spec, value, err, err_size) != 0)
            return -1;
    }
    return 0;
}

void config_print_help(FILE *out)
{
    fprintf(out, "Environment:\n");
    for (size_t i = 0; i < sizeof(CONFIG_SPECS) / sizeof(CONFIG_SPECS[0]); i++) {
        const struct config_spec *spec = &CONFIG_SPECS[i];
        fprintf(out, "  %-30s %s (default: '%s')\n", spec->name, spec->help, spec->default_value);
    }
}
