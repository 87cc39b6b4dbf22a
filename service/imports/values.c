/* Field readers for the import parsers: text, times, quantities and money
 * as the reports write them, each failing with the column's name and a
 * reason in plain words. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "days.h"
#include "engine.h"
#include "imports_internal.h"
#include "utf8.h"

/* Reasons a row is rejected for, as the answer shows them. */
static const char REASON_EMPTY[] = "required, but empty";
static const char REASON_BAD_DATE[] = "bad date";

void imp_row_fail(struct imp_row *row, const char *column, const char *reason)
{
    if (row->bad)
        return;
    row->bad = true;
    snprintf(row->rejection.column, sizeof(row->rejection.column), "%s", column);
    snprintf(row->rejection.reason, sizeof(row->rejection.reason), "%s", reason);
}

/* The value, or NULL after a problem: readable text, present when required. */
static const char *checked(struct imp_row *row, int column, bool required)
{
    const char *value = row->value[column];
    size_t len = row->value_len[column];
    const char *name = row->column_name[column];
    if (row->bad)
        return NULL;
    if (memchr(value, '\0', len) != NULL || !utf8_valid(value, len)) {
        imp_row_fail(row, name, "not valid UTF-8 text");
        return NULL;
    }
    if (required && len == 0) {
        imp_row_fail(row, name, REASON_EMPTY);
        return NULL;
    }
    return value;
}

const char *imp_text(struct imp_row *row, int column, bool required)
{
    const char *value = checked(row, column, required);
    if (value == NULL)
        return "";
    if (row->value_len[column] > IMP_TEXT_MAX) {
        char reason[64];
        snprintf(reason, sizeof(reason), "longer than %d bytes", (int)IMP_TEXT_MAX);
        imp_row_fail(row, row->column_name[column], reason);
        return "";
    }
    return value;
}

int64_t imp_time(struct imp_row *row, int column)
{
    const char *value = checked(row, column, true);
    int64_t at = 0;
    if (value != NULL && !imp_parse_time(value, &at))
        imp_row_fail(row, row->column_name[column], REASON_BAD_DATE);
    return at;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int64_t imp_quantity(struct imp_row *row, int column)
{
    const char *value = checked(row, column, true);
    if (value == NULL)
        return 0;
    const char *name = row->column_name[column];
    const char *s = value;
    bool negative = *s == '-';
    if (negative)
        s++;
    int64_t n = 0;
    if (*s == '\0') {
        imp_row_fail(row, name, "not a whole number");
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (!is_digit(*s)) {
            imp_row_fail(row, name, "not a whole number");
            return 0;
        }
        if (n <= INT32_MAX)
            n = n * 10 + (*s - '0');
    }
    if (negative && n != 0) {
        imp_row_fail(row, name, "negative quantity");
        return 0;
    }
    if (n > INT32_MAX) {
        imp_row_fail(row, name, "quantity too large");
        return 0;
    }
    return n;
}

bool imp_amount(struct imp_row *row, int amount_column, int currency_column, char currency[4],
                int64_t *minor)
{
    currency[0] = '\0';
    *minor = 0;
    const char *amount = checked(row, amount_column, false);
    if (amount == NULL || *amount == '\0')
        return false;
    const char *code = checked(row, currency_column, true);
    if (code == NULL)
        return false;
    char upper[4] = "";
    if (strlen(code) == 3)
        for (int i = 0; i < 3; i++)
            upper[i] = (char)(code[i] >= 'a' && code[i] <= 'z' ? code[i] - 'a' + 'A' : code[i]);
    const struct eng_currency *found = eng_currency_find(upper);
    if (found == NULL) {
        imp_row_fail(row, row->column_name[currency_column], "unknown currency");
        return false;
    }
    const char *problem = eng_money_parse(amount, found->exponent, minor);
    if (problem != NULL) {
        imp_row_fail(row, row->column_name[amount_column], problem);
        *minor = 0;
        return false;
    }
    memcpy(currency, found->code, 4);
    return true;
}

/* ---- times ---- */

/* Zones the reports print by name: UTC, and the US and European ones the
 * North American and European marketplaces use, in minutes east of UTC. */
static const struct {
    const char *name;
    int minutes;
} ZONE_NAMES[] = {
    { "UTC", 0 },       { "GMT", 0 },       { "Z", 0 },          { "PST", -8 * 60 }, { "PDT", -7 * 60 },
    { "MST", -7 * 60 }, { "MDT", -6 * 60 }, { "CST", -6 * 60 },  { "CDT", -5 * 60 }, { "EST", -5 * 60 },
    { "EDT", -4 * 60 }, { "BST", 60 },      { "CET", 60 },       { "CEST", 120 },    { "JST", 9 * 60 },
};

static const char MONTH_NAMES[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* n digits at *s into *out, advancing. */
static bool read_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*s)[i]))
            return false;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_date(int y, int m, int d)
{
    static const int DAYS[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= DAYS[m - 1] + (m == 2 && is_leap(y));
}

/* "2024-01-15"; "14-Aug-2024" (the seller-fulfilled returns report);
 * "14-08-2024", day first, as Seller Central's help defines the FBA
 * returns report's return-date (DD-MM-YYYY). */
static bool read_date(const char **s, int *y, int *m, int *d)
{
    const char *p = *s;
    if (read_digits(&p, 4, y) && *p == '-' && (p++, read_digits(&p, 2, m)) && *p == '-'
        && (p++, read_digits(&p, 2, d))) {
        *s = p;
        return true;
    }
    p = *s;
    if (!read_digits(&p, 2, d) || *p != '-')
        return false;
    p++;
    *m = 0;
    if (!read_digits(&p, 2, m))
        for (int i = 0; i < 12 && *m == 0; i++)
            if (strncasecmp(p, MONTH_NAMES[i], 3) == 0) {
                *m = i + 1;
                p += 3;
            }
    if (*m == 0 || *p != '-')
        return false;
    p++;
    if (!read_digits(&p, 4, y))
        return false;
    *s = p;
    return true;
}

/* The zone after a time: nothing (UTC), Z, ±HH, ±HHMM, ±HH:MM, or a name. */
static bool read_zone(const char *s, int *minutes_east)
{
    *minutes_east = 0;
    if (*s == ' ')
        s++;
    if (*s == '\0')
        return s[-1] != ' ';   /* no trailing space alone */
    if (*s == '+' || *s == '-') {
        int sign = *s == '-' ? -1 : 1, h, m = 0;
        s++;
        if (*s == ' ')   /* "+ 00:00", as Seller Central's help prints it */
            s++;
        if (!read_digits(&s, 2, &h))
            return false;
        if (*s == ':')
            s++;
        if (*s != '\0' && !read_digits(&s, 2, &m))
            return false;
        if (*s != '\0' || h > 23 || m > 59)
            return false;
        *minutes_east = sign * (h * 60 + m);
        return true;
    }
    for (size_t i = 0; i < sizeof(ZONE_NAMES) / sizeof(ZONE_NAMES[0]); i++)
        if (strcasecmp(s, ZONE_NAMES[i].name) == 0) {
            *minutes_east = ZONE_NAMES[i].minutes;
            return true;
        }
    return false;
}

bool imp_parse_time(const char *text, int64_t *unix_seconds)
{
    const char *s = text;
    int y, mo, d, h = 0, mi = 0, sec = 0, zone = 0;
    if (!read_date(&s, &y, &mo, &d) || !valid_date(y, mo, d))
        return false;
    if (*s != '\0') {
        if (*s != 'T' && *s != 't' && *s != ' ')
            return false;
        s++;
        if (!read_digits(&s, 2, &h) || *s++ != ':' || !read_digits(&s, 2, &mi))
            return false;
        if (*s == ':') {
            s++;
            if (!read_digits(&s, 2, &sec))
                return false;
            if (*s == '.' || *s == ',') {   /* fractions of a second: dropped */
                s++;
                if (!is_digit(*s))
                    return false;
                while (is_digit(*s))
                    s++;
            }
        }
        if (h > 23 || mi > 59 || sec > 60 || !read_zone(s, &zone))
            return false;
    }
    *unix_seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - (int64_t)zone * 60;
    return true;
}
