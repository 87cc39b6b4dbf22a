/* redress: the command line. serve | migrate | apikey create/list/revoke | healthcheck | --help */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "apikey.h"
#include "config.h"
#include "console.h"
#include "db.h"
#include "evidence.h"
#include "http.h"
#include "log.h"

static const char USAGE[] =
    "Redress: after-sales decisions for marketplace sellers.\n"
    "\n"
    "Usage:\n"
    "  redress serve                        serve the HTTP API; applies pending migrations once the\n"
    "                                       database answers (GET /readyz says 503 until then)\n"
    "  redress migrate                      apply pending database migrations and exit\n"
    "  redress apikey create --tenant NAME  create the tenant if needed; print a new API key\n"
    "  redress apikey list --tenant NAME    the tenant's keys: prefix, created, last used, revoked\n"
    "  redress apikey revoke PREFIX         revoke a key (it stops working within\n"
    "                                       REDRESS_API_KEY_CACHE_SECONDS)\n"
    "  redress healthcheck                  exit 0 if this host's service answers GET /healthz\n"
    "  redress --help                       this text\n"
    "\n";

static const char *lookup_env(const char *name)
{
    return getenv(name);
}

static int load_config(struct config *cfg)
{
    char err[256];
    if (config_load(cfg, lookup_env, err, sizeof(err)) != 0) {
        fprintf(stderr, "redress: invalid configuration: %s\n", err);
        return -1;
    }
    log_set_level(cfg->log_level);
    return 0;
}

static int run_migrate(const struct config *cfg)
{
    char err[512];
    if (db_migrate(cfg->database_url, err, sizeof(err)) != 0) {
        log_msg(LOG_ERROR, "migrate: %s", err);
        return 1;
    }
    log_msg(LOG_INFO, "migrations are current");
    return 0;
}

/* serve's migrations, in the background: the service answers /healthz at
 * once and /readyz 503 while the database is out of reach (containers often
 * start before it), trying again with capped backoff. A migration that
 * fails for another reason stops the service, as before. */
enum { STARTUP_RETRY_FIRST_MS = 250, STARTUP_RETRY_MAX_MS = 5000 };

struct startup {
    const struct config *cfg;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;    /* set by the main thread on a stop signal */
    bool failed;      /* set by the migrator: a migration error, not an outage */
};

static void *startup_migrate(void *arg)
{
    struct startup *st = arg;
    int delay_ms = STARTUP_RETRY_FIRST_MS;
    for (int attempt = 1;; attempt++) {
        char err[512];
        enum db_status status = db_migrate_try(st->cfg->database_url, err, sizeof(err));
        if (status == DB_OK) {
            log_msg(LOG_INFO, "migrations are current%s", attempt > 1 ? " (the database answers now)" : "");
            return NULL;
        }
        if (status != DB_UNAVAILABLE) {
            log_msg(LOG_ERROR, "migrate: %s", err);
            pthread_mutex_lock(&st->lock);
            st->failed = true;
            pthread_mutex_unlock(&st->lock);
            kill(getpid(), SIGTERM); /* the main thread's sigwait() stops the service */
            return NULL;
        }
        log_msg(LOG_WARN, "the database is out of reach (attempt %d: %s); trying again in %d ms",
                attempt, err, delay_ms);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += delay_ms / 1000;
        until.tv_nsec += (long)(delay_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&st->lock);
        while (!st->stopping && pthread_cond_timedwait(&st->wake, &st->lock, &until) == 0)
            ;
        bool stopping = st->stopping;
        pthread_mutex_unlock(&st->lock);
        if (stopping)
            return NULL;
        delay_ms = delay_ms * 2 < STARTUP_RETRY_MAX_MS ? delay_ms * 2 : STARTUP_RETRY_MAX_MS;
    }
}

static int run_serve(const struct config *cfg)
{
    if (db_global_init(cfg->database_url) != 0)
        return 1;
    /* Block the stop signals before any thread starts, so that they all
     * inherit the mask and only sigwait() below receives them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The fonts load once, here rather than in the first PDF request; the
     * rest of the service works without them. */
    const char *missing_font = NULL;
    if (!evidence_pdf_ready(&missing_font))
        log_msg(LOG_WARN, "evidence PDFs cannot be made (GET .../evidence as application/pdf answers 500): "
                          "%s is missing",
                missing_font ? missing_font : "a font");
    /* The console's files are prepared here, not in the first request; a
     * console that cannot be served (a reference cycle, an unknown file
     * type) stops serve, its reason logged. */
    if (console_assets_embedded() == NULL)
        return 1;
    struct http_server *server = http_server_start(cfg);
    if (server == NULL)
        return 1;
    struct startup startup = { .cfg = cfg, .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };
    pthread_t migrator;
    bool migrating = cfg->migrate_on_start && pthread_create(&migrator, NULL, startup_migrate, &startup) == 0;
    if (cfg->migrate_on_start && !migrating) {
        log_msg(LOG_ERROR, "the migration thread did not start");
        http_server_stop(server, 0);
        return 1;
    }
    if (db_maintenance_start(600) != 0)
        log_msg(LOG_WARN, "the maintenance thread did not start: old idempotency keys stay until restart");
    log_msg(LOG_INFO, "listening on http://%s%s%s:%u (%u threads)",
            strchr(cfg->listen_addr, ':') ? "[" : "", cfg->listen_addr,
            strchr(cfg->listen_addr, ':') ? "]" : "", http_server_port(server), cfg->threads);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (migrating) {
        pthread_mutex_lock(&startup.lock);
        startup.stopping = true;
        pthread_cond_signal(&startup.wake);
        pthread_mutex_unlock(&startup.lock);
        pthread_join(migrator, NULL);
    }
    if (startup.failed)
        log_msg(LOG_ERROR, "stopping: the migrations could not be applied");
    else
        log_msg(LOG_INFO, "received %s: finishing in-flight requests (up to %us)",
                sig == SIGINT ? "SIGINT" : "SIGTERM", cfg->shutdown_grace_s);
    http_server_stop(server, cfg->shutdown_grace_s);
    db_maintenance_stop();
    db_thread_close();
    log_msg(LOG_INFO, "stopped");
    return startup.failed ? 1 : 0;
}

/* The CLI's own connection (caller closes it with db_close()); NULL after
 * saying why on stderr. */
static struct db *cli_db_open(const struct config *cfg)
{
    char err[256];
    struct db *db = db_open(cfg->database_url, err, sizeof(err));
    if (db == NULL)
        fprintf(stderr, "redress: %s\n", err);
    return db;
}

static int valid_tenant_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 63)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '-' || c == '_'));
        if (!ok)
            return 0;
    }
    return 1;
}

static int run_apikey_create(const struct config *cfg, const char *tenant_name)
{
    if (!valid_tenant_name(tenant_name)) {
        fprintf(stderr, "redress: tenant names are 1-63 characters of a-z, 0-9, '-' and '_',"
                        " starting with a letter or digit\n");
        return 2;
    }
    struct db *db = cli_db_open(cfg);
    if (db == NULL)
        return 1;
    int rc = 1;
    struct db_tenant tenant;
    enum db_status status = db_tenant_ensure(db, tenant_name, &tenant);
    char key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1];
    uint8_t digest[CRYPTO_SHA256_LEN];
    /* A prefix collision (48 random bits) is retried with a fresh key. */
    for (int attempt = 0; status == DB_OK && attempt < 3; attempt++) {
        if (apikey_generate(key, prefix, digest) != 0) {
            status = DB_ERROR;
            break;
        }
        status = db_api_key_insert(db, tenant.id, prefix, digest);
        if (status == DB_OK) {
            fprintf(stderr, "created an API key for tenant '%s' (prefix %s); it is shown only once:\n",
                    tenant.name, prefix);
            printf("%s\n", key);
            rc = 0;
            break;
        }
        if (status == DB_CONFLICT)
            status = DB_OK;
    }
    if (rc != 0)
        fprintf(stderr, "redress: creating the key failed (%s)\n", db_status_name(status));
    db_close(db);
    return rc;
}

static int run_apikey_list(const struct config *cfg, const char *tenant_name)
{
    struct db *db = cli_db_open(cfg);
    if (db == NULL)
        return 1;
    struct db_api_key_info *keys = NULL; /* freed below */
    int count = 0;
    enum db_status status = db_api_key_list(db, tenant_name, &keys, &count);
    db_close(db);
    if (status == DB_NOT_FOUND) {
        fprintf(stderr, "redress: there is no tenant named '%s'\n", tenant_name);
        return 1;
    }
    if (status != DB_OK) {
        fprintf(stderr, "redress: listing the keys failed (%s)\n", db_status_name(status));
        return 1;
    }
    if (count == 0)
        fprintf(stderr, "tenant '%s' has no API keys\n", tenant_name);
    /* One key a line, blank-separated, "-" for "never" / "not revoked". */
    printf("%-14s %-22s %-22s %s\n", "PREFIX", "CREATED", "LAST_USED", "REVOKED");
    for (int i = 0; i < count; i++)
        printf("%-14s %-22s %-22s %s\n", keys[i].prefix, keys[i].created_at,
               keys[i].last_used_at[0] ? keys[i].last_used_at : "-",
               keys[i].revoked_at[0] ? keys[i].revoked_at : "-");
    free(keys);
    return 0;
}

static int run_apikey_revoke(const struct config *cfg, const char *prefix)
{
    bool well_formed = strlen(prefix) == APIKEY_PREFIX_LEN;
    for (size_t i = 0; well_formed && i < APIKEY_PREFIX_LEN; i++)
        well_formed = (prefix[i] >= '0' && prefix[i] <= '9') || (prefix[i] >= 'a' && prefix[i] <= 'f');
    if (!well_formed) {
        fprintf(stderr, "redress: '%s' is not a key prefix: 12 characters of 0-9 and a-f"
                        " (the part after 'rdr_', as 'apikey list' shows it)\n", prefix);
        return 2;
    }
    struct db *db = cli_db_open(cfg);
    if (db == NULL)
        return 1;
    char tenant[64] = "", revoked_at[32] = "";
    bool newly_revoked = false;
    enum db_status status = db_api_key_revoke(db, prefix, tenant, revoked_at, &newly_revoked);
    db_close(db);
    if (status == DB_NOT_FOUND) {
        fprintf(stderr, "redress: no API key has the prefix %s\n", prefix);
        return 1;
    }
    if (status != DB_OK) {
        fprintf(stderr, "redress: revoking the key failed (%s)\n", db_status_name(status));
        return 1;
    }
    if (newly_revoked)
        fprintf(stderr, "revoked the API key %s of tenant '%s' at %s; running services stop accepting it"
                        " within REDRESS_API_KEY_CACHE_SECONDS\n", prefix, tenant, revoked_at);
    else
        fprintf(stderr, "the API key %s of tenant '%s' was already revoked at %s\n", prefix, tenant, revoked_at);
    return 0;
}

/* For the container's HEALTHCHECK: a minimal GET of /healthz on this
 * host's port, so that the image needs no HTTP client. */
static int run_healthcheck(const struct config *cfg)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct timeval timeout = { 2, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    static const char REQUEST[] = "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n";
    char reply[64] = "";
    bool healthy = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0
                   && send(fd, REQUEST, sizeof(REQUEST) - 1, 0) == (ssize_t)(sizeof(REQUEST) - 1)
                   && recv(fd, reply, sizeof(reply) - 1, MSG_WAITALL) > 12
                   && strncmp(reply + 8, " 200", 4) == 0;
    if (fd >= 0)
        close(fd);
    fprintf(stderr, "redress: %s\n", healthy ? "healthy" : "unhealthy");
    return healthy ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "help") == 0) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        config_print_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    struct config cfg;
    if (load_config(&cfg) != 0)
        return 2;
    if (strcmp(argv[1], "serve") == 0 && argc == 2)
        return run_serve(&cfg);
    if (strcmp(argv[1], "migrate") == 0 && argc == 2)
        return run_migrate(&cfg);
    if (strcmp(argv[1], "healthcheck") == 0 && argc == 2)
        return run_healthcheck(&cfg);
    bool apikey = argc >= 3 && strcmp(argv[1], "apikey") == 0;
    if (apikey && argc == 5 && strcmp(argv[2], "create") == 0 && strcmp(argv[3], "--tenant") == 0)
        return run_apikey_create(&cfg, argv[4]);
    if (apikey && argc == 5 && strcmp(argv[2], "list") == 0 && strcmp(argv[3], "--tenant") == 0)
        return run_apikey_list(&cfg, argv[4]);
    if (apikey && argc == 4 && strcmp(argv[2], "revoke") == 0)
        return run_apikey_revoke(&cfg, argv[3]);
    fprintf(stderr, "redress: unknown command\n\n%s", USAGE);
    return 2;
}
