/* The console's files made ready to serve (include/console.h): media types,
 * content hashes, hashed names, rewritten references, gzip forms. Built
 * once; afterwards only read, so every thread shares the table. */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "console.h"
#include "crypto.h"
#include "embedded.h"
#include "log.h"

/* ---- media types ---- */

struct media_type {
    const char *match;      /* an extension (".js") or a whole base name ("LICENSE") */
    const char *type;
    bool has_references;    /* its text is scanned for references to other console files */
};

/* A file that matches none of these is refused: the table fails closed
 * rather than serve bytes under a guessed type. */
static const struct media_type MEDIA_TYPES[] = {
    { ".html", "text/html; charset=utf-8", true },
    { ".js", "text/javascript; charset=utf-8", true },
    { ".mjs", "text/javascript; charset=utf-8", true },
    { ".css", "text/css; charset=utf-8", true },
    { ".svg", "image/svg+xml", false },
    { ".json", "application/json", false },
    { ".txt", "text/plain; charset=utf-8", false },
    { ".png", "image/png", false },
    { ".ico", "image/x-icon", false },
    { ".woff2", "font/woff2", false },
    { "LICENSE", "text/plain; charset=utf-8", false },
    { "LICENCE", "text/plain; charset=utf-8", false },
    { "COPYING", "text/plain; charset=utf-8", false },
};

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* The extension of a base name: from its last dot, unless the name starts
 * there (".htaccess" has none). NULL when there is none. */
static const char *extension(const char *base)
{
    const char *dot = strrchr(base, '.');
    return dot != NULL && dot != base ? dot : NULL;
}

static const struct media_type *media_type_of(const char *path)
{
    const char *base = base_name(path), *ext = extension(base);
    for (size_t i = 0; i < sizeof(MEDIA_TYPES) / sizeof(MEDIA_TYPES[0]); i++) {
        const char *match = MEDIA_TYPES[i].match;
        if (match[0] == '.' ? ext != NULL && strcmp(ext, match) == 0 : strcmp(base, match) == 0)
            return &MEDIA_TYPES[i];
    }
    return NULL;
}

/* ---- building ---- */

struct reference {
    size_t start, end; /* the span of the body replaced by "/console/<hashed name>" */
    size_t target;     /* the source it names */
};

struct references {
    struct reference *items;
    size_t count, capacity;
};

struct build {
    const struct console_source *sources;
    size_t count;
    struct console_assets *out;
    struct references *refs;   /* per source */
    unsigned char *state;      /* per source: 0 not visited, 1 on the path, 2 done */
    size_t *path;              /* the depth-first path, for a cycle's message */
    size_t depth;
    char *error;
    size_t error_size;
};

static int fail(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct build *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->error, b->error_size, fmt, ap);
    va_end(ap);
    return -1;
}

/* A path becomes a URL segment (or two) as it is: letters, digits, '.',
 * '_' and '-' in at most two non-empty segments, none starting with '.'
 * (the routes serve /console/{} and /console/{}/{}). */
static bool path_servable(const char *path)
{
    int segments = 1;
    bool segment_start = true;
    for (const char *p = path; *p != '\0'; p++) {
        if (*p == '/') {
            if (segment_start)
                return false;
            segments++;
            segment_start = true;
            continue;
        }
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
                  || *p == '_' || *p == '-' || (*p == '.' && !segment_start);
        if (!ok)
            return false;
        segment_start = false;
    }
    return !segment_start && segments <= 2;
}

static long source_find(const struct build *b, const char *name, size_t len)
{
    for (size_t i = 0; i < b->count; i++) {
        if (strlen(b->sources[i].path) == len && memcmp(b->sources[i].path, name, len) == 0)
            return (long)i;
    }
    return -1;
}

static int reference_add(struct build *b, size_t from, size_t start, size_t end, size_t target)
{
    struct references *r = &b->refs[from];
    if (r->count == r->capacity) {
        size_t capacity = r->capacity != 0 ? r->capacity * 2 : 8;
        struct reference *grown = realloc(r->items, capacity * sizeof(*grown));
        if (grown == NULL)
            return fail(b, "out of memory");
        r->items = grown;
        r->capacity = capacity;
    }
    r->items[r->count++] = (struct reference){ start, end, target };
    return 0;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
           || c == '-' || c == '/';
}

/* At body[at]: "/console/NAME" or "./NAME" ended by `close`? When NAME
 * names a source, record the reference (the span from `at` to before
 * `close`) and return where scanning goes on; else return at. */
static int reference_at(struct build *b, size_t from, size_t at, char close, size_t *next)
{
    const char *body = b->sources[from].data;
    size_t size = b->sources[from].size, name_at;
    char resolved[512];
    size_t dir_len = 0;
    *next = at;
    if (size - at > strlen(CONSOLE_URL_PREFIX) && memcmp(body + at, CONSOLE_URL_PREFIX, strlen(CONSOLE_URL_PREFIX)) == 0) {
        name_at = at + strlen(CONSOLE_URL_PREFIX);
    } else if (size - at > 2 && memcmp(body + at, "./", 2) == 0) {
        name_at = at + 2; /* relative to the referring file's folder */
        dir_len = (size_t)(base_name(b->sources[from].path) - b->sources[from].path);
    } else {
        return 0;
    }
    size_t end = name_at;
    while (end < size && name_char(body[end]))
        end++;
    if (end == name_at || end == size || body[end] != close || dir_len + (end - name_at) >= sizeof(resolved))
        return 0;
    memcpy(resolved, b->sources[from].path, dir_len);
    memcpy(resolved + dir_len, body + name_at, end - name_at);
    long target = source_find(b, resolved, dir_len + (end - name_at));
    if (target < 0)
        return 0; /* not one of ours: left as it is */
    *next = end;
    return reference_add(b, from, at, end, (size_t)target);
}

/* Every quoted "/console/NAME", './NAME' ... and CSS url(./NAME) in a text
 * file that names another console file. */
static int references_scan(struct build *b, size_t from)
{
    const char *body = b->sources[from].data;
    size_t size = b->sources[from].size;
    for (size_t i = 0; i < size; i++) {
        size_t next = i;
        int rc = 0;
        if (body[i] == '"' || body[i] == '\'')
            rc = reference_at(b, from, i + 1, body[i], &next);
        else if (size - i > 4 && memcmp(body + i, "url(", 4) == 0)
            rc = reference_at(b, from, i + 4, ')', &next);
        if (rc != 0)
            return rc;
        if (next > i)
            i = next; /* past the name; its closing character is not an opening one */
    }
    return 0;
}

static int hashed_name_make(const char *name, const char *hash, char **out)
{
    const char *ext = extension(base_name(name));
    size_t stem = ext != NULL ? (size_t)(ext - name) : strlen(name);
    size_t len = strlen(name) + 1 + CONSOLE_HASH_HEX;
    *out = malloc(len + 1);
    if (*out == NULL)
        return -1;
    snprintf(*out, len + 1, "%.*s.%s%s", (int)stem, name, hash, ext != NULL ? ext : "");
    return 0;
}

/* gzip (the wrapper, level 9) of data into *out, kept only when smaller. */
static int gzip_make(const char *data, size_t size, char **out, size_t *out_size)
{
    *out = NULL;
    *out_size = 0;
    if (size > UINT_MAX)
        return 0; /* zlib's counters are uInt: such a file is served as it is */
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong bound = deflateBound(&z, (uLong)size);
    char *packed = malloc(bound);
    if (packed == NULL) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)size;
    z.next_out = (Bytef *)packed;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    size_t packed_size = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(packed);
        return -1;
    }
    if (packed_size >= size) {
        free(packed);
        return 0;
    }
    *out = packed;
    *out_size = packed_size;
    return 0;
}

/* The asset of source i, its references already done (their targets come
 * first in the depth-first order). */
static int asset_make(struct build *b, size_t i)
{
    const struct console_source *src = &b->sources[i];
    struct console_asset *a = &b->out->items[i];
    const struct references *r = &b->refs[i];
    size_t size = src->size;
    for (size_t k = 0; k < r->count; k++)
        size += strlen(CONSOLE_URL_PREFIX) + strlen(b->out->items[r->items[k].target].hashed_name)
                - (r->items[k].end - r->items[k].start);
    a->body = malloc(size + 1);
    if (a->body == NULL)
        return fail(b, "out of memory");
    size_t from = 0, len = 0;
    for (size_t k = 0; k < r->count; k++) {
        const struct reference *ref = &r->items[k];
        memcpy(a->body + len, src->data + from, ref->start - from);
        len += ref->start - from;
        len += (size_t)sprintf(a->body + len, "%s%s", CONSOLE_URL_PREFIX, b->out->items[ref->target].hashed_name);
        from = ref->end;
    }
    memcpy(a->body + len, src->data + from, src->size - from);
    len += src->size - from;
    a->body[len] = '\0';
    a->size = len;

    uint8_t digest[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    if (crypto_sha256(a->body, a->size, digest) != 0)
        return fail(b, "%s: SHA-256 failed", src->path);
    crypto_hex(digest, sizeof(digest), hex);
    memcpy(a->hash, hex, CONSOLE_HASH_HEX);
    a->hash[CONSOLE_HASH_HEX] = '\0';
    snprintf(a->etag, sizeof(a->etag), "\"%s\"", a->hash);
    snprintf(a->etag_gzip, sizeof(a->etag_gzip), "\"%s-gz\"", a->hash);
    if (hashed_name_make(a->name, a->hash, &a->hashed_name) != 0
        || gzip_make(a->body, a->size, &a->gzip, &a->gzip_size) != 0)
        return fail(b, "%s: out of memory", src->path);
    return 0;
}

/* Depth first from source i: what it references is made before it; a
 * reference back onto the path is a cycle, refused with its files named. */
static int visit(struct build *b, size_t i)
{
    if (b->state[i] == 2)
        return 0;
    if (b->state[i] == 1) {
        char cycle[512] = "";
        size_t used = 0, k = b->depth;
        while (k > 0 && b->path[k - 1] != i)
            k--;
        for (k = k > 0 ? k - 1 : 0; k < b->depth && used < sizeof(cycle); k++)
            used += (size_t)snprintf(cycle + used, sizeof(cycle) - used, "%s -> ", b->sources[b->path[k]].path);
        if (used < sizeof(cycle))
            snprintf(cycle + used, sizeof(cycle) - used, "%s", b->sources[i].path);
        return fail(b, "reference cycle: %s (a file's hash covers what it references)", cycle);
    }
    b->state[i] = 1;
    b->path[b->depth++] = i;
    for (size_t k = 0; k < b->refs[i].count; k++) {
        if (visit(b, b->refs[i].items[k].target) != 0)
            return -1;
    }
    b->depth--;
    b->state[i] = 2;
    return asset_make(b, i);
}

static int names_check(struct build *b)
{
    for (size_t i = 0; i < b->count; i++) {
        const char *path = b->sources[i].path;
        if (!path_servable(path))
            return fail(b, "%s: a console file's path is letters, digits, '.', '_' and '-', one folder deep at most",
                        path);
        if (media_type_of(path) == NULL)
            return fail(b, "%s: no media type for this file name (service/console/assets.c: MEDIA_TYPES)", path);
        for (size_t k = 0; k < i; k++) {
            if (strcmp(b->sources[k].path, path) == 0)
                return fail(b, "%s: listed twice", path);
        }
    }
    return 0;
}

/* A hashed name that is also a plain name would serve two files. */
static int hashed_names_check(struct build *b)
{
    for (size_t i = 0; i < b->count; i++) {
        for (size_t k = 0; k < b->count; k++) {
            if (strcmp(b->out->items[i].hashed_name, b->out->items[k].name) == 0
                || (k != i && strcmp(b->out->items[i].hashed_name, b->out->items[k].hashed_name) == 0))
                return fail(b, "%s: its hashed name %s is taken", b->out->items[i].name,
                            b->out->items[i].hashed_name);
        }
    }
    return 0;
}

int console_assets_build(const struct console_source *sources, size_t count, struct console_assets *out,
                         char *error, size_t error_size)
{
    memset(out, 0, sizeof(*out));
    struct build b = { .sources = sources, .count = count, .out = out, .error = error, .error_size = error_size };
    error[0] = '\0';
    if (count > CONSOLE_MAX_FILES)
        return fail(&b, "%zu files: at most %d are served", count, CONSOLE_MAX_FILES);
    if (names_check(&b) != 0)
        return -1;
    int rc = -1;
    out->items = calloc(count != 0 ? count : 1, sizeof(*out->items));
    b.refs = calloc(count != 0 ? count : 1, sizeof(*b.refs));
    b.state = calloc(count != 0 ? count : 1, 1);
    b.path = calloc(count != 0 ? count : 1, sizeof(*b.path));
    if (out->items == NULL || b.refs == NULL || b.state == NULL || b.path == NULL) {
        fail(&b, "out of memory");
        goto out;
    }
    out->count = count;
    for (size_t i = 0; i < count; i++) {
        out->items[i].media_type = media_type_of(sources[i].path)->type;
        out->items[i].name = strdup(sources[i].path);
        if (out->items[i].name == NULL) {
            fail(&b, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (media_type_of(sources[i].path)->has_references && references_scan(&b, i) != 0)
            goto out;
    }
    for (size_t i = 0; i < count; i++) {
        if (visit(&b, i) != 0)
            goto out;
    }
    rc = hashed_names_check(&b);
out:
    for (size_t i = 0; b.refs != NULL && i < count; i++)
        free(b.refs[i].items);
    free(b.refs);
    free(b.state);
    free(b.path);
    return rc;
}

void console_assets_cleanup(struct console_assets *assets)
{
    for (size_t i = 0; assets->items != NULL && i < assets->count; i++) {
        struct console_asset *a = &assets->items[i];
        free(a->name);
        free(a->hashed_name);
        free(a->body);
        free(a->gzip);
    }
    free(assets->items);
    memset(assets, 0, sizeof(*assets));
}

const struct console_asset *console_asset_find(const struct console_assets *assets, const char *name,
                                               bool *hashed)
{
    for (size_t i = 0; i < assets->count; i++) {
        if (strcmp(assets->items[i].hashed_name, name) == 0) {
            *hashed = true;
            return &assets->items[i];
        }
        if (strcmp(assets->items[i].name, name) == 0) {
            *hashed = false;
            return &assets->items[i];
        }
    }
    return NULL;
}

/* ---- the binary's own console ---- */

static struct console_assets embedded_assets;
static bool embedded_ready;
static pthread_once_t embedded_once = PTHREAD_ONCE_INIT;

struct source_list {
    struct console_source items[CONSOLE_MAX_FILES];
    size_t count;
    bool overflow;
};

static void source_collect(const struct embedded_file *file, void *cls)
{
    struct source_list *list = cls;
    if (list->count == CONSOLE_MAX_FILES) {
        list->overflow = true;
        return;
    }
    list->items[list->count++] =
        (struct console_source){ file->path + strlen(CONSOLE_EMBED_PREFIX), file->data, file->size };
}

static void embedded_build(void)
{
    static struct source_list list; /* once, under pthread_once */
    char error[640];
    embedded_each(CONSOLE_EMBED_PREFIX, source_collect, &list);
    if (list.overflow) {
        log_msg(LOG_ERROR, "console: more than %d files embedded; the console is not served", CONSOLE_MAX_FILES);
        return;
    }
    if (console_assets_build(list.items, list.count, &embedded_assets, error, sizeof(error)) != 0) {
        log_msg(LOG_ERROR, "console: %s; the console is not served", error);
        console_assets_cleanup(&embedded_assets);
        return;
    }
    bool hashed;
    if (console_asset_find(&embedded_assets, CONSOLE_INDEX_NAME, &hashed) == NULL) {
        log_msg(LOG_ERROR, "console: %s%s is not embedded; the console is not served", CONSOLE_EMBED_PREFIX,
                CONSOLE_INDEX_NAME);
        console_assets_cleanup(&embedded_assets);
        return;
    }
    size_t bytes = 0, gzip_bytes = 0;
    for (size_t i = 0; i < embedded_assets.count; i++) {
        bytes += embedded_assets.items[i].size;
        gzip_bytes += embedded_assets.items[i].gzip != NULL ? embedded_assets.items[i].gzip_size
                                                            : embedded_assets.items[i].size;
    }
    log_msg(LOG_INFO, "console: %zu files ready, %zu bytes (%zu with gzip)", embedded_assets.count, bytes,
            gzip_bytes);
    embedded_ready = true;
}

const struct console_assets *console_assets_embedded(void)
{
    pthread_once(&embedded_once, embedded_build);
    return embedded_ready ? &embedded_assets : NULL;
}

/* ---- request headers ---- */

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* An RFC 9110 qvalue in [p, end): 1 when above zero, 0 when zero, -1 when
 * malformed. */
static int qvalue_positive(const char *p, const char *end)
{
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (p == end || (*p != '0' && *p != '1'))
        return -1;
    char first = *p++;
    bool positive = first == '1';
    if (p < end) {
        if (*p++ != '.' || end - p > 3)
            return -1;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9' || (first == '1' && *p != '0'))
                return -1;
            positive = positive || *p != '0';
        }
    }
    return positive ? 1 : 0;
}

bool console_accepts_gzip(const char *accept_encoding)
{
    if (accept_encoding == NULL)
        return false;
    int gzip = -1, any = -1; /* -1 not listed, 0 refused, 1 accepted */
    const char *p = accept_encoding;
    while (*p != '\0') {
        p = skip_space(p);
        if (*p == ',') {
            p++;
            continue;
        }
        size_t len = strcspn(p, ";,");
        const char *coding = p, *coding_end = p + len;
        while (coding_end > coding && (coding_end[-1] == ' ' || coding_end[-1] == '\t'))
            coding_end--;
        p += len;
        int accepted = 1;
        while (*p == ';') { /* parameters: only q counts */
            const char *param = skip_space(p + 1);
            size_t param_len = strcspn(param, ";,");
            p = param + param_len;
            const char *eq = memchr(param, '=', param_len);
            if (eq != NULL && eq - param >= 1 && strncasecmp(param, "q", 1) == 0
                && skip_space(param + 1) == eq) {
                int q = qvalue_positive(skip_space(eq + 1), p);
                accepted = q < 0 ? 0 : q;
            }
        }
        size_t coding_len = (size_t)(coding_end - coding);
        if ((coding_len == 4 && strncasecmp(coding, "gzip", 4) == 0)
            || (coding_len == 6 && strncasecmp(coding, "x-gzip", 6) == 0))
            gzip = gzip < 0 ? accepted : (gzip > accepted ? gzip : accepted);
        else if (coding_len == 1 && *coding == '*')
            any = accepted;
    }
    return gzip >= 0 ? gzip > 0 : any > 0;
}

bool console_etag_matches(const char *if_none_match, const char *etag)
{
    if (if_none_match == NULL)
        return false;
    size_t etag_len = strlen(etag);
    const char *p = if_none_match;
    for (;;) {
        p = skip_space(p);
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return false;
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (*p != '"')
            return false; /* malformed: matches nothing */
        const char *close = strchr(p + 1, '"');
        if (close == NULL)
            return false;
        size_t tag_len = (size_t)(close + 1 - p);
        if (tag_len == etag_len && memcmp(p, etag, etag_len) == 0)
            return true;
        p = close + 1;
    }
}
