/* Structured logging: one JSON object per line on stderr.
 * Each line is written with a single write(2), so lines from concurrent
 * threads never interleave. */
#ifndef REDRESS_LOG_H
#define REDRESS_LOG_H

#include <jansson.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/** Parse "debug" | "info" | "warn" | "error". Returns 0, or -1 if unknown. */
int log_level_parse(const char *text, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Write a prepared object as one line, adding "time" and "level".
 * Takes ownership of `fields` (it is freed). */
void log_fields_new(enum log_level level, json_t *fields);

/** Current UTC time as RFC 3339 with milliseconds into out (>= 32 bytes). */
void log_format_now(char *out, size_t size);

#endif
