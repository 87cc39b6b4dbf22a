/* Small request helpers: request ids, percent-decoding, client address. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

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

const char *http_query(struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}
