/* Database side of imports (db/imports.c): each import streams its rows
 * into staging tables on a connection of its own (never a worker thread's,
 * which other requests share), inside one transaction, then merges them,
 * recomputes the rollups of the days it touched and records itself, and
 * commits: all of it or none of it. */
#ifndef REDRESS_DB_IMPORTS_H
#define REDRESS_DB_IMPORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "imports.h"

struct db_import;

/** What an import says about itself, in (the caller's) and out (the merge's). */
struct db_import_summary {
    /* in */
    int64_t bytes;                /* decoded bytes read */
    int64_t rows_read, rejected;
    const char *rejected_rows;    /* JSON array text, [{line, column, reason}] (the first IMP_REJECTED_KEPT) */
    char content_sha256[65];      /* hex; "" when the file was not read to the end */
    /* out, from db_import_commit */
    int64_t inserted, updated, skipped;
    char finished_at[32];         /* RFC 3339 UTC */
};

/** Open the import's own connection, begin its transaction and start
 * streaming rows. started_at is RFC 3339; created_by the key's prefix.
 * *out is malloc'd: end it with db_import_commit or db_import_fail, or
 * drop it with db_import_free. */
enum db_status db_import_begin(int64_t tenant_id, enum imp_kind kind, const char *import_id, const char *created_by,
                               const char *started_at, struct db_import **out);
/** Stage one record (buffered: sent in large pieces). */
enum db_status db_import_add(struct db_import *imp, const struct imp_record *record);
/** Merge the staged rows, recompute the touched days' rollups, record the
 * import as completed and commit. Fills the out fields of s. The import is
 * freed whatever happens. DB_COMMIT_UNKNOWN when the connection broke
 * after COMMIT was sent (the import's id then tells: db_import_get). */
enum db_status db_import_commit(struct db_import *imp, struct db_import_summary *s);
/** Roll back everything staged and record the import as failed, saying
 * why; fills s->finished_at. Frees the import. */
enum db_status db_import_fail(struct db_import *imp, struct db_import_summary *s, const char *error);
/** Roll back and close (a request that ended before its body did). */
void db_import_free(struct db_import *imp);

/** One recorded import. Strings are copies (char arrays) except
 * rejected_rows (malloc'd JSON text, freed by db_import_row_cleanup). */
struct db_import_row {
    char import_id[37], kind[32], status[16], content_sha256[65], created_by[24];
    char started_at[32], finished_at[32];
    int64_t bytes, rows_read, inserted, updated, skipped, rejected;
    char *rejected_rows;
    char *error;                  /* malloc'd; NULL when none */
};
void db_import_row_cleanup(struct db_import_row *row);

/** Up to limit imports of the tenant, newest first, after the import
 * `after` (NULL: from the newest). *rows malloc'd (clean each, then free). */
enum db_status db_imports_list(struct db *db, int64_t tenant_id, const char *after, int limit,
                               struct db_import_row **rows, int *count);
/** One import; DB_NOT_FOUND when the tenant has none with that id. */
enum db_status db_import_get(struct db *db, int64_t tenant_id, const char *import_id, struct db_import_row *out);

#endif
