/* UTC calendar days as integers (days since 1970-01-01), and how a window
 * of days splits into the spans the rollups keep: whole months, whole
 * weeks (ISO: Monday to Sunday) and single days. Pure. */
#ifndef REDRESS_DAYS_H
#define REDRESS_DAYS_H

#include <stdbool.h>
#include <stdint.h>

enum { DAYS_TEXT_SIZE = 11 /* "YYYY-MM-DD" and its NUL */ };

/** The day number of a proleptic Gregorian date (month 1..12). */
int64_t days_from_civil(int64_t year, int month, int day);
/** The date of a day number. */
void days_to_civil(int64_t days, int64_t *year, int *month, int *day);
/** "YYYY-MM-DD" (years 0..9999; others are clamped to fit). */
void days_format(int64_t days, char out[DAYS_TEXT_SIZE]);
/** Strictly "YYYY-MM-DD", a real day of the years 1970..9999. */
bool days_parse(const char *text, int64_t *out);
/** Today in UTC. */
int64_t days_today(void);

/* The spans a window is read in, largest first: a window of a year is
 * about 12 months, a few weeks and a few days, whatever its length. */
enum days_span { DAYS_SPAN_DAY, DAYS_SPAN_WEEK, DAYS_SPAN_MONTH, DAYS_SPAN_COUNT };
/* Each side of the whole months is under a month: at most 6 days, 4 weeks
 * and 6 days again; a window with no whole month is under two months. */
enum { DAYS_COVER_MAX_DAYS = 24, DAYS_COVER_MAX_WEEKS = 9, DAYS_COVER_MAX_MONTHS = 14 };
enum { DAYS_COVER_WINDOW_MAX = 400 }; /* the longest window covered (days) */

struct days_cover {
    int n[DAYS_SPAN_COUNT];
    int64_t days[DAYS_COVER_MAX_DAYS];      /* DAYS_SPAN_DAY */
    int64_t weeks[DAYS_COVER_MAX_WEEKS];    /* their Mondays */
    int64_t months[DAYS_COVER_MAX_MONTHS];  /* their first days */
};

/** Split [from, to] (inclusive, at most DAYS_COVER_WINDOW_MAX days) into
 * whole months, then whole weeks, then days, covering each day once.
 * Returns false for an empty or too long window. */
bool days_cover(int64_t from, int64_t to, struct days_cover *out);

/** Each list of a cover as a PostgreSQL array literal ("{2026-01-05,...}"),
 * for a statement's date[] parameter. out must hold DAYS_ARRAY_TEXT_MAX. */
enum { DAYS_ARRAY_TEXT_MAX = 2 + DAYS_COVER_MAX_DAYS * DAYS_TEXT_SIZE };
void days_array_text(const int64_t *days, int n, char out[DAYS_ARRAY_TEXT_MAX]);

#endif
