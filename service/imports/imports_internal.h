/* Shared by the files of the import parsers only (service/imports). The
 * reader (tsv.c) splits the bytes into rows and, for the flat files, maps
 * header names to column ids; each kind (amazon.c, events.c) turns one row
 * into a record or says why it cannot, through the field readers of
 * values.c. */
#ifndef REDRESS_IMPORTS_INTERNAL_H
#define REDRESS_IMPORTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imports.h"

enum {
    IMP_COLUMNS_MAX = 16,         /* most columns one kind reads */
    IMP_KEY_MAX = 3 * (IMP_TEXT_MAX + 1) + 32, /* a return key: three texts and a time */
};

/* A column a flat-file kind reads: its header name, another name some
 * marketplaces print instead (or NULL), and whether the file must have it. */
struct imp_column {
    const char *name;
    const char *alias;
    bool required;
};

/* One data row handed to a kind. The reader owns every buffer; the kind
 * fills the record with pointers into them (or into `scratch`), valid until
 * the sink returns. */
struct imp_row {
    int64_t line;                          /* physical line where the row starts */
    /* Flat files: per column id, the trimmed field ("" when the column is
     * absent or the line is short), its length, and the header as the file
     * wrote it (the column's own name when absent). */
    char *value[IMP_COLUMNS_MAX];
    size_t value_len[IMP_COLUMNS_MAX];
    const char *column_name[IMP_COLUMNS_MAX];
    /* NDJSON: the whole line. */
    const char *text;
    size_t text_len;
    /* Room for texts a kind builds (a return key) or copies (event fields). */
    char key[IMP_KEY_MAX];
    char copy[2][IMP_TEXT_MAX + 1];
    /* The first problem found; later ones are not reported. */
    bool bad;
    struct imp_rejection rejection;
};

/* What the reader needs to know about a kind. */
struct imp_kind_spec {
    bool tabular;                          /* tab-separated with a header row; else NDJSON */
    const struct imp_column *columns;      /* by column id (tabular only) */
    int column_count;
    /** Fill record from row; on a bad row call imp_row_fail and return false. */
    bool (*convert)(struct imp_row *row, struct imp_record *record);
};

/* amazon.c and events.c */
extern const struct imp_kind_spec IMP_ALL_ORDERS_SPEC, IMP_FBA_RETURNS_SPEC, IMP_FBM_RETURNS_SPEC,
    IMP_EVENTS_SPEC;

/* ---- values.c: field readers. Each records the row's first problem
 * (naming the column) and returns a harmless value after one, so a kind
 * reads every field and checks row->bad once. ---- */

/** Mark the row bad: column as the file names it ("" for the whole line),
 * reason in plain words. Only the first call counts. */
void imp_row_fail(struct imp_row *row, const char *column, const char *reason);

/** The column's text, checked: valid UTF-8, at most IMP_TEXT_MAX bytes, and
 * non-empty when required. "" after a problem. */
const char *imp_text(struct imp_row *row, int column, bool required);
/** A required time (see imp_parse_time). */
int64_t imp_time(struct imp_row *row, int column);
/** A required whole number of units, 0..INT32_MAX. */
int64_t imp_quantity(struct imp_row *row, int column);
/** An optional amount with its currency column: empty amount → false (no
 * amount, currency ""); else the currency must be known and the amount a
 * plain decimal within the currency's minor units. */
bool imp_amount(struct imp_row *row, int amount_column, int currency_column, char currency[4],
                int64_t *minor);

#endif
