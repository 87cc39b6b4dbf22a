/* The streaming reader: bytes in any pieces → rows → records and
 * rejections. One state machine serves both formats: tab-separated flat
 * files (quoted fields, header row) and NDJSON (one line, one row). Memory
 * is one row's bytes (at most IMP_LINE_MAX) whatever the file's size. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "imports_internal.h"

#define IMP_KIND_NAME(kind, name) [kind] = name,
const char *const IMP_KIND_NAMES[IMP_KIND_COUNT] = { IMP_KINDS(IMP_KIND_NAME) };
#undef IMP_KIND_NAME

static const struct imp_kind_spec *const KIND_SPECS[IMP_KIND_COUNT] = {
    [IMP_AMAZON_ALL_ORDERS] = &IMP_ALL_ORDERS_SPEC,
    [IMP_AMAZON_FBA_RETURNS] = &IMP_FBA_RETURNS_SPEC,
    [IMP_AMAZON_FBM_RETURNS] = &IMP_FBM_RETURNS_SPEC,
    [IMP_EVENTS] = &IMP_EVENTS_SPEC,
};

static const unsigned char UTF8_BOM[3] = { 0xEF, 0xBB, 0xBF };
enum { BOM_DECIDED = 4 };   /* past the place where a BOM could be */

enum read_state {
    AT_FIELD_START,   /* nothing of this field read yet */
    IN_UNQUOTED,      /* a plain field: ends at a tab or a line end */
    IN_QUOTED,        /* inside "...": tabs and line ends are text */
    AFTER_QUOTE,      /* a quote inside "...": a second one is a literal quote, else the quotes closed */
};

struct imp_parser {
    enum imp_kind kind;
    const struct imp_kind_spec *spec;
    bool failed;
    bool finished;             /* imp_parser_finish succeeded */
    struct imp_rejection error;
    int64_t rows;
    uint64_t bytes;            /* read, BOM excluded */
    int bom_matched;           /* BOM bytes matched so far, or BOM_DECIDED */
    int64_t line;              /* physical line of the next byte */
    bool after_cr;             /* the last byte was a CR: an LF now completes its line end */

    /* The row being read: its fields, each NUL-terminated, in `text`. */
    bool in_row;
    enum read_state state;
    int64_t row_line;
    size_t row_bytes;
    bool row_quoted;
    struct buf text;
    size_t field_start[IMP_FIELDS_MAX];
    int field_count;

    /* Flat files: where each column id sits, from the header row. */
    bool have_header;
    int column_field[IMP_COLUMNS_MAX];
    char column_name[IMP_COLUMNS_MAX][sizeof(((struct imp_rejection *)0)->column)];

    struct imp_row row;        /* scratch for one row (large: kept off the stack) */
};

struct imp_parser *imp_parser_new(enum imp_kind kind)
{
    if ((unsigned)kind >= IMP_KIND_COUNT)
        return NULL;
    struct imp_parser *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->kind = kind;
    p->spec = KIND_SPECS[kind];
    p->line = 1;
    /* The tab, quote and NUL bytes a row adds stay within this. */
    buf_init(&p->text, (size_t)IMP_LINE_MAX + IMP_FIELDS_MAX + 1);
    return p;
}

void imp_parser_free(struct imp_parser *parser)
{
    if (parser == NULL)
        return;
    buf_cleanup(&parser->text);
    free(parser);
}

const struct imp_rejection *imp_parser_error(const struct imp_parser *parser)
{
    return parser->failed ? &parser->error : NULL;
}

int64_t imp_parser_rows(const struct imp_parser *parser)
{
    return parser->rows;
}

/* A structural error: the file cannot be read on. Returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(struct imp_parser *p, int64_t line, const char *fmt, ...)
{
    if (p->failed)
        return -1;
    p->failed = true;
    p->error.line = line;
    p->error.column[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error.reason, sizeof(p->error.reason), fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- one row: header, data, or a line of NDJSON ---- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim in place (the row's bytes are ours). */
static char *trim(char *s, size_t *len)
{
    while (*len > 0 && is_blank(s[*len - 1]))
        s[--*len] = '\0';
    while (*len > 0 && is_blank(*s)) {
        s++;
        (*len)--;
    }
    return s;
}

static size_t field_length(const struct imp_parser *p, int i)
{
    size_t end = i + 1 < p->field_count ? p->field_start[i + 1] : p->text.len;
    return end - p->field_start[i] - 1;   /* its NUL */
}

static bool column_matches(const struct imp_column *column, const char *header)
{
    return strcasecmp(header, column->name) == 0
        || (column->alias != NULL && strcasecmp(header, column->alias) == 0);
}

/* Map the columns this kind reads to the header's fields, by name. The
 * first field of a name wins when a header repeats it. */
static int read_header(struct imp_parser *p)
{
    const struct imp_kind_spec *spec = p->spec;
    for (int c = 0; c < spec->column_count; c++)
        p->column_field[c] = -1;
    for (int i = 0; i < p->field_count; i++) {
        size_t len = field_length(p, i);
        char *header = trim(p->text.data + p->field_start[i], &len);
        for (int c = 0; c < spec->column_count; c++)
            if (p->column_field[c] < 0 && column_matches(&spec->columns[c], header)) {
                p->column_field[c] = i;
                snprintf(p->column_name[c], sizeof(p->column_name[c]), "%s", header);
            }
    }
    char missing[sizeof(p->error.reason)] = "";
    size_t used = 0;
    for (int c = 0; c < spec->column_count; c++) {
        if (p->column_field[c] >= 0)
            continue;
        snprintf(p->column_name[c], sizeof(p->column_name[c]), "%s", spec->columns[c].name);
        if (spec->columns[c].required && used < sizeof(missing)) {
            int n = snprintf(missing + used, sizeof(missing) - used, "%s%s", used ? ", " : "",
                             spec->columns[c].name);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    if (used > 0)
        return fail(p, p->row_line, "the header lacks required columns: %s", missing);
    p->have_header = true;
    return 0;
}

/* Hand the row to its kind, then its record or rejection to the sink. */
static int read_data_row(struct imp_parser *p, const struct imp_sink *sink)
{
    struct imp_row *row = &p->row;
    row->line = p->row_line;
    row->bad = false;
    row->text = NULL;
    row->text_len = 0;
    if (p->spec->tabular) {
        for (int c = 0; c < p->spec->column_count; c++) {
            int i = p->column_field[c];
            row->column_name[c] = p->column_name[c];
            if (i >= 0 && i < p->field_count) {
                row->value_len[c] = field_length(p, i);
                row->value[c] = trim(p->text.data + p->field_start[i], &row->value_len[c]);
            } else {
                row->value[c] = p->text.data + p->text.len;   /* the final NUL: "" */
                row->value_len[c] = 0;
            }
        }
    } else {
        row->text = p->text.data;
        row->text_len = p->text.len - 1;
    }

    struct imp_record record;
    memset(&record, 0, sizeof(record));
    record.kind = p->kind;
    record.line = p->row_line;
    p->rows++;
    int verdict;
    if (p->spec->convert(row, &record))
        verdict = sink->record(&record, sink->cls);
    else {
        row->rejection.line = p->row_line;
        verdict = sink->reject(&row->rejection, sink->cls);
    }
    return verdict == 0 ? 0 : fail(p, p->row_line, "stopped by the sink");
}

static int end_row(struct imp_parser *p, const struct imp_sink *sink)
{
    p->in_row = false;
    if (!buf_append(&p->text, "", 1))
        return fail(p, p->row_line, "out of memory");
    bool blank = !p->row_quoted;   /* every byte a tab or a space (fields end in NULs) */
    for (size_t i = 0; blank && i < p->text.len; i++)
        blank = p->text.data[i] == '\0' || is_blank(p->text.data[i]);
    if (blank)
        return 0;   /* an empty line (or only tabs and spaces) */
    if (p->spec->tabular && !p->have_header)
        return read_header(p);
    return read_data_row(p, sink);
}

/* ---- bytes → fields ---- */

static void open_row(struct imp_parser *p)
{
    p->in_row = true;
    p->state = AT_FIELD_START;
    p->row_line = p->line;
    p->row_bytes = 0;
    p->row_quoted = false;
    p->text.len = 0;
    p->field_count = 1;
    p->field_start[0] = 0;
}

/* Count n bytes of the row against IMP_LINE_MAX. */
static int count(struct imp_parser *p, size_t n)
{
    p->row_bytes += n;
    if (p->row_bytes > (size_t)IMP_LINE_MAX)
        return fail(p, p->row_line, "line is longer than %d bytes", (int)IMP_LINE_MAX);
    return 0;
}

static int keep(struct imp_parser *p, const char *bytes, size_t n)
{
    if (count(p, n) < 0)
        return -1;
    if (n > 0 && !buf_append(&p->text, bytes, n))
        return fail(p, p->row_line, "out of memory");
    return 0;
}

static int end_field(struct imp_parser *p)
{
    if (!buf_append(&p->text, "", 1))
        return fail(p, p->row_line, "out of memory");
    if (p->field_count == IMP_FIELDS_MAX)
        return fail(p, p->row_line, "more than %d fields in one line", (int)IMP_FIELDS_MAX);
    p->field_start[p->field_count++] = p->text.len;
    p->state = AT_FIELD_START;
    return 0;
}

/* A CR, an LF, or the CR of a CRLF ends a physical line. */
static void line_end(struct imp_parser *p, char c)
{
    p->line++;
    p->after_cr = c == '\r';
}

static bool ends_plain_field(const struct imp_parser *p, char c)
{
    return c == '\n' || c == '\r' || (c == '\t' && p->spec->tabular);
}

static int consume(struct imp_parser *p, const char *data, size_t len, const struct imp_sink *sink)
{
    p->bytes += len;
    size_t i = 0;
    while (i < len) {
        char c = data[i];
        if (p->after_cr) {
            p->after_cr = false;
            if (c == '\n') {   /* the LF of a CRLF: its line has ended already */
                i++;
                if (p->in_row && p->state == IN_QUOTED && keep(p, "\n", 1) < 0)
                    return -1;
                continue;
            }
        }
        if (!p->in_row)
            open_row(p);
        switch (p->state) {
        case AT_FIELD_START:
            if (c == '"' && p->spec->tabular) {
                p->state = IN_QUOTED;
                p->row_quoted = true;
                i++;
                if (count(p, 1) < 0)
                    return -1;
            } else {
                p->state = IN_UNQUOTED;
            }
            break;
        case IN_UNQUOTED: {
            size_t end = i;
            while (end < len && !ends_plain_field(p, data[end]))
                end++;
            if (keep(p, data + i, end - i) < 0)
                return -1;
            i = end;
            if (i == len)
                break;
            c = data[i++];
            if (c == '\t') {
                if (count(p, 1) < 0 || end_field(p) < 0)
                    return -1;
            } else {
                line_end(p, c);
                if (end_row(p, sink) < 0)
                    return -1;
            }
            break;
        }
        case IN_QUOTED: {
            size_t end = i;
            while (end < len && data[end] != '"' && data[end] != '\r' && data[end] != '\n')
                end++;
            if (keep(p, data + i, end - i) < 0)
                return -1;
            i = end;
            if (i == len)
                break;
            c = data[i++];
            if (c == '"') {
                p->state = AFTER_QUOTE;
                if (count(p, 1) < 0)
                    return -1;
            } else {
                line_end(p, c);
                if (keep(p, &c, 1) < 0)
                    return -1;
            }
            break;
        }
        case AFTER_QUOTE:
            if (c == '"') {   /* "" inside quotes: one literal quote */
                i++;
                p->state = IN_QUOTED;
                if (keep(p, "\"", 1) < 0)
                    return -1;
            } else if (c == '\t') {
                i++;
                if (count(p, 1) < 0 || end_field(p) < 0)
                    return -1;
            } else if (c == '\r' || c == '\n') {
                i++;
                line_end(p, c);
                if (end_row(p, sink) < 0)
                    return -1;
            } else {
                p->state = IN_UNQUOTED;   /* "ab"cd reads as abcd, as Python's csv does */
            }
            break;
        }
    }
    return 0;
}

/* Skip a UTF-8 BOM at the very start, even when it arrives a byte at a time. */
int imp_parser_feed(struct imp_parser *parser, const char *data, size_t len, const struct imp_sink *sink)
{
    struct imp_parser *p = parser;
    if (p->failed)
        return -1;
    if (p->finished)
        return fail(p, 0, "bytes after the end of the file");
    while (p->bom_matched != BOM_DECIDED && len > 0) {
        if ((unsigned char)*data == UTF8_BOM[p->bom_matched]) {
            data++;
            len--;
            if (++p->bom_matched == 3)
                p->bom_matched = BOM_DECIDED;
            continue;
        }
        int matched = p->bom_matched;   /* not a BOM after all: those bytes are text */
        p->bom_matched = BOM_DECIDED;
        if (matched > 0 && consume(p, (const char *)UTF8_BOM, (size_t)matched, sink) < 0)
            return -1;
    }
    if (len == 0)
        return 0;
    return consume(p, data, len, sink);
}

int imp_parser_finish(struct imp_parser *parser, const struct imp_sink *sink)
{
    struct imp_parser *p = parser;
    if (p->failed)
        return -1;
    if (p->finished)
        return fail(p, 0, "the file has ended already");
    if (p->bom_matched != BOM_DECIDED) {
        int matched = p->bom_matched;
        p->bom_matched = BOM_DECIDED;
        if (matched > 0 && matched < 3 && consume(p, (const char *)UTF8_BOM, (size_t)matched, sink) < 0)
            return -1;
    }
    if (p->bytes == 0)
        return fail(p, 0, "the file is empty");
    if (p->in_row) {
        if (p->state == IN_QUOTED)
            return fail(p, p->row_line, "a quoted field is never closed");
        if (end_row(p, sink) < 0)
            return -1;
    }
    if (p->spec->tabular && !p->have_header)
        return fail(p, 0, "the file has no header row");
    if (!p->spec->tabular && p->rows == 0)
        return fail(p, 0, "the file has no event lines");
    p->finished = true;
    return 0;
}
