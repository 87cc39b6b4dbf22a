#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int current_level = LOG_INFO;
static const char *const LEVEL_NAMES[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level level) { atomic_store(&current_level, (int)level); }
enum log_level log_get_level(void) { return (enum log_level)atomic_load(&current_level); }

int log_level_parse(const char *text, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(LEVEL_NAMES) / sizeof(LEVEL_NAMES[0]); i++) {
        if (strcmp(text, LEVEL_NAMES[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_format_now(char *out, size_t size)
{
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    char base[24];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%03ldZ", base, now.tv_nsec / 1000000L);
}

/* Best effort: logging must never take the service down. */
static void write_line(const char *line, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, line, len);
        if (n <= 0)
            return;
        line += n;
        len -= (size_t)n;
    }
}

void log_fields_new(enum log_level level, json_t *fields)
{
    if (fields == NULL)
        return;
    if ((int)level < atomic_load(&current_level)) {
        json_decref(fields);
        return;
    }
    char now[40];
    log_format_now(now, sizeof(now));
    json_object_set_new(fields, "time", json_string(now));
    json_object_set_new(fields, "level", json_string(LEVEL_NAMES[level]));
    char *text = json_dumps(fields, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(fields);
    if (text == NULL)
        return;
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL: the line is written by length */
    write_line(text, len + 1);
    free(text);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if ((int)level < atomic_load(&current_level))
        return;
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    json_t *fields = json_object();
    if (fields == NULL)
        return;
    json_object_set_new(fields, "msg", json_string(message));
    log_fields_new(level, fields);
}
