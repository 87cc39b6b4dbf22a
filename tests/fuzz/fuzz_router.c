/* The percent-decoder and the router (service/http/request.c, router.c) on
 * arbitrary methods and paths, with the other request.c helpers that take
 * what a client sends: the request id and the client address.
 *
 * Input, line by line: "METHOD PATH" (no space: GET and the whole line),
 * then optionally an X-Request-Id, an X-Forwarded-For and the trusted
 * proxies.
 *
 * Beyond the sanitizers: a decoded segment is never longer than its text,
 * holds no NUL or '/' and is valid UTF-8 (checked with jansson, not with
 * the decoder's own check: ids go to PostgreSQL and into JSON); a match
 * fills exactly one argument per {} of its pattern; a path known under
 * other methods lists them in Allow, and each of those methods matches; a
 * request id is 1-128 characters of [A-Za-z0-9._:-]; a client address is
 * a terminated string. */
#include <jansson.h>

#include "fuzz_input.h"
#include "http.h"
#include "routes.h"

enum { ALLOW_SIZE = 64 }; /* as server.c sizes it */

static bool valid_utf8(const char *s)
{
    json_t *probe = json_string(s);
    json_decref(probe);
    return probe != NULL;
}

static void check_decoded(const char *text, size_t len, const char *decoded)
{
    if (decoded == NULL)
        return;
    size_t n = strlen(decoded);
    FUZZ_REQUIRE(n <= len);
    FUZZ_REQUIRE(valid_utf8(decoded));
    if (memchr(text, '%', len) == NULL) /* nothing to decode: the text itself */
        FUZZ_REQUIRE(n == len && memcmp(decoded, text, len) == 0);
}

static int placeholders(const char *pattern)
{
    int n = 0;
    for (const char *p = strstr(pattern, "{}"); p != NULL; p = strstr(p + 2, "{}"))
        n++;
    return n;
}

static enum http_match route(const char *method, const char *path, char *allow)
{
    const struct http_route *found = NULL;
    char *args[HTTP_MAX_PATH_ARGS] = { NULL };
    enum http_match match = http_route_find(method, path, &found, args, allow, ALLOW_SIZE);
    FUZZ_REQUIRE(memchr(allow, '\0', ALLOW_SIZE) != NULL);
    if (match == HTTP_MATCH_OK) {
        FUZZ_REQUIRE(found != NULL && http_route_index(found) >= 0 && http_route_index(found) < HTTP_ROUTE_COUNT);
        for (int i = 0; i < HTTP_MAX_PATH_ARGS; i++) {
            FUZZ_REQUIRE((args[i] != NULL) == (i < placeholders(found->pattern)));
            if (args[i] != NULL) {
                FUZZ_REQUIRE(args[i][0] != '\0' && strchr(args[i], '/') == NULL);
                FUZZ_REQUIRE(valid_utf8(args[i]));
            }
            free(args[i]);
        }
    } else {
        for (int i = 0; i < HTTP_MAX_PATH_ARGS; i++)
            FUZZ_REQUIRE(args[i] == NULL);
        FUZZ_REQUIRE((match == HTTP_MATCH_NO_METHOD) == (allow[0] != '\0'));
    }
    return match;
}

/* Every method Allow names must then match the same path. */
static void check_allow(const char *path, const char *allow)
{
    char copy[ALLOW_SIZE], again[ALLOW_SIZE];
    snprintf(copy, sizeof(copy), "%s", allow);
    for (char *save = NULL, *m = strtok_r(copy, ", ", &save); m != NULL; m = strtok_r(NULL, ", ", &save))
        FUZZ_REQUIRE(route(m, path, again) == HTTP_MATCH_OK);
}

static bool request_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-_.:", c);
}

/* The next line of the input (caller frees), or NULL when there is none. */
static char *next_line(struct fuzz_input *in)
{
    if (in->size == 0)
        return NULL;
    const uint8_t *end = memchr(in->data, '\n', in->size);
    size_t len = end != NULL ? (size_t)(end - in->data) : in->size;
    char *line = fuzz_take(in, len);
    if (end != NULL)
        fuzz_byte(in);
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    char *first = next_line(&in);
    if (first == NULL)
        return 0;
    char *space = strchr(first, ' ');
    const char *method = space != NULL ? first : "GET";
    const char *path = space != NULL ? space + 1 : first;
    if (space != NULL)
        *space = '\0';

    char *decoded = http_percent_decode(path, strlen(path));
    check_decoded(path, strlen(path), decoded);
    free(decoded);
    char allow[ALLOW_SIZE];
    if (route(method, path, allow) == HTTP_MATCH_NO_METHOD)
        check_allow(path, allow);

    char *offered = next_line(&in);
    char id[HTTP_REQUEST_ID_MAX + 1];
    http_request_id_choose(offered, id);
    size_t id_len = strlen(id);
    FUZZ_REQUIRE(id_len >= 1 && id_len <= HTTP_REQUEST_ID_MAX);
    for (size_t i = 0; i < id_len; i++)
        FUZZ_REQUIRE(request_id_char(id[i]));

    char *forwarded_for = next_line(&in);
    char *trusted = next_line(&in);
    char client[INET6_ADDRSTRLEN];
    http_client_address("127.0.0.1", forwarded_for, trusted != NULL ? trusted : "127.0.0.1", client);
    FUZZ_REQUIRE(memchr(client, '\0', sizeof(client)) != NULL);

    free(trusted);
    free(forwarded_for);
    free(offered);
    free(first);
    return 0;
}
