/* The seller's console: the files of service/console/ (embedded at build
 * time) made ready to serve, once. Each file gets its media type, a content
 * hash, a content-hashed name ("app.3f2a9c1d0e.js") and, when it is
 * smaller, a gzip form. References between files are rewritten to the
 * hashed names, so a browser may keep a hashed file forever: a file's hash
 * covers its references, hence every file it reaches. Pure: no MHD, no
 * libpq; reads the embedded files and uses zlib. */
#ifndef REDRESS_CONSOLE_H
#define REDRESS_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

enum {
    CONSOLE_HASH_HEX = 10,           /* hex digits of SHA-256 in a hashed name and the ETag */
    CONSOLE_ETAG_SIZE = CONSOLE_HASH_HEX + 8, /* "\"<hash>-gz\"" and the NUL */
    CONSOLE_MAX_FILES = 256,         /* more: the table is refused */
};

/* Where the embedded files live and the URL prefix they are served under. */
#define CONSOLE_EMBED_PREFIX "service/console/"
#define CONSOLE_URL_PREFIX "/console/"
/* The page served at "/". */
#define CONSOLE_INDEX_NAME "index.html"

/** One file to prepare: path relative to the console's folder ("app.js",
 * "vendor/LICENSE"), its bytes (borrowed for the call). */
struct console_source {
    const char *path;
    const char *data;
    size_t size;
};

/** One prepared file; everything owned by its table. */
struct console_asset {
    char *name;                      /* "vendor/chart.js" */
    char *hashed_name;               /* "vendor/chart.3f2a9c1d0e.js" */
    const char *media_type;          /* static, with its charset when text */
    char hash[CONSOLE_HASH_HEX + 1]; /* of body */
    char etag[CONSOLE_ETAG_SIZE];      /* "\"<hash>\"", of the identity form */
    char etag_gzip[CONSOLE_ETAG_SIZE]; /* "\"<hash>-gz\"", of the gzip form */
    char *body;                      /* after its references were rewritten */
    size_t size;
    char *gzip;                      /* NULL: gzip would not be smaller */
    size_t gzip_size;
};

struct console_assets {
    struct console_asset *items;     /* in the sources' order */
    size_t count;
};

/** Prepare sources into out (out->items freed by console_assets_cleanup,
 * whatever the result). Returns 0, or -1 with why in error (a file whose
 * extension has no media type, a path nested more than one folder deep, a
 * reference cycle naming its files, duplicate paths, out of memory). */
int console_assets_build(const struct console_source *sources, size_t count, struct console_assets *out,
                         char *error, size_t error_size);
void console_assets_cleanup(struct console_assets *assets);

/** The asset whose hashed name (*hashed true) or plain name (*hashed
 * false) is name, or NULL. */
const struct console_asset *console_asset_find(const struct console_assets *assets, const char *name,
                                               bool *hashed);

/** The binary's own console (the embedded service/console/ files), built
 * on first use, once for every thread; NULL when it could not be built
 * (logged once, with why). Lives until the process ends. */
const struct console_assets *console_assets_embedded(void);

/** Whether an Accept-Encoding header (NULL: absent) takes gzip: listed
 * with q > 0, or not listed and "*" with q > 0 (RFC 9110 §12.5.3). A
 * malformed q takes nothing. */
bool console_accepts_gzip(const char *accept_encoding);

/** Whether an If-None-Match header (NULL: absent) names etag: "*", or one
 * of its entity tags by weak comparison (W/ ignored). */
bool console_etag_matches(const char *if_none_match, const char *etag);

#endif
