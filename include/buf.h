/* Growable byte buffer with a sticky failure flag and an optional size cap.
 *
 * Appends grow the storage geometrically. A failed allocation or an append
 * past the cap sets a flag that stays set: callers append freely and check
 * buf_ok() once at the end (PgBouncer's pattern). The contents are always
 * NUL-terminated when data != NULL. */
#ifndef REDRESS_BUF_H
#define REDRESS_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data;      /* owned; NULL until the first append */
    size_t len;      /* bytes used, excluding the terminating NUL */
    size_t cap;      /* bytes allocated */
    size_t limit;    /* largest len allowed; 0 means no cap */
    bool alloc_failed;
    bool over_limit;
};

/** Initialise an empty buffer; limit 0 means unlimited. No allocation. */
void buf_init(struct buf *b, size_t limit);
/** Free the storage; the buffer may be initialised again. */
void buf_cleanup(struct buf *b);
/** Append n bytes. Returns false (and sets the sticky flags) on failure. */
bool buf_append(struct buf *b, const void *data, size_t n);
bool buf_append_str(struct buf *b, const char *s);
bool buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** True while no append has failed. */
bool buf_ok(const struct buf *b);
/** Hand the storage to the caller (who frees it with free()); the buffer is
 * left empty. Returns NULL if the buffer failed; an empty buffer yields "". */
char *buf_steal(struct buf *b, size_t *len_out);

#endif
