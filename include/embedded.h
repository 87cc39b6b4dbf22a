/* Data files compiled into the binary (migrations, SQL statements, reply
 * templates), so that a deployed binary needs nothing beside it. */
#ifndef REDRESS_EMBEDDED_H
#define REDRESS_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
    const char *path;  /* relative to the project root, e.g. "migrations/0001_init.sql" */
    const char *data;  /* NUL-terminated */
    size_t size;       /* without the NUL */
};

extern const struct embedded_file EMBEDDED_FILES[];
extern const size_t EMBEDDED_FILES_COUNT;

/** The embedded file at path, or NULL. */
const struct embedded_file *embedded_find(const char *path);

/** Calls fn for each embedded file whose path starts with prefix, in path
 * order (the generator is fed sorted paths). */
void embedded_each(const char *prefix, void (*fn)(const struct embedded_file *file, void *cls), void *cls);

#endif
