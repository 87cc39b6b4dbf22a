/* The console's files served by the binary (issue #14): the asset table on
 * in-memory files (rewriting, hashing, refusals, gzip, header parsing),
 * then GET / and GET /console/... end to end, following every reference
 * from the served page. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "console.h"
#include "embedded.h"
#include "harness.h"

/* ---- the asset table on in-memory files ---- */

#define SOURCE(path, text) { path, text, sizeof(text) - 1 }

static const struct console_asset *asset_named(const struct console_assets *a, const char *name)
{
    bool hashed;
    const struct console_asset *asset = console_asset_find(a, name, &hashed);
    ck_assert_msg(asset != NULL && !hashed, "%s is not in the table", name);
    return asset;
}

static bool contains(const struct console_asset *a, const char *text)
{
    return memmem(a->body, a->size, text, strlen(text)) != NULL;
}

/* "/console/<hashed name of name>" is in the body of `in`. */
static void assert_refers(const struct console_assets *a, const char *in, const char *name)
{
    char url[256];
    snprintf(url, sizeof(url), "/console/%s", asset_named(a, name)->hashed_name);
    ck_assert_msg(contains(asset_named(a, in), url), "%s does not refer to %s: %s", in, url,
                  asset_named(a, in)->body);
}

/* name with ".<10 hex>" before its extension (or at its end). */
static bool hashed_form_of(const char *hashed, const char *name)
{
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    const char *dot = strrchr(base, '.');
    size_t stem = dot != NULL && dot != base ? (size_t)(dot - name) : strlen(name);
    if (strlen(hashed) != strlen(name) + 1 + CONSOLE_HASH_HEX || strncmp(hashed, name, stem) != 0
        || hashed[stem] != '.' || strcmp(hashed + stem + 1 + CONSOLE_HASH_HEX, name + stem) != 0)
        return false;
    for (int i = 0; i < CONSOLE_HASH_HEX; i++) {
        char c = hashed[stem + 1 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

static void build_ok(const struct console_source *sources, size_t n, struct console_assets *out)
{
    char error[640];
    int rc = console_assets_build(sources, n, out, error, sizeof(error));
    ck_assert_msg(rc == 0, "refused: %s", error);
}

START_TEST(assets_rewrite_references_to_hashed_names)
{
    const struct console_source sources[] = {
        SOURCE("index.html", "<link rel=\"stylesheet\" href=\"/console/style.css\">\n"
                             "<script type=\"module\" src='/console/app.js'></script>"),
        SOURCE("app.js", "import { lib } from './lib.js';\nimport { v } from \"/console/vendor/v.js\";\n"
                         "const away = './missing.js', other = \"https://example.com/console/lib.js\";\n"
                         "fetch('/console/data.json?x=1');"),
        SOURCE("lib.js", "export const lib = 1;"),
        SOURCE("vendor/v.js", "import { w } from './w.js';\nexport const v = w;"),
        SOURCE("vendor/w.js", "export const w = 2;"),
        SOURCE("vendor/LICENSE", "MIT License, see https://opensource.org/license/mit"),
        SOURCE("data.json", "{\"see\": \"./lib.js\"}"),
        SOURCE("style.css", "body { background: url(./bg.svg); } h1 { background: url(\"/console/bg.svg\"); }"),
        SOURCE("bg.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
    };
    struct console_assets a;
    build_ok(sources, sizeof(sources) / sizeof(sources[0]), &a);
    ck_assert_uint_eq(a.count, sizeof(sources) / sizeof(sources[0]));
    for (size_t i = 0; i < a.count; i++)
        ck_assert_msg(hashed_form_of(a.items[i].hashed_name, a.items[i].name), "%s: %s", a.items[i].name,
                      a.items[i].hashed_name);
    assert_refers(&a, "index.html", "style.css");
    assert_refers(&a, "index.html", "app.js");
    assert_refers(&a, "app.js", "lib.js");
    assert_refers(&a, "app.js", "vendor/v.js");
    assert_refers(&a, "vendor/v.js", "vendor/w.js"); /* "./" is the referring file's folder */
    assert_refers(&a, "style.css", "bg.svg");
    ck_assert(contains(asset_named(&a, "style.css"), "url(/console/"));
    ck_assert(contains(asset_named(&a, "style.css"), "url(\"/console/"));
    /* what is not one of ours, not quoted whole, or not in a scanned type stays as written */
    ck_assert(contains(asset_named(&a, "app.js"), "'./missing.js'"));
    ck_assert(contains(asset_named(&a, "app.js"), "\"https://example.com/console/lib.js\""));
    ck_assert(contains(asset_named(&a, "app.js"), "'/console/data.json?x=1'"));
    ck_assert(contains(asset_named(&a, "data.json"), "\"./lib.js\""));
    ck_assert(!contains(asset_named(&a, "app.js"), "'./lib.js'"));
    ck_assert_str_eq(asset_named(&a, "index.html")->media_type, "text/html; charset=utf-8");
    ck_assert_str_eq(asset_named(&a, "app.js")->media_type, "text/javascript; charset=utf-8");
    ck_assert_str_eq(asset_named(&a, "style.css")->media_type, "text/css; charset=utf-8");
    ck_assert_str_eq(asset_named(&a, "bg.svg")->media_type, "image/svg+xml");
    ck_assert_str_eq(asset_named(&a, "data.json")->media_type, "application/json");
    ck_assert_str_eq(asset_named(&a, "vendor/LICENSE")->media_type, "text/plain; charset=utf-8");
    ck_assert(hashed_form_of(asset_named(&a, "vendor/LICENSE")->hashed_name, "vendor/LICENSE"));
    /* found by either name; the ETag is the hash */
    bool hashed;
    const struct console_asset *lib = asset_named(&a, "lib.js");
    ck_assert_ptr_eq(console_asset_find(&a, lib->hashed_name, &hashed), lib);
    ck_assert(hashed);
    ck_assert_ptr_null(console_asset_find(&a, "nope.js", &hashed));
    char etag[32];
    snprintf(etag, sizeof(etag), "\"%s\"", lib->hash);
    ck_assert_str_eq(lib->etag, etag);
    console_assets_cleanup(&a);
}
END_TEST

/* A change in a module changes its hash and the hash of every file that
 * reaches it, and no other. */
START_TEST(assets_hash_covers_what_a_file_reaches)
{
    struct console_source sources[] = {
        SOURCE("index.html", "<script type=\"module\" src=\"/console/app.js\"></script>"),
        SOURCE("app.js", "import { lib } from './lib.js';"),
        SOURCE("lib.js", "export const lib = 1;"),
        SOURCE("other.js", "export const other = 1;"),
    };
    size_t n = sizeof(sources) / sizeof(sources[0]);
    struct console_assets before, same, after;
    build_ok(sources, n, &before);
    build_ok(sources, n, &same);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(before.items[i].hashed_name, same.items[i].hashed_name); /* deterministic */
    static const char CHANGED[] = "export const lib = 2;";
    sources[2].data = CHANGED;
    sources[2].size = sizeof(CHANGED) - 1;
    build_ok(sources, n, &after);
    const char *changed[] = { "index.html", "app.js", "lib.js" };
    for (size_t i = 0; i < 3; i++)
        ck_assert_str_ne(asset_named(&before, changed[i])->hash, asset_named(&after, changed[i])->hash);
    ck_assert_str_eq(asset_named(&before, "other.js")->hash, asset_named(&after, "other.js")->hash);
    assert_refers(&after, "app.js", "lib.js");
    console_assets_cleanup(&before);
    console_assets_cleanup(&same);
    console_assets_cleanup(&after);
}
END_TEST

static void assert_refused(const struct console_source *sources, size_t n, const char *const *mentions)
{
    struct console_assets a;
    char error[640];
    ck_assert_int_eq(console_assets_build(sources, n, &a, error, sizeof(error)), -1);
    for (const char *const *m = mentions; *m != NULL; m++)
        ck_assert_msg(strstr(error, *m) != NULL, "\"%s\" does not mention %s", error, *m);
    console_assets_cleanup(&a);
}

START_TEST(assets_refuse_a_reference_cycle)
{
    const struct console_source cycle[] = {
        SOURCE("index.html", "<script src=\"/console/a.js\"></script>"),
        SOURCE("a.js", "import './b.js';"),
        SOURCE("b.js", "import './c.js';"),
        SOURCE("c.js", "import \"/console/a.js\";"),
    };
    assert_refused(cycle, 4, (const char *const[]){ "cycle", "a.js -> b.js -> c.js -> a.js", NULL });
    const struct console_source self[] = { SOURCE("a.js", "export const me = './a.js';") };
    assert_refused(self, 1, (const char *const[]){ "cycle", "a.js -> a.js", NULL });
}
END_TEST

START_TEST(assets_refuse_what_they_cannot_serve)
{
    const struct console_source unknown[] = { SOURCE("app.js", "1;"), SOURCE("tool.exe", "MZ") };
    assert_refused(unknown, 2, (const char *const[]){ "tool.exe", "media type", NULL });
    const struct console_source no_extension[] = { SOURCE("Makefile", "all:") };
    assert_refused(no_extension, 1, (const char *const[]){ "Makefile", NULL });
    const struct console_source upper[] = { SOURCE("APP.JS", "1;") };
    assert_refused(upper, 1, (const char *const[]){ "APP.JS", NULL });
    const struct console_source deep[] = { SOURCE("a/b/c.js", "1;") };
    assert_refused(deep, 1, (const char *const[]){ "a/b/c.js", "one folder deep", NULL });
    const struct console_source spaced[] = { SOURCE("my file.js", "1;") };
    assert_refused(spaced, 1, (const char *const[]){ "my file.js", NULL });
    const struct console_source twice[] = { SOURCE("a.js", "1;"), SOURCE("a.js", "2;") };
    assert_refused(twice, 2, (const char *const[]){ "a.js", "twice", NULL });
}
END_TEST

static char *gunzip(const char *data, size_t size, size_t *out_size)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
    struct buf out;
    buf_init(&out, 0);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)size;
    int rc;
    do {
        char chunk[16384];
        z.next_out = (Bytef *)chunk;
        z.avail_out = sizeof(chunk);
        rc = inflate(&z, Z_NO_FLUSH);
        ck_assert_msg(rc == Z_OK || rc == Z_STREAM_END, "inflate: %d", rc);
        buf_append(&out, chunk, sizeof(chunk) - z.avail_out);
    } while (rc != Z_STREAM_END);
    ck_assert_uint_eq(z.avail_in, 0); /* nothing after the gzip stream */
    inflateEnd(&z);
    return buf_steal(&out, out_size);
}

START_TEST(assets_gzip_only_when_smaller)
{
    static char big[8192];
    for (size_t i = 0; i < sizeof(big) - 1; i++)
        big[i] = "export const a = 'redress';\n"[i % 28];
    const struct console_source sources[] = { { "big.js", big, sizeof(big) - 1 }, SOURCE("tiny.js", "1") };
    struct console_assets a;
    build_ok(sources, 2, &a);
    const struct console_asset *b = asset_named(&a, "big.js");
    ck_assert_ptr_nonnull(b->gzip);
    ck_assert_uint_lt(b->gzip_size, b->size);
    ck_assert_mem_eq(b->gzip, "\x1f\x8b", 2); /* the gzip wrapper, not zlib's */
    size_t len;
    char *plain = gunzip(b->gzip, b->gzip_size, &len);
    ck_assert_uint_eq(len, b->size);
    ck_assert_mem_eq(plain, b->body, len);
    free(plain);
    ck_assert_ptr_null(asset_named(&a, "tiny.js")->gzip);
    console_assets_cleanup(&a);
}
END_TEST

START_TEST(accept_encoding_is_parsed)
{
    static const struct {
        const char *header;
        bool gzip;
    } CASES[] = {
        { NULL, false },
        { "", false },
        { "gzip", true },
        { "GZip", true },
        { "x-gzip", true },
        { "deflate, gzip;q=1.0, br", true },
        { "gzip;q=0.001", true },
        { "gzip ; q=0.5", true },
        { "gzip;Q=0.5", true },
        { "gzip;q=0", false },
        { "gzip; q=0.000", false },
        { "gzip;q=0, *", false },   /* gzip named: "*" does not override it */
        { "*", true },
        { "*;q=0", false },
        { "*;q=0, gzip", true },
        { "br, deflate", false },
        { "identity", false },
        { "gzipx", false },
        { "gzip;q=1.5", false },    /* malformed q: takes nothing */
        { "gzip;q=0.0001", false },
        { "gzip;q=", false },
        { "gzip;q=abc", false },
        { "gzip;level=1", true },   /* other parameters do not count */
        { ",, gzip ,", true },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++)
        ck_assert_msg(console_accepts_gzip(CASES[i].header) == CASES[i].gzip, "Accept-Encoding: %s",
                      CASES[i].header ? CASES[i].header : "(absent)");
}
END_TEST

START_TEST(if_none_match_is_parsed)
{
    static const struct {
        const char *header;
        bool match;
    } CASES[] = {
        { NULL, false },
        { "", false },
        { "\"0123456789\"", true },
        { "W/\"0123456789\"", true },
        { "\"aaa\", \"0123456789\"", true },
        { "\"aaa\",W/\"0123456789\"", true },
        { "*", true },
        { "\"012345678\"", false },
        { "0123456789", false },
        { "\"0123456789", false },
        { "\"aaa\", junk, \"0123456789\"", false },
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++)
        ck_assert_msg(console_etag_matches(CASES[i].header, "\"0123456789\"") == CASES[i].match,
                      "If-None-Match: %s", CASES[i].header ? CASES[i].header : "(absent)");
}
END_TEST

/* ---- served by the binary ---- */

static struct th_server srv;

static void setup(void)
{
    th_server_start(&srv, th_conninfo(), NULL);
}

static void teardown(void)
{
    th_server_stop(&srv);
}

static const char CSP[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

static void assert_header(const struct th_response *r, const char *name, const char *expected)
{
    char value[512];
    ck_assert_msg(th_header(r, name, value, sizeof(value)), "no %s header", name);
    ck_assert_msg(strcmp(value, expected) == 0, "%s: %s, not %s", name, value, expected);
}

static void assert_console_headers(const struct th_response *r)
{
    assert_header(r, "Content-Security-Policy", CSP);
    assert_header(r, "X-Content-Type-Options", "nosniff");
    assert_header(r, "Referrer-Policy", "no-referrer");
}

static const char *expected_type(const char *name)
{
    static const struct {
        const char *suffix, *type;
    } TYPES[] = {
        { ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
        { ".mjs", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
        { ".svg", "image/svg+xml" }, { ".json", "application/json" },
        { ".txt", "text/plain; charset=utf-8" }, { "LICENSE", "text/plain; charset=utf-8" },
        { ".png", "image/png" }, { ".ico", "image/x-icon" }, { ".woff2", "font/woff2" },
    };
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof(TYPES) / sizeof(TYPES[0]); i++) {
        size_t n = strlen(TYPES[i].suffix);
        if (len >= n && strcmp(name + len - n, TYPES[i].suffix) == 0)
            return TYPES[i].type;
    }
    return "(none)";
}

static bool is_licence(const char *name)
{
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    return strncmp(base, "LICENSE", 7) == 0 || strncmp(base, "LICENCE", 7) == 0 || strncmp(base, "COPYING", 7) == 0;
}

/* The embedded console files (relative names), from the binary itself. */
struct file_list {
    char names[CONSOLE_MAX_FILES][256];
    bool reached[CONSOLE_MAX_FILES];
    size_t count;
};

static void file_collect(const struct embedded_file *file, void *cls)
{
    struct file_list *list = cls;
    ck_assert_uint_lt(list->count, CONSOLE_MAX_FILES);
    snprintf(list->names[list->count++], sizeof(list->names[0]), "%s", file->path + strlen(CONSOLE_EMBED_PREFIX));
}

static bool path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
           || c == '-' || c == '/';
}

/* Every URL path "/console/NAME" in body: not the tail of a longer path
 * ("service/console/" in a comment), NAME the characters a console path
 * has. */
static size_t console_urls(const char *body, size_t len, char urls[][256], size_t max)
{
    size_t n = 0;
    const char *p = body, *end = body + len;
    while (n < max && (p = memmem(p, (size_t)(end - p), "/console/", 9)) != NULL) {
        const char *q = p + 9;
        while (q < end && path_char(*q))
            q++;
        if ((p == body || !path_char(p[-1])) && q > p + 9)
            snprintf(urls[n++], 256, "%.*s", (int)(q - p), p);
        p = q;
    }
    return n;
}

/* XML namespace names are identifiers, never fetched. */
static const char *const NAMESPACES[] = {
    "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/1999/xhtml",
};

static void assert_no_network(const char *name, const char *body, size_t len)
{
    for (const char *p = body; (p = memmem(p, (size_t)(body + len - p), "http", 4)) != NULL; p += 4) {
        if (strncmp(p, "http://", 7) != 0 && strncmp(p, "https://", 8) != 0)
            continue;
        bool namespace = false;
        for (size_t i = 0; i < sizeof(NAMESPACES) / sizeof(NAMESPACES[0]); i++)
            namespace = namespace || strncmp(p, NAMESPACES[i], strlen(NAMESPACES[i])) == 0;
        ck_assert_msg(namespace, "%s refers to the network: %.60s", name, p);
    }
}

START_TEST(index_and_every_reference_served_hashed)
{
    struct th_response r;
    th_request(srv.port, "GET", "/", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    assert_header(&r, "Content-Type", "text/html; charset=utf-8");
    assert_header(&r, "Cache-Control", "no-cache");
    assert_header(&r, "Vary", "Accept-Encoding");
    assert_console_headers(&r);
    char etag[64];
    ck_assert(th_header(&r, "ETag", etag, sizeof(etag)));
    ck_assert(th_header(&r, "X-Request-Id", etag, sizeof(etag)));

    static struct file_list files;
    memset(&files, 0, sizeof(files));
    embedded_each(CONSOLE_EMBED_PREFIX, file_collect, &files);
    ck_assert_uint_gt(files.count, 0);

    /* breadth first from the page over every /console/ URL a body names */
    static char queue[4 * CONSOLE_MAX_FILES][256];
    size_t queued = console_urls(r.body, r.body_len, queue, 4 * CONSOLE_MAX_FILES), done = 0;
    ck_assert_uint_gt(queued, 0);
    assert_no_network("index.html", r.body, r.body_len);
    th_response_free(&r);
    for (size_t i = 0; i < files.count; i++)
        files.reached[i] = strcmp(files.names[i], CONSOLE_INDEX_NAME) == 0;
    while (done < queued) {
        const char *url = queue[done++];
        bool seen = false;
        for (size_t k = 0; k + 1 < done && !seen; k++)
            seen = strcmp(queue[k], url) == 0;
        if (seen)
            continue;
        const char *hashed = url + strlen(CONSOLE_URL_PREFIX);
        size_t file = files.count;
        for (size_t i = 0; i < files.count && file == files.count; i++)
            if (hashed_form_of(hashed, files.names[i]))
                file = i;
        ck_assert_msg(file < files.count, "%s is not the hashed name of a console file", url);
        th_request(srv.port, "GET", url, NULL, NULL, 0, &r);
        ck_assert_msg(r.status == 200, "%s: %ld", url, r.status);
        assert_header(&r, "Cache-Control", "public, max-age=31536000, immutable");
        assert_header(&r, "Content-Type", expected_type(files.names[file]));
        assert_console_headers(&r);
        ck_assert_msg(th_header(&r, "Content-Encoding", etag, sizeof(etag)) == false, "%s: encoded unasked", url);
        files.reached[file] = true;
        if (!is_licence(files.names[file]))
            assert_no_network(files.names[file], r.body, r.body_len);
        size_t room = sizeof(queue) / sizeof(queue[0]) - queued;
        queued += console_urls(r.body, r.body_len, queue + queued, room);
        ck_assert_uint_lt(queued, sizeof(queue) / sizeof(queue[0]));
        th_response_free(&r);
    }
    /* every file is reached from the page, a licence file aside */
    for (size_t i = 0; i < files.count; i++)
        ck_assert_msg(files.reached[i] || is_licence(files.names[i]), "nothing served refers to %s",
                      files.names[i]);
}
END_TEST

/* A relative import left unrewritten would load a second, uncached copy
 * under its plain name: none is left in any file served. */
START_TEST(no_plain_relative_reference_left)
{
    const struct console_assets *assets = console_assets_embedded();
    ck_assert_ptr_nonnull(assets);
    for (size_t i = 0; i < assets->count; i++) {
        const struct console_asset *a = &assets->items[i];
        for (size_t k = 0; k < assets->count; k++) {
            const char *target = assets->items[k].name;
            const char *slash = strrchr(a->name, '/');
            size_t dir = slash != NULL ? (size_t)(slash + 1 - a->name) : 0;
            if (strncmp(target, a->name, dir) != 0)
                continue;
            static const struct {
                const char *open, *close;
                bool relative; /* "./" names the referring file's folder */
            } FORMS[] = { { "'./", "'", true }, { "\"./", "\"", true }, { "url(./", ")", true },
                          { "'/console/", "'", false }, { "\"/console/", "\"", false },
                          { "url(/console/", ")", false } };
            for (size_t f = 0; f < sizeof(FORMS) / sizeof(FORMS[0]); f++) {
                char quoted[300];
                snprintf(quoted, sizeof(quoted), "%s%s%s", FORMS[f].open, FORMS[f].relative ? target + dir : target,
                         FORMS[f].close);
                ck_assert_msg(memmem(a->body, a->size, quoted, strlen(quoted)) == NULL, "%s still has %s",
                              a->name, quoted);
            }
        }
    }
}
END_TEST

START_TEST(plain_name_revalidates_and_etag_answers_304)
{
    struct th_response plain, hashed, again;
    th_request(srv.port, "GET", "/console/app.js", NULL, NULL, 0, &plain);
    ck_assert_int_eq(plain.status, 200);
    assert_header(&plain, "Cache-Control", "no-cache");
    assert_header(&plain, "Content-Type", "text/javascript; charset=utf-8");
    assert_console_headers(&plain);
    char etag[64], line[128], hashed_url[300];
    ck_assert(th_header(&plain, "ETag", etag, sizeof(etag)));
    ck_assert_uint_eq(strlen(etag), CONSOLE_HASH_HEX + 2);

    /* the same bytes under the hashed name, cached for good */
    const struct console_assets *assets = console_assets_embedded();
    bool is_hashed;
    const struct console_asset *app = console_asset_find(assets, "app.js", &is_hashed);
    ck_assert_ptr_nonnull(app);
    snprintf(hashed_url, sizeof(hashed_url), "/console/%s", app->hashed_name);
    th_request(srv.port, "GET", hashed_url, NULL, NULL, 0, &hashed);
    ck_assert_int_eq(hashed.status, 200);
    assert_header(&hashed, "Cache-Control", "public, max-age=31536000, immutable");
    assert_header(&hashed, "ETag", etag);
    ck_assert_uint_eq(hashed.body_len, plain.body_len);
    ck_assert_mem_eq(hashed.body, plain.body, plain.body_len);

    snprintf(line, sizeof(line), "If-None-Match: %s", etag);
    th_request(srv.port, "GET", "/console/app.js", (const char *const[]){ line, NULL }, NULL, 0, &again);
    ck_assert_int_eq(again.status, 304);
    ck_assert_uint_eq(again.body_len, 0);
    ck_assert_msg(!th_header(&again, "Content-Type", line, sizeof(line)), "a 304 with Content-Type: %s", line);
    assert_header(&again, "ETag", etag);
    assert_header(&again, "Cache-Control", "no-cache");
    assert_console_headers(&again);
    th_response_free(&again);
    snprintf(line, sizeof(line), "If-None-Match: \"stale\", W/%s", etag);
    th_request(srv.port, "GET", hashed_url, (const char *const[]){ line, NULL }, NULL, 0, &again);
    ck_assert_int_eq(again.status, 304);
    assert_header(&again, "Cache-Control", "public, max-age=31536000, immutable");
    th_response_free(&again);
    th_request(srv.port, "GET", "/", (const char *const[]){ "If-None-Match: \"stale\"", NULL }, NULL, 0, &again);
    ck_assert_int_eq(again.status, 200);
    ck_assert(th_header(&again, "ETag", etag, sizeof(etag)));
    th_response_free(&again);
    snprintf(line, sizeof(line), "If-None-Match: %s", etag);
    th_request(srv.port, "GET", "/", (const char *const[]){ line, NULL }, NULL, 0, &again);
    ck_assert_int_eq(again.status, 304);
    assert_header(&again, "Cache-Control", "no-cache");
    th_response_free(&again);

    /* HEAD: the headers of GET, no body */
    th_request(srv.port, "HEAD", "/", NULL, NULL, 0, &again);
    ck_assert_int_eq(again.status, 200);
    ck_assert_uint_eq(again.body_len, 0);
    assert_header(&again, "Content-Type", "text/html; charset=utf-8");
    assert_console_headers(&again);
    th_response_free(&again);
    th_response_free(&plain);
    th_response_free(&hashed);
}
END_TEST

START_TEST(unknown_console_file_is_404_problem)
{
    static const char *const PATHS[] = {
        "/console/nope.js", "/console/app.0000000000.js", "/console/vendor/nope.js", "/console/APP.JS",
        "/console/%2e%2e", "/console/..%2fMakefile",
    };
    for (size_t i = 0; i < sizeof(PATHS) / sizeof(PATHS[0]); i++) {
        struct th_response r;
        th_request(srv.port, "GET", PATHS[i], NULL, NULL, 0, &r);
        ck_assert_msg(r.status == 404, "%s: %ld", PATHS[i], r.status);
        assert_header(&r, "Content-Type", "application/problem+json");
        assert_header(&r, "Cache-Control", "no-store");
        ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "urn:redress:problem:not-found");
        th_response_free(&r);
    }
    struct th_response r;
    th_request(srv.port, "GET", "/console/nope.js", NULL, NULL, 0, &r);
    assert_console_headers(&r);
    th_response_free(&r);
    /* the API keeps its own caching */
    th_request(srv.port, "GET", "/healthz", NULL, NULL, 0, &r);
    assert_header(&r, "Cache-Control", "no-store");
    ck_assert(!th_header(&r, "Content-Security-Policy", (char[8]){ 0 }, 8));
    th_response_free(&r);
}
END_TEST

START_TEST(gzip_when_accepted)
{
    struct th_response identity, r;
    th_request(srv.port, "GET", "/", NULL, NULL, 0, &identity);
    ck_assert_int_eq(identity.status, 200);
    char value[64], identity_etag[64];
    ck_assert(!th_header(&identity, "Content-Encoding", value, sizeof(value)));
    ck_assert(th_header(&identity, "ETag", identity_etag, sizeof(identity_etag)));

    static const char *const TAKES[] = { "Accept-Encoding: gzip", "Accept-Encoding: br, gzip;q=0.5",
                                         "Accept-Encoding: *" };
    for (size_t i = 0; i < sizeof(TAKES) / sizeof(TAKES[0]); i++) {
        th_request(srv.port, "GET", "/", (const char *const[]){ TAKES[i], NULL }, NULL, 0, &r);
        ck_assert_int_eq(r.status, 200);
        assert_header(&r, "Content-Encoding", "gzip");
        assert_header(&r, "Vary", "Accept-Encoding");
        assert_header(&r, "Content-Type", "text/html; charset=utf-8");
        assert_console_headers(&r);
        ck_assert(th_header(&r, "ETag", value, sizeof(value)));
        ck_assert_str_ne(value, identity_etag); /* another representation, another tag */
        size_t len;
        char *plain = gunzip(r.body, r.body_len, &len);
        ck_assert_uint_eq(len, identity.body_len);
        ck_assert_mem_eq(plain, identity.body, len);
        free(plain);
        th_response_free(&r);
    }
    static const char *const REFUSES[] = { "Accept-Encoding: gzip;q=0", "Accept-Encoding: identity",
                                           "Accept-Encoding: gzip;q=0, *" };
    for (size_t i = 0; i < sizeof(REFUSES) / sizeof(REFUSES[0]); i++) {
        th_request(srv.port, "GET", "/", (const char *const[]){ REFUSES[i], NULL }, NULL, 0, &r);
        ck_assert_int_eq(r.status, 200);
        ck_assert_msg(!th_header(&r, "Content-Encoding", value, sizeof(value)), "%s: encoded", REFUSES[i]);
        assert_header(&r, "Vary", "Accept-Encoding");
        ck_assert_uint_eq(r.body_len, identity.body_len);
        ck_assert_mem_eq(r.body, identity.body, r.body_len);
        th_response_free(&r);
    }
    /* every file that has a gzip form inflates to its identity body */
    const struct console_assets *assets = console_assets_embedded();
    for (size_t i = 0; i < assets->count; i++) {
        char url[300];
        snprintf(url, sizeof(url), "/console/%s", assets->items[i].hashed_name);
        th_request(srv.port, "GET", url, (const char *const[]){ "Accept-Encoding: gzip", NULL }, NULL, 0, &r);
        ck_assert_int_eq(r.status, 200);
        bool encoded = th_header(&r, "Content-Encoding", value, sizeof(value));
        ck_assert(encoded == (assets->items[i].gzip != NULL));
        size_t len = r.body_len;
        char *plain = encoded ? gunzip(r.body, r.body_len, &len) : NULL;
        ck_assert_uint_eq(len, assets->items[i].size);
        ck_assert_mem_eq(encoded ? plain : r.body, assets->items[i].body, len);
        free(plain);
        th_response_free(&r);
    }
    th_response_free(&identity);
}
END_TEST

Suite *console_suite(void)
{
    Suite *s = suite_create("console");
    TCase *assets = tcase_create("assets");
    tcase_add_test(assets, assets_rewrite_references_to_hashed_names);
    tcase_add_test(assets, assets_hash_covers_what_a_file_reaches);
    tcase_add_test(assets, assets_refuse_a_reference_cycle);
    tcase_add_test(assets, assets_refuse_what_they_cannot_serve);
    tcase_add_test(assets, assets_gzip_only_when_smaller);
    tcase_add_test(assets, accept_encoding_is_parsed);
    tcase_add_test(assets, if_none_match_is_parsed);
    tcase_add_test(assets, no_plain_relative_reference_left);
    suite_add_tcase(s, assets);

    TCase *served = tcase_create("served");
    tcase_add_checked_fixture(served, setup, teardown);
    tcase_set_timeout(served, 60);
    tcase_add_test(served, index_and_every_reference_served_hashed);
    tcase_add_test(served, plain_name_revalidates_and_etag_answers_304);
    tcase_add_test(served, unknown_console_file_is_404_problem);
    tcase_add_test(served, gzip_when_accepted);
    suite_add_tcase(s, served);
    return s;
}
