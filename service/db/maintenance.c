/* Background upkeep while serving: purge idempotency keys past their
 * 24 hours and sessions past their expiry. One thread with its own
 * connection; stopped at shutdown. */
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "db.h"
#include "db_sessions.h"
#include "log.h"

static pthread_t thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool running, stopping;
static unsigned interval_s;

enum { KEY_LIFETIME_S = 25 * 3600 }; /* the contract promises at least 24 hours */

static void *maintenance_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!stopping) {
        pthread_mutex_unlock(&lock);
        struct db *db = db_thread_connection(NULL);
        long deleted = 0;
        if (db != NULL && db_idempotency_purge(db, KEY_LIFETIME_S, &deleted) == DB_OK && deleted > 0)
            log_msg(LOG_INFO, "purged %ld idempotency keys older than %d hours", deleted, KEY_LIFETIME_S / 3600);
        long expired = 0;
        if (db != NULL && db_sessions_purge(db, &expired) == DB_OK && expired > 0)
            log_msg(LOG_INFO, "purged %ld expired sessions", expired);
        pthread_mutex_lock(&lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += interval_s;
        while (!stopping && pthread_cond_timedwait(&wake, &lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&lock);
    db_thread_close();
    return NULL;
}

int db_maintenance_start(unsigned every_s)
{
    interval_s = every_s;
    stopping = false;
    if (pthread_create(&thread, NULL, maintenance_main, NULL) != 0)
        return -1;
    running = true;
    return 0;
}

void db_maintenance_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    running = false;
}
