#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BUF_MIN_CAPACITY = 256 };

void buf_init(struct buf *b, size_t limit)
{
    memset(b, 0, sizeof(*b));
    b->limit = limit;
}

void buf_cleanup(struct buf *b)
{
    free(b->data);
    buf_init(b, b->limit);
}

bool buf_ok(const struct buf *b)
{
    return !b->alloc_failed && !b->over_limit;
}

/* Make room for `extra` more bytes plus the NUL, doubling the capacity. */
static bool buf_reserve(struct buf *b, size_t extra)
{
    if (!buf_ok(b))
        return false;
    if (extra > SIZE_MAX - b->len - 1) {
        b->alloc_failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (b->limit != 0 && b->len + extra > b->limit) {
        b->over_limit = true;
        return false;
    }
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : BUF_MIN_CAPACITY;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *grown = realloc(b->data, cap);
    if (grown == NULL) {
        b->alloc_failed = true;
        return false;
    }
    b->data = grown;
    b->cap = cap;
    return true;
}

bool buf_append(struct buf *b, const void *data, size_t n)
{
    if (!buf_reserve(b, n))
        return false;
    if (n > 0)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool buf_append_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

bool buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->alloc_failed = true;
        return false;
    }
    if (!buf_reserve(b, (size_t)n))
        return false;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

char *buf_steal(struct buf *b, size_t *len_out)
{
    if (!buf_ok(b)) {
        buf_cleanup(b);
        return NULL;
    }
    if (b->data == NULL && !buf_append(b, "", 0))
        return NULL;
    char *out = b->data;
    if (len_out != NULL)
        *len_out = b->len;
    buf_init(b, b->limit);
    return out;
}
