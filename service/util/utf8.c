#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The table of RFC 3629 section 4: each lead byte's range of valid
 * second bytes; later continuation bytes are always 80..BF. */
bool utf8_valid(const char *text, size_t len)
{
    const uint8_t *s = (const uint8_t *)text;
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong below U+0800 */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong below U+10000 */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            return false; /* C0, C1, F5..FF, or a stray continuation byte */
        }
        if (len - i <= need)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= need; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return false;
        i += need + 1;
    }
    return true;
}

char *utf8_escape_for_log(const char *text)
{
    size_t len = strlen(text);
    char *out = malloc(4 * len + 1); /* every byte may become \xNN */
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (const uint8_t *p = (const uint8_t *)text; *p != '\0'; p++) {
        if (*p >= 0x20 && *p < 0x7F && *p != '\\')
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, 5, "\\x%02X", *p);
    }
    out[o] = '\0';
    return out;
}
