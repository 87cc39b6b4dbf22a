/* Currencies, percentages of money, and money as a reader expects it.
 * Integer minor units only: no floating point touches an amount. */
#include <stdio.h>
#include <string.h>

#include "engine.h"

/* ISO 4217 exponents. high_value_minor: about 150 US dollars' worth, the
 * default point from which a seller wants an item back. */
static const struct eng_currency CURRENCIES[] = {
    { "AED", 2, 55000 },   { "AUD", 2, 22500 },    { "BHD", 3, 56000 },   { "BRL", 2, 75000 },
    { "CAD", 2, 20000 },   { "CHF", 2, 13500 },    { "CLP", 0, 140000 },  { "CNY", 2, 100000 },
    { "CZK", 2, 340000 },  { "DKK", 2, 100000 },   { "EUR", 2, 14000 },   { "GBP", 2, 12000 },
    { "HKD", 2, 117000 },  { "HUF", 2, 5500000 },  { "IDR", 2, 240000000 }, { "ILS", 2, 55000 },
    { "INR", 2, 1250000 }, { "ISK", 0, 21000 },    { "JOD", 3, 106000 },  { "JPY", 0, 22000 },
    { "KRW", 0, 200000 },  { "KWD", 3, 46000 },    { "MXN", 2, 260000 },  { "MYR", 2, 70000 },
    { "NOK", 2, 160000 },  { "NZD", 2, 25000 },    { "OMR", 3, 58000 },   { "PHP", 2, 850000 },
    { "PLN", 2, 60000 },   { "SAR", 2, 56000 },    { "SEK", 2, 160000 },  { "SGD", 2, 20000 },
    { "THB", 2, 530000 },  { "TND", 3, 470000 },   { "TRY", 2, 500000 },  { "TWD", 2, 480000 },
    { "USD", 2, 15000 },   { "VND", 0, 3800000 },  { "ZAR", 2, 280000 },
};

_Static_assert(sizeof(CURRENCIES) / sizeof(CURRENCIES[0]) == ENG_CURRENCY_COUNT,
               "ENG_CURRENCY_COUNT (engine.h) counts the currencies");

const struct eng_currency *eng_currency_at(int i)
{
    return i >= 0 && i < ENG_CURRENCY_COUNT ? &CURRENCIES[i] : NULL;
}

int eng_currency_index(const struct eng_currency *currency)
{
    return (int)(currency - CURRENCIES);
}

const struct eng_currency *eng_currency_find(const char *code)
{
    if (code == NULL || strlen(code) != 3)
        return NULL;
    for (size_t i = 0; i < sizeof(CURRENCIES) / sizeof(CURRENCIES[0]); i++)
        if (memcmp(CURRENCIES[i].code, code, 3) == 0)
            return &CURRENCIES[i];
    return NULL;
}

bool eng_percent_of(int64_t amount, int percent, int64_t *out)
{
    int64_t product;
    if (amount < 0 || percent < 0 || __builtin_mul_overflow(amount, (int64_t)percent, &product)
        || __builtin_add_overflow(product, (int64_t)50, &product))
        return false;
    *out = product / 100;
    return true;
}

/* How a language writes one currency: symbol before or after, separators. */
struct money_style {
    const char *before;   /* "$", "US$", "" */
    const char *after;    /* " €", "円", "" */
};

struct language_format {
    char decimal;
    const char *group;    /* thousands separator (UTF-8) */
};

static const struct language_format LANGUAGE_FORMATS[LANG_COUNT] = {
    [LANG_EN] = { '.', "," },      [LANG_ZH_HANS] = { '.', "," }, [LANG_ZH_HANT] = { '.', "," },
    [LANG_DE] = { ',', "." },      [LANG_FR] = { ',', "\u202f" }, [LANG_ES] = { ',', "." },
    [LANG_IT] = { ',', "." },      [LANG_JA] = { '.', "," },
};

/* Symbols by language family: English and Japanese put a symbol before the
 * number; German, French, Spanish and Italian after it; Chinese names the
 * currency after the number except for the local dollar signs. */
static struct money_style style_for(const char *code, enum eng_language lang)
{
    static const struct { const char *code, *symbol; } PREFIX[] = {
        { "USD", "$" }, { "EUR", "€" }, { "GBP", "£" }, { "JPY", "¥" }, { "CAD", "CA$" },
        { "AUD", "A$" }, { "CNY", "CN¥" }, { "HKD", "HK$" }, { "TWD", "NT$" }, { "INR", "₹" },
        { "KRW", "₩" }, { "MXN", "MX$" }, { "NZD", "NZ$" }, { "SGD", "S$" }, { "BRL", "R$" },
    };
    static const struct { const char *code, *hans, *hant; } CHINESE[] = {
        { "USD", "美元", "美元" }, { "EUR", "欧元", "歐元" }, { "GBP", "英镑", "英鎊" },
        { "JPY", "日元", "日圓" }, { "CNY", "元", "人民幣" }, { "CAD", "加元", "加幣" },
        { "AUD", "澳元", "澳幣" },
    };
    static const struct { const char *code, *symbol; } SUFFIX[] = {
        { "EUR", "€" }, { "USD", "$" }, { "GBP", "£" }, { "CHF", "CHF" }, { "JPY", "¥" },
    };
    struct money_style style = { "", "" };
    static __thread char fallback[8];
    snprintf(fallback, sizeof(fallback), "%s", code);
    switch (lang) {
    case LANG_JA:
        if (strcmp(code, "JPY") == 0) {
            style.after = "円";
            return style;
        }
        __attribute__((fallthrough));
    case LANG_EN:
        for (size_t i = 0; i < sizeof(PREFIX) / sizeof(PREFIX[0]); i++)
            if (strcmp(PREFIX[i].code, code) == 0) {
                style.before = PREFIX[i].symbol;
                return style;
            }
        style.before = fallback; /* "KWD 7.800": code, then a space */
        style.after = "";
        return style;
    case LANG_ZH_HANS:
    case LANG_ZH_HANT:
        if (strcmp(code, "HKD") == 0) { style.before = "HK$"; return style; }
        if (strcmp(code, "TWD") == 0) { style.before = "NT$"; return style; }
        for (size_t i = 0; i < sizeof(CHINESE) / sizeof(CHINESE[0]); i++)
            if (strcmp(CHINESE[i].code, code) == 0) {
                style.after = lang == LANG_ZH_HANS ? CHINESE[i].hans : CHINESE[i].hant;
                return style;
            }
        style.before = fallback;
        return style;
    default:
        for (size_t i = 0; i < sizeof(SUFFIX) / sizeof(SUFFIX[0]); i++)
            if (strcmp(SUFFIX[i].code, code) == 0) {
                style.after = SUFFIX[i].symbol;
                return style;
            }
        style.after = fallback;
        return style;
    }
}

bool eng_money_format(int64_t minor, const struct eng_currency *currency, enum eng_language lang,
                      char *out, size_t size)
{
    const struct language_format *fmt = &LANGUAGE_FORMATS[lang];
    struct money_style style = style_for(currency->code, lang);
    bool negative = minor < 0;
    uint64_t value = negative ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    uint64_t scale = 1;
    for (int i = 0; i < currency->exponent; i++)
        scale *= 10;
    uint64_t whole = value / scale, fraction = value % scale;

    /* whole part with group separators, built right to left */
    char digits[32];
    int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)whole);
    char grouped[96];
    size_t g = 0, group_len = strlen(fmt->group);
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            memcpy(grouped + g, fmt->group, group_len);
            g += group_len;
        }
        grouped[g++] = digits[i];
    }
    grouped[g] = '\0';

    /* fraction digits, zero-padded to the exponent (at most 3) */
    char decimals[8] = "";
    if (currency->exponent > 0 && currency->exponent < (int)sizeof(decimals) - 1) {
        decimals[0] = fmt->decimal;
        for (int i = currency->exponent; i >= 1; i--) {
            decimals[i] = (char)('0' + fraction % 10);
            fraction /= 10;
        }
        decimals[currency->exponent + 1] = '\0';
    }
    char number[128];
    snprintf(number, sizeof(number), "%s%s%s", negative ? "-" : "", grouped, decimals);

    /* a code (not a symbol) is set off by a space */
    bool before_is_code = strlen(style.before) == 3;
    for (size_t i = 0; before_is_code && i < 3; i++)
        before_is_code = style.before[i] >= 'A' && style.before[i] <= 'Z';
    bool after_spaced = lang == LANG_DE || lang == LANG_FR || lang == LANG_ES || lang == LANG_IT
                        || (style.after[0] >= 'A' && style.after[0] <= 'Z');
    int written = snprintf(out, size, "%s%s%s%s%s", style.before, before_is_code ? " " : "", number,
                           style.after[0] != '\0' && after_spaced ? " " : "", style.after);
    return written > 0 && (size_t)written < size;
}

const char *eng_money_parse(const char *text, int exponent, int64_t *minor)
{
    const char *s = text;
    if (*s == '-')
        return "negative amount";
    int64_t units = 0;
    int int_digits = 0;
    for (; (*s >= '0' && *s <= '9'); s++, int_digits++)
        if (__builtin_mul_overflow(units, (int64_t)10, &units)
            || __builtin_add_overflow(units, (int64_t)(*s - '0'), &units))
            return "amount too large";
    if (int_digits == 0)
        return "not an amount";
    int decimals = 0;
    if (*s == '.') {
        s++;
        for (; (*s >= '0' && *s <= '9'); s++, decimals++) {
            if (decimals >= exponent) {
                if (*s != '0')   /* exact trailing zeros ("1500.00" yen) lose nothing */
                    return "more decimal places than the currency has";
                continue;
            }
            if (__builtin_mul_overflow(units, (int64_t)10, &units)
                || __builtin_add_overflow(units, (int64_t)(*s - '0'), &units))
                return "amount too large";
        }
        if (decimals == 0)
            return "not an amount";
    }
    if (*s != '\0')   /* thousands separators, a decimal comma, a currency sign... */
        return "not an amount";
    for (int d = decimals; d < exponent; d++)
        if (__builtin_mul_overflow(units, (int64_t)10, &units))
            return "amount too large";
    *minor = units;
    return NULL;
}
