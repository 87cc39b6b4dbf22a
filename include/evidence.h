/* The evidence pack (issue #13): a case's record for the people who judge
 * it (Amazon's A-to-z team, a card issuer, a review moderator), built from
 * what Redress stored. Pure: no I/O, no MHD, no libpq; the caller reads the
 * stored documents and hands them over. */
#ifndef REDRESS_EVIDENCE_H
#define REDRESS_EVIDENCE_H

#include <jansson.h>
#include <stdbool.h>

/* The audiences a statement can be written for: the enum and the names
 * (?purpose=...) come from this one list. */
#define EVIDENCE_PURPOSES(X)                  \
    X(EVIDENCE_PURPOSE_A_TO_Z, "a_to_z")      \
    X(EVIDENCE_PURPOSE_CHARGEBACK, "chargeback") \
    X(EVIDENCE_PURPOSE_REVIEW_APPEAL, "review_appeal")

#define EVIDENCE_PURPOSE_ENUM(name, text) name,
enum evidence_purpose { EVIDENCE_PURPOSE_NONE = -1, EVIDENCE_PURPOSES(EVIDENCE_PURPOSE_ENUM) EVIDENCE_PURPOSE_COUNT };
#undef EVIDENCE_PURPOSE_ENUM

/** The purpose named text ("a_to_z" ...); false for any other text. */
bool evidence_purpose_parse(const char *text, enum evidence_purpose *out);

/** The stored documents of one case, borrowed for the call. */
struct evidence_input {
    const char *seller;       /* the tenant's name */
    const json_t *request;    /* the case request as stored (CaseRequest) */
    const json_t *decision;   /* the stored decision, with case_id and created_at */
    const json_t *outcomes;   /* outcome history, oldest first (array) */
    const json_t *messages;   /* the conversation in order (array; empty when none) */
};

/** The evidence pack (EvidencePack in openapi.yaml) as a new reference;
 * with a purpose other than EVIDENCE_PURPOSE_NONE, `purpose` carries a
 * statement written for it. The same input gives the same document.
 * NULL when memory ran out or the stored case lacks what every case has
 * (case_id, created_at, order, decision tier and remedy). */
json_t *evidence_build(const struct evidence_input *in, enum evidence_purpose purpose);


struct buf;

/** Whether the PDF's fonts could be loaded; if not, *missing (when not
 * NULL) names the first font file that is absent. Loads them once. */
bool evidence_pdf_ready(const char **missing);

/** The pack (from evidence_build) as a paginated A4 PDF, appended to out
 * (the caller's buffer, which it frees). Not pure: reads the font files
 * once. The same pack gives the same bytes. False when it could not be
 * rendered (fonts missing, memory, a pack without case_id/generated_at). */
bool evidence_pdf_render(const json_t *pack, struct buf *out);

#endif
