/* UTC days and window covers (include/days.h). */
#include "days.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

_Static_assert(DAYS_COVER_MAX_DAYS >= DAYS_COVER_MAX_WEEKS && DAYS_COVER_MAX_DAYS >= DAYS_COVER_MAX_MONTHS,
               "the array text is sized by the longest list");

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void days_to_civil(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

void days_format(int64_t days, char out[DAYS_TEXT_SIZE])
{
    int64_t y;
    int m, d;
    days_to_civil(days, &y, &m, &d);
    if (y < 0)
        y = 0;
    if (y > 9999)
        y = 9999;
    snprintf(out, DAYS_TEXT_SIZE, "%04d-%02d-%02d", (int)y, m, d);
}

bool days_parse(const char *text, int64_t *out)
{
    static const int DAYS_IN_MONTH[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return false;
    int digits[10];
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (text[i] < '0' || text[i] > '9')
            return false;
        digits[i] = text[i] - '0';
    }
    int y = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3];
    int m = digits[5] * 10 + digits[6], d = digits[8] * 10 + digits[9];
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > DAYS_IN_MONTH[m - 1] || (m == 2 && d == 29 && !leap))
        return false;
    *out = days_from_civil(y, m, d);
    return true;
}

int64_t days_today(void)
{
    return (int64_t)time(NULL) / 86400;
}

/* 1970-01-01 was a Thursday: Monday is 0 here. */
static int weekday_from_monday(int64_t days)
{
    return (int)(((days + 3) % 7 + 7) % 7);
}

static int64_t next_month_start(int64_t days)
{
    int64_t y;
    int m, d;
    days_to_civil(days, &y, &m, &d);
    return m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
}

static bool is_month_start(int64_t days)
{
    int64_t y;
    int m, d;
    days_to_civil(days, &y, &m, &d);
    return d == 1;
}

bool days_cover(int64_t from, int64_t to, struct days_cover *out)
{
    memset(out, 0, sizeof(*out));
    if (to < from || to - from + 1 > DAYS_COVER_WINDOW_MAX)
        return false;
    /* The whole months, then, around them, whole weeks and days. */
    int64_t first = from;
    while (!is_month_start(first) && first <= to)
        first++;
    int64_t months_end = first; /* one past the last whole month */
    while (months_end <= to && next_month_start(months_end) - 1 <= to) {
        if (out->n[DAYS_SPAN_MONTH] == DAYS_COVER_MAX_MONTHS)
            return false;
        out->months[out->n[DAYS_SPAN_MONTH]++] = months_end;
        months_end = next_month_start(months_end);
    }
    if (out->n[DAYS_SPAN_MONTH] == 0)
        first = months_end = to + 1; /* no whole month: weeks and days only */
    /* Before the months (or the whole window): weeks from the first Monday. */
    int64_t edges[2][2] = { { from, first - 1 }, { months_end, to } };
    for (int e = 0; e < 2; e++) {
        int64_t a = edges[e][0], b = edges[e][1];
        while (a <= b) {
            bool week = weekday_from_monday(a) == 0 && a + 6 <= b;
            enum days_span span = week ? DAYS_SPAN_WEEK : DAYS_SPAN_DAY;
            if (out->n[span] == (week ? DAYS_COVER_MAX_WEEKS : DAYS_COVER_MAX_DAYS))
                return false; /* cannot happen within DAYS_COVER_WINDOW_MAX; checked all the same */
            (week ? out->weeks : out->days)[out->n[span]++] = a;
            a += week ? 7 : 1;
        }
    }
    return true;
}

void days_array_text(const int64_t *days, int n, char out[DAYS_ARRAY_TEXT_MAX])
{
    size_t len = 0;
    out[len++] = '{';
    for (int i = 0; i < n; i++) {
        if (i > 0)
            out[len++] = ',';
        days_format(days[i], out + len);
        len += DAYS_TEXT_SIZE - 1;
    }
    out[len++] = '}';
    out[len] = '\0';
}
