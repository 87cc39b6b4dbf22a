/* gzip bodies, decoded piece by piece with zlib's inflate (one 64 KiB output
 * buffer, reused). Members after the first (concatenated gzip files, as
 * `cat a.gz b.gz` makes) are decoded too, as gzip(1) does. */
#include "inflate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <zlib.h>

enum { INFLATE_OUT_SIZE = 64 * 1024, GZIP_WINDOW_BITS = 15 + 16 /* gzip wrapper only */ };

struct inflate_stream {
    z_stream z;
    bool ended;      /* the last member's trailer was read */
    bool failed;
    char error[128];
    unsigned char out[INFLATE_OUT_SIZE];
};

struct inflate_stream *inflate_new(void)
{
    struct inflate_stream *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    if (inflateInit2(&s->z, GZIP_WINDOW_BITS) != Z_OK) {
        free(s);
        return NULL;
    }
    return s;
}

void inflate_free(struct inflate_stream *s)
{
    if (s == NULL)
        return;
    inflateEnd(&s->z);
    free(s);
}

static int fail(struct inflate_stream *s, const char *why)
{
    s->failed = true;
    snprintf(s->error, sizeof(s->error), "%s", why);
    return -1;
}

int inflate_feed(struct inflate_stream *s, const char *data, size_t len, inflate_out_fn out, void *cls)
{
    if (s->failed)
        return -1;
    const unsigned char *next = (const unsigned char *)data;
    while (len > 0) {
        if (s->ended) {
            /* Another member starts here, or it is trailing garbage. */
            if (inflateReset(&s->z) != Z_OK)
                return fail(s, "the gzip decoder could not restart");
            s->ended = false;
        }
        /* zlib's avail_in is 32-bit: large pieces go in slices. */
        uInt slice = len > (size_t)UINT32_MAX ? UINT32_MAX : (uInt)len;
        s->z.next_in = (Bytef *)(uintptr_t)next;
        s->z.avail_in = slice;
        int rc;
        do {
            s->z.next_out = s->out;
            s->z.avail_out = sizeof(s->out);
            rc = inflate(&s->z, Z_NO_FLUSH);
            if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR)
                return fail(s, "the body is not valid gzip data (Content-Encoding: gzip)");
            if (rc == Z_MEM_ERROR)
                return fail(s, "out of memory decoding gzip");
            size_t produced = sizeof(s->out) - s->z.avail_out;
            if (produced > 0 && out((const char *)s->out, produced, cls) != 0)
                return fail(s, "stopped");
            if (rc == Z_STREAM_END) {
                s->ended = true;
                break;
            }
        } while (s->z.avail_out == 0 || (s->z.avail_in > 0 && rc == Z_OK));
        size_t used = slice - s->z.avail_in;
        next += used;
        len -= used;
        if (!s->ended && used == 0 && s->z.avail_in > 0)
            return fail(s, "the gzip decoder made no progress");
    }
    return 0;
}

bool inflate_complete(const struct inflate_stream *s)
{
    return s->ended && !s->failed;
}

const char *inflate_error(const struct inflate_stream *s)
{
    return s->error;
}
