/* Small request helpers: request ids, percent-decoding, client address. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "http.h"
#include "utf8.h"

static bool request_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '-' || c == '_' || c == '.' || c == ':';
}

void http_request_id_choose(const char *offered, char out[HTTP_REQUEST_ID_MAX + 1])
{
    if (offered != NULL) {
        size_t len = strlen(offered);
        bool sane = len >= 1 && len <= HTTP_REQUEST_ID_MAX;
        for (size_t i = 0; sane && i < len; i++)
            sane = request_id_char(offered[i]);
        if (sane) {
            memcpy(out, offered, len + 1);
            return;
        }
    }
    if (crypto_uuid_v4(out) != 0)
        snprintf(out, HTTP_REQUEST_ID_MAX + 1, "no-entropy");
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *http_percent_decode(const char *text, size_t len)
{
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '%') {
            int hi = i + 2 < len ? hex_digit(text[i + 1]) : -1;
            int lo = i + 2 < len ? hex_digit(text[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            c = (char)((hi << 4) | lo);
            if (c == '\0' || c == '/') {
                free(out);
                return NULL;
            }
            i += 2;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    /* Ids go to PostgreSQL and into JSON: bytes that are not UTF-8 can
     * name nothing we store, so they match nothing (404), never a 500. */
    if (!utf8_valid(out, o)) {
        free(out);
        return NULL;
    }
    return out;
}

/* Is addr one of the comma-separated addresses in list? Compared in binary
 * form so that "::1" and "0:0::1" agree. */
static bool address_listed(const char *addr, const char *list)
{
    unsigned char want[sizeof(struct in6_addr)];
    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(family, addr, want) != 1)
        return false;
    size_t want_len = family == AF_INET6 ? 16 : 4;
    while (list != NULL && *list != '\0') {
        const char *comma = strchr(list, ',');
        size_t len = comma ? (size_t)(comma - list) : strlen(list);
        char item[INET6_ADDRSTRLEN];
        while (len > 0 && *list == ' ') { list++; len--; }
        while (len > 0 && list[len - 1] == ' ') len--;
        if (len < sizeof(item)) {
            memcpy(item, list, len);
            item[len] = '\0';
            unsigned char have[sizeof(struct in6_addr)];
            if (inet_pton(family, item, have) == 1 && memcmp(want, have, want_len) == 0)
                return true;
        }
        list = comma ? comma + 1 : NULL;
    }
    return false;
}

void http_client_address(const char *peer, const char *forwarded_for, const char *trusted,
                         char out[INET6_ADDRSTRLEN])
{
    snprintf(out, INET6_ADDRSTRLEN, "%s", peer);
    if (forwarded_for == NULL || !address_listed(peer, trusted))
        return;
    /* Walk X-Forwarded-For from the right: each hop was added by the proxy
     * before it; the first one not a trusted proxy is the client. */
    const char *end = forwarded_for + strlen(forwarded_for);
    while (end > forwarded_for) {
        const char *start = end;
        while (start > forwarded_for && start[-1] != ',')
            start--;
        const char *a = start, *b = end;
        while (a < b && *a == ' ') a++;
        while (b > a && b[-1] == ' ') b--;
        char hop[INET6_ADDRSTRLEN];
        size_t len = (size_t)(b - a);
        unsigned char probe[sizeof(struct in6_addr)];
        if (len == 0 || len >= sizeof(hop))
            return;
        memcpy(hop, a, len);
        hop[len] = '\0';
        if (inet_pton(AF_INET, hop, probe) != 1 && inet_pton(AF_INET6, hop, probe) != 1)
            return; /* garbage: keep the last address we could vouch for */
        snprintf(out, INET6_ADDRSTRLEN, "%s", hop);
        if (!address_listed(hop, trusted))
            return;
        end = start > forwarded_for ? start - 1 : forwarded_for;
    }
}

bool http_address_trusted(const char *address, const char *trusted)
{
    return address_listed(address, trusted);
}

const char *http_query(struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

/* How well an Accept header takes one media type: the q (in thousandths)
 * of the most specific range that matches it (type/subtype, then
 * type/any, then any/any), and that specificity (2, 1, 0); quality -1
 * when none does. */
struct accept_match {
    int quality;
    int specificity;
};

static size_t trimmed(const char *start, const char *end, const char **out)
{
    while (start < end && (*start == ' ' || *start == '\t'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *out = start;
    return (size_t)(end - start);
}

static bool token_is(const char *text, size_t len, const char *word)
{
    return len == strlen(word) && strncasecmp(text, word, len) == 0;
}

/* "q=0.5" → 500; q absent → 1000; malformed → 0 (not acceptable). */
static int range_quality(const char *params, const char *end)
{
    int quality = 1000;
    while (params < end) {
        const char *next = memchr(params, ';', (size_t)(end - params));
        if (next == NULL)
            next = end;
        const char *p;
        size_t len = trimmed(params, next, &p);
        if (len >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            double q = 0;
            char number[16];
            if (len - 2 < sizeof(number)) {
                memcpy(number, p + 2, len - 2);
                number[len - 2] = '\0';
                char *stop;
                q = strtod(number, &stop);
                if (*stop != '\0' || q < 0 || q > 1)
                    q = 0;
            }
            quality = (int)(q * 1000 + 0.5);
        }
        params = next + (next < end);
    }
    return quality;
}

static struct accept_match accept_match(const char *accept, const char *type, const char *subtype)
{
    struct accept_match best = { -1, -1 };
    for (const char *range = accept; *range != '\0';) {
        const char *end = strchr(range, ',');
        if (end == NULL)
            end = range + strlen(range);
        const char *params = memchr(range, ';', (size_t)(end - range));
        const char *media;
        size_t len = trimmed(range, params ? params : end, &media);
        const char *slash = memchr(media, '/', len);
        if (slash != NULL) {
            size_t type_len = (size_t)(slash - media), sub_len = len - type_len - 1;
            int specificity = -1;
            if (token_is(media, type_len, "*") && token_is(slash + 1, sub_len, "*"))
                specificity = 0;
            else if (token_is(media, type_len, type) && token_is(slash + 1, sub_len, "*"))
                specificity = 1;
            else if (token_is(media, type_len, type) && token_is(slash + 1, sub_len, subtype))
                specificity = 2;
            if (specificity > best.specificity) {
                best.specificity = specificity;
                best.quality = params ? range_quality(params + 1, end) : 1000;
            }
        }
        range = *end ? end + 1 : end;
    }
    return best;
}

int http_accept_choose(struct http_request *req, const char *const types[], size_t count)
{
    const char *accept = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    if (accept == NULL || accept[strspn(accept, " \t")] == '\0')
        return 0;
    int chosen = -1;
    struct accept_match best = { 0, -1 };
    for (size_t i = 0; i < count; i++) {
        char type[64];
        snprintf(type, sizeof(type), "%s", types[i]);
        char *slash = strchr(type, '/');
        if (slash == NULL)
            continue;
        *slash = '\0';
        struct accept_match m = accept_match(accept, type, slash + 1);
        /* By q, then by the more specific range; the earlier type on a tie. */
        if (m.quality > 0
            && (m.quality > best.quality || (m.quality == best.quality && m.specificity > best.specificity))) {
            best = m;
            chosen = (int)i;
        }
    }
    return chosen;
}

struct unknown_search {
    const char *const *allowed;
    const char *unknown;
};

static enum MHD_Result find_unknown(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    (void)value;
    struct unknown_search *s = cls;
    for (const char *const *name = s->allowed; *name != NULL; name++)
        if (strcmp(key, *name) == 0)
            return MHD_YES;
    s->unknown = key;
    return MHD_NO;
}

/* A parameter's name fit to quote back (it came from the client). */
static bool quotable(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(name[i] == '_' || name[i] == '-' || name[i] == '.' || (name[i] >= '0' && name[i] <= '9')
              || (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z')))
            return false;
    return true;
}

/* Unknown parameters are refused (fail closed: a misspelt `form` would
 * otherwise answer for the default window without a word). */
bool http_query_known(struct http_request *req, const char *const *allowed, enum MHD_Result *sent)
{
    struct unknown_search search = { allowed, NULL };
    MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, find_unknown, &search);
    if (search.unknown == NULL)
        return true;
    char detail[128] = "the query has a parameter this endpoint does not know";
    if (quotable(search.unknown))
        snprintf(detail, sizeof(detail), "%s: not a parameter of this endpoint", search.unknown);
    *sent = http_reply_problem(req, PROBLEM_BAD_PARAMETER, detail);
    return false;
}
