/* Text helpers the guard and triage share: reading UTF-8 one character
 * at a time, and the folding of one character both read text through, so
 * that "ｒｅｆｕｎｄ", "REFUND" and "refund" are one word to every rule. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine_internal.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

struct fold_rule {
    uint32_t first, last;   /* code points */
    const char *as;
};

static const struct fold_rule FOLDS[] = {
    { 0x0085, 0x0085, "\n" },   /* next line */
    { 0x00A0, 0x00A0, " " },    /* no-break space */
    { 0x00A1, 0x00A1, " " },    /* ¡ */
    { 0x00AB, 0x00AB, "\"" },   /* « */
    { 0x00AD, 0x00AD, "" },     /* soft hyphen */
    { 0x00BB, 0x00BB, "\"" },   /* » */
    { 0x00BF, 0x00BF, " " },    /* ¿ */
    { 0x2000, 0x200A, " " },    /* en quad .. hair space */
    { 0x200B, 0x200D, "" },     /* zero-width space, non-joiner, joiner */
    { 0x2010, 0x2013, "-" },    /* hyphen, non-breaking hyphen, figure dash, en dash */
    { 0x2014, 0x2015, " - " },  /* em dash, horizontal bar */
    { 0x2018, 0x201B, "'" },    /* single quotes */
    { 0x201C, 0x201F, "\"" },   /* double quotes */
    { 0x2022, 0x2022, " " },    /* bullet */
    { 0x2024, 0x2024, "." },    /* one dot leader */
    { 0x2026, 0x2026, "..." },  /* ellipsis */
    { 0x2028, 0x2029, "\n" },   /* line, paragraph separator */
    { 0x202F, 0x202F, " " },    /* narrow no-break space */
    { 0x2039, 0x203A, "\"" },   /* ‹ › */
    { 0x205F, 0x205F, " " },    /* medium mathematical space */
    { 0x2060, 0x2060, "" },     /* word joiner */
    { 0x2212, 0x2212, "-" },    /* minus */
    { 0x3000, 0x3000, " " },    /* ideographic space */
    { 0x3001, 0x3001, "," },    /* 、 */
    { 0x3002, 0x3002, "." },    /* 。 */
    { 0x3008, 0x3011, "\"" },   /* 〈〉《》「」『』【】 */
    { 0x3014, 0x301B, "\"" },   /* 〔〕〖〗〘〙〚〛 */
    { 0xFE50, 0xFE51, "," },    /* small comma, small ideographic comma */
    { 0xFE52, 0xFE52, "." },    /* small full stop */
    { 0xFE56, 0xFE56, "?" },    /* small question mark */
    { 0xFE57, 0xFE57, "!" },    /* small exclamation mark */
    { 0xFE63, 0xFE63, "-" },    /* small hyphen-minus */
    { 0xFE6B, 0xFE6B, "@" },    /* small commercial at */
    { 0xFEFF, 0xFEFF, "" },     /* zero-width no-break space */
    { 0xFF61, 0xFF61, "." },    /* halfwidth ideographic full stop */
    { 0xFF64, 0xFF64, "," },    /* halfwidth ideographic comma */
};

/* Length of the well-formed UTF-8 character at s[0..n) (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 if there is
 * none; *cp gets its code point. */
size_t eng_utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char b = s[0], low = 0x80, high = 0xBF;
    size_t len;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
        *cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        *cp = b & 0x0F;
        low = b == 0xE0 ? 0xA0 : 0x80;  /* overlong */
        high = b == 0xED ? 0x9F : 0xBF; /* surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        *cp = b & 0x07;
        low = b == 0xF0 ? 0x90 : 0x80;  /* overlong */
        high = b == 0xF4 ? 0x8F : 0xBF; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < low || s[1] > high)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return len;
}

int eng_fold_char(uint32_t cp, char out[ENG_FOLD_MAX])
{
    if (cp < 0x80 || (cp >= 0xFF01 && cp <= 0xFF5E)) {
        char one = (char)(cp < 0x80 ? cp : cp - 0xFF01 + 0x21);
        if (one >= 'A' && one <= 'Z')
            one = (char)(one + 32);
        out[0] = one;
        return 1;
    }
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) { /* À..Þ → à..þ */
        uint32_t lower = cp + 0x20;
        out[0] = (char)(0xC0 | (lower >> 6));
        out[1] = (char)(0x80 | (lower & 0x3F));
        return 2;
    }
    for (size_t k = 0; k < COUNT(FOLDS); k++)
        if (cp >= FOLDS[k].first && cp <= FOLDS[k].last) {
            size_t n = strlen(FOLDS[k].as);
            memcpy(out, FOLDS[k].as, n);
            return (int)n;
        }
    return -1;
}
