#include "http_text.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool http_text_header(const char *headers, const char *name, char *value, size_t size)
{
    size_t n = strlen(name);
    for (const char *line = headers; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            snprintf(value, size, "%.*s", (int)strcspn(v, "\r\n"), v);
            return true;
        }
    }
    return false;
}

/* Appends what fits; the sizes below need about 9.5 KiB. */
static void put(char *out, size_t size, size_t *at, const char *text)
{
    int n = snprintf(out + *at, size - *at, "%s", text);
    if (n > 0)
        *at += (size_t)n < size - *at ? (size_t)n : size - *at - 1;
}

static void put_run(char *out, size_t size, size_t *at, char c, size_t count)
{
    for (size_t i = 0; i < count && *at + 1 < size; i++)
        out[(*at)++] = c;
    out[*at] = '\0';
}

size_t http_text_largest_head(char *out, size_t size, const char *auth_line)
{
    size_t at = 0;
    out[0] = '\0';
    put(out, size, &at, "GET /v1/skus/");
    for (int i = 0; i < 128; i++)
        put(out, size, &at, "%F0%9F%98%80");
    put(out, size, &at, "/costs HTTP/1.1\r\nHost: redress\r\n");
    put(out, size, &at, auth_line);
    put(out, size, &at, "\r\nIdempotency-Key: ");
    put_run(out, size, &at, 'k', 255);
    put(out, size, &at, "\r\nX-Request-Id: ");
    put_run(out, size, &at, 'r', 128);
    put(out, size, &at, "\r\n");
    for (int i = 0; i < 6; i++) {
        char name[32];
        snprintf(name, sizeof(name), "X-Client-Extra-%d: ", i);
        put(out, size, &at, name);
        put_run(out, size, &at, 'x', 1000);
        put(out, size, &at, "\r\n");
    }
    put(out, size, &at, "Connection: close\r\n\r\n");
    return at;
}
