/* Content-Encoding: gzip, undone as the body streams in (zlib). Pure: the
 * caller hands in pieces as they arrive and gets decoded pieces back, with
 * memory bounded by one output buffer whatever the file's size. */
#ifndef REDRESS_INFLATE_H
#define REDRESS_INFLATE_H

#include <stdbool.h>
#include <stddef.h>

struct inflate_stream;

/** Receives each decoded piece; return 0 to go on, -1 to stop. */
typedef int (*inflate_out_fn)(const char *data, size_t len, void *cls);

/** A gzip decoder (NULL when out of memory); free with inflate_free. */
struct inflate_stream *inflate_new(void);
void inflate_free(struct inflate_stream *s);

/** Decode the next piece of the encoded body. Returns 0; -1 when the data
 * is not gzip or is corrupt (inflate_error says why), or when out stopped.
 * Bytes after the end of the gzip stream are an error too. */
int inflate_feed(struct inflate_stream *s, const char *data, size_t len, inflate_out_fn out, void *cls);
/** Whether the gzip stream ended (its trailer and checksum were read):
 * a body that stops before is truncated. */
bool inflate_complete(const struct inflate_stream *s);
/** Why the last inflate_feed failed ("" when it did not). */
const char *inflate_error(const struct inflate_stream *s);

#endif
