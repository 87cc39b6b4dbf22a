#include "embedded.h"

#include <string.h>

const struct embedded_file *embedded_find(const char *path)
{
    for (size_t i = 0; i < EMBEDDED_FILES_COUNT; i++) {
        if (strcmp(EMBEDDED_FILES[i].path, path) == 0)
            return &EMBEDDED_FILES[i];
    }
    return NULL;
}

void embedded_each(const char *prefix, void (*fn)(const struct embedded_file *file, void *cls), void *cls)
{
    size_t prefix_len = strlen(prefix);
    for (size_t i = 0; i < EMBEDDED_FILES_COUNT; i++) {
        if (strncmp(EMBEDDED_FILES[i].path, prefix, prefix_len) == 0)
            fn(&EMBEDDED_FILES[i], cls);
    }
}
