/* GET / and GET /console/...: the seller's console, its files prepared
 * once by service/console/assets.c. A hashed name is cached for good, a
 * plain name (and the page at "/") is revalidated by its ETag. */
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "handlers.h"

/* The page runs nothing but its own files: no inline script or style, no
 * other origin, no framing. */
static const char CONSOLE_CSP[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
static const char CACHE_HASHED[] = "public, max-age=31536000, immutable";
static const char CACHE_PLAIN[] = "no-cache";

/* On every console response, the 404 included. */
static void security_headers(struct http_request *req)
{
    http_add_header(req, "Content-Security-Policy", CONSOLE_CSP);
    http_add_header(req, "X-Content-Type-Options", "nosniff");
    http_add_header(req, "Referrer-Policy", "no-referrer");
}

static enum MHD_Result console_reply(struct http_request *req, const char *name)
{
    security_headers(req);
    const struct console_assets *assets = console_assets_embedded();
    if (assets == NULL) /* why was logged once, when the table was built */
        return http_reply_problem(req, PROBLEM_INTERNAL, "the console's files could not be prepared");
    bool hashed = false;
    const struct console_asset *asset = console_asset_find(assets, name, &hashed);
    if (asset == NULL)
        return http_reply_problem(req, PROBLEM_NOT_FOUND, "no such console file");

    const char *accept_encoding =
        MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    bool gzip = asset->gzip != NULL && console_accepts_gzip(accept_encoding);
    const char *etag = gzip ? asset->etag_gzip : asset->etag;
    http_add_header(req, MHD_HTTP_HEADER_CACHE_CONTROL, hashed ? CACHE_HASHED : CACHE_PLAIN);
    http_add_header(req, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    http_add_header(req, MHD_HTTP_HEADER_ETAG, etag);

    /* Either form's tag is current: the bytes behind both are the same file.
     * A 304 has no content, hence no Content-Type (RFC 9110 §15.4.5). */
    const char *if_none_match =
        MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (console_etag_matches(if_none_match, asset->etag) || console_etag_matches(if_none_match, asset->etag_gzip))
        return http_reply_bytes(req, MHD_HTTP_NOT_MODIFIED, NULL, "", 0);
    if (gzip) {
        http_add_header(req, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
        return http_reply_bytes(req, 200, asset->media_type, asset->gzip, asset->gzip_size);
    }
    return http_reply_bytes(req, 200, asset->media_type, asset->body, asset->size);
}

enum MHD_Result handle_console_index(struct http_request *req)
{
    return console_reply(req, CONSOLE_INDEX_NAME);
}

enum MHD_Result handle_console_asset(struct http_request *req)
{
    return console_reply(req, req->path_args[0]);
}

enum MHD_Result handle_console_asset_nested(struct http_request *req)
{
    char name[512];
    int len = snprintf(name, sizeof(name), "%s/%s", req->path_args[0], req->path_args[1]);
    if (len < 0 || (size_t)len >= sizeof(name)) {
        security_headers(req);
        return http_reply_problem(req, PROBLEM_NOT_FOUND, "no such console file");
    }
    return console_reply(req, name);
}
